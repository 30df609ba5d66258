//! Contract checks for links, sessions, the audit trail and link requests.

use chrono::Duration;

use crate::model::{
    AuditAction, EmailAddress, LinkPurpose, LinkRequest, LinkRequestCounts, LinkRequestId,
    PortalSession, RevokeReason,
};
use crate::ports::{Redemption, Revocation, SessionContext, SessionFilter, Store};

use super::Fixture;

/// A redemption of `session`'s link at its activation time.
fn redemption<'a>(
    f: &Fixture<'_>,
    session: &'a PortalSession,
    audit: &'a crate::model::AuditEvent,
) -> (Redemption<'a>, crate::model::Token) {
    let secret = f.token();
    let r = Redemption {
        link_id: session.link_id,
        at: session.activated_at.unwrap_or(f.now),
        session,
        activates_pending: false,
        secret_hash: secret.hash(),
        replaces: None,
        audit,
    };
    (r, secret)
}

pub async fn links_round_trip_and_revoke(store: &dyn Store) {
    let f = Fixture::new(store);
    let account = f.account("Account").await;
    let client = f.client(&account, "Acme").await;
    let contact = f.contact(&client, "ap@acme.example").await;
    let document = f.document(
        &client,
        crate::model::DocumentKind::Invoice,
        "INV-1",
        super::date("2026-11-01"),
    );
    store.insert_document(&document).await.unwrap();
    let (mut link, token) = f.link(&contact, Some(document.id), f.now + Duration::days(14));
    link.purpose = LinkPurpose::Operator;
    store.insert_link(&link, None).await.unwrap();
    assert_eq!(
        store.link_by_token(&token.hash()).await.unwrap(),
        Some(link.clone())
    );
    assert_eq!(store.link_by_token(&f.token().hash()).await.unwrap(), None);

    store
        .revoke_link(link.id, f.now + Duration::minutes(1))
        .await
        .unwrap();
    let revoked = store.link_by_token(&token.hash()).await.unwrap().unwrap();
    assert_eq!(revoked.revoked_at, Some(f.now + Duration::minutes(1)));
    // Revoking again keeps the first time.
    store
        .revoke_link(link.id, f.now + Duration::minutes(2))
        .await
        .unwrap();
    assert_eq!(
        store.link_by_token(&token.hash()).await.unwrap(),
        Some(revoked)
    );
}

pub async fn a_link_is_redeemed_once(store: &dyn Store) {
    let f = Fixture::new(store);
    let account = f.account("Account").await;
    let client = f.client(&account, "Acme").await;
    let contact = f.contact(&client, "ap@acme.example").await;
    let (link, token) = f.link(&contact, None, f.now + Duration::days(14));
    store.insert_link(&link, None).await.unwrap();

    let first = f.session_for(&link, f.now);
    let first_audit = f.event(&contact, AuditAction::SessionStarted, f.now);
    let (r, first_secret) = redemption(&f, &first, &first_audit);
    assert!(store.redeem_link(r).await.unwrap());
    assert_eq!(
        store
            .link_by_token(&token.hash())
            .await
            .unwrap()
            .unwrap()
            .used_at,
        Some(f.now)
    );

    let second = f.session_for(&link, f.now + Duration::seconds(1));
    let second_audit = f.event(
        &contact,
        AuditAction::SessionStarted,
        f.now + Duration::seconds(1),
    );
    let (r, second_secret) = redemption(&f, &second, &second_audit);
    assert!(!store.redeem_link(r).await.unwrap());

    // The loser wrote nothing: no session, no audit event.
    assert!(
        store
            .session_by_secret(&first_secret.hash())
            .await
            .unwrap()
            .is_some()
    );
    assert!(
        store
            .session_by_secret(&second_secret.hash())
            .await
            .unwrap()
            .is_none()
    );
    assert_eq!(store.session(account.id, second.id).await.unwrap(), None);
    let events = store
        .client_events(account.id, client.id, 10)
        .await
        .unwrap();
    assert_eq!(events, vec![first_audit]);
}

pub async fn expired_or_revoked_links_are_not_redeemed(store: &dyn Store) {
    let f = Fixture::new(store);
    let account = f.account("Account").await;
    let client = f.client(&account, "Acme").await;
    let contact = f.contact(&client, "ap@acme.example").await;

    let (expiring, _) = f.link(&contact, None, f.now);
    store.insert_link(&expiring, None).await.unwrap();
    let session = f.session_for(&expiring, f.now);
    let audit = f.event(&contact, AuditAction::SessionStarted, f.now);
    let (r, _) = redemption(&f, &session, &audit);
    assert!(
        !store.redeem_link(r).await.unwrap(),
        "a link is dead at its expiry instant"
    );

    let (revoked, _) = f.link(&contact, None, f.now + Duration::days(1));
    store.insert_link(&revoked, None).await.unwrap();
    store
        .revoke_link(revoked.id, f.now - Duration::seconds(1))
        .await
        .unwrap();
    let session = f.session_for(&revoked, f.now);
    let (r, _) = redemption(&f, &session, &audit);
    assert!(!store.redeem_link(r).await.unwrap());
    assert!(
        store
            .sessions(
                account.id,
                SessionFilter {
                    client: None,
                    contact: None,
                    limit: 10
                }
            )
            .await
            .unwrap()
            .is_empty()
    );
}

