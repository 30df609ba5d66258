//! Contract checks for what a redemption reads (the link with everything
//! it resolves to, at once) and what it writes or refuses to write: the
//! browser's old session ended by its cookie only when it is another live
//! one, and nothing at all when the portal is closed, the contact
//! inactive, the link used, or a step of the write does not apply.

use chrono::{DateTime, Duration, Utc};

use crate::model::{
    Account, AuditAction, AuditEvent, Client, Contact, MagicLink, PageRequest, PortalSession,
    RevokeReason, Token, TokenHash,
};
use crate::ports::{LinkContext, Redemption, Revocation, SessionFilter, Store};

use super::Fixture;

/// An account, one of its clients and a contact of that client.
async fn contact_of_a_client(f: &Fixture<'_>, name: &str) -> (Account, Client, Contact) {
    let account = f.account("Account").await;
    let client = f.client(&account, name).await;
    let contact = f.contact(&client, "ap@acme.example").await;
    (account, client, contact)
}

/// Redeems `link` at `at` into a new session, ending the session whose
/// cookie secret hashes to `replaces`; whether it won, the session and its
/// cookie secret.
async fn redeem(
    f: &Fixture<'_>,
    contact: &Contact,
    link: &MagicLink,
    at: DateTime<Utc>,
    replaces: Option<TokenHash>,
) -> (bool, PortalSession, Token) {
    let session = f.session_for(link, at);
    let audit = AuditEvent {
        session_id: Some(session.id),
        ..f.event(contact, AuditAction::SessionStarted, at)
    };
    let secret = f.token();
    let won = f
        .store
        .redeem_link(Redemption {
            link_id: link.id,
            at,
            session: &session,
            activates_pending: false,
            secret_hash: secret.hash(),
            replaces,
            audit: &audit,
        })
        .await
        .unwrap();
    (won, session, secret)
}

/// Stores a new link of `contact` and redeems it at `at`.
async fn redeem_new(
    f: &Fixture<'_>,
    contact: &Contact,
    at: DateTime<Utc>,
    replaces: Option<TokenHash>,
) -> (bool, PortalSession, Token) {
    let (link, _) = f.stored_link(contact).await;
    redeem(f, contact, &link, at, replaces).await
}

/// The stored session `session` is now.
async fn stored(store: &dyn Store, session: &PortalSession) -> PortalSession {
    store
        .session(session.account_id, session.id)
        .await
        .unwrap()
        .expect("the session is stored")
}

/// How many audit events `client` has.
async fn events(store: &dyn Store, client: &Client) -> usize {
    store
        .client_events(client.account_id, client.id, &PageRequest::first(100))
        .await
        .unwrap()
        .len()
}

/// How many sessions `client` has.
async fn sessions(store: &dyn Store, client: &Client) -> usize {
    let filter = SessionFilter {
        client: Some(client.id),
        contact: None,
    };
    store
        .sessions(client.account_id, filter, &PageRequest::first(100))
        .await
        .unwrap()
        .len()
}

pub async fn a_link_context_is_the_link_with_everything_it_resolves_to(store: &dyn Store) {
    let f = Fixture::new(store);
    let (account, client, contact) = contact_of_a_client(&f, "Acme").await;
    assert_eq!(store.link_context(&f.token().hash()).await.unwrap(), None);

    let (link, token) = f.stored_link(&contact).await;
    assert_eq!(
        store.link_context(&token.hash()).await.unwrap(),
        Some(LinkContext {
            link: link.clone(),
            client: client.clone(),
            contact: contact.clone(),
            account: account.clone(),
            pending: None,
        })
    );

    let (api_link, api_token, pending) = f.pending_link(&contact).await;
    let context = store.link_context(&api_token.hash()).await.unwrap();
    assert_eq!(
        context.map(|c| (c.link, c.pending)),
        Some((api_link, Some(pending)))
    );

    // It answers whatever state each part is in: the caller decides.
    let at = f.now + Duration::minutes(1);
    let closed = Client {
        portal_enabled: false,
        updated_at: at,
        ..client.clone()
    };
    let revocation = Revocation {
        at,
        reason: RevokeReason::PortalDisabled,
    };
    assert!(
        store
            .update_client(&client, &closed, Some(revocation))
            .await
            .unwrap()
            .is_some()
    );
    let context = store.link_context(&token.hash()).await.unwrap().unwrap();
    assert_eq!(context.client, closed);
    assert_eq!(context.link.revoked_at, Some(at));
    assert_eq!(context.pending, None);
    let context = store
        .link_context(&api_token.hash())
        .await
        .unwrap()
        .unwrap();
    let pending = context.pending.expect("the revoked pending session");
    assert_eq!(pending.revoked_at, Some(at));
    assert_eq!(pending.revoke_reason, Some(RevokeReason::PortalDisabled));
}

