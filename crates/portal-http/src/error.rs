//! The operator API's error policy, in one place.
//!
//! Every failure a handler can meet becomes an [`ApiError`]: an HTTP status,
//! a stable machine-readable `code`, a message a person can act on and,
//! where one input is to blame, the `field` that names it
//! (`allocations[1].amount`). Business outcomes (not found, conflict,
//! invalid input) are answered as such. Anything else is an internal error:
//! the client sees a generic message, and the log gets the whole cause
//! chain. No internal detail (SQL, paths, addresses) ever reaches a
//! response. The portal's HTML pages have their counterpart in
//! `portal/error.rs`.

use axum::Json;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use portal_domain::ValidationError;
use portal_domain::ports::{ProcessorError, StoreError, WebhookError};
use portal_domain::service::{
    AllocationProblem, ApiKeyError, CrmError, DocumentError, DownloadError, IdempotencyError,
    LinkError, MethodError, OperatorAuthError, OutboxError, PaymentError, ProcessorSettingsError,
    SessionError, SettingsError, WebhookApplyError,
};
use portal_domain::{LogoError, RefundRefusal};
use serde::Serialize;

/// A JSON error answer: `{"error": {"code", "message", "field"?}}`.
#[derive(Debug)]
pub struct ApiError {
    status: StatusCode,
    code: &'static str,
    message: String,
    field: Option<String>,
}

/// The body of every error answer.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[schema(as = Error)]
pub(crate) struct ErrorBody {
    pub(crate) error: ErrorDetail,
}

/// What went wrong.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub(crate) struct ErrorDetail {
    /// Stable and machine-readable: `validation_failed`, `not_found`,
    /// `over_allocated`, …
    pub(crate) code: String,
    /// For a person to read.
    pub(crate) message: String,
    /// The input at fault, as sent: `name`, `allocations[1].amount`,
    /// `limit`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) field: Option<String>,
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

    /// The same error, blaming the input `field`.
    #[must_use]
    pub fn at(mut self, field: impl Into<String>) -> Self {
        self.field = Some(field.into());
        self
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

    /// A refusal of one input: 422 with `code` and `field`.
    pub fn unprocessable(
        code: &'static str,
        field: impl Into<String>,
        message: impl Into<String>,
    ) -> Self {
        Self::new(StatusCode::UNPROCESSABLE_ENTITY, code, message).at(field)
    }

    /// A query string that does not fit: 400 `invalid_query`.
    pub fn invalid_query(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "invalid_query", message)
    }

    /// A document that could not be rendered: 500 `render_failed`. The
    /// cause is logged; retrying the same document fails the same way
    /// until the cause is fixed.
    pub fn render_failed(err: &(dyn std::error::Error + 'static)) -> Self {
        tracing::error!(error = %chain(err), "rendering failed");
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "render_failed",
            "The PDF could not be rendered. The fault is on our side and is logged; nothing was changed.",
        )
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

    pub fn code(&self) -> &'static str {
        self.code
    }

    pub fn field(&self) -> Option<&str> {
        self.field.as_deref()
    }
}

