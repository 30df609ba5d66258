//! Races on PostgreSQL, where several server processes share one database:
//! of many concurrent redemptions of one link exactly one wins, no
//! redemption racing a portal switch-off leaves a live session behind, and
//! concurrent link requests are counted one by one.

mod common;

use std::sync::Arc;

use chrono::{Duration, Utc};
use portal_domain::ports::{AccessStore, CrmStore, LinkRequestStore, Revocation, SessionFilter};
use portal_domain::testing::SeededRandom;
use portal_domain::{
    Client, EmailAddress, LinkRequest, LinkRequestId, LinkRequestPolicy, PageRequest, RevokeReason,
};

use common::{client, contact_link, redeem, two_processes};

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn fifty_concurrent_redemptions_across_two_pools_have_one_winner() {
    let Some((_harness, first, second)) = two_processes().await else {
        return;
    };
    let random = Arc::new(SeededRandom::new(99));
    let (account, client) = client(&first, &random).await;
    let (_, link) = contact_link(&first, &random, &client, 0).await;

    let mut tasks = Vec::new();
    for i in 0..50 {
        let db = if i % 2 == 0 {
            first.clone()
        } else {
            second.clone()
        };
        let (random, link) = (random.clone(), link.clone());
        tasks.push(tokio::spawn(
            async move { redeem(&db, &random, &link).await },
        ));
    }
    let mut winners = 0;
    for task in tasks {
        winners += usize::from(task.await.unwrap());
    }
    assert_eq!(winners, 1);
    let all = PageRequest::first(100);
    let sessions = first
        .sessions(account.id, SessionFilter::default(), &all)
        .await
        .unwrap();
    assert_eq!(sessions.len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn no_session_survives_a_portal_closed_while_links_are_redeemed() {
    let Some((_harness, db, other)) = two_processes().await else {
        return;
    };
    let random = Arc::new(SeededRandom::new(7));
    let (account, client) = client(&db, &random).await;
    let mut links = Vec::new();
    for n in 0..30 {
        links.push(contact_link(&db, &random, &client, n).await.1);
    }

    let mut tasks = Vec::new();
    for (i, link) in links.into_iter().enumerate() {
        let db = if i % 2 == 0 {
            db.clone()
        } else {
            other.clone()
        };
        let random = random.clone();
        tasks.push(tokio::spawn(
            async move { redeem(&db, &random, &link).await },
        ));
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
    };
    let sessions = db
        .sessions(account.id, filter, &PageRequest::first(100))
        .await
        .unwrap();
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
    let Some((_harness, db, other)) = two_processes().await else {
        return;
    };
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
                email: EmailAddress::parse("email", "ap@acme.example").unwrap(),
                ip: "192.0.2.7".parse().ok(),
                requested_at: now,
            };
            let policy = LinkRequestPolicy::default();
            let (since, forget) = (now - Duration::hours(1), now - Duration::days(1));
            db.record_link_request(&request, since, forget, policy, None)
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
