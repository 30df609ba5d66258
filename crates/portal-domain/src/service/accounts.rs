//! Accounts: creating one with its API key, authenticating operators,
//! and changing an account's portal settings.

use crate::model::{
    Account, AccountId, AccountSettings, ApiKey, ApiKeyId, ApiKeyRecord, Name, SettingsPatch,
    ValidationError,
};
use crate::ports::StoreError;

use super::Portal;
use super::crm::UPDATE_ATTEMPTS;

/// A new account and its API key, which is never shown again.
#[derive(Debug)]
pub struct CreatedAccount {
    pub account: Account,
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

impl Portal {
    /// Creates an account with default settings and one API key.
    ///
    /// # Errors
    /// When the store fails.
    pub async fn create_account(
        &self,
        name: Name,
        demo: bool,
    ) -> Result<CreatedAccount, StoreError> {
        let now = self.clock.now();
        let account = Account {
            id: AccountId::generate(self.random.as_ref()),
            name,
            settings: AccountSettings::default(),
            demo,
            created_at: now,
            updated_at: now,
        };
        let api_key = ApiKey::generate(self.random.as_ref());
        let record = ApiKeyRecord {
            id: ApiKeyId::generate(self.random.as_ref()),
            account_id: account.id,
            key_hash: api_key.hash(),
            created_at: now,
        };
        self.store.insert_account(&account, &record).await?;
        Ok(CreatedAccount { account, api_key })
    }

    /// The account an operator's API key belongs to.
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
        // Compare-and-set on what was read, as for clients.
        let mut current = account.clone();
        for _ in 0..UPDATE_ATTEMPTS {
            let updated = Account {
                name: name.clone().unwrap_or_else(|| current.name.clone()),
                settings: current.settings.apply(patch.clone())?,
                updated_at: self.clock.now(),
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

    /// The demo account, if one was seeded.
    ///
    /// # Errors
    /// When the store fails.
    pub async fn demo_account(&self) -> Result<Option<Account>, StoreError> {
        self.store.demo_account().await
    }

    /// How many accounts exist (a new database has none).
    ///
    /// # Errors
    /// When the store fails.
    pub async fn account_count(&self) -> Result<u64, StoreError> {
        self.store.account_count().await
    }
}
