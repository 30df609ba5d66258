//! Documents a business sends its clients: invoices, estimates, contracts.
//!
//! A [`Document`] is a validating aggregate: its fields are private, a new
//! one starts as a draft from checked input, a stored one comes back
//! through [`Document::restore`], which checks its totals and status again,
//! and every change goes through a method that keeps the rules. An
//! invoice's status after sending follows its [`Ledger`].

mod kind;
mod line;

#[cfg(test)]
mod tests;

use chrono::{DateTime, NaiveDate, Utc};

pub use kind::{DocumentAction, DocumentKind, DocumentStatus, InvalidTransition};
pub use line::{LineItem, Quantity};

use super::ids::{AccountId, ClientId, DocumentId, PaymentId};
use super::ledger::{Ledger, LedgerEntry};
use super::money::{Currency, MAX_MINOR_AMOUNT, Money, MoneyError};
use super::payment::{PaymentMethod, PaymentStatus};
use super::text::{Description, DocumentNumber, ValidationError};

/// What an operator supplies to create a document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DocumentInput {
    pub kind: DocumentKind,
    pub client_id: ClientId,
    pub number: DocumentNumber,
    pub title: Option<Description>,
    pub currency: Currency,
    pub issue_date: NaiveDate,
    /// Invoices: when payment is due (required). Estimates: valid until
    /// (optional). Contracts: not used.
    pub due_date: Option<NaiveDate>,
    pub lines: Vec<LineItem>,
}

/// The most lines one document may have.
pub const MAX_LINES: usize = 500;

/// Everything a store keeps of a document, to rebuild it with
/// [`Document::restore`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DocumentRecord {
    pub id: DocumentId,
    pub account_id: AccountId,
    pub client_id: ClientId,
    pub kind: DocumentKind,
    pub number: DocumentNumber,
    pub title: Option<Description>,
    pub status: DocumentStatus,
    pub currency: Currency,
    pub lines: Vec<LineItem>,
    /// The total as stored: it must be the sum of the lines.
    pub total_minor: i64,
    pub issue_date: NaiveDate,
    pub due_date: Option<NaiveDate>,
    pub ledger: Vec<LedgerEntry>,
    pub created_at: DateTime<Utc>,
    pub sent_at: Option<DateTime<Utc>>,
    pub paid_at: Option<DateTime<Utc>>,
    pub voided_at: Option<DateTime<Utc>>,
    pub version: u64,
}

/// An invoice, estimate or contract.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Document {
    id: DocumentId,
    account_id: AccountId,
    client_id: ClientId,
    kind: DocumentKind,
    number: DocumentNumber,
    title: Option<Description>,
    status: DocumentStatus,
    currency: Currency,
    lines: Vec<LineItem>,
    total: Money,
    issue_date: NaiveDate,
    due_date: Option<NaiveDate>,
    ledger: Ledger,
    created_at: DateTime<Utc>,
    sent_at: Option<DateTime<Utc>>,
    paid_at: Option<DateTime<Utc>>,
    voided_at: Option<DateTime<Utc>>,
    version: u64,
}

/// A change to an invoice's ledger that its rules refuse.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LedgerError {
    #[error("a {status} {kind} cannot take payments", kind = kind.as_str(), status = status.label().to_lowercase())]
    NotPayable {
        kind: DocumentKind,
        status: DocumentStatus,
    },
    #[error("the invoice is in {invoice}, the amount in {amount}")]
    CurrencyMismatch { invoice: Currency, amount: Currency },
    #[error("only {open} of the invoice is open to payment")]
    OverPaid { open: Money },
    #[error("the invoice was paid only {paid}")]
    OverRefunded { paid: Money },
    #[error(transparent)]
    Money(#[from] MoneyError),
}

/// Dates a business document can carry: no earlier than 1900, no later
/// than 2999. Beyond that a date is a typo, and not every store keeps it.
pub(crate) fn check_year(field: &str, date: NaiveDate) -> Result<(), ValidationError> {
    use chrono::Datelike as _;
    if (1900..=2999).contains(&date.year()) {
        Ok(())
    } else {
        Err(ValidationError::new(
            field,
            "must be a date between the years 1900 and 2999",
        ))
    }
}

