//! Races on PostgreSQL, where several server processes share one database:
//! of many concurrent redemptions of one link exactly one wins, and no
//! redemption racing a portal switch-off leaves a live session behind.

mod common;

use std::sync::Arc;

use chrono::{Duration, Utc};
use portal_domain::ports::{
    AccessStore, AccountStore, CrmStore, LinkRequestStore, Redemption, Revocation, SessionFilter,
};
use portal_domain::testing::SeededRandom;
use portal_domain::{
    Account, AccountId, AccountSettings, ApiKey, ApiKeyId, ApiKeyRecord, AuditAction, AuditEvent,
    AuditEventId, Client, ClientId, Contact, ContactId, EmailAddress, LinkId, LinkPurpose,
    LinkRequest, LinkRequestId, MagicLink, Name, PortalSession, RevokeReason, SessionId, Token,
};
use portal_store::{Database, DatabaseUrl};

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn fifty_concurrent_redemptions_across_two_pools_have_one_winner() {
    let harness = common::postgres().await;
    let (Some(first), Some(server)) = (harness.db.clone(), harness.server.as_ref()) else {
        return;
    };
    // A second pool on the same database stands in for a second process.
    let second = Database::open(&DatabaseUrl::Postgres(server.url().to_owned()))
        .await
        .unwrap();

    let random = SeededRandom::new(99);
    let now = Utc::now();
    let account = Account {
        id: AccountId::generate(&random),
        name: Name::parse("name", "Account").unwrap(),
        settings: AccountSettings::default(),
        demo: false,
        created_at: now,
        updated_at: now,
    };
    let key = ApiKeyRecord {
        id: ApiKeyId::generate(&random),
        account_id: account.id,
        key_hash: ApiKey::generate(&random).hash(),
        created_at: now,
    };
    first.insert_account(&account, &key).await.unwrap();
    let client = Client {
        id: ClientId::generate(&random),
        account_id: account.id,
        name: Name::parse("name", "Acme").unwrap(),
        portal_enabled: true,
        active: true,
        created_at: now,
        updated_at: now,
    };
    first.insert_client(&client).await.unwrap();
    let contact = Contact {
        id: ContactId::generate(&random),
        account_id: account.id,
        client_id: client.id,
        name: Name::parse("name", "Pat").unwrap(),
        email: EmailAddress::parse("email", "pat@acme.example").unwrap(),
        created_at: now,
    };
    first.insert_contact(&contact).await.unwrap();
    let link = MagicLink {
        id: LinkId::generate(&random),
        account_id: account.id,
        client_id: client.id,
        contact_id: contact.id,
        document_id: None,
        session_id: None,
        token_hash: Token::generate(&random).hash(),
        purpose: LinkPurpose::DocumentSent,
        created_at: now,
        expires_at: now + Duration::days(1),
        used_at: None,
        revoked_at: None,
    };
    first.insert_link(&link, None).await.unwrap();

    let random = Arc::new(random);
    let mut tasks = Vec::new();
    for i in 0..50 {
        let db = if i % 2 == 0 {
            first.clone()
        } else {
            second.clone()
        };
        let random = random.clone();
        tasks.push(tokio::spawn(async move {
            let session = PortalSession {
                id: SessionId::generate(random.as_ref()),
                account_id: link.account_id,
                client_id: link.client_id,
                contact_id: link.contact_id,
                link_id: link.id,
                created_at: now,
                activated_at: Some(now),
                expires_at: now + Duration::days(7),
                last_seen_at: Some(now),
                revoked_at: None,
                revoke_reason: None,
                ip: None,
                user_agent: None,
            };
            let audit = AuditEvent {
                id: AuditEventId::generate(random.as_ref()),
                account_id: link.account_id,
                client_id: link.client_id,
                contact_id: Some(link.contact_id),
                session_id: Some(session.id),
                document_id: None,
                action: AuditAction::SessionStarted,
                ip: None,
                user_agent: None,
                occurred_at: now,
            };
            db.redeem_link(Redemption {
                link_id: link.id,
                at: now,
                session: &session,
                activates_pending: false,
                secret_hash: Token::generate(random.as_ref()).hash(),
                replaces: None,
                audit: &audit,
            })
            .await
            .expect("a redemption either wins or loses; it never errors")
        }));
    }
    let mut winners = 0;
    for task in tasks {
        winners += usize::from(task.await.unwrap());
    }
    assert_eq!(winners, 1);
    let filter = SessionFilter {
        client: None,
        contact: None,
        limit: 100,
    };
    assert_eq!(first.sessions(account.id, filter).await.unwrap().len(), 1);
}

