//! Rows a statement reads: invoices with the entries of their ledgers,
//! succeeded payments and the refunds made of them.

use chrono::NaiveDate;
use diesel::prelude::*;
use portal_domain::ports::StoreError;
use portal_domain::{
    Currency, Description, DocumentId, DocumentNumber, Ledger, Money, PaymentId, Reference,
    RefundId, StatementInvoice, StatementPayment, StatementRefund,
};

use super::documents::ledger;
use super::payments::method;
use super::{PaymentEntryRow, RefundEntryRow, parsed};
use crate::schema::{documents, payments, refunds};
use crate::sql_types::{Id, Time};

/// An invoice as a statement lists it.
#[derive(Debug, Queryable, Selectable)]
#[diesel(table_name = documents)]
#[diesel(check_for_backend(diesel::pg::Pg, diesel::sqlite::Sqlite))]
pub(crate) struct StatementInvoiceRow {
    pub(crate) id: Id,
    number: String,
    title: Option<String>,
    issue_date: NaiveDate,
    due_date: Option<NaiveDate>,
    currency: String,
    total_minor: i64,
}

impl StatementInvoiceRow {
    /// The invoice, with the ledger entries of its payments and refunds.
    pub(crate) fn restore(
        self,
        payments: Vec<PaymentEntryRow>,
        refunds: Vec<RefundEntryRow>,
    ) -> Result<StatementInvoice, StoreError> {
        let currency = parsed(
            "documents.currency",
            Currency::parse("currency", &self.currency),
        )?;
        Ok(StatementInvoice {
            id: DocumentId::from_uuid(self.id.0),
            number: parsed(
                "documents.number",
                DocumentNumber::parse("number", &self.number),
            )?,
            title: self
                .title
                .map(|t| parsed("documents.title", Description::parse("title", &t)))
                .transpose()?,
            issue_date: self.issue_date,
            due_date: self.due_date,
            total: Money::new(self.total_minor, currency),
            ledger: Ledger::new(ledger(payments, refunds)?),
        })
    }
}

/// A succeeded payment as a statement lists it.
#[derive(Debug, Queryable, Selectable)]
#[diesel(table_name = payments)]
#[diesel(check_for_backend(diesel::pg::Pg, diesel::sqlite::Sqlite))]
pub(crate) struct StatementPaymentRow {
    pub(crate) id: Id,
    currency: String,
    amount_minor: i64,
    method: String,
    manual_kind: Option<String>,
    card_brand: Option<String>,
    method_last4: Option<String>,
    reference: Option<String>,
    received_at: Time,
}

/// A refund of a payment a statement lists.
#[derive(Debug, Queryable, Selectable)]
#[diesel(table_name = refunds)]
#[diesel(check_for_backend(diesel::pg::Pg, diesel::sqlite::Sqlite))]
pub(crate) struct StatementRefundRow {
    id: Id,
    pub(crate) payment_id: Id,
    amount_minor: i64,
    reason: Option<String>,
    created_at: Time,
}

impl StatementPaymentRow {
    /// The payment, with its refunds (oldest first).
    pub(crate) fn restore(
        self,
        refunds: Vec<StatementRefundRow>,
    ) -> Result<StatementPayment, StoreError> {
        let currency = parsed(
            "payments.currency",
            Currency::parse("currency", &self.currency),
        )?;
        let refunds = refunds
            .into_iter()
            .map(|r| {
                Ok(StatementRefund {
                    id: RefundId::from_uuid(r.id.0),
                    refunded_at: r.created_at.0,
                    amount: Money::new(r.amount_minor, currency),
                    reason: r
                        .reason
                        .map(|t| parsed("refunds.reason", Description::parse("reason", &t)))
                        .transpose()?,
                })
            })
            .collect::<Result<Vec<_>, StoreError>>()?;
        Ok(StatementPayment {
            id: PaymentId::from_uuid(self.id.0),
            received_at: self.received_at.0,
            amount: Money::new(self.amount_minor, currency),
            method: method(
                &self.method,
                self.manual_kind.as_deref(),
                self.card_brand.as_deref(),
                self.method_last4.as_deref(),
            )?,
            reference: self
                .reference
                .map(|t| parsed("payments.reference", Reference::parse("reference", &t)))
                .transpose()?,
            refunds,
        })
    }
}
