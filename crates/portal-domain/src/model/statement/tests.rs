use chrono::{Duration, TimeZone as _};
use proptest::prelude::*;
use uuid::Uuid;

use super::*;
use crate::model::ManualKind;

fn currency(code: &str) -> Currency {
    Currency::parse("currency", code).unwrap()
}

fn zone(name: &str) -> TimeZone {
    TimeZone::parse("time_zone", name).unwrap()
}

fn date(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap()
}

fn doc_id(n: u128) -> DocumentId {
    DocumentId::from_uuid(Uuid::from_u128(n))
}

fn pay_id(n: u128) -> PaymentId {
    PaymentId::from_uuid(Uuid::from_u128(n))
}

fn invoice(
    n: u128,
    issued: NaiveDate,
    due_days: i64,
    total: Money,
    ledger: Vec<LedgerEntry>,
) -> StatementInvoice {
    StatementInvoice {
        id: doc_id(n),
        number: DocumentNumber::parse("number", &format!("INV-{n}")).unwrap(),
        title: None,
        issue_date: issued,
        due_date: Some(issued + Duration::days(due_days)),
        total,
        ledger: Ledger::new(ledger),
    }
}

fn payment(
    n: u128,
    at: DateTime<Utc>,
    amount: Money,
    refunds: Vec<StatementRefund>,
) -> StatementPayment {
    StatementPayment {
        id: pay_id(n),
        received_at: at,
        amount,
        method: PaymentMethod::Manual(ManualKind::BankTransfer),
        reference: None,
        refunds,
    }
}

#[test]
fn a_statement_opens_runs_and_closes_in_date_order() {
    let usd = currency("USD");
    let usd_money = |minor| Money::new(minor, usd);
    let utc = TimeZone::UTC;
    let paid_at = Utc.with_ymd_and_hms(2026, 3, 10, 12, 0, 0).unwrap();
    let invoices = [
        invoice(1, date(2025, 12, 1), 30, usd_money(10_000), vec![]),
        invoice(
            2,
            date(2026, 2, 1),
            30,
            usd_money(5_000),
            vec![LedgerEntry::Payment {
                payment: pay_id(1),
                amount: usd_money(5_000),
                status: PaymentStatus::Succeeded,
                received_at: paid_at,
                method: PaymentMethod::Manual(ManualKind::BankTransfer),
                reference: None,
            }],
        ),
    ];
    let payments = [payment(
        1,
        paid_at,
        usd_money(5_000),
        vec![StatementRefund {
            id: RefundId::from_uuid(Uuid::from_u128(9)),
            refunded_at: paid_at + Duration::days(5),
            amount: usd_money(1_000),
            reason: Some(Description::parse("reason", "Damaged").unwrap()),
        }],
    )];
    let range = StatementRange::parse("2026-01-01", "2026-06-30").unwrap();
    let section = section_of(usd, range, utc, &invoices, &payments).unwrap();
    let kinds: Vec<_> = section.entries.iter().map(|e| e.kind).collect();
    assert_eq!(
        kinds,
        [
            EntryKind::OpeningBalance,
            EntryKind::Invoice,
            EntryKind::Payment,
            EntryKind::Refund,
            EntryKind::ClosingBalance
        ]
    );
    let balances: Vec<_> = section.entries.iter().map(|e| e.balance.minor()).collect();
    assert_eq!(balances, [10_000, 15_000, 10_000, 11_000, 11_000]);
    assert_eq!(section.entries[3].description, "Refund: Damaged");
    assert_eq!(section.entries[3].date, date(2026, 3, 15));
    let summary = section.summary;
    assert_eq!(summary.opening.minor(), 10_000);
    assert_eq!(summary.invoiced.minor(), 5_000);
    assert_eq!(summary.paid.minor(), 5_000);
    assert_eq!(summary.refunded.minor(), 1_000);
    assert_eq!(summary.closing.minor(), 11_000);
    // INV-1 was due on 31 Dec 2025: 181 days past due on 30 Jun 2026.
    assert_eq!(summary.aging.over_90.minor(), 10_000);
    // INV-2 is paid in full (the refund was not applied back to it).
    assert_eq!(summary.aging.total().unwrap().minor(), 10_000);
}