/// What is still owed on a document of `status` with `total`, when `paid`
/// of it is paid: the rest, for a sent invoice; zero otherwise.
pub(crate) fn amount_due_of(status: DocumentStatus, total: Money, paid: Money) -> Money {
    match status {
        DocumentStatus::Open | DocumentStatus::PartiallyPaid | DocumentStatus::Paid => total
            .checked_sub(paid)
            .unwrap_or(Money::zero(total.currency())),
        _ => Money::zero(total.currency()),
    }
}

/// Whether a document of `kind` in `status` may have something to pay:
/// a sent invoice, not paid yet.
pub(crate) fn outstanding_status(kind: DocumentKind, status: DocumentStatus) -> bool {
    kind == DocumentKind::Invoice
        && matches!(status, DocumentStatus::Open | DocumentStatus::PartiallyPaid)
}

/// The status a sent invoice has when `paid` of its `total` is paid.
fn settled_status(total: Money, paid: Money) -> DocumentStatus {
    if paid.minor() >= total.minor() {
        DocumentStatus::Paid
    } else if paid.is_zero() {
        DocumentStatus::Open
    } else {
        DocumentStatus::PartiallyPaid
    }
}

fn total_of(lines: &[LineItem], currency: Currency) -> Result<Money, ValidationError> {
    if let Some(line) = lines.iter().find(|l| l.currency() != currency) {
        return Err(ValidationError::new(
            "lines",
            format!("must all be in {currency}, not {}", line.currency().code()),
        ));
    }
    let total = lines
        .iter()
        .map(|l| i128::from(l.amount().minor()))
        .sum::<i128>();
    if total < 0 {
        return Err(ValidationError::new(
            "lines",
            "must not add up to a negative total",
        ));
    }
    i64::try_from(total)
        .ok()
        .filter(|t| *t <= MAX_MINOR_AMOUNT)
        .map(|t| Money::new(t, currency))
        .ok_or_else(|| ValidationError::new("lines", "add up to a total that is too large"))
}

impl Document {
    /// A new draft from validated input.
    ///
    /// # Errors
    /// When the kind's rules on dates and lines are not met.
    pub fn draft(
        id: DocumentId,
        account_id: AccountId,
        input: DocumentInput,
        now: DateTime<Utc>,
    ) -> Result<Self, ValidationError> {
        let due_field = input.kind.due_field();
        check_year("issue_date", input.issue_date)?;
        match (input.kind, input.due_date) {
            (DocumentKind::Invoice, None) => {
                return Err(ValidationError::new(
                    due_field,
                    "is required for an invoice",
                ));
            }
            (DocumentKind::Contract, Some(_)) => {
                return Err(ValidationError::new(
                    due_field,
                    "does not apply to a contract",
                ));
            }
            (_, Some(due)) => {
                check_year(due_field, due)?;
                if due < input.issue_date {
                    return Err(ValidationError::new(
                        due_field,
                        "must not be before issue_date",
                    ));
                }
            }
            _ => {}
        }
        if input.kind != DocumentKind::Contract && input.lines.is_empty() {
            return Err(ValidationError::new("lines", "must have at least one line"));
        }
        if input.lines.len() > MAX_LINES {
            return Err(ValidationError::new(
                "lines",
                format!("must have at most {MAX_LINES} lines"),
            ));
        }
        let total = total_of(&input.lines, input.currency)?;
        Ok(Self {
            id,
            account_id,
            client_id: input.client_id,
            kind: input.kind,
            number: input.number,
            title: input.title,
            status: DocumentStatus::Draft,
            currency: input.currency,
            lines: input.lines,
            total,
            issue_date: input.issue_date,
            due_date: input.due_date,
            ledger: Ledger::default(),
            created_at: now,
            sent_at: None,
            paid_at: None,
            voided_at: None,
            version: 0,
        })
    }

