//! Accounts and API keys.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use portal_domain::ports::{AccountStore, KeyRevocation, StoreResult};
use portal_domain::{Account, AccountId, ApiKeyId, ApiKeyRecord, PageRequest, TokenHash};

use super::{Refusal, keyset, lock_row};
use crate::Database;
use crate::database::{backend, with_conn};
use crate::rows::{AccountRow, ApiKeyRow, convert};
use crate::schema::{accounts, api_keys};
use crate::sql_types::{Id, Time};
use crate::write_transaction::WriteTransaction;

#[async_trait]
impl AccountStore for Database {
    async fn insert_account(&self, account: &Account, key: &ApiKeyRecord) -> StoreResult<()> {
        let row = AccountRow::from(account);
        let key = ApiKeyRow::from(key);
        let mut conn = self.write().await?;
        with_conn!(conn, |c| {
            c.write_transaction::<_, diesel::result::Error, _>(async |c| {
                diesel::insert_into(accounts::table)
                    .values(&row)
                    .execute(c)
                    .await?;
                diesel::insert_into(api_keys::table)
                    .values(&key)
                    .execute(c)
                    .await?;
                Ok(())
            })
            .await
        })
        .map_err(backend)
    }

    async fn account(&self, id: AccountId) -> StoreResult<Option<Account>> {
        let mut conn = self.read().await?;
        let row: Option<AccountRow> = with_conn!(conn, |c| accounts::table
            .find(Id(id.as_uuid()))
            .select(AccountRow::as_select())
            .first(c)
            .await
            .optional())
        .map_err(backend)?;
        row.map(Account::try_from).transpose()
    }

    async fn account_by_api_key(&self, key_hash: &TokenHash) -> StoreResult<Option<Account>> {
        let mut conn = self.read().await?;
        let row: Option<AccountRow> = with_conn!(conn, |c| accounts::table
            .inner_join(api_keys::table.on(api_keys::account_id.eq(accounts::id)))
            .filter(api_keys::key_hash.eq(key_hash.to_hex()))
            .filter(api_keys::revoked_at.is_null())
            .select(AccountRow::as_select())
            .first(c)
            .await
            .optional())
        .map_err(backend)?;
        row.map(Account::try_from).transpose()
    }

    async fn update_account(&self, current: &Account, next: &Account) -> StoreResult<bool> {
        let row = AccountRow::from(next);
        // The stored row must still be what the caller read: every column
        // `current` came from, compared as the row would store it.
        let seen = AccountRow::from(current);
        let mut conn = self.write().await?;
        let written = with_conn!(conn, |c| {
            // Boxed, so each nullable column is compared as `IS NULL` or
            // `=` as the case may be; built once per backend.
            let mut target = diesel::update(accounts::table)
                .filter(accounts::id.eq(seen.id))
                .filter(accounts::name.eq(&seen.name))
                .filter(accounts::session_lifetime_seconds.eq(seen.session_lifetime_seconds))
                .filter(accounts::idle_timeout_seconds.eq(seen.idle_timeout_seconds))
                .filter(accounts::link_lifetime_seconds.eq(seen.link_lifetime_seconds))
                .filter(accounts::time_zone.eq(&seen.time_zone))
                .filter(accounts::allow_partial_payments.eq(seen.allow_partial_payments))
                .filter(accounts::accent_colour.eq(&seen.accent_colour))
                .into_boxed();
            target = match &seen.public_url {
                Some(url) => target.filter(accounts::public_url.eq(url)),
                None => target.filter(accounts::public_url.is_null()),
            };
            target = match &seen.address {
                Some(address) => target.filter(accounts::address.eq(address)),
                None => target.filter(accounts::address.is_null()),
            };
            target = match &seen.payment_instructions {
                Some(text) => target.filter(accounts::payment_instructions.eq(text)),
                None => target.filter(accounts::payment_instructions.is_null()),
            };
            target.set(&row).execute(c).await
        })
        .map_err(backend)?;
        Ok(written == 1)
    }

