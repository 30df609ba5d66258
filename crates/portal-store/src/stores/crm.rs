//! Client companies and contacts.

use async_trait::async_trait;
use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use portal_domain::ports::{Conflict, CrmStore, Revocation, StoreError, StoreResult};
use portal_domain::{AccountId, Client, ClientId, Contact, ContactId, EmailAddress, PageRequest};

use super::{Refusal, is_unique_violation, keyset, lock_row};
use crate::Database;
use crate::database::{backend, with_conn};
use crate::rows::{ClientRow, ContactRow, convert};
use crate::schema::{clients, contacts, crm_client_portal_sessions as sessions, magic_links};
use crate::sql_types::{Id, Time};
use crate::write_transaction::WriteTransaction;

/// Ends the live sessions and revokes the unused links that the two
/// filters pick (the same people, once in each table) at the revocation's
/// time; evaluates to how many sessions it ended. Callers filter by
/// client, so the live-session and unused-link indexes (both on the
/// client) serve it.
macro_rules! end_access {
    ($c:expr, $revocation:expr, $sessions:expr, $links:expr) => {{
        let at = Time($revocation.at);
        let ended = diesel::update(
            sessions::table
                .filter($sessions)
                .filter(sessions::revoked_at.is_null())
                .filter(sessions::expires_at.gt(at)),
        )
        .set((
            sessions::revoked_at.eq(at),
            sessions::revoke_reason.eq($revocation.reason.as_str()),
        ))
        .execute($c)
        .await?;
        diesel::update(
            magic_links::table
                .filter($links)
                .filter(magic_links::used_at.is_null())
                .filter(magic_links::revoked_at.is_null()),
        )
        .set(magic_links::revoked_at.eq(at))
        .execute($c)
        .await?;
        ended
    }};
}

#[async_trait]
impl CrmStore for Database {
    async fn insert_client(&self, client: &Client) -> StoreResult<()> {
        let row = ClientRow::from(client);
        let mut conn = self.write().await?;
        with_conn!(conn, |c| diesel::insert_into(clients::table)
            .values(&row)
            .execute(c)
            .await)
        .map_err(backend)?;
        Ok(())
    }

    async fn client(&self, account: AccountId, id: ClientId) -> StoreResult<Option<Client>> {
        let mut conn = self.read().await?;
        let row: Option<ClientRow> = with_conn!(conn, |c| clients::table
            .filter(clients::id.eq(Id(id.as_uuid())))
            .filter(clients::account_id.eq(Id(account.as_uuid())))
            .select(ClientRow::as_select())
            .first(c)
            .await
            .optional())
        .map_err(backend)?;
        row.map(Client::try_from).transpose()
    }

    async fn clients(&self, account: AccountId, page: &PageRequest) -> StoreResult<Vec<Client>> {
        let mut conn = self.read().await?;
        let rows: Vec<ClientRow> = with_conn!(conn, |c| keyset!(
            clients::table
                .filter(clients::account_id.eq(Id(account.as_uuid())))
                .into_boxed(),
            page,
            clients::created_at,
            clients::id,
            asc
        )
        .select(ClientRow::as_select())
        .load(c)
        .await)
        .map_err(backend)?;
        convert(rows)
    }

    async fn update_client(
        &self,
        current: &Client,
        client: &Client,
        revoke: Option<Revocation>,
    ) -> StoreResult<Option<u64>> {
        let id = Id(client.id.as_uuid());
        let (name, enabled, active) = (
            current.name.to_string(),
            current.portal_enabled,
            current.active,
        );
        let changes = (
            clients::name.eq(client.name.to_string()),
            clients::portal_enabled.eq(client.portal_enabled),
            clients::active.eq(client.active),
            clients::updated_at.eq(Time(client.updated_at)),
        );
        let mut conn = self.write().await?;
        let outcome = with_conn!(conn, |c| {
            c.write_transaction::<_, Refusal, _>(async |c| {
                // Only if the row is still what the caller read; this also
                // takes the client's row lock first, like redemptions do.
                let written = diesel::update(
                    clients::table
                        .filter(clients::id.eq(id))
                        .filter(clients::name.eq(&name))
                        .filter(clients::portal_enabled.eq(enabled))
                        .filter(clients::active.eq(active)),
                )
                .set(changes)
                .execute(c)
                .await?;
                if written != 1 {
                    return Err(Refusal::Lost);
                }
                let Some(revocation) = revoke else {
                    return Ok(0);
                };
                Ok(end_access!(
                    c,
                    revocation,
                    sessions::client_id.eq(id),
                    magic_links::client_id.eq(id)
                ))
            })
            .await
        });
        ended(outcome)
    }

