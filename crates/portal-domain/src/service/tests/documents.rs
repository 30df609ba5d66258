//! Documents: sending queues an email with a scoped link and moves drafts
//! to sent in one write; closed portals send without links; voiding
//! follows the kind's rules.

use super::{World, page};
use crate::model::{AuditAction, ClientPatch, DocumentKind, DocumentStatus, OutboxStatus};
use crate::service::{DocumentError, MarkPaid};
use crate::testing::block_on;

#[test]
fn sending_queues_an_email_with_a_link_to_the_document() {
    let w = World::new();
    let invoice = w.invoice(&w.client, "INV-1001");
    let sent = block_on(w.s.documents.send_document(
        &w.account,
        invoice.kind(),
        invoice.id(),
        w.contact.id,
    ))
    .unwrap();
    assert_eq!(sent.document.status(), DocumentStatus::Open);
    assert_eq!(sent.sent_to, w.contact.email);
    assert!(sent.link_expires_at.is_some());
    // Nothing went out during the request: the email waits in the outbox.
    assert!(w.mailer.sent().is_empty());
    let queued = block_on(w.s.outbox.message(&w.account, sent.queued)).unwrap();
    assert_eq!(queued.status, OutboxStatus::Pending);
    assert_eq!(queued.recipient(), &w.contact.email);

    assert_eq!(w.deliver().sent, 1);
    let email = w.last_email();
    assert_eq!(email.subject, "Invoice INV-1001 from Northwind Studio");
    assert!(email.text.contains("$1,500.00"), "{}", email.text);
    assert!(email.text.contains("https://portal.example.com/l/"));
    assert!(
        !email.awaits_link_token(),
        "the token is filled in on delivery"
    );
    assert_eq!(email.message_key, Some(sent.queued.to_string()));
    let stored = w.reload(&invoice);
    assert_eq!(stored.status(), DocumentStatus::Open);
    assert_eq!(stored, sent.document);
    let events = block_on(w.s.crm.client_audit(&w.account, w.client.id, page()))
        .unwrap()
        .items;
    assert_eq!(events[0].action, AuditAction::DocumentSent);
    assert_eq!(events[0].document_id, Some(invoice.id()));
}

#[test]
fn a_closed_portal_sends_the_document_without_a_link() {
    let w = World::new();
    let patch = ClientPatch {
        portal_enabled: Some(false),
        ..ClientPatch::default()
    };
    block_on(w.s.crm.update_client(&w.account, w.client.id, patch)).unwrap();
    let invoice = w.invoice(&w.client, "INV-1");
    let sent = block_on(w.s.documents.send_document(
        &w.account,
        invoice.kind(),
        invoice.id(),
        w.contact.id,
    ))
    .unwrap();
    assert_eq!(sent.link_expires_at, None);
    w.deliver();
    let email = w.last_email();
    assert!(!email.text.contains("/l/"));
    assert!(email.text.contains("payment instructions"));
}

#[test]
fn documents_go_only_to_their_own_clients_active_contacts() {
    let w = World::new();
    let other = w.client_named("Globex");
    let stranger = w.contact(&other, "ap@globex.example");
    let invoice = w.invoice(&w.client, "INV-1");
    assert!(matches!(
        block_on(w.s.documents.send_document(
            &w.account,
            invoice.kind(),
            invoice.id(),
            stranger.id
        )),
        Err(DocumentError::ContactOfAnotherClient)
    ));
    let patch = crate::model::ContactPatch {
        active: Some(false),
        ..Default::default()
    };
    block_on(w.s.crm.update_contact(&w.account, w.contact.id, patch)).unwrap();
    assert!(matches!(
        block_on(w.s.documents.send_document(
            &w.account,
            invoice.kind(),
            invoice.id(),
            w.contact.id
        )),
        Err(DocumentError::ContactInactive)
    ));
    assert_eq!(w.deliver().claimed, 0);
    assert_eq!(w.reload(&invoice), invoice);
}

#[test]
fn voiding_follows_each_kinds_rules() {
    let w = World::new();
    let invoice = w.sent(&w.invoice(&w.client, "INV-1"), &w.contact);
    let how = MarkPaid {
        kind: Some(crate::model::ManualKind::Check),
        reference: None,
        received_at: None,
        notify_contact: None,
    };
    block_on(w.s.payments.mark_paid(&w.account, invoice.id(), how)).unwrap();
    assert!(matches!(
        block_on(
            w.s.documents
                .void_document(&w.account, DocumentKind::Invoice, invoice.id())
        ),
        Err(DocumentError::Transition(_))
    ));
    let draft = w.invoice(&w.client, "INV-2");
    let void = block_on(
        w.s.documents
            .void_document(&w.account, draft.kind(), draft.id()),
    )
    .unwrap();
    assert_eq!(void.status(), DocumentStatus::Void);
    assert_eq!(w.reload(&draft), void);
    assert!(matches!(
        block_on(
            w.s.documents
                .send_document(&w.account, void.kind(), void.id(), w.contact.id)
        ),
        Err(DocumentError::Transition(_))
    ));
}

#[test]
fn a_stale_copy_cannot_overwrite_a_newer_status() {
    use crate::model::DocumentAction;
    use crate::ports::{Batch, BatchStore, Write};
    let w = World::new();
    let invoice = w.sent(&w.invoice(&w.client, "INV-1"), &w.contact);
    block_on(
        w.s.documents
            .void_document(&w.account, invoice.kind(), invoice.id()),
    )
    .unwrap();
    // A write based on the copy read before the void loses, whole.
    let resend = invoice.apply(DocumentAction::Send, w.now()).unwrap();
    let batch = Batch::new().with(Write::UpdateDocument(resend));
    assert!(!block_on(w.store.commit(&batch)).unwrap());
    let stored = w.reload(&invoice);
    assert_eq!(stored.status(), DocumentStatus::Void);
    assert_eq!(stored.version(), invoice.version() + 1);
}

#[test]
fn duplicate_numbers_are_refused() {
    let w = World::new();
    let first = w.invoice(&w.client, "INV-1");
    let again = crate::model::DocumentInput {
        kind: first.kind(),
        client_id: first.client_id(),
        number: first.number().clone(),
        title: None,
        currency: first.currency(),
        issue_date: first.issue_date(),
        due_date: first.due_date(),
        lines: first.lines().to_vec(),
    };
    assert!(matches!(
        block_on(w.s.documents.create_document(&w.account, again)),
        Err(DocumentError::DuplicateNumber)
    ));
}

#[test]
fn lists_are_paged_newest_first() {
    let w = World::new();
    let mut made = Vec::new();
    for i in 0..5 {
        made.push(w.invoice(&w.client, &format!("INV-{i}")).id());
        w.clock.advance(chrono::Duration::seconds(1));
    }
    let first = block_on(w.s.documents.documents(
        &w.account,
        DocumentKind::Invoice,
        None,
        crate::model::PageRequest::first(2),
    ))
    .unwrap();
    let ids: Vec<_> = first.items.iter().map(|d| d.id()).collect();
    assert_eq!(ids, vec![made[4], made[3]]);
    let rest = block_on(w.s.documents.documents(
        &w.account,
        DocumentKind::Invoice,
        None,
        crate::model::PageRequest::new(first.next, Some(10)).unwrap(),
    ))
    .unwrap();
    let ids: Vec<_> = rest.items.iter().map(|d| d.id()).collect();
    assert_eq!(ids, vec![made[2], made[1], made[0]]);
    assert_eq!(rest.next, None);
}
