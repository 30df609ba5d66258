#![doc = include_str!("../README.md")]
#![recursion_limit = "256"]

mod api;
mod error;
mod extract;
mod portal;
mod security;
mod state;

use std::time::Duration;

use axum::Router;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::trace::TraceLayer;

pub use error::ApiError;
pub use state::{AppState, HttpConfig};

/// The whole HTTP surface: portal pages, the operator API, assets and the
/// health check, with the security layers applied.
pub fn router(state: AppState) -> Router {
    let config = state.config.clone();
    let secure = config.secure_cookies;
    let body_limit = config.body_limit;
    let mut router = Router::new()
        .merge(api::routes())
        .merge(portal::routes())
        .route("/healthz", get(health))
        .fallback(|| async { portal::not_found() })
        .with_state(state)
        .layer(axum::middleware::from_fn_with_state(
            config,
            security::refuse_cross_site,
        ))
        .layer(DefaultBodyLimit::max(body_limit));
    for (name, value) in security::default_headers(secure) {
        router = router.layer(SetResponseHeaderLayer::if_not_present(name, value));
    }
    router.layer(
        TraceLayer::new_for_http()
            .make_span_with(security::request_span)
            .on_response(
                |response: &Response, latency: Duration, _: &tracing::Span| {
                    tracing::info!(
                        status = response.status().as_u16(),
                        latency_ms = latency.as_millis(),
                        "answered"
                    );
                },
            ),
    )
}

/// `GET /healthz`: 200 when the store answers, 503 otherwise.
async fn health(State(state): State<AppState>) -> Response {
    match state.portal.ping().await {
        Ok(()) => (StatusCode::OK, "ok").into_response(),
        Err(err) => {
            tracing::error!(error = %error::chain(&err), "health check failed");
            (StatusCode::SERVICE_UNAVAILABLE, "store unavailable").into_response()
        }
    }
}
