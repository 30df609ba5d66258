//! Contract checks for what statements read: a client's currencies, its
//! sent invoices and its succeeded payments, a page at a time.

use chrono::{DateTime, Duration, NaiveDate, Utc};

use crate::model::{
    Client, Currency, Description, Document, DocumentAction, DocumentId, DocumentKind,
    DocumentStatus, Money, Payment, PaymentId, PaymentStatus, RefundId, StatementInvoice,
    StatementPayment, StatementRefund,
};
use crate::ports::{Batch, StatementScope, Store, Write};
use crate::testing::ts;

use super::fixture::eur;
use super::payments::{record, with_status};
use super::{Fixture, date};

fn currency(code: &str) -> Currency {
    Currency::parse("currency", code).unwrap()
}

fn scope(client: &Client, currency: Currency, limit: usize) -> StatementScope {
    StatementScope {
        account: client.account_id,
        client: client.id,
        currency,
        limit,
    }
}

/// An invoice as a statement lists it, from the invoice as the store
/// reads it (so with the ledger documents are read with).
async fn listed(f: &Fixture<'_>, invoice: &Document) -> StatementInvoice {
    let stored = f
        .store
        .document(invoice.account_id(), invoice.id())
        .await
        .unwrap()
        .unwrap();
    StatementInvoice {
        id: stored.id(),
        number: stored.number().clone(),
        title: stored.title().cloned(),
        issue_date: stored.issue_date(),
        due_date: stored.due_date(),
        total: stored.total(),
        ledger: stored.ledger().clone(),
    }
}

/// A payment as a statement lists it, with these refunds.
fn listed_payment(payment: &Payment, refunds: &[RefundId]) -> StatementPayment {
    StatementPayment {
        id: payment.id(),
        received_at: payment.received_at(),
        amount: payment.amount(),
        method: payment.method(),
        reference: payment.reference().cloned(),
        refunds: refunds
            .iter()
            .map(|id| {
                let refund = payment
                    .refunds()
                    .iter()
                    .find(|r| r.id == *id)
                    .expect("a refund of the payment");
                StatementRefund {
                    id: refund.id,
                    refunded_at: refund.created_at,
                    amount: refund.amount,
                    reason: refund.reason.clone(),
                }
            })
            .collect(),
    }
}

async fn insert_payment(f: &Fixture<'_>, payment: &Payment) {
    let batch = Batch::new().with(Write::InsertPayment(payment.clone()));
    assert!(f.store.commit(&batch).await.unwrap());
}

/// Refunds `minor` of `payment` at `at`, taking it back from the invoices
/// it was applied to; the payment after.
async fn refund(
    f: &Fixture<'_>,
    payment: &Payment,
    minor: i64,
    reason: Option<&str>,
    at: DateTime<Utc>,
) -> Payment {
    let refund = payment
        .refund(
            RefundId::generate(f.random()),
            Money::new(minor, payment.currency()),
            reason.map(|r| Description::parse("reason", r).unwrap()),
            at,
        )
        .unwrap();
    let mut updated = Vec::new();
    for (id, entry) in refund.ledger_entries() {
        let invoice = f
            .store
            .document(payment.account_id(), id)
            .await
            .unwrap()
            .unwrap();
        updated.push(invoice.with_entries([entry], at).unwrap());
    }
    updated.sort_by_key(Document::id);
    let mut batch = Batch::new().with(Write::InsertRefund {
        refund: refund.clone(),
        payment_version: payment.version(),
    });
    for invoice in updated {
        batch.push(Write::UpdateDocument(invoice));
    }
    assert!(f.store.commit(&batch).await.unwrap());
    payment.with_refund(refund)
}

