//! The outbox, idempotency records and link requests, in memory.

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use super::{InMemoryStore, OutboxRow, paged};
use crate::model::{
    AccountId, ClaimToken, Delivery, IdempotencyKey, IdempotencyRecord, IdempotencyState,
    LinkRequest, LinkRequestCounts, LinkRequestPolicy, OutboxId, OutboxMessage, OutboxStatus,
    PageRequest, StoredResponse,
};
use crate::ports::{IdempotencyStore, LinkRequestStore, OutboxStore, StoreResult};

/// Whether an outbox row may be claimed at `now`.
fn claimable(row: &OutboxRow, now: DateTime<Utc>) -> bool {
    match row.message.status {
        OutboxStatus::Pending | OutboxStatus::Failed => row.message.next_attempt_at <= now,
        OutboxStatus::Sending => row.claim.is_none_or(|(_, lease)| lease <= now),
        OutboxStatus::Sent | OutboxStatus::Dead => false,
    }
}

#[async_trait]
impl LinkRequestStore for InMemoryStore {
    async fn record_link_request(
        &self,
        request: &LinkRequest,
        since: DateTime<Utc>,
        forget_before: DateTime<Utc>,
        policy: LinkRequestPolicy,
        fulfil: Option<&OutboxMessage>,
    ) -> StoreResult<LinkRequestCounts> {
        let mut state = self.state();
        state
            .link_requests
            .retain(|r| r.requested_at >= forget_before);
        state.link_requests.push(request.clone());
        let (mut from_ip, mut for_email) = (0, 0);
        for r in state
            .link_requests
            .iter()
            .filter(|r| r.requested_at > since)
        {
            from_ip += u64::from(r.ip == request.ip);
            for_email += u64::from(r.email == request.email);
        }
        let counts = LinkRequestCounts { from_ip, for_email };
        if let Some(message) = fulfil
            && policy.allows(counts)
        {
            state.outbox.push(OutboxRow {
                message: message.clone(),
                claim: None,
            });
        }
        Ok(counts)
    }
}

#[async_trait]
impl OutboxStore for InMemoryStore {
    async fn claim_outbox(
        &self,
        claim: ClaimToken,
        now: DateTime<Utc>,
        lease_until: DateTime<Utc>,
        limit: u32,
    ) -> StoreResult<Vec<OutboxMessage>> {
        let mut state = self.state();
        let mut due: Vec<usize> = (0..state.outbox.len())
            .filter(|i| claimable(&state.outbox[*i], now))
            .collect();
        due.sort_by_key(|i| {
            let m = &state.outbox[*i].message;
            (m.next_attempt_at, m.created_at, m.id)
        });
        due.truncate(limit as usize);
        let mut claimed = Vec::new();
        for i in due {
            let row = &mut state.outbox[i];
            row.message.status = OutboxStatus::Sending;
            row.message.attempts += 1;
            row.claim = Some((claim, lease_until));
            claimed.push(row.message.clone());
        }
        Ok(claimed)
    }

    async fn settle_outbox(
        &self,
        id: OutboxId,
        claim: ClaimToken,
        outcome: &Delivery,
    ) -> StoreResult<bool> {
        let mut state = self.state();
        let Some(row) = state.outbox.iter_mut().find(|r| {
            r.message.id == id
                && r.message.status == OutboxStatus::Sending
                && r.claim.is_some_and(|(c, _)| c == claim)
        }) else {
            return Ok(false);
        };
        row.claim = None;
        let revoke = match outcome {
            Delivery::Sent { at } => {
                row.message.status = OutboxStatus::Sent;
                row.message.sent_at = Some(*at);
                None
            }
            Delivery::Failed {
                error, retry_at, ..
            } => {
                row.message.status = OutboxStatus::Failed;
                row.message.next_attempt_at = *retry_at;
                row.message.last_error = Some(error.clone());
                None
            }
            Delivery::Dead {
                at,
                error,
                revoke_link,
            } => {
                row.message.status = OutboxStatus::Dead;
                row.message.last_error = Some(error.clone());
                revoke_link.map(|link| (link, *at))
            }
        };
        if let Some((link, at)) = revoke
            && let Some(link) = state
                .links
                .iter_mut()
                .find(|l| l.id == link && l.used_at.is_none() && l.revoked_at.is_none())
        {
            link.revoked_at = Some(at);
        }
        Ok(true)
    }

