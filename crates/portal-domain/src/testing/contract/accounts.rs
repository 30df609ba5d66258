//! Contract checks for accounts, API keys, clients and contacts.

use chrono::Duration;

use crate::model::{ApiKey, PublicUrl, RevokeReason, SettingsPatch};
use crate::ports::{Conflict, Revocation, Store, StoreError};

use super::Fixture;

pub async fn accounts_round_trip(store: &dyn Store) {
    let f = Fixture::new(store);
    assert_eq!(store.account_count().await.unwrap(), 0);
    let account = f.account("Northwind Studio").await;
    assert_eq!(
        store.account(account.id).await.unwrap(),
        Some(account.clone())
    );
    assert_eq!(store.account_count().await.unwrap(), 1);

    let settings = account
        .settings
        .apply(SettingsPatch {
            session_lifetime: Some(Duration::days(30)),
            idle_timeout: Some(Duration::minutes(90)),
            link_lifetime: Some(Duration::hours(3)),
            public_url: Some(Some(
                PublicUrl::parse("u", "https://billing.example.com").unwrap(),
            )),
        })
        .unwrap();
    let renamed = crate::model::Account {
        name: crate::model::Name::parse("name", "Northwind & Co").unwrap(),
        settings,
        updated_at: f.now + Duration::seconds(5),
        ..account.clone()
    };
    assert!(store.update_account(&account, &renamed).await.unwrap());
    assert_eq!(
        store.account(account.id).await.unwrap(),
        Some(renamed.clone())
    );

    // A writer that read the account before that change loses.
    let stale = crate::model::Account {
        name: crate::model::Name::parse("name", "Stale").unwrap(),
        ..account.clone()
    };
    assert!(!store.update_account(&account, &stale).await.unwrap());
    assert_eq!(store.account(account.id).await.unwrap(), Some(renamed));
}

pub async fn the_sole_account_is_known_only_when_alone(store: &dyn Store) {
    let f = Fixture::new(store);
    assert_eq!(store.sole_account().await.unwrap(), None);
    let first = f.account("First").await;
    assert_eq!(store.sole_account().await.unwrap(), Some(first.id));
    f.account("Second").await;
    assert_eq!(store.sole_account().await.unwrap(), None);
}

pub async fn api_keys_find_their_account_only(store: &dyn Store) {
    let f = Fixture::new(store);
    let (first, first_key, first_record) = f.account_record("First");
    let (second, second_key, second_record) = f.account_record("Second");
    store.insert_account(&first, &first_record).await.unwrap();
    store.insert_account(&second, &second_record).await.unwrap();
    assert_eq!(
        store.account_by_api_key(&first_key.hash()).await.unwrap(),
        Some(first)
    );
    assert_eq!(
        store.account_by_api_key(&second_key.hash()).await.unwrap(),
        Some(second)
    );
    let stranger = ApiKey::generate(f.random());
    assert_eq!(
        store.account_by_api_key(&stranger.hash()).await.unwrap(),
        None
    );
}

pub async fn demo_account_is_the_oldest_demo(store: &dyn Store) {
    let f = Fixture::new(store);
    assert_eq!(store.demo_account().await.unwrap(), None);
    f.account("Real business").await;
    assert_eq!(store.demo_account().await.unwrap(), None);
    let (mut demo, _, key) = f.account_record("Demo");
    demo.demo = true;
    store.insert_account(&demo, &key).await.unwrap();
    let (mut later, _, later_key) = f.account_record("Later demo");
    later.demo = true;
    later.created_at = f.now + Duration::hours(1);
    store.insert_account(&later, &later_key).await.unwrap();
    assert_eq!(store.demo_account().await.unwrap(), Some(demo));
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
    let listed = store.clients(mine.id).await.unwrap();
    let mut expected = vec![acme, globex];
    expected.sort_by_key(|c| (c.created_at, c.id));
    assert_eq!(listed, expected);
    assert_eq!(store.clients(theirs.id).await.unwrap(), vec![other]);
}

