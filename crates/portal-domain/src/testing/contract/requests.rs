//! Contract checks for requests for a new link: counted for rate limits,
//! and fulfilled through the outbox only when the limits allow.

use chrono::Duration;

use crate::model::{
    ContactId, DocumentId, EmailAddress, LinkRequest, LinkRequestCounts, LinkRequestId,
    LinkRequestJob, LinkRequestPolicy, OutboxId, OutboxMessage, OutboxPayload, OutboxStatus,
    OutboxTopic, PageRequest,
};
use crate::ports::Store;

use super::Fixture;

pub async fn link_requests_are_counted_and_forgotten(store: &dyn Store) {
    let f = Fixture::new(store);
    let request = |email: &str, ip: &str, minutes: i64| LinkRequest {
        id: LinkRequestId::generate(f.random()),
        email: EmailAddress::parse("email", email).unwrap(),
        ip: ip.parse().ok(),
        requested_at: f.now + Duration::minutes(minutes),
    };
    let count = |r: LinkRequest| async move {
        let since = r.requested_at - Duration::hours(1);
        let forget = r.requested_at - Duration::days(1);
        store
            .record_link_request(&r, since, forget, LinkRequestPolicy::default(), None)
            .await
            .unwrap()
    };
    assert_eq!(
        count(request("a@example.com", "192.0.2.1", 0)).await,
        LinkRequestCounts {
            from_ip: 1,
            for_email: 1
        }
    );
    assert_eq!(
        count(request("b@example.com", "192.0.2.1", 1)).await,
        LinkRequestCounts {
            from_ip: 2,
            for_email: 1
        }
    );
    assert_eq!(
        count(request("a@example.com", "192.0.2.2", 2)).await,
        LinkRequestCounts {
            from_ip: 1,
            for_email: 2
        }
    );
    // Outside the one-hour window, the first three no longer count.
    assert_eq!(
        count(request("a@example.com", "192.0.2.1", 90)).await,
        LinkRequestCounts {
            from_ip: 1,
            for_email: 1
        }
    );
    // Two days on, everything before was forgotten, not just out of window.
    let far = request("a@example.com", "192.0.2.1", 60 * 48);
    let counts = store
        .record_link_request(
            &far,
            f.now - Duration::days(30),
            far.requested_at - Duration::days(1),
            LinkRequestPolicy::default(),
            None,
        )
        .await
        .unwrap();
    assert_eq!(
        counts,
        LinkRequestCounts {
            from_ip: 1,
            for_email: 1
        }
    );
}

pub async fn link_requests_enqueue_their_job_only_when_allowed(store: &dyn Store) {
    let f = Fixture::new(store);
    let account = f.account("Account").await;
    let policy = LinkRequestPolicy {
        window: Duration::hours(1),
        per_ip: 10,
        per_email: 2,
    };
    let email = EmailAddress::parse("email", "ap@acme.example").unwrap();
    let job = |minutes: i64, previous| {
        OutboxMessage::new(
            OutboxId::generate(f.random()),
            account.id,
            OutboxTopic::LinkRequest,
            OutboxPayload::LinkRequest(LinkRequestJob {
                email: email.clone(),
                previous,
                ip: "192.0.2.1".parse().ok(),
                user_agent: Some("Mozilla/5.0 ☃".into()),
            }),
            f.now + Duration::minutes(minutes),
        )
    };
    let ask = |minutes: i64, fulfil: Option<OutboxMessage>| {
        let request = LinkRequest {
            id: LinkRequestId::generate(f.random()),
            email: email.clone(),
            ip: "192.0.2.1".parse().ok(),
            requested_at: f.now + Duration::minutes(minutes),
        };
        async move {
            let since = request.requested_at - policy.window;
            let forget = request.requested_at - Duration::days(1);
            store
                .record_link_request(&request, since, forget, policy, fulfil.as_ref())
                .await
                .unwrap()
        }
    };
    let previous = Some((
        ContactId::generate(f.random()),
        DocumentId::generate(f.random()),
    ));
    let first = job(0, None);
    let second = job(1, previous);
    let third = job(2, None);
    assert_eq!(
        ask(0, Some(first.clone())).await,
        LinkRequestCounts {
            from_ip: 1,
            for_email: 1
        }
    );
    assert_eq!(
        ask(1, Some(second.clone())).await,
        LinkRequestCounts {
            from_ip: 2,
            for_email: 2
        }
    );
    // Over the limit: counted, but nothing is enqueued.
    assert_eq!(
        ask(2, Some(third.clone())).await,
        LinkRequestCounts {
            from_ip: 3,
            for_email: 3
        }
    );
    // No job given: only counted.
    assert_eq!(
        ask(3, None).await,
        LinkRequestCounts {
            from_ip: 4,
            for_email: 4
        }
    );
    let stored = |id| async move { store.outbox_message(account.id, id).await.unwrap() };
    assert_eq!(stored(first.id).await, Some(first.clone()));
    assert_eq!(stored(second.id).await, Some(second.clone()));
    assert_eq!(stored(third.id).await, None);
    let listed = store
        .outbox(
            account.id,
            Some(OutboxStatus::Pending),
            &PageRequest::first(10),
        )
        .await
        .unwrap();
    assert_eq!(listed, vec![second, first]);
}
