//! Rows of payments, refunds and their allocations to invoices.

use diesel::prelude::*;
use portal_domain::ports::StoreError;
use portal_domain::{
    AccountId, Allocation, ClientId, Currency, Description, DocumentId, ManualKind, Money, Payment,
    PaymentId, PaymentMethod, PaymentRecord, PaymentStatus, Reference, Refund, RefundId,
};

use super::{corrupt, known, parsed, required, signed, unsigned};
use crate::schema::{payment_allocations, payments, refund_allocations, refunds};
use crate::sql_types::{Id, Time};

/// A payment method from its family and, for a manual payment, its kind.
pub(super) fn method(family: &str, kind: Option<&str>) -> Result<PaymentMethod, StoreError> {
    match family {
        "manual" => {
            let kind = required("payments.manual_kind", kind)?;
            Ok(PaymentMethod::Manual(known(
                "payments.manual_kind",
                kind,
                ManualKind::parse(kind),
            )?))
        }
        other => Err(corrupt(format_args!(
            "payments.method: unknown value {other:?}"
        ))),
    }
}

#[derive(Debug, Queryable, Selectable, Insertable)]
#[diesel(table_name = payments)]
#[diesel(check_for_backend(diesel::pg::Pg, diesel::sqlite::Sqlite))]
pub(crate) struct PaymentRow {
    pub(crate) id: Id,
    account_id: Id,
    client_id: Id,
    currency: String,
    amount_minor: i64,
    method: String,
    manual_kind: Option<String>,
    reference: Option<String>,
    received_at: Time,
    status: String,
    created_at: Time,
    version: i64,
}

impl From<&Payment> for PaymentRow {
    fn from(p: &Payment) -> Self {
        let PaymentMethod::Manual(kind) = p.method();
        Self {
            id: Id(p.id().as_uuid()),
            account_id: Id(p.account_id().as_uuid()),
            client_id: Id(p.client_id().as_uuid()),
            currency: p.currency().code().to_owned(),
            amount_minor: p.amount().minor(),
            method: p.method().type_str().to_owned(),
            manual_kind: Some(kind.as_str().to_owned()),
            reference: p.reference().map(ToString::to_string),
            received_at: Time(p.received_at()),
            status: p.status().as_str().to_owned(),
            created_at: Time(p.created_at()),
            version: signed(p.version()),
        }
    }
}

/// Part of a payment or refund, on one invoice, at its place in the list.
#[derive(Debug, Queryable, Selectable, Insertable)]
#[diesel(table_name = payment_allocations)]
#[diesel(check_for_backend(diesel::pg::Pg, diesel::sqlite::Sqlite))]
pub(crate) struct AllocationRow {
    pub(crate) payment_id: Id,
    position: i32,
    document_id: Id,
    amount_minor: i64,
}

impl AllocationRow {
    pub(crate) fn all(p: &Payment) -> Vec<Self> {
        p.allocations()
            .iter()
            .zip(0..)
            .map(|(a, position)| Self {
                payment_id: Id(p.id().as_uuid()),
                position,
                document_id: Id(a.document_id.as_uuid()),
                amount_minor: a.amount.minor(),
            })
            .collect()
    }
}

#[derive(Debug, Queryable, Selectable, Insertable)]
#[diesel(table_name = refunds)]
#[diesel(check_for_backend(diesel::pg::Pg, diesel::sqlite::Sqlite))]
pub(crate) struct RefundRow {
    pub(crate) id: Id,
    pub(crate) payment_id: Id,
    payment_version: i64,
    amount_minor: i64,
    reason: Option<String>,
    created_at: Time,
}

#[derive(Debug, Queryable, Selectable, Insertable)]
#[diesel(table_name = refund_allocations)]
#[diesel(check_for_backend(diesel::pg::Pg, diesel::sqlite::Sqlite))]
pub(crate) struct RefundAllocationRow {
    pub(crate) refund_id: Id,
    position: i32,
    document_id: Id,
    amount_minor: i64,
}

/// The rows of `refund`, made when its payment was at `payment_version`.
pub(crate) fn refund_rows(
    refund: &Refund,
    payment_version: u64,
) -> (RefundRow, Vec<RefundAllocationRow>) {
    let row = RefundRow {
        id: Id(refund.id.as_uuid()),
        payment_id: Id(refund.payment_id.as_uuid()),
        payment_version: signed(payment_version.saturating_add(1)),
        amount_minor: refund.amount.minor(),
        reason: refund.reason.as_ref().map(ToString::to_string),
        created_at: Time(refund.created_at),
    };
    let allocations = refund
        .allocations
        .iter()
        .zip(0..)
        .map(|(a, position)| RefundAllocationRow {
            refund_id: row.id,
            position,
            document_id: Id(a.document_id.as_uuid()),
            amount_minor: a.amount.minor(),
        })
        .collect();
    (row, allocations)
}

/// A payment from its row, its allocations (in position order) and its
/// refunds (in the order they were made) with their allocations.
pub(crate) fn payment(
    r: PaymentRow,
    allocations: Vec<AllocationRow>,
    refunds: Vec<(RefundRow, Vec<RefundAllocationRow>)>,
) -> Result<Payment, StoreError> {
    let currency = parsed(
        "payments.currency",
        Currency::parse("currency", &r.currency),
    )?;
    let money = |minor| Money::new(minor, currency);
    let refunds = refunds
        .into_iter()
        .map(|(refund, allocations)| {
            Ok(Refund {
                id: RefundId::from_uuid(refund.id.0),
                payment_id: PaymentId::from_uuid(refund.payment_id.0),
                amount: money(refund.amount_minor),
                reason: refund
                    .reason
                    .map(|t| parsed("refunds.reason", Description::parse("reason", &t)))
                    .transpose()?,
                created_at: refund.created_at.0,
                allocations: allocations
                    .into_iter()
                    .map(|a| Allocation {
                        document_id: DocumentId::from_uuid(a.document_id.0),
                        amount: money(a.amount_minor),
                    })
                    .collect(),
            })
        })
        .collect::<Result<Vec<_>, StoreError>>()?;
    let record = PaymentRecord {
        id: PaymentId::from_uuid(r.id.0),
        account_id: AccountId::from_uuid(r.account_id.0),
        client_id: ClientId::from_uuid(r.client_id.0),
        amount: money(r.amount_minor),
        method: method(&r.method, r.manual_kind.as_deref())?,
        reference: r
            .reference
            .map(|t| parsed("payments.reference", Reference::parse("reference", &t)))
            .transpose()?,
        received_at: r.received_at.0,
        status: known(
            "payments.status",
            &r.status,
            PaymentStatus::parse(&r.status),
        )?,
        allocations: allocations
            .into_iter()
            .map(|a| Allocation {
                document_id: DocumentId::from_uuid(a.document_id.0),
                amount: money(a.amount_minor),
            })
            .collect(),
        refunds,
        created_at: r.created_at.0,
        version: unsigned("payments.version", r.version)?,
    };
    Payment::restore(record).map_err(|e| corrupt(format_args!("payment {}: {e}", r.id.0)))
}
