//! The client portal's HTML pages: link landing and redemption, the
//! signed-in overview and documents, signing out, and new-link requests.

mod layout;
mod links;
mod pages;
mod session;

use axum::Router;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};

use crate::state::AppState;

pub(crate) use session::not_found;

const STYLESHEET: &str = include_str!("../../assets/portal.css");

pub(crate) fn routes() -> Router<AppState> {
    Router::new()
        .route("/", get(|| async { Redirect::to("/portal") }))
        .route(&links::route(), get(links::landing).post(links::redeem))
        .route("/portal", get(pages::home))
        .route("/portal/documents/{id}", get(pages::document))
        .route("/portal/logout", post(pages::logout))
        .route("/portal/signed-out", get(pages::signed_out))
        .route("/portal/request-link", post(links::request_link))
        .route("/assets/portal.css", get(stylesheet))
}

async fn stylesheet() -> Response {
    let mut response = STYLESHEET.into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/css; charset=utf-8"),
    );
    headers.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=3600"),
    );
    response
}
