//! The persistence port, one trait per capability. Lists take a
//! [`PageRequest`] and return up to [`PageRequest::fetch`] items (one more
//! than the page, so the caller can tell whether another follows), after
//! the request's cursor in the list's stated order.

use async_trait::async_trait;
use chrono::{DateTime, NaiveDate, Utc};

use super::{Batch, StoreResult};
use crate::model::{
    Account, AccountId, ApiKeyId, ApiKeyRecord, AuditEvent, Checkout, CheckoutId, ClaimToken,
    Client, ClientId, ConnectionHealth, ConnectionId, Contact, ContactId, Delivery, Document,
    DocumentId, DocumentKind, EmailAddress, IdempotencyKey, IdempotencyRecord, LinkId, LinkRequest,
    LinkRequestCounts, LinkRequestPolicy, MagicLink, OutboxId, OutboxMessage, OutboxStatus,
    PageRequest, Payment, PaymentId, PaymentMethodId, PortalSession, ProcessorCustomer,
    ProcessorKind, ProcessorRef, RevokeReason, SessionId, StoredMethod, StoredResponse, TokenHash,
};
use crate::model::{
    Currency, DocumentSummary, InvoiceCursor, Logo, PaymentCursor, PaymentSummary,
    StatementInvoice, StatementPayment,
};

/// Accounts and their API keys.
#[async_trait]
pub trait AccountStore: Send + Sync {
    async fn insert_account(&self, account: &Account, key: &ApiKeyRecord) -> StoreResult<()>;
    async fn account(&self, id: AccountId) -> StoreResult<Option<Account>>;
    /// The account owning the unrevoked key with this hash.
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
    async fn insert_api_key(&self, key: &ApiKeyRecord) -> StoreResult<()>;
    /// The account's keys, revoked ones included, oldest first (by
    /// `created_at`, then id).
    async fn api_keys(
        &self,
        account: AccountId,
        page: &PageRequest,
    ) -> StoreResult<Vec<ApiKeyRecord>>;
    /// Revokes a key at `at`, unless it is the account's last active key.
    /// Decided atomically: two concurrent revocations of an account's last
    /// two keys cannot both succeed.
    async fn revoke_api_key(
        &self,
        account: AccountId,
        id: ApiKeyId,
        at: DateTime<Utc>,
    ) -> StoreResult<KeyRevocation>;
}

/// What revoking an API key did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeyRevocation {
    Revoked(ApiKeyRecord),
    /// It was revoked before; nothing changed.
    AlreadyRevoked(ApiKeyRecord),
    /// It is the account's last active key; nothing changed.
    LastActiveKey,
    NotFound,
}

/// Ending live access, when a client's portal closes or a contact changes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Revocation {
    pub at: DateTime<Utc>,
    pub reason: RevokeReason,
}

/// Client companies and contacts. Every read is scoped to an account.
#[async_trait]
pub trait CrmStore: Send + Sync {
    async fn insert_client(&self, client: &Client) -> StoreResult<()>;
    async fn client(&self, account: AccountId, id: ClientId) -> StoreResult<Option<Client>>;
    /// Clients of an account, oldest first (`created_at`, then id).
    async fn clients(&self, account: AccountId, page: &PageRequest) -> StoreResult<Vec<Client>>;
    /// Writes `next`'s name and flags, but only if the stored client still
    /// has `current`'s (`None` otherwise: nothing was written). With
    /// `revoke`, in the same unit: ends every live session of the client and
    /// revokes its unused links, and returns how many sessions were ended.
    ///
    /// Serialises with [`AccessStore::redeem_link`] and
    /// [`Write::InsertLink`](super::Write::InsertLink) on the client's row,
    /// so no session or link can slip past a closing portal.
    async fn update_client(
        &self,
        current: &Client,
        next: &Client,
        revoke: Option<Revocation>,
    ) -> StoreResult<Option<u64>>;

