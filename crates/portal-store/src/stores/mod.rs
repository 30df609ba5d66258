//! The [`portal_domain::ports::Store`] implementation, one file per port,
//! and what they share: how a conditional transaction reports that it
//! lost, the client row lock, keyset paging and the readiness check.

mod access;
mod accounts;
mod audit;
mod batch;
mod crm;
pub(crate) mod documents;
mod idempotency;
mod link_requests;
mod logos;
mod outbox;
pub(crate) mod overview;
mod payments;
mod processor;
mod statements;

use async_trait::async_trait;
use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use portal_domain::ports::{Conflict, Store, StoreError, StoreResult};

use crate::Database;
use crate::database::{backend, expected_migrations, with_conn};
use crate::schema::__diesel_schema_migrations as migrations;
use crate::write_transaction::WriteTransaction;

/// Why a conditional transaction rolled back.
#[derive(Debug)]
enum Refusal {
    /// Its condition no longer held: another writer got there first, or
    /// the row changed since it was read.
    Lost,
    /// The client's portal is closed, or the contact inactive.
    PortalClosed,
    /// A uniqueness rule the caller can act on.
    Conflict(Conflict),
    /// The store cannot do the work (a row it needs is gone).
    Broken(StoreError),
    Db(diesel::result::Error),
}

impl From<diesel::result::Error> for Refusal {
    fn from(e: diesel::result::Error) -> Self {
        Self::Db(e)
    }
}

impl Refusal {
    /// The refusal as a store error; `Lost` is no error but an answer, so
    /// callers handle it before.
    fn into_error(self) -> StoreError {
        match self {
            Self::Lost => StoreError::Backend("a conditional write found its row changed".into()),
            Self::PortalClosed => StoreError::Conflict(Conflict::PortalClosed),
            Self::Conflict(conflict) => StoreError::Conflict(conflict),
            Self::Broken(err) => err,
            Self::Db(e) => backend(e),
        }
    }
}

/// A conditional transaction's answer: whether it was written.
fn settle(outcome: Result<(), Refusal>) -> StoreResult<bool> {
    match outcome {
        Ok(()) => Ok(true),
        Err(Refusal::Lost) => Ok(false),
        Err(other) => Err(other.into_error()),
    }
}

/// Takes the client's row lock if, and only if, its portal is open
/// (enabled, client active): a no-op update that link inserts start with
/// (and redemptions on SQLite), as client and contact updates start by
/// updating the row, so none slips past a closing portal. Redemptions on
/// PostgreSQL share the row instead (`FOR SHARE`, see `access.rs`): they
/// do not wait for each other, and this update's lock excludes them.
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

/// Refuses, as a closed portal, when the contact is not active (or, given
/// an address, no longer has it). Run after [`lock_open_client!`], as its
/// own statement: contact updates take the same client row lock first, so
/// a statement that starts once that lock is held reads the contact as it
/// now is, and the answer holds until the transaction ends.
macro_rules! require_active_contact {
    ($c:expr, $contact:expr, $email:expr) => {{
        use $crate::schema::contacts;
        let mut query = contacts::table
            .filter(contacts::id.eq($contact))
            .filter(contacts::active.eq(true))
            .into_boxed();
        if let Some(email) = $email {
            query = query.filter(contacts::email.eq(email));
        }
        let active: i64 = query.count().get_result($c).await?;
        if active != 1 {
            return Err(Refusal::PortalClosed);
        }
    }};
}
use require_active_contact;

/// Takes a row lock with a no-op update of `$table` row `$id`; evaluates to
/// whether the row exists.
macro_rules! lock_row {
    ($c:expr, $table:ident, $id:expr) => {{
        use $crate::schema::$table;
        diesel::update($table::table.filter($table::id.eq($id)))
            .set($table::id.eq($table::id))
            .execute($c)
            .await?
            == 1
    }};
}
use lock_row;

/// The query behind [`AccessStore::session_by_secret`]: the session whose
/// secret hashes to `$hash` (hex text), whom it belongs to, and the
/// account's processor connection (whether its pages take payments), in
/// one statement. A macro, so the same expression runs on either backend
/// and renders for the benchmark's ceiling.
///
/// [`AccessStore::session_by_secret`]: portal_domain::ports::AccessStore::session_by_secret
macro_rules! session_context_query {
    ($hash:expr) => {{
        use $crate::rows::{AccountRow, ClientRow, ContactRow, SessionRow};
        use $crate::schema::{
            accounts, clients, contacts, crm_client_portal_sessions as sessions,
            processor_connections,
        };
        sessions::table
            .inner_join(contacts::table.on(contacts::id.eq(sessions::contact_id)))
            .inner_join(clients::table.on(clients::id.eq(sessions::client_id)))
            .inner_join(accounts::table.on(accounts::id.eq(sessions::account_id)))
            .left_join(
                processor_connections::table
                    .on(processor_connections::account_id.eq(sessions::account_id)),
            )
            .filter(sessions::secret_hash.eq($hash))
            .select((
                SessionRow::as_select(),
                ContactRow::as_select(),
                ClientRow::as_select(),
                AccountRow::as_select(),
                // The columns in `ConnectionRow`'s order.
                processor_connections::all_columns.nullable(),
            ))
    }};
}
pub(crate) use session_context_query;

