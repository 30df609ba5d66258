//! PDFs of invoices, estimates and receipts: `GET
//! /api/crm/invoices/{id}/pdf`, `/api/crm/estimates/{id}/pdf` and
//! `/api/crm/payments/{id}/receipt.pdf`. Each answers the file as an
//! attachment that no cache keeps; an id of another kind, or a payment
//! with no receipt (pending, failed), is not found.

use axum::extract::{Path, State};
use axum::response::Response;
use portal_domain::service::{DocumentError, Requester};
use portal_domain::{Account, DocumentId, DocumentKind, PaymentId};

use super::schema::Binary;
use crate::attachment::pdf;
use crate::error::{ApiError, ErrorBody, download_error};
use crate::extract::{Operator, path_id};
use crate::state::AppState;

/// A document's PDF, found only under its own kind's path.
async fn document_pdf(
    kind: DocumentKind,
    state: &AppState,
    account: &Account,
    document: &str,
) -> Result<Response, ApiError> {
    let id = path_id::<DocumentId>(document, kind.as_str())?;
    state
        .services
        .documents
        .document(account, kind, id)
        .await
        .map_err(|e| match e {
            DocumentError::NotFound => ApiError::not_found(kind.as_str()),
            other => other.into(),
        })?;
    let rendered = state
        .services
        .downloads
        .document_pdf(Requester::Operator(account), id)
        .await
        .map_err(|e| download_error(kind.as_str(), e))?;
    Ok(pdf(rendered))
}

/// The invoice as a PDF: its lines, total, what is paid and due, and the
/// account's payment instructions. Drafts and void invoices too, marked
/// as such.
#[utoipa::path(
    get,
    path = "/api/crm/invoices/{id}/pdf",
    tag = "invoices",
    operation_id = "get_invoice_pdf",
    params(("id" = String, Path, format = "uuid", description = "The invoice's id.")),
    responses(
        (status = 200, description = "The PDF, as an attachment named after the invoice's number.", content(
            (Binary = "application/pdf"),
        ), headers(
            ("Content-Disposition" = String, description = "`attachment; filename=\"invoice-<number>.pdf\"`"),
        )),
        (status = 500, description = "The PDF could not be rendered (`render_failed`).", body = ErrorBody),
    )
)]
pub(crate) async fn invoice_pdf(
    State(state): State<AppState>,
    Operator(account): Operator,
    Path(invoice): Path<String>,
) -> Result<Response, ApiError> {
    document_pdf(DocumentKind::Invoice, &state, &account, &invoice).await
}

/// The estimate as a PDF.
#[utoipa::path(
    get,
    path = "/api/crm/estimates/{id}/pdf",
    tag = "estimates",
    operation_id = "get_estimate_pdf",
    params(("id" = String, Path, format = "uuid", description = "The estimate's id.")),
    responses(
        (status = 200, description = "The PDF, as an attachment named after the estimate's number.", content(
            (Binary = "application/pdf"),
        ), headers(
            ("Content-Disposition" = String, description = "`attachment; filename=\"estimate-<number>.pdf\"`"),
        )),
        (status = 500, description = "The PDF could not be rendered (`render_failed`).", body = ErrorBody),
    )
)]
pub(crate) async fn estimate_pdf(
    State(state): State<AppState>,
    Operator(account): Operator,
    Path(estimate): Path<String>,
) -> Result<Response, ApiError> {
    document_pdf(DocumentKind::Estimate, &state, &account, &estimate).await
}

/// A succeeded payment's receipt as a PDF: the amount, date, method, the
/// invoices it settled and what they still owe. A payment still pending,
/// or one that failed, has none (404).
#[utoipa::path(
    get,
    path = "/api/crm/payments/{id}/receipt.pdf",
    tag = "payments",
    operation_id = "get_payment_receipt",
    params(("id" = String, Path, format = "uuid", description = "The payment's id.")),
    responses(
        (status = 200, description = "The receipt, as an attachment.", content(
            (Binary = "application/pdf"),
        ), headers(
            ("Content-Disposition" = String, description = "`attachment; filename=\"receipt-<number>.pdf\"`"),
        )),
        (status = 404, description = "No payment with this id, or one that has not succeeded (`not_found`).", body = ErrorBody),
        (status = 500, description = "The PDF could not be rendered (`render_failed`).", body = ErrorBody),
    )
)]
pub(crate) async fn receipt_pdf(
    State(state): State<AppState>,
    Operator(account): Operator,
    Path(payment): Path<String>,
) -> Result<Response, ApiError> {
    let id = path_id::<PaymentId>(&payment, "payment")?;
    let rendered = state
        .services
        .downloads
        .receipt_pdf(Requester::Operator(&account), id)
        .await
        .map_err(|e| download_error("payment", e))?;
    Ok(pdf(rendered))
}
