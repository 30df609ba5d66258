//! What a document is (invoice, estimate, contract), where it is in its
//! life, and which status each kind may take.

use std::fmt;

/// The kinds of document the portal shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DocumentKind {
    Invoice,
    Estimate,
    Contract,
}

impl DocumentKind {
    pub const ALL: [Self; 3] = [Self::Invoice, Self::Estimate, Self::Contract];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Invoice => "invoice",
            Self::Estimate => "estimate",
            Self::Contract => "contract",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == text)
    }

    /// What the document's second date is called: when an invoice is
    /// due, until when an estimate is valid. Contracts have none.
    pub fn due_field(self) -> &'static str {
        match self {
            Self::Invoice | Self::Contract => "due_date",
            Self::Estimate => "valid_until",
        }
    }

    /// "Invoice", "Estimate", "Contract".
    pub fn label(self) -> &'static str {
        match self {
            Self::Invoice => "Invoice",
            Self::Estimate => "Estimate",
            Self::Contract => "Contract",
        }
    }

    /// The statuses a document of this kind can be in. An invoice's
    /// status after sending follows its payments; estimates and contracts
    /// are simply sent (acceptance and signing come with their own flows).
    pub fn statuses(self) -> &'static [DocumentStatus] {
        use DocumentStatus::{Draft, Open, Paid, PartiallyPaid, Sent, Void};
        match self {
            Self::Invoice => &[Draft, Open, PartiallyPaid, Paid, Void],
            Self::Estimate | Self::Contract => &[Draft, Sent, Void],
        }
    }

    /// The status a draft of this kind takes when it is first sent.
    pub fn sent_status(self) -> DocumentStatus {
        match self {
            Self::Invoice => DocumentStatus::Open,
            Self::Estimate | Self::Contract => DocumentStatus::Sent,
        }
    }
}

/// Where a document is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DocumentStatus {
    /// Being prepared; never shown to the client.
    Draft,
    /// An invoice that was sent and has nothing paid on it.
    Open,
    /// An invoice with part of its total paid.
    PartiallyPaid,
    /// An invoice settled in full.
    Paid,
    /// An estimate or contract that was sent.
    Sent,
    /// Cancelled; if it was sent, the client still sees it, marked void.
    Void,
}

impl DocumentStatus {
    pub const ALL: [Self; 6] = [
        Self::Draft,
        Self::Open,
        Self::PartiallyPaid,
        Self::Paid,
        Self::Sent,
        Self::Void,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Draft => "draft",
            Self::Open => "open",
            Self::PartiallyPaid => "partially_paid",
            Self::Paid => "paid",
            Self::Sent => "sent",
            Self::Void => "void",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.as_str() == text)
    }

    /// "Partially paid", as a person reads it.
    pub fn label(self) -> &'static str {
        match self {
            Self::Draft => "Draft",
            Self::Open => "Open",
            Self::PartiallyPaid => "Partially paid",
            Self::Paid => "Paid",
            Self::Sent => "Sent",
            Self::Void => "Void",
        }
    }
}

impl fmt::Display for DocumentStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A status change an operator asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DocumentAction {
    Send,
    Void,
}

/// A status change the document's kind or status does not allow.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{} {kind} cannot be {action}", article(*status), kind = kind.as_str(), action = past_tense(*action))]
pub struct InvalidTransition {
    pub kind: DocumentKind,
    pub status: DocumentStatus,
    pub action: DocumentAction,
}

fn article(status: DocumentStatus) -> String {
    let word = status.label().to_lowercase();
    let an = matches!(word.chars().next(), Some('a' | 'e' | 'i' | 'o' | 'u'));
    format!("{} {word}", if an { "an" } else { "a" })
}

fn past_tense(action: DocumentAction) -> &'static str {
    match action {
        DocumentAction::Send => "sent",
        DocumentAction::Void => "voided",
    }
}
