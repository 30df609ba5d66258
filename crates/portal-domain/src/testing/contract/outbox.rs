//! Contract checks for delivering the outbox: claiming due items under
//! leases, and settling with the claim that holds an item.

use chrono::{DateTime, Duration, Utc};

use crate::model::{
    Account, AuditAction, ClaimToken, Delivery, OutboxId, OutboxMessage, OutboxStatus, PageRequest,
};
use crate::ports::{Batch, Store, Write};

use super::Fixture;
use super::crm::live_session;

/// An item in `status`, due at `due`, created at `created`.
pub(crate) fn item(
    f: &Fixture<'_>,
    account: &Account,
    status: OutboxStatus,
    created: DateTime<Utc>,
    due: DateTime<Utc>,
) -> OutboxMessage {
    let mut message = f.message(account, "ap@acme.example", None, created);
    message.status = status;
    message.next_attempt_at = due;
    if status != OutboxStatus::Pending {
        message.attempts = 3;
        message.last_error = Some("421 try again later".into());
    }
    if status == OutboxStatus::Sent {
        message.sent_at = Some(created);
    }
    message
}

fn ids(messages: &[OutboxMessage]) -> Vec<OutboxId> {
    messages.iter().map(|m| m.id).collect()
}
pub async fn claims_take_due_items_oldest_first(store: &dyn Store) {
    let f = Fixture::new(store);
    let account = f.account("Account").await;
    let at = |minutes| f.now + Duration::minutes(minutes);
    let due_first = item(&f, &account, OutboxStatus::Failed, at(-60), at(-30));
    let due_second = item(&f, &account, OutboxStatus::Pending, at(-20), at(-20));
    let due_third = item(&f, &account, OutboxStatus::Pending, at(-10), at(-10));
    let later = item(&f, &account, OutboxStatus::Failed, at(-90), at(5));
    let sent = item(&f, &account, OutboxStatus::Sent, at(-99), at(-99));
    let dead = item(&f, &account, OutboxStatus::Dead, at(-98), at(-98));
    for message in [&later, &due_third, &sent, &due_first, &dead, &due_second] {
        f.enqueue(message).await;
    }
    let claim = ClaimToken(f.uuid());
    let first = store.claim_outbox(claim, f.now, at(10), 2).await.unwrap();
    assert_eq!(ids(&first), vec![due_first.id, due_second.id]);
    for (claimed, before) in first.iter().zip([&due_first, &due_second]) {
        assert_eq!(claimed.status, OutboxStatus::Sending);
        assert_eq!(
            claimed.attempts,
            before.attempts + 1,
            "a claim counts an attempt"
        );
        assert_eq!(
            store
                .outbox_message(account.id, claimed.id)
                .await
                .unwrap()
                .as_ref(),
            Some(claimed)
        );
    }
    let second = store
        .claim_outbox(ClaimToken(f.uuid()), f.now, at(10), 10)
        .await
        .unwrap();
    assert_eq!(ids(&second), vec![due_third.id]);
    let none = store
        .claim_outbox(ClaimToken(f.uuid()), f.now, at(10), 10)
        .await
        .unwrap();
    assert!(none.is_empty(), "nothing else is due");
    let at_five = store
        .claim_outbox(ClaimToken(f.uuid()), at(5), at(7), 10)
        .await
        .unwrap();
    assert_eq!(ids(&at_five), vec![later.id], "due at its instant");
}

pub async fn leases_are_exclusive_until_they_expire(store: &dyn Store) {
    let f = Fixture::new(store);
    let account = f.account("Account").await;
    let mut queued = Vec::new();
    for minutes in [3, 1, 2] {
        let message = item(
            &f,
            &account,
            OutboxStatus::Pending,
            f.now - Duration::minutes(minutes),
            f.now - Duration::minutes(minutes),
        );
        f.enqueue(&message).await;
        queued.push(message);
    }
    let lease = f.now + Duration::minutes(2);
    let first = ClaimToken(f.uuid());
    assert_eq!(
        store
            .claim_outbox(first, f.now, lease, 10)
            .await
            .unwrap()
            .len(),
        3
    );
    let second = ClaimToken(f.uuid());
    let during = lease - Duration::microseconds(1);
    assert!(
        store
            .claim_outbox(second, during, during + Duration::minutes(2), 10)
            .await
            .unwrap()
            .is_empty()
    );
    // The first worker died: once its lease runs out, another takes over.
    let taken = store
        .claim_outbox(second, lease, lease + Duration::minutes(2), 10)
        .await
        .unwrap();
    assert_eq!(taken.len(), 3);
    assert!(
        taken
            .iter()
            .all(|m| m.attempts == 2 && m.status == OutboxStatus::Sending)
    );
    let sent = Delivery::Sent { at: lease };
    let message = queued[0].id;
    assert!(
        !store.settle_outbox(message, first, &sent).await.unwrap(),
        "the old claim lost it"
    );
    assert!(store.settle_outbox(message, second, &sent).await.unwrap());
}

