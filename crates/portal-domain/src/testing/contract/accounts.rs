//! Contract checks for accounts and their API keys.

use chrono::Duration;

use crate::model::{Account, ApiKey, Cursor, Name, PublicUrl, SettingsPatch, TimeZone};
use crate::ports::{KeyRevocation, Store};

use super::{Fixture, read_pages};

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
            time_zone: Some(TimeZone::parse("time_zone", "America/New_York").unwrap()),
            allow_partial_payments: None,
            address: None,
            accent_colour: None,
            payment_instructions: None,
        })
        .unwrap();
    let renamed = Account {
        name: Name::parse("name", "Northwind & Co").unwrap(),
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
    let stale = Account {
        name: Name::parse("name", "Stale").unwrap(),
        ..account.clone()
    };
    assert!(!store.update_account(&account, &stale).await.unwrap());
    assert_eq!(
        store.account(account.id).await.unwrap(),
        Some(renamed.clone())
    );

    // The time zone alone is compared too.
    let other_zone = Account {
        settings: crate::model::AccountSettings {
            time_zone: TimeZone::UTC,
            ..renamed.settings.clone()
        },
        ..renamed.clone()
    };
    assert!(!store.update_account(&other_zone, &account).await.unwrap());
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

pub async fn api_keys_are_listed_oldest_first_in_pages(store: &dyn Store) {
    let f = Fixture::new(store);
    let (account, _, first) = f.account_record("Account");
    store.insert_account(&account, &first).await.unwrap();
    let other = f.account("Other").await;
    let mut expected = vec![first];
    // Several keys share a creation time: the id breaks the tie.
    for (i, minutes) in [3, 1, 1, 2, 1, 0].into_iter().enumerate() {
        let (_, mut record) = f.key_record(account.id, &format!("Key {i}"));
        record.created_at = f.now + Duration::minutes(minutes);
        if i == 1 {
            record.prefix = None;
            record.revoked_at = Some(f.now + Duration::hours(1));
        }
        store.insert_api_key(&record).await.unwrap();
        expected.push(record);
    }
    let (_, theirs) = f.key_record(other.id, "Theirs");
    store.insert_api_key(&theirs).await.unwrap();
    expected.sort_by_key(|k| (k.created_at, k.id));

    for limit in [1, 2, 3, 100] {
        let listed = read_pages(
            limit,
            |k: &crate::model::ApiKeyRecord| Cursor::new(k.created_at, k.id.as_uuid()),
            |page| async move { store.api_keys(account.id, &page).await.unwrap() },
        )
        .await;
        assert_eq!(listed, expected, "limit {limit}");
    }
}

pub async fn api_keys_are_revoked_but_never_the_last_active_one(store: &dyn Store) {
    let f = Fixture::new(store);
    let (account, first_key, first) = f.account_record("Account");
    store.insert_account(&account, &first).await.unwrap();
    let other = f.account("Other").await;
    let (second_key, mut second) = f.key_record(account.id, "Accounting sync");
    second.created_at = f.now + Duration::minutes(1);
    store.insert_api_key(&second).await.unwrap();
    assert_eq!(
        store.account_by_api_key(&second_key.hash()).await.unwrap(),
        Some(account.clone())
    );

    // Another account cannot revoke this account's key.
    let at = f.now + Duration::minutes(10);
    assert_eq!(
        store.revoke_api_key(other.id, second.id, at).await.unwrap(),
        KeyRevocation::NotFound
    );
    let revoked = crate::model::ApiKeyRecord {
        revoked_at: Some(at),
        ..second.clone()
    };
    assert_eq!(
        store
            .revoke_api_key(account.id, second.id, at)
            .await
            .unwrap(),
        KeyRevocation::Revoked(revoked.clone())
    );
    assert_eq!(
        store.account_by_api_key(&second_key.hash()).await.unwrap(),
        None,
        "a revoked key no longer authenticates"
    );
    // Revoking again changes nothing, not even the time.
    assert_eq!(
        store
            .revoke_api_key(account.id, second.id, at + Duration::hours(1))
            .await
            .unwrap(),
        KeyRevocation::AlreadyRevoked(revoked.clone())
    );
    // The first key is now the last active one.
    assert_eq!(
        store
            .revoke_api_key(account.id, first.id, at)
            .await
            .unwrap(),
        KeyRevocation::LastActiveKey
    );
    assert_eq!(
        store.account_by_api_key(&first_key.hash()).await.unwrap(),
        Some(account.clone())
    );
    let keys = store
        .api_keys(account.id, &crate::model::PageRequest::first(10))
        .await
        .unwrap();
    assert_eq!(keys, vec![first, revoked]);
}
