//! The portal's error policy, in one place: every way a page can fail
//! becomes a [`PageError`], and each becomes one HTML answer. A client
//! reads a plain sentence and, where it helps, the form for a new link;
//! causes of server errors go to the log only. The operator API has its
//! counterpart in `error.rs`.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use maud::html;
use portal_domain::ports::StoreError;
use portal_domain::service::{AccessError, RedeemError, RequestLinkError, ViewError};

use super::layout::{card, request_form};
use crate::error::chain;

/// Why a portal page cannot be shown.
#[derive(Debug)]
pub(crate) enum PageError {
    /// Unknown, not the session's company's, or a draft: one answer for
    /// all, so nobody learns what exists.
    NotFound,
    /// No live session; `had_cookie` tells "ended" from "never signed in".
    /// The cookie stays: it tells the new-link form which business to ask.
    SignedOut { had_cookie: bool },
    /// A used, expired, revoked, unknown or closed link: one neutral page
    /// offering a new link.
    DeadLink { token: String },
    /// The new-link form without a usable email address.
    InvalidEmail { link: Option<String>, missing: bool },
    /// Too many new-link requests; try again after this many seconds.
    RateLimited { retry_after: i64 },
    /// Anything the client cannot act on.
    Internal(Box<dyn std::error::Error + Send + Sync>),
}

impl PageError {
    /// A link that does not redeem, or the store failing while trying.
    pub(crate) fn redeem(err: RedeemError, token: &str) -> Self {
        match err {
            RedeemError::Rejected(why) => {
                tracing::info!(reason = ?why, "link refused");
                Self::DeadLink {
                    token: token.to_owned(),
                }
            }
            RedeemError::Store(err) => err.into(),
        }
    }

    /// A refused new-link request.
    pub(crate) fn request_link(err: RequestLinkError, link: Option<String>, window: i64) -> Self {
        match err {
            RequestLinkError::InvalidEmail(_) => Self::InvalidEmail {
                link,
                missing: false,
            },
            RequestLinkError::RateLimited => Self::RateLimited {
                retry_after: window,
            },
            RequestLinkError::Store(err) => err.into(),
        }
    }
}

impl From<StoreError> for PageError {
    fn from(err: StoreError) -> Self {
        Self::Internal(Box::new(err))
    }
}

impl From<ViewError> for PageError {
    fn from(err: ViewError) -> Self {
        match err {
            ViewError::NotFound => Self::NotFound,
            ViewError::Store(err) => err.into(),
        }
    }
}

impl From<AccessError> for PageError {
    /// `had_cookie` is unknown here; the session extractor sets it.
    fn from(err: AccessError) -> Self {
        match err {
            AccessError::Store(err) => err.into(),
            AccessError::NoSession => Self::SignedOut { had_cookie: false },
            AccessError::Ended(_) | AccessError::PortalClosed => {
                Self::SignedOut { had_cookie: true }
            }
        }
    }
}

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        match self {
            Self::NotFound => {
                let body = html! {
                    h1 { "Not found" }
                    p { "There is nothing here, or it is not shared with you." }
                    p { a href="/portal" { "Go to your billing portal" } }
                };
                (StatusCode::NOT_FOUND, card("Not found", body)).into_response()
            }
            Self::SignedOut { had_cookie } => {
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
            Self::DeadLink { token } => {
                let title = "This link can't be used";
                let body = html! {
                    h1 { (title) }
                    p {
                        "Billing portal links work once and expire after a while. "
                        "If this one was yours, we can email you a new one."
                    }
                    (request_form(Some(&token), None))
                };
                (StatusCode::GONE, card(title, body)).into_response()
            }
            Self::InvalidEmail { link, missing } => {
                let (status, message) = if missing {
                    (StatusCode::BAD_REQUEST, "Please enter your email address.")
                } else {
                    (
                        StatusCode::UNPROCESSABLE_ENTITY,
                        "That does not look like an email address.",
                    )
                };
                let body = html! {
                    h1 { "Email me a new link" }
                    (request_form(link.as_deref(), Some(message)))
                };
                (status, card("Email me a new link", body)).into_response()
            }
            Self::RateLimited { retry_after } => {
                let body = html! {
                    h1 { "Too many requests" }
                    p { "Please wait a while before asking for another link." }
                };
                let mut response = (
                    StatusCode::TOO_MANY_REQUESTS,
                    card("Too many requests", body),
                )
                    .into_response();
                if let Ok(value) = HeaderValue::from_str(&retry_after.to_string()) {
                    response.headers_mut().insert(header::RETRY_AFTER, value);
                }
                response
            }
            Self::Internal(err) => {
                tracing::error!(error = %chain(err.as_ref()), "portal page failed");
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
        }
    }
}
