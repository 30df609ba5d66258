//! The operator JSON API under `/api/crm`: a Bearer API key scopes every
//! call to one account. Routes and their OpenAPI description come from one
//! list below (`routes!` reads each handler's `#[utoipa::path]`), so what
//! is served and what is documented cannot drift apart. Handlers live one
//! area per file, their wire types under `dto/`.

mod account;
mod api_keys;
mod clients;
mod contacts;
mod documents;
mod downloads;
mod dto;
mod logo;
mod openapi;
mod outbox;
mod payments;
mod processor;
mod schema;
mod sessions;
mod statements;

use std::sync::Arc;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use portal_domain::Logo;
use utoipa_axum::router::{OpenApiRouter, UtoipaMethodRouterExt as _};
use utoipa_axum::routes;

use crate::error::ApiError;
use crate::idempotency::idempotent;
use crate::state::AppState;

/// Every documented operation, grouped by path.
fn operations() -> OpenApiRouter<AppState> {
    use documents::{contracts, estimates, invoices};
    OpenApiRouter::with_openapi(openapi::base())
        .routes(routes!(account::show, account::update))
        // A logo may be larger than the bodies every other route takes.
        .routes(
            routes!(logo::show, logo::update, logo::remove)
                .layer(DefaultBodyLimit::max(Logo::MAX_BYTES)),
        )
        .routes(routes!(
            processor::show,
            processor::connect,
            processor::disconnect
        ))
        .routes(routes!(processor::check))
        .routes(routes!(api_keys::list, api_keys::create))
        .routes(routes!(api_keys::revoke))
        .routes(routes!(clients::list, clients::create))
        .routes(routes!(clients::show, clients::update))
        .routes(routes!(clients::contacts))
        .routes(routes!(clients::audit))
        .routes(routes!(clients::payment_methods))
        .routes(routes!(statements::statement))
        .routes(routes!(contacts::create))
        .routes(routes!(contacts::show, contacts::update))
        .routes(routes!(sessions::portal_link))
        .routes(routes!(sessions::list, sessions::create))
        .routes(routes!(sessions::show))
        .routes(routes!(sessions::revoke))
        .routes(routes!(invoices::list, invoices::create))
        .routes(routes!(invoices::show))
        .routes(routes!(invoices::send))
        .routes(routes!(invoices::void))
        .routes(routes!(downloads::invoice_pdf))
        .routes(routes!(payments::mark_paid))
        .routes(routes!(estimates::list, estimates::create))
        .routes(routes!(estimates::show))
        .routes(routes!(estimates::send))
        .routes(routes!(estimates::void))
        .routes(routes!(downloads::estimate_pdf))
        .routes(routes!(contracts::list, contracts::create))
        .routes(routes!(contracts::show))
        .routes(routes!(contracts::send))
        .routes(routes!(contracts::void))
        .routes(routes!(payments::list, payments::create))
        .routes(routes!(payments::show))
        .routes(routes!(payments::refund))
        .routes(routes!(downloads::receipt_pdf))
        .routes(routes!(outbox::list))
        .routes(routes!(outbox::show))
        .routes(routes!(outbox::retry))
}

/// The document: the operations, and the processors' webhooks (served
/// apart, outside `/api`, by [`crate::webhooks::routes`]).
fn documented() -> utoipa::openapi::OpenApi {
    let (_, document) = operations()
        .merge(crate::webhooks::operations())
        .split_for_parts();
    openapi::finish(document)
}

/// The API's OpenAPI document, as served at `/api/openapi.json`.
pub fn openapi_document() -> utoipa::openapi::OpenApi {
    documented()
}

/// The API's routes: the operations, idempotent `POST`s, the OpenAPI
/// document, and JSON answers for unknown paths and methods.
pub(crate) fn routes(state: &AppState) -> Router<AppState> {
    let (router, _) = operations().split_for_parts();
    let document = Arc::new(
        serde_json::to_string(&documented())
            .unwrap_or_else(|e| panic!("the OpenAPI document does not serialize: {e}")),
    );
    router
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            idempotent,
        ))
        .route(
            "/api/openapi.json",
            get(move || {
                let document = Arc::clone(&document);
                async move { serve_document(&document) }
            }),
        )
        .route("/api", get(not_found))
        .route(
            "/api/{*rest}",
            get(not_found)
                .post(not_found)
                .patch(not_found)
                .put(not_found)
                .delete(not_found),
        )
        .method_not_allowed_fallback(method_not_allowed)
}

fn serve_document(document: &str) -> Response {
    let mut response = document.to_owned().into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    response
}

async fn not_found() -> ApiError {
    ApiError::new(
        StatusCode::NOT_FOUND,
        "not_found",
        "No such endpoint. See /api/openapi.json.",
    )
}

/// 405 with a JSON answer, for every documented path.
pub(crate) async fn method_not_allowed() -> ApiError {
    ApiError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        "method_not_allowed",
        "This endpoint does not accept this method. See /api/openapi.json.",
    )
}