pub async fn redeeming_activates_a_pending_session(store: &dyn Store) {
    let f = Fixture::new(store);
    let account = f.account("Account").await;
    let client = f.client(&account, "Acme").await;
    let contact = f.contact(&client, "ap@acme.example").await;
    let (mut link, _) = f.link(&contact, None, f.now + Duration::days(1));
    link.purpose = LinkPurpose::ApiSession;
    let pending = PortalSession {
        activated_at: None,
        expires_at: link.expires_at,
        last_seen_at: None,
        ip: None,
        user_agent: None,
        ..f.session_for(&link, f.now)
    };
    link.session_id = Some(pending.id);
    store.insert_link(&link, Some(&pending)).await.unwrap();
    assert_eq!(
        store.session(account.id, pending.id).await.unwrap(),
        Some(pending.clone())
    );

    let later = f.now + Duration::hours(2);
    let active = PortalSession {
        activated_at: Some(later),
        expires_at: later + Duration::days(7),
        last_seen_at: Some(later),
        ip: "198.51.100.7".parse().ok(),
        user_agent: Some("Firefox".into()),
        ..pending.clone()
    };
    let audit = f.event(&contact, AuditAction::SessionStarted, later);
    let (mut r, secret) = redemption(&f, &active, &audit);
    r.activates_pending = true;
    assert!(store.redeem_link(r).await.unwrap());
    assert_eq!(
        store.session(account.id, pending.id).await.unwrap(),
        Some(active.clone())
    );
    let ctx = store
        .session_by_secret(&secret.hash())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(ctx.session, active);
}

pub async fn redeeming_revokes_the_replaced_session(store: &dyn Store) {
    let f = Fixture::new(store);
    let account = f.account("Account").await;
    let client = f.client(&account, "Acme").await;
    let contact = f.contact(&client, "ap@acme.example").await;
    let (old_link, _) = f.link(&contact, None, f.now + Duration::days(1));
    let (new_link, _) = f.link(&contact, None, f.now + Duration::days(1));
    store.insert_link(&old_link, None).await.unwrap();
    store.insert_link(&new_link, None).await.unwrap();
    let old = f.session_for(&old_link, f.now);
    let audit = f.event(&contact, AuditAction::SessionStarted, f.now);
    let (r, _) = redemption(&f, &old, &audit);
    assert!(store.redeem_link(r).await.unwrap());

    let later = f.now + Duration::minutes(5);
    let new = f.session_for(&new_link, later);
    let audit = f.event(&contact, AuditAction::SessionStarted, later);
    let (mut r, _) = redemption(&f, &new, &audit);
    r.replaces = Some(old.id);
    assert!(store.redeem_link(r).await.unwrap());
    let old = store.session(account.id, old.id).await.unwrap().unwrap();
    assert_eq!(old.revoked_at, Some(later));
    assert_eq!(old.revoke_reason, Some(RevokeReason::Replaced));
    assert_eq!(
        store
            .session(account.id, new.id)
            .await
            .unwrap()
            .unwrap()
            .revoked_at,
        None
    );
}