    /// # Errors
    /// [`Conflict::ContactEmail`](super::Conflict::ContactEmail) when the
    /// client has a contact with that email already.
    async fn insert_contact(&self, contact: &Contact) -> StoreResult<()>;
    async fn contact(&self, account: AccountId, id: ContactId) -> StoreResult<Option<Contact>>;
    /// Contacts of a client, oldest first (`created_at`, then id).
    async fn contacts(
        &self,
        account: AccountId,
        client: ClientId,
        page: &PageRequest,
    ) -> StoreResult<Vec<Contact>>;
    /// Contacts of an account with this email, across its clients, oldest
    /// first.
    async fn contacts_by_email(
        &self,
        account: AccountId,
        email: &EmailAddress,
    ) -> StoreResult<Vec<Contact>>;
    /// Writes `next`'s name, email and active flag, but only if the stored
    /// contact still has `current`'s (`None` otherwise). With `revoke`, in
    /// the same unit: ends the contact's live sessions and revokes its
    /// unused links, returning how many sessions ended. Takes the client's
    /// row lock first, like link inserts and redemptions.
    ///
    /// # Errors
    /// [`Conflict::ContactEmail`](super::Conflict::ContactEmail) when the
    /// new email is another contact's of the same client.
    async fn update_contact(
        &self,
        current: &Contact,
        next: &Contact,
        revoke: Option<Revocation>,
    ) -> StoreResult<Option<u64>>;
}

/// Which documents an operator lists.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DocumentFilter {
    pub client: Option<ClientId>,
    pub kind: Option<DocumentKind>,
}

/// Documents, each with its lines and (for invoices) its ledger.
#[async_trait]
pub trait DocumentStore: Send + Sync {
    /// Stores a new document with its lines.
    ///
    /// # Errors
    /// [`Conflict::DocumentNumber`](super::Conflict::DocumentNumber) when the
    /// account has a document of that kind with that number.
    async fn insert_document(&self, document: &Document) -> StoreResult<()>;
    async fn document(&self, account: AccountId, id: DocumentId) -> StoreResult<Option<Document>>;
    /// Documents of an account, newest first (`created_at`, then id).
    async fn documents(
        &self,
        account: AccountId,
        filter: DocumentFilter,
        page: &PageRequest,
    ) -> StoreResult<Vec<Document>>;
    /// Every document a client was sent (what its portal shows), newest
    /// issue date first (then newest `created_at`, then id).
    async fn client_documents(
        &self,
        account: AccountId,
        client: ClientId,
    ) -> StoreResult<Vec<Document>>;
    /// The contacts these documents were sent to, each once, in the order
    /// they were first sent to.
    async fn recipients(
        &self,
        account: AccountId,
        documents: &[DocumentId],
    ) -> StoreResult<Vec<ContactId>>;
}

/// Which payments to list.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PaymentFilter {
    pub client: Option<ClientId>,
}

/// Payments with their allocations and refunds.
#[async_trait]
pub trait PaymentStore: Send + Sync {
    async fn payment(&self, account: AccountId, id: PaymentId) -> StoreResult<Option<Payment>>;
    /// Payments of an account, newest first (`received_at`, then id).
    async fn payments(
        &self,
        account: AccountId,
        filter: PaymentFilter,
        page: &PageRequest,
    ) -> StoreResult<Vec<Payment>>;
}

/// What the portal's overview shows of a client.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Overview {
    /// Every sent invoice still open or partially paid, in no particular
    /// order.
    pub outstanding: Vec<DocumentSummary>,
    /// A page of the client's other sent documents, newest first
    /// (`created_at`, then id).
    pub documents: Vec<DocumentSummary>,
    /// A page of the client's payments that did not fail, newest first
    /// (`received_at`, then id).
    pub payments: Vec<PaymentSummary>,
}

/// The portal's overview page, read at once.
#[async_trait]
pub trait OverviewStore: Send + Sync {
    /// A client's outstanding invoices, a page of its other documents and
    /// a page of its payments, as one consistent read: a single statement
    /// on the SQL backends, whatever the client's history holds.
    async fn overview(
        &self,
        account: AccountId,
        client: ClientId,
        documents: &PageRequest,
        payments: &PageRequest,
    ) -> StoreResult<Overview>;
}

/// An account's logo, kept apart from the account (which every request
/// reads) because it is large.
#[async_trait]
pub trait LogoStore: Send + Sync {
    async fn logo(&self, account: AccountId) -> StoreResult<Option<Logo>>;
    /// Replaces the account's logo, or removes it with `None`.
    async fn set_logo(
        &self,
        account: AccountId,
        logo: Option<&Logo>,
        at: DateTime<Utc>,
    ) -> StoreResult<()>;
}

/// Which part of a client's history a statement page reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StatementScope {
    pub account: AccountId,
    pub client: ClientId,
    pub currency: Currency,
    /// At most this many items.
    pub limit: usize,
}

