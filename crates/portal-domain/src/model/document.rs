//! Documents a business sends its clients: invoices, estimates, contracts.
//!
//! This module owns their shape, their totals and which status changes are
//! allowed. Payment, signing and acceptance flows build on these types.

use std::fmt;

use chrono::{DateTime, NaiveDate, Utc};

use super::ids::{AccountId, ClientId, DocumentId};
use super::money::{Currency, MAX_MINOR_AMOUNT, Money};
use super::text::{Description, DocumentNumber, ValidationError};

/// The kinds of document the portal shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DocumentKind {
    Invoice,
    Estimate,
    Contract,
}

impl DocumentKind {
    pub const ALL: [Self; 3] = [Self::Invoice, Self::Estimate, Self::Contract];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Invoice => "invoice",
            Self::Estimate => "estimate",
            Self::Contract => "contract",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == text)
    }

    /// What the document's second date is called: when an invoice is
    /// due, until when an estimate is valid. Contracts have none.
    pub fn due_field(self) -> &'static str {
        match self {
            Self::Invoice | Self::Contract => "due_date",
            Self::Estimate => "valid_until",
        }
    }

    /// "Invoice", "Estimate", "Contract".
    pub fn label(self) -> &'static str {
        match self {
            Self::Invoice => "Invoice",
            Self::Estimate => "Estimate",
            Self::Contract => "Contract",
        }
    }
}

/// Where a document is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DocumentStatus {
    /// Being prepared; never shown to the client.
    Draft,
    /// Sent to a contact; visible in the portal. For an invoice: unpaid.
    Sent,
    /// An invoice settled in full.
    Paid,
    /// Cancelled after it was sent; kept and shown as void.
    Void,
}

impl DocumentStatus {
    pub const ALL: [Self; 4] = [Self::Draft, Self::Sent, Self::Paid, Self::Void];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Draft => "draft",
            Self::Sent => "sent",
            Self::Paid => "paid",
            Self::Void => "void",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.as_str() == text)
    }
}

impl fmt::Display for DocumentStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A line quantity in thousandths, so `1.5` hours is exact.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Quantity(i64);

impl Quantity {
    const SCALE: i64 = 1000;
    /// One million units.
    const MAX: i64 = 1_000_000 * Self::SCALE;

    /// Parses a plain decimal such as `2`, `1.5` or `0.125`.
    ///
    /// # Errors
    /// Not a plain decimal, more than three decimal places, zero, negative
    /// or above one million.
    pub fn parse(field: &str, text: &str) -> Result<Self, ValidationError> {
        let invalid = || {
            ValidationError::new(
                field,
                "must be a positive number with at most 3 decimal places, up to 1000000",
            )
        };
        let (whole, fraction) = text.split_once('.').unwrap_or((text, ""));
        let fraction = fraction.trim_end_matches('0');
        if whole.is_empty()
            || whole.len() > 7
            || fraction.len() > 3
            || !whole.bytes().all(|b| b.is_ascii_digit())
            || !fraction.bytes().all(|b| b.is_ascii_digit())
        {
            return Err(invalid());
        }
        let whole: i64 = whole.parse().map_err(|_| invalid())?;
        let fraction: i64 = format!("{fraction:0<3}").parse().map_err(|_| invalid())?;
        let thousandths = whole * Self::SCALE + fraction;
        if thousandths <= 0 || thousandths > Self::MAX {
            return Err(invalid());
        }
        Ok(Self(thousandths))
    }

    pub const fn from_thousandths(thousandths: i64) -> Self {
        Self(thousandths)
    }

    pub const fn thousandths(self) -> i64 {
        self.0
    }
}

/// `2`, `1.5`, `0.125`: the shortest exact decimal.
impl fmt::Display for Quantity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let whole = self.0 / Self::SCALE;
        let fraction = self.0 % Self::SCALE;
        if fraction == 0 {
            write!(f, "{whole}")
        } else {
            let digits = format!("{fraction:03}");
            write!(f, "{whole}.{}", digits.trim_end_matches('0'))
        }
    }
}

/// One line of a document. `amount` is `quantity × unit_amount`, rounded
/// half away from zero to a whole minor unit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LineItem {
    pub description: Description,
    pub quantity: Quantity,
    pub unit_amount: i64,
    pub amount: i64,
}

