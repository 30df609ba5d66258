//! Magic links and portal sessions, including the atomic redemption: on
//! PostgreSQL one statement in a transaction that shares the client's row
//! with other redemptions.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::sql_types::Bool;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use portal_domain::ports::{
    AccessStore, ConnectionRecord, LinkContext, Redemption, Revocation, SessionContext,
    SessionFilter, StoreResult,
};
use portal_domain::{
    Account, AccountId, AuditEvent, Client, Contact, LinkId, MagicLink, PageRequest, PortalSession,
    RevokeReason, SessionId, TokenHash,
};

use super::{
    Refusal, keyset, lock_open_client, require_active_contact, session_context_query, settle,
};
use crate::Database;
use crate::cached_sql::{Bind, CachedSql};
use crate::database::{Conn, SqliteConn, backend, unique, with_conn};
use crate::rows::{
    AccountRow, ActivationRow, AuditRow, ClientRow, ConnectionRow, ContactRow, LinkRow, SessionRow,
    convert,
};
use crate::schema::{
    accounts, audit_events, clients, contacts, crm_client_portal_sessions as sessions, magic_links,
};
use crate::sql_types::{Id, Time};
use crate::write_transaction::WriteTransaction;

/// Ends session `$id` at `$at` for `$reason`, unless it already ended;
/// evaluates to how many sessions it ended (0 or 1). A macro rather than a
/// function: it runs on either backend's connection.
macro_rules! end_session {
    ($c:expr, $id:expr, $at:expr, $reason:expr) => {
        diesel::update(
            sessions::table
                .filter(sessions::id.eq($id))
                .filter(sessions::revoked_at.is_null()),
        )
        .set((
            sessions::revoked_at.eq($at),
            sessions::revoke_reason.eq($reason.as_str()),
        ))
        .execute($c)
        .await
    };
}

/// What [`AccessStore::session_by_secret`] reads in one row.
type SessionContextRow = (
    SessionRow,
    ContactRow,
    ClientRow,
    AccountRow,
    Option<ConnectionRow>,
);

#[async_trait]
impl AccessStore for Database {
    async fn link_by_token(&self, token_hash: &TokenHash) -> StoreResult<Option<MagicLink>> {
        let mut conn = self.read().await?;
        let row: Option<LinkRow> = with_conn!(conn, |c| magic_links::table
            .filter(magic_links::token_hash.eq(token_hash.to_hex()))
            .select(LinkRow::as_select())
            .load(c)
            .await
            .map(unique))
        .map_err(backend)?;
        row.map(MagicLink::try_from).transpose()
    }

    async fn link(&self, account: AccountId, id: LinkId) -> StoreResult<Option<MagicLink>> {
        let mut conn = self.read().await?;
        let row: Option<LinkRow> = with_conn!(conn, |c| magic_links::table
            .filter(magic_links::id.eq(Id(id.as_uuid())))
            .filter(magic_links::account_id.eq(Id(account.as_uuid())))
            .select(LinkRow::as_select())
            .first(c)
            .await
            .optional())
        .map_err(backend)?;
        row.map(MagicLink::try_from).transpose()
    }

    async fn link_context(&self, token_hash: &TokenHash) -> StoreResult<Option<LinkContext>> {
        let mut conn = self.read().await?;
        let row: Option<(
            LinkRow,
            ClientRow,
            ContactRow,
            AccountRow,
            Option<SessionRow>,
        )> = with_conn!(conn, |c| magic_links::table
            .inner_join(clients::table.on(clients::id.eq(magic_links::client_id)))
            .inner_join(contacts::table.on(contacts::id.eq(magic_links::contact_id)))
            .inner_join(accounts::table.on(accounts::id.eq(magic_links::account_id)))
            .left_join(
                sessions::table.on(sessions::id
                    .nullable()
                    .eq(magic_links::session_id)
                    .and(sessions::account_id.eq(magic_links::account_id))),
            )
            .filter(magic_links::token_hash.eq(token_hash.to_hex()))
            .select((
                LinkRow::as_select(),
                ClientRow::as_select(),
                ContactRow::as_select(),
                AccountRow::as_select(),
                Option::<SessionRow>::as_select(),
            ))
            .load(c)
            .await
            .map(unique))
        .map_err(backend)?;
        row.map(|(link, client, contact, account, pending)| {
            Ok(LinkContext {
                link: MagicLink::try_from(link)?,
                client: Client::try_from(client)?,
                contact: Contact::try_from(contact)?,
                account: Account::try_from(account)?,
                pending: pending.map(PortalSession::try_from).transpose()?,
            })
        })
        .transpose()
    }

