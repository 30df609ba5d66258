//! The ports: what the domain needs from the outside world. Adapters
//! implement them; the domain never names an adapter.
//!
//! Every store method is one atomic unit: it either happens completely or
//! not at all, and the methods that resolve a race (redeeming a link,
//! moving a document's status) say how they decide it.

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use crate::model::{
    Account, AccountId, ApiKeyRecord, AuditEvent, Client, ClientId, Contact, ContactId, Document,
    DocumentId, DocumentKind, DocumentStatus, EmailAddress, LinkId, LinkRequest, LinkRequestCounts,
    MagicLink, PortalSession, RevokeReason, SessionId, TokenHash,
};

/// The current time. Behind a port so expiry rules are testable.
pub trait Clock: Send + Sync {
    /// Now, in UTC, with at most microsecond precision (what every store
    /// keeps), so a value read back compares equal to the one written.
    fn now(&self) -> DateTime<Utc>;
}

/// Cryptographically secure random bytes, for tokens and identifiers.
pub trait RandomSource: Send + Sync {
    fn fill(&self, dest: &mut [u8]);
}

/// A failure of the store, in the domain's terms.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// A uniqueness rule the caller can act on.
    #[error("{0}")]
    Conflict(Conflict),
    /// The store could not do the work (unreachable, broken, corrupt).
    #[error("the store failed")]
    Backend(#[source] Box<dyn std::error::Error + Send + Sync>),
}

/// Which uniqueness rule a write broke.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum Conflict {
    #[error("a document of this kind with this number already exists")]
    DocumentNumber,
    #[error("this client already has a contact with this email")]
    ContactEmail,
    #[error("the client's portal is closed")]
    PortalClosed,
}

pub type StoreResult<T> = Result<T, StoreError>;

/// Accounts and their API keys.
#[async_trait]
pub trait AccountStore: Send + Sync {
    async fn insert_account(&self, account: &Account, key: &ApiKeyRecord) -> StoreResult<()>;
    async fn account(&self, id: AccountId) -> StoreResult<Option<Account>>;
    /// The account owning the (unrevoked) key with this hash.
    async fn account_by_api_key(&self, key_hash: &TokenHash) -> StoreResult<Option<Account>>;
    /// Writes `next`'s name and settings, but only if the stored account
    /// still has `current`'s. Returns whether it was written, so two
    /// concurrent changes cannot silently undo each other.
    async fn update_account(&self, current: &Account, next: &Account) -> StoreResult<bool>;
    async fn account_count(&self) -> StoreResult<u64>;
    /// The account, when the store holds exactly one (a portal serving one
    /// business); `None` when it holds none or several.
    async fn sole_account(&self) -> StoreResult<Option<AccountId>>;
    /// The oldest demo account, if demo data was ever seeded.
    async fn demo_account(&self) -> StoreResult<Option<Account>>;
}

/// Client companies and contacts. Every read is scoped to an account.
#[async_trait]
pub trait CrmStore: Send + Sync {
    async fn insert_client(&self, client: &Client) -> StoreResult<()>;
    async fn client(&self, account: AccountId, id: ClientId) -> StoreResult<Option<Client>>;
    /// Clients of an account, oldest first.
    async fn clients(&self, account: AccountId) -> StoreResult<Vec<Client>>;
    /// Writes `next`'s name and flags, but only if the stored client still
    /// has `current`'s (`None` otherwise: nothing was written). With
    /// `revoke`, in the same unit: ends every live session of the client and
    /// revokes its unused links, and returns how many sessions were ended.
    ///
    /// Serialises with [`AccessStore::redeem_link`] and
    /// [`AccessStore::insert_link`] on the client, so no session or link
    /// can slip past a closing portal.
    async fn update_client(
        &self,
        current: &Client,
        next: &Client,
        revoke: Option<Revocation>,
    ) -> StoreResult<Option<u64>>;

    /// # Errors
    /// [`Conflict::ContactEmail`] when the client has a contact with that
    /// email already.
    async fn insert_contact(&self, contact: &Contact) -> StoreResult<()>;
    async fn contact(&self, account: AccountId, id: ContactId) -> StoreResult<Option<Contact>>;
    /// Contacts of a client, oldest first.
    async fn contacts(&self, account: AccountId, client: ClientId) -> StoreResult<Vec<Contact>>;
    /// Contacts of an account with this email, across its clients.
    async fn contacts_by_email(
        &self,
        account: AccountId,
        email: &EmailAddress,
    ) -> StoreResult<Vec<Contact>>;
}

/// Ending a client's live access, when its portal is turned off.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Revocation {
    pub at: DateTime<Utc>,
    pub reason: RevokeReason,
}

/// Which documents to list.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DocumentFilter {
    pub client: Option<ClientId>,
    pub kind: Option<DocumentKind>,
    /// Only documents that were sent (what a portal session may see).
    pub sent_only: bool,
}

#[async_trait]
pub trait DocumentStore: Send + Sync {
    /// Stores a document with its lines.
    ///
    /// # Errors
    /// [`Conflict::DocumentNumber`] when the account has a document of
    /// that kind with that number.
    async fn insert_document(&self, document: &Document) -> StoreResult<()>;
    async fn document(&self, account: AccountId, id: DocumentId) -> StoreResult<Option<Document>>;
    /// Documents of an account, newest issue date first.
    async fn documents(
        &self,
        account: AccountId,
        filter: DocumentFilter,
    ) -> StoreResult<Vec<Document>>;
    /// Writes `document`'s status and status times, but only if its stored
    /// status is still `expected`. Returns whether it was written, so two
    /// racing changes cannot both win.
    async fn update_document_status(
        &self,
        document: &Document,
        expected: DocumentStatus,
    ) -> StoreResult<bool>;
}

