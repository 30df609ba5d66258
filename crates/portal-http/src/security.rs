//! Protections every response or request gets: security headers, refusal
//! of cross-site form posts, and request logs that name the route pattern,
//! never the path (paths can carry link tokens).

use std::sync::Arc;

use axum::extract::{MatchedPath, Request, State};
use axum::http::{HeaderName, HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use tracing::Span;

use crate::state::HttpConfig;

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
        // Pages under /l/ carry a token in their URL. `same-origin` sends
        // a Referer only to this server (which already knows the token),
        // never to another site, and lets browsers send the portal's real
        // `Origin` with its own forms instead of `null`.
        (
            header::REFERRER_POLICY,
            HeaderValue::from_static("same-origin"),
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
/// Browsers that send `Sec-Fetch-Site` are believed: only `same-origin`
/// (and `none`, a request the person made directly) may post, so sibling
/// subdomains are refused too. For browsers that do not, an `Origin` that
/// is neither this host nor the public URL is refused, `null` included (a
/// sandboxed frame or a `data:` page sends it, and the portal's own pages,
/// served with `Referrer-Policy: same-origin`, never do). A post with no
/// `Origin` at all comes from a browser too old to send one and passes.
/// The API authenticates with a header no other site can set, so it is
/// exempt.
pub(crate) async fn refuse_cross_site(
    State(config): State<Arc<HttpConfig>>,
    request: Request,
    next: Next,
) -> Response {
    let state_changing = !matches!(
        *request.method(),
        Method::GET | Method::HEAD | Method::OPTIONS
    );
    if !state_changing || request.uri().path().starts_with("/api/") {
        return next.run(request).await;
    }
    let headers = request.headers();
    let allowed = match headers.get("sec-fetch-site").map(HeaderValue::as_bytes) {
        Some(site) => site == b"same-origin" || site == b"none",
        None => match headers.get(header::ORIGIN).map(|o| o.to_str()) {
            None => true,
            // Not even text: no page of the portal sent it.
            Some(Err(_)) => false,
            Some(Ok(origin)) if origin.eq_ignore_ascii_case("null") => false,
            Some(Ok(origin)) => {
                let host = headers.get(header::HOST).and_then(|h| h.to_str().ok());
                origin_allowed(origin, host, config.public_origin.as_deref())
            }
        },
    };
    if !allowed {
        return (
            StatusCode::FORBIDDEN,
            "Cross-site requests are not accepted.",
        )
            .into_response();
    }
    next.run(request).await
}

/// Whether a request with this `Origin` came from the portal's own pages.
fn origin_allowed(origin: &str, host: Option<&str>, public: Option<&str>) -> bool {
    if public.is_some_and(|p| p.eq_ignore_ascii_case(origin)) {
        return true;
    }
    // "null" (sandboxed or privacy-masked) has no authority and fails here.
    let authority = origin.split_once("://").map(|(_, authority)| authority);
    matches!((authority, host), (Some(a), Some(h)) if a.eq_ignore_ascii_case(h))
}

/// The tracing span of a request: method and route pattern only.
pub(crate) fn request_span(request: &Request) -> Span {
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or("(unmatched)", MatchedPath::as_str);
    tracing::info_span!("request", method = %request.method(), route = %route)
}

#[cfg(test)]
mod tests {
    use super::origin_allowed;

    #[test]
    fn only_the_portals_own_origins_may_post() {
        assert!(origin_allowed(
            "http://127.0.0.1:8080",
            Some("127.0.0.1:8080"),
            None
        ));
        assert!(origin_allowed(
            "https://billing.example.com",
            Some("10.0.0.5:8080"),
            Some("https://billing.example.com")
        ));
        assert!(!origin_allowed(
            "https://evil.example",
            Some("127.0.0.1:8080"),
            Some("https://billing.example.com")
        ));
        assert!(!origin_allowed("http://127.0.0.1:8080", None, None));
        assert!(!origin_allowed("null", Some("127.0.0.1:8080"), None));
        assert!(!origin_allowed(
            "https://billing.example.com.evil.example",
            Some("billing.example.com"),
            None
        ));
    }
}
