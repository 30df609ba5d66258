//! Throwaway PostgreSQL databases, one per test.

use std::sync::atomic::{AtomicU32, Ordering};

use diesel::sql_query;
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};

const DEFAULT_URL: &str = "postgres://postgres@127.0.0.1:5432/postgres";

/// A fresh, empty database on the test PostgreSQL server, dropped (with any
/// connections still open to it) when this value is dropped.
#[derive(Debug)]
pub struct TestPostgres {
    admin_url: String,
    name: String,
    url: String,
}

impl TestPostgres {
    /// Creates the database, or returns `None` when the developer opted out
    /// with `PORTAL_TEST_POSTGRES=skip` (refused under `CI=true`).
    ///
    /// # Panics
    /// When the server cannot be reached or refuses to create a database:
    /// a PostgreSQL test must fail loudly, never pass silently.
    pub async fn create_or_skip(test: &str) -> Option<Self> {
        let ci = std::env::var("CI").is_ok_and(|v| v == "true" || v == "1");
        if std::env::var("PORTAL_TEST_POSTGRES").is_ok_and(|v| v == "skip") {
            assert!(
                !ci,
                "PORTAL_TEST_POSTGRES=skip is not allowed in CI: PostgreSQL tests must run"
            );
            eprintln!("SKIPPED {test}: PORTAL_TEST_POSTGRES=skip");
            return None;
        }
        let admin_url =
            std::env::var("PORTAL_TEST_DATABASE_URL").unwrap_or_else(|_| DEFAULT_URL.to_owned());
        let name = unique_name();
        let mut admin = AsyncPgConnection::establish(&admin_url)
            .await
            .unwrap_or_else(|e| {
                panic!(
                    "{test} needs PostgreSQL but cannot reach it at {admin_url}: {e}\n\
                 Point PORTAL_TEST_DATABASE_URL at a server where this user may create databases."
                )
            });
        sql_query(format!("CREATE DATABASE \"{name}\""))
            .execute(&mut admin)
            .await
            .unwrap_or_else(|e| panic!("{test}: cannot create database {name}: {e}"));
        let url = database_url(&admin_url, &name);
        Some(Self {
            admin_url,
            name,
            url,
        })
    }

    /// The connection URL of this test's database.
    pub fn url(&self) -> &str {
        &self.url
    }
}

impl Drop for TestPostgres {
    fn drop(&mut self) {
        let admin_url = self.admin_url.clone();
        let statement = format!("DROP DATABASE IF EXISTS \"{}\" WITH (FORCE)", self.name);
        // Drop runs outside any async context: use a thread of its own.
        let outcome = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()?;
            runtime.block_on(async {
                let mut admin = AsyncPgConnection::establish(&admin_url).await?;
                sql_query(statement).execute(&mut admin).await?;
                Ok::<_, Box<dyn std::error::Error + Send + Sync>>(())
            })
        })
        .join();
        if !matches!(outcome, Ok(Ok(()))) {
            eprintln!("could not drop test database {}", self.name);
        }
    }
}

/// `portal_test_<pid>_<counter>_<random>`: unique across parallel test
/// binaries and reruns.
fn unique_name() -> String {
    static COUNTER: AtomicU32 = AtomicU32::new(0);
    let mut random = [0u8; 4];
    getrandom::fill(&mut random).expect("the OS has randomness");
    format!(
        "portal_test_{}_{}_{:08x}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed),
        u32::from_le_bytes(random)
    )
}

/// `admin_url` with its database name replaced by `name`.
fn database_url(admin_url: &str, name: &str) -> String {
    let (base, query) = admin_url
        .split_once('?')
        .map_or((admin_url, None), |(b, q)| (b, Some(q)));
    let after_scheme = base.find("://").map_or(0, |i| i + 3);
    let root = match base[after_scheme..].find('/') {
        Some(i) => &base[..after_scheme + i],
        None => base,
    };
    match query {
        Some(q) => format!("{root}/{name}?{q}"),
        None => format!("{root}/{name}"),
    }
}

#[cfg(test)]
mod tests {
    use super::database_url;

    #[test]
    fn database_urls_swap_only_the_name() {
        assert_eq!(
            database_url("postgres://u@h:5432/postgres", "x"),
            "postgres://u@h:5432/x"
        );
        assert_eq!(database_url("postgres://u@h", "x"), "postgres://u@h/x");
        assert_eq!(
            database_url("postgres://u:p@h/db?sslmode=disable", "x"),
            "postgres://u:p@h/db?sslmode=disable".replace("/db?", "/x?")
        );
    }
}