    /// A document as a store kept it, checked again: the total is the sum
    /// of the lines, the status is one the kind has, and an invoice's
    /// status is the one its ledger gives.
    ///
    /// # Errors
    /// The field that does not hold, for the store to report as corrupt.
    pub fn restore(record: DocumentRecord) -> Result<Self, ValidationError> {
        let total = total_of(&record.lines, record.currency)?;
        if total.minor() != record.total_minor {
            return Err(ValidationError::new(
                "total",
                format!(
                    "is {} but the lines add up to {}",
                    record.total_minor,
                    total.minor()
                ),
            ));
        }
        if !record.kind.statuses().contains(&record.status) {
            return Err(ValidationError::new(
                "status",
                format!(
                    "{} is not a status of a {}",
                    record.status,
                    record.kind.as_str()
                ),
            ));
        }
        if (record.status == DocumentStatus::Draft) != record.sent_at.is_none()
            && record.status != DocumentStatus::Void
        {
            return Err(ValidationError::new(
                "sent_at",
                "must be set exactly when the document was sent",
            ));
        }
        let document = Self {
            id: record.id,
            account_id: record.account_id,
            client_id: record.client_id,
            kind: record.kind,
            number: record.number,
            title: record.title,
            status: record.status,
            currency: record.currency,
            lines: record.lines,
            total,
            issue_date: record.issue_date,
            due_date: record.due_date,
            ledger: Ledger::new(record.ledger),
            created_at: record.created_at,
            sent_at: record.sent_at,
            paid_at: record.paid_at,
            voided_at: record.voided_at,
            version: record.version,
        };
        document.check_ledger()?;
        Ok(document)
    }

    /// The ledger's rules: only invoices have one; what is paid and
    /// pending stays within the total; a sent invoice's status is the one
    /// its payments give, and a void invoice keeps nothing paid.
    fn check_ledger(&self) -> Result<(), ValidationError> {
        let invalid = |why: String| ValidationError::new("ledger", why);
        if self.kind != DocumentKind::Invoice {
            return if self.ledger.is_empty() {
                Ok(())
            } else {
                Err(invalid(format!(
                    "a {} takes no payments",
                    self.kind.as_str()
                )))
            };
        }
        let paid = self
            .ledger
            .net_paid(self.currency)
            .map_err(|e| invalid(e.to_string()))?;
        let pending = self
            .ledger
            .pending(self.currency)
            .map_err(|e| invalid(e.to_string()))?;
        let committed = paid
            .checked_add(pending)
            .map_err(|e| invalid(e.to_string()))?;
        if paid.is_negative() || committed.minor() > self.total.minor() {
            return Err(invalid(format!(
                "{paid} paid and {pending} pending do not fit a total of {}",
                self.total
            )));
        }
        match self.status {
            DocumentStatus::Draft if !self.ledger.is_empty() => {
                Err(invalid("a draft takes no payments".into()))
            }
            DocumentStatus::Void if !committed.is_zero() => Err(invalid(format!(
                "a void invoice keeps {committed} paid or pending"
            ))),
            DocumentStatus::Open | DocumentStatus::PartiallyPaid | DocumentStatus::Paid
                if self.status != settled_status(self.total, paid) =>
            {
                Err(invalid(format!(
                    "status {} does not match {paid} paid of {}",
                    self.status, self.total
                )))
            }
            _ => Ok(()),
        }
    }

    /// Everything a store keeps of this document.
    pub fn record(&self) -> DocumentRecord {
        DocumentRecord {
            id: self.id,
            account_id: self.account_id,
            client_id: self.client_id,
            kind: self.kind,
            number: self.number.clone(),
            title: self.title.clone(),
            status: self.status,
            currency: self.currency,
            lines: self.lines.clone(),
            total_minor: self.total.minor(),
            issue_date: self.issue_date,
            due_date: self.due_date,
            ledger: self.ledger.entries().to_vec(),
            created_at: self.created_at,
            sent_at: self.sent_at,
            paid_at: self.paid_at,
            voided_at: self.voided_at,
            version: self.version,
        }
    }

    pub fn id(&self) -> DocumentId {
        self.id
    }

    pub fn account_id(&self) -> AccountId {
        self.account_id
    }