pub async fn a_redemption_ends_the_old_session_only_when_another_live_one(store: &dyn Store) {
    let f = Fixture::new(store);
    let (_, client, contact) = contact_of_a_client(&f, "Acme").await;
    let minute = |n: i64| f.now + Duration::minutes(n);

    // A cookie nobody holds ends nothing and refuses nothing.
    let (won, first, first_secret) =
        redeem_new(&f, &contact, minute(1), Some(f.token().hash())).await;
    assert!(won);
    assert_eq!(stored(store, &first).await.revoked_at, None);

    // The new session's own secret is never its own replacement.
    let (own_link, _) = f.stored_link(&contact).await;
    let session = f.session_for(&own_link, minute(2));
    let audit = f.event(&contact, AuditAction::SessionStarted, minute(2));
    let secret = f.token();
    assert!(
        store
            .redeem_link(Redemption {
                link_id: own_link.id,
                at: minute(2),
                session: &session,
                activates_pending: false,
                secret_hash: secret.hash(),
                replaces: Some(secret.hash()),
                audit: &audit,
            })
            .await
            .unwrap()
    );
    let own = stored(store, &session).await;
    assert_eq!((own.revoked_at, own.revoke_reason), (None, None));

    // Another live session of the browser ends as replaced.
    let (won, second, second_secret) =
        redeem_new(&f, &contact, minute(3), Some(first_secret.hash())).await;
    assert!(won);
    let first = stored(store, &first).await;
    assert_eq!(first.revoked_at, Some(minute(3)));
    assert_eq!(first.revoke_reason, Some(RevokeReason::Replaced));
    assert_eq!(stored(store, &second).await.revoked_at, None);

    // An ended one stays as it ended.
    let signed_out = Revocation {
        at: minute(4),
        reason: RevokeReason::SignedOut,
    };
    let event = f.event(&contact, AuditAction::SessionRevoked, minute(4));
    assert!(
        store
            .revoke_session(second.id, signed_out, &event)
            .await
            .unwrap()
    );
    let (won, third, third_secret) =
        redeem_new(&f, &contact, minute(5), Some(second_secret.hash())).await;
    assert!(won);
    let second = stored(store, &second).await;
    assert_eq!(second.revoked_at, Some(minute(4)));
    assert_eq!(second.revoke_reason, Some(RevokeReason::SignedOut));

    // Activating an API-created session ends the old one too.
    let (api_link, _, pending) = f.pending_link(&contact).await;
    let active = PortalSession {
        activated_at: Some(minute(6)),
        expires_at: minute(6) + Duration::days(7),
        last_seen_at: Some(minute(6)),
        ip: "198.51.100.7".parse().ok(),
        user_agent: Some("Firefox".into()),
        ..pending
    };
    let audit = f.event(&contact, AuditAction::SessionStarted, minute(6));
    assert!(
        store
            .redeem_link(Redemption {
                link_id: api_link.id,
                at: minute(6),
                session: &active,
                activates_pending: true,
                secret_hash: f.token().hash(),
                replaces: Some(third_secret.hash()),
                audit: &audit,
            })
            .await
            .unwrap()
    );
    assert_eq!(stored(store, &active).await, active);
    let third = stored(store, &third).await;
    assert_eq!(third.revoked_at, Some(minute(6)));
    assert_eq!(third.revoke_reason, Some(RevokeReason::Replaced));
    assert_eq!(events(store, &client).await, 6);
}