#[test]
fn an_empty_history_still_opens_and_closes_at_zero() {
    let eur = currency("EUR");
    let range = StatementRange::parse("2026-01-01", "2026-01-31").unwrap();
    let section = section_of(eur, range, TimeZone::UTC, &[], &[]).unwrap();
    assert_eq!(section.entries.len(), 2);
    assert!(section.entries.iter().all(|e| e.balance.is_zero()));
    assert_eq!(section.entries[0].date, range.from());
    assert_eq!(section.entries[1].date, range.to());
}

#[test]
fn payments_fall_on_the_date_of_the_account_zone() {
    let usd = currency("USD");
    // 02:00 UTC on 1 Feb is still 31 Jan in New York.
    let at = Utc.with_ymd_and_hms(2026, 2, 1, 2, 0, 0).unwrap();
    let payments = [payment(1, at, Money::new(100, usd), vec![])];
    let january = StatementRange::parse("2026-01-01", "2026-01-31").unwrap();
    let new_york = zone("America/New_York");
    let section = section_of(usd, january, new_york, &[], &payments).unwrap();
    assert_eq!(section.entries[1].kind, EntryKind::Payment);
    assert_eq!(section.entries[1].date, date(2026, 1, 31));
    let section = section_of(usd, january, TimeZone::UTC, &[], &payments).unwrap();
    assert_eq!(section.entries.len(), 2, "in UTC it is a February payment");
}

#[test]
fn ranges_are_checked() {
    assert!(StatementRange::parse("2026-02-01", "2026-01-31").is_err());
    assert!(StatementRange::parse("2016-01-01", "2026-01-01").is_err());
    assert!(StatementRange::parse("2016-01-02", "2026-01-01").is_ok());
    assert!(StatementRange::parse("2026-1-01", "2026-01-31").is_err());
    assert!(StatementRange::parse("2026-02-30", "2026-03-01").is_err());
    assert!(StatementRange::parse("1899-12-31", "1900-01-01").is_err());
    assert!(StatementRange::parse("+2026-01-01", "2026-01-31").is_err());
    assert_eq!(
        StatementRange::year_to_date(date(2026, 11, 26)).to_string(),
        "2026-01-01..2026-11-26"
    );
}

/// A random history: invoices and payments in three currencies over three
/// years, payments applied to invoices of their currency, some refunded.
#[derive(Debug, Clone)]
struct History {
    invoices: Vec<StatementInvoice>,
    payments: Vec<StatementPayment>,
}

const CODES: [&str; 3] = ["USD", "EUR", "JPY"];
const ZONES: [&str; 4] = [
    "UTC",
    "America/New_York",
    "Pacific/Auckland",
    "Asia/Kolkata",
];

fn base() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2024, 1, 1, 0, 0, 0).unwrap()
}