/// `err` and its sources, joined for a log line.
pub(crate) use portal_domain::error_chain as chain;

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = ErrorBody {
            error: ErrorDetail {
                code: self.code.to_owned(),
                message: self.message,
                field: self.field,
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

/// `err`'s message as a sentence.
fn sentence(err: &impl std::fmt::Display) -> String {
    let text = err.to_string();
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect::<String>() + ".",
        None => String::new(),
    }
}

impl From<ValidationError> for ApiError {
    fn from(err: ValidationError) -> Self {
        Self::unprocessable("validation_failed", err.field.clone(), err.to_string())
    }
}

impl From<StoreError> for ApiError {
    fn from(err: StoreError) -> Self {
        Self::internal(&err)
    }
}

impl From<IdempotencyError> for ApiError {
    fn from(err: IdempotencyError) -> Self {
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
        let message = sentence(&err);
        match err {
            SettingsError::Invalid(e) => e.into(),
            SettingsError::ChangedConcurrently => Self::conflict("concurrent_change", message),
            SettingsError::Store(e) => e.into(),
        }
    }
}

impl From<ApiKeyError> for ApiError {
    fn from(err: ApiKeyError) -> Self {
        let message = sentence(&err);
        match err {
            ApiKeyError::NotFound => Self::not_found("API key"),
            ApiKeyError::LastActiveKey => Self::conflict("last_api_key", message),
            ApiKeyError::Store(e) => e.into(),
        }
    }
}

impl From<CrmError> for ApiError {
    fn from(err: CrmError) -> Self {
        let message = sentence(&err);
        match err {
            CrmError::ClientNotFound => Self::not_found("client"),
            CrmError::ContactNotFound => Self::not_found("contact"),
            CrmError::DuplicateContactEmail => {
                Self::conflict("duplicate_email", message).at("email")
            }
            CrmError::ChangedConcurrently => Self::conflict("concurrent_change", message),
            CrmError::Store(e) => e.into(),
        }
    }
}

impl From<DocumentError> for ApiError {
    fn from(err: DocumentError) -> Self {
        let message = sentence(&err);
        match err {
            DocumentError::NotFound => Self::not_found("document"),
            DocumentError::ClientNotFound => Self::not_found("client"),
            DocumentError::ContactNotFound => Self::not_found("contact"),
            DocumentError::ContactOfAnotherClient => {
                Self::unprocessable("contact_not_of_client", "contact_id", message)
            }
            DocumentError::ContactInactive => {
                Self::conflict("contact_inactive", message).at("contact_id")
            }
            DocumentError::ClientInactive => Self::conflict("client_inactive", message),
            DocumentError::DuplicateNumber => {
                Self::conflict("duplicate_number", message).at("number")
            }
            DocumentError::Invalid(e) => e.into(),
            DocumentError::Transition(_) => Self::conflict("invalid_status", message),
            DocumentError::ChangedConcurrently | DocumentError::PortalClosedMeanwhile => {
                Self::conflict("concurrent_change", message)
            }
            DocumentError::Render(_) => Self::render_failed(&err),
            DocumentError::Store(e) => e.into(),
        }
    }
}

/// An uploaded logo that is refused: 422 `invalid_logo` with the reason
/// (413 when it is too large, like any body over its limit).
impl From<LogoError> for ApiError {
    fn from(err: LogoError) -> Self {
        match err {
            LogoError::TooLarge => crate::extract::too_large(),
            LogoError::Empty
            | LogoError::NotPng
            | LogoError::TooManyPixels
            | LogoError::NotSvg
            | LogoError::UnsafeSvg => Self::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid_logo",
                sentence(&err),
            ),
        }
    }
}

/// A download (a PDF, a statement): what is not there, or not visible to
/// the requester, answers like any unknown id of `what`.
pub(crate) fn download_error(what: &str, err: DownloadError) -> ApiError {
    match err {
        DownloadError::NotFound => ApiError::not_found(what),
        DownloadError::Render(_) => ApiError::render_failed(&err),
        DownloadError::Statement(_) => ApiError::internal(&err),
        DownloadError::Store(e) => e.into(),
    }
}

