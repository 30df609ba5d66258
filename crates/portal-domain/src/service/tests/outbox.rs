//! The outbox: a mail outage delays an email but never loses it, the link
//! in it works whenever it arrives, an email given up on takes its link
//! with it, and operators can see and retry what failed.

use chrono::Duration;

use super::{World, browser, link_token, page};
use crate::model::{OutboxPayload, OutboxStatus, OutboxTopic};
use crate::service::{LinkRejection, RedeemError};
use crate::testing::block_on;

#[test]
fn a_mail_outage_delays_an_email_and_its_link_works_when_it_arrives() {
    let w = World::new();
    w.mailer.fail_from_now_on(true);
    let invoice = w.invoice(&w.client, "INV-1");
    let sent = block_on(w.s.documents.send_document(
        &w.account,
        invoice.kind(),
        invoice.id(),
        w.contact.id,
    ))
    .unwrap();
    let report = w.deliver();
    assert_eq!((report.claimed, report.failed), (1, 1));
    let failed = block_on(w.s.outbox.message(&w.account, sent.queued)).unwrap();
    assert_eq!(failed.status, OutboxStatus::Failed);
    assert_eq!(failed.attempts, 1);
    assert!(failed.next_attempt_at > w.now());
    assert!(
        failed
            .last_error
            .as_deref()
            .unwrap()
            .contains("told to fail")
    );
    // Not due yet: nothing is tried again before its time.
    w.mailer.fail_from_now_on(false);
    assert_eq!(w.deliver().claimed, 0);
    w.clock.advance(Duration::minutes(1));
    assert_eq!(w.deliver().sent, 1);
    let delivered = block_on(w.s.outbox.message(&w.account, sent.queued)).unwrap();
    assert_eq!(delivered.status, OutboxStatus::Sent);
    assert_eq!(delivered.sent_at, Some(w.now()));
    let token = link_token(&w.last_email());
    let redeemed = block_on(w.s.links.redeem_link(&token, &browser(), None)).unwrap();
    assert_eq!(redeemed.document, Some(invoice.id()));
}

#[test]
fn delivering_twice_sends_the_same_message_and_link() {
    let w = World::new();
    let token = w.send(&w.invoice(&w.client, "INV-1"), &w.contact);
    let first = w.last_email();
    // An operator retries a message that was sent: nothing happens.
    let items = block_on(w.s.outbox.messages(&w.account, None, page())).unwrap();
    let retried = block_on(w.s.outbox.retry(&w.account, items.items[0].id)).unwrap();
    assert_eq!(retried.status, OutboxStatus::Sent);
    assert_eq!(w.deliver().claimed, 0);
    // The same item delivered again (a worker died after sending) carries
    // the same Message-ID key and the same working link.
    let OutboxPayload::Email {
        link: Some(link), ..
    } = &items.items[0].payload
    else {
        panic!("a document email with a link");
    };
    assert_eq!(
        w.s.config().server_key.link_token(*link).expose(),
        token,
        "the link is derived, not stored"
    );
    assert_eq!(first.message_key, Some(items.items[0].id.to_string()));
}

/// Emails the contact a link while mail fails, and delivers until the
/// outbox gives up on it; returns the dead items.
fn give_up_on_a_link_email(w: &World) -> Vec<crate::model::OutboxMessage> {
    w.mailer.fail_from_now_on(true);
    block_on(w.s.links.portal_link(&w.account, w.contact.id, None, true)).unwrap();
    let policy = w.s.config().outbox;
    for _ in 0..policy.max_attempts {
        w.deliver();
        w.clock.advance(policy.max_delay);
    }
    block_on(
        w.s.outbox
            .messages(&w.account, Some(OutboxStatus::Dead), page()),
    )
    .unwrap()
    .items
}