/// A redemption of `link` into a fresh session, with its audit event.
fn redemption_parts(link: &MagicLink, random: &SeededRandom) -> (PortalSession, AuditEvent) {
    let now = Utc::now();
    let session = PortalSession {
        id: SessionId::generate(random),
        account_id: link.account_id,
        client_id: link.client_id,
        contact_id: link.contact_id,
        link_id: link.id,
        created_at: now,
        activated_at: Some(now),
        expires_at: now + Duration::days(7),
        last_seen_at: Some(now),
        revoked_at: None,
        revoke_reason: None,
        ip: None,
        user_agent: None,
    };
    let audit = AuditEvent {
        id: AuditEventId::generate(random),
        account_id: link.account_id,
        client_id: link.client_id,
        contact_id: Some(link.contact_id),
        session_id: Some(session.id),
        document_id: None,
        action: AuditAction::SessionStarted,
        ip: None,
        user_agent: None,
        occurred_at: now,
    };
    (session, audit)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn no_session_survives_a_portal_closed_while_links_are_redeemed() {
    let harness = common::postgres().await;
    let (Some(db), Some(server)) = (harness.db.clone(), harness.server.as_ref()) else {
        return;
    };
    let other = Database::open(&DatabaseUrl::Postgres(server.url().to_owned()))
        .await
        .unwrap();
    let random = Arc::new(SeededRandom::new(7));
    let now = Utc::now();
    let account = Account {
        id: AccountId::generate(random.as_ref()),
        name: Name::parse("name", "Account").unwrap(),
        settings: AccountSettings::default(),
        demo: false,
        created_at: now,
        updated_at: now,
    };
    let key = ApiKeyRecord {
        id: ApiKeyId::generate(random.as_ref()),
        account_id: account.id,
        key_hash: ApiKey::generate(random.as_ref()).hash(),
        created_at: now,
    };
    db.insert_account(&account, &key).await.unwrap();
    let client = Client {
        id: ClientId::generate(random.as_ref()),
        account_id: account.id,
        name: Name::parse("name", "Acme").unwrap(),
        portal_enabled: true,
        active: true,
        created_at: now,
        updated_at: now,
    };
    db.insert_client(&client).await.unwrap();
    let mut links = Vec::new();
    for i in 0..30 {
        let contact = Contact {
            id: ContactId::generate(random.as_ref()),
            account_id: account.id,
            client_id: client.id,
            name: Name::parse("name", "Pat").unwrap(),
            email: EmailAddress::parse("email", &format!("pat{i}@acme.example")).unwrap(),
            created_at: now,
        };
        db.insert_contact(&contact).await.unwrap();
        let link = MagicLink {
            id: LinkId::generate(random.as_ref()),
            account_id: account.id,
            client_id: client.id,
            contact_id: contact.id,
            document_id: None,
            session_id: None,
            token_hash: Token::generate(random.as_ref()).hash(),
            purpose: LinkPurpose::DocumentSent,
            created_at: now,
            expires_at: now + Duration::days(1),
            used_at: None,
            revoked_at: None,
        };
        db.insert_link(&link, None).await.unwrap();
        links.push(link);
    }

    let mut tasks = Vec::new();
    for (i, link) in links.into_iter().enumerate() {
        let db = if i % 2 == 0 {
            db.clone()
        } else {
            other.clone()
        };
        let random = random.clone();
        tasks.push(tokio::spawn(async move {
            let (session, audit) = redemption_parts(&link, random.as_ref());
            db.redeem_link(Redemption {
                link_id: link.id,
                at: Utc::now(),
                session: &session,
                activates_pending: false,
                secret_hash: Token::generate(random.as_ref()).hash(),
                replaces: None,
                audit: &audit,
            })
            .await
            .unwrap()
        }));
    }
    // Close the portal while the redemptions run.
    tokio::task::yield_now().await;
    let closed = Client {
        portal_enabled: false,
        updated_at: Utc::now(),
        ..client.clone()
    };
    let revocation = Revocation {
        at: Utc::now(),
        reason: RevokeReason::PortalDisabled,
    };
    let revoked = other
        .update_client(&client, &closed, Some(revocation))
        .await
        .unwrap()
        .unwrap();
    let mut redeemed = 0;
    for task in tasks {
        redeemed += u64::from(task.await.unwrap());
    }
    let filter = SessionFilter {
        client: Some(client.id),
        contact: None,
        limit: 100,
    };
    let sessions = db.sessions(account.id, filter).await.unwrap();
    assert_eq!(sessions.len() as u64, redeemed);
    assert_eq!(
        revoked, redeemed,
        "every session that got in was ended by the switch-off"
    );
    assert!(
        sessions.iter().all(|s| s.revoked_at.is_some()),
        "a session outlived the closed portal"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_link_requests_are_counted_one_by_one() {
    let harness = common::postgres().await;
    let (Some(db), Some(server)) = (harness.db.clone(), harness.server.as_ref()) else {
        return;
    };
    let other = Database::open(&DatabaseUrl::Postgres(server.url().to_owned()))
        .await
        .unwrap();
    let random = Arc::new(SeededRandom::new(11));
    let now = Utc::now();
    let mut tasks = Vec::new();
    for i in 0..40 {
        let db = if i % 2 == 0 {
            db.clone()
        } else {
            other.clone()
        };
        let random = random.clone();
        tasks.push(tokio::spawn(async move {
            let request = LinkRequest {
                id: LinkRequestId::generate(random.as_ref()),
                account_id: None,
                email: EmailAddress::parse("email", "ap@acme.example").unwrap(),
                ip: "192.0.2.7".parse().ok(),
                requested_at: now,
            };
            db.record_link_request(&request, now - Duration::hours(1), now - Duration::days(1))
                .await
                .unwrap()
        }));
    }
    let mut counts = Vec::new();
    for task in tasks {
        counts.push(task.await.unwrap().for_email);
    }
    counts.sort_unstable();
    // Each request saw every earlier one: the counts are exactly 1..=40.
    assert_eq!(counts, (1..=40).collect::<Vec<u64>>());
}
