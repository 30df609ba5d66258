//! The portal's use cases, one capability service per file. Each service
//! holds only the ports it uses; [`Services`] builds them all over one
//! store. Each operation has its own error enum whose variants are the
//! business outcomes a caller must handle.

mod access;
mod accounts;
mod checkout;
mod crm;
mod documents;
mod downloads;
mod idempotency;
mod links;
mod methods;
mod outbox;
mod payments;
mod processors;
mod views;

#[cfg(test)]
mod tests;

use std::sync::Arc;

use chrono::{DateTime, Utc};

use crate::model::{
    Account, AccountId, AuditAction, AuditEvent, AuditEventId, ClientId, ClientInfo, ContactId,
    DocumentId, Email, LinkId, LinkRequestPolicy, OutboxId, OutboxMessage, OutboxPayload,
    OutboxPolicy, OutboxTopic, PaymentId, PublicUrl, ServerKey, SessionId,
};
use crate::ports::{Clock, Mailer, ProcessorConnector, RandomSource, Renderer, Store};

pub use access::{AccessError, SessionDetails, SessionError, Sessions};
pub use accounts::{
    Accounts, ApiKeyError, CreatedAccount, CreatedApiKey, OperatorAuthError, SettingsError,
};
pub use checkout::{
    CheckoutError, CheckoutForm, Checkouts, PayOutcome, PayRequest, PayWith, ReconcileReport,
    UNCHARGED_AFTER, WebhookApplyError, WebhookReport,
};
pub use crm::{ClientUpdate, ContactUpdate, Crm, CrmError};
pub use documents::{DocumentError, Documents, SentDocument};
pub use downloads::{
    DownloadError, Downloads, RenderedPdf, Requester, STATEMENT_PAGE, StatementEvent,
    StatementFormat, StatementStream, statement_filename,
};
pub use idempotency::{Begin, Idempotency, IdempotencyError, Replay, Ticket};
pub use links::{
    IssuedLink, LinkError, LinkPreview, LinkRejection, Links, RedeemError, Redeemed,
    RequestLinkError,
};
pub use methods::{AddMethod, MethodError, MethodsPage, PaymentMethods};
pub use outbox::{DeliveryReport, Outbox, OutboxError, SENT_RETENTION};
pub use payments::{
    AllocationProblem, MarkPaid, PaymentError, PaymentInput, Payments, RecordedPayment,
    RefundOutcome,
};
pub use processors::{Connected, ProcessorSettings, ProcessorSettingsError, ProcessorStatus};
pub use views::{
    DOCUMENTS_PER_PAGE, HomePages, PAYMENTS_PER_PAGE, PortalDocument, PortalHome, PortalViews,
    ViewError,
};

/// Why the server key cannot be used with this store.
#[derive(Debug, thiserror::Error)]
pub enum KeyCheckError {
    #[error(
        "this database was first used with another server key, and links minted with one key do not open with another: start every process with the key the database was first used with (PORTAL_SECRET_KEY, or its key file)"
    )]
    Mismatch,
    #[error(transparent)]
    Store(#[from] crate::ports::StoreError),
}

/// Settings of a portal deployment (as opposed to an account's).
#[derive(Debug, Clone)]
pub struct PortalConfig {
    /// Where the portal is reached when an account sets no URL of its own.
    pub public_url: PublicUrl,
    pub link_requests: LinkRequestPolicy,
    pub outbox: OutboxPolicy,
    /// Derives link tokens and seals stored secrets.
    pub server_key: ServerKey,
}

/// How often a compare-and-set write is tried against concurrent changes
/// before giving up.
pub(crate) const UPDATE_ATTEMPTS: usize = 3;

/// What every service shares: time, randomness and the deployment's
/// settings.
#[derive(Clone)]
pub(crate) struct Env {
    clock: Arc<dyn Clock>,
    random: Arc<dyn RandomSource>,
    config: Arc<PortalConfig>,
}

impl Env {
    pub(crate) fn now(&self) -> DateTime<Utc> {
        self.clock.now()
    }

    pub(crate) fn random(&self) -> &dyn RandomSource {
        self.random.as_ref()
    }

    pub(crate) fn config(&self) -> &PortalConfig {
        &self.config
    }

    /// The URL this account's clients reach the portal at.
    pub(crate) fn public_url<'a>(&'a self, account: &'a Account) -> &'a PublicUrl {
        account
            .settings
            .public_url
            .as_ref()
            .unwrap_or(&self.config.public_url)
    }

    pub(crate) fn audit(
        &self,
        account: AccountId,
        client: ClientId,
        action: AuditAction,
    ) -> EventBuilder {
        EventBuilder(AuditEvent {
            id: AuditEventId::generate(self.random()),
            account_id: account,
            client_id: client,
            contact_id: None,
            session_id: None,
            document_id: None,
            payment_id: None,
            action,
            ip: None,
            user_agent: None,
            occurred_at: self.now(),
            detail: None,
        })
    }

