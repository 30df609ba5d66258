//! Requests for a fresh link, counted for rate limiting.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use portal_domain::ports::{LinkRequestStore, StoreResult};
use portal_domain::{LinkRequest, LinkRequestCounts, LinkRequestPolicy, OutboxMessage};

use super::insert_outbox;
use crate::Database;
use crate::database::{Conn, backend, with_conn};
use crate::rows::{LinkRequestRow, OutboxRow};
use crate::schema::link_requests;
use crate::sql_types::Time;
use crate::write_transaction::WriteTransaction;

/// The advisory lock that serialises link requests on PostgreSQL.
const LINK_REQUEST_LOCK: i64 = 0x6c69_6e6b_7271; // "linkrq"

#[async_trait]
impl LinkRequestStore for Database {
    async fn record_link_request(
        &self,
        request: &LinkRequest,
        since: DateTime<Utc>,
        forget_before: DateTime<Utc>,
        policy: LinkRequestPolicy,
        fulfil: Option<&OutboxMessage>,
    ) -> StoreResult<LinkRequestCounts> {
        let row = LinkRequestRow::from(request);
        let job = fulfil.map(OutboxRow::new);
        let ip = request.ip.map(|ip| ip.to_string());
        let email = request.email.to_string();
        let mut conn = self.write().await?;
        // SQLite runs one writer at a time; on PostgreSQL concurrent
        // requests would each count before seeing the others' rows, so they
        // queue on a transaction lock first. They are rare and cheap.
        let serialise = matches!(conn, Conn::Postgres(_));
        let counts = with_conn!(conn, |c| {
            c.write_transaction::<_, diesel::result::Error, _>(async |c| {
                if serialise {
                    diesel::sql_query(format!("SELECT pg_advisory_xact_lock({LINK_REQUEST_LOCK})"))
                        .execute(c)
                        .await?;
                }
                diesel::delete(
                    link_requests::table
                        .filter(link_requests::requested_at.lt(Time(forget_before))),
                )
                .execute(c)
                .await?;
                diesel::insert_into(link_requests::table)
                    .values(&row)
                    .execute(c)
                    .await?;
                let recent =
                    link_requests::table.filter(link_requests::requested_at.gt(Time(since)));
                let from_ip: i64 = match &ip {
                    Some(ip) => {
                        recent
                            .filter(link_requests::ip.eq(ip))
                            .count()
                            .get_result(c)
                            .await?
                    }
                    None => {
                        recent
                            .filter(link_requests::ip.is_null())
                            .count()
                            .get_result(c)
                            .await?
                    }
                };
                let for_email: i64 = recent
                    .filter(link_requests::email.eq(&email))
                    .count()
                    .get_result(c)
                    .await?;
                let counts = LinkRequestCounts {
                    from_ip: from_ip.unsigned_abs(),
                    for_email: for_email.unsigned_abs(),
                };
                // Within the limits, the request is fulfilled later, by
                // the outbox, so this answer takes as long either way.
                if let Some((job, payload)) = &job
                    && policy.allows(counts)
                {
                    insert_outbox!(c, job, payload);
                }
                Ok(counts)
            })
            .await
        })
        .map_err(backend)?;
        Ok(counts)
    }
}
