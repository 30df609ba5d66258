//! Contract checks for portal sessions and the audit trail.

use chrono::Duration;

use crate::model::{
    AuditAction, AuditEvent, ConnectionHealth, ConnectionId, Cursor, PageRequest, PaymentId,
    PortalSession, ProcessorKind, RevokeReason,
};
use crate::ports::{
    Batch, ConnectionRecord, Revocation, SessionContext, SessionFilter, Store, Write,
};

use super::access::redemption;
use super::{Fixture, read_pages};

pub async fn sessions_resolve_by_secret_with_their_context(store: &dyn Store) {
    let f = Fixture::new(store);
    let account = f.account("Account").await;
    let client = f.client(&account, "Acme").await;
    let contact = f.contact(&client, "ap@acme.example").await;
    let (link, _) = f.link(&contact, None, f.now + Duration::days(1));
    assert!(f.insert_link(&link, None).await.unwrap());
    let session = f.session_for(&link, f.now);
    let audit = f.event(&contact, AuditAction::SessionStarted, f.now);
    let (r, secret) = redemption(&f, &session, &audit);
    assert!(store.redeem_link(r).await.unwrap());
    let ctx = store.session_by_secret(&secret.hash()).await.unwrap();
    assert_eq!(
        ctx,
        Some(SessionContext {
            session: session.clone(),
            contact: contact.clone(),
            client: client.clone(),
            account: account.clone(),
            processor: None,
        })
    );
    assert_eq!(
        store.session_by_secret(&f.token().hash()).await.unwrap(),
        None
    );
    // Once the account connects a processor, the session reads it too:
    // another account's connection is not its.
    let other = f.account("Other").await;
    let connection = |account| ConnectionRecord {
        id: ConnectionId::generate(f.random()),
        account_id: account,
        kind: ProcessorKind::Stripe,
        public: "publishable_key=pk_test_123456\n".into(),
        sealed_secrets: vec![0x00, 0xFF, 0x10, b'k'],
        created_at: f.now,
        health: ConnectionHealth::default(),
    };
    let theirs = connection(other.id);
    let ours = connection(account.id);
    for record in [&theirs, &ours] {
        let batch = Batch::new().with(Write::PutConnection(record.clone()));
        assert!(store.commit(&batch).await.unwrap());
    }
    let ctx = store.session_by_secret(&secret.hash()).await.unwrap();
    assert_eq!(ctx.and_then(|c| c.processor), Some(ours));
}

