//! Contract checks for the outbox as operators see it: items read back
//! whole, retried, listed and counted.

use chrono::Duration;

use crate::model::{Cursor, OutboxId, OutboxMessage, OutboxPayload, OutboxStatus};
use crate::ports::{Batch, Store, Write};

use super::outbox::item;
use super::{Fixture, read_pages};

pub async fn outbox_items_round_trip(store: &dyn Store) {
    let f = Fixture::new(store);
    let account = f.account("Account").await;
    let client = f.client(&account, "Acme").await;
    let contact = f.contact(&client, "ap@acme.example").await;
    let (link, _) = f.stored_link(&contact).await;
    let with_link = f.message(&account, "ap@acme.example", Some(link.id), f.now);
    let mut plain = f.message(&account, "cfo@acme.example", None, f.now);
    if let crate::model::OutboxPayload::Email { email, .. } = &mut plain.payload {
        email.attachments.clear();
        email.message_key = None;
        email.html = String::new();
        email.to_name = String::new();
    }
    let failed = item(
        &f,
        &account,
        OutboxStatus::Failed,
        f.now,
        f.now + Duration::hours(1),
    );
    for message in [&with_link, &plain, &failed] {
        f.enqueue(message).await;
        assert_eq!(
            store
                .outbox_message(account.id, message.id)
                .await
                .unwrap()
                .as_ref(),
            Some(message)
        );
    }
    let other = f.account("Other").await;
    assert_eq!(
        store.outbox_message(other.id, with_link.id).await.unwrap(),
        None
    );
}

pub async fn only_failed_or_dead_items_are_retried(store: &dyn Store) {
    let f = Fixture::new(store);
    let account = f.account("Account").await;
    let before = f.now - Duration::hours(2);
    let later = f.now + Duration::hours(2);
    let mut items = Vec::new();
    for status in OutboxStatus::ALL {
        let message = item(&f, &account, status, before, later);
        f.enqueue(&message).await;
        items.push(message);
    }
    for message in &items {
        let retriable = matches!(message.status, OutboxStatus::Failed | OutboxStatus::Dead);
        assert_eq!(
            retry(store, account.id, message.id, f.now, None).await,
            retriable,
            "{:?}",
            message.status
        );
        let expected = if retriable {
            OutboxMessage {
                status: OutboxStatus::Pending,
                attempts: 0,
                next_attempt_at: f.now,
                ..message.clone()
            }
        } else {
            message.clone()
        };
        assert_eq!(
            store.outbox_message(account.id, message.id).await.unwrap(),
            Some(expected)
        );
    }
    // Another account's item, or none at all, is not retried either.
    let other = f.account("Other").await;
    let dead = item(&f, &account, OutboxStatus::Dead, before, later);
    f.enqueue(&dead).await;
    assert!(!retry(store, other.id, dead.id, f.now, None).await);
    let unknown = OutboxId::generate(f.random());
    assert!(!retry(store, account.id, unknown, f.now, None).await);
    assert_eq!(
        store.outbox_message(account.id, dead.id).await.unwrap(),
        Some(dead)
    );
}

/// Commits a retry of item `id` of `account`, pointing its email at
/// `relink`; whether it was retried.
async fn retry(
    store: &dyn Store,
    account: crate::model::AccountId,
    id: OutboxId,
    at: chrono::DateTime<chrono::Utc>,
    relink: Option<crate::model::LinkId>,
) -> bool {
    let batch = Batch::new().with(Write::RetryOutbox {
        account,
        id,
        at,
        relink,
    });
    store.commit(&batch).await.unwrap()
}

