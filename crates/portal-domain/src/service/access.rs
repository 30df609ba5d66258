//! Portal sessions: authenticating a session cookie, signing out, and the
//! operator's view of sessions (create one, read its status and audit
//! trail, revoke it).

use crate::model::{
    Account, AuditAction, AuditEvent, ClientInfo, Contact, ContactId, DocumentId, LinkPurpose,
    PortalSession, RevokeReason, SessionId, SessionStatus, Token,
};
use crate::ports::{Revocation, SessionContext, SessionFilter, StoreError};

use super::Portal;
use super::links::{IssuedLink, LinkError};

/// Why a request carries no usable session.
#[derive(Debug, thiserror::Error)]
pub enum AccessError {
    #[error("no session")]
    NoSession,
    #[error("the session is {}", .0.as_str())]
    Ended(SessionStatus),
    #[error("the client portal is closed for this client")]
    PortalClosed,
    #[error(transparent)]
    Store(#[from] StoreError),
}

#[derive(Debug, thiserror::Error)]
pub enum SessionError {
    #[error("no session with this id")]
    NotFound,
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// A session as the operator API shows it.
#[derive(Debug, Clone)]
pub struct SessionDetails {
    pub session: PortalSession,
    pub status: SessionStatus,
    pub contact: Option<Contact>,
    /// The session's audit trail, oldest first.
    pub events: Vec<AuditEvent>,
}

/// The most sessions one listing returns.
pub const MAX_SESSION_PAGE: u32 = 200;

impl Portal {
    /// The live session a cookie secret belongs to. Enforces the absolute
    /// and idle timeouts and the client's portal switch on every call, and
    /// records the activity (at most once a minute).
    ///
    /// # Errors
    /// [`AccessError::NoSession`] for a missing, malformed or unknown
    /// secret; [`AccessError::Ended`] for an expired or revoked session;
    /// [`AccessError::PortalClosed`].
    pub async fn authenticate(&self, secret: Option<&str>) -> Result<SessionContext, AccessError> {
        let secret = secret
            .and_then(Token::parse)
            .ok_or(AccessError::NoSession)?;
        let mut ctx = self
            .store
            .session_by_secret(&secret.hash())
            .await?
            .ok_or(AccessError::NoSession)?;
        let now = self.clock.now();
        match ctx.session.status(now, ctx.account.settings.idle_timeout) {
            SessionStatus::Active => {}
            other => return Err(AccessError::Ended(other)),
        }
        if !ctx.client.portal_open() {
            return Err(AccessError::PortalClosed);
        }
        if ctx.session.needs_touch(now) {
            self.store.touch_session(ctx.session.id, now).await?;
            ctx.session.last_seen_at = Some(now);
        }
        Ok(ctx)
    }

    /// Ends the session server-side; its cookie is worthless afterwards.
    ///
    /// # Errors
    /// When the store fails.
    pub async fn sign_out(
        &self,
        ctx: &SessionContext,
        info: &ClientInfo,
    ) -> Result<(), StoreError> {
        let now = self.clock.now();
        let event = self
            .audit_event(&ctx.account, ctx.client.id, AuditAction::SignedOut)
            .contact(ctx.contact.id)
            .session(ctx.session.id)
            .from(info)
            .at(now)
            .build();
        let revocation = Revocation {
            at: now,
            reason: RevokeReason::SignedOut,
        };
        self.store
            .revoke_session(ctx.session.id, revocation, &event)
            .await?;
        Ok(())
    }

    /// Creates a pending session for a contact and the one-time link that
    /// activates it (`POST /api/crm/client-portal-sessions`).
    ///
    /// # Errors
    /// As for [`Portal::portal_link`].
    pub async fn create_session(
        &self,
        account: &Account,
        contact: ContactId,
        document: Option<DocumentId>,
    ) -> Result<IssuedLink, LinkError> {
        let (contact, client) = self.linkable(account, contact, document).await?;
        let issued = self
            .issue_link(account, &contact, document, LinkPurpose::ApiSession)
            .await?;
        let mut event = self
            .audit_event(account, client.id, AuditAction::LinkIssued)
            .contact(contact.id)
            .document(document);
        if let Some(session) = &issued.pending_session {
            event = event.session(session.id);
        }
        self.store.record(&event.build()).await?;
        Ok(issued)
    }

    /// A session's status, times, browser, contact and audit trail.
    ///
    /// # Errors
    /// [`SessionError::NotFound`], also for another account's session.
    pub async fn session_details(
        &self,
        account: &Account,
        id: SessionId,
    ) -> Result<SessionDetails, SessionError> {
        let session = self
            .store
            .session(account.id, id)
            .await?
            .ok_or(SessionError::NotFound)?;
        let contact = self.store.contact(account.id, session.contact_id).await?;
        let events = self.store.session_events(account.id, session.id).await?;
        Ok(SessionDetails {
            status: session.status(self.clock.now(), account.settings.idle_timeout),
            session,
            contact,
            events,
        })
    }

    /// The account's sessions, newest first, with their status.
    ///
    /// # Errors
    /// When the store fails.
    pub async fn sessions(
        &self,
        account: &Account,
        filter: SessionFilter,
    ) -> Result<Vec<(PortalSession, SessionStatus)>, StoreError> {
        let filter = SessionFilter {
            limit: filter.limit.clamp(1, MAX_SESSION_PAGE),
            ..filter
        };
        let now = self.clock.now();
        Ok(self
            .store
            .sessions(account.id, filter)
            .await?
            .into_iter()
            .map(|s| {
                let status = s.status(now, account.settings.idle_timeout);
                (s, status)
            })
            .collect())
    }

    /// Ends a session on an operator's request. Revoking an ended session
    /// changes nothing and is not an error.
    ///
    /// # Errors
    /// [`SessionError::NotFound`].
    pub async fn revoke_session(
        &self,
        account: &Account,
        id: SessionId,
    ) -> Result<SessionDetails, SessionError> {
        let session = self
            .store
            .session(account.id, id)
            .await?
            .ok_or(SessionError::NotFound)?;
        let now = self.clock.now();
        let event = self
            .audit_event(account, session.client_id, AuditAction::SessionRevoked)
            .contact(session.contact_id)
            .session(session.id)
            .at(now)
            .build();
        let revocation = Revocation {
            at: now,
            reason: RevokeReason::Operator,
        };
        self.store
            .revoke_session(session.id, revocation, &event)
            .await?;
        self.session_details(account, id).await
    }
}
