//! Magic links, sessions and the audit trail, in memory.

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use super::{InMemoryStore, paged};
use crate::model::{
    AccountId, AuditEvent, ClientId, LinkId, MagicLink, PageRequest, PortalSession, RevokeReason,
    SessionId, TokenHash,
};
use crate::ports::{
    AccessStore, AuditStore, LinkContext, Redemption, Revocation, SessionContext, SessionFilter,
    StoreResult,
};

#[async_trait]
impl AccessStore for InMemoryStore {
    async fn link_by_token(&self, token_hash: &TokenHash) -> StoreResult<Option<MagicLink>> {
        Ok(self
            .state()
            .links
            .iter()
            .find(|l| l.token_hash == *token_hash)
            .cloned())
    }

    async fn link(&self, account: AccountId, id: LinkId) -> StoreResult<Option<MagicLink>> {
        Ok(self
            .state()
            .links
            .iter()
            .find(|l| l.id == id && l.account_id == account)
            .cloned())
    }

    async fn link_context(&self, token_hash: &TokenHash) -> StoreResult<Option<LinkContext>> {
        let state = self.state();
        let Some(link) = state.links.iter().find(|l| l.token_hash == *token_hash) else {
            return Ok(None);
        };
        let client = state.clients.iter().find(|c| c.id == link.client_id);
        let contact = state.contacts.iter().find(|c| c.id == link.contact_id);
        let account = state.accounts.iter().find(|a| a.id == link.account_id);
        let pending = link.session_id.and_then(|id| {
            state
                .sessions
                .iter()
                .find(|(s, _)| s.id == id && s.account_id == link.account_id)
                .map(|(s, _)| s.clone())
        });
        Ok(match (client, contact, account) {
            (Some(client), Some(contact), Some(account)) => Some(LinkContext {
                link: link.clone(),
                client: client.clone(),
                contact: contact.clone(),
                account: account.clone(),
                pending,
            }),
            _ => None,
        })
    }

    async fn redeem_link(&self, r: Redemption<'_>) -> StoreResult<bool> {
        let mut state = self.state();
        let Some(link) = state.links.iter_mut().find(|l| l.id == r.link_id) else {
            return Ok(false);
        };
        if link.used_at.is_some() || link.revoked_at.is_some() || r.at >= link.expires_at {
            return Ok(false);
        }
        if !state.portal_open(r.session.client_id) || !state.contact_active(r.session.contact_id) {
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
        // The browser's old session, if it is another one: revoking
        // leaves an ended session as it was.
        let replaced = r.replaces.and_then(|hash| {
            state
                .sessions
                .iter()
                .find(|(s, h)| h.as_ref() == Some(&hash) && s.id != r.session.id)
                .map(|(s, _)| s.id)
        });
        if let Some(old) = replaced {
            state.revoke(
                old,
                Revocation {
                    at: r.at,
                    reason: RevokeReason::Replaced,
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
                processor: state
                    .connections
                    .iter()
                    .find(|c| c.account_id == account.id)
                    .cloned(),
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
        page: &PageRequest,
    ) -> StoreResult<Vec<PortalSession>> {
        let sessions: Vec<PortalSession> = self
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
        Ok(paged(sessions, page, false, |s| {
            (s.created_at, s.id.as_uuid())
        }))
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
        page: &PageRequest,
    ) -> StoreResult<Vec<AuditEvent>> {
        let events: Vec<AuditEvent> = self
            .state()
            .events
            .iter()
            .filter(|e| e.account_id == account && e.client_id == client)
            .cloned()
            .collect();
        Ok(paged(events, page, false, |e| {
            (e.occurred_at, e.id.as_uuid())
        }))
    }
}
