//! An in-memory [`Store`], for fast tests of the domain's services. It
//! passes the same contract suite as the SQL adapters.

use std::cmp::Reverse;
use std::sync::{Mutex, MutexGuard};

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use crate::model::{
    Account, AccountId, ApiKeyRecord, AuditEvent, Client, ClientId, Contact, ContactId, Document,
    DocumentId, DocumentStatus, EmailAddress, LinkId, LinkRequest, LinkRequestCounts, MagicLink,
    PortalSession, SessionId, TokenHash,
};
use crate::ports::{
    AccessStore, AccountStore, AuditStore, Conflict, CrmStore, DocumentFilter, DocumentStore,
    LinkRequestStore, Redemption, Revocation, SessionContext, SessionFilter, Store, StoreError,
    StoreResult,
};

#[derive(Debug, Default)]
struct State {
    accounts: Vec<Account>,
    api_keys: Vec<ApiKeyRecord>,
    clients: Vec<Client>,
    contacts: Vec<Contact>,
    documents: Vec<Document>,
    links: Vec<MagicLink>,
    sessions: Vec<(PortalSession, Option<TokenHash>)>,
    events: Vec<AuditEvent>,
    link_requests: Vec<LinkRequest>,
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

impl State {
    fn portal_open(&self, client: ClientId) -> bool {
        self.clients
            .iter()
            .any(|c| c.id == client && c.portal_open())
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
}

#[async_trait]
impl AccountStore for InMemoryStore {
    async fn insert_account(&self, account: &Account, key: &ApiKeyRecord) -> StoreResult<()> {
        let mut state = self.state();
        state.accounts.push(account.clone());
        state.api_keys.push(key.clone());
        Ok(())
    }

    async fn account(&self, id: AccountId) -> StoreResult<Option<Account>> {
        Ok(self.state().accounts.iter().find(|a| a.id == id).cloned())
    }

    async fn account_by_api_key(&self, key_hash: &TokenHash) -> StoreResult<Option<Account>> {
        let state = self.state();
        let key = state.api_keys.iter().find(|k| k.key_hash == *key_hash);
        Ok(key.and_then(|k| {
            state
                .accounts
                .iter()
                .find(|a| a.id == k.account_id)
                .cloned()
        }))
    }

    async fn update_account(&self, current: &Account, next: &Account) -> StoreResult<bool> {
        let mut state = self.state();
        let stored = state
            .accounts
            .iter_mut()
            .find(|a| a.id == current.id)
            .ok_or_else(|| missing("account"))?;
        if stored.name != current.name || stored.settings != current.settings {
            return Ok(false);
        }
        *stored = next.clone();
        Ok(true)
    }

    async fn account_count(&self) -> StoreResult<u64> {
        Ok(self.state().accounts.len() as u64)
    }

    async fn sole_account(&self) -> StoreResult<Option<AccountId>> {
        let state = self.state();
        Ok(match state.accounts.as_slice() {
            [only] => Some(only.id),
            _ => None,
        })
    }

    async fn demo_account(&self) -> StoreResult<Option<Account>> {
        let state = self.state();
        Ok(state
            .accounts
            .iter()
            .filter(|a| a.demo)
            .min_by_key(|a| (a.created_at, a.id))
            .cloned())
    }
}

#[async_trait]
impl CrmStore for InMemoryStore {
    async fn insert_client(&self, client: &Client) -> StoreResult<()> {
        self.state().clients.push(client.clone());
        Ok(())
    }

    async fn client(&self, account: AccountId, id: ClientId) -> StoreResult<Option<Client>> {
        Ok(self
            .state()
            .clients
            .iter()
            .find(|c| c.id == id && c.account_id == account)
            .cloned())
    }

    async fn clients(&self, account: AccountId) -> StoreResult<Vec<Client>> {
        let mut clients: Vec<Client> = self
            .state()
            .clients
            .iter()
            .filter(|c| c.account_id == account)
            .cloned()
            .collect();
        clients.sort_by_key(|c| (c.created_at, c.id));
        Ok(clients)
    }

