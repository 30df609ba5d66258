//! The portal's use cases, as methods of [`Portal`]. Each file holds one
//! capability; each operation has its own error enum whose variants are the
//! business outcomes a caller must handle.

mod access;
mod accounts;
mod crm;
mod documents;
mod links;
mod views;

#[cfg(test)]
mod tests;

use std::sync::Arc;

use chrono::{DateTime, Utc};

use crate::model::{
    Account, AuditAction, AuditEvent, AuditEventId, ClientId, ClientInfo, ContactId, DocumentId,
    LinkRequestPolicy, PublicUrl, SessionId,
};
use crate::ports::{Clock, Mailer, RandomSource, Store};

pub use access::{AccessError, MAX_SESSION_PAGE, SessionDetails, SessionError};
pub use accounts::{CreatedAccount, OperatorAuthError, SettingsError};
pub use crm::{ClientUpdate, CrmError, MAX_AUDIT_PAGE};
pub use documents::{DocumentError, SentDocument};
pub use links::{
    IssuedLink, LinkDelivery, LinkError, LinkPreview, LinkRejection, RedeemError, Redeemed,
    RequestLinkError,
};
pub use views::{PortalHome, ViewError};

/// Settings of a portal deployment (as opposed to an account's).
#[derive(Debug, Clone)]
pub struct PortalConfig {
    /// Where the portal is reached when an account sets no URL of its own.
    pub public_url: PublicUrl,
    pub link_requests: LinkRequestPolicy,
}

/// The portal: every use case, over the ports it was built with.
#[derive(Clone)]
pub struct Portal {
    store: Arc<dyn Store>,
    mailer: Arc<dyn Mailer>,
    clock: Arc<dyn Clock>,
    random: Arc<dyn RandomSource>,
    config: PortalConfig,
}

impl std::fmt::Debug for Portal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Portal")
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

impl Portal {
    pub fn new(
        store: Arc<dyn Store>,
        mailer: Arc<dyn Mailer>,
        clock: Arc<dyn Clock>,
        random: Arc<dyn RandomSource>,
        config: PortalConfig,
    ) -> Self {
        Self {
            store,
            mailer,
            clock,
            random,
            config,
        }
    }

    pub fn config(&self) -> &PortalConfig {
        &self.config
    }

    pub fn now(&self) -> DateTime<Utc> {
        self.clock.now()
    }

    /// The URL this account's clients reach the portal at.
    pub fn public_url<'a>(&'a self, account: &'a Account) -> &'a PublicUrl {
        account
            .settings
            .public_url
            .as_ref()
            .unwrap_or(&self.config.public_url)
    }

    /// Checks the store answers.
    ///
    /// # Errors
    /// When it does not.
    pub async fn ping(&self) -> Result<(), crate::ports::StoreError> {
        self.store.ping().await
    }

    fn audit_event(
        &self,
        account: &Account,
        client: ClientId,
        action: AuditAction,
    ) -> EventBuilder {
        EventBuilder(AuditEvent {
            id: AuditEventId::generate(self.random.as_ref()),
            account_id: account.id,
            client_id: client,
            contact_id: None,
            session_id: None,
            document_id: None,
            action,
            ip: None,
            user_agent: None,
            occurred_at: self.clock.now(),
        })
    }
}

/// Fills in the optional parts of an audit event.
struct EventBuilder(AuditEvent);

impl EventBuilder {
    fn contact(mut self, contact: ContactId) -> Self {
        self.0.contact_id = Some(contact);
        self
    }

    fn session(mut self, session: SessionId) -> Self {
        self.0.session_id = Some(session);
        self
    }

    fn document(mut self, document: Option<DocumentId>) -> Self {
        self.0.document_id = document;
        self
    }

    fn from(mut self, info: &ClientInfo) -> Self {
        self.0.ip = info.ip;
        self.0.user_agent.clone_from(&info.user_agent);
        self
    }

    fn at(mut self, at: DateTime<Utc>) -> Self {
        self.0.occurred_at = at;
        self
    }

    fn build(self) -> AuditEvent {
        self.0
    }
}
