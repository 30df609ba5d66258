//! Processor connections and their health, customers, saved methods,
//! checkouts, processor payments and webhook events. Their writes that
//! belong to a use case go through batches (`batch.rs`).

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use portal_domain::ports::{ConnectionRecord, ProcessorStore, StoreResult};
use portal_domain::{
    AccountId, Checkout, CheckoutId, ClientId, ConnectionId, Payment, PaymentId, PaymentMethodId,
    PaymentStatus, ProcessorCustomer, ProcessorKind, ProcessorRef, StoredMethod,
};

use super::payments::load_payments;
use crate::Database;
use crate::database::{backend, in_snapshot, with_conn};
use crate::rows::{
    CheckoutAllocationRow, CheckoutRow, ConnectionRow, CustomerRow, MethodRow, checkout, convert,
};
use crate::schema::{
    checkout_allocations, checkouts, payment_methods, payments, processor_connections,
    processor_customers, processor_events,
};
use crate::sql_types::{Id, Time};

#[async_trait]
impl ProcessorStore for Database {
    async fn connection(&self, account: AccountId) -> StoreResult<Option<ConnectionRecord>> {
        let mut conn = self.read().await?;
        let row: Option<ConnectionRow> = with_conn!(conn, |c| processor_connections::table
            .filter(processor_connections::account_id.eq(Id(account.as_uuid())))
            .select(ConnectionRow::as_select())
            .first(c)
            .await
            .optional())
        .map_err(backend)?;
        row.map(ConnectionRecord::try_from).transpose()
    }

    async fn record_connection_health(
        &self,
        account: AccountId,
        connection: ConnectionId,
        error: Option<&str>,
        at: DateTime<Utc>,
    ) -> StoreResult<()> {
        let mut conn = self.write().await?;
        let target = processor_connections::table
            .filter(processor_connections::account_id.eq(Id(account.as_uuid())))
            .filter(processor_connections::id.eq(Id(connection.as_uuid())));
        with_conn!(conn, |c| match error {
            None => {
                diesel::update(target)
                    .set(processor_connections::last_ok_at.eq(Time(at)))
                    .execute(c)
                    .await
            }
            Some(error) => {
                diesel::update(target)
                    .set((
                        processor_connections::last_error.eq(error),
                        processor_connections::last_error_at.eq(Time(at)),
                    ))
                    .execute(c)
                    .await
            }
        })
        .map_err(backend)?;
        Ok(())
    }

    async fn processor_customer(
        &self,
        account: AccountId,
        connection: ConnectionId,
        client: ClientId,
    ) -> StoreResult<Option<ProcessorCustomer>> {
        let mut conn = self.read().await?;
        let row: Option<CustomerRow> = with_conn!(conn, |c| processor_customers::table
            .filter(processor_customers::account_id.eq(Id(account.as_uuid())))
            .filter(processor_customers::connection_id.eq(Id(connection.as_uuid())))
            .filter(processor_customers::client_id.eq(Id(client.as_uuid())))
            .select(CustomerRow::as_select())
            .first(c)
            .await
            .optional())
        .map_err(backend)?;
        row.map(ProcessorCustomer::try_from).transpose()
    }

    async fn insert_processor_customer(
        &self,
        customer: &ProcessorCustomer,
    ) -> StoreResult<ProcessorCustomer> {
        let row = CustomerRow::from(customer);
        let (connection, client) = (
            Id(customer.connection_id.as_uuid()),
            Id(customer.client_id.as_uuid()),
        );
        let mut conn = self.write().await?;
        // The first insert wins; a racing one waits for it, inserts
        // nothing, and reads what it stored.
        let stored: CustomerRow = with_conn!(conn, |c| {
            diesel::insert_into(processor_customers::table)
                .values(&row)
                .on_conflict_do_nothing()
                .execute(c)
                .await
                .map_err(backend)?;
            processor_customers::table
                .filter(processor_customers::connection_id.eq(connection))
                .filter(processor_customers::client_id.eq(client))
                .select(CustomerRow::as_select())
                .first(c)
                .await
                .map_err(backend)?
        });
        ProcessorCustomer::try_from(stored)
    }

    async fn methods(
        &self,
        account: AccountId,
        connection: ConnectionId,
        client: ClientId,
    ) -> StoreResult<Vec<StoredMethod>> {
        let mut conn = self.read().await?;
        let rows: Vec<MethodRow> = with_conn!(conn, |c| payment_methods::table
            .filter(payment_methods::account_id.eq(Id(account.as_uuid())))
            .filter(payment_methods::connection_id.eq(Id(connection.as_uuid())))
            .filter(payment_methods::client_id.eq(Id(client.as_uuid())))
            .order((
                payment_methods::is_default.desc(),
                payment_methods::created_at.asc(),
                payment_methods::id.asc(),
            ))
            .select(MethodRow::as_select())
            .load(c)
            .await)
        .map_err(backend)?;
        convert(rows)
    }

