//! The rows of the portal's overview statement, and the [`Overview`] they
//! make.

use std::collections::HashMap;

use chrono::NaiveDate;
use diesel::QueryableByName;
use diesel::sql_types::{BigInt, Bool, Date, Integer, Nullable, Text};
use portal_domain::ports::{Overview, StoreError};
use portal_domain::{
    Currency, DocumentId, DocumentKind, DocumentNumber, DocumentStatus, DocumentSummary, Money,
    PaidInvoice, PaymentId, PaymentStatus, PaymentSummary,
};

use super::payments::method;
use super::{corrupt, known, parsed, required};
use crate::sql_types::{DbUuid, Id, Time, UtcTime};

/// One row of the overview statement; what `section` says it is decides
/// which columns mean something (see `stores/overview.rs`).
#[derive(QueryableByName)]
pub(crate) struct OverviewRow {
    #[diesel(sql_type = Integer)]
    section: i32,
    #[diesel(sql_type = DbUuid)]
    id: Id,
    #[diesel(sql_type = Nullable<DbUuid>)]
    doc: Option<Id>,
    #[diesel(sql_type = Nullable<Text>)]
    kind: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    number: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    status: Option<String>,
    #[diesel(sql_type = Text)]
    currency: String,
    #[diesel(sql_type = BigInt)]
    amount: i64,
    #[diesel(sql_type = BigInt)]
    paid: i64,
    #[diesel(sql_type = BigInt)]
    pending: i64,
    #[diesel(sql_type = Nullable<Date>)]
    issue_date: Option<NaiveDate>,
    #[diesel(sql_type = Nullable<Date>)]
    due_date: Option<NaiveDate>,
    #[diesel(sql_type = UtcTime)]
    at: Time,
    #[diesel(sql_type = Nullable<Text>)]
    manual_kind: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    card_brand: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    last4: Option<String>,
    #[diesel(sql_type = Bool)]
    has_lines: bool,
    #[diesel(sql_type = Integer)]
    position: i32,
}

const OUTSTANDING: i32 = 0;
const DOCUMENT: i32 = 1;
const PAYMENT: i32 = 2;
const APPLIED: i32 = 3;

impl OverviewRow {
    fn currency(&self) -> Result<Currency, StoreError> {
        parsed("currency", Currency::parse("currency", &self.currency))
    }

    fn document(self) -> Result<DocumentSummary, StoreError> {
        let kind = required("documents.kind", self.kind.as_deref())?;
        let status = required("documents.status", self.status.as_deref())?;
        let number = required("documents.number", self.number.as_deref())?;
        let currency = self.currency()?;
        Ok(DocumentSummary {
            id: DocumentId::from_uuid(self.id.0),
            kind: known("documents.kind", kind, DocumentKind::parse(kind))?,
            number: parsed("documents.number", DocumentNumber::parse("number", number))?,
            status: known("documents.status", status, DocumentStatus::parse(status))?,
            total: Money::new(self.amount, currency),
            issue_date: required("documents.issue_date", self.issue_date)?,
            due_date: self.due_date,
            created_at: self.at.0,
            has_lines: self.has_lines,
            paid: Money::new(self.paid, currency),
            pending: Money::new(self.pending, currency),
        })
    }

    fn payment(self) -> Result<PaymentSummary, StoreError> {
        let family = required("payments.method", self.kind.as_deref())?;
        let status = required("payments.status", self.status.as_deref())?;
        let currency = self.currency()?;
        Ok(PaymentSummary {
            id: PaymentId::from_uuid(self.id.0),
            amount: Money::new(self.amount, currency),
            method: method(
                family,
                self.manual_kind.as_deref(),
                self.card_brand.as_deref(),
                self.last4.as_deref(),
            )?,
            received_at: self.at.0,
            status: known("payments.status", status, PaymentStatus::parse(status))?,
            refunded: Money::new(self.paid, currency),
            invoices: Vec::new(),
        })
    }

    fn applied(self) -> Result<(i32, PaidInvoice), StoreError> {
        let number = required("documents.number", self.number.as_deref())?;
        let document = required("payment_allocations.document_id", self.doc)?;
        Ok((
            self.position,
            PaidInvoice {
                document_id: DocumentId::from_uuid(document.0),
                number: parsed("documents.number", DocumentNumber::parse("number", number))?,
                amount: Money::new(self.amount, self.currency()?),
            },
        ))
    }
}

/// The overview from its rows, in the orders [`Overview`] promises.
pub(crate) fn overview(rows: Vec<OverviewRow>) -> Result<Overview, StoreError> {
    let mut outstanding = Vec::new();
    let mut documents = Vec::new();
    let mut payments = Vec::new();
    let mut applied: HashMap<uuid::Uuid, Vec<(i32, PaidInvoice)>> = HashMap::new();
    for row in rows {
        match row.section {
            OUTSTANDING => outstanding.push(row.document()?),
            DOCUMENT => documents.push(row.document()?),
            PAYMENT => payments.push(row.payment()?),
            APPLIED => {
                let payment = row.id.0;
                applied.entry(payment).or_default().push(row.applied()?);
            }
            other => return Err(corrupt(format_args!("overview: unknown section {other}"))),
        }
    }
    documents.sort_by_key(|d: &DocumentSummary| std::cmp::Reverse((d.created_at, d.id.as_uuid())));
    payments.sort_by_key(|p: &PaymentSummary| std::cmp::Reverse((p.received_at, p.id.as_uuid())));
    for payment in &mut payments {
        let mut invoices = applied.remove(&payment.id.as_uuid()).unwrap_or_default();
        invoices.sort_by_key(|(position, _)| *position);
        payment.invoices = invoices.into_iter().map(|(_, invoice)| invoice).collect();
    }
    Ok(Overview {
        outstanding,
        documents,
        payments,
    })
}
