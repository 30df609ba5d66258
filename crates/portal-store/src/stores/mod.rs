//! The [`portal_domain::ports::Store`] implementation, one file per port.

mod access;
mod accounts;
mod audit;
mod crm;
mod documents;
mod link_requests;

use async_trait::async_trait;
use diesel_async::SimpleAsyncConnection;
use portal_domain::ports::{Store, StoreResult};

use crate::Database;
use crate::database::{backend, with_conn};

/// Whether `err` is a unique-constraint violation.
fn is_unique_violation(err: &diesel::result::Error) -> bool {
    matches!(
        err,
        diesel::result::Error::DatabaseError(diesel::result::DatabaseErrorKind::UniqueViolation, _)
    )
}

#[async_trait]
impl Store for Database {
    async fn ping(&self) -> StoreResult<()> {
        let mut conn = self.conn().await?;
        with_conn!(conn, |c| c.batch_execute("SELECT 1").await).map_err(backend)
    }
}