impl LineItem {
    /// # Errors
    /// When the unit amount or the line amount is out of range.
    pub fn new(
        description: Description,
        quantity: Quantity,
        unit_amount: i64,
    ) -> Result<Self, ValidationError> {
        if unit_amount.unsigned_abs() > MAX_MINOR_AMOUNT.unsigned_abs() {
            return Err(ValidationError::new("unit_amount", "is too large"));
        }
        let product = i128::from(quantity.thousandths()) * i128::from(unit_amount);
        let scale = i128::from(Quantity::SCALE);
        let rounded = (product.abs() + scale / 2) / scale * product.signum();
        let amount = i64::try_from(rounded)
            .ok()
            .filter(|a| a.unsigned_abs() <= MAX_MINOR_AMOUNT.unsigned_abs())
            .ok_or_else(|| ValidationError::new("quantity", "makes the line amount too large"))?;
        Ok(Self {
            description,
            quantity,
            unit_amount,
            amount,
        })
    }
}

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

/// An invoice, estimate or contract.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Document {
    pub id: DocumentId,
    pub account_id: AccountId,
    pub client_id: ClientId,
    pub kind: DocumentKind,
    pub number: DocumentNumber,
    pub title: Option<Description>,
    pub status: DocumentStatus,
    pub currency: Currency,
    pub lines: Vec<LineItem>,
    pub total: i64,
    pub issue_date: NaiveDate,
    pub due_date: Option<NaiveDate>,
    pub created_at: DateTime<Utc>,
    pub sent_at: Option<DateTime<Utc>>,
    pub paid_at: Option<DateTime<Utc>>,
    pub voided_at: Option<DateTime<Utc>>,
}

/// A status change an operator or a client asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DocumentAction {
    Send,
    Void,
    MarkPaid,
}

/// A status change the document's kind or status does not allow.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("a {status} {kind} cannot be {action}", kind = kind.as_str(), action = past_tense(*action))]
pub struct InvalidTransition {
    pub kind: DocumentKind,
    pub status: DocumentStatus,
    pub action: DocumentAction,
}

fn past_tense(action: DocumentAction) -> &'static str {
    match action {
        DocumentAction::Send => "sent",
        DocumentAction::Void => "voided",
        DocumentAction::MarkPaid => "marked paid",
    }
}

