//! Processor connections, customers, saved methods, checkouts and webhook
//! events, in memory.

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use super::{InMemoryStore, State};
use crate::model::{
    AccountId, Checkout, CheckoutId, CheckoutState, ClientId, ConnectionId, Payment, PaymentId,
    PaymentMethodId, PaymentRecord, PaymentStatus, ProcessorCustomer, ProcessorKind, ProcessorRef,
    StoredMethod,
};
use crate::ports::{ConnectionRecord, ProcessorStore, StoreResult};

/// A webhook event an account recorded as applied: what the port can ask
/// of it (its type, payment and time are not read back).
pub(super) type EventKey = (AccountId, ProcessorKind, ProcessorRef);

/// Everything a store keeps of `payment`.
pub(super) fn record_of(payment: &Payment) -> PaymentRecord {
    PaymentRecord {
        id: payment.id(),
        account_id: payment.account_id(),
        client_id: payment.client_id(),
        amount: payment.amount(),
        method: payment.method(),
        reference: payment.reference().cloned(),
        received_at: payment.received_at(),
        status: payment.status(),
        allocations: payment.allocations().to_vec(),
        refunds: payment.refunds().to_vec(),
        created_at: payment.created_at(),
        version: payment.version(),
        processor: payment.processor().cloned(),
        failure: payment.failure().map(str::to_owned),
    }
}

impl State {
    /// Makes `id` the default of its client's methods under its
    /// connection, and the others not; `false` when there is no such
    /// method.
    pub(super) fn make_default(&mut self, account: AccountId, id: PaymentMethodId) -> bool {
        let Some(chosen) = self
            .methods
            .iter()
            .find(|m| m.id == id && m.account_id == account)
            .map(|m| (m.client_id, m.connection_id))
        else {
            return false;
        };
        for method in &mut self.methods {
            if method.account_id == account && (method.client_id, method.connection_id) == chosen {
                method.is_default = method.id == id;
            }
        }
        true
    }

    /// Records a confirmed method, replacing one with the same reference
    /// under the same connection.
    pub(super) fn insert_method(&mut self, method: &StoredMethod) {
        self.methods.retain(|m| {
            !(m.connection_id == method.connection_id && m.reference == method.reference)
        });
        if method.is_default {
            for other in &mut self.methods {
                if other.account_id == method.account_id
                    && other.client_id == method.client_id
                    && other.connection_id == method.connection_id
                {
                    other.is_default = false;
                }
            }
        }
        self.methods.push(method.clone());
    }

    /// Marks an open checkout submitted; `false` when it is not open or
    /// gone.
    pub(super) fn submit_checkout(
        &mut self,
        account: AccountId,
        id: CheckoutId,
        at: DateTime<Utc>,
    ) -> bool {
        match self
            .checkouts
            .iter_mut()
            .find(|c| c.id == id && c.account_id == account)
        {
            Some(checkout) if checkout.state == CheckoutState::Open => {
                checkout.state = CheckoutState::Submitted(at);
                true
            }
            _ => false,
        }
    }

    fn event_seen(&self, account: AccountId, processor: ProcessorKind, id: &ProcessorRef) -> bool {
        self.processor_events
            .iter()
            .any(|(a, p, e)| *a == account && *p == processor && e == id)
    }

    /// Records an applied event; `false` when it was recorded before.
    pub(super) fn record_event(
        &mut self,
        account: AccountId,
        processor: ProcessorKind,
        id: &ProcessorRef,
    ) -> bool {
        if self.event_seen(account, processor, id) {
            return false;
        }
        self.processor_events.push((account, processor, id.clone()));
        true
    }
}

#[async_trait]
impl ProcessorStore for InMemoryStore {
    async fn connection(&self, account: AccountId) -> StoreResult<Option<ConnectionRecord>> {
        Ok(self
            .state()
            .connections
            .iter()
            .find(|c| c.account_id == account)
            .cloned())
    }

