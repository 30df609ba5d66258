//! Rows of payments, refunds and their allocations to invoices.

use diesel::prelude::*;
use portal_domain::ports::StoreError;
use portal_domain::{
    AccountId, Allocation, CardBrand, ClientId, ConnectionId, Currency, Description, DocumentId,
    Last4, ManualKind, Money, Payment, PaymentId, PaymentMethod, PaymentRecord, PaymentStatus,
    ProcessorCharge, ProcessorKind, ProcessorRef, Reference, Refund, RefundId,
};

use super::{corrupt, known, parsed, required, signed, unsigned};
use crate::schema::{payment_allocations, payments, refund_allocations, refunds};
use crate::sql_types::{Id, Time};

/// A payment method from its columns: its family and, for a manual
/// payment, its kind; for a card, its brand; for a card or a bank debit,
/// the last four digits when known.
pub(super) fn method(
    family: &str,
    kind: Option<&str>,
    brand: Option<&str>,
    last4: Option<&str>,
) -> Result<PaymentMethod, StoreError> {
    let last4 = || {
        last4
            .map(|t| parsed("payments.method_last4", Last4::parse(t)))
            .transpose()
    };
    match family {
        "manual" => {
            let kind = required("payments.manual_kind", kind)?;
            Ok(PaymentMethod::Manual(known(
                "payments.manual_kind",
                kind,
                ManualKind::parse(kind),
            )?))
        }
        "card" => {
            let brand = required("payments.card_brand", brand)?;
            Ok(PaymentMethod::Card {
                brand: known("payments.card_brand", brand, CardBrand::parse(brand))?,
                last4: last4()?,
            })
        }
        "bank_debit" => Ok(PaymentMethod::BankDebit { last4: last4()? }),
        other => Err(corrupt(format_args!(
            "payments.method: unknown value {other:?}"
        ))),
    }
}

/// A payment method as its columns keep it.
#[derive(Debug, AsChangeset)]
#[diesel(table_name = payments, treat_none_as_null = true)]
pub(crate) struct MethodColumns {
    method: String,
    manual_kind: Option<String>,
    card_brand: Option<String>,
    method_last4: Option<String>,
}

impl From<PaymentMethod> for MethodColumns {
    fn from(m: PaymentMethod) -> Self {
        let (manual_kind, card_brand, last4) = match m {
            PaymentMethod::Manual(kind) => (Some(kind.as_str()), None, None),
            PaymentMethod::Card { brand, last4 } => (None, Some(brand.as_str()), last4),
            PaymentMethod::BankDebit { last4 } => (None, None, last4),
        };
        Self {
            method: m.type_str().to_owned(),
            manual_kind: manual_kind.map(str::to_owned),
            card_brand: card_brand.map(str::to_owned),
            method_last4: last4.map(|l| l.as_str().to_owned()),
        }
    }
}

/// The charge of a payment made through a processor, from its columns;
/// `None` for one that was not.
fn charge(
    processor: Option<&str>,
    connection: Option<Id>,
    reference: Option<&str>,
) -> Result<Option<ProcessorCharge>, StoreError> {
    let Some(kind) = processor else {
        return Ok(None);
    };
    Ok(Some(ProcessorCharge {
        kind: known("payments.processor", kind, ProcessorKind::parse(kind))?,
        connection_id: ConnectionId::from_uuid(
            required("payments.processor_connection_id", connection)?.0,
        ),
        reference: reference
            .map(|r| parsed("payments.processor_charge_ref", ProcessorRef::parse(r)))
            .transpose()?,
    }))
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
    card_brand: Option<String>,
    method_last4: Option<String>,
    reference: Option<String>,
    received_at: Time,
    status: String,
    created_at: Time,
    version: i64,
    processor: Option<String>,
    processor_connection_id: Option<Id>,
    processor_charge_ref: Option<String>,
    failure: Option<String>,
}

impl From<&Payment> for PaymentRow {
    fn from(p: &Payment) -> Self {
        let MethodColumns {
            method,
            manual_kind,
            card_brand,
            method_last4,
        } = MethodColumns::from(p.method());
        let charge = p.processor();
        Self {
            id: Id(p.id().as_uuid()),
            account_id: Id(p.account_id().as_uuid()),
            client_id: Id(p.client_id().as_uuid()),
            currency: p.currency().code().to_owned(),
            amount_minor: p.amount().minor(),
            method,
            manual_kind,
            card_brand,
            method_last4,
            reference: p.reference().map(ToString::to_string),
            received_at: Time(p.received_at()),
            status: p.status().as_str().to_owned(),
            created_at: Time(p.created_at()),
            version: signed(p.version()),
            processor: charge.map(|c| c.kind.as_str().to_owned()),
            processor_connection_id: charge.map(|c| Id(c.connection_id.as_uuid())),
            processor_charge_ref: charge
                .and_then(|c| c.reference.as_ref())
                .map(|r| r.as_str().to_owned()),
            failure: p.failure().map(str::to_owned),
        }
    }
}

/// What settling a processor payment writes: its status, method, charge
/// reference, failure and version.
#[derive(Debug, AsChangeset)]
#[diesel(table_name = payments, treat_none_as_null = true)]
pub(crate) struct SettlementRow {
    status: String,
    #[diesel(embed)]
    method: MethodColumns,
    processor_charge_ref: Option<String>,
    failure: Option<String>,
    version: i64,
}

impl From<&Payment> for SettlementRow {
    fn from(p: &Payment) -> Self {
        Self {
            status: p.status().as_str().to_owned(),
            method: MethodColumns::from(p.method()),
            processor_charge_ref: p
                .processor()
                .and_then(|c| c.reference.as_ref())
                .map(|r| r.as_str().to_owned()),
            failure: p.failure().map(str::to_owned),
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
        method: method(
            &r.method,
            r.manual_kind.as_deref(),
            r.card_brand.as_deref(),
            r.method_last4.as_deref(),
        )?,
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
        processor: charge(
            r.processor.as_deref(),
            r.processor_connection_id,
            r.processor_charge_ref.as_deref(),
        )?,
        failure: r.failure,
    };
    Payment::restore(record).map_err(|e| corrupt(format_args!("payment {}: {e}", r.id.0)))
}
