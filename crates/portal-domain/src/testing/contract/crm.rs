//! Contract checks for client companies.

use chrono::Duration;

use crate::model::{AuditAction, Client, Cursor, MagicLink, Name, PageRequest, RevokeReason};
use crate::ports::{Conflict, Redemption, Revocation, SessionFilter, Store, StoreError};

use super::{Fixture, read_pages};

/// Redeems `link` into a live session started at `at`; returns the session.
pub(crate) async fn live_session(
    f: &Fixture<'_>,
    link: &MagicLink,
    at: chrono::DateTime<chrono::Utc>,
) -> crate::model::PortalSession {
    let session = f.session_for(link, at);
    let contact = f
        .store
        .contact(link.account_id, link.contact_id)
        .await
        .unwrap()
        .expect("the link's contact");
    let audit = f.event(&contact, AuditAction::SessionStarted, at);
    let redemption = Redemption {
        link_id: link.id,
        at,
        session: &session,
        activates_pending: false,
        secret_hash: f.token().hash(),
        replaces: None,
        audit: &audit,
    };
    assert!(f.store.redeem_link(redemption).await.unwrap());
    session
}

pub async fn clients_are_scoped_to_their_account(store: &dyn Store) {
    let f = Fixture::new(store);
    let mine = f.account("Mine").await;
    let theirs = f.account("Theirs").await;
    let acme = f.client(&mine, "Acme <Corp>").await;
    let globex = f.client(&mine, "Globex").await;
    let other = f.client(&theirs, "Initech").await;

    assert_eq!(
        store.client(mine.id, acme.id).await.unwrap(),
        Some(acme.clone())
    );
    assert_eq!(store.client(theirs.id, acme.id).await.unwrap(), None);
    let page = PageRequest::first(50);
    let listed = store.clients(mine.id, &page).await.unwrap();
    let mut expected = vec![acme, globex];
    expected.sort_by_key(|c| (c.created_at, c.id));
    assert_eq!(listed, expected);
    assert_eq!(store.clients(theirs.id, &page).await.unwrap(), vec![other]);
}

pub async fn clients_are_paged_without_gaps_or_duplicates(store: &dyn Store) {
    let f = Fixture::new(store);
    let account = f.account("Account").await;
    let other = f.account("Other").await;
    let mut expected = Vec::new();
    for (i, seconds) in [5, 0, 0, 3, 0, 5, 1].into_iter().enumerate() {
        let client = Client {
            created_at: f.now + Duration::seconds(seconds),
            ..f.client_record(&account, &format!("Client {i}"))
        };
        store.insert_client(&client).await.unwrap();
        expected.push(client);
    }
    f.client(&other, "Not mine").await;
    expected.sort_by_key(|c| (c.created_at, c.id));
    for limit in [1, 2, 3, 7, 100] {
        let listed = read_pages(
            limit,
            |c: &Client| Cursor::new(c.created_at, c.id.as_uuid()),
            |page| async move { store.clients(account.id, &page).await.unwrap() },
        )
        .await;
        assert_eq!(listed, expected, "limit {limit}");
    }
    // A page after the last item is empty.
    let last = expected.last().unwrap();
    let after = PageRequest::new(
        Some(Cursor::new(last.created_at, last.id.as_uuid())),
        Some(5),
    )
    .unwrap();
    assert!(store.clients(account.id, &after).await.unwrap().is_empty());
}

pub async fn client_updates_are_written(store: &dyn Store) {
    let f = Fixture::new(store);
    let account = f.account("Account").await;
    let client = f.client(&account, "Acme").await;
    let changed = Client {
        name: Name::parse("name", "Acme Holdings").unwrap(),
        active: false,
        updated_at: f.now + Duration::minutes(1),
        ..client.clone()
    };
    assert_eq!(
        store.update_client(&client, &changed, None).await.unwrap(),
        Some(0)
    );
    // A writer that read the client before that change loses, and its
    // write does not undo the first one.
    let stale = Client {
        portal_enabled: false,
        ..client.clone()
    };
    assert_eq!(
        store.update_client(&client, &stale, None).await.unwrap(),
        None
    );
    assert_eq!(
        store.client(account.id, client.id).await.unwrap(),
        Some(changed)
    );
}

