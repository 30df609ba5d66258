//! Write transactions that take the write lock when they begin.
//!
//! On SQLite a plain `BEGIN` is deferred: the transaction reads from the
//! snapshot of its first read and asks for the write lock only at its first
//! write. When another process (a second server on the same file, or an
//! operator's command) has committed in between, SQLite cannot move the
//! snapshot forward and answers `SQLITE_BUSY` at once, without waiting: the
//! busy timeout does not help. `BEGIN IMMEDIATE` takes the write lock
//! first, waiting for it under the busy timeout, and reads from the
//! database as it is once the lock is held. Within one process the single
//! writer connection serialises writes already; this covers the others.
//!
//! On PostgreSQL a write transaction is an ordinary `BEGIN`: row locks and
//! the statements' own conditions decide there.

use std::future::Future;

use diesel::connection::AnsiTransactionManager;
use diesel::result::Error;
use diesel_async::{AsyncConnection, AsyncPgConnection, TransactionManager};

use crate::database::SqliteConn;

/// An `AsyncFnOnce` whose future has a name, so that a bound can require
/// it to be `Send` (the bound diesel-async puts on its own transactions).
pub(crate) trait TransactionBody<T, R>:
    AsyncFnOnce(T) -> R + FnOnce(T) -> <Self as TransactionBody<T, R>>::Fut
{
    type Fut: Future<Output = R>;
}

impl<F, T, Fut, R> TransactionBody<T, R> for F
where
    F: AsyncFnOnce(T) -> R + FnOnce(T) -> Fut,
    Fut: Future<Output = R>,
{
    type Fut = Fut;
}

/// A connection that can begin a transaction meant to write.
pub(crate) trait WriteTransaction: AsyncConnection + Sized {
    /// Begins the outermost transaction of a write.
    fn begin_write(&mut self) -> impl Future<Output = Result<(), Error>> + Send;

    /// Runs `body` in a write transaction: committed when it answers
    /// `Ok`, rolled back when it answers `Err`. Like diesel-async's
    /// `transaction`, except for how the transaction begins.
    fn write_transaction<'a, 'conn, R, E, F>(
        &'conn mut self,
        body: F,
    ) -> impl Future<Output = Result<R, E>> + Send + 'conn
    where
        for<'r> F: AsyncFnOnce(&'r mut Self) -> Result<R, E>
            + TransactionBody<&'r mut Self, Result<R, E>, Fut: Send>
            + Send
            + 'a,
        E: From<Error> + Send + 'a,
        R: Send + 'a,
        'a: 'conn,
    {
        async move {
            let body = body;
            self.begin_write().await?;
            match body(&mut *self).await {
                Ok(value) => {
                    Self::TransactionManager::commit_transaction(self).await?;
                    Ok(value)
                }
                Err(refused) => match Self::TransactionManager::rollback_transaction(self).await {
                    // A broken transaction manager after a failed body: the
                    // body's error says more.
                    Ok(()) | Err(Error::BrokenTransactionManager) => Err(refused),
                    Err(rollback) => Err(rollback.into()),
                },
            }
        }
    }
}

impl WriteTransaction for AsyncPgConnection {
    fn begin_write(&mut self) -> impl Future<Output = Result<(), Error>> + Send {
        Self::TransactionManager::begin_transaction(self)
    }
}

impl WriteTransaction for SqliteConn {
    fn begin_write(&mut self) -> impl Future<Output = Result<(), Error>> + Send {
        // Through diesel's transaction manager, so that it counts the
        // transaction as open (the pool drops a connection returned with
        // one open, as after a cancelled request).
        self.spawn_blocking(|inner| {
            AnsiTransactionManager::begin_transaction_sql(inner, "BEGIN IMMEDIATE")
        })
    }
}
