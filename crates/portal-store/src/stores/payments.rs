//! Payments, read back with their allocations and refunds.

use std::collections::HashMap;

use async_trait::async_trait;
use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use portal_domain::ports::{PaymentFilter, PaymentStore, StoreResult};
use portal_domain::{AccountId, PageRequest, Payment, PaymentId};

use super::keyset;
use crate::Database;
use crate::database::{backend, in_snapshot};
use crate::rows::{AllocationRow, PaymentRow, RefundAllocationRow, RefundRow, payment};
use crate::schema::payments;
use crate::sql_types::Id;

/// What a set of payments is read back with, by payment.
#[derive(Default)]
pub(super) struct Parts {
    pub(super) allocations: HashMap<uuid::Uuid, Vec<AllocationRow>>,
    pub(super) refunds: HashMap<uuid::Uuid, Vec<(RefundRow, Vec<RefundAllocationRow>)>>,
}

impl Parts {
    /// The payments of `rows`, in order, with their parts.
    pub(super) fn assemble(mut self, rows: Vec<PaymentRow>) -> StoreResult<Vec<Payment>> {
        rows.into_iter()
            .map(|row| {
                let id = row.id.0;
                payment(
                    row,
                    self.allocations.remove(&id).unwrap_or_default(),
                    self.refunds.remove(&id).unwrap_or_default(),
                )
            })
            .collect()
    }
}

/// Reads the payments `$query` selects on `$c`, with their allocations and
/// their refunds (in the order they were made); evaluates to the rows and
/// a [`Parts`]. Run inside [`in_snapshot!`], so the version read agrees
/// with the refunds read.
macro_rules! load_payments {
    ($c:expr, $query:expr) => {{
        use std::collections::HashMap;
        use $crate::rows::{AllocationRow, PaymentRow, RefundAllocationRow, RefundRow};
        use $crate::schema::{payment_allocations, refund_allocations, refunds};
        use $crate::sql_types::Id;
        use $crate::stores::IDS_PER_QUERY;
        use $crate::stores::payments::Parts;
        let rows: Vec<PaymentRow> = $query.select(PaymentRow::as_select()).load($c).await?;
        let ids: Vec<Id> = rows.iter().map(|r| r.id).collect();
        let mut parts = Parts::default();
        for chunk in ids.chunks(IDS_PER_QUERY) {
            let applied: Vec<AllocationRow> = payment_allocations::table
                .filter(payment_allocations::payment_id.eq_any(chunk))
                .order((
                    payment_allocations::payment_id,
                    payment_allocations::position,
                ))
                .select(AllocationRow::as_select())
                .load($c)
                .await?;
            for allocation in applied {
                parts
                    .allocations
                    .entry(allocation.payment_id.0)
                    .or_default()
                    .push(allocation);
            }
            let refunded: Vec<RefundRow> = refunds::table
                .filter(refunds::payment_id.eq_any(chunk))
                .order((refunds::payment_id, refunds::payment_version))
                .select(RefundRow::as_select())
                .load($c)
                .await?;
            let refund_ids: Vec<Id> = refunded.iter().map(|r| r.id).collect();
            let mut taken: HashMap<uuid::Uuid, Vec<RefundAllocationRow>> = HashMap::new();
            for refund_chunk in refund_ids.chunks(IDS_PER_QUERY) {
                let rows: Vec<RefundAllocationRow> = refund_allocations::table
                    .filter(refund_allocations::refund_id.eq_any(refund_chunk))
                    .order((refund_allocations::refund_id, refund_allocations::position))
                    .select(RefundAllocationRow::as_select())
                    .load($c)
                    .await?;
                for row in rows {
                    taken.entry(row.refund_id.0).or_default().push(row);
                }
            }
            for refund in refunded {
                let own = taken.remove(&refund.id.0).unwrap_or_default();
                parts
                    .refunds
                    .entry(refund.payment_id.0)
                    .or_default()
                    .push((refund, own));
            }
        }
        (rows, parts)
    }};
}
pub(super) use load_payments;

#[async_trait]
impl PaymentStore for Database {
    async fn payment(&self, account: AccountId, id: PaymentId) -> StoreResult<Option<Payment>> {
        let mut conn = self.read().await?;
        let (rows, parts) = in_snapshot!(conn, |c| {
            let read = load_payments!(
                c,
                payments::table
                    .filter(payments::id.eq(Id(id.as_uuid())))
                    .filter(payments::account_id.eq(Id(account.as_uuid())))
            );
            Ok::<_, diesel::result::Error>(read)
        })
        .map_err(backend)?;
        Ok(parts.assemble(rows)?.pop())
    }

    async fn payments(
        &self,
        account: AccountId,
        filter: PaymentFilter,
        page: &PageRequest,
    ) -> StoreResult<Vec<Payment>> {
        let mut conn = self.read().await?;
        let (rows, parts) = in_snapshot!(conn, |c| {
            let mut query = payments::table
                .filter(payments::account_id.eq(Id(account.as_uuid())))
                .into_boxed();
            if let Some(client) = filter.client {
                query = query.filter(payments::client_id.eq(Id(client.as_uuid())));
            }
            let read = load_payments!(
                c,
                keyset!(query, page, payments::received_at, payments::id, desc)
            );
            Ok::<_, diesel::result::Error>(read)
        })
        .map_err(backend)?;
        parts.assemble(rows)
    }
}
