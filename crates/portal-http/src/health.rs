//! `GET /healthz` (the process answers) and `GET /readyz` (the process can
//! serve: its database answers and is migrated), for load balancers and
//! orchestrators.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

use portal_domain::ports::StoreError;

use crate::error::chain;
use crate::state::AppState;

/// `GET /healthz`: 200 whenever the process can answer at all.
pub(crate) async fn healthz() -> Response {
    (StatusCode::OK, "ok").into_response()
}

/// `GET /readyz`: 200 when the store answers and is migrated, 503
/// otherwise (the cause goes to the log).
pub(crate) async fn readyz(State(state): State<AppState>) -> Response {
    ready(state.services.ping().await)
}

fn ready(ping: Result<(), StoreError>) -> Response {
    match ping {
        Ok(()) => (StatusCode::OK, "ready").into_response(),
        Err(err) => {
            tracing::error!(error = %chain(&err), "readiness check failed");
            (StatusCode::SERVICE_UNAVAILABLE, "store unavailable").into_response()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_store_that_does_not_answer_is_not_ready() {
        assert_eq!(ready(Ok(())).status(), StatusCode::OK);
        let down = StoreError::Backend("connection refused".into());
        assert_eq!(ready(Err(down)).status(), StatusCode::SERVICE_UNAVAILABLE);
    }
}
