//! Contract checks for billing contacts and what changing one ends.

use chrono::Duration;

use crate::model::{Contact, Cursor, EmailAddress, Name, PageRequest, RevokeReason};
use crate::ports::{Conflict, Revocation, Store, StoreError};

use super::crm::live_session;
use super::{Fixture, read_pages};

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
    let page = PageRequest::first(50);
    assert_eq!(
        store.contacts(account.id, acme.id, &page).await.unwrap(),
        vec![first]
    );
    assert_eq!(
        store.contacts(account.id, globex.id, &page).await.unwrap(),
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
    let email = EmailAddress::parse("email", "Shared@Example.com").unwrap();
    let mut expected = vec![a.clone(), b];
    expected.sort_by_key(|c| (c.created_at, c.id));
    assert_eq!(
        store.contacts_by_email(account.id, &email).await.unwrap(),
        expected
    );
    assert_eq!(store.contact(other_account.id, a.id).await.unwrap(), None);
}

pub async fn contacts_are_paged_oldest_first(store: &dyn Store) {
    let f = Fixture::new(store);
    let account = f.account("Account").await;
    let acme = f.client(&account, "Acme").await;
    let globex = f.client(&account, "Globex").await;
    let mut expected = Vec::new();
    for (i, seconds) in [2, 0, 2, 2, 1, 0].into_iter().enumerate() {
        let contact = Contact {
            created_at: f.now + Duration::seconds(seconds),
            active: i != 3,
            ..f.contact_record(&acme, &format!("c{i}@acme.example"))
        };
        store.insert_contact(&contact).await.unwrap();
        expected.push(contact);
    }
    f.contact(&globex, "c0@acme.example").await;
    expected.sort_by_key(|c| (c.created_at, c.id));
    for limit in [1, 2, 4, 100] {
        let listed = read_pages(
            limit,
            |c: &Contact| Cursor::new(c.created_at, c.id.as_uuid()),
            |page| async move { store.contacts(account.id, acme.id, &page).await.unwrap() },
        )
        .await;
        assert_eq!(listed, expected, "limit {limit}");
    }
}

