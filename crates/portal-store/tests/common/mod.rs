//! Fresh, migrated stores on each backend for the store's tests.

#![allow(unreachable_pub, dead_code)]

use std::path::PathBuf;

use chrono::Utc;
use portal_domain::ports::{AccountStore, CrmStore, Store};
use portal_domain::testing::SeededRandom;
use portal_domain::testing::contract::Harness;
use portal_domain::{
    Account, AccountId, AccountSettings, ApiKey, ApiKeyId, ApiKeyRecord, Client, ClientId, Name,
};
use portal_store::{Database, DatabaseUrl};
use portal_test_support::TestPostgres;

/// A database on a file of its own, removed afterwards.
#[derive(Debug)]
pub struct SqliteHarness {
    db: Database,
    path: PathBuf,
}

impl Harness for SqliteHarness {
    fn store(&self) -> Option<&dyn Store> {
        Some(&self.db)
    }
}

impl Drop for SqliteHarness {
    fn drop(&mut self) {
        for suffix in ["", "-wal", "-shm"] {
            let mut path = self.path.clone().into_os_string();
            path.push(suffix);
            let _ = std::fs::remove_file(path);
        }
    }
}

pub async fn sqlite() -> SqliteHarness {
    let mut random = [0u8; 8];
    getrandom::fill(&mut random).expect("randomness");
    let path = std::env::temp_dir().join(format!(
        "portal-store-test-{}.db",
        u64::from_le_bytes(random)
    ));
    let db = Database::open(&DatabaseUrl::Sqlite(path.clone()))
        .await
        .expect("open SQLite");
    SqliteHarness { db, path }
}

/// A database of its own on the test PostgreSQL server, dropped afterwards.
#[derive(Debug)]
pub struct PostgresHarness {
    // Field order matters: the pool closes before the database is dropped.
    pub db: Option<Database>,
    pub server: Option<TestPostgres>,
}

impl Harness for PostgresHarness {
    fn store(&self) -> Option<&dyn Store> {
        self.db.as_ref().map(|db| db as &dyn Store)
    }
}

pub async fn postgres() -> PostgresHarness {
    let Some(server) = TestPostgres::create_or_skip("portal-store").await else {
        return PostgresHarness {
            db: None,
            server: None,
        };
    };
    let db = Database::open(&DatabaseUrl::Postgres(server.url().to_owned()))
        .await
        .expect("open PostgreSQL");
    PostgresHarness {
        db: Some(db),
        server: Some(server),
    }
}

/// Two pools on one fresh database, standing in for two server processes,
/// or `None` when PostgreSQL tests are switched off.
pub async fn two_processes() -> Option<(PostgresHarness, Database, Database)> {
    let harness = postgres().await;
    let first = harness.db.clone()?;
    let url = harness.server.as_ref()?.url().to_owned();
    let second = Database::open(&DatabaseUrl::Postgres(url)).await.unwrap();
    Some((harness, first, second))
}

/// An account with one client whose portal is open.
pub async fn client(db: &Database, random: &SeededRandom) -> (Account, Client) {
    let now = Utc::now();
    let account = Account {
        id: AccountId::generate(random),
        name: Name::parse("name", "Account").unwrap(),
        settings: AccountSettings::default(),
        demo: false,
        created_at: now,
        updated_at: now,
    };
    let key = ApiKey::generate(random);
    let record = ApiKeyRecord {
        id: ApiKeyId::generate(random),
        account_id: account.id,
        name: Name::parse("name", "Default").unwrap(),
        prefix: Some(key.display_prefix()),
        key_hash: key.hash(),
        created_at: now,
        revoked_at: None,
    };
    db.insert_account(&account, &record).await.unwrap();
    let client = Client {
        id: ClientId::generate(random),
        account_id: account.id,
        name: Name::parse("name", "Acme").unwrap(),
        portal_enabled: true,
        active: true,
        created_at: now,
        updated_at: now,
    };
    db.insert_client(&client).await.unwrap();
    (account, client)
}