    pub fn client_id(&self) -> ClientId {
        self.client_id
    }

    pub fn kind(&self) -> DocumentKind {
        self.kind
    }

    pub fn number(&self) -> &DocumentNumber {
        &self.number
    }

    pub fn title(&self) -> Option<&Description> {
        self.title.as_ref()
    }

    pub fn status(&self) -> DocumentStatus {
        self.status
    }

    pub fn currency(&self) -> Currency {
        self.currency
    }

    pub fn lines(&self) -> &[LineItem] {
        &self.lines
    }

    pub fn total(&self) -> Money {
        self.total
    }

    pub fn issue_date(&self) -> NaiveDate {
        self.issue_date
    }

    /// When an invoice is due, or until when an estimate is valid.
    pub fn due_date(&self) -> Option<NaiveDate> {
        self.due_date
    }

    pub fn ledger(&self) -> &Ledger {
        &self.ledger
    }

    pub fn created_at(&self) -> DateTime<Utc> {
        self.created_at
    }

    pub fn sent_at(&self) -> Option<DateTime<Utc>> {
        self.sent_at
    }

    /// When an invoice became paid in full (cleared if a refund reopens it).
    pub fn paid_at(&self) -> Option<DateTime<Utc>> {
        self.paid_at
    }

    pub fn voided_at(&self) -> Option<DateTime<Utc>> {
        self.voided_at
    }

    /// How many changes the store has seen; writes compare it, so two
    /// racing changes cannot both win.
    pub fn version(&self) -> u64 {
        self.version
    }

    /// The document as the store holds it after a write of it was
    /// committed: the same, one version on.
    #[must_use]
    pub fn bumped(&self) -> Self {
        Self {
            version: self.version + 1,
            ..self.clone()
        }
    }

    /// What the client has paid on this document: succeeded payments less
    /// refunds. Zero for anything but an invoice.
    pub fn amount_paid(&self) -> Money {
        // The ledger was checked when the document was built.
        self.ledger
            .net_paid(self.currency)
            .unwrap_or(Money::zero(self.currency))
    }

    /// What the client still owes on this document: the total less what is
    /// paid, for a sent invoice; zero otherwise.
    pub fn amount_due(&self) -> Money {
        amount_due_of(self.status, self.total, self.amount_paid())
    }

    /// What a new payment may still apply: the amount due less what
    /// payments in flight already claim.
    pub fn amount_open(&self) -> Money {
        let pending = self
            .ledger
            .pending(self.currency)
            .unwrap_or(Money::zero(self.currency));
        self.amount_due()
            .checked_sub(pending)
            .unwrap_or(Money::zero(self.currency))
    }

    /// A document the client was sent; until then (a draft, or a draft
    /// voided before it went out) it is the business's own.
    pub fn visible_in_portal(&self) -> bool {
        self.sent_at.is_some()
    }

    /// A sent invoice with something still to pay.
    pub fn is_outstanding(&self) -> bool {
        outstanding_status(self.kind, self.status) && self.amount_due().is_positive()
    }

    /// Outstanding past its due date, as of the account's `today`.
    pub fn is_overdue(&self, today: NaiveDate) -> bool {
        self.is_outstanding() && self.due_date.is_some_and(|due| due < today)
    }

    /// The document after `action` at `now`. Sending again re-sends a sent
    /// document unchanged; a void document is never sent. A draft or an
    /// invoice with nothing paid or pending can be voided.
    ///
    /// # Errors
    /// [`InvalidTransition`] when the action does not apply.
    pub fn apply(
        &self,
        action: DocumentAction,
        now: DateTime<Utc>,
    ) -> Result<Self, InvalidTransition> {
        use DocumentStatus::{Draft, Open, Paid, PartiallyPaid, Sent, Void};
        let refuse = || InvalidTransition {
            kind: self.kind,
            status: self.status,
            action,
        };
        let mut next = self.clone();
        match (action, self.status) {
            (DocumentAction::Send, Draft) => {
                next.status = self.kind.sent_status();
                next.sent_at = Some(now);
                if next.status == Open && !self.total.is_positive() {
                    // Nothing to pay: settled the moment it is sent.
                    next.status = Paid;
                    next.paid_at = Some(now);
                }
            }
            (DocumentAction::Send, Open | PartiallyPaid | Paid | Sent) => {}
            (DocumentAction::Void, Draft | Sent) => {
                next.status = Void;
                next.voided_at = Some(now);
            }
            (DocumentAction::Void, Open)
                if self.amount_paid().is_zero()
                    && self
                        .ledger
                        .pending(self.currency)
                        .is_ok_and(|p| p.is_zero()) =>
            {
                next.status = Void;
                next.voided_at = Some(now);
            }
            _ => return Err(refuse()),
        }
        Ok(next)
    }