#[test]
fn an_email_given_up_on_revokes_its_link_until_an_operator_retries() {
    let w = World::new();
    let policy = w.s.config().outbox;
    let dead = give_up_on_a_link_email(&w);
    assert_eq!(dead.len(), 1);
    assert_eq!(dead[0].attempts, policy.max_attempts);
    assert_eq!(dead[0].topic, OutboxTopic::PortalLink);
    let OutboxPayload::Email {
        link: Some(link), ..
    } = &dead[0].payload
    else {
        panic!("a link email");
    };
    let token = w.s.config().server_key.link_token(*link);
    assert!(matches!(
        block_on(w.s.links.redeem_link(token.expose(), &browser(), None)),
        Err(RedeemError::Rejected(LinkRejection::Revoked))
    ));

    // An operator retries once mail works again: it goes out with a fresh
    // link in place of the revoked one, and the link works.
    w.mailer.fail_from_now_on(false);
    let retried = block_on(w.s.outbox.retry(&w.account, dead[0].id)).unwrap();
    assert_eq!(
        (retried.status, retried.attempts),
        (OutboxStatus::Pending, 0)
    );
    let OutboxPayload::Email {
        link: Some(fresh), ..
    } = &retried.payload
    else {
        panic!("a link email");
    };
    assert_ne!(fresh, link);
    assert_eq!(w.deliver().sent, 1);
    let delivered = link_token(&w.last_email());
    assert!(block_on(w.s.links.redeem_link(&delivered, &browser(), None)).is_ok());
    let backlog = block_on(w.s.outbox.backlog()).unwrap();
    assert!(backlog.contains(&(OutboxStatus::Sent, 1)));
    assert!(backlog.contains(&(OutboxStatus::Dead, 0)));
}

#[test]
fn a_worker_that_dies_mid_delivery_loses_its_items_to_another_after_the_lease() {
    let w = World::new();
    block_on(w.s.links.portal_link(&w.account, w.contact.id, None, true)).unwrap();
    let policy = w.s.config().outbox;
    // Claimed by a worker that never finishes.
    use crate::ports::OutboxStore;
    let claim = crate::model::ClaimToken(uuid::Uuid::from_u128(1));
    let taken = block_on(
        w.store
            .claim_outbox(claim, w.now(), w.now() + policy.lease, 10),
    )
    .unwrap();
    assert_eq!(taken.len(), 1);
    assert_eq!(w.deliver().claimed, 0, "the lease holds");
    w.clock.advance(policy.lease);
    let report = w.deliver();
    assert_eq!((report.claimed, report.sent), (1, 1));
    // The first worker waking up late cannot overwrite the outcome.
    let late = crate::model::Delivery::Failed {
        at: w.now(),
        error: "late".into(),
        retry_at: w.now(),
    };
    assert!(!block_on(w.store.settle_outbox(taken[0].id, claim, &late)).unwrap());
    let item = block_on(w.s.outbox.message(&w.account, taken[0].id)).unwrap();
    assert_eq!((item.status, item.attempts), (OutboxStatus::Sent, 2));
}

#[test]
fn a_retry_is_refused_when_the_contact_may_no_longer_have_a_link() {
    let w = World::new();
    let dead = give_up_on_a_link_email(&w);
    let patch = crate::model::ContactPatch {
        active: Some(false),
        ..Default::default()
    };
    block_on(w.s.crm.update_contact(&w.account, w.contact.id, patch)).unwrap();
    assert!(matches!(
        block_on(w.s.outbox.retry(&w.account, dead[0].id)),
        Err(crate::service::OutboxError::PortalClosed)
    ));
    let still = block_on(w.s.outbox.message(&w.account, dead[0].id)).unwrap();
    assert_eq!(still.status, OutboxStatus::Dead);
}

#[test]
fn a_worker_starts_no_delivery_its_lease_may_not_cover() {
    let w = World::new();
    let policy = w.s.config().outbox;
    block_on(w.s.links.portal_link(&w.account, w.contact.id, None, true)).unwrap();
    w.clock.advance(Duration::seconds(1));
    block_on(w.s.links.portal_link(&w.account, w.contact.id, None, true)).unwrap();
    // A mail server so slow that the first delivery eats the lease.
    w.mailer.take_time_per_send(&w.clock, policy.lease);
    let report = block_on(w.s.outbox.deliver_due()).unwrap();
    assert_eq!((report.claimed, report.sent, report.lost), (2, 1, 1));
    // The item left behind is taken over once the lease has ended.
    w.mailer.take_time_per_send(&w.clock, Duration::zero());
    assert_eq!(w.deliver().sent, 1);
    assert_eq!(w.mailer.sent().len(), 2, "each email once");
}