    async fn redeem_link(&self, r: Redemption<'_>) -> StoreResult<bool> {
        let mut conn = self.write().await?;
        let outcome = match &mut conn {
            Conn::Postgres(pooled) => {
                let c: &mut AsyncPgConnection = &mut *pooled;
                let statement = redemption_statement(&r);
                c.write_transaction::<_, Refusal, _>(async |c| {
                    let done: Redeemed = statement.get_result(c).await?;
                    if !done.open {
                        return Err(Refusal::PortalClosed);
                    }
                    // Lost the race for the link, or found no pending
                    // session to activate: whatever was written goes.
                    if !done.consumed || !done.started {
                        return Err(Refusal::Lost);
                    }
                    Ok(())
                })
                .await
            }
            Conn::Sqlite(pooled) => {
                let c: &mut SqliteConn = &mut *pooled;
                redeem_on_sqlite(c, &r).await
            }
        };
        match outcome {
            // A closed portal or an inactive contact refuses the
            // redemption like a used link.
            Err(Refusal::PortalClosed) => Ok(false),
            other => settle(other),
        }
    }

    async fn session_by_secret(
        &self,
        secret_hash: &TokenHash,
    ) -> StoreResult<Option<SessionContext>> {
        let mut conn = self.read().await?;
        // One statement: the session, whom it belongs to, and the
        // account's processor connection (whether the pages take payments).
        let hash = secret_hash.to_hex();
        let row: Option<SessionContextRow> = with_conn!(conn, |c| session_context_query!(hash)
            .load(c)
            .await
            .map(unique))
        .map_err(backend)?;
        row.map(|(session, contact, client, account, processor)| {
            Ok(SessionContext {
                session: PortalSession::try_from(session)?,
                contact: Contact::try_from(contact)?,
                client: Client::try_from(client)?,
                account: Account::try_from(account)?,
                processor: processor.map(ConnectionRecord::try_from).transpose()?,
            })
        })
        .transpose()
    }

    async fn session(
        &self,
        account: AccountId,
        id: SessionId,
    ) -> StoreResult<Option<PortalSession>> {
        let mut conn = self.read().await?;
        let row: Option<SessionRow> = with_conn!(conn, |c| sessions::table
            .filter(sessions::id.eq(Id(id.as_uuid())))
            .filter(sessions::account_id.eq(Id(account.as_uuid())))
            .select(SessionRow::as_select())
            .first(c)
            .await
            .optional())
        .map_err(backend)?;
        row.map(PortalSession::try_from).transpose()
    }

    async fn sessions(
        &self,
        account: AccountId,
        filter: SessionFilter,
        page: &PageRequest,
    ) -> StoreResult<Vec<PortalSession>> {
        let mut conn = self.read().await?;
        let rows: Vec<SessionRow> = with_conn!(conn, |c| {
            let mut query = sessions::table
                .filter(sessions::account_id.eq(Id(account.as_uuid())))
                .into_boxed();
            if let Some(client) = filter.client {
                query = query.filter(sessions::client_id.eq(Id(client.as_uuid())));
            }
            if let Some(contact) = filter.contact {
                query = query.filter(sessions::contact_id.eq(Id(contact.as_uuid())));
            }
            keyset!(query, page, sessions::created_at, sessions::id, desc)
                .select(SessionRow::as_select())
                .load(c)
                .await
        })
        .map_err(backend)?;
        convert(rows)
    }

    async fn touch_session(&self, id: SessionId, at: DateTime<Utc>) -> StoreResult<()> {
        let mut conn = self.write().await?;
        with_conn!(conn, |c| diesel::update(
            sessions::table.filter(sessions::id.eq(Id(id.as_uuid())))
        )
        .set(sessions::last_seen_at.eq(Time(at)))
        .execute(c)
        .await)
        .map_err(backend)?;
        Ok(())
    }

    async fn revoke_session(
        &self,
        id: SessionId,
        revocation: Revocation,
        audit: &AuditEvent,
    ) -> StoreResult<bool> {
        let audit = AuditRow::from(audit);
        let session = Id(id.as_uuid());
        let mut conn = self.write().await?;
        let outcome = with_conn!(conn, |c| {
            c.write_transaction::<_, Refusal, _>(async |c| {
                let ended = end_session!(c, session, Time(revocation.at), revocation.reason)?;
                if ended != 1 {
                    return Err(Refusal::Lost);
                }
                // A pending session's link must not outlive it.
                diesel::update(
                    magic_links::table
                        .filter(magic_links::session_id.eq(session))
                        .filter(magic_links::used_at.is_null())
                        .filter(magic_links::revoked_at.is_null()),
                )
                .set(magic_links::revoked_at.eq(Time(revocation.at)))
                .execute(c)
                .await?;
                diesel::insert_into(audit_events::table)
                    .values(&audit)
                    .execute(c)
                    .await?;
                Ok(())
            })
            .await
        });
        settle(outcome)
    }
}

