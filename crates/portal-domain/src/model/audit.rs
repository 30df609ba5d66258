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
    /// The contact submitted a payment through the processor.
    PaymentSubmitted,
    /// A processor payment failed (declined, or a bank debit returned).
    PaymentFailed,
    /// The contact saved a payment method at the processor.
    PaymentMethodAdded,
    /// The contact made a saved method the default.
    PaymentMethodDefaulted,
    /// The contact removed a saved method.
    PaymentMethodRemoved,
    /// The processor reported an outcome for a payment that had already
    /// settled the other way (a charge that succeeded after it was
    /// recorded as failed): the ledger keeps its record, and an operator
    /// must look at the processor.
    PaymentOutcomeDisputed,
    /// The contact downloaded a document's PDF.
    DocumentDownloaded,
    /// The contact downloaded a payment's receipt PDF.
    ReceiptDownloaded,
    /// The contact downloaded a statement; the event's detail says which
    /// range and format.
    StatementDownloaded,
}

impl AuditAction {
    pub const ALL: [Self; 18] = [
        Self::DocumentSent,
        Self::LinkIssued,
        Self::SessionStarted,
        Self::PortalViewed,
        Self::DocumentViewed,
        Self::SignedOut,
        Self::SessionRevoked,
        Self::PaymentRecorded,
        Self::PaymentRefunded,
        Self::PaymentSubmitted,
        Self::PaymentFailed,
        Self::PaymentMethodAdded,
        Self::PaymentMethodDefaulted,
        Self::PaymentMethodRemoved,
        Self::PaymentOutcomeDisputed,
        Self::DocumentDownloaded,
        Self::ReceiptDownloaded,
        Self::StatementDownloaded,
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
            Self::PaymentSubmitted => "payment_submitted",
            Self::PaymentFailed => "payment_failed",
            Self::PaymentMethodAdded => "payment_method_added",
            Self::PaymentMethodDefaulted => "payment_method_defaulted",
            Self::PaymentMethodRemoved => "payment_method_removed",
            Self::PaymentOutcomeDisputed => "payment_outcome_disputed",
            Self::DocumentDownloaded => "document_downloaded",
            Self::ReceiptDownloaded => "receipt_downloaded",
            Self::StatementDownloaded => "statement_downloaded",
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
    /// What the action concerned beyond the ids above, as plain text
    /// (which statement range and format was downloaded).
    pub detail: Option<String>,
}
