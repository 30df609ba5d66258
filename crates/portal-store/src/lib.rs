#![doc = include_str!("../README.md")]

mod cached_sql;
pub mod ceiling;
mod database;
mod rows;
mod schema;
mod sql_types;
mod stores;
mod write_transaction;

use std::fmt;

use portal_domain::ports::StoreError;

pub use database::{DatabaseUrl, OpenError};

use database::{Conn, Pools, StatementCounter};

/// The portal's store on PostgreSQL or SQLite. Cheap to clone: clones share
/// the connection pool.
#[derive(Clone)]
pub struct Database {
    pools: Pools,
    url: DatabaseUrl,
    statements: StatementCounter,
}

impl Database {
    /// Opens the database, creating the SQLite file (and its folder) if
    /// needed, and applies any pending migrations. On PostgreSQL several
    /// processes may start at once: migrations take an advisory lock.
    ///
    /// Must run on a multi-threaded tokio runtime (migrations block).
    ///
    /// # Errors
    /// When the URL is unsupported, the database unreachable, or a
    /// migration fails.
    pub async fn open(url: &DatabaseUrl) -> Result<Self, OpenError> {
        let statements = StatementCounter::default();
        let pools = Pools::open(url, &statements).await?;
        Ok(Self {
            pools,
            url: url.clone(),
            statements,
        })
    }

    /// How many SQL statements this database has run since it was opened,
    /// on every connection, `BEGIN` and `COMMIT` included: what requests
    /// cost in round trips. Migrations at open are not counted.
    pub fn statements(&self) -> u64 {
        self.statements.get()
    }

    pub fn url(&self) -> &DatabaseUrl {
        &self.url
    }

    /// A connection for a read; see [`Pools::read`].
    async fn read(&self) -> Result<Conn, StoreError> {
        self.pools.read().await
    }

    /// A connection for a write; see [`Pools::write`].
    async fn write(&self) -> Result<Conn, StoreError> {
        self.pools.write().await
    }
}

impl fmt::Debug for Database {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Database")
            .field("url", &self.url)
            .finish_non_exhaustive()
    }
}