pub async fn closing_a_portal_revokes_live_sessions_and_unused_links(store: &dyn Store) {
    let f = Fixture::new(store);
    let account = f.account("Account").await;
    let acme = f.client(&account, "Acme").await;
    let globex = f.client(&account, "Globex").await;
    let ap = f.contact(&acme, "ap@acme.example").await;
    let cfo = f.contact(&acme, "cfo@acme.example").await;
    let outsider = f.contact(&globex, "ap@globex.example").await;

    let mut live = Vec::new();
    for contact in [&ap, &cfo, &outsider] {
        let (link, _) = f.stored_link(contact).await;
        let (used_link, _) = f.stored_link(contact).await;
        live_session(&f, &used_link, f.now).await;
        live.push((link, contact.client_id));
    }
    // An already expired session of Acme is not counted as revoked now.
    let (old_link, _) = f.stored_link(&ap).await;
    let old = crate::model::PortalSession {
        expires_at: f.now - Duration::seconds(1),
        ..f.session_for(&old_link, f.now - Duration::days(8))
    };
    let audit = f.event(&ap, AuditAction::SessionStarted, f.now);
    let old_redemption = Redemption {
        link_id: old_link.id,
        at: f.now - Duration::days(8),
        session: &old,
        activates_pending: false,
        secret_hash: f.token().hash(),
        replaces: None,
        audit: &audit,
    };
    assert!(store.redeem_link(old_redemption).await.unwrap());

    let closed = Client {
        portal_enabled: false,
        updated_at: f.now,
        ..acme.clone()
    };
    let revocation = Revocation {
        at: f.now,
        reason: RevokeReason::PortalDisabled,
    };
    assert_eq!(
        store
            .update_client(&acme, &closed, Some(revocation))
            .await
            .unwrap(),
        Some(2)
    );

    let page = PageRequest::first(50);
    let of = |client| SessionFilter {
        client: Some(client),
        contact: None,
    };
    let acme_sessions = store
        .sessions(account.id, of(acme.id), &page)
        .await
        .unwrap();
    assert_eq!(acme_sessions.len(), 3);
    for session in acme_sessions {
        if session.id == old.id {
            assert_eq!(session.revoked_at, None);
        } else {
            assert_eq!(session.revoked_at, Some(f.now));
            assert_eq!(session.revoke_reason, Some(RevokeReason::PortalDisabled));
        }
    }
    for session in store
        .sessions(account.id, of(globex.id), &page)
        .await
        .unwrap()
    {
        assert_eq!(session.revoked_at, None);
    }
    for (link, client) in live {
        let stored = store
            .link_by_token(&link.token_hash)
            .await
            .unwrap()
            .unwrap();
        if client == acme.id {
            assert_eq!(stored.revoked_at, Some(f.now));
        } else {
            assert_eq!(stored.revoked_at, None);
        }
    }
}

pub async fn a_closed_portal_takes_no_new_links_or_sessions(store: &dyn Store) {
    let f = Fixture::new(store);
    let account = f.account("Account").await;
    let client = f.client(&account, "Acme").await;
    let contact = f.contact(&client, "ap@acme.example").await;
    let (link, token) = f.stored_link(&contact).await;
    // Closed without revoking anything: the store itself must refuse.
    let closed = Client {
        active: false,
        ..client.clone()
    };
    assert_eq!(
        store.update_client(&client, &closed, None).await.unwrap(),
        Some(0)
    );

    takes_no_new_links_or_sessions(&f, &contact, &link, &token).await;
}

/// Checks that the store refuses a new link for `contact` and the
/// redemption of its stored `link`, writing nothing of either.
pub(crate) async fn takes_no_new_links_or_sessions(
    f: &Fixture<'_>,
    contact: &crate::model::Contact,
    link: &crate::model::MagicLink,
    token: &crate::model::Token,
) {
    let store = f.store;
    let (late, _) = f.link(contact, None, f.now + Duration::days(1));
    match f.insert_link(&late, None).await {
        Err(StoreError::Conflict(Conflict::PortalClosed)) => {}
        other => panic!("expected a closed-portal conflict, got {other:?}"),
    }
    assert_eq!(store.link_by_token(&late.token_hash).await.unwrap(), None);

    let session = f.session_for(link, f.now);
    let audit = f.event(contact, AuditAction::SessionStarted, f.now);
    let redemption = Redemption {
        link_id: link.id,
        at: f.now,
        session: &session,
        activates_pending: false,
        secret_hash: f.token().hash(),
        replaces: None,
        audit: &audit,
    };
    assert!(!store.redeem_link(redemption).await.unwrap());
    let stored = store.link_by_token(&token.hash()).await.unwrap().unwrap();
    assert_eq!(stored.used_at, None, "a refused redemption writes nothing");
    assert_eq!(
        store.session(contact.account_id, session.id).await.unwrap(),
        None
    );
}
