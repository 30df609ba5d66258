//! The operator API's error policy, in one place.
//!
//! Every failure a handler can meet becomes an [`ApiError`]: an HTTP status,
//! a stable machine-readable `code`, and a message a person can act on.
//! Business outcomes (not found, conflict, invalid input) are answered as
//! such. Anything else is an internal error: the client sees a generic
//! message, and the log gets the whole cause chain. No internal detail
//! (SQL, paths, addresses) ever reaches a response.

use axum::Json;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use portal_domain::ValidationError;
use portal_domain::ports::StoreError;
use portal_domain::service::{
    CrmError, DocumentError, LinkError, OperatorAuthError, SessionError, SettingsError,
};
use serde::Serialize;

/// A JSON error answer: `{"error": {"code", "message", "field"?}}`.
#[derive(Debug)]
pub struct ApiError {
    status: StatusCode,
    code: &'static str,
    message: String,
    field: Option<String>,
}

#[derive(Serialize)]
struct Body<'a> {
    error: Inner<'a>,
}

#[derive(Serialize)]
struct Inner<'a> {
    code: &'a str,
    message: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    field: Option<&'a str>,
}

impl ApiError {
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        Self {
            status,
            code,
            message: message.into(),
            field: None,
        }
    }

    pub fn not_found(what: &str) -> Self {
        Self::new(
            StatusCode::NOT_FOUND,
            "not_found",
            format!("No {what} with this id."),
        )
    }

    pub fn conflict(code: &'static str, message: impl Into<String>) -> Self {
        Self::new(StatusCode::CONFLICT, code, message)
    }

    pub fn unauthorized() -> Self {
        Self::new(
            StatusCode::UNAUTHORIZED,
            "unauthorized",
            "Send a valid API key as `Authorization: Bearer <key>`.",
        )
    }

    /// A failure the client cannot act on. Logged with its cause chain;
    /// the answer says nothing about it.
    pub fn internal(err: &(dyn std::error::Error + 'static)) -> Self {
        tracing::error!(error = %chain(err), "request failed");
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal_error",
            "Something went wrong on our side. Try again later.",
        )
    }

    pub fn status(&self) -> StatusCode {
        self.status
    }
}

/// `err` and its sources, joined for a log line.
pub(crate) fn chain(err: &(dyn std::error::Error + 'static)) -> String {
    let mut text = err.to_string();
    let mut source = err.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = Body {
            error: Inner {
                code: self.code,
                message: &self.message,
                field: self.field.as_deref(),
            },
        };
        let mut response = (self.status, Json(body)).into_response();
        if self.status == StatusCode::UNAUTHORIZED {
            response
                .headers_mut()
                .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        response
    }
}

impl From<ValidationError> for ApiError {
    fn from(err: ValidationError) -> Self {
        Self {
            status: StatusCode::UNPROCESSABLE_ENTITY,
            code: "validation_failed",
            message: err.to_string(),
            field: Some(err.field),
        }
    }
}

impl From<StoreError> for ApiError {
    fn from(err: StoreError) -> Self {
        Self::internal(&err)
    }
}

impl From<OperatorAuthError> for ApiError {
    fn from(err: OperatorAuthError) -> Self {
        match err {
            OperatorAuthError::InvalidKey => Self::unauthorized(),
            OperatorAuthError::Store(e) => e.into(),
        }
    }
}

impl From<SettingsError> for ApiError {
    fn from(err: SettingsError) -> Self {
        match err {
            SettingsError::Invalid(e) => e.into(),
            SettingsError::ChangedConcurrently => {
                Self::conflict("concurrent_change", capitalise(&err.to_string()) + ".")
            }
            SettingsError::Store(e) => e.into(),
        }
    }
}

impl From<CrmError> for ApiError {
    fn from(err: CrmError) -> Self {
        match err {
            CrmError::ClientNotFound => Self::not_found("client"),
            CrmError::ContactNotFound => Self::not_found("contact"),
            CrmError::DuplicateContactEmail => {
                Self::conflict("duplicate_email", capitalise(&err.to_string()) + ".")
            }
            CrmError::ChangedConcurrently => {
                Self::conflict("concurrent_change", capitalise(&err.to_string()) + ".")
            }
            CrmError::Store(e) => e.into(),
        }
    }
}

impl From<DocumentError> for ApiError {
    fn from(err: DocumentError) -> Self {
        let message = format!("{}.", capitalise(&err.to_string()));
        match err {
            DocumentError::NotFound => Self::not_found("document"),
            DocumentError::ClientNotFound => Self::not_found("client"),
            DocumentError::ContactNotFound => Self::not_found("contact"),
            DocumentError::ContactOfAnotherClient => Self::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "contact_not_of_client",
                message,
            ),
            DocumentError::ClientInactive => Self::conflict("client_inactive", message),
            DocumentError::DuplicateNumber => Self::conflict("duplicate_number", message),
            DocumentError::Invalid(e) => e.into(),
            DocumentError::Transition(_) => Self::conflict("invalid_status", message),
            DocumentError::ChangedConcurrently | DocumentError::PortalClosedMeanwhile => {
                Self::conflict("concurrent_change", message)
            }
            DocumentError::Mail(e) => mail_failed(&e),
            DocumentError::Store(e) => e.into(),
        }
    }
}

impl From<LinkError> for ApiError {
    fn from(err: LinkError) -> Self {
        let message = format!("{}.", capitalise(&err.to_string()));
        match err {
            LinkError::ContactNotFound => Self::not_found("contact"),
            LinkError::DocumentNotFound => Self::not_found("document for this contact's client"),
            LinkError::DocumentIsDraft => Self::conflict("document_is_draft", message),
            LinkError::PortalDisabled => Self::conflict("portal_disabled", message),
            LinkError::ClientInactive => Self::conflict("client_inactive", message),
            LinkError::Mail(e) => mail_failed(&e),
            LinkError::Store(e) => e.into(),
        }
    }
}

impl From<SessionError> for ApiError {
    fn from(err: SessionError) -> Self {
        match err {
            SessionError::NotFound => Self::not_found("portal session"),
            SessionError::Store(e) => e.into(),
        }
    }
}

fn mail_failed(err: &(dyn std::error::Error + 'static)) -> ApiError {
    tracing::warn!(error = %chain(err), "email not accepted");
    ApiError::new(
        StatusCode::BAD_GATEWAY,
        "email_failed",
        "The email could not be handed to the mail server; nothing was changed. Try again later.",
    )
}

fn capitalise(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}
