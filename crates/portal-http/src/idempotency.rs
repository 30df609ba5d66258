//! `Idempotency-Key` on operator `POST`s. The first request under a key
//! does the work and its answer (status, content type, body) is kept for a
//! day, per account and key; a retry with the same method, path and body
//! gets that answer again with `Idempotent-Replayed: true`; a duplicate
//! sent while the first is still running waits for it a few seconds, then
//! answers `409 request_in_progress`; the same key with another request is
//! refused with `422 idempotency_key_reused`. An answer of 5xx frees the
//! key, so a retry runs the work again; 2xx and 4xx answers are kept.

use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderName, HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use portal_domain::service::{Begin, Replay, Ticket};
use portal_domain::{Account, Fingerprint, IdempotencyKey};

use crate::error::{ApiError, chain};
use crate::extract::{Authenticated, bearer, too_large};
use crate::state::AppState;

/// The request header naming a logical request.
pub(crate) const KEY_HEADER: HeaderName = HeaderName::from_static("idempotency-key");
/// The answer header marking a replayed answer.
pub(crate) const REPLAYED_HEADER: HeaderName = HeaderName::from_static("idempotent-replayed");

/// The first wait between two looks at a request in progress; it doubles
/// up to [`MAX_POLL`].
const FIRST_POLL: Duration = Duration::from_millis(25);
const MAX_POLL: Duration = Duration::from_millis(250);

/// The middleware around the operator API.
pub(crate) async fn idempotent(
    State(state): State<AppState>,
    request: Request,
    next: Next,
) -> Response {
    if request.method() != Method::POST {
        return next.run(request).await;
    }
    let Some(raw_key) = request.headers().get(KEY_HEADER).cloned() else {
        return next.run(request).await;
    };
    let key = match raw_key
        .to_str()
        .ok()
        .and_then(|text| IdempotencyKey::parse("Idempotency-Key", text).ok())
    {
        Some(key) => key,
        None => {
            return ApiError::new(
                StatusCode::BAD_REQUEST,
                "invalid_idempotency_key",
                "The Idempotency-Key header must be 1 to 255 visible ASCII characters, such as a UUID.",
            )
            .at("Idempotency-Key")
            .into_response();
        }
    };
    // Keys are per account: without a valid API key the handler answers
    // 401 itself, and nothing is kept.
    let Some(account) = authenticate(&state, request.headers()).await else {
        return next.run(request).await;
    };
    let (mut parts, body) = request.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, state.config.body_limit).await else {
        return too_large().into_response();
    };
    let fingerprint = Fingerprint::of(parts.method.as_str(), parts.uri.path(), &bytes);
    parts.extensions.insert(Authenticated(account.clone()));
    let request = Request::from_parts(parts, Body::from(bytes));
    let ticket = match wait_for_turn(&state, &account, &key, fingerprint).await {
        Ok(Turn::Proceed(ticket)) => ticket,
        Ok(Turn::Answer(response)) => return response,
        Err(error) => return error.into_response(),
    };
    // The work and the keeping of its answer run to the end even if the
    // client hangs up meanwhile: dropped halfway, the key would stay "in
    // progress" until its lease ran out, and a retry would then do the
    // work a second time.
    let handled = tokio::spawn(async move {
        let response = next.run(request).await;
        keep(&state, ticket, response).await
    });
    match handled.await {
        Ok(response) => response,
        Err(err) => ApiError::internal(&err).into_response(),
    }
}

/// What a request under a key does once it is its turn.
enum Turn {
    Proceed(Ticket),
    Answer(Response),
}

/// Begins the request under `key`, waiting while another request with the
/// same key and body is in progress.
async fn wait_for_turn(
    state: &AppState,
    account: &Account,
    key: &IdempotencyKey,
    fingerprint: Fingerprint,
) -> Result<Turn, ApiError> {
    let deadline = tokio::time::Instant::now() + state.config.idempotency_wait;
    let mut pause = FIRST_POLL;
    loop {
        let begun = state
            .services
            .idempotency
            .begin(account, key.clone(), fingerprint)
            .await?;
        match begun {
            Begin::Proceed(ticket) => return Ok(Turn::Proceed(ticket)),
            Begin::Replay(replay) => return Ok(Turn::Answer(replayed(replay))),
            Begin::KeyReused => {
                return Err(ApiError::new(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    "idempotency_key_reused",
                    "This Idempotency-Key was used for a different request (another method, path or body). Use a new key for a new request.",
                )
                .at("Idempotency-Key"));
            }
            Begin::InProgress => {
                let now = tokio::time::Instant::now();
                if now >= deadline {
                    return Err(ApiError::conflict(
                        "request_in_progress",
                        "A request with this Idempotency-Key is still being handled. Retry it in a moment to get its answer.",
                    ));
                }
                tokio::time::sleep(pause.min(deadline - now)).await;
                pause = (pause * 2).min(MAX_POLL);
            }
        }
    }
}

/// The account of the request's API key, if it has a valid one.
async fn authenticate(state: &AppState, headers: &HeaderMap) -> Option<Account> {
    let key = bearer(headers)?;
    match state.services.accounts.authenticate_operator(key).await {
        Ok(account) => Some(account),
        Err(err) => {
            tracing::debug!(error = %err, "idempotent request without a valid API key");
            None
        }
    }
}

