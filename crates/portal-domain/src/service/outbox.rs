//! Delivering the outbox: claim what is due, deliver it (send an email,
//! fulfil a link request), record the outcome with backoff on failure.
//! The loop that calls [`Outbox::deliver_due`] lives with the runtime;
//! this is what one pass does. Also what operators do with the outbox:
//! read it, retry what failed, and forget what was sent long ago.

use std::sync::Arc;

use chrono::{DateTime, Duration, Utc};

use crate::error_chain;
use crate::model::{
    Account, ClaimToken, Cursor, Delivery, LinkId, LinkState, OutboxId, OutboxMessage,
    OutboxPayload, OutboxStatus, Page, PageRequest,
};
use crate::ports::{
    AccessStore, Batch, BatchStore, Conflict, CrmStore, Mailer, OutboxStore, Store, StoreError,
    Write,
};

use super::Env;
use super::links::{IssuedLink, Links};

#[derive(Debug, thiserror::Error)]
pub enum OutboxError {
    #[error("no outbox item with this id")]
    NotFound,
    #[error(
        "the email's link has to be replaced and cannot be: the client's portal is closed, or the contact was deactivated or given another address"
    )]
    PortalClosed,
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
    /// Taken over by another worker, or left for one because this one's
    /// lease ran short.
    pub lost: usize,
}

/// How long sent items stay in the outbox for operators to look up.
pub const SENT_RETENTION: Duration = Duration::days(30);

/// How long before its lease ends a worker stops starting deliveries of
/// the items it claimed (at most this, at most half the lease): a delivery
/// started later could still be running when another worker takes the
/// item over.
const LEASE_MARGIN: Duration = Duration::seconds(30);

/// How one claimed item's delivery ended.
enum Done {
    /// Record this outcome under the claim.
    Settle(Delivery),
    /// The delivery recorded itself (a fulfilled link request).
    Settled,
    /// Another worker took the item over.
    Lost,
}