    async fn update_client(
        &self,
        current: &Client,
        client: &Client,
        revoke: Option<Revocation>,
    ) -> StoreResult<Option<u64>> {
        let mut state = self.state();
        let stored = state
            .clients
            .iter_mut()
            .find(|c| c.id == client.id && c.account_id == client.account_id)
            .ok_or_else(|| missing("client"))?;
        if (&stored.name, stored.portal_enabled, stored.active)
            != (&current.name, current.portal_enabled, current.active)
        {
            return Ok(None);
        }
        *stored = client.clone();
        let Some(revocation) = revoke else {
            return Ok(Some(0));
        };
        let live: Vec<SessionId> = state
            .sessions
            .iter()
            .filter(|(s, _)| {
                s.client_id == client.id && s.revoked_at.is_none() && s.expires_at > revocation.at
            })
            .map(|(s, _)| s.id)
            .collect();
        for id in &live {
            state.revoke(*id, revocation);
        }
        for link in state.links.iter_mut() {
            if link.client_id == client.id && link.used_at.is_none() && link.revoked_at.is_none() {
                link.revoked_at = Some(revocation.at);
            }
        }
        Ok(Some(live.len() as u64))
    }

    async fn insert_contact(&self, contact: &Contact) -> StoreResult<()> {
        let mut state = self.state();
        if state
            .contacts
            .iter()
            .any(|c| c.client_id == contact.client_id && c.email == contact.email)
        {
            return Err(StoreError::Conflict(Conflict::ContactEmail));
        }
        state.contacts.push(contact.clone());
        Ok(())
    }

    async fn contact(&self, account: AccountId, id: ContactId) -> StoreResult<Option<Contact>> {
        Ok(self
            .state()
            .contacts
            .iter()
            .find(|c| c.id == id && c.account_id == account)
            .cloned())
    }

    async fn contacts(&self, account: AccountId, client: ClientId) -> StoreResult<Vec<Contact>> {
        let mut contacts: Vec<Contact> = self
            .state()
            .contacts
            .iter()
            .filter(|c| c.account_id == account && c.client_id == client)
            .cloned()
            .collect();
        contacts.sort_by_key(|c| (c.created_at, c.id));
        Ok(contacts)
    }

    async fn contacts_by_email(
        &self,
        account: AccountId,
        email: &EmailAddress,
    ) -> StoreResult<Vec<Contact>> {
        let mut contacts: Vec<Contact> = self
            .state()
            .contacts
            .iter()
            .filter(|c| c.account_id == account && c.email == *email)
            .cloned()
            .collect();
        contacts.sort_by_key(|c| (c.created_at, c.id));
        Ok(contacts)
    }
}

#[async_trait]
impl DocumentStore for InMemoryStore {
    async fn insert_document(&self, document: &Document) -> StoreResult<()> {
        let mut state = self.state();
        if state.documents.iter().any(|d| {
            d.account_id == document.account_id
                && d.kind == document.kind
                && d.number == document.number
        }) {
            return Err(StoreError::Conflict(Conflict::DocumentNumber));
        }
        state.documents.push(document.clone());
        Ok(())
    }

    async fn document(&self, account: AccountId, id: DocumentId) -> StoreResult<Option<Document>> {
        Ok(self
            .state()
            .documents
            .iter()
            .find(|d| d.id == id && d.account_id == account)
            .cloned())
    }

    async fn documents(
        &self,
        account: AccountId,
        filter: DocumentFilter,
    ) -> StoreResult<Vec<Document>> {
        let mut documents: Vec<Document> = self
            .state()
            .documents
            .iter()
            .filter(|d| {
                d.account_id == account
                    && filter.client.is_none_or(|c| d.client_id == c)
                    && filter.kind.is_none_or(|k| d.kind == k)
                    && !(filter.sent_only && d.sent_at.is_none())
            })
            .cloned()
            .collect();
        documents.sort_by_key(|d| Reverse((d.issue_date, d.created_at, d.id)));
        Ok(documents)
    }

