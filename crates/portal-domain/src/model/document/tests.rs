//! The document aggregate's rules: lines and totals, dates, per-kind
//! lifecycles, the ledger an invoice's status follows, and `restore`
//! refusing records that break any of them.

use chrono::NaiveDate;
use proptest::prelude::*;

use super::*;
use crate::model::{ClientId, ManualKind, PaymentId, PaymentMethod, PaymentStatus, RefundId};
use crate::testing::{SeededRandom, ts};

fn usd() -> Currency {
    Currency::parse("currency", "USD").unwrap()
}

fn line(quantity: &str, unit: i64) -> LineItem {
    LineItem::new(
        Description::parse("d", "Work").unwrap(),
        Quantity::parse("quantity", quantity).unwrap(),
        Money::new(unit, usd()),
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
        currency: usd(),
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

fn sent_invoice(total: i64) -> Document {
    draft(DocumentKind::Invoice, vec![line("1", total)])
        .unwrap()
        .apply(DocumentAction::Send, ts("2026-11-02T10:00:00Z"))
        .unwrap()
}

fn paid(amount: i64, status: PaymentStatus, seed: u64) -> LedgerEntry {
    LedgerEntry::Payment {
        payment: PaymentId::generate(&SeededRandom::new(seed)),
        amount: Money::new(amount, usd()),
        status,
        received_at: ts("2026-11-03T10:00:00Z"),
        method: PaymentMethod::Manual(ManualKind::Check),
        reference: None,
    }
}

fn refunded(amount: i64, seed: u64) -> LedgerEntry {
    LedgerEntry::Refund {
        refund: RefundId::generate(&SeededRandom::new(seed)),
        payment: PaymentId::generate(&SeededRandom::new(seed)),
        amount: Money::new(amount, usd()),
        refunded_at: ts("2026-11-04T10:00:00Z"),
    }
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

/// The edges [`Quantity::PATTERN`] states, one by one.
#[test]
fn the_quantity_pattern_states_each_rule() {
    for good in [
        "1",
        "0000001",
        "999999",
        "0999999",
        "1.",
        "1.000000",
        "0.001",
        "0000000.5",
        "0.0010",
        "1000000",
        "1000000.",
        "1000000.000",
        "12.125",
    ] {
        assert!(Quantity::parse("q", good).is_ok(), "{good}");
    }
    for bad in [
        "0",
        "0.",
        "0.000",
        "00000000.5",
        "00000001",
        "0.0005",
        "1.1205",
        "1000000.001",
        "1000001",
        "+1",
        " 1",
        "1 ",
        "1,5",
        "\u{661}",
    ] {
        assert!(Quantity::parse("q", bad).is_err(), "{bad}");
    }
    assert!(Quantity::PATTERN.starts_with("^(?:(?:0{0,6}[1-9]|"));
}

#[test]
fn line_amounts_round_half_away_from_zero() {
    assert_eq!(line("1.5", 333).amount().minor(), 500); // 499.5
    assert_eq!(line("0.001", 499).amount().minor(), 0); // 0.499
    assert_eq!(line("1.5", -333).amount().minor(), -500);
    assert_eq!(line("3", 15_000).amount().minor(), 45_000);
}

#[test]
fn totals_add_lines_and_refuse_negative_or_huge_sums() {
    let doc = draft(
        DocumentKind::Invoice,
        vec![line("2", 10_000), line("1", -2_500)],
    )
    .unwrap();
    assert_eq!(doc.total(), Money::new(17_500, usd()));
    assert_eq!(doc.status(), DocumentStatus::Draft);
    assert!(draft(DocumentKind::Invoice, vec![line("1", -1)]).is_err());
    let big = LineItem::new(
        Description::parse("d", "x").unwrap(),
        Quantity::parse("q", "1000000").unwrap(),
        Money::new(MAX_MINOR_AMOUNT, usd()),
    );
    assert!(big.is_err());
}

#[test]
fn lines_in_another_currency_are_refused() {
    let eur = Currency::parse("c", "EUR").unwrap();
    let euro_line = LineItem::new(
        Description::parse("d", "x").unwrap(),
        Quantity::parse("q", "1").unwrap(),
        Money::new(100, eur),
    )
    .unwrap();
    let err = draft(DocumentKind::Invoice, vec![line("1", 100), euro_line]).unwrap_err();
    assert_eq!(err.field, "lines");
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
fn each_kind_has_its_own_lifecycle() {
    let now = ts("2026-11-02T10:00:00Z");
    let invoice = draft(DocumentKind::Invoice, vec![line("1", 100)]).unwrap();
    assert!(!invoice.visible_in_portal());
    let open = invoice.apply(DocumentAction::Send, now).unwrap();
    assert_eq!(open.status(), DocumentStatus::Open);
    assert_eq!(open.sent_at(), Some(now));
    assert!(open.visible_in_portal() && open.is_outstanding());
    assert_eq!(open.amount_due().minor(), 100);
    assert_eq!(open.apply(DocumentAction::Send, now).unwrap(), open);
    let void = open.apply(DocumentAction::Void, now).unwrap();
    assert!(void.apply(DocumentAction::Send, now).is_err());
    assert!(!void.is_outstanding());
    assert_eq!(void.amount_due().minor(), 0);

    for kind in [DocumentKind::Estimate, DocumentKind::Contract] {
        let sent = draft(kind, vec![line("1", 100)])
            .unwrap()
            .apply(DocumentAction::Send, now)
            .unwrap();
        assert_eq!(sent.status(), DocumentStatus::Sent);
        assert!(!sent.is_outstanding());
        assert!(matches!(
            sent.with_entries([paid(1, PaymentStatus::Succeeded, 1)], now),
            Err(LedgerError::NotPayable { .. })
        ));
    }
}

#[test]
fn payments_move_an_invoice_through_partially_paid_to_paid_and_refunds_reopen_it() {
    let now = ts("2026-11-05T10:00:00Z");
    let open = sent_invoice(10_000);
    let partly = open
        .with_entries([paid(4_000, PaymentStatus::Succeeded, 1)], now)
        .unwrap();
    assert_eq!(partly.status(), DocumentStatus::PartiallyPaid);
    assert_eq!(partly.amount_paid().minor(), 4_000);
    assert_eq!(partly.amount_due().minor(), 6_000);
    assert!(partly.is_outstanding());
    assert_eq!(partly.paid_at(), None);

    let settled = partly
        .with_entries([paid(6_000, PaymentStatus::Succeeded, 2)], now)
        .unwrap();
    assert_eq!(settled.status(), DocumentStatus::Paid);
    assert_eq!(settled.paid_at(), Some(now));
    assert!(!settled.is_outstanding());
    let err = settled.apply(DocumentAction::Void, now).unwrap_err();
    assert_eq!(err.to_string(), "a paid invoice cannot be voided");

    let reopened = settled.with_entries([refunded(2_500, 2)], now).unwrap();
    assert_eq!(reopened.status(), DocumentStatus::PartiallyPaid);
    assert_eq!(reopened.amount_due().minor(), 2_500);
    assert_eq!(reopened.paid_at(), None);
    let err = reopened.apply(DocumentAction::Void, now).unwrap_err();
    assert_eq!(err.to_string(), "a partially paid invoice cannot be voided");
}

#[test]
fn the_ledger_never_pays_more_than_the_total_nor_refunds_more_than_was_paid() {
    let now = ts("2026-11-05T10:00:00Z");
    let open = sent_invoice(10_000);
    assert_eq!(
        open.with_entries([paid(10_001, PaymentStatus::Succeeded, 1)], now),
        Err(LedgerError::OverPaid {
            open: Money::new(10_000, usd())
        })
    );
    let partly = open
        .with_entries([paid(3_000, PaymentStatus::Succeeded, 1)], now)
        .unwrap();
    assert!(matches!(
        partly.with_entries([refunded(3_001, 1)], now),
        Err(LedgerError::OverRefunded { .. })
    ));
    // Pending money is not paid, but it is not open to another payment.
    let pending = open
        .with_entries([paid(9_000, PaymentStatus::Pending, 3)], now)
        .unwrap();
    assert_eq!(pending.status(), DocumentStatus::Open);
    assert_eq!(pending.amount_due().minor(), 10_000);
    assert_eq!(pending.amount_open().minor(), 1_000);
    assert!(
        pending
            .with_entries([paid(1_001, PaymentStatus::Succeeded, 4)], now)
            .is_err()
    );
    assert!(pending.apply(DocumentAction::Void, now).is_err());
    // Failed payments never count.
    let failed = open
        .with_entries([paid(10_000, PaymentStatus::Failed, 5)], now)
        .unwrap();
    assert_eq!(failed.amount_open().minor(), 10_000);
    let eur = Currency::parse("c", "EUR").unwrap();
    let euros = LedgerEntry::Payment {
        payment: PaymentId::generate(&SeededRandom::new(6)),
        amount: Money::new(1, eur),
        status: PaymentStatus::Succeeded,
        received_at: now,
        method: PaymentMethod::Manual(ManualKind::Cash),
        reference: None,
    };
    assert!(matches!(
        open.with_entries([euros], now),
        Err(LedgerError::CurrencyMismatch { .. })
    ));
    let draft = draft(DocumentKind::Invoice, vec![line("1", 100)]).unwrap();
    assert!(matches!(
        draft.with_entries([paid(1, PaymentStatus::Succeeded, 7)], now),
        Err(LedgerError::NotPayable { .. })
    ));
}

#[test]
fn a_zero_invoice_is_settled_when_sent() {
    let zero = draft(DocumentKind::Invoice, vec![line("1", 100), line("1", -100)])
        .unwrap()
        .apply(DocumentAction::Send, ts("2026-11-02T10:00:00Z"))
        .unwrap();
    assert_eq!(zero.status(), DocumentStatus::Paid);
    assert!(!zero.is_outstanding());
    assert!(Document::restore(zero.record()).is_ok());
}

#[test]
fn restore_accepts_what_was_built_and_refuses_what_breaks_a_rule() {
    let now = ts("2026-11-05T10:00:00Z");
    let partly = sent_invoice(10_000)
        .with_entries([paid(4_000, PaymentStatus::Succeeded, 1)], now)
        .unwrap();
    assert_eq!(Document::restore(partly.record()), Ok(partly.clone()));

    let mut wrong_total = partly.record();
    wrong_total.total_minor += 1;
    assert_eq!(Document::restore(wrong_total).unwrap_err().field, "total");

    let mut wrong_status = partly.record();
    wrong_status.status = DocumentStatus::Paid;
    assert_eq!(Document::restore(wrong_status).unwrap_err().field, "ledger");

    let mut foreign_status = partly.record();
    foreign_status.status = DocumentStatus::Sent;
    assert_eq!(
        Document::restore(foreign_status).unwrap_err().field,
        "status"
    );

    let mut overpaid = partly.record();
    overpaid
        .ledger
        .push(paid(7_000, PaymentStatus::Succeeded, 2));
    assert_eq!(Document::restore(overpaid).unwrap_err().field, "ledger");

    let mut unsent = partly.record();
    unsent.sent_at = None;
    assert_eq!(Document::restore(unsent).unwrap_err().field, "sent_at");

    let mut estimate = draft(DocumentKind::Estimate, vec![line("1", 5)])
        .unwrap()
        .record();
    estimate.ledger.push(paid(1, PaymentStatus::Succeeded, 3));
    assert_eq!(Document::restore(estimate).unwrap_err().field, "ledger");
}

#[test]
fn a_draft_voided_before_sending_stays_private() {
    let now = ts("2026-11-02T10:00:00Z");
    let voided = draft(DocumentKind::Invoice, vec![line("1", 100)])
        .unwrap()
        .apply(DocumentAction::Void, now)
        .unwrap();
    assert!(!voided.visible_in_portal());
    assert!(Document::restore(voided.record()).is_ok());
    let sent_then_voided = sent_invoice(100).apply(DocumentAction::Void, now).unwrap();
    assert!(sent_then_voided.visible_in_portal());
}

#[test]
fn extreme_amounts_are_refused_not_overflowed() {
    for unit in [i64::MIN, i64::MAX, -MAX_MINOR_AMOUNT - 1] {
        let line = LineItem::new(
            Description::parse("d", "x").unwrap(),
            Quantity::parse("q", "1").unwrap(),
            Money::new(unit, usd()),
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
    let sent = sent_invoice(100);
    assert!(!sent.is_overdue(NaiveDate::from_ymd_opt(2026, 12, 1).unwrap()));
    assert!(sent.is_overdue(NaiveDate::from_ymd_opt(2026, 12, 2).unwrap()));
}

proptest! {
    #[test]
    fn a_quantity_prints_back_to_itself(thousandths in 1i64..=1_000_000_000) {
        let q = Quantity::from_thousandths("q", thousandths).unwrap();
        prop_assert_eq!(Quantity::parse("q", &q.to_string()), Ok(q));
    }

    #[test]
    fn line_amount_is_within_half_a_unit_of_the_exact_product(
        thousandths in 1i64..=1_000_000_000,
        unit in -1_000_000_000i64..=1_000_000_000,
    ) {
        let exact = i128::from(thousandths) * i128::from(unit);
        let quantity = Quantity::from_thousandths("q", thousandths).unwrap();
        match LineItem::new(Description::parse("d", "x").unwrap(), quantity, Money::new(unit, usd())) {
            Ok(l) => prop_assert!((i128::from(l.amount().minor()) * 1000 - exact).abs() <= 500),
            // Refused only when the amount really is out of range.
            Err(_) => prop_assert!(exact.abs() > i128::from(MAX_MINOR_AMOUNT) * 1000),
        }
    }
}