pub async fn the_outbox_is_listed_newest_first_and_counted(store: &dyn Store) {
    let f = Fixture::new(store);
    let account = f.account("Account").await;
    let other = f.account("Other").await;
    let mut all = Vec::new();
    for (status, minutes) in [
        (OutboxStatus::Pending, 0),
        (OutboxStatus::Sent, 5),
        (OutboxStatus::Pending, 5),
        (OutboxStatus::Dead, 1),
        (OutboxStatus::Pending, 5),
        (OutboxStatus::Failed, 3),
        (OutboxStatus::Sent, 0),
    ] {
        let created = f.now - Duration::minutes(minutes);
        let message = item(&f, &account, status, created, created);
        f.enqueue(&message).await;
        all.push(message);
    }
    let theirs = item(&f, &other, OutboxStatus::Pending, f.now, f.now);
    f.enqueue(&theirs).await;
    all.sort_by_key(|m| std::cmp::Reverse((m.created_at, m.id)));
    for status in [
        None,
        Some(OutboxStatus::Pending),
        Some(OutboxStatus::Sent),
        Some(OutboxStatus::Sending),
    ] {
        let expected: Vec<OutboxMessage> = all
            .iter()
            .filter(|m| status.is_none_or(|s| m.status == s))
            .cloned()
            .collect();
        for limit in [1, 2, 50] {
            let listed = read_pages(
                limit,
                |m: &OutboxMessage| Cursor::new(m.created_at, m.id.as_uuid()),
                |page| async move { store.outbox(account.id, status, &page).await.unwrap() },
            )
            .await;
            assert_eq!(listed, expected, "{status:?}, limit {limit}");
        }
    }
    let mut backlog = store.outbox_backlog().await.unwrap();
    backlog.sort_by_key(|(status, _)| status.as_str());
    let mut expected = vec![
        (OutboxStatus::Pending, 4),
        (OutboxStatus::Sending, 0),
        (OutboxStatus::Failed, 1),
        (OutboxStatus::Sent, 2),
        (OutboxStatus::Dead, 1),
    ];
    expected.sort_by_key(|(status, _)| status.as_str());
    assert_eq!(backlog, expected, "every status, of every account");
}

pub async fn a_retry_can_point_an_email_at_a_fresh_link(store: &dyn Store) {
    let f = Fixture::new(store);
    let account = f.account("Account").await;
    let client = f.client(&account, "Acme").await;
    let contact = f.contact(&client, "ap@acme.example").await;
    let (old, _) = f.stored_link(&contact).await;
    let (fresh, _) = f.stored_link(&contact).await;
    let mut dead = f.message(&account, "ap@acme.example", Some(old.id), f.now);
    dead.status = OutboxStatus::Dead;
    dead.attempts = 8;
    f.enqueue(&dead).await;
    assert!(retry(store, account.id, dead.id, f.now, Some(fresh.id)).await);
    let retried = store
        .outbox_message(account.id, dead.id)
        .await
        .unwrap()
        .unwrap();
    let OutboxPayload::Email { link, .. } = &retried.payload else {
        panic!("an email");
    };
    assert_eq!(*link, Some(fresh.id));
    assert_eq!(
        (retried.status, retried.attempts),
        (OutboxStatus::Pending, 0)
    );
    // Links read back by id, within their account only.
    assert_eq!(
        store.link(account.id, old.id).await.unwrap(),
        Some(old.clone())
    );
    let other = f.account("Other").await;
    assert_eq!(store.link(other.id, old.id).await.unwrap(), None);
}

pub async fn sent_items_are_forgotten_after_a_while(store: &dyn Store) {
    let f = Fixture::new(store);
    let account = f.account("Account").await;
    let old = item(
        &f,
        &account,
        OutboxStatus::Sent,
        f.now - Duration::days(40),
        f.now,
    );
    let recent = item(
        &f,
        &account,
        OutboxStatus::Sent,
        f.now - Duration::days(2),
        f.now,
    );
    let dead = item(
        &f,
        &account,
        OutboxStatus::Dead,
        f.now - Duration::days(40),
        f.now,
    );
    for message in [&old, &recent, &dead] {
        f.enqueue(message).await;
    }
    let forgotten = store.forget_sent(f.now - Duration::days(30)).await.unwrap();
    assert_eq!(forgotten, 1);
    assert_eq!(
        store.outbox_message(account.id, old.id).await.unwrap(),
        None
    );
    for kept in [&recent, &dead] {
        assert!(
            store
                .outbox_message(account.id, kept.id)
                .await
                .unwrap()
                .is_some()
        );
    }
}