    async fn record_connection_health(
        &self,
        account: AccountId,
        connection: ConnectionId,
        error: Option<&str>,
        at: DateTime<Utc>,
    ) -> StoreResult<()> {
        let mut state = self.state();
        if let Some(record) = state
            .connections
            .iter_mut()
            .find(|c| c.account_id == account && c.id == connection)
        {
            match error {
                None => record.health.last_ok_at = Some(at),
                Some(error) => {
                    record.health.last_error = Some(error.to_owned());
                    record.health.last_error_at = Some(at);
                }
            }
        }
        Ok(())
    }

    async fn processor_customer(
        &self,
        account: AccountId,
        connection: ConnectionId,
        client: ClientId,
    ) -> StoreResult<Option<ProcessorCustomer>> {
        Ok(self
            .state()
            .customers
            .iter()
            .find(|c| {
                c.account_id == account && c.connection_id == connection && c.client_id == client
            })
            .cloned())
    }

    async fn insert_processor_customer(
        &self,
        customer: &ProcessorCustomer,
    ) -> StoreResult<ProcessorCustomer> {
        let mut state = self.state();
        if let Some(first) = state.customers.iter().find(|c| {
            c.connection_id == customer.connection_id && c.client_id == customer.client_id
        }) {
            return Ok(first.clone());
        }
        state.customers.push(customer.clone());
        Ok(customer.clone())
    }

    async fn methods(
        &self,
        account: AccountId,
        connection: ConnectionId,
        client: ClientId,
    ) -> StoreResult<Vec<StoredMethod>> {
        let mut methods: Vec<StoredMethod> = self
            .state()
            .methods
            .iter()
            .filter(|m| {
                m.account_id == account && m.connection_id == connection && m.client_id == client
            })
            .cloned()
            .collect();
        methods.sort_by_key(|m| (!m.is_default, m.created_at, m.id));
        Ok(methods)
    }

    async fn method(
        &self,
        account: AccountId,
        id: PaymentMethodId,
    ) -> StoreResult<Option<StoredMethod>> {
        Ok(self
            .state()
            .methods
            .iter()
            .find(|m| m.id == id && m.account_id == account)
            .cloned())
    }

    async fn checkout(&self, account: AccountId, id: CheckoutId) -> StoreResult<Option<Checkout>> {
        Ok(self
            .state()
            .checkouts
            .iter()
            .find(|c| c.id == id && c.account_id == account)
            .cloned())
    }

    async fn forget_checkouts(&self, before: DateTime<Utc>) -> StoreResult<u64> {
        let mut state = self.state();
        let was = state.checkouts.len();
        state
            .checkouts
            .retain(|c| !(c.state == CheckoutState::Open && c.expires_at < before));
        Ok((was - state.checkouts.len()) as u64)
    }

    async fn payment_by_charge(
        &self,
        account: AccountId,
        processor: ProcessorKind,
        reference: &ProcessorRef,
    ) -> StoreResult<Option<Payment>> {
        // Should several share a reference, the oldest.
        Ok(self
            .state()
            .payments
            .iter()
            .filter(|p| {
                p.account_id() == account
                    && p.processor().is_some_and(|c| {
                        c.kind == processor && c.reference.as_ref() == Some(reference)
                    })
            })
            .min_by_key(|p| (p.created_at(), p.id()))
            .cloned())
    }

    async fn pending_processor_payments(
        &self,
        before: DateTime<Utc>,
        after: Option<(DateTime<Utc>, PaymentId)>,
        limit: u32,
    ) -> StoreResult<Vec<Payment>> {
        let mut pending: Vec<Payment> = self
            .state()
            .payments
            .iter()
            .filter(|p| {
                p.status() == PaymentStatus::Pending
                    && p.processor().is_some()
                    && p.created_at() < before
                    && after.is_none_or(|cursor| (p.created_at(), p.id()) > cursor)
            })
            .cloned()
            .collect();
        pending.sort_by_key(|p| (p.created_at(), p.id()));
        pending.truncate(usize::try_from(limit).unwrap_or(usize::MAX));
        Ok(pending)
    }

    async fn processor_event_seen(
        &self,
        account: AccountId,
        processor: ProcessorKind,
        event_id: &ProcessorRef,
    ) -> StoreResult<bool> {
        Ok(self.state().event_seen(account, processor, event_id))
    }
}
