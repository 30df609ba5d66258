//! Contract checks for documents, their lines, versions and recipients.

use chrono::Duration;

use crate::model::{
    Cursor, Document, DocumentAction, DocumentId, DocumentKind, DocumentStatus, PageRequest,
};
use crate::ports::{Batch, Conflict, DocumentFilter, Store, StoreError, Write};

use super::{Fixture, date, read_pages};

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
        let stored = store.document(account.id, document.id()).await.unwrap();
        assert_eq!(stored, Some(document.clone()), "{kind:?}");
        assert_eq!(document.version(), 0);
    }
    let other = f.account("Other").await;
    let doc = f.document(
        &client,
        DocumentKind::Invoice,
        "INV-0002",
        date("2026-11-02"),
    );
    store.insert_document(&doc).await.unwrap();
    assert_eq!(store.document(other.id, doc.id()).await.unwrap(), None);
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
    assert_eq!(store.document(account.id, clash.id()).await.unwrap(), None);
    store
        .insert_document(&f.document(&acme, DocumentKind::Estimate, "1001", date("2026-11-01")))
        .await
        .unwrap();
    store
        .insert_document(&f.document(&foreign, DocumentKind::Invoice, "1001", date("2026-11-01")))
        .await
        .unwrap();
    let all = store
        .documents(
            account.id,
            DocumentFilter::default(),
            &PageRequest::first(50),
        )
        .await
        .unwrap();
    assert_eq!(all.len(), 2);
}

pub async fn documents_are_filtered_and_listed_newest_first(store: &dyn Store) {
    let f = Fixture::new(store);
    let account = f.account("Account").await;
    let acme = f.client(&account, "Acme").await;
    let globex = f.client(&account, "Globex").await;
    let at = |minutes| f.now + Duration::minutes(minutes);
    let mut all = Vec::new();
    for (i, (client, kind, minutes)) in [
        (&acme, DocumentKind::Invoice, 0),
        (&acme, DocumentKind::Estimate, 2),
        (&globex, DocumentKind::Invoice, 2),
        (&acme, DocumentKind::Invoice, 2),
        (&acme, DocumentKind::Contract, 1),
        (&globex, DocumentKind::Estimate, 5),
        (&acme, DocumentKind::Invoice, 4),
    ]
    .into_iter()
    .enumerate()
    {
        let doc = f.document_at(
            client,
            kind,
            &format!("D-{i}"),
            date("2026-10-01"),
            at(minutes),
        );
        store.insert_document(&doc).await.unwrap();
        all.push(doc);
    }
    let other = f.account("Other").await;
    let theirs = f.client(&other, "Theirs").await;
    store
        .insert_document(&f.document(&theirs, DocumentKind::Invoice, "X-1", date("2026-10-01")))
        .await
        .unwrap();
    all.sort_by_key(|d| std::cmp::Reverse((d.created_at(), d.id())));

    for filter in [
        DocumentFilter::default(),
        DocumentFilter {
            client: Some(acme.id),
            kind: None,
        },
        DocumentFilter {
            client: None,
            kind: Some(DocumentKind::Invoice),
        },
        DocumentFilter {
            client: Some(acme.id),
            kind: Some(DocumentKind::Invoice),
        },
    ] {
        let expected: Vec<Document> = all
            .iter()
            .filter(|d| filter.client.is_none_or(|c| d.client_id() == c))
            .filter(|d| filter.kind.is_none_or(|k| d.kind() == k))
            .cloned()
            .collect();
        for limit in [1, 2, 3, 50] {
            let listed = read_pages(
                limit,
                |d: &Document| Cursor::new(d.created_at(), d.id().as_uuid()),
                |page| async move { store.documents(account.id, filter, &page).await.unwrap() },
            )
            .await;
            assert_eq!(listed, expected, "{filter:?}, limit {limit}");
        }
    }
}

pub async fn client_documents_are_the_sent_ones_by_issue_date(store: &dyn Store) {
    let f = Fixture::new(store);
    let account = f.account("Account").await;
    let acme = f.client(&account, "Acme").await;
    let globex = f.client(&account, "Globex").await;
    let old = f.document(&acme, DocumentKind::Invoice, "A-1", date("2026-09-01"));
    store.insert_document(&old).await.unwrap();
    let new = f
        .sent(&f.document(&acme, DocumentKind::Invoice, "A-2", date("2026-10-01")))
        .await;
    let estimate = f
        .sent(&f.document(&acme, DocumentKind::Estimate, "A-3", date("2026-09-15")))
        .await;
    // Same issue date as the estimate, created later: listed before it.
    let contract = f
        .sent(&f.document_at(
            &acme,
            DocumentKind::Contract,
            "A-4",
            date("2026-09-15"),
            f.now + Duration::seconds(1),
        ))
        .await;
    f.sent(&f.document(&globex, DocumentKind::Invoice, "G-1", date("2026-11-01")))
        .await;
    // Voided before it was ever sent: still the business's own.
    let withdrawn = f.document(&acme, DocumentKind::Invoice, "A-0", date("2026-08-01"));
    store.insert_document(&withdrawn).await.unwrap();
    let voided = withdrawn.apply(DocumentAction::Void, f.now).unwrap();
    let batch = Batch::new().with(Write::UpdateDocument(voided));
    assert!(store.commit(&batch).await.unwrap());

    let shown = store.client_documents(account.id, acme.id).await.unwrap();
    assert_eq!(shown, vec![new.clone(), contract, estimate]);
    assert_eq!(shown[0].status(), DocumentStatus::Open);
    let other = f.account("Other").await;
    assert!(
        store
            .client_documents(other.id, acme.id)
            .await
            .unwrap()
            .is_empty()
    );
}