/// What statements read: lean rows, a page at a time, so a statement of
/// any length is built in constant memory.
#[async_trait]
pub trait StatementStore: Send + Sync {
    /// The currencies of the client's statement entries (its sent, not
    /// void invoices and its succeeded payments), by code.
    async fn statement_currencies(
        &self,
        account: AccountId,
        client: ClientId,
    ) -> StoreResult<Vec<Currency>>;
    /// The client's invoices in the scope's currency that are sent and
    /// not void (open, partially paid or paid), issued on or before
    /// `through`, after `after`, by issue date then id; each with its
    /// whole ledger.
    async fn statement_invoices(
        &self,
        scope: StatementScope,
        through: NaiveDate,
        after: Option<InvoiceCursor>,
    ) -> StoreResult<Vec<StatementInvoice>>;
    /// The client's succeeded payments in the scope's currency received
    /// before `before`, after `after`, by time received then id; each with
    /// every refund made of it, oldest first.
    async fn statement_payments(
        &self,
        scope: StatementScope,
        before: DateTime<Utc>,
        after: Option<PaymentCursor>,
    ) -> StoreResult<Vec<StatementPayment>>;
}

/// Everything a valid session cookie resolves to, read in one go.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionContext {
    pub session: PortalSession,
    pub contact: Contact,
    pub client: Client,
    pub account: Account,
    /// The account's processor connection, if any: whether the portal
    /// takes payments online, read with the session.
    pub processor: Option<ConnectionRecord>,
}

/// Everything a link token resolves to, read in one go: what previewing
/// and redeeming the link need to decide.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LinkContext {
    pub link: MagicLink,
    pub client: Client,
    pub contact: Contact,
    pub account: Account,
    /// The pending session the link activates (API-created sessions), as
    /// stored now; `None` when the link carries none.
    pub pending: Option<PortalSession>,
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
    /// The secret hash of the cookie the browser still carries: the
    /// session it belongs to is ended as replaced, if it is another
    /// session than `session` and not ended already.
    pub replaces: Option<TokenHash>,
    pub audit: &'a AuditEvent,
}

/// Which sessions to list.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SessionFilter {
    pub client: Option<ClientId>,
    pub contact: Option<ContactId>,
}