pub async fn client_updates_are_written(store: &dyn Store) {
    let f = Fixture::new(store);
    let account = f.account("Account").await;
    let client = f.client(&account, "Acme").await;
    let changed = crate::model::Client {
        name: crate::model::Name::parse("name", "Acme Holdings").unwrap(),
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
    let stale = crate::model::Client {
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
    let later = f.now + Duration::days(1);

    let mut live = Vec::new();
    for contact in [&ap, &cfo, &outsider] {
        let (link, _) = f.link(contact, None, later);
        store.insert_link(&link, None).await.unwrap();
        let session = f.session_for(&link, f.now);
        let (used_link, _) = f.link(contact, None, later);
        store.insert_link(&used_link, None).await.unwrap();
        let audit = f.event(contact, crate::model::AuditAction::SessionStarted, f.now);
        let redemption = crate::ports::Redemption {
            link_id: used_link.id,
            at: f.now,
            session: &crate::model::PortalSession {
                link_id: used_link.id,
                ..session
            },
            activates_pending: false,
            secret_hash: f.token().hash(),
            replaces: None,
            audit: &audit,
        };
        assert!(store.redeem_link(redemption).await.unwrap());
        live.push((link, contact.client_id));
    }
    // An already expired session of Acme is not counted as revoked now.
    let (old_link, _) = f.link(&ap, None, later);
    store.insert_link(&old_link, None).await.unwrap();
    let old = crate::model::PortalSession {
        expires_at: f.now - Duration::seconds(1),
        ..f.session_for(&old_link, f.now - Duration::days(8))
    };
    let audit = f.event(&ap, crate::model::AuditAction::SessionStarted, f.now);
    let old_redemption = crate::ports::Redemption {
        link_id: old_link.id,
        at: f.now - Duration::days(8),
        session: &old,
        activates_pending: false,
        secret_hash: f.token().hash(),
        replaces: None,
        audit: &audit,
    };
    assert!(store.redeem_link(old_redemption).await.unwrap());

    let closed = crate::model::Client {
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

    for session in store
        .sessions(
            account.id,
            crate::ports::SessionFilter {
                client: Some(acme.id),
                contact: None,
                limit: 50,
            },
        )
        .await
        .unwrap()
    {
        if session.id == old.id {
            assert_eq!(session.revoked_at, None);
        } else {
            assert_eq!(session.revoked_at, Some(f.now));
            assert_eq!(session.revoke_reason, Some(RevokeReason::PortalDisabled));
        }
    }
    for session in store
        .sessions(
            account.id,
            crate::ports::SessionFilter {
                client: Some(globex.id),
                contact: None,
                limit: 50,
            },
        )
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

pub async fn contact_emails_are_unique_per_client(store: &dyn Store) {
    let f = Fixture::new(store);
    let account = f.account("Account").await;
    let acme = f.client(&account, "Acme").await;
    let globex = f.client(&account, "Globex").await;
    let first = f.contact(&acme, "ap@example.com").await;
    let duplicate = f.contact_record(&acme, "AP@example.com");
    match store.insert_contact(&duplicate).await {
        Err(StoreError::Conflict(Conflict::ContactEmail)) => {}
        other => panic!("expected a contact email conflict, got {other:?}"),
    }
    let elsewhere = f.contact(&globex, "ap@example.com").await;
    assert_eq!(
        store.contact(account.id, first.id).await.unwrap(),
        Some(first.clone())
    );
    assert_eq!(store.contact(account.id, duplicate.id).await.unwrap(), None);
    assert_eq!(
        store.contacts(account.id, acme.id).await.unwrap(),
        vec![first]
    );
    assert_eq!(
        store.contacts(account.id, globex.id).await.unwrap(),
        vec![elsewhere]
    );
}

pub async fn contacts_are_found_by_email_across_clients(store: &dyn Store) {
    let f = Fixture::new(store);
    let account = f.account("Account").await;
    let other_account = f.account("Other").await;
    let acme = f.client(&account, "Acme").await;
    let globex = f.client(&account, "Globex").await;
    let foreign = f.client(&other_account, "Foreign").await;
    let a = f.contact(&acme, "shared@example.com").await;
    let b = f.contact(&globex, "shared@example.com").await;
    f.contact(&foreign, "shared@example.com").await;
    f.contact(&acme, "someone.else@example.com").await;
    let email = crate::model::EmailAddress::parse("email", "Shared@Example.com").unwrap();
    let mut expected = vec![a.clone(), b];
    expected.sort_by_key(|c| (c.created_at, c.id));
    assert_eq!(
        store.contacts_by_email(account.id, &email).await.unwrap(),
        expected
    );
    assert_eq!(store.contact(other_account.id, a.id).await.unwrap(), None);
}

pub async fn a_closed_portal_takes_no_new_links_or_sessions(store: &dyn Store) {
    let f = Fixture::new(store);
    let account = f.account("Account").await;
    let client = f.client(&account, "Acme").await;
    let contact = f.contact(&client, "ap@acme.example").await;
    let (link, token) = f.link(&contact, None, f.now + Duration::days(1));
    store.insert_link(&link, None).await.unwrap();
    // Closed without revoking anything: the store itself must refuse.
    let closed = crate::model::Client {
        active: false,
        ..client.clone()
    };
    assert_eq!(
        store.update_client(&client, &closed, None).await.unwrap(),
        Some(0)
    );

    let (late, _) = f.link(&contact, None, f.now + Duration::days(1));
    match store.insert_link(&late, None).await {
        Err(StoreError::Conflict(Conflict::PortalClosed)) => {}
        other => panic!("expected a closed-portal conflict, got {other:?}"),
    }
    assert_eq!(store.link_by_token(&late.token_hash).await.unwrap(), None);

    let session = f.session_for(&link, f.now);
    let audit = f.event(&contact, crate::model::AuditAction::SessionStarted, f.now);
    let redemption = crate::ports::Redemption {
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
    assert_eq!(store.session(account.id, session.id).await.unwrap(), None);
}
