//! Requests for a fresh link, counted for rate limiting.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncConnection, RunQueryDsl};
use portal_domain::ports::{LinkRequestStore, StoreResult};
use portal_domain::{LinkRequest, LinkRequestCounts};

use crate::Database;
use crate::database::{backend, with_conn};
use crate::rows::LinkRequestRow;
use crate::schema::link_requests;
use crate::sql_types::Time;

#[async_trait]
impl LinkRequestStore for Database {
    async fn record_link_request(
        &self,
        request: &LinkRequest,
        since: DateTime<Utc>,
        forget_before: DateTime<Utc>,
    ) -> StoreResult<LinkRequestCounts> {
        let row = LinkRequestRow::from(request);
        let ip = request.ip.map(|ip| ip.to_string());
        let email = request.email.to_string();
        let mut conn = self.conn().await?;
        let (from_ip, for_email): (i64, i64) = with_conn!(conn, |c| {
            c.transaction::<_, diesel::result::Error, _>(async |c| {
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
                let from_ip = match &ip {
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
                let for_email = recent
                    .filter(link_requests::email.eq(&email))
                    .count()
                    .get_result(c)
                    .await?;
                Ok((from_ip, for_email))
            })
            .await
        })
        .map_err(backend)?;
        Ok(LinkRequestCounts {
            from_ip: from_ip.unsigned_abs(),
            for_email: for_email.unsigned_abs(),
        })
    }
}
