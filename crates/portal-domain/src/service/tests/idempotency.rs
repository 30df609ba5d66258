//! Idempotent requests: one key, one piece of work; a retry replays the
//! first answer, sealed at rest; another body under the same key is
//! refused; a request whose holder vanished can be taken over.

use chrono::Duration;

use super::World;
use crate::model::{
    Fingerprint, IDEMPOTENCY_LEASE, IDEMPOTENCY_RETENTION, IdempotencyKey, IdempotencyState,
};
use crate::ports::IdempotencyStore;
use crate::service::Begin;
use crate::testing::block_on;

fn key(text: &str) -> IdempotencyKey {
    IdempotencyKey::parse("Idempotency-Key", text).unwrap()
}

#[test]
fn a_retry_replays_the_first_answer_and_another_body_is_refused() {
    let w = World::new();
    let body = br#"{"name":"Globex"}"#;
    let fp = Fingerprint::of("POST", "/api/crm/clients", body);
    let Begin::Proceed(ticket) =
        block_on(w.s.idempotency.begin(&w.account, key("k-1"), fp)).unwrap()
    else {
        panic!("the first request proceeds");
    };
    // A concurrent duplicate is told the first is still running.
    assert!(matches!(
        block_on(w.s.idempotency.begin(&w.account, key("k-1"), fp)).unwrap(),
        Begin::InProgress
    ));
    let answer = br#"{"id":"c1","api_key":"psk_secret"}"#;
    block_on(
        w.s.idempotency
            .finish(ticket, 201, "application/json", answer),
    )
    .unwrap();
    match block_on(w.s.idempotency.begin(&w.account, key("k-1"), fp)).unwrap() {
        Begin::Replay(replay) => {
            assert_eq!(replay.status, 201);
            assert_eq!(replay.body, answer);
        }
        other => panic!("expected a replay, got {other:?}"),
    }
    // The kept answer is sealed: the store never holds the secret in clear.
    let record = block_on(w.store.idempotency_record(w.account.id, &key("k-1")))
        .unwrap()
        .unwrap();
    let IdempotencyState::Completed(stored) = record.state else {
        panic!("completed")
    };
    assert!(!stored.sealed_body.windows(10).any(|s| s == b"psk_secret"));

    let other = Fingerprint::of("POST", "/api/crm/clients", br#"{"name":"Initech"}"#);
    assert!(matches!(
        block_on(w.s.idempotency.begin(&w.account, key("k-1"), other)).unwrap(),
        Begin::KeyReused
    ));
    // Keys are per account.
    let stranger = block_on(w.s.accounts.create_account(super::name("Other"), false))
        .unwrap()
        .account;
    assert!(matches!(
        block_on(w.s.idempotency.begin(&stranger, key("k-1"), other)).unwrap(),
        Begin::Proceed(_)
    ));
    // A day later the key is free again.
    w.clock.advance(IDEMPOTENCY_RETENTION);
    assert!(matches!(
        block_on(w.s.idempotency.begin(&w.account, key("k-1"), other)).unwrap(),
        Begin::Proceed(_)
    ));
}

#[test]
fn an_abandoned_or_vanished_request_frees_its_key() {
    let w = World::new();
    let fp = Fingerprint::of("POST", "/x", b"");
    let Begin::Proceed(ticket) = block_on(w.s.idempotency.begin(&w.account, key("k"), fp)).unwrap()
    else {
        panic!("proceeds");
    };
    block_on(w.s.idempotency.abandon(ticket)).unwrap();
    let Begin::Proceed(_held) = block_on(w.s.idempotency.begin(&w.account, key("k"), fp)).unwrap()
    else {
        panic!("the key is free after an abandon");
    };
    // Its holder never finishes: after the lease another may take over.
    assert!(matches!(
        block_on(w.s.idempotency.begin(&w.account, key("k"), fp)).unwrap(),
        Begin::InProgress
    ));
    w.clock.advance(IDEMPOTENCY_LEASE + Duration::seconds(1));
    assert!(matches!(
        block_on(w.s.idempotency.begin(&w.account, key("k"), fp)).unwrap(),
        Begin::Proceed(_)
    ));
}