    /// The invoice with `entries` added to its ledger at `now`, its status
    /// following what is now paid.
    ///
    /// # Errors
    /// [`LedgerError::NotPayable`] for anything but a sent, unvoided
    /// invoice; [`LedgerError::CurrencyMismatch`]; [`LedgerError::OverPaid`]
    /// when payments would exceed what is open; [`LedgerError::OverRefunded`]
    /// when refunds would take back more than was paid.
    pub fn with_entries(
        &self,
        entries: impl IntoIterator<Item = LedgerEntry>,
        now: DateTime<Utc>,
    ) -> Result<Self, LedgerError> {
        let payable = self.kind == DocumentKind::Invoice
            && matches!(
                self.status,
                DocumentStatus::Open | DocumentStatus::PartiallyPaid | DocumentStatus::Paid
            );
        if !payable {
            return Err(LedgerError::NotPayable {
                kind: self.kind,
                status: self.status,
            });
        }
        let mut next = self.clone();
        for entry in entries {
            let amount = entry.amount();
            if amount.currency() != self.currency {
                return Err(LedgerError::CurrencyMismatch {
                    invoice: self.currency,
                    amount: amount.currency(),
                });
            }
            match &entry {
                LedgerEntry::Payment { .. } => {
                    let open = next.amount_open();
                    if amount.minor() > open.minor() {
                        return Err(LedgerError::OverPaid { open });
                    }
                }
                LedgerEntry::Refund { .. } => {
                    let paid = next.amount_paid();
                    if amount.minor() > paid.minor() {
                        return Err(LedgerError::OverRefunded { paid });
                    }
                }
            }
            next.ledger.push(entry);
        }
        next.settle_status(self, now)?;
        Ok(next)
    }

    /// The invoice after a payment in flight on it settled: its entries
    /// take `status` and `method`, and the invoice's status follows what
    /// is now paid.
    ///
    /// # Errors
    /// [`LedgerError::NotPayable`] when the payment has no entry on this
    /// invoice or the invoice is no longer payable.
    pub fn with_payment_settled(
        &self,
        payment: PaymentId,
        status: PaymentStatus,
        method: PaymentMethod,
        now: DateTime<Utc>,
    ) -> Result<Self, LedgerError> {
        let refuse = || LedgerError::NotPayable {
            kind: self.kind,
            status: self.status,
        };
        if self.kind != DocumentKind::Invoice {
            return Err(refuse());
        }
        let mut next = self.clone();
        let mut found = false;
        for entry in next.ledger.entries_mut() {
            if let LedgerEntry::Payment {
                payment: id,
                status: entry_status,
                method: entry_method,
                ..
            } = entry
                && *id == payment
            {
                *entry_status = status;
                *entry_method = method;
                found = true;
            }
        }
        if !found {
            return Err(refuse());
        }
        next.settle_status(self, now)?;
        Ok(next)
    }

    /// Derives the status and paid time from the ledger, after `before`.
    fn settle_status(&mut self, before: &Self, now: DateTime<Utc>) -> Result<(), LedgerError> {
        let paid = self.ledger.net_paid(self.currency)?;
        self.status = settled_status(self.total, paid);
        self.paid_at = match (before.status, self.status) {
            (DocumentStatus::Paid, DocumentStatus::Paid) => before.paid_at,
            (_, DocumentStatus::Paid) => Some(now),
            _ => None,
        };
        Ok(())
    }
}
