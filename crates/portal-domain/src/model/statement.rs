//! Statements of account: for one client and a range of dates in the
//! account's time zone, per currency, the opening balance, every invoice
//! issued, payment received and refund made in the range in date order
//! with a running balance, the closing balance, and the aging of what is
//! still due at the end of the range.
//!
//! A section is computed by [`SectionStatement`], a pull-driven merge of
//! the client's invoices (by issue date) and payments (by date received)
//! that asks its caller for one page at a time, so a statement of any
//! length is produced in constant memory. Whatever the data, for every
//! section: opening + invoiced − paid + refunded = closing, and the
//! closing balance of a range is the opening balance of the range that
//! follows it.

use std::cmp::{Ordering, Reverse};
use std::collections::{BinaryHeap, VecDeque};
use std::fmt;

use chrono::{DateTime, Datelike as _, Months, NaiveDate, Utc};

use super::account::TimeZone;
use super::document::check_year;
use super::ids::{ClientId, DocumentId, PaymentId, RefundId};
use super::ledger::{Ledger, LedgerEntry};
use super::money::{Currency, Money, MoneyError};
use super::payment::{PaymentMethod, PaymentStatus};
use super::text::{Description, DocumentNumber, Reference, ValidationError};

/// The longest range a statement covers.
pub const MAX_STATEMENT_YEARS: u32 = 10;

/// The dates a statement covers, both inclusive, in the account's zone.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct StatementRange {
    from: NaiveDate,
    to: NaiveDate,
}

impl StatementRange {
    /// # Errors
    /// `from` after `to`, a range longer than [`MAX_STATEMENT_YEARS`], or
    /// a date outside the years 1900 to 2999.
    pub fn new(from: NaiveDate, to: NaiveDate) -> Result<Self, ValidationError> {
        check_year("from", from)?;
        check_year("to", to)?;
        if from > to {
            return Err(ValidationError::new("from", "must not be after to"));
        }
        let limit = from
            .checked_add_months(Months::new(12 * MAX_STATEMENT_YEARS))
            .ok_or_else(|| ValidationError::new("to", "is out of range"))?;
        if to >= limit {
            return Err(ValidationError::new(
                "to",
                format!("must be less than {MAX_STATEMENT_YEARS} years after from"),
            ));
        }
        Ok(Self { from, to })
    }

    /// Reads `YYYY-MM-DD` dates.
    ///
    /// # Errors
    /// A date not in that form, or as for [`StatementRange::new`].
    pub fn parse(from: &str, to: &str) -> Result<Self, ValidationError> {
        Self::new(parse_date("from", from)?, parse_date("to", to)?)
    }

    /// The start of `today`'s year to `today`.
    pub fn year_to_date(today: NaiveDate) -> Self {
        let from = today.with_ordinal(1).unwrap_or(today);
        Self { from, to: today }
    }

    pub fn from(&self) -> NaiveDate {
        self.from
    }

    pub fn to(&self) -> NaiveDate {
        self.to
    }

    /// How many days the range covers.
    pub fn days(&self) -> i64 {
        (self.to - self.from).num_days() + 1
    }
}

impl fmt::Display for StatementRange {
    /// `2026-01-01..2026-11-26`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}..{}", self.from, self.to)
    }
}

/// A date as `YYYY-MM-DD`, exactly.
///
/// # Errors
/// Anything else, named as `field`.
pub fn parse_date(field: &str, text: &str) -> Result<NaiveDate, ValidationError> {
    let shaped = text.len() == 10
        && text.bytes().enumerate().all(|(i, b)| match i {
            4 | 7 => b == b'-',
            _ => b.is_ascii_digit(),
        });
    shaped
        .then(|| NaiveDate::parse_from_str(text, "%Y-%m-%d").ok())
        .flatten()
        .ok_or_else(|| ValidationError::new(field, "must be a date as YYYY-MM-DD"))
}

/// What a statement row records.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EntryKind {
    OpeningBalance,
    Invoice,
    Payment,
    Refund,
    ClosingBalance,
}

impl EntryKind {
    pub const ALL: [Self; 5] = [
        Self::OpeningBalance,
        Self::Invoice,
        Self::Payment,
        Self::Refund,
        Self::ClosingBalance,
    ];