pub async fn sessions_are_listed_newest_first_and_filtered(store: &dyn Store) {
    let f = Fixture::new(store);
    let account = f.account("Account").await;
    let acme = f.client(&account, "Acme").await;
    let globex = f.client(&account, "Globex").await;
    let ap = f.contact(&acme, "ap@acme.example").await;
    let cfo = f.contact(&acme, "cfo@acme.example").await;
    let g = f.contact(&globex, "ap@globex.example").await;
    let mut expected = Vec::new();
    // Several sessions start at the same instant: the id breaks the tie.
    for (contact, minutes) in [
        (&ap, 0),
        (&cfo, 1),
        (&g, 2),
        (&ap, 3),
        (&cfo, 3),
        (&g, 3),
        (&ap, 1),
    ] {
        let at = f.now + Duration::minutes(minutes);
        let (link, _) = f.link(contact, None, at + Duration::days(1));
        assert!(f.insert_link(&link, None).await.unwrap());
        let session = f.session_for(&link, at);
        let audit = f.event(contact, AuditAction::SessionStarted, at);
        let (r, _) = redemption(&f, &session, &audit);
        assert!(store.redeem_link(r).await.unwrap());
        expected.push(session);
    }
    expected.sort_by_key(|s| std::cmp::Reverse((s.created_at, s.id)));
    for filter in [
        SessionFilter::default(),
        SessionFilter {
            contact: Some(ap.id),
            client: None,
        },
        SessionFilter {
            client: Some(acme.id),
            contact: None,
        },
        SessionFilter {
            client: Some(globex.id),
            contact: Some(ap.id),
        },
    ] {
        let wanted: Vec<PortalSession> = expected
            .iter()
            .filter(|s| filter.client.is_none_or(|c| s.client_id == c))
            .filter(|s| filter.contact.is_none_or(|c| s.contact_id == c))
            .cloned()
            .collect();
        for limit in [1, 2, 3, 50] {
            let listed = read_pages(
                limit,
                |s: &PortalSession| Cursor::new(s.created_at, s.id.as_uuid()),
                |page| async move { store.sessions(account.id, filter, &page).await.unwrap() },
            )
            .await;
            assert_eq!(listed, wanted, "{filter:?}, limit {limit}");
        }
    }
    let other = f.account("Other").await;
    let page = PageRequest::first(50);
    assert!(
        store
            .sessions(other.id, SessionFilter::default(), &page)
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(store.session(other.id, expected[0].id).await.unwrap(), None);
}

pub async fn sessions_are_touched_and_revoked_once(store: &dyn Store) {
    let f = Fixture::new(store);
    let account = f.account("Account").await;
    let client = f.client(&account, "Acme").await;
    let contact = f.contact(&client, "ap@acme.example").await;
    let (link, _) = f.link(&contact, None, f.now + Duration::days(1));
    assert!(f.insert_link(&link, None).await.unwrap());
    let session = f.session_for(&link, f.now);
    let audit = f.event(&contact, AuditAction::SessionStarted, f.now);
    let (r, _) = redemption(&f, &session, &audit);
    assert!(store.redeem_link(r).await.unwrap());

    let seen = f.now + Duration::minutes(42);
    store.touch_session(session.id, seen).await.unwrap();
    assert_eq!(
        store
            .session(account.id, session.id)
            .await
            .unwrap()
            .unwrap()
            .last_seen_at,
        Some(seen)
    );

    let out = f.now + Duration::hours(1);
    let revocation = Revocation {
        at: out,
        reason: RevokeReason::SignedOut,
    };
    let event = AuditEvent {
        session_id: Some(session.id),
        ..f.event(&contact, AuditAction::SignedOut, out)
    };
    assert!(
        store
            .revoke_session(session.id, revocation, &event)
            .await
            .unwrap()
    );
    let again = AuditEvent {
        id: crate::model::AuditEventId::generate(f.random()),
        ..event.clone()
    };
    let later = Revocation {
        at: out + Duration::hours(1),
        reason: RevokeReason::Operator,
    };
    assert!(
        !store
            .revoke_session(session.id, later, &again)
            .await
            .unwrap()
    );
    let stored = store
        .session(account.id, session.id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (stored.revoked_at, stored.revoke_reason),
        (Some(out), Some(RevokeReason::SignedOut))
    );
    assert_eq!(
        store.session_events(account.id, session.id).await.unwrap(),
        vec![event]
    );
}

pub async fn audit_trails_are_ordered_and_scoped(store: &dyn Store) {
    let f = Fixture::new(store);
    let account = f.account("Account").await;
    let acme = f.client(&account, "Acme").await;
    let globex = f.client(&account, "Globex").await;
    let ap = f.contact(&acme, "ap@acme.example").await;
    let g = f.contact(&globex, "ap@globex.example").await;
    let session = crate::model::SessionId::generate(f.random());
    let mut acme_events = Vec::new();
    for (i, action) in [
        AuditAction::SessionStarted,
        AuditAction::PortalViewed,
        AuditAction::DocumentViewed,
    ]
    .into_iter()
    .enumerate()
    {
        let event = AuditEvent {
            session_id: Some(session),
            ..f.event(&ap, action, f.now + Duration::seconds(i as i64))
        };
        store.record(&event).await.unwrap();
        acme_events.push(event);
    }
    // Same instant as the last one: in a session's trail, recording order
    // breaks the tie; in the client's, the id does.
    let same_time = AuditEvent {
        session_id: Some(session),
        ..f.event(&ap, AuditAction::SignedOut, f.now + Duration::seconds(2))
    };
    store.record(&same_time).await.unwrap();
    acme_events.push(same_time);
    store
        .record(&f.event(&g, AuditAction::PortalViewed, f.now))
        .await
        .unwrap();

    // A payment's event keeps the payment it is about.
    let paid = AuditEvent {
        payment_id: Some(PaymentId::generate(f.random())),
        ..f.event(
            &ap,
            AuditAction::PaymentRecorded,
            f.now + Duration::seconds(1),
        )
    };
    store.record(&paid).await.unwrap();

    assert_eq!(
        store.session_events(account.id, session).await.unwrap(),
        acme_events
    );
    let mut newest_first = acme_events.clone();
    newest_first.push(paid);
    newest_first.sort_by_key(|e| std::cmp::Reverse((e.occurred_at, e.id)));
    let page = PageRequest::first(50);
    assert_eq!(
        store
            .client_events(account.id, acme.id, &page)
            .await
            .unwrap(),
        newest_first
    );
    for limit in [1, 2, 3] {
        let listed = read_pages(
            limit,
            |e: &AuditEvent| Cursor::new(e.occurred_at, e.id.as_uuid()),
            |page| async move {
                store
                    .client_events(account.id, acme.id, &page)
                    .await
                    .unwrap()
            },
        )
        .await;
        assert_eq!(listed, newest_first, "limit {limit}");
    }
    let other = f.account("Other").await;
    assert!(
        store
            .client_events(other.id, acme.id, &page)
            .await
            .unwrap()
            .is_empty()
    );
    assert!(
        store
            .session_events(other.id, session)
            .await
            .unwrap()
            .is_empty()
    );
}

pub async fn audit_details_round_trip(store: &dyn Store) {
    let f = Fixture::new(store);
    let account = f.account("Account").await;
    let acme = f.client(&account, "Acme").await;
    let ap = f.contact(&acme, "ap@acme.example").await;
    let session = crate::model::SessionId::generate(f.random());
    let statement = AuditEvent {
        session_id: Some(session),
        detail: Some("2026-01-01..2026-11-26 as PDF «EUR, USD» ✓\nsecond line".into()),
        ..f.event(&ap, AuditAction::StatementDownloaded, f.now)
    };
    store.record(&statement).await.unwrap();
    let document = AuditEvent {
        session_id: Some(session),
        document_id: Some(crate::model::DocumentId::generate(f.random())),
        detail: None,
        ..f.event(
            &ap,
            AuditAction::DocumentDownloaded,
            f.now + Duration::seconds(1),
        )
    };
    store.record(&document).await.unwrap();
    // Events written in a batch keep theirs too.
    let receipt = AuditEvent {
        session_id: Some(session),
        payment_id: Some(PaymentId::generate(f.random())),
        detail: Some(String::new()),
        ..f.event(
            &ap,
            AuditAction::ReceiptDownloaded,
            f.now + Duration::seconds(2),
        )
    };
    let batch = crate::ports::Batch::new().with(crate::ports::Write::Audit(receipt.clone()));
    assert!(store.commit(&batch).await.unwrap());

    let recorded = vec![statement, document, receipt];
    assert_eq!(
        store.session_events(account.id, session).await.unwrap(),
        recorded
    );
    let mut newest_first = recorded;
    newest_first.reverse();
    assert_eq!(
        store
            .client_events(account.id, acme.id, &PageRequest::first(10))
            .await
            .unwrap(),
        newest_first
    );
}
