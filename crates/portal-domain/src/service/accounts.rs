//! Accounts: creating one with its first API key, authenticating
//! operators, changing an account's settings and logo, and managing its
//! API keys.

use std::sync::Arc;

use crate::model::{
    Account, AccountId, AccountSettings, ApiKey, ApiKeyId, ApiKeyRecord, Logo, Name, Page,
    PageRequest, SettingsPatch, ValidationError,
};
use crate::ports::{AccountStore, KeyRevocation, LogoStore, Store, StoreError};

use super::{Env, UPDATE_ATTEMPTS};

/// A new account and its API key, which is never shown again.
#[derive(Debug)]
pub struct CreatedAccount {
    pub account: Account,
    pub api_key: ApiKey,
}

/// A new API key: its record, and the key itself, shown this once.
#[derive(Debug)]
pub struct CreatedApiKey {
    pub record: ApiKeyRecord,
    pub api_key: ApiKey,
}

#[derive(Debug, thiserror::Error)]
pub enum OperatorAuthError {
    #[error("the API key is missing, malformed or not valid")]
    InvalidKey,
    #[error(transparent)]
    Store(#[from] StoreError),
}

#[derive(Debug, thiserror::Error)]
pub enum SettingsError {
    #[error(transparent)]
    Invalid(#[from] ValidationError),
    #[error("the account kept changing while this request was handled; try again")]
    ChangedConcurrently,
    #[error(transparent)]
    Store(#[from] StoreError),
}

#[derive(Debug, thiserror::Error)]
pub enum ApiKeyError {
    #[error("no API key with this id")]
    NotFound,
    #[error("this is the account's last active API key; create another before revoking it")]
    LastActiveKey,
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Accounts and their operator API keys.
#[derive(Clone)]
pub struct Accounts {
    store: Arc<dyn AccountStore>,
    logos: Arc<dyn LogoStore>,
    env: Env,
}

impl std::fmt::Debug for Accounts {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Accounts").finish_non_exhaustive()
    }
}

impl Accounts {
    pub(crate) fn new(store: Arc<dyn Store>, env: Env) -> Self {
        Self {
            logos: store.clone(),
            store,
            env,
        }
    }

    fn key_record(&self, account: AccountId, name: Name, key: &ApiKey) -> ApiKeyRecord {
        ApiKeyRecord {
            id: ApiKeyId::generate(self.env.random()),
            account_id: account,
            name,
            prefix: Some(key.display_prefix()),
            key_hash: key.hash(),
            created_at: self.env.now(),
            revoked_at: None,
        }
    }

    /// Creates an account with default settings and one API key.
    ///
    /// # Errors
    /// When the store fails.
    pub async fn create_account(
        &self,
        name: Name,
        demo: bool,
    ) -> Result<CreatedAccount, StoreError> {
        let now = self.env.now();
        let account = Account {
            id: AccountId::generate(self.env.random()),
            name,
            settings: AccountSettings::default(),
            demo,
            created_at: now,
            updated_at: now,
        };
        let api_key = ApiKey::generate(self.env.random());
        let record = self.key_record(account.id, default_key_name(), &api_key);
        self.store.insert_account(&account, &record).await?;
        Ok(CreatedAccount { account, api_key })
    }

    /// The account an operator's API key belongs to. A revoked key stops
    /// working at once: every request looks the key up again.
    ///
    /// # Errors
    /// [`OperatorAuthError::InvalidKey`] for a malformed, unknown or
    /// revoked key.
    pub async fn authenticate_operator(&self, key: &str) -> Result<Account, OperatorAuthError> {
        let key = ApiKey::parse(key).ok_or(OperatorAuthError::InvalidKey)?;
        self.store
            .account_by_api_key(&key.hash())
            .await?
            .ok_or(OperatorAuthError::InvalidKey)
    }

    /// Renames an account and/or changes its settings, checked as a whole.
    ///
    /// # Errors
    /// [`SettingsError::Invalid`] when the result breaks a bound.
    pub async fn update_account(
        &self,
        account: &Account,
        name: Option<Name>,
        patch: SettingsPatch,
    ) -> Result<Account, SettingsError> {
        // Compare-and-set on what was read: a concurrent change makes the
        // write miss, and the patch is applied again to the new state.
        let mut current = account.clone();
        for _ in 0..UPDATE_ATTEMPTS {
            let updated = Account {
                name: name.clone().unwrap_or_else(|| current.name.clone()),
                settings: current.settings.apply(patch.clone())?,
                updated_at: self.env.now(),
                ..current.clone()
            };
            if self.store.update_account(&current, &updated).await? {
                return Ok(updated);
            }
            current = self
                .store
                .account(account.id)
                .await?
                .ok_or(SettingsError::ChangedConcurrently)?;
        }
        Err(SettingsError::ChangedConcurrently)
    }

    /// Adds a named API key to the account.
    ///
    /// # Errors
    /// When the store fails.
    pub async fn create_api_key(
        &self,
        account: &Account,
        name: Name,
    ) -> Result<CreatedApiKey, StoreError> {
        let api_key = ApiKey::generate(self.env.random());
        let record = self.key_record(account.id, name, &api_key);
        self.store.insert_api_key(&record).await?;
        Ok(CreatedApiKey { record, api_key })
    }

    /// The account's keys, oldest first, revoked ones included.
    ///
    /// # Errors
    /// When the store fails.
    pub async fn api_keys(
        &self,
        account: &Account,
        page: PageRequest,
    ) -> Result<Page<ApiKeyRecord>, StoreError> {
        let rows = self.store.api_keys(account.id, &page).await?;
        Ok(Page::from_rows(rows, &page, |k| {
            crate::model::Cursor::new(k.created_at, k.id.as_uuid())
        }))
    }

    /// Revokes a key; requests with it fail from now on. Revoking a revoked
    /// key changes nothing and is not an error.
    ///
    /// # Errors
    /// [`ApiKeyError::NotFound`]; [`ApiKeyError::LastActiveKey`], so an
    /// account never locks itself out of its API.
    pub async fn revoke_api_key(
        &self,
        account: &Account,
        id: ApiKeyId,
    ) -> Result<ApiKeyRecord, ApiKeyError> {
        match self
            .store
            .revoke_api_key(account.id, id, self.env.now())
            .await?
        {
            KeyRevocation::Revoked(key) | KeyRevocation::AlreadyRevoked(key) => Ok(key),
            KeyRevocation::LastActiveKey => Err(ApiKeyError::LastActiveKey),
            KeyRevocation::NotFound => Err(ApiKeyError::NotFound),
        }
    }

    /// The account's logo, if it has one.
    ///
    /// # Errors
    /// When the store fails.
    pub async fn logo(&self, account: &Account) -> Result<Option<Logo>, StoreError> {
        self.logos.logo(account.id).await
    }

    /// Replaces the account's logo (checked by [`Logo::new`] on upload),
    /// or removes it with `None`; removing none is not an error.
    ///
    /// # Errors
    /// When the store fails.
    pub async fn set_logo(&self, account: &Account, logo: Option<&Logo>) -> Result<(), StoreError> {
        self.logos.set_logo(account.id, logo, self.env.now()).await
    }

    /// The demo account, if one was seeded.
    ///
    /// # Errors
    /// When the store fails.
    pub async fn demo_account(&self) -> Result<Option<Account>, StoreError> {
        self.store.demo_account().await
    }

    /// The account with this id.
    ///
    /// # Errors
    /// When the store fails.
    pub async fn account(&self, id: AccountId) -> Result<Option<Account>, StoreError> {
        self.store.account(id).await
    }

    /// How many accounts exist (a new database has none).
    ///
    /// # Errors
    /// When the store fails.
    pub async fn account_count(&self) -> Result<u64, StoreError> {
        self.store.account_count().await
    }
}

fn default_key_name() -> Name {
    Name::parse("name", "Default").unwrap_or_else(|_| unreachable!("a valid name"))
}
