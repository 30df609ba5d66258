//! Contract checks for magic links and their redemption.

use chrono::Duration;

use chrono::{DateTime, Utc};

use crate::model::{
    AuditAction, ClaimToken, Client, Delivery, LinkPurpose, PageRequest, PortalSession,
    RevokeReason,
};
use crate::ports::{Redemption, Revocation, SessionFilter, Store};

use super::Fixture;

/// Revokes every unused link of `client` at `at`, leaving its portal open.
async fn revoke_unused_links(store: &dyn Store, client: &Client, at: DateTime<Utc>) {
    let revocation = Revocation {
        at,
        reason: RevokeReason::Operator,
    };
    let ended = store
        .update_client(client, client, Some(revocation))
        .await
        .unwrap();
    assert!(ended.is_some());
}

/// A redemption of `session`'s link at its activation time.
pub(crate) fn redemption<'a>(
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
    let (mut link, token) = f.link(&contact, Some(document.id()), f.now + Duration::days(14));
    link.purpose = LinkPurpose::Operator;
    assert!(f.insert_link(&link, None).await.unwrap());
    assert_eq!(
        store.link_by_token(&token.hash()).await.unwrap(),
        Some(link.clone())
    );
    assert_eq!(store.link_by_token(&f.token().hash()).await.unwrap(), None);

    // The email carrying it is given up on: the link goes with it.
    let message = f.message(&account, "ap@acme.example", Some(link.id), f.now);
    f.enqueue(&message).await;
    let claim = ClaimToken(f.uuid());
    let claimed = store
        .claim_outbox(claim, f.now, f.now + Duration::minutes(2), 10)
        .await
        .unwrap();
    assert_eq!(claimed.len(), 1);
    let dead = Delivery::Dead {
        at: f.now + Duration::minutes(1),
        error: "550 mailbox unavailable".into(),
        revoke_link: Some(link.id),
    };
    assert!(store.settle_outbox(message.id, claim, &dead).await.unwrap());
    let revoked = store.link_by_token(&token.hash()).await.unwrap().unwrap();
    assert_eq!(revoked.revoked_at, Some(f.now + Duration::minutes(1)));
    // Revoking again keeps the first time.
    revoke_unused_links(store, &client, f.now + Duration::minutes(2)).await;
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
    assert!(f.insert_link(&link, None).await.unwrap());

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
        .client_events(account.id, client.id, &PageRequest::first(10))
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
    assert!(f.insert_link(&expiring, None).await.unwrap());
    let session = f.session_for(&expiring, f.now);
    let audit = f.event(&contact, AuditAction::SessionStarted, f.now);
    let (r, _) = redemption(&f, &session, &audit);
    assert!(
        !store.redeem_link(r).await.unwrap(),
        "a link is dead at its expiry instant"
    );

    let (revoked, _) = f.link(&contact, None, f.now + Duration::days(1));
    assert!(f.insert_link(&revoked, None).await.unwrap());
    revoke_unused_links(store, &client, f.now - Duration::seconds(1)).await;
    let session = f.session_for(&revoked, f.now);
    let (r, _) = redemption(&f, &session, &audit);
    assert!(!store.redeem_link(r).await.unwrap());
    assert!(
        store
            .sessions(
                account.id,
                SessionFilter::default(),
                &PageRequest::first(10)
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
    let (_, _, pending) = f.pending_link(&contact).await;
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
    assert!(f.insert_link(&old_link, None).await.unwrap());
    assert!(f.insert_link(&new_link, None).await.unwrap());
    let old = f.session_for(&old_link, f.now);
    let audit = f.event(&contact, AuditAction::SessionStarted, f.now);
    let (r, old_secret) = redemption(&f, &old, &audit);
    assert!(store.redeem_link(r).await.unwrap());

    let later = f.now + Duration::minutes(5);
    let new = f.session_for(&new_link, later);
    let audit = f.event(&contact, AuditAction::SessionStarted, later);
    let (mut r, _) = redemption(&f, &new, &audit);
    r.replaces = Some(old_secret.hash());
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
    assert!(f.insert_link(&link, Some(&pending)).await.unwrap());
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
