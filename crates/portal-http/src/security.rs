//! Protections every response or request gets: security headers (with the
//! one wider Content-Security-Policy payment pages get), refusal of
//! cross-site form posts, and request logs that name the route pattern,
//! never the path (paths can carry link tokens).

use std::sync::Arc;

use axum::extract::{MatchedPath, Request, State};
use axum::http::{HeaderName, HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use tracing::Span;

use portal_domain::ports::BrowserAssets;

use crate::state::HttpConfig;

/// The policy of every page but the payment pages: no script, no frame,
/// no connection anywhere; styles and images from this server only.
const STRICT_POLICY: &str = "default-src 'none'; style-src 'self'; img-src 'self'; \
     form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

/// Headers added to every response that does not set its own.
pub(crate) fn default_headers(secure: bool) -> Vec<(HeaderName, HeaderValue)> {
    let mut headers = vec![
        (
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(STRICT_POLICY),
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

/// The Content-Security-Policy of a payment page (the pay page, the 3-D
/// Secure step, adding a method): scripts only from this server and the
/// processor's script origins, frames only from its frame origins,
/// connections only to this server and its API origins. Never
/// `'unsafe-inline'` or `'unsafe-eval'`: the portal's own scripts are files
/// that read their parameters from `data-` attributes. Forms still post
/// only here, and nothing may frame the page. An origin that is not a
/// plain `scheme://host[:port]` is left out rather than let into the
/// header.
pub(crate) fn payment_page_policy(assets: &BrowserAssets) -> HeaderValue {
    let list = |origins: &[String]| -> String {
        let mut kept: Vec<&str> = Vec::new();
        for origin in origins.iter().map(String::as_str).filter(|o| is_origin(o)) {
            if !kept.contains(&origin) {
                kept.push(origin);
            }
        }
        kept.iter().map(|o| format!(" {o}")).collect()
    };
    let frames = list(&assets.frame_origins);
    let frame_src = if frames.is_empty() {
        " 'none'".to_owned()
    } else {
        frames
    };
    let policy = format!(
        "default-src 'none'; script-src 'self'{scripts}; frame-src{frame_src}; \
         connect-src 'self'{connect}; style-src 'self'; img-src 'self'; \
         form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
        scripts = list(&assets.script_origins),
        connect = list(&assets.connect_origins),
    );
    HeaderValue::from_str(&policy).unwrap_or_else(|_| HeaderValue::from_static(STRICT_POLICY))
}

/// Whether `text` is a plain origin a policy may name: `http` or `https`,
/// a host of letters, digits, dots and hyphens (a leading `*.` allowed),
/// and an optional port.
fn is_origin(text: &str) -> bool {
    let Some((scheme, rest)) = text.split_once("://") else {
        return false;
    };
    if scheme != "https" && scheme != "http" {
        return false;
    }
    let (host, port) = match rest.rsplit_once(':') {
        Some((host, port)) => (host, Some(port)),
        None => (rest, None),
    };
    let host = host.strip_prefix("*.").unwrap_or(host);
    let host_ok = !host.is_empty()
        && host
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'-');
    let port_ok =
        port.is_none_or(|p| !p.is_empty() && p.len() <= 5 && p.bytes().all(|b| b.is_ascii_digit()));
    host_ok && port_ok
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
    use super::{is_origin, origin_allowed, payment_page_policy};
    use portal_domain::ports::BrowserAssets;

    #[test]
    fn payment_pages_allow_the_processors_origins_and_nothing_inline() {
        let policy = payment_page_policy(&BrowserAssets {
            script_url: "https://js.stripe.com/v3/".to_owned(),
            script_origins: vec!["https://js.stripe.com".to_owned()],
            frame_origins: vec![
                "https://js.stripe.com".to_owned(),
                "https://hooks.stripe.com".to_owned(),
            ],
            connect_origins: vec![
                "https://api.stripe.com".to_owned(),
                "https://evil.example; script-src *".to_owned(),
            ],
        });
        let policy = policy.to_str().unwrap();
        assert!(
            policy.contains("script-src 'self' https://js.stripe.com;"),
            "{policy}"
        );
        assert!(policy.contains("frame-src https://js.stripe.com https://hooks.stripe.com;"));
        assert!(
            policy.contains("connect-src 'self' https://api.stripe.com;"),
            "{policy}"
        );
        assert!(policy.contains("form-action 'self'") && policy.contains("frame-ancestors 'none'"));
        assert!(
            !policy.contains("unsafe") && !policy.contains("evil"),
            "{policy}"
        );

        let none = payment_page_policy(&BrowserAssets {
            script_url: String::new(),
            script_origins: Vec::new(),
            frame_origins: Vec::new(),
            connect_origins: Vec::new(),
        });
        let none = none.to_str().unwrap();
        assert!(
            none.contains("script-src 'self';") && none.contains("frame-src 'none';"),
            "{none}"
        );
    }

    #[test]
    fn only_plain_origins_go_into_a_policy() {
        for good in [
            "https://js.stripe.com",
            "http://127.0.0.1:8420",
            "https://*.stripe.com",
        ] {
            assert!(is_origin(good), "{good}");
        }
        for bad in [
            "js.stripe.com",
            "javascript://x",
            "https://",
            "https://a b",
            "https://a;b",
            "https://a:port",
            "https://a/path",
            "'unsafe-inline'",
            "*",
        ] {
            assert!(!is_origin(bad), "{bad}");
        }
    }

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