    async fn update_document_status(
        &self,
        document: &Document,
        expected: DocumentStatus,
    ) -> StoreResult<bool> {
        let mut state = self.state();
        match state
            .documents
            .iter_mut()
            .find(|d| d.id == document.id && d.account_id == document.account_id)
        {
            Some(stored) if stored.status == expected => {
                stored.status = document.status;
                stored.sent_at = document.sent_at;
                stored.paid_at = document.paid_at;
                stored.voided_at = document.voided_at;
                Ok(true)
            }
            _ => Ok(false),
        }
    }
}

#[async_trait]
impl AccessStore for InMemoryStore {
    async fn insert_link(
        &self,
        link: &MagicLink,
        pending: Option<&PortalSession>,
    ) -> StoreResult<()> {
        let mut state = self.state();
        if !state.portal_open(link.client_id) {
            return Err(StoreError::Conflict(Conflict::PortalClosed));
        }
        if let Some(session) = pending {
            state.sessions.push((session.clone(), None));
        }
        state.links.push(link.clone());
        Ok(())
    }

    async fn link_by_token(&self, token_hash: &TokenHash) -> StoreResult<Option<MagicLink>> {
        Ok(self
            .state()
            .links
            .iter()
            .find(|l| l.token_hash == *token_hash)
            .cloned())
    }

    async fn revoke_link(&self, id: LinkId, at: DateTime<Utc>) -> StoreResult<()> {
        if let Some(link) = self
            .state()
            .links
            .iter_mut()
            .find(|l| l.id == id && l.used_at.is_none() && l.revoked_at.is_none())
        {
            link.revoked_at = Some(at);
        }
        Ok(())
    }

    async fn redeem_link(&self, r: Redemption<'_>) -> StoreResult<bool> {
        let mut state = self.state();
        let Some(link) = state.links.iter_mut().find(|l| l.id == r.link_id) else {
            return Ok(false);
        };
        if link.used_at.is_some() || link.revoked_at.is_some() || r.at >= link.expires_at {
            return Ok(false);
        }
        if !state.portal_open(r.session.client_id) {
            return Ok(false);
        }
        if r.activates_pending {
            let Some(pending) = state.sessions.iter_mut().find(|(s, _)| {
                s.id == r.session.id && s.activated_at.is_none() && s.revoked_at.is_none()
            }) else {
                return Ok(false);
            };
            *pending = (r.session.clone(), Some(r.secret_hash));
        } else {
            state
                .sessions
                .push((r.session.clone(), Some(r.secret_hash)));
        }
        if let Some(link) = state.links.iter_mut().find(|l| l.id == r.link_id) {
            link.used_at = Some(r.at);
        }
        if let Some(old) = r.replaces {
            state.revoke(
                old,
                Revocation {
                    at: r.at,
                    reason: crate::model::RevokeReason::Replaced,
                },
            );
        }
        state.events.push(r.audit.clone());
        Ok(true)
    }

    async fn session_by_secret(
        &self,
        secret_hash: &TokenHash,
    ) -> StoreResult<Option<SessionContext>> {
        let state = self.state();
        let Some((session, _)) = state
            .sessions
            .iter()
            .find(|(_, h)| h.as_ref() == Some(secret_hash))
        else {
            return Ok(None);
        };
        let contact = state.contacts.iter().find(|c| c.id == session.contact_id);
        let client = state.clients.iter().find(|c| c.id == session.client_id);
        let account = state.accounts.iter().find(|a| a.id == session.account_id);
        Ok(match (contact, client, account) {
            (Some(contact), Some(client), Some(account)) => Some(SessionContext {
                session: session.clone(),
                contact: contact.clone(),
                client: client.clone(),
                account: account.clone(),
            }),
            _ => None,
        })
    }

    async fn session(
        &self,
        account: AccountId,
        id: SessionId,
    ) -> StoreResult<Option<PortalSession>> {
        Ok(self
            .state()
            .sessions
            .iter()
            .find(|(s, _)| s.id == id && s.account_id == account)
            .map(|(s, _)| s.clone()))
    }

