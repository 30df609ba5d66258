//! Protections every response or request gets: security headers, refusal
//! of cross-site form posts, and request logs that name the route pattern,
//! never the path (paths can carry link tokens).

use axum::extract::{MatchedPath, Request};
use axum::http::{HeaderName, HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use tracing::Span;

/// Headers added to every response that does not set its own.
pub(crate) fn default_headers(secure: bool) -> Vec<(HeaderName, HeaderValue)> {
    let mut headers = vec![
        (
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(
                "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; \
                 frame-ancestors 'none'; base-uri 'none'",
            ),
        ),
        // Pages under /l/ carry a token in their URL: never let it leak
        // through a Referer header. No page needs to send one.
        (
            header::REFERRER_POLICY,
            HeaderValue::from_static("no-referrer"),
        ),
        (
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ),
        (header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY")),
        (header::CACHE_CONTROL, HeaderValue::from_static("no-store")),
        (
            HeaderName::from_static("x-robots-tag"),
            HeaderValue::from_static("noindex, nofollow"),
        ),
    ];
    if secure {
        headers.push((
            header::STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static("max-age=31536000; includeSubDomains"),
        ));
    }
    headers
}

/// Refuses state-changing browser requests another site started: a form on
/// an attacker's page must not sign a client in, out, or request mail.
/// Browsers mark such requests `Sec-Fetch-Site: cross-site`. The API
/// authenticates with a header no other site can set, so it is exempt.
pub(crate) async fn refuse_cross_site(request: Request, next: Next) -> Response {
    let state_changing = !matches!(
        *request.method(),
        Method::GET | Method::HEAD | Method::OPTIONS
    );
    let cross_site = request
        .headers()
        .get("sec-fetch-site")
        .is_some_and(|v| v.as_bytes() == b"cross-site");
    if state_changing && cross_site && !request.uri().path().starts_with("/api/") {
        return (
            StatusCode::FORBIDDEN,
            "Cross-site requests are not accepted.",
        )
            .into_response();
    }
    next.run(request).await
}

/// The tracing span of a request: method and route pattern only.
pub(crate) fn request_span(request: &Request) -> Span {
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or("(unmatched)", MatchedPath::as_str);
    tracing::info_span!("request", method = %request.method(), route = %route)
}
