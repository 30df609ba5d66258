//! The [`portal_domain::ports::Store`] implementation, one file per port.

mod access;
mod accounts;
mod audit;
mod crm;
mod documents;
mod link_requests;

use async_trait::async_trait;
use diesel_async::SimpleAsyncConnection;
use portal_domain::ports::{Conflict, Store, StoreError, StoreResult};

use crate::Database;
use crate::database::{backend, with_conn};

/// Why a conditional transaction rolled back.
#[derive(Debug)]
enum Refusal {
    /// Its condition no longer held: another writer got there first, or
    /// the row changed since it was read.
    Lost,
    /// The client's portal is closed.
    PortalClosed,
    Db(diesel::result::Error),
}

impl From<diesel::result::Error> for Refusal {
    fn from(e: diesel::result::Error) -> Self {
        Self::Db(e)
    }
}

/// A conditional transaction's answer: whether it was written.
fn settle(outcome: Result<(), Refusal>) -> StoreResult<bool> {
    match outcome {
        Ok(()) => Ok(true),
        Err(Refusal::Lost) => Ok(false),
        Err(Refusal::PortalClosed) => Err(StoreError::Conflict(Conflict::PortalClosed)),
        Err(Refusal::Db(e)) => Err(backend(e)),
    }
}

/// Takes the client's row lock if, and only if, its portal is open
/// (enabled, client active): a no-op update that redemptions, link
/// inserts and client updates all start with, so they serialise on the
/// client and none slips past a closing portal.
macro_rules! lock_open_client {
    ($c:expr, $client:expr) => {{
        use $crate::schema::clients;
        let locked = diesel::update(
            clients::table
                .filter(clients::id.eq($client))
                .filter(clients::portal_enabled.eq(true))
                .filter(clients::active.eq(true)),
        )
        .set(clients::portal_enabled.eq(clients::portal_enabled))
        .execute($c)
        .await?;
        if locked != 1 {
            return Err(Refusal::PortalClosed);
        }
    }};
}
use lock_open_client;

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
