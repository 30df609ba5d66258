//! The client portal's HTML pages: link landing and redemption, the
//! signed-in overview and documents, Pay Now and its outcome, saved
//! payment methods, signing out, and new-link requests. Every page failure
//! becomes an answer in `error.rs`.

mod assets;
mod card_entry;
mod document;
mod downloads;
mod error;
mod fields;
mod home;
mod layout;
mod links;
mod methods;
mod pay;
mod payment;
mod session;
mod sign_out;

use axum::Router;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use tower_http::set_header::SetResponseHeaderLayer;

use crate::state::AppState;

pub(crate) use error::PageError;

const STYLESHEET: &str = include_str!("../../assets/portal.css");
const ICON: &str = include_str!("../../assets/icon.svg");

pub(crate) fn routes() -> Router<AppState> {
    Router::new()
        .route("/", get(|| async { Redirect::to("/portal") }))
        .route(
            &links::route(),
            get(links::landing)
                .post(links::redeem)
                // The token is in these pages' URL: not even this server's
                // own stylesheet request (nor a proxy logging it) gets
                // more than the origin as Referer. Forms still carry
                // their real Origin.
                .layer(SetResponseHeaderLayer::overriding(
                    header::REFERRER_POLICY,
                    HeaderValue::from_static("strict-origin"),
                )),
        )
        .route("/portal", get(home::home))
        .route("/portal/documents/{id}", get(document::document))
        .route("/portal/documents/{id}/pdf", get(downloads::document_pdf))
        .route(
            "/portal/payments/{id}/receipt.pdf",
            get(downloads::receipt_pdf),
        )
        .route("/portal/statements", get(downloads::statements_page))
        .route("/portal/statement", get(downloads::statement))
        .route("/portal/logout", post(sign_out::logout))
        .route("/portal/signed-out", get(sign_out::signed_out))
        .route("/portal/request-link", post(links::request_link))
        .route("/portal/pay", post(pay::pay_page))
        .route("/portal/pay/{checkout}", post(pay::submit))
        .route("/portal/payments/{id}", get(payment::payment))
        .route("/portal/payments/{id}/confirm", post(payment::confirm))
        .route(
            "/portal/payments/{id}/test-challenge",
            post(payment::test_challenge),
        )
        .route("/portal/methods", get(methods::list).post(methods::add))
        .route("/portal/methods/new", post(methods::new))
        .route("/portal/methods/{id}/default", post(methods::make_default))
        .route("/portal/methods/{id}/remove", post(methods::remove))
        .route("/portal/assets/{name}", get(assets::script))
        .route(
            "/assets/portal.css",
            get(|| asset(STYLESHEET, "text/css; charset=utf-8")),
        )
        .route("/assets/icon.svg", get(|| asset(ICON, "image/svg+xml")))
        .route(
            "/favicon.ico",
            get(|| async { Redirect::permanent("/assets/icon.svg") }),
        )
}

/// A static file compiled into the binary, cached for an hour.
async fn asset(body: &'static str, content_type: &'static str) -> Response {
    let mut response = body.into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    headers.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=3600"),
    );
    response
}
