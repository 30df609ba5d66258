//! `/api/crm/payments`: payments received outside the portal or through the
//! processor, applied to a client's invoices, and their refunds; and
//! `mark-paid`, the shorthand for a manual payment of everything an invoice
//! still owes.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use portal_domain::service::{MarkPaid, PaymentInput};
use portal_domain::{
    Allocation, ClientId, ContactId, Description, DocumentId, Money, PaymentId, Reference,
    ValidationError,
};

use super::dto::document_answers::InvoiceOut;
use super::dto::documents::ClientListQuery;
use super::dto::payments::{
    CreatePayment, CreateRefund, CreatedPaymentOut, MarkPaid as MarkPaidIn, PaymentOut,
    RefundOutcomeOut,
};
use super::dto::{Paged, page, query_id};
use super::schema::{self, id, optional_id};
use crate::error::{ApiError, ErrorBody, mark_paid_error};
use crate::extract::{ApiJson, ApiQuery, Operator, path_id};
use crate::state::AppState;

fn input(body: &CreatePayment) -> Result<PaymentInput, ValidationError> {
    let client_id: ClientId = id("client_id", &body.client_id)?;
    let currency = schema::currency("currency", &body.currency)?;
    let allocations = body
        .allocations
        .iter()
        .enumerate()
        .map(|(i, a)| {
            Ok(Allocation {
                document_id: id(&format!("allocations[{i}].invoice_id"), &a.invoice_id)?,
                amount: Money::parse_positive(
                    &format!("allocations[{i}].amount"),
                    a.amount.0,
                    currency,
                )?,
            })
        })
        .collect::<Result<Vec<_>, ValidationError>>()?;
    Ok(PaymentInput {
        client_id,
        amount: Money::parse_positive("amount", body.amount.0, currency)?,
        method: body.method.domain(),
        reference: body
            .reference
            .as_ref()
            .map(|r| Reference::parse("reference", &r.0))
            .transpose()?,
        received_at: schema::time("received_at", &body.received_at.0)?,
        allocations,
        notify_contact: optional_id::<ContactId>(
            "notify_contact_id",
            body.notify_contact_id.as_deref(),
        )?,
    })
}

/// Records a payment and applies it to the client's invoices; receipts
/// are queued for delivery.
#[utoipa::path(
    post,
    path = "/api/crm/payments",
    tag = "payments",
    operation_id = "create_payment",
    request_body = CreatePayment,
    responses(
        (status = 201, description = "The payment, and where its receipt was queued.", body = CreatedPaymentOut, links(
            ("self" = (operation_id = "get_payment", parameters(("id" = "$response.body#/id")), description = "The payment.")),
            ("client" = (operation_id = "get_client", parameters(("id" = "$response.body#/client_id")), description = "The paying client.")),
            ("first_invoice" = (operation_id = "get_invoice", parameters(("id" = "$response.body#/allocations/0/invoice_id")), description = "The first invoice it paid.")),
        )),
        (status = 422, description = "A refused allocation, naming it: `unknown_invoice`, `not_an_invoice`, `invoice_of_another_client`, `currency_mismatch`, `invoice_not_payable`, `over_allocated`; allocations adding up past the payment (`validation_failed`, field `allocations`); a receipt contact that is none of the client's (`unknown_contact`) or is deactivated (`contact_inactive`), or named for an inactive client (`client_inactive`). Nothing is written.", body = ErrorBody),
        (status = 409, description = "The invoices kept changing meanwhile (`concurrent_change`).", body = ErrorBody),
    )
)]
pub(crate) async fn create(
    State(state): State<AppState>,
    Operator(account): Operator,
    ApiJson(body): ApiJson<CreatePayment>,
) -> Result<(StatusCode, Json<CreatedPaymentOut>), ApiError> {
    let input = input(&body)?;
    let recorded = state
        .services
        .payments
        .record_payment(&account, input)
        .await?;
    state.metrics.payment_recorded();
    Ok((
        StatusCode::CREATED,
        Json(CreatedPaymentOut {
            payment: PaymentOut::from(&recorded.payment),
            receipts_queued_to: recorded
                .receipts_to
                .iter()
                .map(ToString::to_string)
                .collect(),
        }),
    ))
}

/// The account's payments (or one client's), latest received first.
#[utoipa::path(
    get,
    path = "/api/crm/payments",
    tag = "payments",
    operation_id = "list_payments",
    params(ClientListQuery),
    responses((status = 200, description = "A page of payments.", body = Paged<PaymentOut>))
)]
pub(crate) async fn list(
    State(state): State<AppState>,
    Operator(account): Operator,
    ApiQuery(query): ApiQuery<ClientListQuery>,
) -> Result<Json<Paged<PaymentOut>>, ApiError> {
    let client = query_id::<ClientId>("client_id", query.client_id.as_deref())?;
    let request = page(query.limit, query.cursor.as_deref())?;
    let payments = state
        .services
        .payments
        .payments(&account, client, request)
        .await?;
    Ok(Json(Paged::of(payments, |p| PaymentOut::from(&p))))
}

