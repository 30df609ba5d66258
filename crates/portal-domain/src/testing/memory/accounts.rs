//! Accounts, their logos and API keys, clients and contacts, in memory.

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use super::{InMemoryStore, missing, paged};
use crate::model::{
    Account, AccountId, ApiKeyId, ApiKeyRecord, Client, ClientId, Contact, ContactId, EmailAddress,
    Logo, PageRequest, TokenHash,
};
use crate::ports::{
    AccountStore, Conflict, CrmStore, KeyRevocation, LogoStore, Revocation, StoreError, StoreResult,
};

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
        let key = state
            .api_keys
            .iter()
            .find(|k| k.key_hash == *key_hash && k.is_active());
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

    async fn insert_api_key(&self, key: &ApiKeyRecord) -> StoreResult<()> {
        self.state().api_keys.push(key.clone());
        Ok(())
    }

    async fn api_keys(
        &self,
        account: AccountId,
        page: &PageRequest,
    ) -> StoreResult<Vec<ApiKeyRecord>> {
        let keys: Vec<ApiKeyRecord> = self
            .state()
            .api_keys
            .iter()
            .filter(|k| k.account_id == account)
            .cloned()
            .collect();
        Ok(paged(keys, page, true, |k| (k.created_at, k.id.as_uuid())))
    }

    async fn revoke_api_key(
        &self,
        account: AccountId,
        id: ApiKeyId,
        at: DateTime<Utc>,
    ) -> StoreResult<KeyRevocation> {
        let mut state = self.state();
        let active = state
            .api_keys
            .iter()
            .filter(|k| k.account_id == account && k.is_active())
            .count();
        let Some(key) = state
            .api_keys
            .iter_mut()
            .find(|k| k.id == id && k.account_id == account)
        else {
            return Ok(KeyRevocation::NotFound);
        };
        if !key.is_active() {
            return Ok(KeyRevocation::AlreadyRevoked(key.clone()));
        }
        if active <= 1 {
            return Ok(KeyRevocation::LastActiveKey);
        }
        key.revoked_at = Some(at);
        Ok(KeyRevocation::Revoked(key.clone()))
    }
}

#[async_trait]
impl LogoStore for InMemoryStore {
    async fn logo(&self, account: AccountId) -> StoreResult<Option<Logo>> {
        Ok(self
            .state()
            .logos
            .iter()
            .find(|(id, _)| *id == account)
            .map(|(_, logo)| logo.clone()))
    }

    async fn set_logo(
        &self,
        account: AccountId,
        logo: Option<&Logo>,
        _at: DateTime<Utc>,
    ) -> StoreResult<()> {
        let mut state = self.state();
        if logo.is_some() && !state.accounts.iter().any(|a| a.id == account) {
            return Err(missing("account"));
        }
        state.logos.retain(|(id, _)| *id != account);
        state.logos.extend(logo.map(|logo| (account, logo.clone())));
        Ok(())
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

    async fn clients(&self, account: AccountId, page: &PageRequest) -> StoreResult<Vec<Client>> {
        let clients: Vec<Client> = self
            .state()
            .clients
            .iter()
            .filter(|c| c.account_id == account)
            .cloned()
            .collect();
        Ok(paged(clients, page, true, |c| {
            (c.created_at, c.id.as_uuid())
        }))
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
        let id = client.id;
        Ok(Some(state.end_access(revocation, |c, _| c == id)))
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

    async fn contacts(
        &self,
        account: AccountId,
        client: ClientId,
        page: &PageRequest,
    ) -> StoreResult<Vec<Contact>> {
        let contacts: Vec<Contact> = self
            .state()
            .contacts
            .iter()
            .filter(|c| c.account_id == account && c.client_id == client)
            .cloned()
            .collect();
        Ok(paged(contacts, page, true, |c| {
            (c.created_at, c.id.as_uuid())
        }))
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

    async fn update_contact(
        &self,
        current: &Contact,
        next: &Contact,
        revoke: Option<Revocation>,
    ) -> StoreResult<Option<u64>> {
        let mut state = self.state();
        let clash = state
            .contacts
            .iter()
            .any(|c| c.id != next.id && c.client_id == next.client_id && c.email == next.email);
        let stored = state
            .contacts
            .iter_mut()
            .find(|c| c.id == current.id && c.account_id == current.account_id)
            .ok_or_else(|| missing("contact"))?;
        if (&stored.name, &stored.email, stored.active)
            != (&current.name, &current.email, current.active)
        {
            return Ok(None);
        }
        if clash {
            return Err(StoreError::Conflict(Conflict::ContactEmail));
        }
        *stored = next.clone();
        let Some(revocation) = revoke else {
            return Ok(Some(0));
        };
        let id = next.id;
        Ok(Some(state.end_access(revocation, |_, c| c == id)))
    }
}
