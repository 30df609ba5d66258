//! Magic links: single-use, expiring, scoped to one contact and (usually)
//! the document they were sent for.

use chrono::{DateTime, Utc};

use super::ids::{AccountId, ClientId, ContactId, DocumentId, LinkId, SessionId};
use super::token::TokenHash;

/// Why a link was made; kept for the audit trail and the operator API.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum LinkPurpose {
    /// Emailed with a document.
    DocumentSent,
    /// Asked for by an operator for a contact.
    Operator,
    /// Activates a session an operator created through the API.
    ApiSession,
    /// Asked for by the client from the "email me a new link" page.
    SelfService,
}

impl LinkPurpose {
    pub const ALL: [Self; 4] = [
        Self::DocumentSent,
        Self::Operator,
        Self::ApiSession,
        Self::SelfService,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::DocumentSent => "document_sent",
            Self::Operator => "operator",
            Self::ApiSession => "api_session",
            Self::SelfService => "self_service",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|p| p.as_str() == text)
    }
}

/// A magic link as stored. The token itself exists only in the email (or
/// API answer) it was minted for; the store keeps its hash.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MagicLink {
    pub id: LinkId,
    pub account_id: AccountId,
    pub client_id: ClientId,
    pub contact_id: ContactId,
    /// The document the link was sent for; the portal opens on it.
    pub document_id: Option<DocumentId>,
    /// A pending session, created through the API, that this link
    /// activates; `None` when redeeming creates a new session.
    pub session_id: Option<SessionId>,
    pub token_hash: TokenHash,
    pub purpose: LinkPurpose,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    pub used_at: Option<DateTime<Utc>>,
    pub revoked_at: Option<DateTime<Utc>>,
}

/// Whether a link can still be redeemed, and if not, why.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LinkState {
    Usable,
    Used,
    Expired,
    Revoked,
}

impl MagicLink {
    /// A link is usable until it is used, revoked, or reaches its expiry
    /// (the expiry instant itself is already too late).
    pub fn state(&self, now: DateTime<Utc>) -> LinkState {
        if self.used_at.is_some() {
            LinkState::Used
        } else if self.revoked_at.is_some() {
            LinkState::Revoked
        } else if now >= self.expires_at {
            LinkState::Expired
        } else {
            LinkState::Usable
        }
    }
}

/// The portal path a link's token is redeemed at.
pub fn link_path(token: &str) -> String {
    format!("/l/{token}")
}