    /// An outbox item that sends `email`, due now.
    pub(crate) fn email(
        &self,
        account: AccountId,
        topic: OutboxTopic,
        email: Email,
        link: Option<LinkId>,
    ) -> OutboxMessage {
        OutboxMessage::new(
            OutboxId::generate(self.random()),
            account,
            topic,
            OutboxPayload::Email { email, link },
            self.now(),
        )
    }
}

impl std::fmt::Debug for Env {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Env")
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

/// Fills in the optional parts of an audit event.
pub(crate) struct EventBuilder(AuditEvent);

impl EventBuilder {
    pub(crate) fn contact(mut self, contact: ContactId) -> Self {
        self.0.contact_id = Some(contact);
        self
    }

    pub(crate) fn session(mut self, session: SessionId) -> Self {
        self.0.session_id = Some(session);
        self
    }

    pub(crate) fn document(mut self, document: Option<DocumentId>) -> Self {
        self.0.document_id = document;
        self
    }

    pub(crate) fn payment(mut self, payment: PaymentId) -> Self {
        self.0.payment_id = Some(payment);
        self
    }

    pub(crate) fn from(mut self, info: &ClientInfo) -> Self {
        self.0.ip = info.ip;
        self.0.user_agent.clone_from(&info.user_agent);
        self
    }

    pub(crate) fn detail(mut self, detail: String) -> Self {
        self.0.detail = Some(detail);
        self
    }

    pub(crate) fn at(mut self, at: DateTime<Utc>) -> Self {
        self.0.occurred_at = at;
        self
    }

    pub(crate) fn build(self) -> AuditEvent {
        self.0
    }
}

/// Every service of the portal, built over one store.
#[derive(Clone)]
pub struct Services {
    pub accounts: Accounts,
    pub crm: Crm,
    pub documents: Documents,
    pub downloads: Downloads,
    pub links: Links,
    pub sessions: Sessions,
    pub views: PortalViews,
    pub payments: Payments,
    pub processors: ProcessorSettings,
    pub methods: PaymentMethods,
    pub checkouts: Checkouts,
    pub outbox: Outbox,
    pub idempotency: Idempotency,
    store: Arc<dyn Store>,
    env: Env,
}

impl std::fmt::Debug for Services {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Services")
            .field("env", &self.env)
            .finish_non_exhaustive()
    }
}

impl Services {
    pub fn new(
        store: Arc<dyn Store>,
        mailer: Arc<dyn Mailer>,
        connector: Arc<dyn ProcessorConnector>,
        renderer: Arc<dyn Renderer>,
        clock: Arc<dyn Clock>,
        random: Arc<dyn RandomSource>,
        config: PortalConfig,
    ) -> Self {
        let env = Env {
            clock,
            random,
            config: Arc::new(config),
        };
        let links = Links::new(&store, env.clone());
        let downloads = Downloads::new(store.clone(), renderer, env.clone());
        let processors = ProcessorSettings::new(&store, connector, env.clone());
        let methods = PaymentMethods::new(&store, processors.clone(), env.clone());
        let payments = Payments::new(&store, processors.clone(), downloads.clone(), env.clone());
        let checkouts = Checkouts::new(
            &store,
            processors.clone(),
            methods.clone(),
            payments.clone(),
            env.clone(),
        );
        Self {
            accounts: Accounts::new(store.clone(), env.clone()),
            crm: Crm::new(&store, env.clone()),
            documents: Documents::new(&store, links.clone(), downloads.clone(), env.clone()),
            downloads,
            sessions: Sessions::new(&store, links.clone(), env.clone()),
            views: PortalViews::new(&store, env.clone()),
            payments,
            processors,
            methods,
            checkouts,
            outbox: Outbox::new(&store, mailer, links.clone(), env.clone()),
            idempotency: Idempotency::new(store.clone(), env.clone()),
            links,
            store,
            env,
        }
    }

    pub fn config(&self) -> &PortalConfig {
        self.env.config()
    }

    pub fn now(&self) -> DateTime<Utc> {
        self.env.now()
    }

    /// The URL this account's clients reach the portal at.
    pub fn public_url<'a>(&'a self, account: &'a Account) -> &'a PublicUrl {
        self.env.public_url(account)
    }

    /// Checks that the store was first used with this deployment's server
    /// key (recording it on first use).
    ///
    /// # Errors
    /// [`KeyCheckError::Mismatch`] when it was another key; a store
    /// failure.
    pub async fn check_server_key(&self) -> Result<(), KeyCheckError> {
        let fingerprint = self.env.config().server_key.fingerprint();
        if self.store.check_key_fingerprint(&fingerprint).await? {
            Ok(())
        } else {
            Err(KeyCheckError::Mismatch)
        }
    }

    /// Checks the store answers and is migrated.
    ///
    /// # Errors
    /// When it does not.
    pub async fn ping(&self) -> Result<(), crate::ports::StoreError> {
        self.store.ping().await
    }
}