    async fn account_count(&self) -> StoreResult<u64> {
        let mut conn = self.read().await?;
        let count: i64 =
            with_conn!(conn, |c| accounts::table.count().get_result(c).await).map_err(backend)?;
        Ok(count.unsigned_abs())
    }

    async fn sole_account(&self) -> StoreResult<Option<AccountId>> {
        let mut conn = self.read().await?;
        let ids: Vec<Id> = with_conn!(conn, |c| accounts::table
            .select(accounts::id)
            .limit(2)
            .load(c)
            .await)
        .map_err(backend)?;
        Ok(match ids.as_slice() {
            [only] => Some(AccountId::from_uuid(only.0)),
            _ => None,
        })
    }

    async fn demo_account(&self) -> StoreResult<Option<Account>> {
        let mut conn = self.read().await?;
        let row: Option<AccountRow> = with_conn!(conn, |c| accounts::table
            .filter(accounts::demo.eq(true))
            .order((accounts::created_at.asc(), accounts::id.asc()))
            .select(AccountRow::as_select())
            .first(c)
            .await
            .optional())
        .map_err(backend)?;
        row.map(Account::try_from).transpose()
    }

    async fn insert_api_key(&self, key: &ApiKeyRecord) -> StoreResult<()> {
        let row = ApiKeyRow::from(key);
        let mut conn = self.write().await?;
        with_conn!(conn, |c| diesel::insert_into(api_keys::table)
            .values(&row)
            .execute(c)
            .await)
        .map_err(backend)?;
        Ok(())
    }

    async fn api_keys(
        &self,
        account: AccountId,
        page: &PageRequest,
    ) -> StoreResult<Vec<ApiKeyRecord>> {
        let mut conn = self.read().await?;
        let rows: Vec<ApiKeyRow> = with_conn!(conn, |c| keyset!(
            api_keys::table
                .filter(api_keys::account_id.eq(Id(account.as_uuid())))
                .into_boxed(),
            page,
            api_keys::created_at,
            api_keys::id,
            asc
        )
        .select(ApiKeyRow::as_select())
        .load(c)
        .await)
        .map_err(backend)?;
        convert(rows)
    }

    async fn revoke_api_key(
        &self,
        account: AccountId,
        id: ApiKeyId,
        at: DateTime<Utc>,
    ) -> StoreResult<KeyRevocation> {
        let (account, id) = (Id(account.as_uuid()), Id(id.as_uuid()));
        let mut conn = self.write().await?;
        let outcome = with_conn!(conn, |c| {
            c.write_transaction::<_, Refusal, _>(async |c| {
                // Revocations of one account's keys queue on its row, so
                // two of them cannot both leave it without an active key.
                if !lock_row!(c, accounts, account) {
                    return Ok(None);
                }
                let row: Option<ApiKeyRow> = api_keys::table
                    .filter(api_keys::id.eq(id))
                    .filter(api_keys::account_id.eq(account))
                    .select(ApiKeyRow::as_select())
                    .first(c)
                    .await
                    .optional()?;
                let Some(row) = row else {
                    return Ok(None);
                };
                let key = ApiKeyRecord::try_from(row).map_err(Refusal::Broken)?;
                if !key.is_active() {
                    return Ok(Some(KeyRevocation::AlreadyRevoked(key)));
                }
                let active: i64 = api_keys::table
                    .filter(api_keys::account_id.eq(account))
                    .filter(api_keys::revoked_at.is_null())
                    .count()
                    .get_result(c)
                    .await?;
                if active <= 1 {
                    return Ok(Some(KeyRevocation::LastActiveKey));
                }
                diesel::update(api_keys::table.filter(api_keys::id.eq(id)))
                    .set(api_keys::revoked_at.eq(Time(at)))
                    .execute(c)
                    .await?;
                Ok(Some(KeyRevocation::Revoked(ApiKeyRecord {
                    revoked_at: Some(at),
                    ..key
                })))
            })
            .await
        });
        match outcome {
            Ok(answer) => Ok(answer.unwrap_or(KeyRevocation::NotFound)),
            Err(refusal) => Err(refusal.into_error()),
        }
    }
}
