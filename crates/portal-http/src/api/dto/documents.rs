//! Wire types of invoices, estimates and contracts: one request type per
//! kind, so each kind's description lists exactly the fields it takes.

use portal_domain::{
    AppliedPayment, ClientId, Currency, Description, Document, DocumentInput, DocumentKind,
    DocumentNumber, DocumentStatus, LineItem, Money, Quantity, ValidationError,
};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::account::present;
use super::payments::Method;
use super::time;
use crate::api::schema::{
    self, CurrencyCode, DescriptionText, NumberText, QuantityValue, UnitAmount, cursor_schema,
    limit_schema,
};

/// One line of a document.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct LineInput {
    pub(crate) description: DescriptionText,
    pub(crate) quantity: QuantityValue,
    pub(crate) unit_amount: UnitAmount,
}

/// A field another kind of document has: refused when present, with a
/// message saying which kind it belongs to.
type Foreign = Option<Option<serde_json::Value>>;

/// A draft invoice.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct CreateInvoice {
    #[schema(format = "uuid")]
    pub(crate) client_id: String,
    pub(crate) number: NumberText,
    pub(crate) title: Option<DescriptionText>,
    pub(crate) currency: CurrencyCode,
    #[schema(format = Date, pattern = "^(19|2[0-9])[0-9]{2}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$")]
    pub(crate) issue_date: String,
    /// When payment is due; not before `issue_date`.
    #[schema(value_type = String, required = true, format = Date, pattern = "^(19|2[0-9])[0-9]{2}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$")]
    pub(crate) due_date: Option<String>,
    #[serde(default)]
    #[schema(required = true, min_items = 1, max_items = 500)]
    pub(crate) lines: Vec<LineInput>,
    #[serde(default, deserialize_with = "present")]
    #[schema(ignore)]
    pub(crate) valid_until: Foreign,
}

/// A draft estimate.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct CreateEstimate {
    #[schema(format = "uuid")]
    pub(crate) client_id: String,
    pub(crate) number: NumberText,
    pub(crate) title: Option<DescriptionText>,
    pub(crate) currency: CurrencyCode,
    #[schema(format = Date, pattern = "^(19|2[0-9])[0-9]{2}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$")]
    pub(crate) issue_date: String,
    /// Until when the estimate holds; not before `issue_date`.
    #[schema(format = Date, pattern = "^(19|2[0-9])[0-9]{2}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$")]
    pub(crate) valid_until: Option<String>,
    #[serde(default)]
    #[schema(required = true, min_items = 1, max_items = 500)]
    pub(crate) lines: Vec<LineInput>,
    #[serde(default, deserialize_with = "present")]
    #[schema(ignore)]
    pub(crate) due_date: Foreign,
}

/// A draft contract; lines are optional.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct CreateContract {
    #[schema(format = "uuid")]
    pub(crate) client_id: String,
    pub(crate) number: NumberText,
    pub(crate) title: Option<DescriptionText>,
    pub(crate) currency: CurrencyCode,
    #[schema(format = Date, pattern = "^(19|2[0-9])[0-9]{2}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$")]
    pub(crate) issue_date: String,
    #[serde(default)]
    #[schema(max_items = 500)]
    pub(crate) lines: Vec<LineInput>,
    #[serde(default, deserialize_with = "present")]
    #[schema(ignore)]
    pub(crate) due_date: Foreign,
    #[serde(default, deserialize_with = "present")]
    #[schema(ignore)]
    pub(crate) valid_until: Foreign,
}

/// The fields every kind shares, checked into domain values.
struct Common<'a> {
    client_id: &'a str,
    number: &'a NumberText,
    title: Option<&'a DescriptionText>,
    currency: &'a CurrencyCode,
    issue_date: &'a str,
    lines: &'a [LineInput],
}

fn refuse_foreign(field: &str, value: &Foreign, why: &str) -> Result<(), ValidationError> {
    match value {
        Some(_) => Err(ValidationError::new(field, why)),
        None => Ok(()),
    }
}

