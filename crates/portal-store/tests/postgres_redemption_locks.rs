//! How redemptions lock on PostgreSQL, shown step by step with
//! transactions held open on connections of the test's own, so nothing
//! depends on timing: redemptions for one client share its row and run
//! side by side, a portal switch-off waits for the ones in flight and then
//! ends their sessions, and a redemption that waited behind a switch-off
//! or a contact's deactivation sees it and refuses.

mod common;

use std::sync::Arc;
use std::time::Duration as StdDuration;

use chrono::Utc;
use diesel::QueryableByName;
use diesel::sql_types::BigInt;
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl, SimpleAsyncConnection};
use portal_domain::ports::{AccessStore, CrmStore, Revocation, SessionFilter};
use portal_domain::testing::SeededRandom;
use portal_domain::{Client, PageRequest, RevokeReason};

use common::{client, contact_link, redeem, two_processes};

/// A hang guard only: every wait below ends as soon as its condition
/// holds; this bounds how long a broken lock order could stall the test.
const AT_MOST: StdDuration = StdDuration::from_secs(60);

#[derive(QueryableByName)]
struct Waiting {
    /// Statements of this database waiting for a lock.
    #[diesel(sql_type = BigInt)]
    all: i64,
    /// Those of them whose text is like the pattern.
    #[diesel(sql_type = BigInt)]
    matching: i64,
}

/// Waits until `n` statements of this database wait for a lock, one of
/// them like `like`. `observer` must not be in a transaction (which would
/// see one snapshot of the activity).
async fn until_waiting(observer: &mut AsyncPgConnection, n: i64, like: &str) {
    let query = format!(
        "SELECT count(*) AS all, count(*) FILTER (WHERE query LIKE '{like}') AS matching \
         FROM pg_stat_activity \
         WHERE datname = current_database() AND wait_event_type = 'Lock'"
    );
    let waited = tokio::time::timeout(AT_MOST, async {
        loop {
            let waiting: Waiting = diesel::sql_query(&query)
                .get_result(observer)
                .await
                .unwrap();
            if waiting.all >= n && waiting.matching >= 1 {
                return;
            }
            tokio::time::sleep(StdDuration::from_millis(10)).await;
        }
    })
    .await;
    assert!(
        waited.is_ok(),
        "never saw {n} statements waiting for a lock, one like {like}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn redemptions_share_the_client_and_a_switch_off_waits_for_those_in_flight() {
    let Some((harness, db, other)) = two_processes().await else {
        return;
    };
    let url = harness.server.as_ref().unwrap().url().to_owned();
    let random = Arc::new(SeededRandom::new(21));
    let (account, client) = client(&db, &random).await;
    let (_, first) = contact_link(&db, &random, &client, 1).await;
    let (_, second) = contact_link(&db, &random, &client, 2).await;
    let mut observer = AsyncPgConnection::establish(&url).await.unwrap();

    // Hold the first link's row: its redemption takes the client's (shared)
    // lock, then waits for the link.
    let mut holder = AsyncPgConnection::establish(&url).await.unwrap();
    holder
        .batch_execute(&format!(
            "BEGIN; SELECT 1 FROM magic_links WHERE id = '{}' FOR UPDATE",
            first.id
        ))
        .await
        .unwrap();
    let in_flight = {
        let (db, random, link) = (db.clone(), random.clone(), first.clone());
        tokio::spawn(async move { redeem(&db, &random, &link).await })
    };
    until_waiting(&mut observer, 1, "%magic_links%").await;

    // Another redemption for the same client goes through meanwhile.
    let beside = tokio::time::timeout(AT_MOST, redeem(&other, &random, &second)).await;
    assert_eq!(
        beside.ok(),
        Some(true),
        "a redemption waited for another redemption of the same client"
    );
    assert!(!in_flight.is_finished());

    // Switching the portal off waits for the redemption in flight...
    let closing = {
        let other = other.clone();
        let closed = Client {
            portal_enabled: false,
            updated_at: Utc::now(),
            ..client.clone()
        };
        let revocation = Revocation {
            at: Utc::now(),
            reason: RevokeReason::PortalDisabled,
        };
        let client = client.clone();
        tokio::spawn(async move {
            other
                .update_client(&client, &closed, Some(revocation))
                .await
                .unwrap()
        })
    };
    until_waiting(&mut observer, 2, "UPDATE \"clients\"%").await;
    assert!(!in_flight.is_finished() && !closing.is_finished());

    // ...which, once the link is free, wins, and is ended with the other.
    holder.batch_execute("ROLLBACK").await.unwrap();
    assert!(in_flight.await.unwrap(), "the redemption in flight won");
    assert_eq!(
        closing.await.unwrap(),
        Some(2),
        "the switch-off ended both sessions"
    );
    let sessions = db
        .sessions(
            account.id,
            SessionFilter::default(),
            &PageRequest::first(10),
        )
        .await
        .unwrap();
    assert_eq!(sessions.len(), 2);
    assert!(sessions.iter().all(|s| s.revoked_at.is_some()));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_redemption_that_waited_behind_a_switch_off_or_a_deactivation_refuses() {
    let Some((harness, db, _other)) = two_processes().await else {
        return;
    };
    let url = harness.server.as_ref().unwrap().url().to_owned();
    let random = Arc::new(SeededRandom::new(22));
    let mut observer = AsyncPgConnection::establish(&url).await.unwrap();
    // The writes each change makes, in its order (the client row first),
    // held open until the redemption waits behind them.
    let changes = [
        ("UPDATE clients SET portal_enabled = false WHERE id = '{client}'"),
        ("UPDATE clients SET id = id WHERE id = '{client}'; \
             UPDATE contacts SET active = false WHERE id = '{contact}'"),
    ];
    for change in changes {
        let (account, client) = client(&db, &random).await;
        let (contact, link) = contact_link(&db, &random, &client, 1).await;
        let mut writer = AsyncPgConnection::establish(&url).await.unwrap();
        let writes = change
            .replace("{client}", &client.id.to_string())
            .replace("{contact}", &contact.id.to_string());
        writer
            .batch_execute(&format!("BEGIN; {writes}"))
            .await
            .unwrap();
        let redemption = {
            let (db, random) = (db.clone(), random.clone());
            tokio::spawn(async move { redeem(&db, &random, &link).await })
        };
        until_waiting(&mut observer, 1, "%open_client%").await;
        writer.batch_execute("COMMIT").await.unwrap();
        assert!(
            !redemption.await.unwrap(),
            "a redemption slipped past: {change}"
        );
        let sessions = db
            .sessions(
                account.id,
                SessionFilter::default(),
                &PageRequest::first(10),
            )
            .await
            .unwrap();
        assert!(sessions.is_empty(), "{change}");
    }
}