    /// The name in CSV and JSON statements.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::OpeningBalance => "opening_balance",
            Self::Invoice => "invoice",
            Self::Payment => "payment",
            Self::Refund => "refund",
            Self::ClosingBalance => "closing_balance",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::OpeningBalance => "Opening balance",
            Self::Invoice => "Invoice",
            Self::Payment => "Payment",
            Self::Refund => "Refund",
            Self::ClosingBalance => "Closing balance",
        }
    }
}

/// One row of a statement. A positive balance is what the client owes; a
/// negative one is credit in the client's favour.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatementEntry {
    pub date: NaiveDate,
    pub kind: EntryKind,
    /// The invoice number, or the payment's reference (its id when it has
    /// none); empty on balance rows.
    pub reference: String,
    pub description: String,
    pub currency: Currency,
    /// What the row adds to the balance (invoices, refunds).
    pub debit: Option<Money>,
    /// What the row takes off the balance (payments).
    pub credit: Option<Money>,
    pub balance: Money,
}

/// What is still due on invoices at the end of a range, by how long past
/// due it is then.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Aging {
    /// Not yet due.
    pub current: Money,
    pub days_1_30: Money,
    pub days_31_60: Money,
    pub days_61_90: Money,
    pub over_90: Money,
}

impl Aging {
    pub fn zero(currency: Currency) -> Self {
        let zero = Money::zero(currency);
        Self {
            current: zero,
            days_1_30: zero,
            days_31_60: zero,
            days_61_90: zero,
            over_90: zero,
        }
    }

    /// The buckets with their labels, youngest first.
    pub fn buckets(&self) -> [(&'static str, Money); 5] {
        [
            ("Current", self.current),
            ("1–30 days", self.days_1_30),
            ("31–60 days", self.days_31_60),
            ("61–90 days", self.days_61_90),
            ("Over 90 days", self.over_90),
        ]
    }

    /// # Errors
    /// A sum out of range.
    pub fn total(&self) -> Result<Money, MoneyError> {
        Money::sum(self.current.currency(), self.buckets().map(|(_, m)| m))
    }

    fn add(&mut self, days_past_due: i64, amount: Money) -> Result<(), MoneyError> {
        let bucket = match days_past_due {
            ..=0 => &mut self.current,
            1..=30 => &mut self.days_1_30,
            31..=60 => &mut self.days_31_60,
            61..=90 => &mut self.days_61_90,
            _ => &mut self.over_90,
        };
        *bucket = bucket.checked_add(amount)?;
        Ok(())
    }
}

/// The figures of one currency's section.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SectionSummary {
    pub currency: Currency,
    pub opening: Money,
    /// Invoices issued in the range.
    pub invoiced: Money,
    /// Payments received in the range.
    pub paid: Money,
    /// Refunds made in the range.
    pub refunded: Money,
    pub closing: Money,
    /// What invoices still owed at the end of the range. It can differ
    /// from the closing balance by credit not applied to any invoice.
    pub aging: Aging,
}

/// One currency's part of a statement, whole.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatementSection {
    /// The opening row, the rows of the range, the closing row.
    pub entries: Vec<StatementEntry>,
    pub summary: SectionSummary,
}

/// A whole statement: one section per currency, by currency code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Statement {
    pub client: ClientId,
    pub range: StatementRange,
    pub time_zone: TimeZone,
    pub generated_at: DateTime<Utc>,
    pub sections: Vec<StatementSection>,
}

/// An invoice as statements see it: sent, not void.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatementInvoice {
    pub id: DocumentId,
    pub number: DocumentNumber,
    pub title: Option<Description>,
    pub issue_date: NaiveDate,
    pub due_date: Option<NaiveDate>,
    pub total: Money,
    /// Its payments and refunds, for what it still owed at a given time.
    pub ledger: Ledger,
}

/// A refund of a payment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatementRefund {
    pub id: RefundId,
    pub refunded_at: DateTime<Utc>,
    pub amount: Money,
    pub reason: Option<Description>,
}

/// A succeeded payment, with every refund made of it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatementPayment {
    pub id: PaymentId,
    pub received_at: DateTime<Utc>,
    pub amount: Money,
    pub method: PaymentMethod,
    pub reference: Option<Reference>,
    pub refunds: Vec<StatementRefund>,
}

/// Where a page of invoices starts: after this issue date and id.
pub type InvoiceCursor = (NaiveDate, DocumentId);
/// Where a page of payments starts: after this time received and id.
pub type PaymentCursor = (DateTime<Utc>, PaymentId);