/// What the redemption statement did (PostgreSQL).
#[derive(QueryableByName)]
struct Redeemed {
    /// The client's portal is open and the contact active, and both rows
    /// are share-locked.
    #[diesel(sql_type = Bool)]
    open: bool,
    /// This redemption used the link up.
    #[diesel(sql_type = Bool)]
    consumed: bool,
    /// The session was inserted, or the pending one activated.
    #[diesel(sql_type = Bool)]
    started: bool,
}

/// The steps of every redemption statement up to the session it starts;
/// see [`redemption_statement`]. Binds: client, contact, client, at, link,
/// at.
macro_rules! redemption_head {
    () => {
        "WITH open_client AS MATERIALIZED (\
             SELECT id FROM clients WHERE id = ? AND portal_enabled AND active \
             FOR SHARE), \
         active_contact AS MATERIALIZED (\
             SELECT id FROM contacts WHERE id = ? AND client_id = ? AND active \
             AND EXISTS (SELECT 1 FROM open_client) \
             FOR SHARE), \
         consumed AS (\
             UPDATE magic_links SET used_at = ? \
             WHERE id = ? AND used_at IS NULL AND revoked_at IS NULL AND expires_at > ? \
             AND EXISTS (SELECT 1 FROM active_contact) \
             RETURNING id), "
    };
}

/// The steps after the session starts, and what the statement answers.
/// Binds: at, the `replaced` reason, the old secret hash, the new session,
/// then the audit event's twelve columns.
macro_rules! redemption_tail {
    () => {
        "replaced AS (\
             UPDATE crm_client_portal_sessions SET revoked_at = ?, revoke_reason = ? \
             WHERE secret_hash = ? AND revoked_at IS NULL AND id <> ? \
             AND EXISTS (SELECT 1 FROM started)), \
         audited AS (\
             INSERT INTO audit_events (id, account_id, client_id, contact_id, session_id, \
             document_id, payment_id, action, ip, user_agent, occurred_at, detail) \
             SELECT ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ? FROM started) \
         SELECT EXISTS (SELECT 1 FROM active_contact) AS open, \
         EXISTS (SELECT 1 FROM consumed) AS consumed, \
         EXISTS (SELECT 1 FROM started) AS started"
    };
}

/// A redemption into a new session. Binds after the head: the session's
/// fourteen columns.
const REDEEM_INTO_NEW_SESSION: &str = concat!(
    redemption_head!(),
    "started AS (\
         INSERT INTO crm_client_portal_sessions (id, account_id, client_id, contact_id, \
         link_id, secret_hash, created_at, activated_at, expires_at, last_seen_at, \
         revoked_at, revoke_reason, ip, user_agent) \
         SELECT ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ? FROM consumed \
         RETURNING id), ",
    redemption_tail!(),
);

/// A redemption that activates the link's pending session. Binds after
/// the head: the six activation columns, then the session and the link.
const REDEEM_PENDING_SESSION: &str = concat!(
    redemption_head!(),
    "started AS (\
         UPDATE crm_client_portal_sessions SET secret_hash = ?, activated_at = ?, \
         expires_at = ?, last_seen_at = ?, ip = ?, user_agent = ? \
         WHERE id = ? AND link_id = ? AND activated_at IS NULL AND revoked_at IS NULL \
         AND EXISTS (SELECT 1 FROM consumed) \
         RETURNING id), ",
    redemption_tail!(),
);

