//! Contract checks for batches: every write lands, or none does.

use chrono::Duration;

use crate::model::{
    AccountId, AuditAction, ClaimToken, Client, ClientId, Document, DocumentAction, DocumentKind,
    DocumentStatus, LinkPurpose, OutboxId, OutboxStatus, PageRequest, PaymentId, PortalSession,
    RefundId, TokenHash,
};
use crate::ports::{Batch, Conflict, PaymentFilter, SessionFilter, Store, StoreError, Write};

use super::fixture::eur;
use super::{Fixture, date};

pub async fn a_batch_applies_every_write(store: &dyn Store) {
    let f = Fixture::new(store);
    let account = f.account("Account").await;
    let client = f.client(&account, "Acme").await;
    let contact = f.contact(&client, "ap@acme.example").await;
    let draft = f.document(&client, DocumentKind::Invoice, "INV-1", date("2026-11-01"));
    store.insert_document(&draft).await.unwrap();
    let sent = draft.apply(DocumentAction::Send, f.now).unwrap();
    let (mut link, token) = f.link(&contact, Some(draft.id()), f.now + Duration::days(14));
    link.purpose = LinkPurpose::ApiSession;
    let pending =
        PortalSession::pending(crate::model::SessionId::generate(f.random()), &link, f.now);
    link.session_id = Some(pending.id);
    let audit = crate::model::AuditEvent {
        document_id: Some(draft.id()),
        ..f.event(&contact, AuditAction::DocumentSent, f.now)
    };
    let message = f.message(&account, "ap@acme.example", Some(link.id), f.now);
    let batch = Batch::new()
        .with(Write::InsertLink {
            link: link.clone(),
            pending: Some(pending.clone()),
            email: contact.email.clone(),
        })
        .with(Write::UpdateDocument(sent.clone()))
        .with(Write::RecordRecipient {
            document: draft.id(),
            contact: contact.id,
            at: f.now,
        })
        .with(Write::Audit(audit.clone()))
        .with(Write::Enqueue(message.clone()));
    assert!(store.commit(&batch).await.unwrap());

    assert_eq!(
        store.link_by_token(&token.hash()).await.unwrap(),
        Some(link)
    );
    assert_eq!(
        store.session(account.id, pending.id).await.unwrap(),
        Some(pending)
    );
    assert_eq!(
        store.document(account.id, draft.id()).await.unwrap(),
        Some(sent.bumped())
    );
    assert_eq!(
        store.recipients(account.id, &[draft.id()]).await.unwrap(),
        vec![contact.id]
    );
    assert_eq!(
        store
            .client_events(account.id, client.id, &PageRequest::first(5))
            .await
            .unwrap(),
        vec![audit]
    );
    assert_eq!(
        store.outbox_message(account.id, message.id).await.unwrap(),
        Some(message)
    );
    assert!(
        store.commit(&Batch::new()).await.unwrap(),
        "an empty batch holds"
    );
}

/// A batch with one write of every kind that can come before the write
/// that fails it, and what it would write.
struct Everything {
    batch: Batch,
    account: AccountId,
    client: ClientId,
    sent: Document,
    link: TokenHash,
    payment: PaymentId,
    message: OutboxId,
}

async fn everything(f: &Fixture<'_>, client: &Client) -> Everything {
    let contact = f.contact(client, "ap@acme.example").await;
    let draft = f.document(client, DocumentKind::Invoice, "INV-9", date("2026-11-01"));
    let sent = f.sent(&draft).await;
    let (link, token) = f.link(&contact, Some(draft.id()), f.now + Duration::days(1));
    let payment = f.payment(client, 10_000, &[(draft.id(), 10_000)], f.now);
    let (_, entry) = payment.ledger_entries().next().unwrap();
    let paid = sent.with_entries([entry], f.now).unwrap();
    let audit = f.event(&contact, AuditAction::PaymentRecorded, f.now);
    let account = f.store.account(client.account_id).await.unwrap().unwrap();
    let message = f.message(&account, "ap@acme.example", None, f.now);
    let batch = Batch::new()
        .with(Write::InsertLink {
            link,
            pending: None,
            email: contact.email.clone(),
        })
        .with(Write::InsertPayment(payment.clone()))
        .with(Write::UpdateDocument(paid))
        .with(Write::RecordRecipient {
            document: draft.id(),
            contact: contact.id,
            at: f.now,
        })
        .with(Write::Audit(audit))
        .with(Write::Enqueue(message.clone()));
    Everything {
        batch,
        account: account.id,
        client: client.id,
        sent,
        link: token.hash(),
        payment: payment.id(),
        message: message.id,
    }
}