/// Inserts an outbox item: its row and what it does (one statement per
/// row: diesel-async cannot batch inserts on SQLite).
macro_rules! insert_outbox {
    ($c:expr, $row:expr, $payload:expr) => {{
        use $crate::rows::PayloadRows;
        use $crate::schema::{outbox, outbox_attachments, outbox_emails, outbox_link_requests};
        diesel::insert_into(outbox::table)
            .values($row)
            .execute($c)
            .await?;
        match $payload {
            PayloadRows::Email(email, attachments) => {
                diesel::insert_into(outbox_emails::table)
                    .values(email)
                    .execute($c)
                    .await?;
                for attachment in attachments {
                    diesel::insert_into(outbox_attachments::table)
                        .values(attachment)
                        .execute($c)
                        .await?;
                }
            }
            PayloadRows::LinkRequest(request) => {
                diesel::insert_into(outbox_link_requests::table)
                    .values(request)
                    .execute($c)
                    .await?;
            }
        }
    }};
}
use insert_outbox;

/// `$query` narrowed to the page `$page` asks for: rows strictly after
/// its cursor on (`$time`, `$id`), in that order (`asc` or `desc`), at
/// most [`PageRequest::fetch`](portal_domain::PageRequest::fetch) of them.
/// The bound on `$time` alone is implied by the rest; it is there so both
/// backends read the page as one range of the list's index.
macro_rules! keyset {
    ($query:expr, $page:expr, $time:expr, $id:expr, asc) => {{
        let mut query = $query;
        if let Some(cursor) = $page.after {
            let (at, id) = (
                $crate::sql_types::Time(cursor.at),
                $crate::sql_types::Id(cursor.id),
            );
            query = query.filter($time.ge(at).and($time.gt(at).or($id.gt(id))));
        }
        query.order(($time.asc(), $id.asc())).limit($page.fetch())
    }};
    ($query:expr, $page:expr, $time:expr, $id:expr, desc) => {{
        let mut query = $query;
        if let Some(cursor) = $page.after {
            let (at, id) = (
                $crate::sql_types::Time(cursor.at),
                $crate::sql_types::Id(cursor.id),
            );
            query = query.filter($time.le(at).and($time.lt(at).or($id.lt(id))));
        }
        query.order(($time.desc(), $id.desc())).limit($page.fetch())
    }};
}
use keyset;

/// Whether `err` is a unique-constraint violation.
fn is_unique_violation(err: &diesel::result::Error) -> bool {
    matches!(
        err,
        diesel::result::Error::DatabaseError(diesel::result::DatabaseErrorKind::UniqueViolation, _)
    )
}

/// Ids per `IN (…)` list, well under SQLite's bound-parameter limit.
const IDS_PER_QUERY: usize = 500;

#[async_trait]
impl Store for Database {
    /// Answers only when the database does and every migration this build
    /// embeds has been applied: a server on an older schema is not ready.
    async fn ping(&self) -> StoreResult<()> {
        let mut conn = self.read().await?;
        let postgres = matches!(conn, crate::database::Conn::Postgres(_));
        let applied: Vec<String> = with_conn!(conn, |c| migrations::table
            .select(migrations::version)
            .load(c)
            .await)
        .map_err(backend)?;
        let pending: Vec<String> = expected_migrations(postgres)?
            .into_iter()
            .filter(|version| !applied.contains(version))
            .collect();
        if pending.is_empty() {
            Ok(())
        } else {
            Err(StoreError::Backend(
                format!("migrations not applied yet: {}", pending.join(", ")).into(),
            ))
        }
    }

    async fn check_key_fingerprint(&self, fingerprint: &str) -> StoreResult<bool> {
        use crate::schema::deployment;
        const NAME: &str = "server_key_fingerprint";
        let mut conn = self.write().await?;
        let known: String = with_conn!(conn, |c| {
            c.write_transaction::<_, diesel::result::Error, _>(async |c| {
                // The first process to ask records its key; the others,
                // racing or later, read what it recorded.
                diesel::insert_into(deployment::table)
                    .values((deployment::name.eq(NAME), deployment::value.eq(fingerprint)))
                    .on_conflict_do_nothing()
                    .execute(c)
                    .await?;
                deployment::table
                    .filter(deployment::name.eq(NAME))
                    .select(deployment::value)
                    .first(c)
                    .await
            })
            .await
        })
        .map_err(backend)?;
        Ok(known == fingerprint)
    }
}