    async fn outbox_message(
        &self,
        account: AccountId,
        id: OutboxId,
    ) -> StoreResult<Option<OutboxMessage>> {
        Ok(self
            .state()
            .outbox
            .iter()
            .find(|r| r.message.id == id && r.message.account_id == account)
            .map(|r| r.message.clone()))
    }

    async fn outbox(
        &self,
        account: AccountId,
        status: Option<OutboxStatus>,
        page: &PageRequest,
    ) -> StoreResult<Vec<OutboxMessage>> {
        let messages: Vec<OutboxMessage> = self
            .state()
            .outbox
            .iter()
            .map(|r| &r.message)
            .filter(|m| m.account_id == account && status.is_none_or(|s| m.status == s))
            .cloned()
            .collect();
        Ok(paged(messages, page, false, |m| {
            (m.created_at, m.id.as_uuid())
        }))
    }

    async fn forget_sent(&self, before: DateTime<Utc>) -> StoreResult<u64> {
        let mut state = self.state();
        let count = state.outbox.len();
        state.outbox.retain(|r| {
            !(r.message.status == OutboxStatus::Sent
                && r.message.sent_at.is_some_and(|at| at < before))
        });
        Ok((count - state.outbox.len()) as u64)
    }

    async fn outbox_backlog(&self) -> StoreResult<Vec<(OutboxStatus, u64)>> {
        let state = self.state();
        Ok(OutboxStatus::ALL
            .into_iter()
            .map(|status| {
                let count = state
                    .outbox
                    .iter()
                    .filter(|r| r.message.status == status)
                    .count();
                (status, count as u64)
            })
            .collect())
    }
}

#[async_trait]
impl IdempotencyStore for InMemoryStore {
    async fn begin_request(
        &self,
        record: &IdempotencyRecord,
        now: DateTime<Utc>,
    ) -> StoreResult<Option<IdempotencyRecord>> {
        let mut state = self.state();
        match state
            .idempotency
            .iter_mut()
            .find(|r| r.account_id == record.account_id && r.key == record.key)
        {
            Some(existing) if !existing.is_stale(now) => Ok(Some(existing.clone())),
            Some(stale) => {
                *stale = record.clone();
                Ok(None)
            }
            None => {
                state.idempotency.push(record.clone());
                Ok(None)
            }
        }
    }

    async fn finish_request(
        &self,
        account: AccountId,
        key: &IdempotencyKey,
        claim: uuid::Uuid,
        response: &StoredResponse,
        expires_at: DateTime<Utc>,
    ) -> StoreResult<()> {
        let mut state = self.state();
        if let Some(record) = state.idempotency.iter_mut().find(|r| {
            r.account_id == account
                && r.key == *key
                && matches!(r.state, IdempotencyState::InProgress { claim: c, .. } if c == claim)
        }) {
            record.state = IdempotencyState::Completed(response.clone());
            record.expires_at = expires_at;
        }
        Ok(())
    }

    async fn abandon_request(
        &self,
        account: AccountId,
        key: &IdempotencyKey,
        claim: uuid::Uuid,
    ) -> StoreResult<()> {
        self.state().idempotency.retain(|r| {
            !(r.account_id == account
                && r.key == *key
                && matches!(r.state, IdempotencyState::InProgress { claim: c, .. } if c == claim))
        });
        Ok(())
    }

    async fn idempotency_record(
        &self,
        account: AccountId,
        key: &IdempotencyKey,
    ) -> StoreResult<Option<IdempotencyRecord>> {
        Ok(self
            .state()
            .idempotency
            .iter()
            .find(|r| r.account_id == account && r.key == *key)
            .cloned())
    }

    async fn forget_expired_requests(&self, now: DateTime<Utc>) -> StoreResult<u64> {
        let mut state = self.state();
        let before = state.idempotency.len();
        state.idempotency.retain(|r| r.expires_at > now);
        Ok((before - state.idempotency.len()) as u64)
    }
}
