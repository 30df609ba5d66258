#![doc = include_str!("../README.md")]
#![recursion_limit = "256"]

mod api;
mod attachment;
mod error;
mod extract;
mod health;
mod idempotency;
mod metrics;
mod portal;
mod security;
mod state;
mod statement_csv;
mod webhooks;

use std::time::Duration;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::trace::TraceLayer;

pub use api::openapi_document;
pub use error::ApiError;
pub use metrics::{Metrics, StatementCount};
pub use state::{AppState, HttpConfig, TestChallenges};

/// The whole HTTP surface: portal pages, the operator API, assets, health
/// and readiness checks and metrics, with the security layers applied.
pub fn router(state: AppState) -> Router {
    let config = state.config.clone();
    let secure = config.secure_cookies;
    let body_limit = config.body_limit;
    let mut router = Router::new()
        .merge(api::routes(&state))
        .merge(portal::routes())
        .route("/healthz", get(health::healthz))
        .route("/readyz", get(health::readyz))
        .route("/metrics", get(metrics::scrape))
        .fallback(|| async { portal::PageError::NotFound.into_response() })
        .layer(axum::middleware::from_fn_with_state(
            config,
            security::refuse_cross_site,
        ))
        // Processors post from their servers and sign what they send: no
        // browser is involved, so the webhooks are outside the cross-site
        // check (and outside `/api`: no API key, no Idempotency-Key).
        .merge(webhooks::routes())
        // Outside the cross-site check, so refused posts are counted too.
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            metrics::track,
        ))
        .with_state(state)
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