pub async fn sessions_resolve_by_secret_with_their_context(store: &dyn Store) {
    let f = Fixture::new(store);
    let account = f.account("Account").await;
    let client = f.client(&account, "Acme").await;
    let contact = f.contact(&client, "ap@acme.example").await;
    let (link, _) = f.link(&contact, None, f.now + Duration::days(1));
    store.insert_link(&link, None).await.unwrap();
    let session = f.session_for(&link, f.now);
    let audit = f.event(&contact, AuditAction::SessionStarted, f.now);
    let (r, secret) = redemption(&f, &session, &audit);
    assert!(store.redeem_link(r).await.unwrap());
    let ctx = store.session_by_secret(&secret.hash()).await.unwrap();
    assert_eq!(
        ctx,
        Some(SessionContext {
            session,
            contact,
            client,
            account
        })
    );
    assert_eq!(
        store.session_by_secret(&f.token().hash()).await.unwrap(),
        None
    );
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
    for (i, contact) in [&ap, &cfo, &g, &ap].into_iter().enumerate() {
        let at = f.now + Duration::minutes(i as i64);
        let (link, _) = f.link(contact, None, at + Duration::days(1));
        store.insert_link(&link, None).await.unwrap();
        let session = f.session_for(&link, at);
        let audit = f.event(contact, AuditAction::SessionStarted, at);
        let (r, _) = redemption(&f, &session, &audit);
        assert!(store.redeem_link(r).await.unwrap());
        expected.push(session);
    }
    expected.reverse();
    let all = SessionFilter {
        client: None,
        contact: None,
        limit: 50,
    };
    assert_eq!(store.sessions(account.id, all).await.unwrap(), expected);
    let ids = |v: Vec<PortalSession>| v.into_iter().map(|s| s.id).collect::<Vec<_>>();
    let of_ap = SessionFilter {
        contact: Some(ap.id),
        ..all
    };
    assert_eq!(
        ids(store.sessions(account.id, of_ap).await.unwrap()),
        vec![expected[0].id, expected[3].id]
    );
    let of_acme = SessionFilter {
        client: Some(acme.id),
        limit: 2,
        ..all
    };
    assert_eq!(
        ids(store.sessions(account.id, of_acme).await.unwrap()),
        vec![expected[0].id, expected[2].id]
    );
    let other = f.account("Other").await;
    assert!(store.sessions(other.id, all).await.unwrap().is_empty());
    assert_eq!(store.session(other.id, expected[0].id).await.unwrap(), None);
}

pub async fn sessions_are_touched_and_revoked_once(store: &dyn Store) {
    let f = Fixture::new(store);
    let account = f.account("Account").await;
    let client = f.client(&account, "Acme").await;
    let contact = f.contact(&client, "ap@acme.example").await;
    let (link, _) = f.link(&contact, None, f.now + Duration::days(1));
    store.insert_link(&link, None).await.unwrap();
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
    let event = crate::model::AuditEvent {
        session_id: Some(session.id),
        ..f.event(&contact, AuditAction::SignedOut, out)
    };
    assert!(
        store
            .revoke_session(session.id, revocation, &event)
            .await
            .unwrap()
    );
    let again = crate::model::AuditEvent {
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
        let event = crate::model::AuditEvent {
            session_id: Some(session),
            ..f.event(&ap, action, f.now + Duration::seconds(i as i64))
        };
        store.record(&event).await.unwrap();
        acme_events.push(event);
    }
    // Same instant as the last one: recording order breaks the tie.
    let same_time = crate::model::AuditEvent {
        session_id: Some(session),
        ..f.event(&ap, AuditAction::SignedOut, f.now + Duration::seconds(2))
    };
    store.record(&same_time).await.unwrap();
    acme_events.push(same_time);
    store
        .record(&f.event(&g, AuditAction::PortalViewed, f.now))
        .await
        .unwrap();

    assert_eq!(
        store.session_events(account.id, session).await.unwrap(),
        acme_events
    );
    let mut newest_first = acme_events.clone();
    newest_first.reverse();
    assert_eq!(
        store.client_events(account.id, acme.id, 50).await.unwrap(),
        newest_first
    );
    assert_eq!(
        store.client_events(account.id, acme.id, 2).await.unwrap(),
        newest_first[..2].to_vec()
    );
    let other = f.account("Other").await;
    assert!(
        store
            .client_events(other.id, acme.id, 50)
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
        store.record_link_request(&r, since, forget).await.unwrap()
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

pub async fn revoking_a_pending_session_revokes_its_link(store: &dyn Store) {
    let f = Fixture::new(store);
    let account = f.account("Account").await;
    let client = f.client(&account, "Acme").await;
    let contact = f.contact(&client, "ap@acme.example").await;
    let (mut link, token) = f.link(&contact, None, f.now + Duration::days(1));
    link.purpose = LinkPurpose::ApiSession;
    let pending = PortalSession {
        activated_at: None,
        last_seen_at: None,
        expires_at: link.expires_at,
        ..f.session_for(&link, f.now)
    };
    link.session_id = Some(pending.id);
    store.insert_link(&link, Some(&pending)).await.unwrap();
    let at = f.now + Duration::minutes(3);
    let event = crate::model::AuditEvent {
        session_id: Some(pending.id),
        ..f.event(&contact, AuditAction::SessionRevoked, at)
    };
    let revocation = Revocation {
        at,
        reason: RevokeReason::Operator,
    };
    assert!(
        store
            .revoke_session(pending.id, revocation, &event)
            .await
            .unwrap()
    );
    let stored = store.link_by_token(&token.hash()).await.unwrap().unwrap();
    assert_eq!(stored.revoked_at, Some(at));
}