/// Checks that nothing of `e`'s batch was written.
async fn nothing_of(store: &dyn Store, e: &Everything) {
    let all = PageRequest::first(10);
    assert_eq!(store.link_by_token(&e.link).await.unwrap(), None);
    assert_eq!(store.payment(e.account, e.payment).await.unwrap(), None);
    assert_eq!(
        store.document(e.account, e.sent.id()).await.unwrap(),
        Some(e.sent.clone())
    );
    assert!(
        store
            .recipients(e.account, &[e.sent.id()])
            .await
            .unwrap()
            .is_empty()
    );
    assert!(
        store
            .client_events(e.account, e.client, &all)
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(
        store.outbox_message(e.account, e.message).await.unwrap(),
        None
    );
    let sessions = store
        .sessions(e.account, SessionFilter::default(), &all)
        .await
        .unwrap();
    assert!(sessions.is_empty());
}

pub async fn a_lost_compare_and_set_late_in_a_batch_writes_nothing(store: &dyn Store) {
    let f = Fixture::new(store);
    let account = f.account("Account").await;
    let client = f.client(&account, "Acme").await;
    let everything = everything(&f, &client).await;

    // A document version that moved on.
    let estimate = f.document(&client, DocumentKind::Estimate, "EST-1", date("2026-11-01"));
    let other = f.sent(&estimate).await;
    let stale = estimate.apply(DocumentAction::Void, f.now).unwrap();
    let lost = everything.batch.clone().with(Write::UpdateDocument(stale));
    assert!(!store.commit(&lost).await.unwrap());
    nothing_of(store, &everything).await;
    assert_eq!(
        store
            .document(account.id, other.id())
            .await
            .unwrap()
            .map(|d| d.status()),
        Some(DocumentStatus::Sent)
    );

    // A refund against a payment version that moved on.
    let payment = f.payment(&client, 5_000, &[], f.now - Duration::days(1));
    assert!(
        store
            .commit(&Batch::new().with(Write::InsertPayment(payment.clone())))
            .await
            .unwrap()
    );
    let refund = payment
        .refund(
            RefundId::generate(f.random()),
            crate::model::Money::new(1_000, eur()),
            None,
            f.now,
        )
        .unwrap();
    let lost = everything.batch.clone().with(Write::InsertRefund {
        refund,
        payment_version: 1,
    });
    assert!(!store.commit(&lost).await.unwrap());
    nothing_of(store, &everything).await;
    assert_eq!(
        store.payment(account.id, payment.id()).await.unwrap(),
        Some(payment.clone())
    );

    // An outbox item this batch's claim does not hold.
    let queued = f.message(
        &account,
        "cfo@acme.example",
        None,
        f.now - Duration::hours(1),
    );
    f.enqueue(&queued).await;
    let lost = everything.batch.clone().with(Write::CompleteOutbox {
        id: queued.id,
        claim: ClaimToken(f.uuid()),
        at: f.now,
    });
    assert!(!store.commit(&lost).await.unwrap());
    nothing_of(store, &everything).await;
    let stored = store
        .outbox_message(account.id, queued.id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(stored.status, OutboxStatus::Pending);

    // Only the payment written apart from the batches is there.
    let listed = store
        .payments(
            account.id,
            PaymentFilter::default(),
            &PageRequest::first(10),
        )
        .await
        .unwrap();
    assert_eq!(listed, vec![payment]);
}

pub async fn a_closed_portal_late_in_a_batch_writes_nothing(store: &dyn Store) {
    let f = Fixture::new(store);
    let account = f.account("Account").await;
    let client = f.client(&account, "Acme").await;
    let everything = everything(&f, &client).await;
    let closed = f.client(&account, "Closed").await;
    let shut = Client {
        portal_enabled: false,
        ..closed.clone()
    };
    let someone = f.contact(&closed, "someone@closed.example").await;
    assert_eq!(
        store.update_client(&closed, &shut, None).await.unwrap(),
        Some(0)
    );
    let (late, _) = f.link(&someone, None, f.now + Duration::days(1));
    let refused = everything.batch.clone().with(Write::InsertLink {
        link: late.clone(),
        pending: None,
        email: someone.email.clone(),
    });
    match store.commit(&refused).await {
        Err(StoreError::Conflict(Conflict::PortalClosed)) => {}
        other => panic!("expected a closed-portal conflict, got {other:?}"),
    }
    nothing_of(store, &everything).await;
    assert_eq!(store.link_by_token(&late.token_hash).await.unwrap(), None);
    // The same batch without the refused link goes through.
    assert!(store.commit(&everything.batch).await.unwrap());
}
