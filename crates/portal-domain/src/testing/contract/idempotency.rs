//! Contract checks for idempotent requests, and the readiness probe.

use chrono::{DateTime, Duration, Utc};

use crate::model::{
    AccountId, Fingerprint, IDEMPOTENCY_LEASE, IDEMPOTENCY_RETENTION, IdempotencyKey,
    IdempotencyRecord, IdempotencyState, StoredResponse,
};
use crate::ports::Store;

use super::Fixture;

/// A record of a request under `key` begun at `at` with `claim`.
fn begun(account: AccountId, key: &str, claim: uuid::Uuid, at: DateTime<Utc>) -> IdempotencyRecord {
    IdempotencyRecord {
        account_id: account,
        key: IdempotencyKey::parse("key", key).unwrap(),
        fingerprint: Fingerprint::of("POST", "/api/crm/clients", key.as_bytes()),
        state: IdempotencyState::InProgress {
            claim,
            lease_until: at + IDEMPOTENCY_LEASE,
        },
        created_at: at,
        expires_at: at + IDEMPOTENCY_RETENTION,
    }
}

/// An answer with bytes no text column would keep.
fn response() -> StoredResponse {
    StoredResponse {
        status: 201,
        content_type: "application/json".into(),
        sealed_body: vec![0, 159, 146, 150, 255, 1, b'{', b'}'],
    }
}

pub async fn a_request_key_is_begun_once(store: &dyn Store) {
    let f = Fixture::new(store);
    let account = f.account("Account").await;
    let other = f.account("Other").await;
    let key = "3f1c6f1e-2b8a-4c55-9d2e-0f6b8f1a9c77";
    let first = begun(account.id, key, f.uuid(), f.now);
    assert_eq!(store.begin_request(&first, f.now).await.unwrap(), None);
    let record = |account, key: &str| {
        let key = IdempotencyKey::parse("key", key).unwrap();
        async move { store.idempotency_record(account, &key).await.unwrap() }
    };
    assert_eq!(record(account.id, key).await, Some(first.clone()));

    let later = f.now + Duration::seconds(30);
    let second = begun(account.id, key, f.uuid(), later);
    assert_eq!(
        store.begin_request(&second, later).await.unwrap(),
        Some(first.clone()),
        "the key is held"
    );
    assert_eq!(record(account.id, key).await, Some(first.clone()));

    // Keys are the account's own; another key is another request.
    let theirs = begun(other.id, key, f.uuid(), later);
    assert_eq!(store.begin_request(&theirs, later).await.unwrap(), None);
    let another = begun(account.id, "another-key", f.uuid(), later);
    assert_eq!(store.begin_request(&another, later).await.unwrap(), None);
    assert_eq!(record(other.id, key).await, Some(theirs));
    assert_eq!(record(account.id, key).await, Some(first));
    assert_eq!(record(account.id, "never-used").await, None);
}

pub async fn stale_requests_are_taken_over(store: &dyn Store) {
    let f = Fixture::new(store);
    let account = f.account("Account").await;
    let key = IdempotencyKey::parse("key", "order-17").unwrap();
    let first_claim = f.uuid();
    let first = begun(account.id, "order-17", first_claim, f.now);
    assert_eq!(store.begin_request(&first, f.now).await.unwrap(), None);

    // Its holder stopped without finishing: once its lease ran out, the
    // key is another request's.
    let lease_end = f.now + IDEMPOTENCY_LEASE;
    let second_claim = f.uuid();
    let second = begun(account.id, "order-17", second_claim, lease_end);
    assert_eq!(store.begin_request(&second, lease_end).await.unwrap(), None);
    assert_eq!(
        store.idempotency_record(account.id, &key).await.unwrap(),
        Some(second.clone())
    );
    // The first holder's late answer is not kept.
    store
        .finish_request(
            account.id,
            &key,
            first_claim,
            &response(),
            lease_end + IDEMPOTENCY_RETENTION,
        )
        .await
        .unwrap();
    assert_eq!(
        store.idempotency_record(account.id, &key).await.unwrap(),
        Some(second.clone())
    );

    let expires = lease_end + Duration::seconds(10) + IDEMPOTENCY_RETENTION;
    store
        .finish_request(account.id, &key, second_claim, &response(), expires)
        .await
        .unwrap();
    let completed = IdempotencyRecord {
        state: IdempotencyState::Completed(response()),
        expires_at: expires,
        ..second.clone()
    };
    let third = begun(
        account.id,
        "order-17",
        f.uuid(),
        expires - Duration::microseconds(1),
    );
    assert_eq!(
        store.begin_request(&third, third.created_at).await.unwrap(),
        Some(completed),
        "a kept answer holds the key until it expires"
    );
    let fourth = begun(account.id, "order-17", f.uuid(), expires);
    assert_eq!(store.begin_request(&fourth, expires).await.unwrap(), None);
    assert_eq!(
        store.idempotency_record(account.id, &key).await.unwrap(),
        Some(fourth)
    );
}

