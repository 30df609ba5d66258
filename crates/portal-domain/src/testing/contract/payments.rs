//! Contract checks for payments, refunds and the ledgers invoices derive
//! from them.

use chrono::Duration;

use crate::model::{
    Client, Cursor, Document, DocumentKind, DocumentStatus, Money, PageRequest, Payment,
    PaymentRecord, PaymentStatus,
};
use crate::ports::{Batch, PaymentFilter, Store, Write};

use super::fixture::eur;
use super::{Fixture, date, read_pages};

/// `payment` in another status.
pub(super) fn with_status(payment: &Payment, status: PaymentStatus) -> Payment {
    Payment::restore(PaymentRecord {
        id: payment.id(),
        account_id: payment.account_id(),
        client_id: payment.client_id(),
        amount: payment.amount(),
        method: payment.method(),
        reference: payment.reference().cloned(),
        received_at: payment.received_at(),
        status,
        allocations: payment.allocations().to_vec(),
        refunds: payment.refunds().to_vec(),
        created_at: payment.created_at(),
        version: payment.version(),
        processor: payment.processor().cloned(),
        failure: payment.failure().map(str::to_owned),
    })
    .unwrap()
}

/// The batch that records `payment` and the invoices it changes (each
/// as read, with the payment's entry for it added), in id order; returns
/// the invoices as the store holds them after.
pub(super) async fn record(
    f: &Fixture<'_>,
    payment: &Payment,
    invoices: &[&Document],
) -> Vec<Document> {
    let mut updated: Vec<Document> = payment
        .ledger_entries()
        .map(|(id, entry)| {
            let invoice = invoices.iter().find(|d| d.id() == id).expect("invoice");
            invoice
                .with_entries([entry], payment.received_at())
                .unwrap()
        })
        .collect();
    updated.sort_by_key(Document::id);
    let mut batch = Batch::new().with(Write::InsertPayment(payment.clone()));
    for invoice in &updated {
        batch.push(Write::UpdateDocument(invoice.clone()));
    }
    assert!(f.store.commit(&batch).await.unwrap());
    updated.iter().map(Document::bumped).collect()
}

/// Two sent invoices of 1140.00 each for one client.
async fn two_invoices(f: &Fixture<'_>) -> (Client, Document, Document) {
    let account = f.account("Account").await;
    let client = f.client(&account, "Acme").await;
    let a = f
        .sent(&f.document(&client, DocumentKind::Invoice, "INV-A", date("2026-11-01")))
        .await;
    let b = f
        .sent(&f.document(&client, DocumentKind::Invoice, "INV-B", date("2026-11-02")))
        .await;
    (client, a, b)
}

async fn read(f: &Fixture<'_>, document: &Document) -> Document {
    f.store
        .document(document.account_id(), document.id())
        .await
        .unwrap()
        .unwrap()
}

fn eur_cents(minor: i64) -> Money {
    Money::new(minor, eur())
}

