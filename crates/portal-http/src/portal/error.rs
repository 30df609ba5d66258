//! The portal's error policy, in one place: every way a page can fail
//! becomes a [`PageError`], and each becomes one HTML answer. A client
//! reads a plain sentence and, where it helps, the form for a new link;
//! causes of server errors go to the log only. The operator API has its
//! counterpart in `error.rs`.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use maud::html;
use portal_domain::ports::StoreError;
use portal_domain::service::{
    AccessError, CheckoutError, MethodError, PaymentError, ProcessorSettingsError, RedeemError,
    RequestLinkError, ViewError,
};

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
    /// A payment or payment-method request refused for a reason the
    /// client can read, with the way on (a link: its address and text).
    Refused {
        status: StatusCode,
        title: &'static str,
        message: String,
        next: (String, &'static str),
    },
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

/// Where "start again" leads after a pay form failed: a fresh pay page for
/// the same invoices when they are known, the overview otherwise.
fn start_again(again: Option<String>) -> (String, &'static str) {
    (again.unwrap_or_else(|| "/portal".to_owned()), "Start again")
}

impl PageError {
    fn refused(
        status: StatusCode,
        title: &'static str,
        message: impl Into<String>,
        next: (String, &'static str),
    ) -> Self {
        Self::Refused {
            status,
            title,
            message: message.into(),
            next,
        }
    }

    /// A pay form refused; `again` is a fresh pay page for its invoices.
    pub(crate) fn checkout(err: CheckoutError, again: Option<String>) -> Self {
        let message = err.to_string();
        let message = sentence(&message);
        let home = || ("/portal".to_owned(), "Back to your invoices");
        match err {
            CheckoutError::InvoiceNotFound
            | CheckoutError::CheckoutNotFound
            | CheckoutError::MethodNotFound
            | CheckoutError::PaymentNotFound => Self::NotFound,
            CheckoutError::NotConnected => Self::refused(
                StatusCode::CONFLICT,
                "Online payment is not available",
                "This business does not take payments online. Please use the payment \
                 instructions on your invoice.",
                home(),
            ),
            CheckoutError::NothingToPay => Self::refused(
                StatusCode::BAD_REQUEST,
                "Choose what to pay",
                "Choose at least one invoice to pay.",
                home(),
            ),
            CheckoutError::Invalid(invalid) => Self::refused(
                StatusCode::UNPROCESSABLE_ENTITY,
                "This payment cannot be made",
                if invalid.message.starts_with("must") {
                    format!("The {} {}.", invalid.field, invalid.message)
                } else {
                    sentence(&invalid.message)
                },
                start_again(again),
            ),
            CheckoutError::MixedCurrencies | CheckoutError::PartialNotAllowed => Self::refused(
                StatusCode::UNPROCESSABLE_ENTITY,
                "This payment cannot be made",
                message,
                start_again(again),
            ),
            CheckoutError::CheckoutExpired | CheckoutError::InvoicesChanged => Self::refused(
                StatusCode::CONFLICT,
                "Please start again",
                message,
                start_again(again),
            ),
            CheckoutError::Unavailable(cause) => {
                tracing::warn!(error = %cause, "processor unavailable");
                Self::refused(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "Payments are unavailable right now",
                    "The payment processor cannot be reached right now. Nothing was charged; \
                     please try again in a few minutes.",
                    start_again(again),
                )
            }
            CheckoutError::Methods(err) => Self::methods(err),
            CheckoutError::Payments(PaymentError::ChangedConcurrently) => Self::refused(
                StatusCode::CONFLICT,
                "Please start again",
                "The invoices changed while this payment was made. Please start again.",
                start_again(again),
            ),
            CheckoutError::Payments(err) => Self::Internal(Box::new(err)),
            CheckoutError::Settings(err) => Self::settings(err),
            CheckoutError::Store(err) => err.into(),
        }
    }

    /// A pay page for invoices that are paid, being paid, or not the
    /// company's: one answer for all, so nobody learns what exists.
    pub(crate) fn nothing_to_pay() -> Self {
        Self::refused(
            StatusCode::NOT_FOUND,
            "Nothing to pay here",
            "There is nothing to pay here: the invoice is paid, a payment of it is being \
             processed, or it is not shared with you.",
            ("/portal".to_owned(), "Back to your invoices"),
        )
    }

    /// A saved-method change refused.
    pub(crate) fn methods(err: MethodError) -> Self {
        let back = || ("/portal/methods".to_owned(), "Back to payment methods");
        match err {
            MethodError::NotFound | MethodError::ClientNotFound => Self::NotFound,
            MethodError::NotConnected => Self::refused(
                StatusCode::CONFLICT,
                "Payment methods cannot be changed now",
                "Payment methods cannot be changed now: this business does not take \
                 payments online at the moment. Nothing was saved.",
                back(),
            ),
            MethodError::Unavailable(cause) => {
                tracing::warn!(error = %cause, "processor unavailable");
                Self::refused(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "Payment methods cannot be changed now",
                    "Payment methods cannot be changed now: the payment processor cannot be \
                     reached. Nothing was saved; please try again later.",
                    back(),
                )
            }
            MethodError::Declined(message) => Self::refused(
                StatusCode::UNPROCESSABLE_ENTITY,
                "The card was not accepted",
                message,
                ("/portal/methods".to_owned(), "Back to payment methods"),
            ),
            MethodError::Settings(err) => Self::settings(err),
            MethodError::Store(err) => err.into(),
        }
    }

    /// Credentials that no longer open, or the store failing, while
    /// finding the processor.
    fn settings(err: ProcessorSettingsError) -> Self {
        match err {
            ProcessorSettingsError::Store(err) => err.into(),
            ProcessorSettingsError::NotConnected => Self::refused(
                StatusCode::CONFLICT,
                "Online payment is not available",
                "This business does not take payments online at the moment.",
                ("/portal".to_owned(), "Back to your invoices"),
            ),
            other => {
                tracing::error!(error = %chain(&other), "processor connection unusable");
                Self::refused(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "Online payment is not available",
                    "Online payment is not available right now. Nothing was charged; please \
                     try again later.",
                    ("/portal".to_owned(), "Back to your invoices"),
                )
            }
        }
    }

    /// A client-side problem with what a pay or method form sent.
    pub(crate) fn bad_form(message: &str, next: (String, &'static str)) -> Self {
        Self::refused(
            StatusCode::UNPROCESSABLE_ENTITY,
            "Please check the form",
            message,
            next,
        )
    }
}

/// An error's text as a sentence: capitalised, with a full stop.
fn sentence(text: &str) -> String {
    let mut chars = text.chars();
    let mut out: String = match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    };
    if !out.ends_with('.') {
        out.push('.');
    }
    out
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
            Self::Refused {
                status,
                title,
                message,
                next: (href, label),
            } => {
                let body = html! {
                    h1 { (title) }
                    p #refusal role="alert" { (message) }
                    p { a #next href=(href) { (label) } }
                };
                (status, card(title, body)).into_response()
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
