//! Documents and payments as the portal's lists show them: no lines, and
//! the amounts their ledgers give already summed, so a store reads a page
//! of them in one query however long the client's history is.

use chrono::{DateTime, NaiveDate, Utc};

use super::document::{Document, DocumentKind, DocumentStatus, amount_due_of, outstanding_status};
use super::ids::{DocumentId, PaymentId};
use super::money::{Currency, Money};
use super::page::Cursor;
use super::payment::{Payment, PaymentMethod, PaymentStatus};
use super::text::DocumentNumber;

/// A document in a list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DocumentSummary {
    pub id: DocumentId,
    pub kind: DocumentKind,
    pub number: DocumentNumber,
    pub status: DocumentStatus,
    pub total: Money,
    pub issue_date: NaiveDate,
    /// Invoices: when payment is due. Estimates: valid until.
    pub due_date: Option<NaiveDate>,
    pub created_at: DateTime<Utc>,
    /// Whether it has lines: a contract may have none, and then no total
    /// worth showing.
    pub has_lines: bool,
    /// Succeeded payments less refunds (zero for anything but an invoice).
    pub paid: Money,
    /// What payments still in flight apply to it.
    pub pending: Money,
}

impl DocumentSummary {
    /// The summary of a whole document.
    pub fn of(document: &Document) -> Self {
        let zero = Money::zero(document.currency());
        Self {
            id: document.id(),
            kind: document.kind(),
            number: document.number().clone(),
            status: document.status(),
            total: document.total(),
            issue_date: document.issue_date(),
            due_date: document.due_date(),
            created_at: document.created_at(),
            has_lines: !document.lines().is_empty(),
            paid: document.amount_paid(),
            pending: document
                .ledger()
                .pending(document.currency())
                .unwrap_or(zero),
        }
    }

    pub fn currency(&self) -> Currency {
        self.total.currency()
    }

    /// What the client still owes, as [`Document::amount_due`].
    pub fn amount_due(&self) -> Money {
        amount_due_of(self.status, self.total, self.paid)
    }

    /// What a new payment may still apply, as [`Document::amount_open`].
    pub fn amount_open(&self) -> Money {
        self.amount_due()
            .checked_sub(self.pending)
            .unwrap_or(Money::zero(self.currency()))
    }

    /// A sent invoice with something still to pay, as
    /// [`Document::is_outstanding`].
    pub fn is_outstanding(&self) -> bool {
        outstanding_status(self.kind, self.status) && self.amount_due().is_positive()
    }

    /// Outstanding past its due date, as of the account's `today`.
    pub fn is_overdue(&self, today: NaiveDate) -> bool {
        self.is_outstanding() && self.due_date.is_some_and(|due| due < today)
    }

    /// Where a page of the portal's document list ends after this one.
    pub fn cursor(&self) -> Cursor {
        Cursor::new(self.created_at, self.id.as_uuid())
    }
}

/// An invoice a listed payment went to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PaidInvoice {
    pub document_id: DocumentId,
    pub number: DocumentNumber,
    pub amount: Money,
}

/// A payment in a list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PaymentSummary {
    pub id: PaymentId,
    pub amount: Money,
    pub method: PaymentMethod,
    pub received_at: DateTime<Utc>,
    pub status: PaymentStatus,
    /// What refunds took back of it.
    pub refunded: Money,
    /// The invoices it paid, in the order it was applied to them.
    pub invoices: Vec<PaidInvoice>,
}

impl PaymentSummary {
    /// The summary of a whole payment; `number` gives the number of each
    /// invoice it went to (`None` when one is not known).
    pub fn of(
        payment: &Payment,
        number: impl Fn(DocumentId) -> Option<DocumentNumber>,
    ) -> Option<Self> {
        let invoices = payment
            .allocations()
            .iter()
            .map(|a| {
                Some(PaidInvoice {
                    document_id: a.document_id,
                    number: number(a.document_id)?,
                    amount: a.amount,
                })
            })
            .collect::<Option<_>>()?;
        Some(Self {
            id: payment.id(),
            amount: payment.amount(),
            method: payment.method(),
            received_at: payment.received_at(),
            status: payment.status(),
            refunded: payment
                .refunded()
                .unwrap_or(Money::zero(payment.currency())),
            invoices,
        })
    }

    /// Where a page of the portal's payment list ends after this one.
    pub fn cursor(&self) -> Cursor {
        Cursor::new(self.received_at, self.id.as_uuid())
    }
}
