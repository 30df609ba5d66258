//! Connecting an account's processor: credentials sealed under the server
//! key, a connection check, and the health the last contact left.

use std::sync::Arc;

use chrono::{DateTime, Utc};

use crate::model::{
    Account, AccountId, ConnectionHealth, ConnectionId, ProcessorConnection, ProcessorCredentials,
    ProcessorKind, ValidationError,
};
use crate::ports::{
    Batch, BatchStore, BrowserAssets, ConnectionRecord, Processor, ProcessorConnector,
    ProcessorError, ProcessorStore, Store, StoreError, Write,
};

use super::Env;

#[derive(Debug, thiserror::Error)]
pub enum ProcessorSettingsError {
    #[error(transparent)]
    Invalid(#[from] ValidationError),
    #[error("no processor is connected")]
    NotConnected,
    /// The deployment does not offer this kind of processor.
    #[error("this portal does not offer the {} processor", .0.label())]
    NotOffered(ProcessorKind),
    /// The stored credentials no longer open with this server key.
    #[error("the stored processor credentials cannot be opened with this server key")]
    Unreadable,
    #[error(transparent)]
    Processor(#[from] ProcessorError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// What an operator sees of the connection: never a secret.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ProcessorStatus {
    NotConfigured,
    Connected {
        kind: ProcessorKind,
        connection: ConnectionId,
        /// When this connection was made.
        connected_at: DateTime<Utc>,
        test_mode: bool,
        health: ConnectionHealth,
    },
}

/// A connected processor, ready to use.
#[derive(Clone)]
pub struct Connected {
    pub connection: ProcessorConnection,
    pub processor: Arc<dyn Processor>,
}

impl std::fmt::Debug for Connected {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Connected")
            .field("connection", &self.connection.id)
            .field("kind", &self.connection.kind())
            .finish_non_exhaustive()
    }
}

impl Connected {
    pub fn kind(&self) -> ProcessorKind {
        self.connection.kind()
    }

    pub fn test_mode(&self) -> bool {
        self.connection.credentials.test_mode()
    }
}

/// Processor connections.
#[derive(Clone)]
pub struct ProcessorSettings {
    store: Arc<dyn ProcessorStore>,
    batches: Arc<dyn BatchStore>,
    connector: Arc<dyn ProcessorConnector>,
    env: Env,
}

impl std::fmt::Debug for ProcessorSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ProcessorSettings").finish_non_exhaustive()
    }
}

impl ProcessorSettings {
    pub(crate) fn new(
        store: &Arc<dyn Store>,
        connector: Arc<dyn ProcessorConnector>,
        env: Env,
    ) -> Self {
        Self {
            store: store.clone(),
            batches: store.clone(),
            connector,
            env,
        }
    }

    /// Connects a processor, replacing any other, then checks the
    /// connection and records how it went. New keys for the same processor
    /// account keep the connection; methods saved under a replaced one stay
    /// behind, unused.
    ///
    /// # Errors
    /// [`ProcessorSettingsError::Invalid`] for malformed credentials.
    pub async fn connect(
        &self,
        account: &Account,
        credentials: ProcessorCredentials,
    ) -> Result<ProcessorStatus, ProcessorSettingsError> {
        credentials.validate()?;
        if !self.connector.offers(credentials.kind()) {
            return Err(ProcessorSettingsError::NotOffered(credentials.kind()));
        }
        // New keys for the same processor account (the same kind and
        // public identity: publishable key, login id and environment) keep
        // the connection, so its customers, saved methods and payments in
        // flight stay reachable; another account starts afresh.
        let same_account = self
            .store
            .connection(account.id)
            .await?
            .filter(|r| r.kind == credentials.kind() && r.public == credentials.public_text());
        let (id, created_at) = match same_account {
            Some(record) => (record.id, record.created_at),
            None => (ConnectionId::generate(self.env.random()), self.env.now()),
        };
        let sealed = self.env.config().server_key.seal(
            self.env.random(),
            &ProcessorConnection::seal_context(account.id, id),
            credentials.secrets_text().as_bytes(),
        );
        let record = ConnectionRecord {
            id,
            account_id: account.id,
            kind: credentials.kind(),
            public: credentials.public_text(),
            sealed_secrets: sealed,
            created_at,
            health: ConnectionHealth::default(),
        };
        self.batches
            .commit(&Batch::new().with(Write::PutConnection(record)))
            .await?;
        // The answer reports the check; a failing check still connects, so
        // an operator can fix the processor side and check again.
        let _ = self.check(account).await;
        self.status(account).await
    }

