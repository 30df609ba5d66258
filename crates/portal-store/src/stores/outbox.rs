//! The outbox: claiming what is due under a lease, settling deliveries,
//! listing, retrying and counting.

use std::collections::HashMap;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use portal_domain::ports::{OutboxStore, StoreResult};
use portal_domain::{
    AccountId, ClaimToken, Delivery, OutboxId, OutboxMessage, OutboxStatus, PageRequest,
};

use super::{IDS_PER_QUERY, Refusal, keyset, settle};
use crate::Database;
use crate::database::{Conn, SqliteConn, backend, with_conn};
use crate::rows::{AttachmentRow, EmailRow, OutboxParts, OutboxRow, RequestRow, outbox_message};
use crate::schema::{magic_links, outbox, outbox_attachments, outbox_emails, outbox_link_requests};
use crate::sql_types::{Id, Time};
use crate::write_transaction::WriteTransaction;

/// The ids of up to `$limit` items due at `$now`, oldest due first:
/// pending or failed ones whose time has come, and claimed ones whose
/// lease ran out.
macro_rules! due {
    ($now:expr, $limit:expr) => {
        outbox::table
            .filter(
                outbox::status
                    .eq_any([
                        OutboxStatus::Pending.as_str(),
                        OutboxStatus::Failed.as_str(),
                    ])
                    .and(outbox::next_attempt_at.le($now))
                    .or(outbox::status.eq(OutboxStatus::Sending.as_str()).and(
                        outbox::lease_until
                            .le($now)
                            .or(outbox::lease_until.is_null()),
                    )),
            )
            .order((outbox::next_attempt_at, outbox::created_at, outbox::id))
            .limit($limit)
            .select(outbox::id)
    };
}

/// Puts the items `$ids` under `$claim` until `$lease`, counting an
/// attempt on each, and evaluates to their rows.
macro_rules! take {
    ($c:expr, $ids:expr, $claim:expr, $lease:expr) => {{
        diesel::update(outbox::table.filter(outbox::id.eq_any($ids)))
            .set((
                outbox::status.eq(OutboxStatus::Sending.as_str()),
                outbox::attempts.eq(outbox::attempts + 1),
                outbox::claim_token.eq($claim),
                outbox::lease_until.eq($lease),
            ))
            .execute($c)
            .await?;
        outbox::table
            .filter(outbox::id.eq_any($ids))
            .select(OutboxRow::as_select())
            .load::<OutboxRow>($c)
            .await?
    }};
}

impl Database {
    /// Reads what the items of `rows` do and assembles them, in order.
    pub(super) async fn assemble_outbox(
        conn: &mut Conn,
        rows: Vec<OutboxRow>,
    ) -> StoreResult<Vec<OutboxMessage>> {
        let ids: Vec<Id> = rows.iter().map(|r| r.id).collect();
        let mut emails: HashMap<uuid::Uuid, EmailRow> = HashMap::new();
        let mut requests: HashMap<uuid::Uuid, RequestRow> = HashMap::new();
        let mut attachments: HashMap<uuid::Uuid, Vec<AttachmentRow>> = HashMap::new();
        for chunk in ids.chunks(IDS_PER_QUERY) {
            let (mail, asked, attached): (Vec<EmailRow>, Vec<RequestRow>, Vec<AttachmentRow>) =
                with_conn!(*conn, |c| async {
                    let mail = outbox_emails::table
                        .filter(outbox_emails::outbox_id.eq_any(chunk))
                        .select(EmailRow::as_select())
                        .load(c)
                        .await?;
                    let asked = outbox_link_requests::table
                        .filter(outbox_link_requests::outbox_id.eq_any(chunk))
                        .select(RequestRow::as_select())
                        .load(c)
                        .await?;
                    let attached = outbox_attachments::table
                        .filter(outbox_attachments::outbox_id.eq_any(chunk))
                        .order((outbox_attachments::outbox_id, outbox_attachments::position))
                        .select(AttachmentRow::as_select())
                        .load(c)
                        .await?;
                    Ok::<_, diesel::result::Error>((mail, asked, attached))
                }
                .await)
                .map_err(backend)?;
            emails.extend(mail.into_iter().map(|e| (e.outbox_id.0, e)));
            requests.extend(asked.into_iter().map(|q| (q.outbox_id.0, q)));
            for row in attached {
                attachments.entry(row.outbox_id.0).or_default().push(row);
            }
        }
        rows.into_iter()
            .map(|item| {
                let id = item.id.0;
                outbox_message(OutboxParts {
                    item,
                    email: emails.remove(&id),
                    request: requests.remove(&id),
                    attachments: attachments.remove(&id).unwrap_or_default(),
                })
            })
            .collect()
    }
}