pub async fn contact_updates_are_compare_and_set(store: &dyn Store) {
    let f = Fixture::new(store);
    let account = f.account("Account").await;
    let acme = f.client(&account, "Acme").await;
    let contact = f.contact(&acme, "ap@acme.example").await;
    let renamed = Contact {
        name: Name::parse("name", "Pat Receivables").unwrap(),
        email: EmailAddress::parse("email", "pat@acme.example").unwrap(),
        updated_at: f.now + Duration::minutes(1),
        ..contact.clone()
    };
    assert_eq!(
        store
            .update_contact(&contact, &renamed, None)
            .await
            .unwrap(),
        Some(0)
    );
    assert_eq!(
        store.contact(account.id, contact.id).await.unwrap(),
        Some(renamed.clone())
    );
    // A writer that read the contact before loses, and undoes nothing.
    let stale = Contact {
        active: false,
        ..contact.clone()
    };
    assert_eq!(
        store.update_contact(&contact, &stale, None).await.unwrap(),
        None
    );
    // The active flag alone is compared too.
    let wrong_flag = Contact {
        active: false,
        ..renamed.clone()
    };
    assert_eq!(
        store
            .update_contact(&wrong_flag, &contact, None)
            .await
            .unwrap(),
        None
    );
    assert_eq!(
        store.contact(account.id, contact.id).await.unwrap(),
        Some(renamed.clone())
    );
    // The old address no longer finds it; the new one does.
    let old = EmailAddress::parse("email", "ap@acme.example").unwrap();
    assert!(
        store
            .contacts_by_email(account.id, &old)
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(
        store
            .contacts_by_email(account.id, &renamed.email)
            .await
            .unwrap(),
        vec![renamed]
    );
}

pub async fn a_contact_email_clash_writes_nothing(store: &dyn Store) {
    let f = Fixture::new(store);
    let account = f.account("Account").await;
    let acme = f.client(&account, "Acme").await;
    let globex = f.client(&account, "Globex").await;
    let ap = f.contact(&acme, "ap@acme.example").await;
    let cfo = f.contact(&acme, "cfo@acme.example").await;
    let (link, _) = f.stored_link(&cfo).await;
    let (used, _) = f.stored_link(&cfo).await;
    let session = live_session(&f, &used, f.now).await;

    let clash = Contact {
        email: ap.email.clone(),
        active: false,
        ..cfo.clone()
    };
    let revocation = Revocation {
        at: f.now,
        reason: RevokeReason::ContactChanged,
    };
    match store.update_contact(&cfo, &clash, Some(revocation)).await {
        Err(StoreError::Conflict(Conflict::ContactEmail)) => {}
        other => panic!("expected a contact email conflict, got {other:?}"),
    }
    assert_eq!(
        store.contact(account.id, cfo.id).await.unwrap(),
        Some(cfo.clone())
    );
    let stored = store
        .session(account.id, session.id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(stored.revoked_at, None, "a refused update revokes nothing");
    let stored = store
        .link_by_token(&link.token_hash)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(stored.revoked_at, None);

    // Another client's contact may have the address.
    let g = f.contact(&globex, "ar@globex.example").await;
    let moved = Contact {
        email: ap.email.clone(),
        ..g.clone()
    };
    assert_eq!(
        store.update_contact(&g, &moved, None).await.unwrap(),
        Some(0)
    );
}

pub async fn changing_a_contact_revokes_its_access_only(store: &dyn Store) {
    let f = Fixture::new(store);
    let account = f.account("Account").await;
    let acme = f.client(&account, "Acme").await;
    let ap = f.contact(&acme, "ap@acme.example").await;
    let cfo = f.contact(&acme, "cfo@acme.example").await;
    let mut unused = Vec::new();
    let mut sessions = Vec::new();
    for contact in [&ap, &cfo] {
        let (link, _) = f.stored_link(contact).await;
        unused.push(link);
        let (used, _) = f.stored_link(contact).await;
        sessions.push(live_session(&f, &used, f.now).await);
    }
    // An ended session of ap's is neither counted nor changed.
    let (expired_link, _) = f.stored_link(&ap).await;
    let expired = live_session(&f, &expired_link, f.now - Duration::days(30)).await;

    let at = f.now + Duration::hours(1);
    let gone = Contact {
        active: false,
        updated_at: at,
        ..ap.clone()
    };
    let revocation = Revocation {
        at,
        reason: RevokeReason::ContactChanged,
    };
    assert_eq!(
        store
            .update_contact(&ap, &gone, Some(revocation))
            .await
            .unwrap(),
        Some(1)
    );
    let session = |id| async move { store.session(account.id, id).await.unwrap().unwrap() };
    let ended = session(sessions[0].id).await;
    assert_eq!(
        (ended.revoked_at, ended.revoke_reason),
        (Some(at), Some(RevokeReason::ContactChanged))
    );
    assert_eq!(session(sessions[1].id).await.revoked_at, None);
    assert_eq!(session(expired.id).await.revoked_at, None);
    let link = |hash| async move { store.link_by_token(&hash).await.unwrap().unwrap() };
    assert_eq!(link(unused[0].token_hash).await.revoked_at, Some(at));
    assert_eq!(link(unused[1].token_hash).await.revoked_at, None);
}

pub async fn an_inactive_contact_takes_no_new_links_or_sessions(store: &dyn Store) {
    let f = Fixture::new(store);
    let account = f.account("Account").await;
    let acme = f.client(&account, "Acme").await;
    let ap = f.contact(&acme, "ap@acme.example").await;
    let (link, token) = f.stored_link(&ap).await;
    // Deactivated without revoking anything: the store itself must refuse.
    let inactive = Contact {
        active: false,
        ..ap.clone()
    };
    assert_eq!(
        store.update_contact(&ap, &inactive, None).await.unwrap(),
        Some(0)
    );
    super::crm::takes_no_new_links_or_sessions(&f, &ap, &link, &token).await;
}

pub async fn a_link_minted_for_an_old_address_is_not_stored(store: &dyn Store) {
    use crate::ports::{Batch, Write};
    let f = Fixture::new(store);
    let account = f.account("Account").await;
    let client = f.client(&account, "Acme").await;
    let contact = f.contact(&client, "old@acme.example").await;
    let moved = Contact {
        email: EmailAddress::parse("email", "new@acme.example").unwrap(),
        ..contact.clone()
    };
    assert!(
        store
            .update_contact(&contact, &moved, None)
            .await
            .unwrap()
            .is_some()
    );
    // A link minted while the contact still had the old address.
    let (link, token) = f.link(&contact, None, f.now + Duration::days(1));
    let stale = Batch::new().with(Write::InsertLink {
        link: link.clone(),
        pending: None,
        email: contact.email.clone(),
    });
    match store.commit(&stale).await {
        Err(StoreError::Conflict(Conflict::PortalClosed)) => {}
        other => panic!("expected a refusal, got {other:?}"),
    }
    assert_eq!(store.link_by_token(&token.hash()).await.unwrap(), None);
    let current = Batch::new().with(Write::InsertLink {
        link,
        pending: None,
        email: moved.email,
    });
    assert!(store.commit(&current).await.unwrap());
}