/// What a [`SectionStatement`] needs or gives next.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SectionStep {
    /// The next page of invoices issued on or before
    /// [`SectionStatement::invoices_through`], after the cursor; feed it
    /// with [`SectionStatement::feed_invoices`].
    NeedInvoices(Option<InvoiceCursor>),
    /// The next page of payments received before
    /// [`SectionStatement::payments_before`], after the cursor; feed it
    /// with [`SectionStatement::feed_payments`].
    NeedPayments(Option<PaymentCursor>),
    Entry(StatementEntry),
    /// The section's figures, after its closing row.
    End(SectionSummary),
    Done,
}

/// A refund waiting for its date to come up in the merge.
#[derive(Debug, Clone, PartialEq, Eq)]
struct PendingRefund {
    date: NaiveDate,
    at: DateTime<Utc>,
    id: RefundId,
    payment_reference: String,
    amount: Money,
    reason: Option<Description>,
}

impl Ord for PendingRefund {
    fn cmp(&self, other: &Self) -> Ordering {
        (self.date, self.at, self.id).cmp(&(other.date, other.at, other.id))
    }
}

impl PartialOrd for PendingRefund {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    Body,
    Summary,
    Done,
}

/// One currency's section, computed a page at a time (see the module
/// documentation). Rows on the same date come invoices first, then
/// payments, then refunds.
#[derive(Debug)]
pub struct SectionStatement {
    currency: Currency,
    range: StatementRange,
    zone: TimeZone,
    /// The first instant after the range, in the account's zone.
    end: DateTime<Utc>,
    page_size: usize,
    invoices: VecDeque<StatementInvoice>,
    invoices_done: bool,
    invoice_cursor: Option<InvoiceCursor>,
    payments: VecDeque<StatementPayment>,
    payments_done: bool,
    payment_cursor: Option<PaymentCursor>,
    refunds: BinaryHeap<Reverse<PendingRefund>>,
    balance: Money,
    opening: Option<Money>,
    invoiced: Money,
    paid: Money,
    refunded: Money,
    aging: Aging,
    phase: Phase,
}

/// What went wrong computing a statement: data that breaks its own rules.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StatementError {
    #[error("a statement entry is in {found}, its section in {section}")]
    Currency { section: Currency, found: Currency },
    #[error(transparent)]
    Money(#[from] MoneyError),
}

enum Next {
    Invoice,
    Payment,
    Refund,
}

impl SectionStatement {
    /// A section that asks for pages of `page_size` items; a page shorter
    /// than that is taken as the last.
    pub fn new(
        currency: Currency,
        range: StatementRange,
        zone: TimeZone,
        page_size: usize,
    ) -> Self {
        let zero = Money::zero(currency);
        let end = range
            .to
            .succ_opt()
            .map_or_else(|| zone.start_of(range.to), |next| zone.start_of(next));
        Self {
            currency,
            range,
            zone,
            end,
            page_size: page_size.max(1),
            invoices: VecDeque::new(),
            invoices_done: false,
            invoice_cursor: None,
            payments: VecDeque::new(),
            payments_done: false,
            payment_cursor: None,
            refunds: BinaryHeap::new(),
            balance: zero,
            opening: None,
            invoiced: zero,
            paid: zero,
            refunded: zero,
            aging: Aging::zero(currency),
            phase: Phase::Body,
        }
    }

    pub fn currency(&self) -> Currency {
        self.currency
    }

    pub fn page_size(&self) -> usize {
        self.page_size
    }

    /// Invoices issued on or before this date count.
    pub fn invoices_through(&self) -> NaiveDate {
        self.range.to
    }

    /// Payments received before this instant count.
    pub fn payments_before(&self) -> DateTime<Utc> {
        self.end
    }

    /// The next page of invoices, in issue date then id order.
    pub fn feed_invoices(&mut self, page: Vec<StatementInvoice>) {
        self.invoices_done = page.len() < self.page_size;
        if let Some(last) = page.last() {
            self.invoice_cursor = Some((last.issue_date, last.id));
        }
        self.invoices.extend(page);
    }

    /// The next page of payments, in time received then id order.
    pub fn feed_payments(&mut self, page: Vec<StatementPayment>) {
        self.payments_done = page.len() < self.page_size;
        if let Some(last) = page.last() {
            self.payment_cursor = Some((last.received_at, last.id));
        }
        self.payments.extend(page);
    }