pub async fn document_status_changes_are_compare_and_set(store: &dyn Store) {
    let f = Fixture::new(store);
    let account = f.account("Account").await;
    let client = f.client(&account, "Acme").await;
    let draft = f.document(&client, DocumentKind::Invoice, "INV-1", date("2026-11-01"));
    store.insert_document(&draft).await.unwrap();

    let sent = draft.apply(DocumentAction::Send, f.now).unwrap();
    let send = Batch::new().with(Write::UpdateDocument(sent.clone()));
    assert!(store.commit(&send).await.unwrap());
    let stored = store.document(account.id, draft.id()).await.unwrap();
    assert_eq!(stored, Some(sent.bumped()));
    assert_eq!(stored.map(|d| d.version()), Some(1));

    // A second writer that still holds version 0 loses, writing nothing.
    let voided = draft.apply(DocumentAction::Void, f.now).unwrap();
    let void = Batch::new().with(Write::UpdateDocument(voided));
    assert!(!store.commit(&void).await.unwrap());
    // So does the first writer sending again from what it read.
    assert!(!store.commit(&send).await.unwrap());
    assert_eq!(
        store.document(account.id, draft.id()).await.unwrap(),
        Some(sent.bumped())
    );

    // Paying it in full moves it on to paid, one version further.
    let later = f.now + Duration::days(3);
    let payment = f.payment(
        &client,
        sent.total().minor(),
        &[(sent.id(), sent.total().minor())],
        later,
    );
    let (_, entry) = payment.ledger_entries().next().unwrap();
    let paid = sent.bumped().with_entries([entry], later).unwrap();
    let pay = Batch::new()
        .with(Write::InsertPayment(payment))
        .with(Write::UpdateDocument(paid.clone()));
    assert!(store.commit(&pay).await.unwrap());
    let stored = store
        .document(account.id, draft.id())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(stored, paid.bumped());
    assert_eq!(stored.status(), DocumentStatus::Paid);
    assert_eq!(stored.paid_at(), Some(later));
    assert_eq!(stored.version(), 2);
}

pub async fn recipients_are_listed_once_in_first_sent_order(store: &dyn Store) {
    let f = Fixture::new(store);
    let account = f.account("Account").await;
    let acme = f.client(&account, "Acme").await;
    let ap = f.contact(&acme, "ap@acme.example").await;
    let cfo = f.contact(&acme, "cfo@acme.example").await;
    let ceo = f.contact(&acme, "ceo@acme.example").await;
    let first = f
        .sent(&f.document(&acme, DocumentKind::Invoice, "INV-1", date("2026-11-01")))
        .await;
    let second = f
        .sent(&f.document(&acme, DocumentKind::Invoice, "INV-2", date("2026-11-02")))
        .await;
    let third = f
        .sent(&f.document(&acme, DocumentKind::Invoice, "INV-3", date("2026-11-03")))
        .await;
    let at = |minutes| f.now + Duration::minutes(minutes);
    let mut batch = Batch::new();
    for (document, contact, minutes) in [
        (&first, &cfo, 5),
        (&second, &ap, 3),
        (&first, &ap, 9),
        // Sent to cfo again much later: the first send still counts.
        (&first, &cfo, 60),
        (&third, &ceo, 1),
    ] {
        batch.push(Write::RecordRecipient {
            document: document.id(),
            contact: contact.id,
            at: at(minutes),
        });
    }
    assert!(store.commit(&batch).await.unwrap());
    let of =
        |docs: Vec<DocumentId>| async move { store.recipients(account.id, &docs).await.unwrap() };
    assert_eq!(of(vec![first.id(), second.id()]).await, vec![ap.id, cfo.id]);
    assert_eq!(of(vec![first.id()]).await, vec![cfo.id, ap.id]);
    assert_eq!(
        of(vec![first.id(), second.id(), third.id()]).await,
        vec![ceo.id, ap.id, cfo.id]
    );
    assert!(of(vec![]).await.is_empty());
    let other = f.account("Other").await;
    assert!(
        store
            .recipients(other.id, &[first.id()])
            .await
            .unwrap()
            .is_empty()
    );
}