pub async fn settling_needs_the_claim_that_holds_the_item(store: &dyn Store) {
    let f = Fixture::new(store);
    let account = f.account("Account").await;
    let message = item(&f, &account, OutboxStatus::Pending, f.now, f.now);
    f.enqueue(&message).await;
    let claim = ClaimToken(f.uuid());
    let claimed = store
        .claim_outbox(claim, f.now, f.now + Duration::minutes(2), 1)
        .await
        .unwrap();
    assert_eq!(ids(&claimed), vec![message.id]);

    let retry_at = f.now + Duration::minutes(1);
    let failed = Delivery::Failed {
        at: f.now,
        error: "421 4.7.0 try again later".into(),
        retry_at,
    };
    assert!(
        !store
            .settle_outbox(message.id, ClaimToken(f.uuid()), &failed)
            .await
            .unwrap()
    );
    assert_eq!(
        store
            .outbox_message(account.id, message.id)
            .await
            .unwrap()
            .as_ref(),
        claimed.first()
    );
    assert!(
        store
            .settle_outbox(message.id, claim, &failed)
            .await
            .unwrap()
    );
    let stored = store
        .outbox_message(account.id, message.id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (
            stored.status,
            stored.next_attempt_at,
            stored.last_error.as_deref(),
            stored.attempts
        ),
        (
            OutboxStatus::Failed,
            retry_at,
            Some("421 4.7.0 try again later"),
            1
        )
    );
    // Settled once: the claim no longer holds it.
    assert!(
        !store
            .settle_outbox(message.id, claim, &Delivery::Sent { at: f.now })
            .await
            .unwrap()
    );
    assert!(
        store
            .claim_outbox(claim, f.now, f.now + Duration::minutes(2), 1)
            .await
            .unwrap()
            .is_empty()
    );

    let again = ClaimToken(f.uuid());
    let claimed = store
        .claim_outbox(again, retry_at, retry_at + Duration::minutes(2), 1)
        .await
        .unwrap();
    assert_eq!(claimed[0].attempts, 2);
    let sent_at = retry_at + Duration::seconds(3);
    assert!(
        store
            .settle_outbox(message.id, again, &Delivery::Sent { at: sent_at })
            .await
            .unwrap()
    );
    let stored = store
        .outbox_message(account.id, message.id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (stored.status, stored.sent_at),
        (OutboxStatus::Sent, Some(sent_at))
    );
}

pub async fn a_dead_delivery_revokes_its_unused_link(store: &dyn Store) {
    let f = Fixture::new(store);
    let account = f.account("Account").await;
    let client = f.client(&account, "Acme").await;
    let contact = f.contact(&client, "ap@acme.example").await;
    let (unused, _) = f.stored_link(&contact).await;
    let (used, _) = f.stored_link(&contact).await;
    live_session(&f, &used, f.now).await;
    let (untouched, _) = f.stored_link(&contact).await;
    let first = f.message(&account, "ap@acme.example", Some(unused.id), f.now);
    let second = f.message(&account, "ap@acme.example", Some(used.id), f.now);
    f.enqueue(&first).await;
    f.enqueue(&second).await;
    let claim = ClaimToken(f.uuid());
    assert_eq!(
        store
            .claim_outbox(claim, f.now, f.now + Duration::minutes(2), 10)
            .await
            .unwrap()
            .len(),
        2
    );
    let at = f.now + Duration::minutes(1);
    for (message, link) in [(&first, &unused), (&second, &used)] {
        let dead = Delivery::Dead {
            at,
            error: "550 5.1.1 no such user".into(),
            revoke_link: Some(link.id),
        };
        assert!(store.settle_outbox(message.id, claim, &dead).await.unwrap());
        let stored = store
            .outbox_message(account.id, message.id)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(stored.status, OutboxStatus::Dead);
        assert_eq!(stored.last_error.as_deref(), Some("550 5.1.1 no such user"));
    }
    let link = |hash| async move { store.link_by_token(&hash).await.unwrap().unwrap() };
    assert_eq!(link(unused.token_hash).await.revoked_at, Some(at));
    let used = link(used.token_hash).await;
    assert_eq!(
        (used.used_at, used.revoked_at),
        (Some(f.now), None),
        "a used link stays as it was"
    );
    assert_eq!(link(untouched.token_hash).await.revoked_at, None);
}

pub async fn completing_an_item_in_a_batch_needs_its_claim(store: &dyn Store) {
    let f = Fixture::new(store);
    let account = f.account("Account").await;
    let client = f.client(&account, "Acme").await;
    let contact = f.contact(&client, "ap@acme.example").await;
    let message = item(&f, &account, OutboxStatus::Pending, f.now, f.now);
    f.enqueue(&message).await;
    let claim = ClaimToken(f.uuid());
    store
        .claim_outbox(claim, f.now, f.now + Duration::minutes(2), 1)
        .await
        .unwrap();
    let audit = f.event(&contact, AuditAction::LinkIssued, f.now);
    let done_at = f.now + Duration::seconds(2);
    let batch = |claim| {
        Batch::new()
            .with(Write::Audit(audit.clone()))
            .with(Write::CompleteOutbox {
                id: message.id,
                claim,
                at: done_at,
            })
    };
    assert!(!store.commit(&batch(ClaimToken(f.uuid()))).await.unwrap());
    let page = PageRequest::first(10);
    assert!(
        store
            .client_events(account.id, client.id, &page)
            .await
            .unwrap()
            .is_empty()
    );
    assert!(store.commit(&batch(claim)).await.unwrap());
    let stored = store
        .outbox_message(account.id, message.id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (stored.status, stored.sent_at),
        (OutboxStatus::Sent, Some(done_at))
    );
    assert_eq!(
        store
            .client_events(account.id, client.id, &page)
            .await
            .unwrap(),
        vec![audit.clone()]
    );
    // Done once: completing it again is lost.
    let again = Batch::new().with(Write::CompleteOutbox {
        id: message.id,
        claim,
        at: done_at,
    });
    assert!(!store.commit(&again).await.unwrap());
}