/// The whole redemption as one PostgreSQL statement, run in a transaction
/// that rolls back unless every step applied. Its steps see one snapshot
/// and run in the order their dependencies give:
///
/// 1. `open_client` share-locks the client if its portal is open, then
///    `active_contact` the contact if it is active. Redemptions of one
///    client share these locks and do not wait for each other. Switching
///    the portal off and changing a client or contact update the client
///    row first (then the contact), which these locks exclude: a writer
///    that came first makes this refuse (locked rows are re-read at their
///    latest version, which is why the contact is locked too: a contact
///    deactivated while this waited is seen), one that comes later waits
///    for this to commit and then ends what it started. `FOR SHARE` it must
///    be: `FOR KEY SHARE` would not exclude those updates.
/// 2. `consumed` uses the link up if it is still unused, unrevoked and
///    unexpired: of concurrent redemptions of one link, one updates the
///    row, and the others wait for its row lock, re-check and update
///    nothing.
/// 3. `started` inserts the new session, or activates the pending one.
/// 4. `replaced` ends the browser's old session if it is another, live
///    one, and `audited` records the event.
///
/// The text depends only on whether a pending session is activated, so
/// each connection prepares each of the two once.
fn redemption_statement(r: &Redemption<'_>) -> CachedSql {
    let s = r.session;
    let at = Bind::Time(Time(r.at));
    let session = Bind::Id(Id(s.id.as_uuid()));
    let link = Bind::Id(Id(r.link_id.as_uuid()));
    let client = Bind::Id(Id(s.client_id.as_uuid()));
    let secret = Bind::Text(r.secret_hash.to_hex());
    let ip = |ip: Option<std::net::IpAddr>| Bind::OptionalText(ip.map(|ip| ip.to_string()));
    let mut binds = vec![
        client.clone(),
        Bind::Id(Id(s.contact_id.as_uuid())),
        client.clone(),
        at.clone(),
        link.clone(),
        at.clone(),
    ];
    let sql = if r.activates_pending {
        binds.extend([
            secret,
            Bind::OptionalTime(s.activated_at.map(Time)),
            Bind::Time(Time(s.expires_at)),
            Bind::OptionalTime(s.last_seen_at.map(Time)),
            ip(s.ip),
            Bind::OptionalText(s.user_agent.clone()),
            session.clone(),
            link,
        ]);
        REDEEM_PENDING_SESSION
    } else {
        binds.extend([
            session.clone(),
            Bind::Id(Id(s.account_id.as_uuid())),
            client,
            Bind::Id(Id(s.contact_id.as_uuid())),
            link,
            secret,
            Bind::Time(Time(s.created_at)),
            Bind::OptionalTime(s.activated_at.map(Time)),
            Bind::Time(Time(s.expires_at)),
            Bind::OptionalTime(s.last_seen_at.map(Time)),
            Bind::OptionalTime(s.revoked_at.map(Time)),
            Bind::OptionalText(s.revoke_reason.map(|why| why.as_str().to_owned())),
            ip(s.ip),
            Bind::OptionalText(s.user_agent.clone()),
        ]);
        REDEEM_INTO_NEW_SESSION
    };
    let e = r.audit;
    let id = |id: Option<uuid::Uuid>| Bind::OptionalId(id.map(Id));
    binds.extend([
        at,
        Bind::Text(RevokeReason::Replaced.as_str().to_owned()),
        Bind::OptionalText(r.replaces.as_ref().map(TokenHash::to_hex)),
        session,
        Bind::Id(Id(e.id.as_uuid())),
        Bind::Id(Id(e.account_id.as_uuid())),
        Bind::Id(Id(e.client_id.as_uuid())),
        id(e.contact_id.map(|c| c.as_uuid())),
        id(e.session_id.map(|s| s.as_uuid())),
        id(e.document_id.map(|d| d.as_uuid())),
        id(e.payment_id.map(|p| p.as_uuid())),
        Bind::Text(e.action.as_str().to_owned()),
        ip(e.ip),
        Bind::OptionalText(e.user_agent.clone()),
        Bind::Time(Time(e.occurred_at)),
        Bind::OptionalText(e.detail.clone()),
    ]);
    CachedSql::new(sql, binds)
}

