//! Delivering the outbox: claim what is due, deliver it (send an email,
//! fulfil a link request), record the outcome with backoff on failure.
//! The loop that calls [`Outbox::deliver_due`] lives with the runtime;
//! this is what one pass does.

use std::sync::Arc;

use crate::model::{
    Account, ClaimToken, Cursor, Delivery, OutboxId, OutboxMessage, OutboxPayload, OutboxStatus,
    Page, PageRequest,
};
use crate::ports::{Mailer, OutboxStore, StoreError};

use super::Env;
use super::links::Links;

#[derive(Debug, thiserror::Error)]
pub enum OutboxError {
    #[error("no outbox item with this id")]
    NotFound,
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// What one pass delivered.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DeliveryReport {
    pub claimed: usize,
    pub sent: usize,
    /// Failed and scheduled again.
    pub failed: usize,
    /// Failed for the last time.
    pub dead: usize,
    /// Taken over by another worker before this one finished.
    pub lost: usize,
}

/// The outbox and its delivery.
#[derive(Clone)]
pub struct Outbox {
    store: Arc<dyn OutboxStore>,
    mailer: Arc<dyn Mailer>,
    links: Links,
    env: Env,
}

impl std::fmt::Debug for Outbox {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Outbox")
            .field("policy", &self.env.config().outbox)
            .finish_non_exhaustive()
    }
}

impl Outbox {
    pub(crate) fn new(
        store: Arc<dyn OutboxStore>,
        mailer: Arc<dyn Mailer>,
        links: Links,
        env: Env,
    ) -> Self {
        Self {
            store,
            mailer,
            links,
            env,
        }
    }

    /// One pass: claims what is due (at most the policy's batch) and
    /// delivers each item. A store failure while claiming ends the pass;
    /// a failure delivering one item is recorded on that item.
    ///
    /// # Errors
    /// When the store fails.
    pub async fn deliver_due(&self) -> Result<DeliveryReport, StoreError> {
        let policy = self.env.config().outbox;
        let now = self.env.now();
        let claim = ClaimToken(uuid::Builder::from_random_bytes(random_16(&self.env)).into_uuid());
        let claimed = self
            .store
            .claim_outbox(claim, now, now + policy.lease, policy.batch)
            .await?;
        let mut report = DeliveryReport {
            claimed: claimed.len(),
            ..DeliveryReport::default()
        };
        for message in claimed {
            let outcome = self.deliver(&message, claim).await;
            let settled = match &outcome {
                // A fulfilled link request settled itself with its links.
                Some(outcome) => self.store.settle_outbox(message.id, claim, outcome).await?,
                None => true,
            };
            match (settled, outcome) {
                (false, _) => report.lost += 1,
                (true, None | Some(Delivery::Sent { .. })) => report.sent += 1,
                (true, Some(Delivery::Failed { .. })) => report.failed += 1,
                (true, Some(Delivery::Dead { .. })) => report.dead += 1,
            }
        }
        Ok(report)
    }

    /// Delivers one claimed item; the outcome to record, or `None` when the
    /// delivery recorded itself.
    async fn deliver(&self, message: &OutboxMessage, claim: ClaimToken) -> Option<Delivery> {
        let policy = self.env.config().outbox;
        let failed = |error: String, link| {
            policy.after_failure(
                message.attempts,
                self.env.now(),
                error,
                link,
                self.env.random().next_u64(),
            )
        };
        match &message.payload {
            OutboxPayload::Email { email, link } => {
                let mut email = email.clone();
                if let Some(link) = link {
                    let token = self.env.config().server_key.link_token(*link);
                    email = email.with_link_token(token.expose());
                }
                email.message_key = Some(message.id.to_string());
                match self.mailer.send(&email).await {
                    Ok(()) => Some(Delivery::Sent { at: self.env.now() }),
                    Err(err) => Some(failed(error_chain(&err), *link)),
                }
            }
            OutboxPayload::LinkRequest(job) => {
                match self.links.fulfil_request(message, job, claim).await {
                    Ok(_) => None,
                    Err(err) => Some(failed(error_chain(&err), None)),
                }
            }
        }
    }

    /// # Errors
    /// [`OutboxError::NotFound`], also for another account's item.
    pub async fn message(
        &self,
        account: &Account,
        id: OutboxId,
    ) -> Result<OutboxMessage, OutboxError> {
        self.store
            .outbox_message(account.id, id)
            .await?
            .ok_or(OutboxError::NotFound)
    }

    /// The account's outbox, newest first, optionally of one status.
    ///
    /// # Errors
    /// When the store fails.
    pub async fn messages(
        &self,
        account: &Account,
        status: Option<OutboxStatus>,
        page: PageRequest,
    ) -> Result<Page<OutboxMessage>, StoreError> {
        let rows = self.store.outbox(account.id, status, &page).await?;
        Ok(Page::from_rows(rows, &page, |m| {
            Cursor::new(m.created_at, m.id.as_uuid())
        }))
    }

    /// Tries a failed or dead item again, now and with a fresh count of
    /// attempts. Retrying an item that is pending, being sent or sent
    /// changes nothing.
    ///
    /// # Errors
    /// [`OutboxError::NotFound`].
    pub async fn retry(
        &self,
        account: &Account,
        id: OutboxId,
    ) -> Result<OutboxMessage, OutboxError> {
        self.store
            .retry_outbox(account.id, id, self.env.now())
            .await?
            .ok_or(OutboxError::NotFound)
    }

    /// How many items of all accounts are in each status.
    ///
    /// # Errors
    /// When the store fails.
    pub async fn backlog(&self) -> Result<Vec<(OutboxStatus, u64)>, StoreError> {
        self.store.outbox_backlog().await
    }
}

fn random_16(env: &Env) -> [u8; 16] {
    let mut bytes = [0u8; 16];
    env.random().fill(&mut bytes);
    bytes
}

/// `err` and its causes on one line, as the outbox records a failure. Mail
/// errors name the server and what it said, never credentials.
fn error_chain(err: &(dyn std::error::Error + 'static)) -> String {
    let mut text = err.to_string();
    let mut source = err.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text.chars().take(1000).collect()
}