/// Every invoice of the scope through `through`, read a page of
/// `scope.limit` at a time from the cursor of the last one read, checking
/// that no page is longer than asked and each starts after the cursor.
async fn invoices_in_pages(
    store: &dyn Store,
    scope: StatementScope,
    through: NaiveDate,
) -> Vec<StatementInvoice> {
    let mut after = None;
    let mut all = Vec::new();
    loop {
        let page = store
            .statement_invoices(scope, through, after)
            .await
            .unwrap();
        assert!(page.len() <= scope.limit, "a page of {}", page.len());
        if let (Some(first), Some(cursor)) = (page.first(), after) {
            assert!(
                (first.issue_date, first.id) > cursor,
                "a page starts after its cursor"
            );
        }
        let full = page.len() == scope.limit;
        after = page.last().map(|i| (i.issue_date, i.id)).or(after);
        all.extend(page);
        if !full {
            return all;
        }
    }
}

/// As [`invoices_in_pages`], for payments received before `before`.
async fn payments_in_pages(
    store: &dyn Store,
    scope: StatementScope,
    before: DateTime<Utc>,
) -> Vec<StatementPayment> {
    let mut after = None;
    let mut all = Vec::new();
    loop {
        let page = store
            .statement_payments(scope, before, after)
            .await
            .unwrap();
        assert!(page.len() <= scope.limit, "a page of {}", page.len());
        if let (Some(first), Some(cursor)) = (page.first(), after) {
            assert!(
                (first.received_at, first.id) > cursor,
                "a page starts after its cursor"
            );
        }
        let full = page.len() == scope.limit;
        after = page.last().map(|p| (p.received_at, p.id)).or(after);
        all.extend(page);
        if !full {
            return all;
        }
    }
}

pub async fn statement_currencies_are_those_of_sent_invoices_and_succeeded_payments(
    store: &dyn Store,
) {
    let f = Fixture::new(store);
    let account = f.account("Account").await;
    let acme = f.client(&account, "Acme").await;
    let globex = f.client(&account, "Globex").await;
    let at = f.now + Duration::days(1);
    assert!(
        store
            .statement_currencies(account.id, acme.id)
            .await
            .unwrap()
            .is_empty()
    );

    let issued = date("2026-11-01");
    f.sent(&f.document_in(
        &acme,
        DocumentKind::Invoice,
        "USD-1",
        issued,
        currency("USD"),
    ))
    .await;
    f.sent(&f.document_in(&acme, DocumentKind::Invoice, "EUR-1", issued, eur()))
        .await;
    // Neither a draft, a void invoice nor an estimate is on a statement.
    store
        .insert_document(&f.document_in(
            &acme,
            DocumentKind::Invoice,
            "CAD-1",
            issued,
            currency("CAD"),
        ))
        .await
        .unwrap();
    let void = f
        .sent(&f.document_in(
            &acme,
            DocumentKind::Invoice,
            "CHF-1",
            issued,
            currency("CHF"),
        ))
        .await;
    let voided = void.apply(DocumentAction::Void, at).unwrap();
    assert!(
        store
            .commit(&Batch::new().with(Write::UpdateDocument(voided)))
            .await
            .unwrap()
    );
    f.sent(&f.document_in(
        &acme,
        DocumentKind::Estimate,
        "INR-1",
        issued,
        currency("INR"),
    ))
    .await;
    // Succeeded payments count, whatever they were applied to; pending
    // and failed ones do not.
    insert_payment(&f, &f.payment_in(&acme, currency("GBP"), 5_000, &[], at)).await;
    insert_payment(&f, &f.payment(&acme, 5_000, &[], at)).await;
    let pending = f.payment_in(&acme, currency("JPY"), 5_000, &[], at);
    insert_payment(&f, &with_status(&pending, PaymentStatus::Pending)).await;
    let failed = f.payment_in(&acme, currency("AUD"), 5_000, &[], at);
    insert_payment(&f, &with_status(&failed, PaymentStatus::Failed)).await;
    // Another client's are its own.
    f.sent(&f.document_in(
        &globex,
        DocumentKind::Invoice,
        "NZD-1",
        issued,
        currency("NZD"),
    ))
    .await;

    assert_eq!(
        store
            .statement_currencies(account.id, acme.id)
            .await
            .unwrap(),
        vec![eur(), currency("GBP"), currency("USD")]
    );
    assert_eq!(
        store
            .statement_currencies(account.id, globex.id)
            .await
            .unwrap(),
        vec![currency("NZD")]
    );
    let other = f.account("Other").await;
    assert!(
        store
            .statement_currencies(other.id, acme.id)
            .await
            .unwrap()
            .is_empty()
    );
}

