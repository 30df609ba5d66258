//! What statements read: a client's invoices and succeeded payments in
//! one currency, a keyset page at a time, each page in one snapshot.

use std::collections::HashMap;

use async_trait::async_trait;
use chrono::{DateTime, NaiveDate, Utc};
use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use portal_domain::ports::{StatementScope, StatementStore, StoreResult};
use portal_domain::{
    AccountId, ClientId, Currency, DocumentKind, DocumentStatus, InvoiceCursor, PaymentCursor,
    PaymentStatus, StatementInvoice, StatementPayment,
};

use super::IDS_PER_QUERY;
use super::documents::load_ledgers;
use crate::Database;
use crate::database::{backend, in_snapshot};
use crate::rows::{StatementInvoiceRow, StatementPaymentRow, StatementRefundRow, corrupt};
use crate::schema::{documents, payments, refunds};
use crate::sql_types::{Id, Time};

/// The statuses of the invoices a statement lists: sent and not void.
const LISTED: [DocumentStatus; 3] = [
    DocumentStatus::Open,
    DocumentStatus::PartiallyPaid,
    DocumentStatus::Paid,
];

fn listed() -> [&'static str; 3] {
    LISTED.map(DocumentStatus::as_str)
}

/// A page size as SQL takes it.
fn limit(scope: &StatementScope) -> i64 {
    i64::try_from(scope.limit).unwrap_or(i64::MAX)
}

#[async_trait]
impl StatementStore for Database {
    async fn statement_currencies(
        &self,
        account: AccountId,
        client: ClientId,
    ) -> StoreResult<Vec<Currency>> {
        let (account, client) = (Id(account.as_uuid()), Id(client.as_uuid()));
        let mut conn = self.read().await?;
        let (mut codes, paid) = in_snapshot!(conn, |c| {
            let invoiced: Vec<String> = documents::table
                .filter(documents::account_id.eq(account))
                .filter(documents::client_id.eq(client))
                .filter(documents::kind.eq(DocumentKind::Invoice.as_str()))
                .filter(documents::status.eq_any(listed()))
                .select(documents::currency)
                .distinct()
                .load(c)
                .await?;
            let paid: Vec<String> = payments::table
                .filter(payments::account_id.eq(account))
                .filter(payments::client_id.eq(client))
                .filter(payments::status.eq(PaymentStatus::Succeeded.as_str()))
                .select(payments::currency)
                .distinct()
                .load(c)
                .await?;
            Ok::<_, diesel::result::Error>((invoiced, paid))
        })
        .map_err(backend)?;
        codes.extend(paid);
        codes.sort_unstable();
        codes.dedup();
        codes
            .iter()
            .map(|code| {
                Currency::parse("currency", code)
                    .map_err(|e| corrupt(format_args!("currency {code:?}: {e}")))
            })
            .collect()
    }

    async fn statement_invoices(
        &self,
        scope: StatementScope,
        through: NaiveDate,
        after: Option<InvoiceCursor>,
    ) -> StoreResult<Vec<StatementInvoice>> {
        let mut conn = self.read().await?;
        let (rows, mut ledgers) = in_snapshot!(conn, |c| {
            // Boxed queries are tied to one backend: built once per arm.
            let mut query = documents::table
                .filter(documents::account_id.eq(Id(scope.account.as_uuid())))
                .filter(documents::client_id.eq(Id(scope.client.as_uuid())))
                .filter(documents::kind.eq(DocumentKind::Invoice.as_str()))
                .filter(documents::currency.eq(scope.currency.code()))
                .filter(documents::status.eq_any(listed()))
                .filter(documents::issue_date.le(through))
                .into_boxed();
            if let Some((date, id)) = after {
                let id = Id(id.as_uuid());
                query = query.filter(
                    documents::issue_date
                        .ge(date)
                        .and(documents::issue_date.gt(date).or(documents::id.gt(id))),
                );
            }
            let rows: Vec<StatementInvoiceRow> = query
                .order((documents::issue_date.asc(), documents::id.asc()))
                .limit(limit(&scope))
                .select(StatementInvoiceRow::as_select())
                .load(c)
                .await?;
            let ids: Vec<Id> = rows.iter().map(|r| r.id).collect();
            let ledgers = load_ledgers!(c, ids);
            Ok::<_, diesel::result::Error>((rows, ledgers))
        })
        .map_err(backend)?;
        rows.into_iter()
            .map(|row| {
                let (paid, refunded) = ledgers.take(row.id.0);
                row.restore(paid, refunded)
            })
            .collect()
    }

    async fn statement_payments(
        &self,
        scope: StatementScope,
        before: DateTime<Utc>,
        after: Option<PaymentCursor>,
    ) -> StoreResult<Vec<StatementPayment>> {
        let mut conn = self.read().await?;
        let (rows, mut refunded) = in_snapshot!(conn, |c| {
            let mut query = payments::table
                .filter(payments::account_id.eq(Id(scope.account.as_uuid())))
                .filter(payments::client_id.eq(Id(scope.client.as_uuid())))
                .filter(payments::status.eq(PaymentStatus::Succeeded.as_str()))
                .filter(payments::currency.eq(scope.currency.code()))
                .filter(payments::received_at.lt(Time(before)))
                .into_boxed();
            if let Some((at, id)) = after {
                let (at, id) = (Time(at), Id(id.as_uuid()));
                query = query.filter(
                    payments::received_at
                        .ge(at)
                        .and(payments::received_at.gt(at).or(payments::id.gt(id))),
                );
            }
            let rows: Vec<StatementPaymentRow> = query
                .order((payments::received_at.asc(), payments::id.asc()))
                .limit(limit(&scope))
                .select(StatementPaymentRow::as_select())
                .load(c)
                .await?;
            let ids: Vec<Id> = rows.iter().map(|r| r.id).collect();
            let mut refunded: HashMap<uuid::Uuid, Vec<StatementRefundRow>> = HashMap::new();
            for chunk in ids.chunks(IDS_PER_QUERY) {
                // Oldest first; refunds made at one instant in the order
                // they were made.
                let found: Vec<StatementRefundRow> = refunds::table
                    .filter(refunds::payment_id.eq_any(chunk))
                    .order((
                        refunds::payment_id,
                        refunds::created_at,
                        refunds::payment_version,
                    ))
                    .select(StatementRefundRow::as_select())
                    .load(c)
                    .await?;
                for refund in found {
                    refunded
                        .entry(refund.payment_id.0)
                        .or_default()
                        .push(refund);
                }
            }
            Ok::<_, diesel::result::Error>((rows, refunded))
        })
        .map_err(backend)?;
        rows.into_iter()
            .map(|row| {
                let own = refunded.remove(&row.id.0).unwrap_or_default();
                row.restore(own)
            })
            .collect()
    }
}
