//! Account logos, in a table of their own so that reading an account
//! never reads its logo.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::upsert::excluded;
use diesel_async::RunQueryDsl;
use portal_domain::ports::{LogoStore, StoreResult};
use portal_domain::{AccountId, Logo};

use crate::Database;
use crate::database::{backend, with_conn};
use crate::rows::LogoRow;
use crate::schema::account_logos;
use crate::sql_types::Id;

#[async_trait]
impl LogoStore for Database {
    async fn logo(&self, account: AccountId) -> StoreResult<Option<Logo>> {
        let mut conn = self.read().await?;
        let row: Option<LogoRow> = with_conn!(conn, |c| account_logos::table
            .find(Id(account.as_uuid()))
            .select(LogoRow::as_select())
            .first(c)
            .await
            .optional())
        .map_err(backend)?;
        row.map(Logo::try_from).transpose()
    }

    async fn set_logo(
        &self,
        account: AccountId,
        logo: Option<&Logo>,
        at: DateTime<Utc>,
    ) -> StoreResult<()> {
        let mut conn = self.write().await?;
        match logo {
            // One statement either way: the logo is replaced whole or
            // not at all.
            Some(logo) => {
                let row = LogoRow::new(account, logo, at);
                with_conn!(conn, |c| diesel::insert_into(account_logos::table)
                    .values(&row)
                    .on_conflict(account_logos::account_id)
                    .do_update()
                    .set((
                        account_logos::format.eq(excluded(account_logos::format)),
                        account_logos::bytes.eq(excluded(account_logos::bytes)),
                        account_logos::updated_at.eq(excluded(account_logos::updated_at)),
                    ))
                    .execute(c)
                    .await)
            }
            None => with_conn!(conn, |c| diesel::delete(
                account_logos::table.filter(account_logos::account_id.eq(Id(account.as_uuid())))
            )
            .execute(c)
            .await),
        }
        .map_err(backend)?;
        Ok(())
    }
}