fn input(
    kind: DocumentKind,
    c: &Common<'_>,
    due: Option<&str>,
) -> Result<DocumentInput, ValidationError> {
    let client_id: ClientId = schema::id("client_id", c.client_id)?;
    let currency = schema::currency("currency", c.currency)?;
    let lines = c
        .lines
        .iter()
        .enumerate()
        .map(|(i, line)| line_item(i, line, currency))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(DocumentInput {
        kind,
        client_id,
        number: DocumentNumber::parse("number", &c.number.0)?,
        title: c
            .title
            .map(|t| Description::parse("title", &t.0))
            .transpose()?,
        currency,
        issue_date: schema::date("issue_date", c.issue_date)?,
        due_date: due.map(|d| schema::date(kind.due_field(), d)).transpose()?,
        lines,
    })
}

fn line_item(i: usize, line: &LineInput, currency: Currency) -> Result<LineItem, ValidationError> {
    let at = format!("lines[{i}]");
    let description = Description::parse(&format!("{at}.description"), &line.description.0)?;
    let field = format!("{at}.quantity");
    let quantity = match &line.quantity.0 {
        serde_json::Value::Number(n) => Quantity::parse(&field, &n.to_string()),
        serde_json::Value::String(s) => Quantity::parse(&field, s),
        _ => Err(ValidationError::new(field, "must be a number")),
    }?;
    // The line checks the range of the unit price itself.
    LineItem::new(
        description,
        quantity,
        Money::new(line.unit_amount.0, currency),
    )
    .map_err(|e| e.within(&at))
}

impl CreateInvoice {
    pub(crate) fn input(&self) -> Result<DocumentInput, ValidationError> {
        refuse_foreign(
            "valid_until",
            &self.valid_until,
            "applies to estimates; invoices have a due_date",
        )?;
        input(
            DocumentKind::Invoice,
            &self.common(),
            self.due_date.as_deref(),
        )
    }

    fn common(&self) -> Common<'_> {
        Common {
            client_id: &self.client_id,
            number: &self.number,
            title: self.title.as_ref(),
            currency: &self.currency,
            issue_date: &self.issue_date,
            lines: &self.lines,
        }
    }
}

impl CreateEstimate {
    pub(crate) fn input(&self) -> Result<DocumentInput, ValidationError> {
        refuse_foreign(
            "due_date",
            &self.due_date,
            "applies to invoices; estimates have valid_until",
        )?;
        let common = Common {
            client_id: &self.client_id,
            number: &self.number,
            title: self.title.as_ref(),
            currency: &self.currency,
            issue_date: &self.issue_date,
            lines: &self.lines,
        };
        input(DocumentKind::Estimate, &common, self.valid_until.as_deref())
    }
}

impl CreateContract {
    pub(crate) fn input(&self) -> Result<DocumentInput, ValidationError> {
        refuse_foreign("due_date", &self.due_date, "does not apply to a contract")?;
        refuse_foreign(
            "valid_until",
            &self.valid_until,
            "does not apply to a contract",
        )?;
        let common = Common {
            client_id: &self.client_id,
            number: &self.number,
            title: self.title.as_ref(),
            currency: &self.currency,
            issue_date: &self.issue_date,
            lines: &self.lines,
        };
        input(DocumentKind::Contract, &common, None)
    }
}

/// Which documents to list.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub(crate) struct DocumentQuery {
    /// Only this client's documents.
    #[param(format = "uuid")]
    pub(crate) client_id: Option<String>,
    /// Items per page.
    #[param(schema_with = limit_schema)]
    pub(crate) limit: Option<u32>,
    /// The `next_cursor` of the previous page.
    #[param(schema_with = cursor_schema)]
    pub(crate) cursor: Option<String>,
}

/// Sending a document to one of its client's contacts.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct SendDocument {
    #[schema(format = "uuid")]
    pub(crate) contact_id: String,
}

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
    method: Method,
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
            method: Method::of(a.method),
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