#[async_trait]
impl OutboxStore for Database {
    async fn claim_outbox(
        &self,
        claim: ClaimToken,
        now: DateTime<Utc>,
        lease_until: DateTime<Utc>,
        limit: u32,
    ) -> StoreResult<Vec<OutboxMessage>> {
        let (now, lease, token) = (Time(now), Time(lease_until), Id(claim.0));
        let limit = i64::from(limit);
        let mut conn = self.write().await?;
        let (ids, rows): (Vec<Id>, Vec<OutboxRow>) = match &mut conn {
            // Concurrent claimers skip the rows another claim is taking,
            // and re-check the due condition on rows that changed while
            // they looked: no item is claimed twice while a lease holds.
            Conn::Postgres(pooled) => {
                let c: &mut AsyncPgConnection = &mut *pooled;
                c.write_transaction::<_, diesel::result::Error, _>(async |c| {
                    let ids: Vec<Id> = due!(now, limit).for_update().skip_locked().load(c).await?;
                    let rows = take!(c, &ids, token, lease);
                    Ok((ids, rows))
                })
                .await
            }
            // One writer at a time: the transaction alone decides.
            Conn::Sqlite(pooled) => {
                let c: &mut SqliteConn = &mut *pooled;
                c.write_transaction::<_, diesel::result::Error, _>(async |c| {
                    let ids: Vec<Id> = due!(now, limit).load(c).await?;
                    let rows = take!(c, &ids, token, lease);
                    Ok((ids, rows))
                })
                .await
            }
        }
        .map_err(backend)?;
        let mut by_id: HashMap<uuid::Uuid, OutboxRow> =
            rows.into_iter().map(|r| (r.id.0, r)).collect();
        let ordered = ids.iter().filter_map(|id| by_id.remove(&id.0)).collect();
        Self::assemble_outbox(&mut conn, ordered).await
    }