fn history() -> impl Strategy<Value = History> {
    let raw_invoice = (0..3usize, 0..1095i64, 0..90i64, 1..500_000i64);
    let pay = (
        0..3usize,
        0..(1095 * 24 * 60i64),
        1..400_000i64,
        proptest::option::of((0..200_000i64, 0..(90 * 24 * 60i64))),
        any::<prop::sample::Index>(),
    );
    (
        prop::collection::vec(raw_invoice, 0..25),
        prop::collection::vec(pay, 0..25),
    )
        .prop_map(|(raw_invoices, raw_payments)| {
            let mut invoices: Vec<StatementInvoice> = raw_invoices
                .into_iter()
                .enumerate()
                .map(|(n, (c, day, due, total))| {
                    invoice(
                        n as u128 + 1,
                        base().date_naive() + Duration::days(day),
                        due,
                        Money::new(total, currency(CODES[c])),
                        vec![],
                    )
                })
                .collect();
            let mut payments = Vec::new();
            for (n, (c, minute, amount, refund, target)) in raw_payments.into_iter().enumerate() {
                let money = Money::new(amount, currency(CODES[c]));
                let at = base() + Duration::minutes(minute);
                let id = n as u128 + 1;
                let refunds: Vec<StatementRefund> = refund
                    .map(|(part, later)| StatementRefund {
                        id: RefundId::from_uuid(Uuid::from_u128(id)),
                        refunded_at: at + Duration::minutes(later),
                        amount: Money::new(part.min(amount), money.currency()),
                        reason: None,
                    })
                    .into_iter()
                    .collect();
                let same: Vec<usize> = (0..invoices.len())
                    .filter(|i| invoices[*i].total.currency() == money.currency())
                    .collect();
                if !same.is_empty() {
                    let target = &mut invoices[same[target.index(same.len())]];
                    let applied = amount.min(target.total.minor());
                    let mut entries = target.ledger.entries().to_vec();
                    entries.push(LedgerEntry::Payment {
                        payment: pay_id(id),
                        amount: Money::new(applied, money.currency()),
                        status: PaymentStatus::Succeeded,
                        received_at: at,
                        method: PaymentMethod::Manual(ManualKind::Cash),
                        reference: None,
                    });
                    for r in &refunds {
                        entries.push(LedgerEntry::Refund {
                            refund: r.id,
                            payment: pay_id(id),
                            amount: Money::new(r.amount.minor().min(applied), money.currency()),
                            refunded_at: r.refunded_at,
                        });
                    }
                    target.ledger = Ledger::new(entries);
                }
                payments.push(payment(id, at, money, refunds));
            }
            invoices.sort_by_key(|i| (i.issue_date, i.id));
            payments.sort_by_key(|p| (p.received_at, p.id));
            History { invoices, payments }
        })
}

fn range() -> impl Strategy<Value = (StatementRange, NaiveDate)> {
    // A range, and a day inside it to split it at.
    (0..1200i64, 0..800i64, any::<prop::sample::Index>()).prop_map(|(start, len, split)| {
        let from = base().date_naive() - Duration::days(30) + Duration::days(start);
        let to = from + Duration::days(len);
        let range = StatementRange::new(from, to).unwrap();
        let split = from + Duration::days(split.index(len as usize + 1) as i64);
        (range, split)
    })
}