    async fn method(
        &self,
        account: AccountId,
        id: PaymentMethodId,
    ) -> StoreResult<Option<StoredMethod>> {
        let mut conn = self.read().await?;
        let row: Option<MethodRow> = with_conn!(conn, |c| payment_methods::table
            .filter(payment_methods::account_id.eq(Id(account.as_uuid())))
            .filter(payment_methods::id.eq(Id(id.as_uuid())))
            .select(MethodRow::as_select())
            .first(c)
            .await
            .optional())
        .map_err(backend)?;
        row.map(StoredMethod::try_from).transpose()
    }

    async fn checkout(&self, account: AccountId, id: CheckoutId) -> StoreResult<Option<Checkout>> {
        let mut conn = self.read().await?;
        let read = in_snapshot!(conn, |c| {
            let row: Option<CheckoutRow> = checkouts::table
                .filter(checkouts::account_id.eq(Id(account.as_uuid())))
                .filter(checkouts::id.eq(Id(id.as_uuid())))
                .select(CheckoutRow::as_select())
                .first(c)
                .await
                .optional()?;
            let allocations: Vec<CheckoutAllocationRow> = match &row {
                None => Vec::new(),
                Some(row) => {
                    checkout_allocations::table
                        .filter(checkout_allocations::checkout_id.eq(row.id))
                        .order(checkout_allocations::position)
                        .select(CheckoutAllocationRow::as_select())
                        .load(c)
                        .await?
                }
            };
            Ok::<_, diesel::result::Error>(row.map(|row| (row, allocations)))
        })
        .map_err(backend)?;
        read.map(|(row, allocations)| checkout(row, allocations))
            .transpose()
    }

    async fn forget_checkouts(&self, before: DateTime<Utc>) -> StoreResult<u64> {
        let mut conn = self.write().await?;
        // Their allocations go with them (ON DELETE CASCADE).
        let deleted = with_conn!(conn, |c| diesel::delete(
            checkouts::table
                .filter(checkouts::submitted_at.is_null())
                .filter(checkouts::expires_at.lt(Time(before)))
        )
        .execute(c)
        .await)
        .map_err(backend)?;
        Ok(deleted as u64)
    }

    async fn payment_by_charge(
        &self,
        account: AccountId,
        processor: ProcessorKind,
        reference: &ProcessorRef,
    ) -> StoreResult<Option<Payment>> {
        let mut conn = self.read().await?;
        let (rows, parts) = in_snapshot!(conn, |c| {
            let read = load_payments!(
                c,
                payments::table
                    .filter(payments::account_id.eq(Id(account.as_uuid())))
                    .filter(payments::processor.eq(processor.as_str()))
                    .filter(payments::processor_charge_ref.eq(reference.as_str()))
                    .order((payments::created_at.asc(), payments::id.asc()))
                    .limit(1)
            );
            Ok::<_, diesel::result::Error>(read)
        })
        .map_err(backend)?;
        Ok(parts.assemble(rows)?.pop())
    }

    async fn pending_processor_payments(
        &self,
        before: DateTime<Utc>,
        after: Option<(DateTime<Utc>, PaymentId)>,
        limit: u32,
    ) -> StoreResult<Vec<Payment>> {
        let mut conn = self.read().await?;
        // With no cursor, one that every payment comes after: payments are
        // created at the time they are recorded, never before 1900 (and
        // every backend keeps that year).
        let origin = chrono::NaiveDate::from_ymd_opt(1900, 1, 1)
            .and_then(|d| d.and_hms_opt(0, 0, 0))
            .map_or(DateTime::<Utc>::UNIX_EPOCH, |t| t.and_utc());
        let (after_at, after_id) =
            after.map_or((origin, uuid::Uuid::nil()), |(at, id)| (at, id.as_uuid()));
        let (rows, parts) = in_snapshot!(conn, |c| {
            let read = load_payments!(
                c,
                payments::table
                    .filter(payments::status.eq(PaymentStatus::Pending.as_str()))
                    .filter(payments::processor.is_not_null())
                    .filter(payments::created_at.lt(Time(before)))
                    .filter(
                        payments::created_at
                            .gt(Time(after_at))
                            .or(payments::created_at
                                .eq(Time(after_at))
                                .and(payments::id.gt(Id(after_id))))
                    )
                    .order((payments::created_at.asc(), payments::id.asc()))
                    .limit(i64::from(limit))
            );
            Ok::<_, diesel::result::Error>(read)
        })
        .map_err(backend)?;
        parts.assemble(rows)
    }

    async fn processor_event_seen(
        &self,
        account: AccountId,
        processor: ProcessorKind,
        event_id: &ProcessorRef,
    ) -> StoreResult<bool> {
        let mut conn = self.read().await?;
        let seen: i64 = with_conn!(conn, |c| processor_events::table
            .filter(processor_events::account_id.eq(Id(account.as_uuid())))
            .filter(processor_events::processor.eq(processor.as_str()))
            .filter(processor_events::event_id.eq(event_id.as_str()))
            .count()
            .get_result(c)
            .await)
        .map_err(backend)?;
        Ok(seen > 0)
    }
}