/// One payment, with its allocations and refunds.
#[utoipa::path(
    get,
    path = "/api/crm/payments/{id}",
    tag = "payments",
    operation_id = "get_payment",
    params(("id" = String, Path, format = "uuid", description = "The payment's id.")),
    responses((status = 200, description = "The payment.", body = PaymentOut, links(
        ("client" = (operation_id = "get_client", parameters(("id" = "$response.body#/client_id")), description = "The paying client.")),
        ("first_invoice" = (operation_id = "get_invoice", parameters(("id" = "$response.body#/allocations/0/invoice_id")), description = "The first invoice it paid.")),
    )))
)]
pub(crate) async fn show(
    State(state): State<AppState>,
    Operator(account): Operator,
    Path(payment): Path<String>,
) -> Result<Json<PaymentOut>, ApiError> {
    let id = path_id::<PaymentId>(&payment, "payment")?;
    let payment = state.services.payments.payment(&account, id).await?;
    Ok(Json(PaymentOut::from(&payment)))
}

/// Refunds (part of) a payment: first from its unapplied credit, then from
/// its invoices, the last allocated first; each invoice it reduces reopens.
/// A payment made through the processor is refunded there first.
#[utoipa::path(
    post,
    path = "/api/crm/payments/{id}/refunds",
    tag = "payments",
    operation_id = "create_refund",
    params(("id" = String, Path, format = "uuid", description = "The payment's id.")),
    request_body = CreateRefund,
    responses(
        (status = 201, description = "The refund and the payment after it.", body = RefundOutcomeOut),
        (status = 422, description = "More than is left to refund (`refund_exceeds_payment`), or the processor the payment went through refused the refund (`processor_refused`). Nothing is recorded.", body = ErrorBody),
        (status = 409, description = "The payment did not succeed (`payment_not_refundable`), changed meanwhile (`concurrent_change`), or went through a processor that is no longer connected (`processor_disconnected`). Nothing is recorded.", body = ErrorBody),
        (status = 502, description = "The processor the payment went through could not be reached (`processor_unavailable`); nothing is recorded, and the refund may be tried again.", body = ErrorBody),
    )
)]
pub(crate) async fn refund(
    State(state): State<AppState>,
    Operator(account): Operator,
    Path(payment): Path<String>,
    ApiJson(body): ApiJson<CreateRefund>,
) -> Result<(StatusCode, Json<RefundOutcomeOut>), ApiError> {
    let id = path_id::<PaymentId>(&payment, "payment")?;
    let reason = body
        .reason
        .as_ref()
        .map(|r| Description::parse("reason", &r.0))
        .transpose()?;
    let outcome = state
        .services
        .payments
        .refund(&account, id, body.amount.0, reason)
        .await?;
    Ok((
        StatusCode::CREATED,
        Json(RefundOutcomeOut {
            refund: (&outcome.refund).into(),
            payment: PaymentOut::from(&outcome.payment),
        }),
    ))
}

/// Marks a sent invoice paid: records a manual payment of all it still
/// owes (the body may be left out).
#[utoipa::path(
    post,
    path = "/api/crm/invoices/{id}/mark-paid",
    tag = "invoices",
    operation_id = "mark_invoice_paid",
    params(("id" = String, Path, format = "uuid", description = "The invoice's id.")),
    request_body = MarkPaidIn,
    responses(
        (status = 200, description = "The invoice, paid, with the new payment among its `payments`.", body = InvoiceOut, links(
            ("payment" = (operation_id = "get_payment", parameters(("id" = "$response.body#/payments/0/payment_id")), description = "The invoice's first payment.")),
        )),
        (status = 409, description = "The invoice is a draft, void or already paid (`invalid_status`).", body = ErrorBody),
        (status = 422, description = "The receipt's contact is no contact of the invoice's client (`unknown_contact`), is deactivated (`contact_inactive`), or is named for an inactive client (`client_inactive`).", body = ErrorBody),
    )
)]
pub(crate) async fn mark_paid(
    State(state): State<AppState>,
    Operator(account): Operator,
    Path(invoice): Path<String>,
    ApiJson(body): ApiJson<MarkPaidIn>,
) -> Result<Json<InvoiceOut>, ApiError> {
    let id = path_id::<DocumentId>(&invoice, "invoice")?;
    let how = MarkPaid {
        kind: body.kind.map(|k| k.domain()),
        reference: body
            .reference
            .as_ref()
            .map(|r| Reference::parse("reference", &r.0))
            .transpose()?,
        received_at: body
            .received_at
            .as_ref()
            .map(|t| schema::time("received_at", &t.0))
            .transpose()?,
        notify_contact: optional_id::<ContactId>(
            "notify_contact_id",
            body.notify_contact_id.as_deref(),
        )?,
    };
    let recorded = state
        .services
        .payments
        .mark_paid(&account, id, how)
        .await
        .map_err(mark_paid_error)?;
    state.metrics.payment_recorded();
    let invoice = recorded
        .invoices
        .first()
        .ok_or_else(|| ApiError::internal(&std::io::Error::other("a payment with no invoice")))?;
    Ok(Json(InvoiceOut::from(invoice)))
}