/// Keeps the answer under the ticket and sends it. After a server error or
/// a conflict (a concurrent change, a closed portal: nothing was written,
/// and trying again may well succeed) the key is freed instead, so a retry
/// under it does the work rather than replay the failure for a day.
async fn keep(state: &AppState, ticket: Ticket, response: Response) -> Response {
    let idempotency = &state.services.idempotency;
    if response.status().is_server_error() || response.status() == StatusCode::CONFLICT {
        if let Err(err) = idempotency.abandon(ticket).await {
            tracing::error!(error = %chain(&err), "could not free an idempotency key");
        }
        return response;
    }
    let (parts, body) = response.into_parts();
    let bytes = match axum::body::to_bytes(body, usize::MAX).await {
        Ok(bytes) => bytes,
        Err(err) => {
            if let Err(err) = idempotency.abandon(ticket).await {
                tracing::error!(error = %chain(&err), "could not free an idempotency key");
            }
            return ApiError::internal(&err).into_response();
        }
    };
    let content_type = parts
        .headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("application/json")
        .to_owned();
    if let Err(err) = idempotency
        .finish(ticket, parts.status.as_u16(), &content_type, &bytes)
        .await
    {
        // The work is done and its answer goes out. The key stays in
        // progress until its lease ends; a retry after that would do the
        // work again, so this is worth an alert.
        tracing::error!(error = %chain(&err), "could not keep an idempotent answer");
    }
    Response::from_parts(parts, Body::from(bytes))
}

/// A kept answer, sent again.
fn replayed(replay: Replay) -> Response {
    let status = StatusCode::from_u16(replay.status).unwrap_or(StatusCode::OK);
    let mut response = (status, Bytes::from(replay.body)).into_response();
    let headers = response.headers_mut();
    if let Ok(value) = HeaderValue::from_str(&replay.content_type) {
        headers.insert(header::CONTENT_TYPE, value);
    }
    headers.insert(REPLAYED_HEADER, HeaderValue::from_static("true"));
    response
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};

    use axum::Router;
    use axum::routing::post;
    use portal_domain::service::{PortalConfig, Services};
    use portal_domain::testing::{FixedClock, InMemoryStore, RecordingMailer, SeededRandom, ts};
    use portal_domain::{LinkRequestPolicy, Name, OutboxPolicy, PublicUrl, ServerKey};
    use tower::ServiceExt;

    use super::*;
    use crate::state::HttpConfig;

    /// A handler that fails with a 500 the first time and succeeds after,
    /// behind the idempotency layer.
    async fn flaky() -> (Router, String, Arc<AtomicUsize>) {
        let services = Services::new(
            Arc::new(InMemoryStore::new()),
            Arc::new(RecordingMailer::default()),
            Arc::new(portal_domain::testing::NoProcessors),
            Arc::new(portal_domain::testing::SheetEcho::default()),
            Arc::new(FixedClock::at(ts("2026-11-25T10:00:00Z"))),
            Arc::new(SeededRandom::new(3)),
            PortalConfig {
                public_url: PublicUrl::parse("url", "https://portal.example").unwrap(),
                link_requests: LinkRequestPolicy::default(),
                outbox: OutboxPolicy::default(),
                server_key: ServerKey::from_bytes([1; 32]),
            },
        );
        let key = services
            .accounts
            .create_account(Name::parse("name", "Acme").unwrap(), false)
            .await
            .unwrap()
            .api_key
            .reveal();
        let state = AppState::new(services, HttpConfig::default());
        let calls = Arc::new(AtomicUsize::new(0));
        let counted = Arc::clone(&calls);
        let router = Router::new()
            .route(
                "/api/crm/flaky",
                post(move || {
                    let calls = Arc::clone(&counted);
                    async move {
                        let n = calls.fetch_add(1, Ordering::SeqCst) + 1;
                        if n == 1 {
                            (StatusCode::INTERNAL_SERVER_ERROR, "down".to_owned())
                        } else {
                            (StatusCode::CREATED, format!("call {n}"))
                        }
                    }
                }),
            )
            .layer(axum::middleware::from_fn_with_state(
                state.clone(),
                idempotent,
            ))
            .with_state(state);
        (router, key, calls)
    }

    async fn call(router: &Router, key: &str) -> (StatusCode, String, bool) {
        let request = Request::post("/api/crm/flaky")
            .header(header::AUTHORIZATION, format!("Bearer {key}"))
            .header(KEY_HEADER, "retry-me")
            .body(Body::from("{}"))
            .unwrap();
        let response = router.clone().oneshot(request).await.unwrap();
        let status = response.status();
        let replayed = response.headers().contains_key(REPLAYED_HEADER);
        let body = axum::body::to_bytes(response.into_body(), 1024)
            .await
            .unwrap();
        (
            status,
            String::from_utf8_lossy(&body).into_owned(),
            replayed,
        )
    }

    #[tokio::test]
    async fn a_server_error_frees_the_key_and_a_success_is_kept() {
        let (router, key, calls) = flaky().await;
        assert_eq!(
            call(&router, &key).await,
            (StatusCode::INTERNAL_SERVER_ERROR, "down".to_owned(), false)
        );
        // The retry runs the work again...
        assert_eq!(
            call(&router, &key).await,
            (StatusCode::CREATED, "call 2".to_owned(), false)
        );
        // ...and from then on the answer is replayed, with no more work.
        assert_eq!(
            call(&router, &key).await,
            (StatusCode::CREATED, "call 2".to_owned(), true)
        );
        assert_eq!(calls.load(Ordering::SeqCst), 2);
    }
}
