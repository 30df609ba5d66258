//! What statements read, in memory: the same filters and orders as the
//! SQL stores, over every row.

use async_trait::async_trait;
use chrono::{DateTime, NaiveDate, Utc};

use super::{InMemoryStore, State};
use crate::model::{
    AccountId, ClientId, Currency, DocumentKind, DocumentStatus, InvoiceCursor, Ledger, Money,
    Payment, PaymentCursor, PaymentStatus, StatementInvoice, StatementPayment, StatementRefund,
};
use crate::ports::{StatementScope, StatementStore, StoreResult};

impl State {
    /// The client's sent, not void invoices, in any currency.
    fn listed_invoices(
        &self,
        account: AccountId,
        client: ClientId,
    ) -> impl Iterator<Item = &super::DocumentRow> {
        self.documents.iter().filter(move |d| {
            let r = &d.record;
            r.account_id == account
                && r.client_id == client
                && r.kind == DocumentKind::Invoice
                && matches!(
                    r.status,
                    DocumentStatus::Open | DocumentStatus::PartiallyPaid | DocumentStatus::Paid
                )
        })
    }

    /// The client's succeeded payments, in any currency.
    fn listed_payments(
        &self,
        account: AccountId,
        client: ClientId,
    ) -> impl Iterator<Item = &Payment> {
        self.payments.iter().filter(move |p| {
            p.account_id() == account
                && p.client_id() == client
                && p.status() == PaymentStatus::Succeeded
        })
    }
}

#[async_trait]
impl StatementStore for InMemoryStore {
    async fn statement_currencies(
        &self,
        account: AccountId,
        client: ClientId,
    ) -> StoreResult<Vec<Currency>> {
        let state = self.state();
        let mut currencies: Vec<Currency> = state
            .listed_invoices(account, client)
            .map(|d| d.record.currency)
            .chain(
                state
                    .listed_payments(account, client)
                    .map(Payment::currency),
            )
            .collect();
        currencies.sort_by_key(Currency::code);
        currencies.dedup();
        Ok(currencies)
    }

    async fn statement_invoices(
        &self,
        scope: StatementScope,
        through: NaiveDate,
        after: Option<InvoiceCursor>,
    ) -> StoreResult<Vec<StatementInvoice>> {
        let state = self.state();
        let mut rows: Vec<_> = state
            .listed_invoices(scope.account, scope.client)
            .filter(|d| {
                let r = &d.record;
                r.currency == scope.currency
                    && r.issue_date <= through
                    && after.is_none_or(|cursor| (r.issue_date, r.id) > cursor)
            })
            .collect();
        rows.sort_by_key(|d| (d.record.issue_date, d.record.id));
        Ok(rows
            .into_iter()
            .take(scope.limit)
            .map(|d| {
                let r = &d.record;
                StatementInvoice {
                    id: r.id,
                    number: r.number.clone(),
                    title: r.title.clone(),
                    issue_date: r.issue_date,
                    due_date: r.due_date,
                    total: Money::new(r.total_minor, r.currency),
                    ledger: Ledger::new(state.ledger(r.id)),
                }
            })
            .collect())
    }

    async fn statement_payments(
        &self,
        scope: StatementScope,
        before: DateTime<Utc>,
        after: Option<PaymentCursor>,
    ) -> StoreResult<Vec<StatementPayment>> {
        let state = self.state();
        let mut payments: Vec<&Payment> = state
            .listed_payments(scope.account, scope.client)
            .filter(|p| {
                p.currency() == scope.currency
                    && p.received_at() < before
                    && after.is_none_or(|cursor| (p.received_at(), p.id()) > cursor)
            })
            .collect();
        payments.sort_by_key(|p| (p.received_at(), p.id()));
        Ok(payments
            .into_iter()
            .take(scope.limit)
            .map(|p| {
                let mut refunds: Vec<StatementRefund> = p
                    .refunds()
                    .iter()
                    .map(|r| StatementRefund {
                        id: r.id,
                        refunded_at: r.created_at,
                        amount: r.amount,
                        reason: r.reason.clone(),
                    })
                    .collect();
                // Oldest first; a stable sort keeps refunds made at one
                // instant in the order they were made.
                refunds.sort_by_key(|r| r.refunded_at);
                StatementPayment {
                    id: p.id(),
                    received_at: p.received_at(),
                    amount: p.amount(),
                    method: p.method(),
                    reference: p.reference().cloned(),
                    refunds,
                }
            })
            .collect())
    }
}
