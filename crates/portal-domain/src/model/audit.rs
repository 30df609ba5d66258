//! The audit trail: who did what, from where, in which session.

use std::net::IpAddr;

use chrono::{DateTime, Utc};

use super::ids::{AccountId, AuditEventId, ClientId, ContactId, DocumentId, PaymentId, SessionId};

/// Things the audit trail records.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AuditAction {
    /// A document was emailed to a contact.
    DocumentSent,
    /// A magic link was issued to a contact (by an operator or on request).
    LinkIssued,
    /// A magic link was redeemed and a session began.
    SessionStarted,
    /// The contact opened the portal's overview.
    PortalViewed,
    /// The contact opened a document.
    DocumentViewed,
    /// The contact signed out.
    SignedOut,
    /// An operator, or turning the portal off, ended the session.
    SessionRevoked,
    /// A payment was recorded against the client's invoices.
    PaymentRecorded,
    /// (Part of) a payment was refunded.
    PaymentRefunded,
}

impl AuditAction {
    pub const ALL: [Self; 9] = [
        Self::DocumentSent,
        Self::LinkIssued,
        Self::SessionStarted,
        Self::PortalViewed,
        Self::DocumentViewed,
        Self::SignedOut,
        Self::SessionRevoked,
        Self::PaymentRecorded,
        Self::PaymentRefunded,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::DocumentSent => "document_sent",
            Self::LinkIssued => "link_issued",
            Self::SessionStarted => "session_started",
            Self::PortalViewed => "portal_viewed",
            Self::DocumentViewed => "document_viewed",
            Self::SignedOut => "signed_out",
            Self::SessionRevoked => "session_revoked",
            Self::PaymentRecorded => "payment_recorded",
            Self::PaymentRefunded => "payment_refunded",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|a| a.as_str() == text)
    }
}

/// One entry of a client's audit trail.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditEvent {
    pub id: AuditEventId,
    pub account_id: AccountId,
    pub client_id: ClientId,
    pub contact_id: Option<ContactId>,
    pub session_id: Option<SessionId>,
    pub document_id: Option<DocumentId>,
    pub payment_id: Option<PaymentId>,
    pub action: AuditAction,
    pub ip: Option<IpAddr>,
    pub user_agent: Option<String>,
    pub occurred_at: DateTime<Utc>,
}
