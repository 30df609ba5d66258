//! How redemptions lock on PostgreSQL, shown step by step with
//! transactions held open on connections of the test's own, so nothing
//! depends on timing: redemptions for one client share its row and run
//! side by side, a portal switch-off waits for the ones in flight and then
//! ends their sessions, and a redemption that waited behind a switch-off
//! or a contact's deactivation sees it and refuses.

mod common;

use std::sync::Arc;
use std::time::Duration as StdDuration;

use chrono::{Duration, Utc};
use diesel::QueryableByName;
use diesel::sql_types::BigInt;
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl, SimpleAsyncConnection};
use portal_domain::ports::{
    AccessStore, Batch, BatchStore, CrmStore, Redemption, Revocation, SessionFilter, Write,
};
use portal_domain::testing::SeededRandom;
use portal_domain::{
    AuditAction, AuditEvent, AuditEventId, Client, ClientInfo, Contact, ContactId, EmailAddress,
    LinkId, LinkPurpose, MagicLink, Name, PageRequest, PortalSession, RevokeReason, SessionId,
    Token,
};
use portal_store::Database;

use common::{client, two_processes};

/// A hang guard only: every wait below ends as soon as its condition
/// holds; this bounds how long a broken lock order could stall the test.
const AT_MOST: StdDuration = StdDuration::from_secs(60);

/// A new contact of `client` with an unused link.
async fn contact_link(
    db: &Database,
    random: &SeededRandom,
    client: &Client,
    n: usize,
) -> (Contact, MagicLink) {
    let now = Utc::now();
    let contact = Contact {
        id: ContactId::generate(random),
        account_id: client.account_id,
        client_id: client.id,
        name: Name::parse("name", "Pat").unwrap(),
        email: EmailAddress::parse("email", &format!("pat{n}@acme.example")).unwrap(),
        active: true,
        created_at: now,
        updated_at: now,
    };
    db.insert_contact(&contact).await.unwrap();
    let link = MagicLink {
        id: LinkId::generate(random),
        account_id: client.account_id,
        client_id: client.id,
        contact_id: contact.id,
        document_id: None,
        session_id: None,
        token_hash: Token::generate(random).hash(),
        purpose: LinkPurpose::DocumentSent,
        created_at: now,
        expires_at: now + Duration::days(1),
        used_at: None,
        revoked_at: None,
    };
    let insert = Batch::new().with(Write::InsertLink {
        link: link.clone(),
        pending: None,
        email: contact.email.clone(),
    });
    assert!(db.commit(&insert).await.unwrap());
    (contact, link)
}

/// Redeems `link` into a fresh session; whether this redemption won.
async fn redeem(db: &Database, random: &SeededRandom, link: &MagicLink) -> bool {
    let now = Utc::now();
    let session = PortalSession::pending(SessionId::generate(random), link, now).activate(
        now,
        Duration::days(7),
        &ClientInfo::default(),
    );
    let audit = AuditEvent {
        id: AuditEventId::generate(random),
        account_id: link.account_id,
        client_id: link.client_id,
        contact_id: Some(link.contact_id),
        session_id: Some(session.id),
        document_id: None,
        payment_id: None,
        action: AuditAction::SessionStarted,
        ip: None,
        user_agent: None,
        occurred_at: now,
        detail: None,
    };
    db.redeem_link(Redemption {
        link_id: link.id,
        at: now,
        session: &session,
        activates_pending: false,
        secret_hash: Token::generate(random).hash(),
        replaces: None,
        audit: &audit,
    })
    .await
    .expect("a redemption either wins or loses; it never errors")
}

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