pub async fn statement_invoices_are_the_sent_unvoided_ones_through_a_date(store: &dyn Store) {
    let f = Fixture::new(store);
    let account = f.account("Account").await;
    let acme = f.client(&account, "Acme").await;
    let globex = f.client(&account, "Globex").await;
    let other = f.account("Other").await;
    let theirs = f.client(&other, "Theirs").await;
    let invoice = |client: &Client, number: &str, issued: &str| {
        f.document(client, DocumentKind::Invoice, number, date(issued))
    };

    let open = f.sent(&invoice(&acme, "A", "2026-03-01")).await;
    let partly = f.sent(&invoice(&acme, "B", "2026-03-05")).await;
    let paid = f.sent(&invoice(&acme, "C", "2026-03-10")).await;
    let last_day = f.sent(&invoice(&acme, "D", "2026-03-31")).await;
    f.sent(&invoice(&acme, "E", "2026-04-01")).await;
    store
        .insert_document(&invoice(&acme, "DRAFT", "2026-03-02"))
        .await
        .unwrap();
    let void = f.sent(&invoice(&acme, "VOID", "2026-03-03")).await;
    let voided = void
        .apply(DocumentAction::Void, f.now + Duration::hours(1))
        .unwrap();
    assert!(
        store
            .commit(&Batch::new().with(Write::UpdateDocument(voided)))
            .await
            .unwrap()
    );
    f.sent(&f.document(&acme, DocumentKind::Estimate, "EST", date("2026-03-04")))
        .await;
    let dollars = f
        .sent(&f.document_in(
            &acme,
            DocumentKind::Invoice,
            "USD",
            date("2026-03-06"),
            currency("USD"),
        ))
        .await;
    f.sent(&invoice(&globex, "G", "2026-03-01")).await;
    f.sent(&invoice(&theirs, "T", "2026-03-01")).await;

    // Ledgers: part of B paid, then some of that refunded; C paid in
    // full; a payment on A still pending.
    let total = open.total().minor();
    let at = f.now + Duration::days(1);
    let on_b = f.payment(&acme, 30_000, &[(partly.id(), 30_000)], at);
    record(&f, &on_b, &[&partly]).await;
    refund(&f, &on_b, 10_000, Some("Goodwill"), at + Duration::hours(1)).await;
    let on_c = f.payment(&acme, total, &[(paid.id(), total)], at);
    record(&f, &on_c, &[&paid]).await;
    let pending = with_status(
        &f.payment(&acme, 10_000, &[(open.id(), 10_000)], at),
        PaymentStatus::Pending,
    );
    record(&f, &pending, &[&open]).await;

    let mut expected = Vec::new();
    for invoice in [&open, &partly, &paid, &last_day] {
        expected.push(listed(&f, invoice).await);
    }
    let statuses = [
        DocumentStatus::Open,
        DocumentStatus::PartiallyPaid,
        DocumentStatus::Paid,
        DocumentStatus::Open,
    ];
    for (invoice, status) in [&open, &partly, &paid, &last_day].into_iter().zip(statuses) {
        let stored = store
            .document(account.id, invoice.id())
            .await
            .unwrap()
            .unwrap();
        assert_eq!(stored.status(), status, "{}", invoice.number());
    }
    assert_eq!(expected[0].ledger.entries().len(), 1, "a pending payment");
    assert_eq!(
        expected[1].ledger.entries().len(),
        2,
        "a payment and a refund"
    );
    assert_eq!(expected[2].ledger.entries().len(), 1, "a payment");

    let through = date("2026-03-31");
    let eur_scope = scope(&acme, eur(), 50);
    assert_eq!(
        store
            .statement_invoices(eur_scope, through, None)
            .await
            .unwrap(),
        expected
    );
    // The bound is inclusive: a day earlier, D is left out.
    assert_eq!(
        store
            .statement_invoices(eur_scope, date("2026-03-30"), None)
            .await
            .unwrap(),
        expected[..3]
    );
    assert_eq!(
        store
            .statement_invoices(scope(&acme, currency("USD"), 50), through, None)
            .await
            .unwrap(),
        vec![listed(&f, &dollars).await]
    );
    let foreign = StatementScope {
        account: other.id,
        ..eur_scope
    };
    assert!(
        store
            .statement_invoices(foreign, through, None)
            .await
            .unwrap()
            .is_empty()
    );
    assert!(
        store
            .statement_invoices(eur_scope, date("2026-02-28"), None)
            .await
            .unwrap()
            .is_empty()
    );
}