    async fn settle_outbox(
        &self,
        id: OutboxId,
        claim: ClaimToken,
        outcome: &Delivery,
    ) -> StoreResult<bool> {
        let (id, token) = (Id(id.as_uuid()), Id(claim.0));
        let no_claim: (Option<Id>, Option<Time>) = (None, None);
        let mut conn = self.write().await?;
        let outcome = with_conn!(conn, |c| {
            c.write_transaction::<_, Refusal, _>(async |c| {
                let held = outbox::table
                    .filter(outbox::id.eq(id))
                    .filter(outbox::status.eq(OutboxStatus::Sending.as_str()))
                    .filter(outbox::claim_token.eq(token));
                let released = (
                    outbox::claim_token.eq(no_claim.0),
                    outbox::lease_until.eq(no_claim.1),
                );
                let written = match outcome {
                    Delivery::Sent { at } => {
                        diesel::update(held)
                            .set((
                                outbox::status.eq(OutboxStatus::Sent.as_str()),
                                outbox::sent_at.eq(Time(*at)),
                                released,
                            ))
                            .execute(c)
                            .await?
                    }
                    Delivery::Failed {
                        error, retry_at, ..
                    } => {
                        diesel::update(held)
                            .set((
                                outbox::status.eq(OutboxStatus::Failed.as_str()),
                                outbox::next_attempt_at.eq(Time(*retry_at)),
                                outbox::last_error.eq(error),
                                released,
                            ))
                            .execute(c)
                            .await?
                    }
                    Delivery::Dead { error, .. } => {
                        diesel::update(held)
                            .set((
                                outbox::status.eq(OutboxStatus::Dead.as_str()),
                                outbox::last_error.eq(error),
                                released,
                            ))
                            .execute(c)
                            .await?
                    }
                };
                if written != 1 {
                    return Err(Refusal::Lost);
                }
                // No unused link outlives the email that never went.
                if let Delivery::Dead {
                    at,
                    revoke_link: Some(link),
                    ..
                } = outcome
                {
                    diesel::update(
                        magic_links::table
                            .filter(magic_links::id.eq(Id(link.as_uuid())))
                            .filter(magic_links::used_at.is_null())
                            .filter(magic_links::revoked_at.is_null()),
                    )
                    .set(magic_links::revoked_at.eq(Time(*at)))
                    .execute(c)
                    .await?;
                }
                Ok(())
            })
            .await
        });
        settle(outcome)
    }

    async fn outbox_message(
        &self,
        account: AccountId,
        id: OutboxId,
    ) -> StoreResult<Option<OutboxMessage>> {
        let mut conn = self.read().await?;
        let rows: Vec<OutboxRow> = with_conn!(conn, |c| outbox::table
            .filter(outbox::id.eq(Id(id.as_uuid())))
            .filter(outbox::account_id.eq(Id(account.as_uuid())))
            .select(OutboxRow::as_select())
            .load(c)
            .await)
        .map_err(backend)?;
        Ok(Self::assemble_outbox(&mut conn, rows).await?.pop())
    }

    async fn outbox(
        &self,
        account: AccountId,
        status: Option<OutboxStatus>,
        page: &PageRequest,
    ) -> StoreResult<Vec<OutboxMessage>> {
        let mut conn = self.read().await?;
        let rows: Vec<OutboxRow> = with_conn!(conn, |c| {
            let mut query = outbox::table
                .filter(outbox::account_id.eq(Id(account.as_uuid())))
                .into_boxed();
            if let Some(status) = status {
                query = query.filter(outbox::status.eq(status.as_str()));
            }
            keyset!(query, page, outbox::created_at, outbox::id, desc)
                .select(OutboxRow::as_select())
                .load(c)
                .await
        })
        .map_err(backend)?;
        Self::assemble_outbox(&mut conn, rows).await
    }

    async fn forget_sent(&self, before: DateTime<Utc>) -> StoreResult<u64> {
        let mut conn = self.write().await?;
        // What the item did goes with it (ON DELETE CASCADE).
        let deleted = with_conn!(conn, |c| diesel::delete(
            outbox::table
                .filter(outbox::status.eq(OutboxStatus::Sent.as_str()))
                .filter(outbox::sent_at.lt(Time(before)))
        )
        .execute(c)
        .await)
        .map_err(backend)?;
        Ok(deleted as u64)
    }

    async fn outbox_backlog(&self) -> StoreResult<Vec<(OutboxStatus, u64)>> {
        let mut conn = self.read().await?;
        let counts: Vec<(String, i64)> = with_conn!(conn, |c| outbox::table
            .group_by(outbox::status)
            .select((outbox::status, diesel::dsl::count_star()))
            .load(c)
            .await)
        .map_err(backend)?;
        Ok(OutboxStatus::ALL
            .into_iter()
            .map(|status| {
                let count = counts
                    .iter()
                    .find(|(s, _)| s == status.as_str())
                    .map_or(0, |(_, n)| n.unsigned_abs());
                (status, count)
            })
            .collect())
    }
}
