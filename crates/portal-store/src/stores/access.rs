//! Magic links and portal sessions, including the atomic redemption.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncConnection, RunQueryDsl};
use portal_domain::ports::{
    AccessStore, ConnectionRecord, Redemption, Revocation, SessionContext, SessionFilter,
    StoreResult,
};
use portal_domain::{
    Account, AccountId, AuditEvent, Client, Contact, LinkId, MagicLink, PageRequest, PortalSession,
    RevokeReason, SessionId, TokenHash,
};

use super::{
    Refusal, keyset, lock_open_client, require_active_contact, session_context_query, settle,
};
use crate::Database;
use crate::database::{backend, with_conn};
use crate::rows::{
    AccountRow, ActivationRow, AuditRow, ClientRow, ConnectionRow, ContactRow, LinkRow, SessionRow,
    convert,
};
use crate::schema::{audit_events, crm_client_portal_sessions as sessions, magic_links};
use crate::sql_types::{Id, Time};

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
            .first(c)
            .await
            .optional())
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

    async fn redeem_link(&self, r: Redemption<'_>) -> StoreResult<bool> {
        let at = Time(r.at);
        let link = Id(r.link_id.as_uuid());
        let session_id = Id(r.session.id.as_uuid());
        let new_session = SessionRow::new(r.session, Some(&r.secret_hash));
        let activation = ActivationRow::new(r.session, &r.secret_hash);
        let replaces = r.replaces.map(|id| Id(id.as_uuid()));
        let audit = AuditRow::from(r.audit);
        let activates_pending = r.activates_pending;
        let client = Id(r.session.client_id.as_uuid());
        let contact = Id(r.session.contact_id.as_uuid());
        let mut conn = self.write().await?;
        let outcome = with_conn!(conn, |c| {
            c.transaction::<_, Refusal, _>(async |c| {
                // A portal being closed right now either finished first
                // (then this refuses) or waits for this to commit (then it
                // revokes the session this creates).
                lock_open_client!(c, client);
                require_active_contact!(c, contact, None::<&str>);
                // The race is decided here: only one transaction can move
                // used_at from NULL; on PostgreSQL the others wait for the
                // row lock, re-check the condition and update nothing.
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
                    end_session!(c, old, at, RevokeReason::Replaced)?;
                }
                diesel::insert_into(audit_events::table)
                    .values(&audit)
                    .execute(c)
                    .await?;
                Ok(())
            })
            .await
        });
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
            .first(c)
            .await
            .optional())
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
            c.transaction::<_, Refusal, _>(async |c| {
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
