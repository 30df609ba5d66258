//! Wire types of answers about invoices, estimates and contracts: an
//! invoice with what is paid and due, an estimate or contract, and what
//! sending queued.

use portal_domain::{AppliedPayment, Document, DocumentKind, DocumentStatus};
use serde::Serialize;
use utoipa::ToSchema;

use super::payments::MethodOut;
use super::time;

#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct LineOut {
    description: String,
    /// Exact, with at most 3 decimal places.
    #[schema(value_type = f64)]
    quantity: serde_json::Number,
    unit_amount: i64,
    /// `quantity × unit_amount`, rounded half away from zero.
    amount: i64,
}

fn lines(d: &Document) -> Vec<LineOut> {
    d.lines()
        .iter()
        .map(|l| LineOut {
            description: l.description().to_string(),
            quantity: l
                .quantity()
                .to_string()
                .parse()
                .unwrap_or_else(|_| serde_json::Number::from(0)),
            unit_amount: l.unit_price().minor(),
            amount: l.amount().minor(),
        })
        .collect()
}

/// An invoice's status: open once sent, then partially paid and paid as
/// payments arrive (a refund reopens it).
#[derive(Debug, Clone, Copy, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub(crate) enum InvoiceStatus {
    Draft,
    Open,
    PartiallyPaid,
    Paid,
    Void,
}

/// An estimate's or contract's status.
#[derive(Debug, Clone, Copy, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub(crate) enum SentStatus {
    Draft,
    Sent,
    Void,
}

/// A payment as applied to one invoice.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct AppliedPaymentOut {
    #[schema(format = "uuid")]
    payment_id: String,
    /// What the payment applied to this invoice.
    amount_applied: i64,
    /// What refunds took back of it.
    refunded: i64,
    method: MethodOut,
    reference: Option<String>,
    #[schema(format = DateTime)]
    received_at: String,
}

impl From<&AppliedPayment> for AppliedPaymentOut {
    fn from(a: &AppliedPayment) -> Self {
        Self {
            payment_id: a.payment.to_string(),
            amount_applied: a.applied.minor(),
            refunded: a.refunded.minor(),
            method: a.method.into(),
            reference: a.reference.as_ref().map(ToString::to_string),
            received_at: time(a.received_at),
        }
    }
}

/// An invoice, what is paid on it and what is still due.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct InvoiceOut {
    #[schema(format = "uuid")]
    id: String,
    /// Always `invoice`.
    object: &'static str,
    #[schema(format = "uuid")]
    client_id: String,
    number: String,
    title: Option<String>,
    status: InvoiceStatus,
    currency: &'static str,
    #[schema(format = Date)]
    issue_date: String,
    #[schema(format = Date)]
    due_date: Option<String>,
    lines: Vec<LineOut>,
    total: i64,
    /// Succeeded payments less refunds.
    amount_paid: i64,
    /// What the client still owes (zero for a draft or void invoice).
    amount_due: i64,
    /// The payments applied to it, oldest first.
    payments: Vec<AppliedPaymentOut>,
    #[schema(format = DateTime)]
    created_at: String,
    #[schema(format = DateTime)]
    sent_at: Option<String>,
    #[schema(format = DateTime)]
    paid_at: Option<String>,
    #[schema(format = DateTime)]
    voided_at: Option<String>,
}

impl From<&Document> for InvoiceOut {
    fn from(d: &Document) -> Self {
        let status = match d.status() {
            DocumentStatus::Draft => InvoiceStatus::Draft,
            DocumentStatus::PartiallyPaid => InvoiceStatus::PartiallyPaid,
            DocumentStatus::Paid => InvoiceStatus::Paid,
            DocumentStatus::Void => InvoiceStatus::Void,
            DocumentStatus::Open | DocumentStatus::Sent => InvoiceStatus::Open,
        };
        Self {
            id: d.id().to_string(),
            object: "invoice",
            client_id: d.client_id().to_string(),
            number: d.number().to_string(),
            title: d.title().map(ToString::to_string),
            status,
            currency: d.currency().code(),
            issue_date: d.issue_date().to_string(),
            due_date: d.due_date().map(|day| day.to_string()),
            lines: lines(d),
            total: d.total().minor(),
            amount_paid: d.amount_paid().minor(),
            amount_due: d.amount_due().minor(),
            payments: d
                .ledger()
                .applied_payments(d.currency())
                .unwrap_or_default()
                .iter()
                .map(AppliedPaymentOut::from)
                .collect(),
            created_at: time(d.created_at()),
            sent_at: d.sent_at().map(time),
            paid_at: d.paid_at().map(time),
            voided_at: d.voided_at().map(time),
        }
    }
}

/// An estimate or a contract.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct QuoteOut {
    #[schema(format = "uuid")]
    id: String,
    /// `estimate` or `contract`.
    object: &'static str,
    #[schema(format = "uuid")]
    client_id: String,
    number: String,
    title: Option<String>,
    status: SentStatus,
    currency: &'static str,
    #[schema(format = Date)]
    issue_date: String,
    /// Estimates only: until when it holds.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(format = Date)]
    valid_until: Option<Option<String>>,
    lines: Vec<LineOut>,
    total: i64,
    #[schema(format = DateTime)]
    created_at: String,
    #[schema(format = DateTime)]
    sent_at: Option<String>,
    #[schema(format = DateTime)]
    voided_at: Option<String>,
}

impl From<&Document> for QuoteOut {
    fn from(d: &Document) -> Self {
        let status = match d.status() {
            DocumentStatus::Draft => SentStatus::Draft,
            DocumentStatus::Void => SentStatus::Void,
            _ => SentStatus::Sent,
        };
        Self {
            id: d.id().to_string(),
            object: d.kind().as_str(),
            client_id: d.client_id().to_string(),
            number: d.number().to_string(),
            title: d.title().map(ToString::to_string),
            status,
            currency: d.currency().code(),
            issue_date: d.issue_date().to_string(),
            valid_until: (d.kind() == DocumentKind::Estimate)
                .then(|| d.due_date().map(|day| day.to_string())),
            lines: lines(d),
            total: d.total().minor(),
            created_at: time(d.created_at()),
            sent_at: d.sent_at().map(time),
            voided_at: d.voided_at().map(time),
        }
    }
}

/// What sending answers: the document, who it goes to, and the outbox
/// item that delivers the email. Sending never waits for the mail server.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct Sent<T: ToSchema> {
    pub(crate) document: T,
    pub(crate) sent_to: String,
    /// Always `queued`: the outbox delivers the email, retrying on failure.
    pub(crate) delivery: &'static str,
    /// Follow it at `GET /api/crm/outbox/{id}`.
    #[schema(format = "uuid")]
    pub(crate) outbox_item_id: String,
    /// Whether the email carries a portal link (the client's portal is on).
    pub(crate) portal_link_included: bool,
    #[schema(format = DateTime)]
    pub(crate) link_expires_at: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) notice: Option<&'static str>,
}
