//! An in-memory [`Store`], for fast tests of the domain's services. It
//! passes the same contract suite as the SQL adapters, and states the
//! port's semantics in the plainest code there is: every table is a
//! vector, every method takes one lock, and a batch is applied to a copy
//! that replaces the original only when every write of it held.

mod access;
mod accounts;
mod batch;
mod documents;
mod outbox;
mod processor;
mod statements;

use std::sync::{Mutex, MutexGuard};

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::model::{
    Account, AccountId, ApiKeyRecord, AuditEvent, Checkout, ClaimToken, Client, ClientId, Contact,
    ContactId, DocumentId, DocumentRecord, IdempotencyRecord, LinkRequest, Logo, MagicLink,
    OutboxMessage, PageRequest, Payment, PortalSession, ProcessorCustomer, SessionId, StoredMethod,
    TokenHash,
};
use crate::ports::{ConnectionRecord, Revocation, Store, StoreError, StoreResult};

/// A document's row: its record without the ledger (derived from the
/// payments on every read, as the SQL stores derive it).
#[derive(Debug, Clone)]
struct DocumentRow {
    record: DocumentRecord,
}

/// An outbox row and the claim that holds it.
#[derive(Debug, Clone)]
struct OutboxRow {
    message: OutboxMessage,
    claim: Option<(ClaimToken, DateTime<Utc>)>,
}

#[derive(Debug, Clone, Default)]
struct State {
    accounts: Vec<Account>,
    /// At most one per account, apart from the account as in the SQL
    /// stores.
    logos: Vec<(AccountId, Logo)>,
    api_keys: Vec<ApiKeyRecord>,
    clients: Vec<Client>,
    contacts: Vec<Contact>,
    documents: Vec<DocumentRow>,
    /// (document, contact, first sent, last sent)
    recipients: Vec<(DocumentId, ContactId, DateTime<Utc>, DateTime<Utc>)>,
    payments: Vec<Payment>,
    links: Vec<MagicLink>,
    sessions: Vec<(PortalSession, Option<TokenHash>)>,
    events: Vec<AuditEvent>,
    link_requests: Vec<LinkRequest>,
    outbox: Vec<OutboxRow>,
    idempotency: Vec<IdempotencyRecord>,
    /// At most one per account.
    connections: Vec<ConnectionRecord>,
    customers: Vec<ProcessorCustomer>,
    methods: Vec<StoredMethod>,
    checkouts: Vec<Checkout>,
    processor_events: Vec<processor::EventKey>,
    key_fingerprint: Option<String>,
}

/// Every table in one mutex: each method is trivially atomic.
#[derive(Debug, Default)]
pub struct InMemoryStore(Mutex<State>);

impl InMemoryStore {
    pub fn new() -> Self {
        Self::default()
    }

    fn state(&self) -> MutexGuard<'_, State> {
        self.0.lock().unwrap_or_else(|e| e.into_inner())
    }
}

fn missing(what: &str) -> StoreError {
    StoreError::Backend(format!("{what} does not exist").into())
}

fn corrupt(err: impl std::fmt::Display) -> StoreError {
    StoreError::Backend(format!("corrupt data in the store: {err}").into())
}

/// The page of `items` that `page` asks for, in the order `key` gives
/// (ascending or descending): those after the cursor, at most
/// [`PageRequest::fetch`] of them.
fn paged<T>(
    mut items: Vec<T>,
    page: &PageRequest,
    ascending: bool,
    key: impl Fn(&T) -> (DateTime<Utc>, Uuid),
) -> Vec<T> {
    items.sort_by(|a, b| {
        let order = key(a).cmp(&key(b));
        if ascending { order } else { order.reverse() }
    });
    items
        .into_iter()
        .filter(|item| match page.after {
            None => true,
            Some(cursor) => {
                let k = key(item);
                let after = (cursor.at, cursor.id);
                if ascending { k > after } else { k < after }
            }
        })
        .take(usize::try_from(page.fetch()).unwrap_or(usize::MAX))
        .collect()
}

impl State {
    fn portal_open(&self, client: ClientId) -> bool {
        self.clients
            .iter()
            .any(|c| c.id == client && c.portal_open())
    }

    fn contact_active(&self, contact: ContactId) -> bool {
        self.contacts.iter().any(|c| c.id == contact && c.active)
    }

    fn revoke(&mut self, id: SessionId, revocation: Revocation) -> bool {
        match self.sessions.iter_mut().find(|(s, _)| s.id == id) {
            Some((session, _)) if session.revoked_at.is_none() => {
                session.revoked_at = Some(revocation.at);
                session.revoke_reason = Some(revocation.reason);
                true
            }
            _ => false,
        }
    }

    /// Ends the live sessions and revokes the unused links that `matches`
    /// picks; returns how many sessions ended.
    fn end_access(
        &mut self,
        revocation: Revocation,
        matches: impl Fn(ClientId, ContactId) -> bool,
    ) -> u64 {
        let live: Vec<SessionId> = self
            .sessions
            .iter()
            .filter(|(s, _)| {
                matches(s.client_id, s.contact_id)
                    && s.revoked_at.is_none()
                    && s.expires_at > revocation.at
            })
            .map(|(s, _)| s.id)
            .collect();
        for id in &live {
            self.revoke(*id, revocation);
        }
        for link in &mut self.links {
            if matches(link.client_id, link.contact_id)
                && link.used_at.is_none()
                && link.revoked_at.is_none()
            {
                link.revoked_at = Some(revocation.at);
            }
        }
        live.len() as u64
    }
}

#[async_trait]
impl Store for InMemoryStore {
    async fn ping(&self) -> StoreResult<()> {
        Ok(())
    }

    async fn check_key_fingerprint(&self, fingerprint: &str) -> StoreResult<bool> {
        let mut state = self.state();
        Ok(match &state.key_fingerprint {
            Some(known) => known == fingerprint,
            None => {
                state.key_fingerprint = Some(fingerprint.to_owned());
                true
            }
        })
    }
}

#[cfg(test)]
mod contract {
    async fn fresh() -> super::InMemoryStore {
        super::InMemoryStore::new()
    }

    crate::store_contract_tests!(blocking fresh);
}
