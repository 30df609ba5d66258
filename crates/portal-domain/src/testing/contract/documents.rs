//! Contract checks for documents and their lines.

use chrono::Duration;

use crate::model::{DocumentAction, DocumentKind, DocumentStatus};
use crate::ports::{Conflict, DocumentFilter, Store, StoreError};

use super::{Fixture, date};

pub async fn documents_round_trip_with_their_lines(store: &dyn Store) {
    let f = Fixture::new(store);
    let account = f.account("Account").await;
    let client = f.client(&account, "Acme").await;
    for (kind, number) in [
        (DocumentKind::Invoice, "INV-0001"),
        (DocumentKind::Estimate, "EST-0001"),
        (DocumentKind::Contract, "CON-0001"),
    ] {
        let document = f.document(&client, kind, number, date("2026-11-01"));
        store.insert_document(&document).await.unwrap();
        let stored = store.document(account.id, document.id).await.unwrap();
        assert_eq!(stored, Some(document.clone()), "{kind:?}");
    }
    let other = f.account("Other").await;
    let doc = f.document(
        &client,
        DocumentKind::Invoice,
        "INV-0002",
        date("2026-11-02"),
    );
    store.insert_document(&doc).await.unwrap();
    assert_eq!(store.document(other.id, doc.id).await.unwrap(), None);
}

pub async fn document_numbers_are_unique_per_account_and_kind(store: &dyn Store) {
    let f = Fixture::new(store);
    let account = f.account("Account").await;
    let other = f.account("Other").await;
    let acme = f.client(&account, "Acme").await;
    let globex = f.client(&account, "Globex").await;
    let foreign = f.client(&other, "Foreign").await;
    store
        .insert_document(&f.document(&acme, DocumentKind::Invoice, "1001", date("2026-11-01")))
        .await
        .unwrap();
    let clash = f.document(&globex, DocumentKind::Invoice, "1001", date("2026-11-02"));
    match store.insert_document(&clash).await {
        Err(StoreError::Conflict(Conflict::DocumentNumber)) => {}
        other => panic!("expected a document number conflict, got {other:?}"),
    }
    // Nothing of the refused document was kept, lines included.
    assert_eq!(store.document(account.id, clash.id).await.unwrap(), None);
    store
        .insert_document(&f.document(&acme, DocumentKind::Estimate, "1001", date("2026-11-01")))
        .await
        .unwrap();
    store
        .insert_document(&f.document(&foreign, DocumentKind::Invoice, "1001", date("2026-11-01")))
        .await
        .unwrap();
    let all = store
        .documents(account.id, DocumentFilter::default())
        .await
        .unwrap();
    assert_eq!(all.len(), 2);
}

pub async fn documents_are_filtered_and_ordered(store: &dyn Store) {
    let f = Fixture::new(store);
    let account = f.account("Account").await;
    let acme = f.client(&account, "Acme").await;
    let globex = f.client(&account, "Globex").await;
    let old = f.document(&acme, DocumentKind::Invoice, "A-1", date("2026-09-01"));
    let new = f
        .document(&acme, DocumentKind::Invoice, "A-2", date("2026-10-01"))
        .apply(DocumentAction::Send, f.now)
        .unwrap();
    let estimate = f
        .document(&acme, DocumentKind::Estimate, "A-3", date("2026-09-15"))
        .apply(DocumentAction::Send, f.now)
        .unwrap();
    let theirs = f
        .document(&globex, DocumentKind::Invoice, "G-1", date("2026-11-01"))
        .apply(DocumentAction::Send, f.now)
        .unwrap();
    // Voided before it was ever sent: still the business's own.
    let withdrawn = f
        .document(&acme, DocumentKind::Invoice, "A-0", date("2026-08-01"))
        .apply(DocumentAction::Void, f.now)
        .unwrap();
    for doc in [&old, &new, &estimate, &theirs, &withdrawn] {
        store.insert_document(doc).await.unwrap();
    }
    let ids =
        |docs: Vec<crate::model::Document>| docs.into_iter().map(|d| d.id).collect::<Vec<_>>();

    let all = store
        .documents(account.id, DocumentFilter::default())
        .await
        .unwrap();
    assert_eq!(
        ids(all),
        vec![theirs.id, new.id, estimate.id, old.id, withdrawn.id]
    );
    let acme_only = DocumentFilter {
        client: Some(acme.id),
        ..DocumentFilter::default()
    };
    assert_eq!(
        ids(store.documents(account.id, acme_only).await.unwrap()),
        vec![new.id, estimate.id, old.id, withdrawn.id]
    );
    let acme_invoices = DocumentFilter {
        kind: Some(DocumentKind::Invoice),
        ..acme_only
    };
    assert_eq!(
        ids(store.documents(account.id, acme_invoices).await.unwrap()),
        vec![new.id, old.id, withdrawn.id]
    );
    let visible = DocumentFilter {
        sent_only: true,
        ..acme_only
    };
    assert_eq!(
        ids(store.documents(account.id, visible).await.unwrap()),
        vec![new.id, estimate.id]
    );
}

pub async fn document_status_changes_are_compare_and_set(store: &dyn Store) {
    let f = Fixture::new(store);
    let account = f.account("Account").await;
    let client = f.client(&account, "Acme").await;
    let draft = f.document(&client, DocumentKind::Invoice, "INV-1", date("2026-11-01"));
    store.insert_document(&draft).await.unwrap();

    let sent = draft.apply(DocumentAction::Send, f.now).unwrap();
    assert!(
        store
            .update_document_status(&sent, DocumentStatus::Draft)
            .await
            .unwrap()
    );
    assert_eq!(
        store.document(account.id, draft.id).await.unwrap(),
        Some(sent.clone())
    );

    // A second writer that still believes the invoice is a draft loses.
    let voided = draft.apply(DocumentAction::Void, f.now).unwrap();
    assert!(
        !store
            .update_document_status(&voided, DocumentStatus::Draft)
            .await
            .unwrap()
    );
    assert_eq!(
        store.document(account.id, draft.id).await.unwrap(),
        Some(sent.clone())
    );

    let paid = sent
        .apply(DocumentAction::MarkPaid, f.now + Duration::days(3))
        .unwrap();
    assert!(
        store
            .update_document_status(&paid, DocumentStatus::Sent)
            .await
            .unwrap()
    );
    assert_eq!(
        store.document(account.id, draft.id).await.unwrap(),
        Some(paid)
    );
}
