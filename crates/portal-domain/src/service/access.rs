//! Portal sessions: authenticating a session cookie, signing out, and the
//! operator's view of sessions (create one, read its status and audit
//! trail, list them, revoke one).

use std::sync::Arc;

use crate::model::{
    Account, AuditAction, AuditEvent, ClientInfo, Contact, ContactId, Cursor, DocumentId,
    LinkPurpose, Page, PageRequest, PortalSession, RevokeReason, SessionId, SessionStatus, Token,
};
use crate::ports::{
    AccessStore, AuditStore, Batch, BatchStore, CrmStore, Revocation, SessionContext,
    SessionFilter, Store, StoreError, Write,
};

use super::Env;
use super::links::{IssuedLink, LinkError, Links};

/// Why a request carries no usable session.
#[derive(Debug, thiserror::Error)]
pub enum AccessError {
    #[error("no session")]
    NoSession,
    #[error("the session is {}", .0.as_str())]
    Ended(SessionStatus),
    #[error("the client portal is closed for this client or contact")]
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

/// Portal sessions.
#[derive(Clone)]
pub struct Sessions {
    access: Arc<dyn AccessStore>,
    audit: Arc<dyn AuditStore>,
    crm: Arc<dyn CrmStore>,
    batches: Arc<dyn BatchStore>,
    links: Links,
    env: Env,
}

impl std::fmt::Debug for Sessions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Sessions").finish_non_exhaustive()
    }
}

impl Sessions {
    pub(crate) fn new(store: &Arc<dyn Store>, links: Links, env: Env) -> Self {
        Self {
            access: store.clone(),
            audit: store.clone(),
            crm: store.clone(),
            batches: store.clone(),
            links,
            env,
        }
    }

    /// The live session a cookie secret belongs to. Enforces the absolute
    /// and idle timeouts, the client's portal switch and the contact's
    /// active flag on every call, and records the activity (at most once a
    /// minute).
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
            .access
            .session_by_secret(&secret.hash())
            .await?
            .ok_or(AccessError::NoSession)?;
        let now = self.env.now();
        match ctx.session.status(now, ctx.account.settings.idle_timeout) {
            SessionStatus::Active => {}
            other => return Err(AccessError::Ended(other)),
        }
        if !ctx.client.portal_open() || !ctx.contact.active {
            return Err(AccessError::PortalClosed);
        }
        if ctx.session.needs_touch(now) {
            self.access.touch_session(ctx.session.id, now).await?;
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
        let now = self.env.now();
        let event = self
            .env
            .audit(ctx.account.id, ctx.client.id, AuditAction::SignedOut)
            .contact(ctx.contact.id)
            .session(ctx.session.id)
            .from(info)
            .at(now)
            .build();
        let revocation = Revocation {
            at: now,
            reason: RevokeReason::SignedOut,
        };
        self.access
            .revoke_session(ctx.session.id, revocation, &event)
            .await?;
        Ok(())
    }

    /// Creates a pending session for a contact and the one-time link that
    /// activates it (`POST /api/crm/client-portal-sessions`).
    ///
    /// # Errors
    /// As for [`Links::portal_link`].
    pub async fn create_session(
        &self,
        account: &Account,
        contact: ContactId,
        document: Option<DocumentId>,
    ) -> Result<IssuedLink, LinkError> {
        let (contact, client) = self.links.linkable(account, contact, document).await?;
        let issued = self
            .links
            .mint(account, &contact, document, LinkPurpose::ApiSession);
        let mut event = self
            .env
            .audit(account.id, client.id, AuditAction::LinkIssued)
            .contact(contact.id)
            .document(document);
        if let Some(session) = &issued.pending_session {
            event = event.session(session.id);
        }
        let batch = Batch::new()
            .with(issued.write())
            .with(Write::Audit(event.build()));
        self.batches.commit(&batch).await?;
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
            .access
            .session(account.id, id)
            .await?
            .ok_or(SessionError::NotFound)?;
        let contact = self.crm.contact(account.id, session.contact_id).await?;
        let events = self.audit.session_events(account.id, session.id).await?;
        Ok(SessionDetails {
            status: session.status(self.env.now(), account.settings.idle_timeout),
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
        page: PageRequest,
    ) -> Result<Page<(PortalSession, SessionStatus)>, StoreError> {
        let now = self.env.now();
        let rows = self.access.sessions(account.id, filter, &page).await?;
        Ok(
            Page::from_rows(rows, &page, |s| Cursor::new(s.created_at, s.id.as_uuid())).map(|s| {
                let status = s.status(now, account.settings.idle_timeout);
                (s, status)
            }),
        )
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
            .access
            .session(account.id, id)
            .await?
            .ok_or(SessionError::NotFound)?;
        let now = self.env.now();
        let event = self
            .env
            .audit(account.id, session.client_id, AuditAction::SessionRevoked)
            .contact(session.contact_id)
            .session(session.id)
            .at(now)
            .build();
        let revocation = Revocation {
            at: now,
            reason: RevokeReason::Operator,
        };
        self.access
            .revoke_session(session.id, revocation, &event)
            .await?;
        self.session_details(account, id).await
    }
}
