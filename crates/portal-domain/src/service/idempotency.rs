//! Idempotent operator requests. The first request under a key does the
//! work and its answer is kept (sealed) for a day; a retry with the same
//! body gets that answer again; a retry while the first is still running
//! is told so; the same key with another body is refused. The HTTP layer
//! drives this around every operator `POST`.

use std::sync::Arc;

use crate::model::{
    Account, AccountId, Fingerprint, IDEMPOTENCY_LEASE, IDEMPOTENCY_RETENTION, IdempotencyKey,
    IdempotencyRecord, IdempotencyState, SealError, StoredResponse,
};
use crate::ports::{IdempotencyStore, StoreError};

use super::Env;

#[derive(Debug, thiserror::Error)]
pub enum IdempotencyError {
    #[error("the stored answer cannot be opened with this server's key")]
    Sealed(#[from] SealError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// The right to do a request's work under a key, until finished or
/// abandoned.
#[derive(Debug, Clone)]
pub struct Ticket {
    account: AccountId,
    key: IdempotencyKey,
    claim: uuid::Uuid,
}

/// A kept answer, to send again.
#[derive(Clone, PartialEq, Eq)]
pub struct Replay {
    pub status: u16,
    pub content_type: String,
    pub body: Vec<u8>,
}

impl std::fmt::Debug for Replay {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Replay")
            .field("status", &self.status)
            .finish_non_exhaustive()
    }
}

/// What a request under a key should do.
#[derive(Debug)]
pub enum Begin {
    /// Do the work, then [`Idempotency::finish`] or
    /// [`Idempotency::abandon`].
    Proceed(Ticket),
    /// A request with this key and body finished before: answer this.
    Replay(Replay),
    /// A request with this key and body is being handled right now.
    InProgress,
    /// This key was used for a different request.
    KeyReused,
}

/// Keys and kept answers.
#[derive(Clone)]
pub struct Idempotency {
    store: Arc<dyn IdempotencyStore>,
    env: Env,
}

impl std::fmt::Debug for Idempotency {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Idempotency").finish_non_exhaustive()
    }
}

/// What a sealed answer is bound to: its account and key.
fn context(account: AccountId, key: &IdempotencyKey) -> Vec<u8> {
    let mut context = b"idempotent answer:".to_vec();
    context.extend_from_slice(account.as_uuid().as_bytes());
    context.extend_from_slice(key.as_str().as_bytes());
    context
}

impl Idempotency {
    pub(crate) fn new(store: Arc<dyn IdempotencyStore>, env: Env) -> Self {
        Self { store, env }
    }

    /// Starts a request under `key`, or says why not.
    ///
    /// # Errors
    /// When the store fails or a kept answer does not open.
    pub async fn begin(
        &self,
        account: &Account,
        key: IdempotencyKey,
        fingerprint: Fingerprint,
    ) -> Result<Begin, IdempotencyError> {
        let now = self.env.now();
        let mut claim = [0u8; 16];
        self.env.random().fill(&mut claim);
        let claim = uuid::Builder::from_random_bytes(claim).into_uuid();
        let record = IdempotencyRecord {
            account_id: account.id,
            key: key.clone(),
            fingerprint,
            state: IdempotencyState::InProgress {
                claim,
                lease_until: now + IDEMPOTENCY_LEASE,
            },
            created_at: now,
            expires_at: now + IDEMPOTENCY_RETENTION,
        };
        let Some(existing) = self.store.begin_request(&record, now).await? else {
            return Ok(Begin::Proceed(Ticket {
                account: account.id,
                key,
                claim,
            }));
        };
        if existing.fingerprint != fingerprint {
            return Ok(Begin::KeyReused);
        }
        Ok(match existing.state {
            IdempotencyState::InProgress { .. } => Begin::InProgress,
            IdempotencyState::Completed(response) => {
                let body = self
                    .env
                    .config()
                    .server_key
                    .open(&context(account.id, &existing.key), &response.sealed_body)?;
                Begin::Replay(Replay {
                    status: response.status,
                    content_type: response.content_type,
                    body,
                })
            }
        })
    }

    /// Keeps the request's answer for replay.
    ///
    /// # Errors
    /// When the store fails.
    pub async fn finish(
        &self,
        ticket: Ticket,
        status: u16,
        content_type: &str,
        body: &[u8],
    ) -> Result<(), StoreError> {
        let sealed_body = self.env.config().server_key.seal(
            self.env.random(),
            &context(ticket.account, &ticket.key),
            body,
        );
        let response = StoredResponse {
            status,
            content_type: content_type.to_owned(),
            sealed_body,
        };
        let expires_at = self.env.now() + IDEMPOTENCY_RETENTION;
        self.store
            .finish_request(
                ticket.account,
                &ticket.key,
                ticket.claim,
                &response,
                expires_at,
            )
            .await
    }

    /// Deletes the kept answers that expired; returns how many.
    ///
    /// # Errors
    /// When the store fails.
    pub async fn forget_expired(&self) -> Result<u64, StoreError> {
        self.store.forget_expired_requests(self.env.now()).await
    }

    /// Frees the key (the request failed in a way worth retrying).
    ///
    /// # Errors
    /// When the store fails.
    pub async fn abandon(&self, ticket: Ticket) -> Result<(), StoreError> {
        self.store
            .abandon_request(ticket.account, &ticket.key, ticket.claim)
            .await
    }
}
