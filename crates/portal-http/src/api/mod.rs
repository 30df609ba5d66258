//! The operator JSON API under `/api`: a Bearer API key scopes every call to
//! one account. Routes are listed here; handlers live one area per file.

mod account;
mod clients;
mod documents;
mod dto;
mod openapi;
mod sessions;

use axum::Router;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use portal_domain::DocumentKind;

use crate::error::ApiError;
use crate::state::AppState;

pub(crate) fn routes() -> Router<AppState> {
    let mut router = Router::new()
        .route("/api/openapi.json", get(openapi))
        .route(
            "/api/crm/account",
            get(account::show).patch(account::update),
        )
        .route("/api/crm/clients", get(clients::list).post(clients::create))
        .route(
            "/api/crm/clients/{id}",
            get(clients::show).patch(clients::update),
        )
        .route("/api/crm/clients/{id}/contacts", get(clients::contacts))
        .route("/api/crm/clients/{id}/audit-events", get(clients::audit))
        .route("/api/crm/contacts", post(clients::create_contact))
        .route("/api/crm/contacts/{id}", get(clients::show_contact))
        .route(
            "/api/crm/contacts/{id}/portal-link",
            post(sessions::portal_link),
        )
        .route(
            "/api/crm/client-portal-sessions",
            get(sessions::list).post(sessions::create),
        )
        .route("/api/crm/client-portal-sessions/{id}", get(sessions::show))
        .route(
            "/api/crm/client-portal-sessions/{id}/revoke",
            post(sessions::revoke),
        );
    for kind in DocumentKind::ALL {
        router = router.merge(documents::routes(kind));
    }
    router
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

async fn openapi() -> Response {
    let mut response = openapi::DOCUMENT.as_str().into_response();
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

async fn method_not_allowed() -> ApiError {
    ApiError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        "method_not_allowed",
        "This endpoint does not accept this method. See /api/openapi.json.",
    )
}
