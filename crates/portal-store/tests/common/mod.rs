//! Fresh, migrated stores on each backend for the store's tests.

#![allow(unreachable_pub, dead_code)]

use std::path::PathBuf;

use portal_domain::ports::Store;
use portal_domain::testing::contract::Harness;
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