pub async fn payments_round_trip_and_settle_their_invoices(store: &dyn Store) {
    let f = Fixture::new(store);
    let (client, a, b) = two_invoices(&f).await;
    let total = a.total().minor();
    let first_at = f.now + Duration::days(1);
    // All of A, part of B, and some left as credit.
    let first = f.payment(
        &client,
        total + 36_000,
        &[(a.id(), total), (b.id(), 30_000)],
        first_at,
    );
    let after = record(&f, &first, &[&a, &b]).await;
    let (a1, b1) = (read(&f, &a).await, read(&f, &b).await);
    for stored in [&a1, &b1] {
        assert!(
            after.contains(stored),
            "{:?} as the batch left it",
            stored.id()
        );
    }
    assert_eq!(
        store.payment(client.account_id, first.id()).await.unwrap(),
        Some(first.clone())
    );
    let other = f.account("Other").await;
    assert_eq!(store.payment(other.id, first.id()).await.unwrap(), None);

    assert_eq!(a1.status(), DocumentStatus::Paid);
    assert_eq!(a1.paid_at(), Some(first_at));
    assert_eq!(a1.amount_paid(), a.total());
    assert_eq!(a1.amount_due(), eur_cents(0));
    assert_eq!(b1.status(), DocumentStatus::PartiallyPaid);
    assert_eq!(b1.amount_paid(), eur_cents(30_000));
    assert_eq!(b1.amount_due(), eur_cents(total - 30_000));
    assert_eq!(first.unapplied(), eur_cents(6_000));

    // The rest of B, later.
    let second_at = first_at + Duration::hours(5);
    let second = f.payment(
        &client,
        total - 30_000,
        &[(b.id(), total - 30_000)],
        second_at,
    );
    let after = record(&f, &second, &[&b1]).await;
    let b2 = read(&f, &b).await;
    assert_eq!(after, vec![b2.clone()]);
    assert_eq!(b2.status(), DocumentStatus::Paid);
    assert_eq!(b2.paid_at(), Some(second_at));
    assert_eq!(b2.version(), 3);
    let applied = b2.ledger().applied_payments(eur()).unwrap();
    let summary: Vec<_> = applied
        .iter()
        .map(|p| {
            (
                p.payment,
                p.applied.minor(),
                p.refunded.minor(),
                p.received_at,
            )
        })
        .collect();
    assert_eq!(
        summary,
        vec![
            (first.id(), 30_000, 0, first_at),
            (second.id(), total - 30_000, 0, second_at)
        ]
    );
    assert_eq!(applied[0].reference, first.reference().cloned());
    assert_eq!(applied[0].method, first.method());
}

pub async fn pending_and_failed_payments_do_not_count_as_paid(store: &dyn Store) {
    let f = Fixture::new(store);
    let (client, a, _) = two_invoices(&f).await;
    let at = f.now + Duration::hours(1);
    let pending = with_status(
        &f.payment(&client, 40_000, &[(a.id(), 40_000)], at),
        PaymentStatus::Pending,
    );
    record(&f, &pending, &[&a]).await;
    let failed = with_status(
        &f.payment(
            &client,
            50_000,
            &[(a.id(), 50_000)],
            at + Duration::minutes(1),
        ),
        PaymentStatus::Failed,
    );
    let a1 = read(&f, &a).await;
    record(&f, &failed, &[&a1]).await;

    let stored = read(&f, &a).await;
    assert_eq!(stored.status(), DocumentStatus::Open);
    assert_eq!(stored.amount_paid(), eur_cents(0));
    assert_eq!(stored.amount_due(), a.total());
    assert_eq!(stored.amount_open(), eur_cents(a.total().minor() - 40_000));
    let applied = stored.ledger().applied_payments(eur()).unwrap();
    assert_eq!(applied.len(), 1, "a failed payment never counted");
    assert_eq!(applied[0].status, PaymentStatus::Pending);
    assert_eq!(
        store.payment(client.account_id, failed.id()).await.unwrap(),
        Some(failed)
    );
    assert_eq!(
        store
            .payment(client.account_id, pending.id())
            .await
            .unwrap(),
        Some(pending)
    );
}