/// Dates a business document can carry: no earlier than 1900, no later
/// than 2999. Beyond that a date is a typo, and not every store keeps it.
fn check_year(field: &str, date: NaiveDate) -> Result<(), ValidationError> {
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
        let total = input
            .lines
            .iter()
            .map(|l| i128::from(l.amount))
            .sum::<i128>();
        if total < 0 {
            return Err(ValidationError::new(
                "lines",
                "must not add up to a negative total",
            ));
        }
        let total = i64::try_from(total)
            .ok()
            .filter(|t| *t <= MAX_MINOR_AMOUNT)
            .ok_or_else(|| ValidationError::new("lines", "add up to a total that is too large"))?;
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
            created_at: now,
            sent_at: None,
            paid_at: None,
            voided_at: None,
        })
    }

    pub fn total_money(&self) -> Money {
        Money::new(self.total, self.currency)
    }

    /// What the client still owes on this document.
    pub fn amount_due(&self) -> Money {
        if self.is_outstanding() {
            self.total_money()
        } else {
            Money::zero(self.currency)
        }
    }

    /// A document the client was sent; until then (a draft, or a draft
    /// voided before it went out) it is the business's own.
    pub fn visible_in_portal(&self) -> bool {
        self.sent_at.is_some()
    }

    /// A sent, unpaid invoice.
    pub fn is_outstanding(&self) -> bool {
        self.kind == DocumentKind::Invoice && self.status == DocumentStatus::Sent
    }

    pub fn is_overdue(&self, today: NaiveDate) -> bool {
        self.is_outstanding() && self.due_date.is_some_and(|due| due < today)
    }

    /// The document after `action` at `now`.
    ///
    /// Sending is allowed again after the first send (a client asks for
    /// the email once more) but never for a void document; only a sent
    /// invoice can be marked paid; a paid invoice cannot be voided.
    ///
    /// # Errors
    /// [`InvalidTransition`] when the action does not apply.
    pub fn apply(
        &self,
        action: DocumentAction,
        now: DateTime<Utc>,
    ) -> Result<Self, InvalidTransition> {
        use DocumentStatus::{Draft, Paid, Sent, Void};
        let refuse = || InvalidTransition {
            kind: self.kind,
            status: self.status,
            action,
        };
        let mut next = self.clone();
        match (action, self.status) {
            (DocumentAction::Send, Draft) => {
                next.status = Sent;
                next.sent_at = Some(now);
            }
            (DocumentAction::Send, Sent | Paid) => {}
            (DocumentAction::Void, Draft | Sent) => {
                next.status = Void;
                next.voided_at = Some(now);
            }
            (DocumentAction::MarkPaid, Sent) if self.kind == DocumentKind::Invoice => {
                next.status = Paid;
                next.paid_at = Some(now);
            }
            _ => return Err(refuse()),
        }
        Ok(next)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{SeededRandom, ts};
    use proptest::prelude::*;

    fn line(quantity: &str, unit: i64) -> LineItem {
        LineItem::new(
            Description::parse("d", "Work").unwrap(),
            Quantity::parse("quantity", quantity).unwrap(),
            unit,
        )
        .unwrap()
    }

    fn input(kind: DocumentKind, lines: Vec<LineItem>) -> DocumentInput {
        let random = SeededRandom::new(9);
        DocumentInput {
            kind,
            client_id: ClientId::generate(&random),
            number: DocumentNumber::parse("number", "INV-1").unwrap(),
            title: None,
            currency: Currency::parse("currency", "USD").unwrap(),
            issue_date: NaiveDate::from_ymd_opt(2026, 11, 1).unwrap(),
            due_date: (kind != DocumentKind::Contract)
                .then(|| NaiveDate::from_ymd_opt(2026, 12, 1).unwrap()),
            lines,
        }
    }

    fn draft(kind: DocumentKind, lines: Vec<LineItem>) -> Result<Document, ValidationError> {
        let random = SeededRandom::new(10);
        Document::draft(
            DocumentId::generate(&random),
            AccountId::generate(&random),
            input(kind, lines),
            ts("2026-11-01T09:00:00Z"),
        )
    }

    #[test]
    fn quantities_are_exact_decimals() {
        assert_eq!(Quantity::parse("q", "2").unwrap().thousandths(), 2000);
        assert_eq!(Quantity::parse("q", "1.5").unwrap().to_string(), "1.5");
        assert_eq!(Quantity::parse("q", "0.125").unwrap().thousandths(), 125);
        assert_eq!(Quantity::parse("q", "3.10").unwrap().to_string(), "3.1");
        for bad in [
            "0",
            "-1",
            "1.2345",
            "1e3",
            "",
            ".5",
            "abc",
            "1000000.001",
            "NaN",
            "99999999999",
        ] {
            assert!(Quantity::parse("q", bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn line_amounts_round_half_away_from_zero() {
        assert_eq!(line("1.5", 333).amount, 500); // 499.5
        assert_eq!(line("0.001", 499).amount, 0); // 0.499
        assert_eq!(line("1.5", -333).amount, -500);
        assert_eq!(line("3", 15_000).amount, 45_000);
    }

    #[test]
    fn totals_add_lines_and_refuse_negative_or_huge_sums() {
        let doc = draft(
            DocumentKind::Invoice,
            vec![line("2", 10_000), line("1", -2_500)],
        )
        .unwrap();
        assert_eq!(doc.total, 17_500);
        assert_eq!(doc.status, DocumentStatus::Draft);
        assert!(draft(DocumentKind::Invoice, vec![line("1", -1)]).is_err());
        let big = LineItem::new(
            Description::parse("d", "x").unwrap(),
            Quantity::parse("q", "1000000").unwrap(),
            MAX_MINOR_AMOUNT,
        );
        assert!(big.is_err());
    }

    #[test]
    fn kinds_have_their_own_date_and_line_rules() {
        assert!(draft(DocumentKind::Invoice, vec![]).is_err());
        assert!(draft(DocumentKind::Contract, vec![]).is_ok());
        let mut no_due = input(DocumentKind::Invoice, vec![line("1", 1)]);
        no_due.due_date = None;
        let random = SeededRandom::new(1);
        let err = Document::draft(
            DocumentId::generate(&random),
            AccountId::generate(&random),
            no_due,
            ts("2026-11-01T00:00:00Z"),
        )
        .unwrap_err();
        assert_eq!(err.field, "due_date");
        let mut backwards = input(DocumentKind::Estimate, vec![line("1", 1)]);
        backwards.due_date = NaiveDate::from_ymd_opt(2026, 10, 1);
        assert!(
            Document::draft(
                DocumentId::generate(&random),
                AccountId::generate(&random),
                backwards,
                ts("2026-11-01T00:00:00Z")
            )
            .is_err()
        );
    }

    #[test]
    fn status_changes_follow_the_rules() {
        let now = ts("2026-11-02T10:00:00Z");
        let doc = draft(DocumentKind::Invoice, vec![line("1", 100)]).unwrap();
        assert!(!doc.visible_in_portal());
        assert!(doc.apply(DocumentAction::MarkPaid, now).is_err());

        let sent = doc.apply(DocumentAction::Send, now).unwrap();
        assert_eq!(sent.status, DocumentStatus::Sent);
        assert_eq!(sent.sent_at, Some(now));
        assert!(sent.visible_in_portal() && sent.is_outstanding());
        assert_eq!(sent.amount_due().minor(), 100);
        assert_eq!(sent.apply(DocumentAction::Send, now).unwrap(), sent);

        let paid = sent.apply(DocumentAction::MarkPaid, now).unwrap();
        assert_eq!(paid.amount_due().minor(), 0);
        let err = paid.apply(DocumentAction::Void, now).unwrap_err();
        assert_eq!(err.to_string(), "a paid invoice cannot be voided");

        let void = sent.apply(DocumentAction::Void, now).unwrap();
        assert!(void.apply(DocumentAction::Send, now).is_err());
        assert!(!void.is_outstanding());

        let estimate = draft(DocumentKind::Estimate, vec![line("1", 100)]).unwrap();
        let sent_estimate = estimate.apply(DocumentAction::Send, now).unwrap();
        assert!(sent_estimate.apply(DocumentAction::MarkPaid, now).is_err());
        assert!(!sent_estimate.is_outstanding());
    }

    #[test]
    fn a_draft_voided_before_sending_stays_private() {
        let now = ts("2026-11-02T10:00:00Z");
        let voided = draft(DocumentKind::Invoice, vec![line("1", 100)])
            .unwrap()
            .apply(DocumentAction::Void, now)
            .unwrap();
        assert!(!voided.visible_in_portal());
        let sent_then_voided = draft(DocumentKind::Invoice, vec![line("1", 100)])
            .unwrap()
            .apply(DocumentAction::Send, now)
            .unwrap()
            .apply(DocumentAction::Void, now)
            .unwrap();
        assert!(sent_then_voided.visible_in_portal());
    }

    #[test]
    fn extreme_amounts_are_refused_not_overflowed() {
        for unit in [i64::MIN, i64::MAX, -MAX_MINOR_AMOUNT - 1] {
            let line = LineItem::new(
                Description::parse("d", "x").unwrap(),
                Quantity::parse("q", "1").unwrap(),
                unit,
            );
            assert_eq!(line.unwrap_err().field, "unit_amount", "{unit}");
        }
    }

    #[test]
    fn dates_stay_within_a_sane_range_and_use_the_kinds_field_name() {
        let random = SeededRandom::new(3);
        let make = |kind, issue: (i32, u32, u32), due: Option<(i32, u32, u32)>| {
            let mut input = input(kind, vec![line("1", 1)]);
            input.issue_date = NaiveDate::from_ymd_opt(issue.0, issue.1, issue.2).unwrap();
            input.due_date = due.map(|(y, m, d)| NaiveDate::from_ymd_opt(y, m, d).unwrap());
            Document::draft(
                DocumentId::generate(&random),
                AccountId::generate(&random),
                input,
                ts("2026-11-01T00:00:00Z"),
            )
        };
        assert_eq!(
            make(DocumentKind::Invoice, (1899, 12, 31), Some((2026, 1, 1)))
                .unwrap_err()
                .field,
            "issue_date"
        );
        assert_eq!(
            make(DocumentKind::Invoice, (2026, 1, 1), Some((3000, 1, 1)))
                .unwrap_err()
                .field,
            "due_date"
        );
        assert_eq!(
            make(DocumentKind::Estimate, (2026, 1, 2), Some((2026, 1, 1)))
                .unwrap_err()
                .field,
            "valid_until"
        );
        assert!(make(DocumentKind::Estimate, (2026, 1, 1), None).is_ok());
    }

    #[test]
    fn overdue_means_outstanding_past_its_due_date() {
        let now = ts("2026-11-02T10:00:00Z");
        let sent = draft(DocumentKind::Invoice, vec![line("1", 100)])
            .unwrap()
            .apply(DocumentAction::Send, now)
            .unwrap();
        assert!(!sent.is_overdue(NaiveDate::from_ymd_opt(2026, 12, 1).unwrap()));
        assert!(sent.is_overdue(NaiveDate::from_ymd_opt(2026, 12, 2).unwrap()));
    }

    proptest! {
        #[test]
        fn a_quantity_prints_back_to_itself(thousandths in 1i64..=1_000_000_000) {
            let q = Quantity::from_thousandths(thousandths);
            prop_assert_eq!(Quantity::parse("q", &q.to_string()), Ok(q));
        }

        #[test]
        fn line_amount_is_within_half_a_unit_of_the_exact_product(
            thousandths in 1i64..=1_000_000_000,
            unit in -1_000_000_000i64..=1_000_000_000,
        ) {
            let exact = i128::from(thousandths) * i128::from(unit);
            match LineItem::new(Description::parse("d", "x").unwrap(), Quantity::from_thousandths(thousandths), unit) {
                Ok(l) => prop_assert!((i128::from(l.amount) * 1000 - exact).abs() <= 500),
                // Refused only when the amount really is out of range.
                Err(_) => prop_assert!(exact.abs() > i128::from(MAX_MINOR_AMOUNT) * 1000),
            }
        }
    }
}