    /// The next thing the section needs or gives.
    ///
    /// # Errors
    /// An item in another currency, or sums out of range.
    pub fn step(&mut self) -> Result<SectionStep, StatementError> {
        loop {
            match self.phase {
                Phase::Done => return Ok(SectionStep::Done),
                Phase::Summary => {
                    self.phase = Phase::Done;
                    return Ok(SectionStep::End(self.summary()));
                }
                Phase::Body => {}
            }
            if self.invoices.is_empty() && !self.invoices_done {
                return Ok(SectionStep::NeedInvoices(self.invoice_cursor));
            }
            if self.payments.is_empty() && !self.payments_done {
                return Ok(SectionStep::NeedPayments(self.payment_cursor));
            }
            let Some((date, next)) = self.next_item() else {
                if let Some(opening) = self.open() {
                    return Ok(SectionStep::Entry(opening));
                }
                self.phase = Phase::Summary;
                return Ok(SectionStep::Entry(
                    self.balance_row(self.range.to, EntryKind::ClosingBalance),
                ));
            };
            if date >= self.range.from
                && let Some(opening) = self.open()
            {
                return Ok(SectionStep::Entry(opening));
            }
            if let Some(entry) = self.take(next, date)? {
                return Ok(SectionStep::Entry(entry));
            }
        }
    }

    /// The opening row, the first time the merge reaches the range.
    fn open(&mut self) -> Option<StatementEntry> {
        if self.opening.is_some() {
            return None;
        }
        self.opening = Some(self.balance);
        Some(self.balance_row(self.range.from, EntryKind::OpeningBalance))
    }

    fn balance_row(&self, date: NaiveDate, kind: EntryKind) -> StatementEntry {
        StatementEntry {
            date,
            kind,
            reference: String::new(),
            description: kind.label().to_owned(),
            currency: self.currency,
            debit: None,
            credit: None,
            balance: self.balance,
        }
    }

    /// The earliest of the next invoice, payment and refund, within the
    /// range's end.
    fn next_item(&mut self) -> Option<(NaiveDate, Next)> {
        let invoice = self
            .invoices
            .front()
            .map(|i| i.issue_date)
            .filter(|d| *d <= self.range.to);
        if invoice.is_none() && !self.invoices.is_empty() {
            // Past the range: nothing after it counts either.
            self.invoices.clear();
            self.invoices_done = true;
        }
        let payment = self
            .payments
            .front()
            .map(|p| self.zone.date_of(p.received_at))
            .filter(|d| *d <= self.range.to);
        if payment.is_none() && !self.payments.is_empty() {
            self.payments.clear();
            self.payments_done = true;
        }
        let refund = self.refunds.peek().map(|Reverse(r)| r.date);
        [
            invoice.map(|d| (d, 0u8)),
            payment.map(|d| (d, 1)),
            refund.map(|d| (d, 2)),
        ]
        .into_iter()
        .flatten()
        .min()
        .map(|(date, which)| {
            let next = match which {
                0 => Next::Invoice,
                1 => Next::Payment,
                _ => Next::Refund,
            };
            (date, next)
        })
    }

    fn check(&self, amount: Money) -> Result<(), StatementError> {
        if amount.currency() == self.currency {
            Ok(())
        } else {
            Err(StatementError::Currency {
                section: self.currency,
                found: amount.currency(),
            })
        }
    }

