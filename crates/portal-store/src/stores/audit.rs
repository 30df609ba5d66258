//! The audit trail.

use async_trait::async_trait;
use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use portal_domain::ports::{AuditStore, StoreResult};
use portal_domain::{AccountId, AuditEvent, ClientId, PageRequest, SessionId};

use super::keyset;
use crate::Database;
use crate::database::{backend, with_conn};
use crate::rows::{AuditRow, convert};
use crate::schema::audit_events;
use crate::sql_types::Id;

#[async_trait]
impl AuditStore for Database {
    async fn record(&self, event: &AuditEvent) -> StoreResult<()> {
        let row = AuditRow::from(event);
        let mut conn = self.write().await?;
        with_conn!(conn, |c| diesel::insert_into(audit_events::table)
            .values(&row)
            .execute(c)
            .await)
        .map_err(backend)?;
        Ok(())
    }

    async fn session_events(
        &self,
        account: AccountId,
        session: SessionId,
    ) -> StoreResult<Vec<AuditEvent>> {
        let mut conn = self.read().await?;
        let rows: Vec<AuditRow> = with_conn!(conn, |c| audit_events::table
            .filter(audit_events::account_id.eq(Id(account.as_uuid())))
            .filter(audit_events::session_id.eq(Id(session.as_uuid())))
            .order((audit_events::occurred_at.asc(), audit_events::seq.asc()))
            .select(AuditRow::as_select())
            .load(c)
            .await)
        .map_err(backend)?;
        convert(rows)
    }

    async fn client_events(
        &self,
        account: AccountId,
        client: ClientId,
        page: &PageRequest,
    ) -> StoreResult<Vec<AuditEvent>> {
        let mut conn = self.read().await?;
        let rows: Vec<AuditRow> = with_conn!(conn, |c| keyset!(
            audit_events::table
                .filter(audit_events::account_id.eq(Id(account.as_uuid())))
                .filter(audit_events::client_id.eq(Id(client.as_uuid())))
                .into_boxed(),
            page,
            audit_events::occurred_at,
            audit_events::id,
            desc
        )
        .select(AuditRow::as_select())
        .load(c)
        .await)
        .map_err(backend)?;
        convert(rows)
    }
}