/// Magic links and sessions.
#[async_trait]
pub trait AccessStore: Send + Sync {
    async fn link_by_token(&self, token_hash: &TokenHash) -> StoreResult<Option<MagicLink>>;
    async fn link(&self, account: AccountId, id: LinkId) -> StoreResult<Option<MagicLink>>;
    /// The link whose token hashes to `token_hash`, with its client,
    /// contact and account and the pending session it activates, whatever
    /// state each is in: one read.
    async fn link_context(&self, token_hash: &TokenHash) -> StoreResult<Option<LinkContext>>;
    /// Consumes the link and starts (or activates) the session, records
    /// the audit event and ends the replaced session, all at once.
    ///
    /// Decides races: the link is consumed only if it is still unused,
    /// unrevoked and unexpired at `at`, its client's portal is open
    /// (enabled and the client active) and its contact active; otherwise
    /// nothing is written and the answer is `false`. Of any number of
    /// concurrent redemptions of one link, across processes sharing the
    /// store, exactly one gets `true`. Redemptions for one client do not
    /// wait for each other, only for writers that change the client or
    /// its contacts (which refuse or end what they let through).
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
    /// Sessions of an account, newest first (`created_at`, then id).
    async fn sessions(
        &self,
        account: AccountId,
        filter: SessionFilter,
        page: &PageRequest,
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

#[async_trait]
pub trait AuditStore: Send + Sync {
    async fn record(&self, event: &AuditEvent) -> StoreResult<()>;
    /// Events of one session, oldest first (in the order recorded).
    async fn session_events(
        &self,
        account: AccountId,
        session: SessionId,
    ) -> StoreResult<Vec<AuditEvent>>;
    /// Events of a client, newest first (`occurred_at`, then id).
    async fn client_events(
        &self,
        account: AccountId,
        client: ClientId,
        page: &PageRequest,
    ) -> StoreResult<Vec<AuditEvent>>;
}

/// Counting requests for new links.
#[async_trait]
pub trait LinkRequestStore: Send + Sync {
    /// Records `request`, forgets requests older than `forget_before`, and
    /// counts those made after `since` (strictly) from the same IP and for
    /// the same email, this one included. When `policy` allows those
    /// counts, `fulfil` is added to the outbox in the same unit.
    async fn record_link_request(
        &self,
        request: &LinkRequest,
        since: DateTime<Utc>,
        forget_before: DateTime<Utc>,
        policy: LinkRequestPolicy,
        fulfil: Option<&OutboxMessage>,
    ) -> StoreResult<LinkRequestCounts>;
}

/// The outbox, as its worker and operators use it.
#[async_trait]
pub trait OutboxStore: Send + Sync {
    /// Claims up to `limit` items due at `now`, oldest due first: pending
    /// or failed items whose `next_attempt_at` has come, and items whose
    /// previous claim's lease ran out. Each becomes `sending` under `claim`
    /// until `lease_until`, with its attempts counted up. Concurrent
    /// claimers, in any process, never get the same item while a lease on
    /// it holds.
    async fn claim_outbox(
        &self,
        claim: ClaimToken,
        now: DateTime<Utc>,
        lease_until: DateTime<Utc>,
        limit: u32,
    ) -> StoreResult<Vec<OutboxMessage>>;
    /// Records how a claimed delivery went, if `claim` still holds the
    /// item (`false`, and nothing written, when another worker took it
    /// over). A dead delivery revokes its link, if unused, in the same
    /// unit.
    async fn settle_outbox(
        &self,
        id: OutboxId,
        claim: ClaimToken,
        outcome: &Delivery,
    ) -> StoreResult<bool>;
    async fn outbox_message(
        &self,
        account: AccountId,
        id: OutboxId,
    ) -> StoreResult<Option<OutboxMessage>>;
    /// Items of an account, newest first (`created_at`, then id),
    /// optionally of one status.
    async fn outbox(
        &self,
        account: AccountId,
        status: Option<OutboxStatus>,
        page: &PageRequest,
    ) -> StoreResult<Vec<OutboxMessage>>;
    /// Deletes the items of every account sent before `before`; returns
    /// how many.
    async fn forget_sent(&self, before: DateTime<Utc>) -> StoreResult<u64>;
    /// How many items of every account are in each status (for metrics).
    async fn outbox_backlog(&self) -> StoreResult<Vec<(OutboxStatus, u64)>>;
}

/// Records of idempotent requests.
#[async_trait]
pub trait IdempotencyStore: Send + Sync {
    /// Starts a request under its key: stores `record` (in progress) if
    /// the account has no record for the key, or only a stale one (see
    /// [`IdempotencyRecord::is_stale`] at `now`), and answers `None`.
    /// Otherwise writes nothing and answers the record that holds the key.
    /// Of concurrent starts with one key, exactly one gets `None`.
    async fn begin_request(
        &self,
        record: &IdempotencyRecord,
        now: DateTime<Utc>,
    ) -> StoreResult<Option<IdempotencyRecord>>;
    /// Stores the answer of the request started with `claim`, kept until
    /// `expires_at`.
    async fn finish_request(
        &self,
        account: AccountId,
        key: &IdempotencyKey,
        claim: uuid::Uuid,
        response: &StoredResponse,
        expires_at: DateTime<Utc>,
    ) -> StoreResult<()>;
    /// Forgets the request started with `claim` (it failed in a way worth
    /// retrying), so the key can be used again.
    async fn abandon_request(
        &self,
        account: AccountId,
        key: &IdempotencyKey,
        claim: uuid::Uuid,
    ) -> StoreResult<()>;
    async fn idempotency_record(
        &self,
        account: AccountId,
        key: &IdempotencyKey,
    ) -> StoreResult<Option<IdempotencyRecord>>;
    /// Deletes the records of every account that expired at `now` (their
    /// answers are no longer replayed); returns how many.
    async fn forget_expired_requests(&self, now: DateTime<Utc>) -> StoreResult<u64>;
}

/// A processor connection as stored: its secrets sealed under the server
/// key (with [`ProcessorConnection::seal_context`](crate::model::ProcessorConnection::seal_context)),
/// so the store never holds a credential in the clear.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConnectionRecord {
    pub id: ConnectionId,
    pub account_id: AccountId,
    pub kind: ProcessorKind,
    /// [`ProcessorCredentials::public_text`](crate::model::ProcessorCredentials::public_text).
    pub public: String,
    /// [`ProcessorCredentials::secrets_text`](crate::model::ProcessorCredentials::secrets_text),
    /// sealed.
    pub sealed_secrets: Vec<u8>,
    pub created_at: DateTime<Utc>,
    pub health: ConnectionHealth,
}

/// Processor connections, customers, saved methods, checkouts and
/// webhook events. Every read is scoped to an account.
#[async_trait]
pub trait ProcessorStore: Send + Sync {
    async fn connection(&self, account: AccountId) -> StoreResult<Option<ConnectionRecord>>;
    /// Records how contact with the processor went at `at`: a success
    /// (`error` is `None`) or a failure. Written only while `connection` is
    /// still the account's.
    async fn record_connection_health(
        &self,
        account: AccountId,
        connection: ConnectionId,
        error: Option<&str>,
        at: DateTime<Utc>,
    ) -> StoreResult<()>;

