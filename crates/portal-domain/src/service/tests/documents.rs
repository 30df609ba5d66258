//! Documents: sending emails a scoped link and moves drafts to sent; a
//! failed email changes nothing; closed portals send without links.

use super::World;
use crate::model::{AuditAction, ClientPatch, DocumentStatus};
use crate::service::DocumentError;
use crate::testing::block_on;

#[test]
fn sending_emails_the_contact_a_link_to_the_document() {
    let w = World::new();
    let invoice = w.invoice(&w.client, "INV-1001");
    let sent = block_on(
        w.portal
            .send_document(&w.account, invoice.kind, invoice.id, w.contact.id),
    )
    .unwrap();
    assert_eq!(sent.document.status, DocumentStatus::Sent);
    assert_eq!(sent.sent_to, w.contact.email);
    assert!(sent.link_expires_at.is_some());
    let email = w.last_email();
    assert_eq!(email.subject, "Invoice INV-1001 from Northwind Studio");
    assert!(email.text.contains("$1,500.00"), "{}", email.text);
    assert!(email.text.contains("https://portal.example.com/l/"));
    let stored = block_on(w.portal.document(&w.account, invoice.kind, invoice.id)).unwrap();
    assert_eq!(stored.status, DocumentStatus::Sent);
    let events = block_on(w.portal.client_audit(&w.account, w.client.id, 5)).unwrap();
    assert_eq!(events[0].action, AuditAction::DocumentSent);
    assert_eq!(events[0].document_id, Some(invoice.id));
}

#[test]
fn a_failed_email_changes_nothing() {
    let w = World::new();
    let invoice = w.invoice(&w.client, "INV-1");
    w.mailer.fail_from_now_on(true);
    assert!(matches!(
        block_on(
            w.portal
                .send_document(&w.account, invoice.kind, invoice.id, w.contact.id)
        ),
        Err(DocumentError::Mail(_))
    ));
    let stored = block_on(w.portal.document(&w.account, invoice.kind, invoice.id)).unwrap();
    assert_eq!(stored, invoice);
}

#[test]
fn a_closed_portal_sends_the_document_without_a_link() {
    let w = World::new();
    let patch = ClientPatch {
        portal_enabled: Some(false),
        ..ClientPatch::default()
    };
    block_on(w.portal.update_client(&w.account, w.client.id, patch)).unwrap();
    let invoice = w.invoice(&w.client, "INV-1");
    let sent = block_on(
        w.portal
            .send_document(&w.account, invoice.kind, invoice.id, w.contact.id),
    )
    .unwrap();
    assert_eq!(sent.link_expires_at, None);
    let email = w.last_email();
    assert!(!email.text.contains("/l/"));
    assert!(email.text.contains("payment instructions"));
}

#[test]
fn documents_go_only_to_their_own_clients_contacts() {
    let w = World::new();
    let other = block_on(
        w.portal
            .create_client(&w.account, super::name("Globex"), true),
    )
    .unwrap();
    let stranger = w.contact(&other, "ap@globex.example");
    let invoice = w.invoice(&w.client, "INV-1");
    assert!(matches!(
        block_on(
            w.portal
                .send_document(&w.account, invoice.kind, invoice.id, stranger.id)
        ),
        Err(DocumentError::ContactOfAnotherClient)
    ));
    assert!(w.mailer.sent().is_empty());
}

#[test]
fn void_and_paid_follow_the_status_rules() {
    let w = World::new();
    let invoice = w.invoice(&w.client, "INV-1");
    assert!(matches!(
        block_on(
            w.portal
                .mark_document_paid(&w.account, invoice.kind, invoice.id)
        ),
        Err(DocumentError::Transition(_))
    ));
    w.send(&invoice, &w.contact);
    let paid = block_on(
        w.portal
            .mark_document_paid(&w.account, invoice.kind, invoice.id),
    )
    .unwrap();
    assert_eq!(paid.status, DocumentStatus::Paid);
    assert!(block_on(w.portal.void_document(&w.account, invoice.kind, invoice.id)).is_err());
    let void = w.invoice(&w.client, "INV-2");
    let void = block_on(w.portal.void_document(&w.account, void.kind, void.id)).unwrap();
    assert!(matches!(
        block_on(
            w.portal
                .send_document(&w.account, void.kind, void.id, w.contact.id)
        ),
        Err(DocumentError::Transition(_))
    ));
}

#[test]
fn duplicate_numbers_are_refused() {
    let w = World::new();
    w.invoice(&w.client, "INV-1");
    let again = crate::model::DocumentInput {
        number: crate::model::DocumentNumber::parse("number", "INV-1").unwrap(),
        ..input_like(&w)
    };
    assert!(matches!(
        block_on(w.portal.create_document(&w.account, again)),
        Err(DocumentError::DuplicateNumber)
    ));
}

fn input_like(w: &World) -> crate::model::DocumentInput {
    let doc = w.invoice(&w.client, "TEMPLATE");
    crate::model::DocumentInput {
        kind: doc.kind,
        client_id: doc.client_id,
        number: doc.number,
        title: doc.title,
        currency: doc.currency,
        issue_date: doc.issue_date,
        due_date: doc.due_date,
        lines: doc.lines,
    }
}