    async fn insert_contact(&self, contact: &Contact) -> StoreResult<()> {
        let row = ContactRow::from(contact);
        let mut conn = self.write().await?;
        match with_conn!(conn, |c| diesel::insert_into(contacts::table)
            .values(&row)
            .execute(c)
            .await)
        {
            Ok(_) => Ok(()),
            Err(e) if is_unique_violation(&e) => Err(StoreError::Conflict(Conflict::ContactEmail)),
            Err(e) => Err(backend(e)),
        }
    }

    async fn contact(&self, account: AccountId, id: ContactId) -> StoreResult<Option<Contact>> {
        let mut conn = self.read().await?;
        let row: Option<ContactRow> = with_conn!(conn, |c| contacts::table
            .filter(contacts::id.eq(Id(id.as_uuid())))
            .filter(contacts::account_id.eq(Id(account.as_uuid())))
            .select(ContactRow::as_select())
            .first(c)
            .await
            .optional())
        .map_err(backend)?;
        row.map(Contact::try_from).transpose()
    }

    async fn contacts(
        &self,
        account: AccountId,
        client: ClientId,
        page: &PageRequest,
    ) -> StoreResult<Vec<Contact>> {
        let mut conn = self.read().await?;
        let rows: Vec<ContactRow> = with_conn!(conn, |c| keyset!(
            contacts::table
                .filter(contacts::account_id.eq(Id(account.as_uuid())))
                .filter(contacts::client_id.eq(Id(client.as_uuid())))
                .into_boxed(),
            page,
            contacts::created_at,
            contacts::id,
            asc
        )
        .select(ContactRow::as_select())
        .load(c)
        .await)
        .map_err(backend)?;
        convert(rows)
    }

    async fn contacts_by_email(
        &self,
        account: AccountId,
        email: &EmailAddress,
    ) -> StoreResult<Vec<Contact>> {
        let mut conn = self.read().await?;
        let rows: Vec<ContactRow> = with_conn!(conn, |c| contacts::table
            .filter(contacts::account_id.eq(Id(account.as_uuid())))
            .filter(contacts::email.eq(email.as_str()))
            .order((contacts::created_at.asc(), contacts::id.asc()))
            .select(ContactRow::as_select())
            .load(c)
            .await)
        .map_err(backend)?;
        convert(rows)
    }

    async fn update_contact(
        &self,
        current: &Contact,
        next: &Contact,
        revoke: Option<Revocation>,
    ) -> StoreResult<Option<u64>> {
        let id = Id(current.id.as_uuid());
        let client = Id(current.client_id.as_uuid());
        let account = Id(current.account_id.as_uuid());
        let (name, email, active) = (
            current.name.to_string(),
            current.email.to_string(),
            current.active,
        );
        let changes = (
            contacts::name.eq(next.name.to_string()),
            contacts::email.eq(next.email.to_string()),
            contacts::active.eq(next.active),
            contacts::updated_at.eq(Time(next.updated_at)),
        );
        let mut conn = self.write().await?;
        let outcome = with_conn!(conn, |c| {
            c.write_transaction::<_, Refusal, _>(async |c| {
                // The client's row lock first, like link inserts and
                // redemptions: none of them slips past a deactivation.
                if !lock_row!(c, clients, client) {
                    return Err(Refusal::Lost);
                }
                let written = diesel::update(
                    contacts::table
                        .filter(contacts::id.eq(id))
                        .filter(contacts::account_id.eq(account))
                        .filter(contacts::name.eq(&name))
                        .filter(contacts::email.eq(&email))
                        .filter(contacts::active.eq(active)),
                )
                .set(changes)
                .execute(c)
                .await
                .map_err(|e| {
                    if is_unique_violation(&e) {
                        Refusal::Conflict(Conflict::ContactEmail)
                    } else {
                        Refusal::Db(e)
                    }
                })?;
                if written != 1 {
                    return Err(Refusal::Lost);
                }
                let Some(revocation) = revoke else {
                    return Ok(0);
                };
                Ok(end_access!(
                    c,
                    revocation,
                    sessions::client_id
                        .eq(client)
                        .and(sessions::contact_id.eq(id)),
                    magic_links::client_id
                        .eq(client)
                        .and(magic_links::contact_id.eq(id))
                ))
            })
            .await
        });
        ended(outcome)
    }
}

/// A conditional update's answer: how many sessions it ended, or `None`
/// when the row had changed since it was read.
fn ended(outcome: Result<usize, Refusal>) -> StoreResult<Option<u64>> {
    match outcome {
        Ok(ended) => Ok(Some(u64::try_from(ended).unwrap_or(u64::MAX))),
        Err(Refusal::Lost) => Ok(None),
        Err(other) => Err(other.into_error()),
    }
}