/// The outbox and its delivery.
#[derive(Clone)]
pub struct Outbox {
    store: Arc<dyn OutboxStore>,
    access: Arc<dyn AccessStore>,
    crm: Arc<dyn CrmStore>,
    batches: Arc<dyn BatchStore>,
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
        store: &Arc<dyn Store>,
        mailer: Arc<dyn Mailer>,
        links: Links,
        env: Env,
    ) -> Self {
        Self {
            store: store.clone(),
            access: store.clone(),
            crm: store.clone(),
            batches: store.clone(),
            mailer,
            links,
            env,
        }
    }

    /// One pass: claims what is due (at most the policy's batch) and
    /// delivers each item while the claim's lease leaves time for it; the
    /// items it has no time left for wait for their lease to end and are
    /// taken over. A store failure while claiming ends the pass; a failure
    /// delivering one item is recorded on that item.
    ///
    /// # Errors
    /// When the store fails.
    pub async fn deliver_due(&self) -> Result<DeliveryReport, StoreError> {
        let policy = self.env.config().outbox;
        let now = self.env.now();
        let claim = ClaimToken(uuid::Builder::from_random_bytes(random_16(&self.env)).into_uuid());
        let lease_until = now + policy.lease;
        let claimed = self
            .store
            .claim_outbox(claim, now, lease_until, policy.batch)
            .await?;
        let mut report = DeliveryReport {
            claimed: claimed.len(),
            ..DeliveryReport::default()
        };
        let last_start = lease_until - LEASE_MARGIN.min(policy.lease / 2);
        for message in claimed {
            if self.env.now() >= last_start {
                report.lost += 1;
                continue;
            }
            let outcome = match self.deliver(&message, claim).await {
                Done::Settle(outcome) => outcome,
                Done::Settled => {
                    report.sent += 1;
                    continue;
                }
                Done::Lost => {
                    report.lost += 1;
                    continue;
                }
            };
            if !self
                .store
                .settle_outbox(message.id, claim, &outcome)
                .await?
            {
                report.lost += 1;
                continue;
            }
            match outcome {
                Delivery::Sent { .. } => report.sent += 1,
                Delivery::Failed { .. } => report.failed += 1,
                Delivery::Dead { .. } => report.dead += 1,
            }
        }
        Ok(report)
    }

    /// Delivers one claimed item.
    async fn deliver(&self, message: &OutboxMessage, claim: ClaimToken) -> Done {
        let policy = self.env.config().outbox;
        let failed = |error: String, link| {
            // Mail errors name the server and what it said, never
            // credentials; a page of it is enough.
            let error = error.chars().take(1000).collect();
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
                Done::Settle(match self.mailer.send(&email).await {
                    Ok(()) => Delivery::Sent { at: self.env.now() },
                    Err(err) => failed(error_chain(&err), *link),
                })
            }
            OutboxPayload::LinkRequest(job) => {
                match self.links.fulfil_request(message, job, claim).await {
                    Ok(Some(_)) => Done::Settled,
                    Ok(None) => Done::Lost,
                    Err(err) => Done::Settle(failed(error_chain(&err), None)),
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
    /// attempts. An email whose link was revoked when it was given up on,
    /// or has expired meanwhile, gets a fresh link in its place, stored in
    /// the same write, so what finally arrives works. Retrying an item that
    /// is pending, being sent or sent changes nothing.
    ///
    /// # Errors
    /// [`OutboxError::NotFound`]; [`OutboxError::PortalClosed`] when the
    /// email needs a fresh link and its contact may not have one.
    pub async fn retry(
        &self,
        account: &Account,
        id: OutboxId,
    ) -> Result<OutboxMessage, OutboxError> {
        let message = self.message(account, id).await?;
        if !matches!(message.status, OutboxStatus::Failed | OutboxStatus::Dead) {
            return Ok(message);
        }
        let now = self.env.now();
        let mut batch = Batch::new();
        let mut relink = None;
        if let OutboxPayload::Email {
            link: Some(link), ..
        } = &message.payload
            && let Some(fresh) = self.replacement_link(account, *link, now).await?
        {
            relink = Some(fresh.link.id);
            batch.push(fresh.write());
        }
        batch.push(Write::RetryOutbox {
            account: account.id,
            id,
            at: now,
            relink,
        });
        match self.batches.commit(&batch).await {
            // Retried now, or by someone else a moment ago: either way the
            // item as it stands is the answer.
            Ok(_) => self.message(account, id).await,
            Err(StoreError::Conflict(Conflict::PortalClosed)) => Err(OutboxError::PortalClosed),
            Err(other) => Err(other.into()),
        }
    }

    /// A fresh link, not stored yet, to stand in for `link` when `link`
    /// can no longer be used; `None` when it still can.
    async fn replacement_link(
        &self,
        account: &Account,
        link: LinkId,
        now: DateTime<Utc>,
    ) -> Result<Option<IssuedLink>, OutboxError> {
        let Some(old) = self.access.link(account.id, link).await? else {
            return Ok(None);
        };
        if old.state(now) == LinkState::Usable {
            return Ok(None);
        }
        let contact = self
            .crm
            .contact(account.id, old.contact_id)
            .await?
            .ok_or(OutboxError::PortalClosed)?;
        Ok(Some(self.links.mint(
            account,
            &contact,
            old.document_id,
            old.purpose,
        )))
    }

    /// How many items of all accounts are in each status.
    ///
    /// # Errors
    /// When the store fails.
    pub async fn backlog(&self) -> Result<Vec<(OutboxStatus, u64)>, StoreError> {
        self.store.outbox_backlog().await
    }

    /// Deletes sent items older than [`SENT_RETENTION`]; returns how many.
    ///
    /// # Errors
    /// When the store fails.
    pub async fn forget_old(&self) -> Result<u64, StoreError> {
        self.store
            .forget_sent(self.env.now() - SENT_RETENTION)
            .await
    }
}

fn random_16(env: &Env) -> [u8; 16] {
    let mut bytes = [0u8; 16];
    env.random().fill(&mut bytes);
    bytes
}
