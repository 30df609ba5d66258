#![doc = include_str!("../README.md")]

mod database;
mod rows;
mod schema;
mod sql_types;
mod stores;

use std::fmt;

use portal_domain::ports::StoreError;

pub use database::{DatabaseUrl, OpenError};

use database::{Conn, Pools};

/// The portal's store on PostgreSQL or SQLite. Cheap to clone: clones share
/// the connection pool.
#[derive(Clone)]
pub struct Database {
    pools: Pools,
    url: DatabaseUrl,
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
        let pools = Pools::open(url).await?;
        Ok(Self {
            pools,
            url: url.clone(),
        })
    }

    pub fn url(&self) -> &DatabaseUrl {
        &self.url
    }

    async fn conn(&self) -> Result<Conn, StoreError> {
        self.pools.get().await
    }
}

impl fmt::Debug for Database {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Database")
            .field("url", &self.url)
            .finish_non_exhaustive()
    }
}
