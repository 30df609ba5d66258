//! Contract checks for the portal's overview: what it sums must be what
//! the documents' own ledgers give, and its two lists must page without
//! gaps or duplicates.

use chrono::Duration;

use crate::model::{
    DocumentAction, DocumentKind, DocumentStatus, DocumentSummary, PageRequest, PaymentStatus,
    PaymentSummary, RefundId,
};
use crate::ports::{Batch, Store, Write};

use super::fixture::eur;
use super::payments::{record, with_status};
use super::{Fixture, date, read_pages};

pub async fn the_overview_sums_ledgers_and_pages_both_lists(store: &dyn Store) {
    let f = Fixture::new(store);
    let account = f.account("Account").await;
    let acme = f.client(&account, "Acme").await;
    let globex = f.client(&account, "Globex").await;
    let mut invoices = Vec::new();
    for i in 0..6 {
        let draft = f.document_at(
            &acme,
            DocumentKind::Invoice,
            &format!("INV-{i}"),
            date("2026-10-01") + Duration::days(i),
            f.now + Duration::seconds(i),
        );
        invoices.push(f.sent(&draft).await);
    }
    // Created at the same instant: the id breaks the tie.
    for (kind, number) in [
        (DocumentKind::Estimate, "EST-1"),
        (DocumentKind::Contract, "CON-1"),
    ] {
        let draft = f.document_at(
            &acme,
            kind,
            number,
            date("2026-10-10"),
            f.now + Duration::seconds(30),
        );
        f.sent(&draft).await;
    }
    // Not shown: a draft, a draft voided before sending, another client's.
    store
        .insert_document(&f.document(&acme, DocumentKind::Invoice, "DRAFT", date("2026-10-02")))
        .await
        .unwrap();
    let withdrawn = f.document(
        &acme,
        DocumentKind::Invoice,
        "WITHDRAWN",
        date("2026-10-03"),
    );
    store.insert_document(&withdrawn).await.unwrap();
    let voided = withdrawn.apply(DocumentAction::Void, f.now).unwrap();
    assert!(
        store
            .commit(&Batch::new().with(Write::UpdateDocument(voided)))
            .await
            .unwrap()
    );
    let theirs = f
        .sent(&f.document(&globex, DocumentKind::Invoice, "G-1", date("2026-10-01")))
        .await;
    // A void invoice the client was sent stays listed.
    let void = invoices[5]
        .apply(DocumentAction::Void, f.now + Duration::minutes(1))
        .unwrap();
    assert!(
        store
            .commit(&Batch::new().with(Write::UpdateDocument(void)))
            .await
            .unwrap()
    );

    let total = invoices[0].total().minor();
    let day = |n: i64| f.now + Duration::days(n);
    // INV-0 paid in full and INV-1 in part; then part of it refunded.
    let both = f.payment(
        &acme,
        total + 5_000,
        &[(invoices[0].id(), total), (invoices[1].id(), 5_000)],
        day(1),
    );
    record(&f, &both, &[&invoices[0], &invoices[1]]).await;
    let refund = both
        .refund(
            RefundId::generate(f.random()),
            crate::model::Money::new(2_000, eur()),
            None,
            day(2),
        )
        .unwrap();
    let mut refund_batch = Batch::new().with(Write::InsertRefund {
        refund: refund.clone(),
        payment_version: 0,
    });
    for (id, entry) in refund.ledger_entries() {
        let invoice = store.document(account.id, id).await.unwrap().unwrap();
        refund_batch.push(Write::UpdateDocument(
            invoice.with_entries([entry], refund.created_at).unwrap(),
        ));
    }
    assert!(store.commit(&refund_batch).await.unwrap());
    // In flight on INV-2; failed on INV-3 (never listed); another
    // client's on its own invoice.
    let pending = with_status(
        &f.payment(&acme, 3_000, &[(invoices[2].id(), 3_000)], day(3)),
        PaymentStatus::Pending,
    );
    record(&f, &pending, &[&invoices[2]]).await;
    let failed = with_status(
        &f.payment(&acme, 1_000, &[(invoices[3].id(), 1_000)], day(4)),
        PaymentStatus::Failed,
    );
    assert!(
        store
            .commit(&Batch::new().with(Write::InsertPayment(failed)))
            .await
            .unwrap()
    );
    record(
        &f,
        &f.payment(&globex, 1_000, &[(theirs.id(), 1_000)], day(5)),
        &[&theirs],
    )
    .await;
    // Two payments at one instant, and one with nothing applied (credit).
    let tied = [
        f.payment(&acme, 1_500, &[(invoices[4].id(), 1_500)], day(6)),
        f.payment(&acme, 700, &[(invoices[4].id(), 700)], day(6)),
    ];
    for payment in &tied {
        let invoice = store
            .document(account.id, invoices[4].id())
            .await
            .unwrap()
            .unwrap();
        record(&f, payment, &[&invoice]).await;
    }
    let credit = f.payment(&acme, 900, &[], day(7));
    record(&f, &credit, &[]).await;

    // What the overview must say, from the documents and payments read
    // whole.
    let all = store.client_documents(account.id, acme.id).await.unwrap();
    let (mut outstanding, mut others): (Vec<DocumentSummary>, Vec<DocumentSummary>) =
        all.iter().map(DocumentSummary::of).partition(|d| {
            d.kind == DocumentKind::Invoice
                && matches!(
                    d.status,
                    DocumentStatus::Open | DocumentStatus::PartiallyPaid
                )
        });
    outstanding.sort_by_key(|d| d.id);
    others.sort_by_key(|d| std::cmp::Reverse((d.created_at, d.id.as_uuid())));
    let number = |id| {
        all.iter()
            .find(|d| d.id() == id)
            .map(|d| d.number().clone())
    };
    let mut payments: Vec<PaymentSummary> = Vec::new();
    for id in [
        both.id(),
        pending.id(),
        tied[0].id(),
        tied[1].id(),
        credit.id(),
    ] {
        let payment = store.payment(account.id, id).await.unwrap().unwrap();
        payments.push(PaymentSummary::of(&payment, number).unwrap());
    }
    payments.sort_by_key(|p| std::cmp::Reverse((p.received_at, p.id.as_uuid())));

    // The sums are the ledgers' own.
    let inv1 = outstanding
        .iter()
        .find(|d| d.id == invoices[1].id())
        .unwrap();
    assert_eq!((inv1.paid.minor(), inv1.pending.minor()), (3_000, 0));
    let inv2 = outstanding
        .iter()
        .find(|d| d.id == invoices[2].id())
        .unwrap();
    assert_eq!((inv2.paid.minor(), inv2.pending.minor()), (0, 3_000));
    assert_eq!(payments[4].refunded.minor(), 2_000);
    assert_eq!(outstanding.len(), 4, "INV-1 to INV-4");
    assert_eq!(others.len(), 4, "INV-0 paid, INV-5 void, EST-1, CON-1");

    for limit in 1..=5 {
        let first = store
            .overview(
                account.id,
                acme.id,
                &PageRequest::first(limit),
                &PageRequest::first(limit),
            )
            .await
            .unwrap();
        let mut shown = first.outstanding.clone();
        shown.sort_by_key(|d| d.id);
        assert_eq!(shown, outstanding, "outstanding, limit {limit}");
        let listed = read_pages(limit, DocumentSummary::cursor, |page| async move {
            let overview = store
                .overview(account.id, acme.id, &page, &PageRequest::first(1))
                .await
                .unwrap();
            assert_eq!(overview.outstanding.len(), 4, "on every page");
            overview.documents
        })
        .await;
        assert_eq!(listed, others, "documents, limit {limit}");
        let paid = read_pages(limit, PaymentSummary::cursor, |page| async move {
            store
                .overview(account.id, acme.id, &PageRequest::first(1), &page)
                .await
                .unwrap()
                .payments
        })
        .await;
        assert_eq!(paid, payments, "payments, limit {limit}");
    }

    // Scoped to the account as well as the client.
    let other = f.account("Other").await;
    let nothing = store
        .overview(
            other.id,
            acme.id,
            &PageRequest::first(10),
            &PageRequest::first(10),
        )
        .await
        .unwrap();
    assert!(nothing.outstanding.is_empty() && nothing.documents.is_empty());
    assert!(nothing.payments.is_empty());
}