impl From<LinkError> for ApiError {
    fn from(err: LinkError) -> Self {
        let message = sentence(&err);
        match err {
            LinkError::ContactNotFound => Self::not_found("contact"),
            LinkError::DocumentNotFound => {
                Self::not_found("document for this contact's client").at("document_id")
            }
            LinkError::DocumentIsDraft => {
                Self::conflict("document_is_draft", message).at("document_id")
            }
            LinkError::PortalDisabled => Self::conflict("portal_disabled", message),
            LinkError::ClientInactive => Self::conflict("client_inactive", message),
            LinkError::ContactInactive => Self::conflict("contact_inactive", message),
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

impl From<OutboxError> for ApiError {
    fn from(err: OutboxError) -> Self {
        match err {
            OutboxError::NotFound => Self::not_found("outbox item"),
            OutboxError::PortalClosed => Self::conflict("portal_closed", sentence(&err)),
            OutboxError::Store(e) => e.into(),
        }
    }
}

impl From<PaymentError> for ApiError {
    fn from(err: PaymentError) -> Self {
        let message = sentence(&err);
        match err {
            PaymentError::ClientNotFound => Self::not_found("client"),
            PaymentError::PaymentNotFound => Self::not_found("payment"),
            PaymentError::InvoiceNotFound => Self::not_found("invoice"),
            PaymentError::ContactNotFound => {
                Self::unprocessable("unknown_contact", "notify_contact_id", message)
            }
            PaymentError::ContactInactive => {
                Self::unprocessable("contact_inactive", "notify_contact_id", message)
            }
            PaymentError::ClientInactive => {
                Self::unprocessable("client_inactive", "notify_contact_id", message)
            }
            PaymentError::Invalid(e) => e.into(),
            PaymentError::Allocation { index, problem } => allocation(index, &problem, message),
            PaymentError::Refund(refusal) => match refusal {
                RefundRefusal::NotSucceeded(_) => Self::conflict("payment_not_refundable", message),
                RefundRefusal::TooMuch { .. } | RefundRefusal::CurrencyMismatch { .. } => {
                    Self::unprocessable("refund_exceeds_payment", "amount", message)
                }
                RefundRefusal::Money(e) => Self::internal(&e),
            },
            PaymentError::ChangedConcurrently => Self::conflict("concurrent_change", message),
            PaymentError::ProcessorDisconnected => {
                Self::conflict("processor_disconnected", message)
            }
            // Nothing was recorded: the processor did not take the money
            // back.
            PaymentError::Processor(e) => match e {
                ProcessorError::Unavailable(_) => processor_unavailable(&e),
                _ => Self::new(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    "processor_refused",
                    message,
                ),
            },
            PaymentError::Settings(e) => e.into(),
            PaymentError::Store(e) => e.into(),
        }
    }
}

impl From<ProcessorSettingsError> for ApiError {
    fn from(err: ProcessorSettingsError) -> Self {
        match err {
            ProcessorSettingsError::Invalid(e) => e.into(),
            ProcessorSettingsError::NotConnected => not_configured(),
            ProcessorSettingsError::NotOffered(_) => {
                Self::unprocessable("processor_not_offered", "kind", err.to_string())
            }
            ProcessorSettingsError::Unreadable => {
                tracing::error!(error = %chain(&err), "processor credentials unreadable");
                Self::new(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "processor_credentials_unreadable",
                    "The stored processor credentials cannot be opened with this server's key. Connect the processor again.",
                )
            }
            ProcessorSettingsError::Processor(e) => processor_failed(&e),
            ProcessorSettingsError::Store(e) => e.into(),
        }
    }
}

/// 409 `processor_not_configured`.
fn not_configured() -> ApiError {
    ApiError::conflict(
        "processor_not_configured",
        "No processor is connected. Connect one with PUT /api/crm/account/processor.",
    )
}

/// The processor did not do what was asked: 502, since the fault is
/// between this server and the processor, with what the processor said
/// (adapters keep secrets out of their messages).
fn processor_failed(err: &ProcessorError) -> ApiError {
    let code = match err {
        ProcessorError::Unavailable(_) => return processor_unavailable(err),
        ProcessorError::Unauthorized(_) => "processor_unauthorized",
        ProcessorError::NotFound | ProcessorError::Declined(_) | ProcessorError::Rejected(_) => {
            "processor_refused"
        }
    };
    tracing::warn!(error = %err, "processor refused");
    ApiError::new(StatusCode::BAD_GATEWAY, code, sentence(err))
}

/// 502 `processor_unavailable`: unreachable, timed out or failing.
fn processor_unavailable(err: &ProcessorError) -> ApiError {
    tracing::warn!(error = %err, "processor unavailable");
    ApiError::new(
        StatusCode::BAD_GATEWAY,
        "processor_unavailable",
        format!("{} Try again later.", sentence(err)),
    )
}

impl From<MethodError> for ApiError {
    fn from(err: MethodError) -> Self {
        let message = sentence(&err);
        match err {
            MethodError::NotFound => Self::not_found("payment method"),
            MethodError::ClientNotFound => Self::not_found("client"),
            MethodError::NotConnected => not_configured(),
            MethodError::Unavailable(e) => processor_failed(&e),
            MethodError::Declined(_) => Self::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "processor_refused",
                message,
            ),
            MethodError::Settings(e) => e.into(),
            MethodError::Store(e) => e.into(),
        }
    }
}

/// A processor's webhook: refused requests are 400 (the processor does not
/// retry them, and nothing was applied); an address no account takes is
/// 404; anything that failed here is 5xx, so the processor sends it again.
impl From<WebhookApplyError> for ApiError {
    fn from(err: WebhookApplyError) -> Self {
        let message = sentence(&err);
        match err {
            WebhookApplyError::UnknownEndpoint => Self::new(
                StatusCode::NOT_FOUND,
                "not_found",
                "No account takes this processor's webhooks at this address.",
            ),
            WebhookApplyError::Refused(refusal) => {
                let code = match refusal {
                    WebhookError::BadSignature => "webhook_signature_invalid",
                    WebhookError::Stale => "webhook_stale",
                    WebhookError::Malformed(_) => "webhook_malformed",
                };
                Self::new(StatusCode::BAD_REQUEST, code, message)
            }
            WebhookApplyError::Payments(e) => e.into(),
            WebhookApplyError::Settings(e) => e.into(),
            WebhookApplyError::Store(e) => e.into(),
        }
    }
}

/// Marking an invoice paid: an invoice with nothing left to pay (a draft,
/// void or paid one) is a status conflict, as it was before payments
/// existed; the rest as for any payment.
pub(crate) fn mark_paid_error(err: PaymentError) -> ApiError {
    match err {
        PaymentError::Allocation { problem, .. } => {
            ApiError::conflict("invalid_status", sentence(&problem))
        }
        other => other.into(),
    }
}

/// One refused allocation of a payment: 422, naming the allocation.
fn allocation(index: usize, problem: &AllocationProblem, message: String) -> ApiError {
    let at = |part: &str| format!("allocations[{index}].{part}");
    let (code, field) = match problem {
        AllocationProblem::NotFound => ("unknown_invoice", at("invoice_id")),
        AllocationProblem::NotAnInvoice => ("not_an_invoice", at("invoice_id")),
        AllocationProblem::OfAnotherClient => ("invoice_of_another_client", at("invoice_id")),
        AllocationProblem::CurrencyMismatch { .. } => ("currency_mismatch", at("invoice_id")),
        AllocationProblem::NotPayable(_) => ("invoice_not_payable", at("invoice_id")),
        AllocationProblem::OverAllocated { .. } => ("over_allocated", at("amount")),
    };
    ApiError::unprocessable(code, field, message)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn answer(err: impl Into<ApiError>) -> (u16, &'static str) {
        let err = err.into();
        (err.status().as_u16(), err.code())
    }

    #[test]
    fn processor_outcomes_have_their_own_codes() {
        let unavailable = || ProcessorError::Unavailable("timed out".into());
        let refused = || ProcessorError::Rejected("charge already refunded".into());
        assert_eq!(
            answer(PaymentError::Processor(unavailable())),
            (502, "processor_unavailable")
        );
        assert_eq!(
            answer(PaymentError::Processor(refused())),
            (422, "processor_refused")
        );
        assert_eq!(
            answer(PaymentError::Processor(ProcessorError::Declined(
                "insufficient funds".into()
            ))),
            (422, "processor_refused")
        );
        assert_eq!(
            answer(PaymentError::ProcessorDisconnected),
            (409, "processor_disconnected")
        );
        assert_eq!(
            answer(ProcessorSettingsError::NotConnected),
            (409, "processor_not_configured")
        );
        assert_eq!(
            answer(ProcessorSettingsError::Unreadable),
            (500, "processor_credentials_unreadable")
        );
        for (err, code) in [
            (unavailable(), "processor_unavailable"),
            (
                ProcessorError::Unauthorized("invalid API key".into()),
                "processor_unauthorized",
            ),
            (refused(), "processor_refused"),
        ] {
            assert_eq!(answer(ProcessorSettingsError::Processor(err)), (502, code));
        }
    }

    #[test]
    fn refused_webhooks_are_400_and_unknown_addresses_404() {
        for (err, code) in [
            (WebhookError::BadSignature, "webhook_signature_invalid"),
            (WebhookError::Stale, "webhook_stale"),
            (WebhookError::Malformed("no id".into()), "webhook_malformed"),
        ] {
            assert_eq!(answer(WebhookApplyError::Refused(err)), (400, code));
        }
        assert_eq!(
            answer(WebhookApplyError::UnknownEndpoint),
            (404, "not_found")
        );
        assert_eq!(
            answer(WebhookApplyError::Payments(
                PaymentError::ChangedConcurrently
            ))
            .0,
            409,
            "the processor sends it again"
        );
    }
}