/// The redemption on SQLite, one step at a time in a transaction on the
/// one writer connection, which no other write can interleave with.
async fn redeem_on_sqlite(c: &mut SqliteConn, r: &Redemption<'_>) -> Result<(), Refusal> {
    let at = Time(r.at);
    let link = Id(r.link_id.as_uuid());
    let session_id = Id(r.session.id.as_uuid());
    let new_session = SessionRow::new(r.session, Some(&r.secret_hash));
    let activation = ActivationRow::new(r.session, &r.secret_hash);
    let replaces = r.replaces.as_ref().map(TokenHash::to_hex);
    let audit = AuditRow::from(r.audit);
    let client = Id(r.session.client_id.as_uuid());
    let contact = Id(r.session.contact_id.as_uuid());
    let activates_pending = r.activates_pending;
    c.write_transaction::<_, Refusal, _>(async |c| {
        lock_open_client!(c, client);
        require_active_contact!(c, contact, None::<&str>);
        let consumed = diesel::update(
            magic_links::table
                .filter(magic_links::id.eq(link))
                .filter(magic_links::used_at.is_null())
                .filter(magic_links::revoked_at.is_null())
                .filter(magic_links::expires_at.gt(at)),
        )
        .set(magic_links::used_at.eq(at))
        .execute(c)
        .await?;
        if consumed != 1 {
            return Err(Refusal::Lost);
        }
        if activates_pending {
            let activated = diesel::update(
                sessions::table
                    .filter(sessions::id.eq(session_id))
                    .filter(sessions::link_id.eq(link))
                    .filter(sessions::activated_at.is_null())
                    .filter(sessions::revoked_at.is_null()),
            )
            .set(&activation)
            .execute(c)
            .await?;
            if activated != 1 {
                return Err(Refusal::Lost);
            }
        } else {
            diesel::insert_into(sessions::table)
                .values(&new_session)
                .execute(c)
                .await?;
        }
        if let Some(old) = replaces {
            diesel::update(
                sessions::table
                    .filter(sessions::secret_hash.eq(old))
                    .filter(sessions::revoked_at.is_null())
                    .filter(sessions::id.ne(session_id)),
            )
            .set((
                sessions::revoked_at.eq(at),
                sessions::revoke_reason.eq(RevokeReason::Replaced.as_str()),
            ))
            .execute(c)
            .await?;
        }
        diesel::insert_into(audit_events::table)
            .values(&audit)
            .execute(c)
            .await?;
        Ok(())
    })
    .await
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};

    use chrono::Duration;
    use diesel::connection::InstrumentationEvent;
    use diesel_async::AsyncConnection;
    use portal_domain::testing::SeededRandom;
    use portal_domain::{
        AccountId, AuditAction, AuditEvent, AuditEventId, ClientId, ClientInfo, ContactId,
        LinkPurpose, Token,
    };
    use portal_test_support::TestPostgres;

    use super::*;
    use crate::DatabaseUrl;

    /// A redemption of a link nobody stored, for a client nobody stored:
    /// it runs the whole statement and applies nothing.
    fn nowhere(random: &SeededRandom) -> (PortalSession, AuditEvent, LinkId) {
        let now = Utc::now();
        let link = MagicLink {
            id: LinkId::generate(random),
            account_id: AccountId::generate(random),
            client_id: ClientId::generate(random),
            contact_id: ContactId::generate(random),
            document_id: None,
            session_id: None,
            token_hash: Token::generate(random).hash(),
            purpose: LinkPurpose::DocumentSent,
            created_at: now,
            expires_at: now + Duration::days(1),
            used_at: None,
            revoked_at: None,
        };
        let session = PortalSession::pending(SessionId::generate(random), &link, now).activate(
            now,
            Duration::days(7),
            &ClientInfo::default(),
        );
        let audit = AuditEvent {
            id: AuditEventId::generate(random),
            account_id: link.account_id,
            client_id: link.client_id,
            contact_id: Some(link.contact_id),
            session_id: Some(session.id),
            document_id: None,
            payment_id: None,
            action: AuditAction::SessionStarted,
            ip: "203.0.113.9".parse().ok(),
            user_agent: Some("tests".into()),
            occurred_at: now,
            detail: None,
        };
        (session, audit, link.id)
    }

    #[tokio::test(flavor = "multi_thread")]
    async fn each_shape_of_the_redemption_statement_is_prepared_once_per_connection() {
        let Some(server) = TestPostgres::create_or_skip("redemption-statement").await else {
            return;
        };
        let url = DatabaseUrl::Postgres(server.url().to_owned());
        let db = Database::open(&url).await.expect("migrate");
        let mut conn = AsyncPgConnection::establish(server.url()).await.unwrap();
        let prepared = Arc::new(AtomicUsize::new(0));
        let counter = Arc::clone(&prepared);
        conn.set_instrumentation(move |event: InstrumentationEvent<'_>| {
            if let InstrumentationEvent::CacheQuery { .. } = event {
                counter.fetch_add(1, Ordering::Relaxed);
            }
        });
        let random = SeededRandom::new(5);
        for round in 0..3 {
            for activates_pending in [false, true] {
                let (session, audit, link_id) = nowhere(&random);
                let statement = redemption_statement(&Redemption {
                    link_id,
                    at: session.created_at,
                    session: &session,
                    activates_pending,
                    secret_hash: Token::generate(&random).hash(),
                    replaces: (round % 2 == 0).then(|| Token::generate(&random).hash()),
                    audit: &audit,
                });
                let done: Redeemed = statement.get_result(&mut conn).await.unwrap();
                assert!(!done.open && !done.consumed && !done.started);
            }
        }
        assert_eq!(
            AtomicUsize::load(&prepared, Ordering::Relaxed),
            2,
            "one prepared statement per shape, reused after"
        );
        drop(conn);
        drop(db);
    }
}