    /// Disconnects the processor; answers whether one was connected.
    ///
    /// # Errors
    /// A store failure.
    pub async fn disconnect(&self, account: &Account) -> Result<bool, ProcessorSettingsError> {
        let had = self.store.connection(account.id).await?.is_some();
        if had {
            self.batches
                .commit(&Batch::new().with(Write::DeleteConnection {
                    account: account.id,
                }))
                .await?;
        }
        Ok(had)
    }

    /// # Errors
    /// A store failure.
    pub async fn status(
        &self,
        account: &Account,
    ) -> Result<ProcessorStatus, ProcessorSettingsError> {
        let record = self.store.connection(account.id).await?;
        Ok(self.status_of(record.as_ref()))
    }

    /// The status an account's connection record gives (a session reads
    /// the record with itself, so a page needs no read of its own).
    pub fn status_of(&self, record: Option<&ConnectionRecord>) -> ProcessorStatus {
        match record {
            None => ProcessorStatus::NotConfigured,
            Some(record) => {
                let test_mode = match self.open(record) {
                    Ok(connection) => connection.credentials.test_mode(),
                    Err(_) => false,
                };
                ProcessorStatus::Connected {
                    kind: record.kind,
                    connection: record.id,
                    connected_at: record.created_at,
                    test_mode,
                    health: record.health.clone(),
                }
            }
        }
    }

    /// Asks the processor whether the credentials work, and records the
    /// answer.
    ///
    /// # Errors
    /// [`ProcessorSettingsError::NotConnected`]; the processor's refusal.
    pub async fn check(
        &self,
        account: &Account,
    ) -> Result<ProcessorStatus, ProcessorSettingsError> {
        let connected = self
            .connected(account.id)
            .await?
            .ok_or(ProcessorSettingsError::NotConnected)?;
        let outcome = connected.processor.check().await;
        self.record(&connected, outcome.as_ref().err()).await;
        outcome?;
        self.status(account).await
    }

    /// The account's processor, ready to use; `None` when none is
    /// connected.
    ///
    /// # Errors
    /// [`ProcessorSettingsError::Unreadable`] when the credentials do not
    /// open with this server key; a store failure.
    pub async fn connected(
        &self,
        account: AccountId,
    ) -> Result<Option<Connected>, ProcessorSettingsError> {
        let Some(record) = self.store.connection(account).await? else {
            return Ok(None);
        };
        let connection = self.open(&record)?;
        let processor = self.connector.connect(&connection)?;
        Ok(Some(Connected {
            connection,
            processor,
        }))
    }

    /// The account's current connection's id, without opening its
    /// credentials (for reads of what is stored under it).
    pub(crate) async fn connection_id(
        &self,
        account: AccountId,
    ) -> Result<Option<ConnectionId>, StoreError> {
        Ok(self.store.connection(account).await?.map(|r| r.id))
    }

    /// What a payment page loads for this connection.
    pub fn browser_assets(&self, connected: &Connected) -> BrowserAssets {
        self.connector.browser_assets(&connected.connection)
    }

    /// Records how a contact with the processor went: a failure that says
    /// the processor is unreachable or refuses the credentials marks the
    /// connection failing; anything else (a decline, an unknown method)
    /// proves it works.
    pub(crate) async fn record(&self, connected: &Connected, error: Option<&ProcessorError>) {
        let error = error.and_then(|e| match e {
            ProcessorError::Unavailable(_)
            | ProcessorError::Unauthorized(_)
            | ProcessorError::Rejected(_) => Some(e.to_string()),
            ProcessorError::NotFound | ProcessorError::Declined(_) => None,
        });
        // Best effort: losing a health record loses no money, and the next
        // contact writes another.
        let _ = self
            .store
            .record_connection_health(
                connected.connection.account_id,
                connected.connection.id,
                error.as_deref(),
                self.env.now(),
            )
            .await;
    }

    fn open(
        &self,
        record: &ConnectionRecord,
    ) -> Result<ProcessorConnection, ProcessorSettingsError> {
        let secrets = self
            .env
            .config()
            .server_key
            .open(
                &ProcessorConnection::seal_context(record.account_id, record.id),
                &record.sealed_secrets,
            )
            .map_err(|_| ProcessorSettingsError::Unreadable)?;
        let secrets = String::from_utf8(secrets).map_err(|_| ProcessorSettingsError::Unreadable)?;
        let credentials = ProcessorCredentials::from_texts(record.kind, &record.public, &secrets)
            .map_err(|_| ProcessorSettingsError::Unreadable)?;
        Ok(ProcessorConnection {
            id: record.id,
            account_id: record.account_id,
            credentials,
            created_at: record.created_at,
            health: record.health.clone(),
        })
    }
}
