//! The session cookie: setting it on redemption, clearing it on sign-out,
//! and the extractor that turns it into a live session on every request.

use axum::extract::FromRequestParts;
use axum::http::HeaderValue;
use axum::http::request::Parts;
use portal_domain::ports::SessionContext;

use super::error::PageError;
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

/// A request with a live portal session. Without one, the request is
/// answered with the "session ended" page and its form for a new link.
#[derive(Debug)]
pub(crate) struct SignedIn(pub SessionContext);

impl FromRequestParts<AppState> for SignedIn {
    type Rejection = PageError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, PageError> {
        let secret = cookie(&parts.headers, state.cookie_name());
        match state.services.sessions.authenticate(secret).await {
            Ok(ctx) => Ok(Self(ctx)),
            Err(err) => Err(match PageError::from(err) {
                PageError::SignedOut { .. } => PageError::SignedOut {
                    had_cookie: secret.is_some(),
                },
                other => other,
            }),
        }
    }
}