    /// Consumes the next item: a row when it falls in the range, `None`
    /// when it only moves the opening balance.
    fn take(
        &mut self,
        next: Next,
        date: NaiveDate,
    ) -> Result<Option<StatementEntry>, StatementError> {
        let in_range = date >= self.range.from;
        let entry = match next {
            Next::Invoice => {
                let Some(invoice) = self.invoices.pop_front() else {
                    return Ok(None);
                };
                self.check(invoice.total)?;
                self.age(&invoice)?;
                self.balance = self.balance.checked_add(invoice.total)?;
                if in_range {
                    self.invoiced = self.invoiced.checked_add(invoice.total)?;
                }
                StatementEntry {
                    date,
                    kind: EntryKind::Invoice,
                    reference: invoice.number.to_string(),
                    description: invoice.title.as_ref().map_or_else(
                        || match invoice.due_date {
                            Some(due) => format!("Invoice, due {}", due.format("%-d %b %Y")),
                            None => "Invoice".to_owned(),
                        },
                        ToString::to_string,
                    ),
                    currency: self.currency,
                    debit: Some(invoice.total),
                    credit: None,
                    balance: self.balance,
                }
            }
            Next::Payment => {
                let Some(payment) = self.payments.pop_front() else {
                    return Ok(None);
                };
                self.check(payment.amount)?;
                let reference = payment
                    .reference
                    .as_ref()
                    .map_or_else(|| payment.id.to_string(), ToString::to_string);
                for refund in &payment.refunds {
                    self.check(refund.amount)?;
                    let refund_date = self.zone.date_of(refund.refunded_at).max(date);
                    if refund_date <= self.range.to {
                        self.refunds.push(Reverse(PendingRefund {
                            date: refund_date,
                            at: refund.refunded_at,
                            id: refund.id,
                            payment_reference: reference.clone(),
                            amount: refund.amount,
                            reason: refund.reason.clone(),
                        }));
                    }
                }
                self.balance = self.balance.checked_sub(payment.amount)?;
                if in_range {
                    self.paid = self.paid.checked_add(payment.amount)?;
                }
                StatementEntry {
                    date,
                    kind: EntryKind::Payment,
                    reference,
                    description: format!("Payment, {}", payment.method),
                    currency: self.currency,
                    debit: None,
                    credit: Some(payment.amount),
                    balance: self.balance,
                }
            }
            Next::Refund => {
                let Some(Reverse(refund)) = self.refunds.pop() else {
                    return Ok(None);
                };
                self.balance = self.balance.checked_add(refund.amount)?;
                if in_range {
                    self.refunded = self.refunded.checked_add(refund.amount)?;
                }
                StatementEntry {
                    date,
                    kind: EntryKind::Refund,
                    reference: refund.payment_reference,
                    description: refund
                        .reason
                        .map_or_else(|| "Refund".to_owned(), |r| format!("Refund: {r}")),
                    currency: self.currency,
                    debit: Some(refund.amount),
                    credit: None,
                    balance: self.balance,
                }
            }
        };
        Ok(in_range.then_some(entry))
    }

    /// Adds what `invoice` still owed at the end of the range to its
    /// aging bucket.
    fn age(&mut self, invoice: &StatementInvoice) -> Result<(), StatementError> {
        let mut settled = Money::zero(self.currency);
        for entry in invoice.ledger.entries() {
            if entry.at() >= self.end {
                continue;
            }
            self.check(entry.amount())?;
            settled = match entry {
                LedgerEntry::Payment {
                    status: PaymentStatus::Succeeded,
                    amount,
                    ..
                } => settled.checked_add(*amount)?,
                LedgerEntry::Payment { .. } => settled,
                LedgerEntry::Refund { amount, .. } => settled.checked_sub(*amount)?,
            };
        }
        let owed = invoice.total.checked_sub(settled)?;
        if owed.is_positive() {
            let past_due = invoice
                .due_date
                .map_or(0, |due| (self.range.to - due).num_days());
            self.aging.add(past_due, owed)?;
        }
        Ok(())
    }

    fn summary(&self) -> SectionSummary {
        SectionSummary {
            currency: self.currency,
            opening: self.opening.unwrap_or(self.balance),
            invoiced: self.invoiced,
            paid: self.paid,
            refunded: self.refunded,
            closing: self.balance,
            aging: self.aging,
        }
    }
}

/// A whole section from everything at once (both lists sorted as the
/// store sorts them): for statements held in memory, and for tests.
///
/// # Errors
/// As for [`SectionStatement::step`].
pub fn section_of(
    currency: Currency,
    range: StatementRange,
    zone: TimeZone,
    invoices: &[StatementInvoice],
    payments: &[StatementPayment],
) -> Result<StatementSection, StatementError> {
    let mut section = SectionStatement::new(currency, range, zone, usize::MAX);
    let mut entries = Vec::new();
    loop {
        match section.step()? {
            SectionStep::NeedInvoices(_) => section.feed_invoices(
                invoices
                    .iter()
                    .filter(|i| i.total.currency() == currency && i.issue_date <= range.to)
                    .cloned()
                    .collect(),
            ),
            SectionStep::NeedPayments(_) => {
                let end = section.payments_before();
                section.feed_payments(
                    payments
                        .iter()
                        .filter(|p| p.amount.currency() == currency && p.received_at < end)
                        .cloned()
                        .collect(),
                );
            }
            SectionStep::Entry(entry) => entries.push(entry),
            SectionStep::End(summary) => return Ok(StatementSection { entries, summary }),
            SectionStep::Done => unreachable!("a section ends with its summary"),
        }
    }
}

#[cfg(test)]
mod tests;