    async fn processor_customer(
        &self,
        account: AccountId,
        connection: ConnectionId,
        client: ClientId,
    ) -> StoreResult<Option<ProcessorCustomer>>;
    /// Stores the client's customer under the connection, unless one was
    /// stored first; answers the one that is stored.
    async fn insert_processor_customer(
        &self,
        customer: &ProcessorCustomer,
    ) -> StoreResult<ProcessorCustomer>;

    /// The client's methods under a connection: the default first, then
    /// oldest first (`created_at`, then id).
    async fn methods(
        &self,
        account: AccountId,
        connection: ConnectionId,
        client: ClientId,
    ) -> StoreResult<Vec<StoredMethod>>;
    async fn method(
        &self,
        account: AccountId,
        id: PaymentMethodId,
    ) -> StoreResult<Option<StoredMethod>>;

    async fn checkout(&self, account: AccountId, id: CheckoutId) -> StoreResult<Option<Checkout>>;
    /// Deletes checkouts of every account that expired before `before`
    /// and were never submitted; returns how many.
    async fn forget_checkouts(&self, before: DateTime<Utc>) -> StoreResult<u64>;

    /// The account's payment charged through `processor` with this
    /// charge reference.
    async fn payment_by_charge(
        &self,
        account: AccountId,
        processor: ProcessorKind,
        reference: &ProcessorRef,
    ) -> StoreResult<Option<Payment>>;
    /// Pending processor payments of every account created before
    /// `before`, oldest first (`created_at`, then id), after `after` in
    /// that order when given, at most `limit` (for reconciliation, a page
    /// at a time, so payments that stay pending for long never hide the
    /// newer ones).
    async fn pending_processor_payments(
        &self,
        before: DateTime<Utc>,
        after: Option<(DateTime<Utc>, PaymentId)>,
        limit: u32,
    ) -> StoreResult<Vec<Payment>>;

    /// Whether the account recorded this processor event already.
    async fn processor_event_seen(
        &self,
        account: AccountId,
        processor: ProcessorKind,
        event_id: &ProcessorRef,
    ) -> StoreResult<bool>;
}

/// Applying a [`Batch`].
#[async_trait]
pub trait BatchStore: Send + Sync {
    /// Applies every write of `batch`, in order, in one transaction.
    /// Returns `false`, with nothing written, when a compare-and-set in it
    /// found the row changed (the caller reads again and retries).
    ///
    /// # Errors
    /// [`Conflict::PortalClosed`](super::Conflict::PortalClosed) when a
    /// link insert finds its client's portal closed or its contact
    /// inactive; nothing is written.
    async fn commit(&self, batch: &Batch) -> StoreResult<bool>;
}

/// The whole persistence port, as one object.
#[async_trait]
pub trait Store:
    AccountStore
    + CrmStore
    + DocumentStore
    + PaymentStore
    + OverviewStore
    + AccessStore
    + AuditStore
    + LinkRequestStore
    + OutboxStore
    + IdempotencyStore
    + ProcessorStore
    + LogoStore
    + StatementStore
    + BatchStore
{
    /// Checks the store answers and its schema is up to date (for
    /// readiness probes).
    async fn ping(&self) -> StoreResult<()>;
    /// Whether the server key with this fingerprint is the one the store
    /// was first used with; the first call records it. Every process
    /// sharing a store must hold the same key, or the links one mints would
    /// not open where another delivers them.
    async fn check_key_fingerprint(&self, fingerprint: &str) -> StoreResult<bool>;
}