pub async fn finishing_and_abandoning_need_the_claim(store: &dyn Store) {
    let f = Fixture::new(store);
    let account = f.account("Account").await;
    let key = IdempotencyKey::parse("key", "invoice-send-9").unwrap();
    let claim = f.uuid();
    let record = begun(account.id, "invoice-send-9", claim, f.now);
    assert_eq!(store.begin_request(&record, f.now).await.unwrap(), None);
    let stranger = f.uuid();
    let expires = f.now + Duration::hours(24);
    store
        .finish_request(account.id, &key, stranger, &response(), expires)
        .await
        .unwrap();
    store
        .abandon_request(account.id, &key, stranger)
        .await
        .unwrap();
    assert_eq!(
        store.idempotency_record(account.id, &key).await.unwrap(),
        Some(record.clone())
    );

    store
        .finish_request(account.id, &key, claim, &response(), expires)
        .await
        .unwrap();
    let completed = IdempotencyRecord {
        state: IdempotencyState::Completed(response()),
        expires_at: expires,
        ..record
    };
    assert_eq!(
        store.idempotency_record(account.id, &key).await.unwrap(),
        Some(completed.clone())
    );
    // A finished request is not abandoned, not even by its own claim.
    store
        .abandon_request(account.id, &key, claim)
        .await
        .unwrap();
    assert_eq!(
        store.idempotency_record(account.id, &key).await.unwrap(),
        Some(completed)
    );

    // An abandoned request frees its key at once.
    let other_key = IdempotencyKey::parse("key", "invoice-send-10").unwrap();
    let other_claim = f.uuid();
    let other = begun(account.id, "invoice-send-10", other_claim, f.now);
    assert_eq!(store.begin_request(&other, f.now).await.unwrap(), None);
    store
        .abandon_request(account.id, &other_key, other_claim)
        .await
        .unwrap();
    assert_eq!(
        store
            .idempotency_record(account.id, &other_key)
            .await
            .unwrap(),
        None
    );
    let again = begun(account.id, "invoice-send-10", f.uuid(), f.now);
    assert_eq!(store.begin_request(&again, f.now).await.unwrap(), None);
}

pub async fn expired_requests_are_forgotten(store: &dyn Store) {
    let f = Fixture::new(store);
    let account = f.account("Account").await;
    let old = begun(account.id, "old", f.uuid(), f.now);
    let young = begun(account.id, "young", f.uuid(), f.now + Duration::hours(2));
    for record in [&old, &young] {
        assert_eq!(
            store
                .begin_request(record, record.created_at)
                .await
                .unwrap(),
            None
        );
    }
    let later = f.now + IDEMPOTENCY_RETENTION;
    assert_eq!(store.forget_expired_requests(later).await.unwrap(), 1);
    assert_eq!(
        store
            .idempotency_record(account.id, &old.key)
            .await
            .unwrap(),
        None
    );
    assert_eq!(
        store
            .idempotency_record(account.id, &young.key)
            .await
            .unwrap(),
        Some(young.clone())
    );
    assert_eq!(store.forget_expired_requests(later).await.unwrap(), 0);
}

pub async fn the_first_server_key_is_the_only_one(store: &dyn Store) {
    assert!(store.check_key_fingerprint("aaaa1111").await.unwrap());
    assert!(store.check_key_fingerprint("aaaa1111").await.unwrap());
    assert!(!store.check_key_fingerprint("bbbb2222").await.unwrap());
    assert!(store.check_key_fingerprint("aaaa1111").await.unwrap());
}

pub async fn the_store_answers_pings(store: &dyn Store) {
    store.ping().await.unwrap();
    let f = Fixture::new(store);
    f.account("Account").await;
    store.ping().await.unwrap();
}