/// What a client owes at the end of `to` in the zone, summed directly.
fn owed_through(history: &History, currency: Currency, zone: TimeZone, to: NaiveDate) -> i64 {
    let invoiced: i64 = history
        .invoices
        .iter()
        .filter(|i| i.total.currency() == currency && i.issue_date <= to)
        .map(|i| i.total.minor())
        .sum();
    let mut paid = 0;
    for p in history
        .payments
        .iter()
        .filter(|p| p.amount.currency() == currency)
    {
        let day = zone.date_of(p.received_at);
        if day <= to {
            paid += p.amount.minor();
            for r in &p.refunds {
                if zone.date_of(r.refunded_at).max(day) <= to {
                    paid -= r.amount.minor();
                }
            }
        }
    }
    invoiced - paid
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn statements_reconcile_and_chain(
        history in history(),
        (range, split) in range(),
        zone_index in 0..ZONES.len(),
    ) {
        let zone = zone(ZONES[zone_index]);
        for code in CODES {
            let currency = currency(code);
            let whole = section_of(currency, range, zone, &history.invoices, &history.payments).unwrap();
            let s = whole.summary;
            // The identity.
            prop_assert_eq!(
                s.opening.minor() + s.invoiced.minor() - s.paid.minor() + s.refunded.minor(),
                s.closing.minor()
            );
            // Against sums computed directly.
            prop_assert_eq!(s.closing.minor(), owed_through(&history, currency, zone, range.to()));
            let before = range.from().pred_opt().unwrap();
            prop_assert_eq!(s.opening.minor(), owed_through(&history, currency, zone, before));
            // The running balance.
            let entries = &whole.entries;
            prop_assert_eq!(entries.first().unwrap().kind, EntryKind::OpeningBalance);
            prop_assert_eq!(entries.last().unwrap().kind, EntryKind::ClosingBalance);
            prop_assert_eq!(entries.last().unwrap().balance, s.closing);
            let mut balance = s.opening.minor();
            let mut last_date = range.from();
            for entry in &entries[1..entries.len() - 1] {
                balance += entry.debit.map_or(0, |m| m.minor()) - entry.credit.map_or(0, |m| m.minor());
                prop_assert_eq!(entry.balance.minor(), balance);
                prop_assert!(entry.date >= last_date && entry.date <= range.to());
                prop_assert_eq!(entry.currency, currency);
                last_date = entry.date;
            }
            // Aging: what each invoice issued by the end still owed then.
            let end = zone.start_of(range.to().succ_opt().unwrap());
            let owed: i64 = history
                .invoices
                .iter()
                .filter(|i| i.total.currency() == currency && i.issue_date <= range.to())
                .map(|i| {
                    let settled: i64 = i.ledger.entries().iter().filter(|e| e.at() < end).map(|e| match e {
                        LedgerEntry::Payment { amount, .. } => amount.minor(),
                        LedgerEntry::Refund { amount, .. } => -amount.minor(),
                    }).sum();
                    (i.total.minor() - settled).max(0)
                })
                .sum();
            prop_assert_eq!(s.aging.total().unwrap().minor(), owed);
            // Adjacent ranges chain: closing of the first is opening of the second.
            if split > range.from() {
                let first = StatementRange::new(range.from(), split.pred_opt().unwrap()).unwrap();
                let second = StatementRange::new(split, range.to()).unwrap();
                let a = section_of(currency, first, zone, &history.invoices, &history.payments).unwrap();
                let b = section_of(currency, second, zone, &history.invoices, &history.payments).unwrap();
                prop_assert_eq!(a.summary.closing, b.summary.opening);
                prop_assert_eq!(a.summary.opening, s.opening);
                prop_assert_eq!(b.summary.closing, s.closing);
                prop_assert_eq!(a.summary.invoiced.minor() + b.summary.invoiced.minor(), s.invoiced.minor());
                prop_assert_eq!(a.summary.paid.minor() + b.summary.paid.minor(), s.paid.minor());
                prop_assert_eq!(a.summary.refunded.minor() + b.summary.refunded.minor(), s.refunded.minor());
                // The rows of the two are the rows of the whole.
                let rows = |sec: &StatementSection| sec.entries[1..sec.entries.len() - 1].to_vec();
                let mut joined = rows(&a);
                joined.extend(rows(&b));
                prop_assert_eq!(joined, rows(&whole));
            }
        }
    }

    #[test]
    fn pages_of_any_size_give_the_same_statement(
        history in history(),
        (range, _) in range(),
        page_size in 1usize..7,
    ) {
        let zone = TimeZone::UTC;
        for code in CODES {
            let currency = currency(code);
            let whole = section_of(currency, range, zone, &history.invoices, &history.payments).unwrap();
            let mut section = SectionStatement::new(currency, range, zone, page_size);
            let invoices: Vec<_> = history.invoices.iter().filter(|i| i.total.currency() == currency && i.issue_date <= range.to()).cloned().collect();
            let end = section.payments_before();
            let payments: Vec<_> = history.payments.iter().filter(|p| p.amount.currency() == currency && p.received_at < end).cloned().collect();
            let mut entries = Vec::new();
            let summary = loop {
                match section.step().unwrap() {
                    SectionStep::NeedInvoices(after) => {
                        let page = invoices.iter().filter(|i| after.is_none_or(|a| (i.issue_date, i.id) > a)).take(page_size).cloned().collect();
                        section.feed_invoices(page);
                    }
                    SectionStep::NeedPayments(after) => {
                        let page = payments.iter().filter(|p| after.is_none_or(|a| (p.received_at, p.id) > a)).take(page_size).cloned().collect();
                        section.feed_payments(page);
                    }
                    SectionStep::Entry(entry) => entries.push(entry),
                    SectionStep::End(summary) => break summary,
                    SectionStep::Done => unreachable!(),
                }
            };
            prop_assert_eq!(section.step().unwrap(), SectionStep::Done);
            prop_assert_eq!(summary, whole.summary);
            prop_assert_eq!(entries, whole.entries);
        }
    }
}