/// Everything a valid session cookie resolves to, read in one go.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionContext {
    pub session: PortalSession,
    pub contact: Contact,
    pub client: Client,
    pub account: Account,
}

/// A link redemption, written as one unit.
#[derive(Debug)]
pub struct Redemption<'a> {
    pub link_id: LinkId,
    pub at: DateTime<Utc>,
    /// The session that results: a new one, or the link's pending session
    /// with its activation filled in.
    pub session: &'a PortalSession,
    /// Whether `session` is the link's pending session (updated in place)
    /// rather than a new one (inserted).
    pub activates_pending: bool,
    /// Hash of the new session's cookie secret.
    pub secret_hash: TokenHash,
    /// Another session of the same browser, to end as replaced.
    pub replaces: Option<SessionId>,
    pub audit: &'a AuditEvent,
}

/// Magic links and sessions.
#[async_trait]
pub trait AccessStore: Send + Sync {
    /// Stores a link, and with it the pending session it will activate.
    ///
    /// # Errors
    /// [`Conflict::PortalClosed`] when the client's portal is closed.
    async fn insert_link(
        &self,
        link: &MagicLink,
        pending: Option<&PortalSession>,
    ) -> StoreResult<()>;
    async fn link_by_token(&self, token_hash: &TokenHash) -> StoreResult<Option<MagicLink>>;
    /// Marks an unused link revoked (an email carrying it failed to go).
    async fn revoke_link(&self, id: LinkId, at: DateTime<Utc>) -> StoreResult<()>;
    /// Consumes the link and starts (or activates) the session, records
    /// the audit event and ends the replaced session, all at once.
    ///
    /// Decides races: the link is consumed only if it is still unused,
    /// unrevoked and unexpired at `at`, and its client's portal is open
    /// (enabled and the client active); otherwise nothing is written and
    /// the answer is `false`. Of any number of concurrent redemptions of
    /// one link, across processes sharing the store, exactly one gets
    /// `true`.
    async fn redeem_link(&self, redemption: Redemption<'_>) -> StoreResult<bool>;

    /// The session whose cookie secret hashes to `secret_hash`, with its
    /// contact, client and account.
    async fn session_by_secret(
        &self,
        secret_hash: &TokenHash,
    ) -> StoreResult<Option<SessionContext>>;
    async fn session(
        &self,
        account: AccountId,
        id: SessionId,
    ) -> StoreResult<Option<PortalSession>>;
    /// Sessions of an account, newest first, optionally for one client or
    /// contact; at most `limit`.
    async fn sessions(
        &self,
        account: AccountId,
        filter: SessionFilter,
    ) -> StoreResult<Vec<PortalSession>>;
    async fn touch_session(&self, id: SessionId, at: DateTime<Utc>) -> StoreResult<()>;
    /// Ends a session that is not already revoked, and revokes the unused
    /// link that would have activated it, recording `audit` with it.
    /// Returns whether this call ended it.
    async fn revoke_session(
        &self,
        id: SessionId,
        revocation: Revocation,
        audit: &AuditEvent,
    ) -> StoreResult<bool>;
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SessionFilter {
    pub client: Option<ClientId>,
    pub contact: Option<ContactId>,
    pub limit: u32,
}

#[async_trait]
pub trait AuditStore: Send + Sync {
    async fn record(&self, event: &AuditEvent) -> StoreResult<()>;
    /// Events of one session, oldest first.
    async fn session_events(
        &self,
        account: AccountId,
        session: SessionId,
    ) -> StoreResult<Vec<AuditEvent>>;
    /// The latest events of a client, newest first, at most `limit`.
    async fn client_events(
        &self,
        account: AccountId,
        client: ClientId,
        limit: u32,
    ) -> StoreResult<Vec<AuditEvent>>;
}

#[async_trait]
pub trait LinkRequestStore: Send + Sync {
    /// Records `request`, forgets requests older than `forget_before`, and
    /// counts those made after `since` (strictly) from the same IP and for
    /// the same email, this one included.
    async fn record_link_request(
        &self,
        request: &LinkRequest,
        since: DateTime<Utc>,
        forget_before: DateTime<Utc>,
    ) -> StoreResult<LinkRequestCounts>;
}

/// The whole persistence port, as one object.
#[async_trait]
pub trait Store:
    AccountStore + CrmStore + DocumentStore + AccessStore + AuditStore + LinkRequestStore
{
    /// Checks the store answers (for readiness probes).
    async fn ping(&self) -> StoreResult<()>;
}

/// An email ready to go. Its text may carry a magic link, so `Debug`
/// shows only where it goes and what it is about.
#[derive(Clone, PartialEq, Eq)]
pub struct Email {
    pub to: EmailAddress,
    pub to_name: String,
    /// The sender's display name (the account's name); the address is the
    /// mail adapter's.
    pub from_name: String,
    pub subject: String,
    pub text: String,
}

impl std::fmt::Debug for Email {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Email")
            .field("to", &self.to)
            .field("subject", &self.subject)
            .finish_non_exhaustive()
    }
}

/// A failure to hand an email to the mail system.
#[derive(Debug, thiserror::Error)]
#[error("the email could not be sent")]
pub struct MailError(#[source] pub Box<dyn std::error::Error + Send + Sync>);

#[async_trait]
pub trait Mailer: Send + Sync {
    /// Hands `email` to the mail system.
    ///
    /// # Errors
    /// [`MailError`] when it was not accepted; the caller decides whether
    /// anything else must be undone.
    async fn send(&self, email: &Email) -> Result<(), MailError>;
}
