//! Idempotency keys: who holds a key, and the answers kept for replay.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use portal_domain::ports::{IdempotencyStore, StoreError, StoreResult};
use portal_domain::{AccountId, IdempotencyKey, IdempotencyRecord, StoredResponse};

use crate::Database;
use crate::database::{backend, with_conn};
use crate::rows::IdempotencyRow;
use crate::schema::idempotency_keys as keys;
use crate::sql_types::{Id, Time};
use crate::write_transaction::WriteTransaction;

/// How often a start is tried when the record it found vanished before it
/// could be read (its request was abandoned meanwhile).
const BEGIN_ATTEMPTS: usize = 3;

#[async_trait]
impl IdempotencyStore for Database {
    async fn begin_request(
        &self,
        record: &IdempotencyRecord,
        now: DateTime<Utc>,
    ) -> StoreResult<Option<IdempotencyRecord>> {
        let row = IdempotencyRow::from(record);
        let (account, key, now) = (
            Id(record.account_id.as_uuid()),
            record.key.as_str().to_owned(),
            Time(now),
        );
        let mut conn = self.write().await?;
        for _ in 0..BEGIN_ATTEMPTS {
            let held: Option<Option<IdempotencyRow>> = with_conn!(conn, |c| {
                c.write_transaction::<_, diesel::result::Error, _>(async |c| {
                    // A key nobody holds: the insert decides between
                    // concurrent starts (the others wait on the key's
                    // index entry, then insert nothing).
                    let inserted = diesel::insert_into(keys::table)
                        .values(&row)
                        .on_conflict((keys::account_id, keys::key))
                        .do_nothing()
                        .execute(c)
                        .await?;
                    if inserted == 1 {
                        return Ok(Some(None));
                    }
                    // A stale record: taking it over is conditional, so of
                    // concurrent takeovers one wins.
                    let taken = diesel::update(
                        keys::table
                            .filter(keys::account_id.eq(account))
                            .filter(keys::key.eq(&key))
                            .filter(
                                keys::expires_at
                                    .le(now)
                                    .or(keys::claim.is_not_null().and(keys::lease_until.le(now))),
                            ),
                    )
                    .set(&row)
                    .execute(c)
                    .await?;
                    if taken == 1 {
                        return Ok(Some(None));
                    }
                    let existing: Option<IdempotencyRow> = keys::table
                        .filter(keys::account_id.eq(account))
                        .filter(keys::key.eq(&key))
                        .select(IdempotencyRow::as_select())
                        .first(c)
                        .await
                        .optional()?;
                    Ok(existing.map(Some))
                })
                .await
            })
            .map_err(backend)?;
            match held {
                Some(None) => return Ok(None),
                Some(Some(existing)) => return IdempotencyRecord::try_from(existing).map(Some),
                None => {}
            }
        }
        Err(StoreError::Backend(
            "the idempotency key kept changing hands".into(),
        ))
    }

    async fn finish_request(
        &self,
        account: AccountId,
        key: &IdempotencyKey,
        claim: uuid::Uuid,
        response: &StoredResponse,
        expires_at: DateTime<Utc>,
    ) -> StoreResult<()> {
        let none: (Option<Id>, Option<Time>) = (None, None);
        let mut conn = self.write().await?;
        with_conn!(conn, |c| diesel::update(
            keys::table
                .filter(keys::account_id.eq(Id(account.as_uuid())))
                .filter(keys::key.eq(key.as_str()))
                .filter(keys::claim.eq(Id(claim)))
        )
        .set((
            keys::claim.eq(none.0),
            keys::lease_until.eq(none.1),
            keys::response_status.eq(i32::from(response.status)),
            keys::response_content_type.eq(&response.content_type),
            keys::response_body.eq(&response.sealed_body),
            keys::expires_at.eq(Time(expires_at)),
        ))
        .execute(c)
        .await)
        .map_err(backend)?;
        Ok(())
    }

    async fn abandon_request(
        &self,
        account: AccountId,
        key: &IdempotencyKey,
        claim: uuid::Uuid,
    ) -> StoreResult<()> {
        let mut conn = self.write().await?;
        with_conn!(conn, |c| diesel::delete(
            keys::table
                .filter(keys::account_id.eq(Id(account.as_uuid())))
                .filter(keys::key.eq(key.as_str()))
                .filter(keys::claim.eq(Id(claim)))
        )
        .execute(c)
        .await)
        .map_err(backend)?;
        Ok(())
    }

    async fn idempotency_record(
        &self,
        account: AccountId,
        key: &IdempotencyKey,
    ) -> StoreResult<Option<IdempotencyRecord>> {
        let mut conn = self.read().await?;
        let row: Option<IdempotencyRow> = with_conn!(conn, |c| keys::table
            .filter(keys::account_id.eq(Id(account.as_uuid())))
            .filter(keys::key.eq(key.as_str()))
            .select(IdempotencyRow::as_select())
            .first(c)
            .await
            .optional())
        .map_err(backend)?;
        row.map(IdempotencyRecord::try_from).transpose()
    }

    async fn forget_expired_requests(&self, now: DateTime<Utc>) -> StoreResult<u64> {
        let mut conn = self.write().await?;
        let deleted = with_conn!(conn, |c| diesel::delete(
            keys::table.filter(keys::expires_at.le(Time(now)))
        )
        .execute(c)
        .await)
        .map_err(backend)?;
        Ok(deleted as u64)
    }
}