pub async fn statement_invoices_are_paged_by_issue_date_then_id(store: &dyn Store) {
    let f = Fixture::new(store);
    let account = f.account("Account").await;
    let acme = f.client(&account, "Acme").await;
    let mut invoices = Vec::new();
    // Several share an issue date: the id breaks the tie.
    for (i, issued) in [
        "2026-02-03",
        "2026-02-01",
        "2026-02-03",
        "2026-02-01",
        "2026-02-02",
        "2026-02-03",
        "2026-02-01",
        "2026-02-03",
    ]
    .into_iter()
    .enumerate()
    {
        let draft = f.document(
            &acme,
            DocumentKind::Invoice,
            &format!("P-{i}"),
            date(issued),
        );
        invoices.push(f.sent(&draft).await);
    }
    let at = f.now + Duration::days(1);
    let payment = f.payment(
        &acme,
        50_000,
        &[(invoices[0].id(), 20_000), (invoices[3].id(), 30_000)],
        at,
    );
    record(&f, &payment, &[&invoices[0], &invoices[3]]).await;
    let mut expected = Vec::new();
    for invoice in &invoices {
        expected.push(listed(&f, invoice).await);
    }
    expected.sort_by_key(|i| (i.issue_date, i.id));

    let through = date("2026-12-31");
    for limit in [1, 2, 3, 8, 50] {
        let read = invoices_in_pages(store, scope(&acme, eur(), limit), through).await;
        assert_eq!(read, expected, "limit {limit}");
    }
    // From inside a run of equal dates, and from cursors that name no
    // invoice: the least and the greatest id on a date.
    let tied = (expected[1].issue_date, expected[1].id);
    assert_eq!(expected[2].issue_date, tied.0);
    let least = DocumentId::from_uuid(uuid::Uuid::nil());
    let greatest = DocumentId::from_uuid(uuid::Uuid::max());
    let second = date("2026-02-02");
    let cases = [
        (tied, &expected[2..]),
        ((second, least), &expected[3..]),
        ((second, greatest), &expected[4..]),
    ];
    for (cursor, rest) in cases {
        let read = store
            .statement_invoices(scope(&acme, eur(), 50), through, Some(cursor))
            .await
            .unwrap();
        assert_eq!(read, rest, "after {cursor:?}");
    }
    let two = store
        .statement_invoices(scope(&acme, eur(), 2), through, Some(tied))
        .await
        .unwrap();
    assert_eq!(two, expected[2..4]);
}

