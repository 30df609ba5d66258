//! Client companies and their billing contacts.

use chrono::{DateTime, Utc};

use super::email::EmailAddress;
use super::ids::{AccountId, ClientId, ContactId};
use super::text::Name;

/// A company the account bills.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Client {
    pub id: ClientId,
    pub account_id: AccountId,
    pub name: Name,
    /// Whether its contacts may receive magic links and hold sessions.
    pub portal_enabled: bool,
    /// An inactive client is kept for the records and gets no portal.
    pub active: bool,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl Client {
    /// Whether this client's contacts may use the portal at all.
    pub fn portal_open(&self) -> bool {
        self.portal_enabled && self.active
    }
}

/// A change an operator makes to a client; `None` keeps a value.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ClientPatch {
    pub name: Option<Name>,
    pub portal_enabled: Option<bool>,
    pub active: Option<bool>,
}

/// A billing contact: one person at a client with an email on file. Each
/// contact gets their own links and sessions, scoped to the company.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Contact {
    pub id: ContactId,
    pub account_id: AccountId,
    pub client_id: ClientId,
    pub name: Name,
    pub email: EmailAddress,
    /// A deactivated contact keeps its history but gets no links, emails
    /// or sessions.
    pub active: bool,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// A change an operator makes to a contact; `None` keeps a value.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ContactPatch {
    pub name: Option<Name>,
    pub email: Option<EmailAddress>,
    pub active: Option<bool>,
}
