//! The session cookie: setting it on redemption, clearing it on sign-out,
//! and the extractor that turns it into a live session on every request.

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use maud::html;
use portal_domain::ports::SessionContext;
use portal_domain::service::AccessError;

use super::layout::{card, request_form};
use crate::error::chain;
use crate::extract::cookie;
use crate::state::AppState;

/// `Set-Cookie` for the session cookie: HttpOnly, SameSite=Lax, Path=/,
/// `Secure` over TLS. A new session passes its secret and lifetime; an
/// empty value with no lifetime removes the cookie.
pub(crate) fn session_cookie(state: &AppState, value: &str, max_age_seconds: i64) -> HeaderValue {
    let secure = if state.config.secure_cookies {
        "; Secure"
    } else {
        ""
    };
    let text = format!(
        "{}={value}; Path=/; Max-Age={max_age_seconds}; HttpOnly; SameSite=Lax{secure}",
        state.cookie_name()
    );
    // The value is base64url or empty, the rest fixed ASCII.
    HeaderValue::from_str(&text)
        .unwrap_or_else(|_| HeaderValue::from_static("portal_session=; Path=/; Max-Age=0"))
}

/// The session cookie's value on a request, if any.
pub(crate) fn session_secret<'a>(state: &AppState, parts: &'a Parts) -> Option<&'a str> {
    cookie(&parts.headers, state.cookie_name())
}

/// A request with a live portal session. Without one, the request is
/// answered with the "session ended" page and its form for a new link.
#[derive(Debug)]
pub(crate) struct SignedIn(pub SessionContext);

impl FromRequestParts<AppState> for SignedIn {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Response> {
        let secret = session_secret(state, parts);
        match state.portal.authenticate(secret).await {
            Ok(ctx) => Ok(Self(ctx)),
            Err(AccessError::Store(err)) => Err(server_error(&err)),
            Err(_) => Err(signed_out(secret.is_some())),
        }
    }
}

/// The page for a request without a live session.
/// The cookie is left in place: it tells the new-link form which business
/// to ask, and it opens nothing any more.
fn signed_out(had_cookie: bool) -> Response {
    let title = if had_cookie {
        "Your session has ended"
    } else {
        "Open your billing portal"
    };
    let body = html! {
        h1 { (title) }
        p {
            "The billing portal opens from the link in your invoice or portal email. "
            "Sessions end after a while for your security. Enter your email and, if it is on file, "
            "we will send you a new link."
        }
        (request_form(None, None))
    };
    (StatusCode::UNAUTHORIZED, card(title, body)).into_response()
}

/// A generic error page; the cause goes to the log only.
pub(crate) fn server_error(err: &(dyn std::error::Error + 'static)) -> Response {
    tracing::error!(error = %chain(err), "portal page failed");
    let body = html! {
        h1 { "Something went wrong" }
        p { "The portal could not show this page. Please try again in a moment." }
    };
    (
        StatusCode::INTERNAL_SERVER_ERROR,
        card("Something went wrong", body),
    )
        .into_response()
}

/// The page for anything the session may not see or that does not exist.
pub(crate) fn not_found() -> Response {
    let body = html! {
        h1 { "Not found" }
        p { "There is nothing here, or it is not shared with you." }
        p { a href="/portal" { "Go to your billing portal" } }
    };
    (StatusCode::NOT_FOUND, card("Not found", body)).into_response()
}