pub async fn refunds_reopen_invoices_and_compare_the_payment_version(store: &dyn Store) {
    let f = Fixture::new(store);
    let (client, a, b) = two_invoices(&f).await;
    let total = a.total().minor();
    let account = client.account_id;
    let paid_at = f.now + Duration::days(1);
    let payment = f.payment(
        &client,
        total + 36_000,
        &[(a.id(), total), (b.id(), 30_000)],
        paid_at,
    );
    record(&f, &payment, &[&a, &b]).await;

    // Refunds take the credit first, then the last allocated invoice.
    let refund = |payment: &Payment, minor, minutes| {
        let id = crate::model::RefundId::generate(f.random());
        let at = paid_at + Duration::minutes(minutes);
        payment.refund(id, eur_cents(minor), None, at).unwrap()
    };
    let apply = |refund: &crate::model::Refund, version: u64| {
        let refund = refund.clone();
        async move {
            let mut updated = Vec::new();
            for (id, entry) in refund.ledger_entries() {
                let invoice = store.document(account, id).await.unwrap().unwrap();
                updated.push(invoice.with_entries([entry], refund.created_at).unwrap());
            }
            updated.sort_by_key(Document::id);
            let mut batch = Batch::new().with(Write::InsertRefund {
                refund: refund.clone(),
                payment_version: version,
            });
            for invoice in updated {
                batch.push(Write::UpdateDocument(invoice));
            }
            store.commit(&batch).await.unwrap()
        }
    };
    let first = refund(&payment, 20_000, 10);
    assert_eq!(first.allocations.len(), 1);
    assert!(apply(&first, 0).await);
    let b1 = read(&f, &b).await;
    assert_eq!(b1.amount_paid(), eur_cents(30_000 - 14_000));
    assert_eq!(b1.status(), DocumentStatus::PartiallyPaid);

    // A refund computed from the payment as it was before loses.
    let stale = refund(&payment, 5_000, 20);
    assert!(!apply(&stale, 0).await);

    let once = payment.with_refund(first.clone());
    let second = refund(&once, 100_000, 30);
    assert!(apply(&second, 1).await);
    let stored = store.payment(account, payment.id()).await.unwrap().unwrap();
    assert_eq!(stored, once.with_refund(second.clone()));
    assert_eq!(stored.version(), 2);
    assert_eq!(stored.refunded().unwrap(), eur_cents(120_000));

    let (a2, b2) = (read(&f, &a).await, read(&f, &b).await);
    assert_eq!(b2.status(), DocumentStatus::Open);
    assert_eq!(b2.amount_paid(), eur_cents(0));
    assert_eq!(a2.status(), DocumentStatus::PartiallyPaid);
    assert_eq!(a2.paid_at(), None, "a refund reopens a paid invoice");
    assert_eq!(a2.amount_paid(), eur_cents(total - 84_000));
    let applied = a2.ledger().applied_payments(eur()).unwrap();
    assert_eq!(
        (applied[0].applied.minor(), applied[0].refunded.minor()),
        (total, 84_000)
    );
}

pub async fn payments_are_listed_newest_first_and_filtered(store: &dyn Store) {
    let f = Fixture::new(store);
    let account = f.account("Account").await;
    let acme = f.client(&account, "Acme").await;
    let globex = f.client(&account, "Globex").await;
    let other = f.account("Other").await;
    let theirs = f.client(&other, "Theirs").await;
    let mut all = Vec::new();
    for (i, (client, hours)) in [
        (&acme, 3),
        (&globex, 1),
        (&acme, 1),
        (&acme, 5),
        (&globex, 3),
        (&acme, 1),
    ]
    .into_iter()
    .enumerate()
    {
        let payment = f.payment(
            client,
            1_000 + i64::try_from(i).unwrap(),
            &[],
            f.now - Duration::hours(hours),
        );
        assert!(
            store
                .commit(&Batch::new().with(Write::InsertPayment(payment.clone())))
                .await
                .unwrap()
        );
        all.push(payment);
    }
    let foreign = f.payment(&theirs, 500, &[], f.now);
    assert!(
        store
            .commit(&Batch::new().with(Write::InsertPayment(foreign)))
            .await
            .unwrap()
    );
    all.sort_by_key(|p| std::cmp::Reverse((p.received_at(), p.id())));
    for client in [None, Some(acme.id), Some(globex.id)] {
        let expected: Vec<Payment> = all
            .iter()
            .filter(|p| client.is_none_or(|c| p.client_id() == c))
            .cloned()
            .collect();
        for limit in [1, 2, 4, 50] {
            let listed = read_pages(
                limit,
                |p: &Payment| Cursor::new(p.received_at(), p.id().as_uuid()),
                |page| async move {
                    store
                        .payments(account.id, PaymentFilter { client }, &page)
                        .await
                        .unwrap()
                },
            )
            .await;
            assert_eq!(listed, expected, "{client:?}, limit {limit}");
        }
    }
    let none = store
        .payments(
            other.id,
            PaymentFilter {
                client: Some(acme.id),
            },
            &PageRequest::first(5),
        )
        .await
        .unwrap();
    assert!(none.is_empty());
}