    async fn sessions(
        &self,
        account: AccountId,
        filter: SessionFilter,
    ) -> StoreResult<Vec<PortalSession>> {
        let mut sessions: Vec<PortalSession> = self
            .state()
            .sessions
            .iter()
            .map(|(s, _)| s)
            .filter(|s| {
                s.account_id == account
                    && filter.client.is_none_or(|c| s.client_id == c)
                    && filter.contact.is_none_or(|c| s.contact_id == c)
            })
            .cloned()
            .collect();
        sessions.sort_by_key(|s| Reverse((s.created_at, s.id)));
        sessions.truncate(filter.limit as usize);
        Ok(sessions)
    }

    async fn touch_session(&self, id: SessionId, at: DateTime<Utc>) -> StoreResult<()> {
        if let Some((session, _)) = self.state().sessions.iter_mut().find(|(s, _)| s.id == id) {
            session.last_seen_at = Some(at);
        }
        Ok(())
    }

    async fn revoke_session(
        &self,
        id: SessionId,
        revocation: Revocation,
        audit: &AuditEvent,
    ) -> StoreResult<bool> {
        let mut state = self.state();
        let revoked = state.revoke(id, revocation);
        if revoked {
            for link in state.links.iter_mut() {
                if link.session_id == Some(id)
                    && link.used_at.is_none()
                    && link.revoked_at.is_none()
                {
                    link.revoked_at = Some(revocation.at);
                }
            }
            state.events.push(audit.clone());
        }
        Ok(revoked)
    }
}

#[async_trait]
impl AuditStore for InMemoryStore {
    async fn record(&self, event: &AuditEvent) -> StoreResult<()> {
        self.state().events.push(event.clone());
        Ok(())
    }

    async fn session_events(
        &self,
        account: AccountId,
        session: SessionId,
    ) -> StoreResult<Vec<AuditEvent>> {
        let mut events: Vec<AuditEvent> = self
            .state()
            .events
            .iter()
            .filter(|e| e.account_id == account && e.session_id == Some(session))
            .cloned()
            .collect();
        // Stable: equal times keep the order they were recorded in.
        events.sort_by_key(|e| e.occurred_at);
        Ok(events)
    }

    async fn client_events(
        &self,
        account: AccountId,
        client: ClientId,
        limit: u32,
    ) -> StoreResult<Vec<AuditEvent>> {
        let state = self.state();
        let mut events: Vec<(usize, &AuditEvent)> = state
            .events
            .iter()
            .enumerate()
            .filter(|(_, e)| e.account_id == account && e.client_id == client)
            .collect();
        events.sort_by_key(|(seq, e)| Reverse((e.occurred_at, *seq)));
        Ok(events
            .into_iter()
            .take(limit as usize)
            .map(|(_, e)| e.clone())
            .collect())
    }
}

#[async_trait]
impl LinkRequestStore for InMemoryStore {
    async fn record_link_request(
        &self,
        request: &LinkRequest,
        since: DateTime<Utc>,
        forget_before: DateTime<Utc>,
    ) -> StoreResult<LinkRequestCounts> {
        let mut state = self.state();
        state
            .link_requests
            .retain(|r| r.requested_at >= forget_before);
        state.link_requests.push(request.clone());
        let recent = state
            .link_requests
            .iter()
            .filter(|r| r.requested_at > since);
        let (mut from_ip, mut for_email) = (0, 0);
        for r in recent {
            from_ip += u64::from(r.ip == request.ip);
            for_email += u64::from(r.email == request.email);
        }
        Ok(LinkRequestCounts { from_ip, for_email })
    }
}

#[async_trait]
impl Store for InMemoryStore {
    async fn ping(&self) -> StoreResult<()> {
        Ok(())
    }
}

#[cfg(test)]
mod contract {
    async fn fresh() -> super::InMemoryStore {
        super::InMemoryStore::new()
    }

    crate::store_contract_tests!(blocking fresh);
}