/// Checks that redeeming `link` (into a new session, ending `old`'s) is
/// refused and writes nothing: the link stays as it was, no session
/// starts, no event is recorded and `old` stays live.
async fn refused(
    f: &Fixture<'_>,
    client: &Client,
    contact: &Contact,
    link: &MagicLink,
    token: &Token,
    old: (&PortalSession, &Token),
    why: &str,
) {
    let store = f.store;
    let before = store.link_context(&token.hash()).await.unwrap().unwrap();
    let (sessions_before, events_before) =
        (sessions(store, client).await, events(store, client).await);
    let at = f.now + Duration::hours(1);
    let (won, _, _) = redeem(f, contact, link, at, Some(old.1.hash())).await;
    assert!(!won, "{why}: refused");
    let after = store.link_context(&token.hash()).await.unwrap().unwrap();
    assert_eq!(after.link, before.link, "{why}: the link is unchanged");
    assert_eq!(sessions(store, client).await, sessions_before, "{why}");
    assert_eq!(events(store, client).await, events_before, "{why}");
    assert_eq!(
        stored(store, old.0).await.revoked_at,
        None,
        "{why}: the old session is still live"
    );
}

pub async fn refused_redemptions_write_nothing(store: &dyn Store) {
    let f = Fixture::new(store);
    let (account, client, contact) = contact_of_a_client(&f, "Acme").await;

    // A used link.
    let (_, old, old_secret) = redeem_new(&f, &contact, f.now, None).await;
    let (used, used_token) = f.stored_link(&contact).await;
    let (won, _, _) = redeem(&f, &contact, &used, f.now, None).await;
    assert!(won);
    refused(
        &f,
        &client,
        &contact,
        &used,
        &used_token,
        (&old, &old_secret),
        "a used link",
    )
    .await;

    // An inactive contact, its links left unrevoked.
    let (link, token) = f.stored_link(&contact).await;
    let inactive = Contact {
        active: false,
        updated_at: f.now,
        ..contact.clone()
    };
    assert!(
        store
            .update_contact(&contact, &inactive, None)
            .await
            .unwrap()
            .is_some()
    );
    refused(
        &f,
        &client,
        &contact,
        &link,
        &token,
        (&old, &old_secret),
        "an inactive contact",
    )
    .await;
    assert!(
        store
            .update_contact(&inactive, &contact, None)
            .await
            .unwrap()
            .is_some()
    );

    // A portal switched off, and an inactive client, its links and
    // sessions left as they were.
    for (n, (enabled, active)) in [(false, true), (true, false)].into_iter().enumerate() {
        let (link, token) = f.stored_link(&contact).await;
        let closed = Client {
            portal_enabled: enabled,
            active,
            updated_at: f.now,
            ..client.clone()
        };
        assert!(
            store
                .update_client(&client, &closed, None)
                .await
                .unwrap()
                .is_some()
        );
        let why = ["a portal switched off", "an inactive client"][n];
        refused(
            &f,
            &client,
            &contact,
            &link,
            &token,
            (&old, &old_secret),
            why,
        )
        .await;
        assert!(
            store
                .update_client(&closed, &client, None)
                .await
                .unwrap()
                .is_some()
        );
    }

    // Open again, the last link still works.
    let (won, _, _) = redeem_new(&f, &contact, f.now, Some(old_secret.hash())).await;
    assert!(won);
    let old = stored(store, &old).await;
    assert_eq!(old.revoke_reason, Some(RevokeReason::Replaced));
    assert_eq!(old.account_id, account.id);
}

pub async fn an_activation_that_finds_no_pending_session_writes_nothing(store: &dyn Store) {
    let f = Fixture::new(store);
    let (_, client, contact) = contact_of_a_client(&f, "Acme").await;
    let (_, old, old_secret) = redeem_new(&f, &contact, f.now, None).await;

    // The link is usable, but the session it would activate is not there:
    // using the link up alone must not stick.
    let (link, token) = f.stored_link(&contact).await;
    let at = f.now + Duration::minutes(1);
    let session = f.session_for(&link, at);
    let audit = f.event(&contact, AuditAction::SessionStarted, at);
    assert!(
        !store
            .redeem_link(Redemption {
                link_id: link.id,
                at,
                session: &session,
                activates_pending: true,
                secret_hash: f.token().hash(),
                replaces: Some(old_secret.hash()),
                audit: &audit,
            })
            .await
            .unwrap()
    );
    let context = store.link_context(&token.hash()).await.unwrap().unwrap();
    assert_eq!(context.link.used_at, None);
    assert_eq!(
        store.session(link.account_id, session.id).await.unwrap(),
        None
    );
    assert_eq!(stored(store, &old).await.revoked_at, None);
    assert_eq!(events(store, &client).await, 1);

    // The link still opens a session the ordinary way.
    let (won, _, _) = redeem(&f, &contact, &link, at, None).await;
    assert!(won);
    assert_eq!(events(store, &client).await, 2);
}