pub async fn statement_payments_are_the_succeeded_ones_before_a_time(store: &dyn Store) {
    let f = Fixture::new(store);
    let account = f.account("Account").await;
    let acme = f.client(&account, "Acme").await;
    let globex = f.client(&account, "Globex").await;
    let other = f.account("Other").await;
    let theirs = f.client(&other, "Theirs").await;
    let before = ts("2026-04-01T00:00:00Z");
    let received = ts("2026-03-02T09:00:00.250001Z");

    let first = f.payment(&acme, 50_000, &[], received);
    insert_payment(&f, &first).await;
    // Refunds made out of time order: listed oldest first, those at one
    // instant in the order they were made.
    let late = received + Duration::hours(2);
    let first = refund(&f, &first, 1_000, Some("Duplicate «charge»"), late).await;
    let first = refund(&f, &first, 2_000, None, received + Duration::hours(1)).await;
    let first = refund(&f, &first, 3_000, None, late).await;
    let [r1, r2, r3] = [0, 1, 2].map(|i| first.refunds()[i].id);

    let last = f.payment(&acme, 2_000, &[], before - Duration::microseconds(1));
    insert_payment(&f, &last).await;
    // Its refund comes after the bound, and is listed all the same.
    let last = refund(&f, &last, 500, None, before + Duration::days(3)).await;
    for excluded in [
        with_status(
            &f.payment(&acme, 3_000, &[], received),
            PaymentStatus::Pending,
        ),
        with_status(
            &f.payment(&acme, 4_000, &[], received),
            PaymentStatus::Failed,
        ),
        f.payment(&acme, 5_000, &[], before),
        f.payment_in(&acme, currency("USD"), 6_000, &[], received),
        f.payment(&globex, 7_000, &[], received),
        f.payment(&theirs, 8_000, &[], received),
    ] {
        insert_payment(&f, &excluded).await;
    }

    let expected = vec![
        listed_payment(&first, &[r2, r1, r3]),
        listed_payment(&last, &[last.refunds()[0].id]),
    ];
    let eur_scope = scope(&acme, eur(), 50);
    assert_eq!(
        store
            .statement_payments(eur_scope, before, None)
            .await
            .unwrap(),
        expected
    );
    // The bound is exclusive.
    assert_eq!(
        store
            .statement_payments(eur_scope, before - Duration::microseconds(1), None)
            .await
            .unwrap(),
        expected[..1]
    );
    assert_eq!(
        store
            .statement_payments(eur_scope, received, None)
            .await
            .unwrap(),
        []
    );
    let foreign = StatementScope {
        account: other.id,
        ..eur_scope
    };
    assert!(
        store
            .statement_payments(foreign, before, None)
            .await
            .unwrap()
            .is_empty()
    );
}

pub async fn statement_payments_are_paged_by_time_then_id(store: &dyn Store) {
    let f = Fixture::new(store);
    let account = f.account("Account").await;
    let acme = f.client(&account, "Acme").await;
    let start = ts("2026-05-04T12:00:00.000007Z");
    let mut payments = Vec::new();
    // Several share a time received: the id breaks the tie.
    for (i, seconds) in [0, 1, 0, 0, 2, 1, 0, 2].into_iter().enumerate() {
        let payment = f.payment(
            &acme,
            1_000 + i64::try_from(i).unwrap(),
            &[],
            start + Duration::seconds(seconds),
        );
        insert_payment(&f, &payment).await;
        payments.push(payment);
    }
    payments[5] = refund(&f, &payments[5], 300, None, start + Duration::days(1)).await;
    let mut expected: Vec<StatementPayment> = payments
        .iter()
        .map(|p| {
            let refunds: Vec<RefundId> = p.refunds().iter().map(|r| r.id).collect();
            listed_payment(p, &refunds)
        })
        .collect();
    expected.sort_by_key(|p| (p.received_at, p.id));

    let before = start + Duration::days(30);
    for limit in [1, 2, 3, 8, 50] {
        let read = payments_in_pages(store, scope(&acme, eur(), limit), before).await;
        assert_eq!(read, expected, "limit {limit}");
    }
    let tied = (expected[1].received_at, expected[1].id);
    assert_eq!(expected[2].received_at, tied.0);
    let least = PaymentId::from_uuid(uuid::Uuid::nil());
    let greatest = PaymentId::from_uuid(uuid::Uuid::max());
    let second = start + Duration::seconds(1);
    let cases = [
        (tied, &expected[2..]),
        ((second, least), &expected[4..]),
        ((second, greatest), &expected[6..]),
    ];
    for (cursor, rest) in cases {
        let read = store
            .statement_payments(scope(&acme, eur(), 50), before, Some(cursor))
            .await
            .unwrap();
        assert_eq!(read, rest, "after {cursor:?}");
    }
}
