//! The portal's entities and value types. Constructors validate; once a
//! value exists it is trusted everywhere.

mod account;
mod audit;
mod branding;
mod client;
mod document;
mod email;
mod idempotency;
mod ids;
mod ledger;
mod link;
mod link_request;
mod mail;
mod money;
mod outbox;
mod page;
mod payment;
mod processor;
mod request;
mod server_key;
mod session;
mod sheet;
mod statement;
mod summary;
mod text;
mod token;

pub use account::{
    Account, AccountSettings, ApiKeyRecord, IDLE_TIMEOUT_BOUNDS, LINK_LIFETIME_BOUNDS, PublicUrl,
    SESSION_LIFETIME_BOUNDS, SettingsPatch, TimeZone,
};
pub use audit::{AuditAction, AuditEvent};
pub use branding::{AccentColour, Logo, LogoError, LogoFormat};
pub use client::{Client, ClientPatch, Contact, ContactPatch};
pub use document::{
    Document, DocumentAction, DocumentInput, DocumentKind, DocumentRecord, DocumentStatus,
    InvalidTransition, LedgerError, LineItem, MAX_LINES, Quantity,
};
pub use email::EmailAddress;
pub use idempotency::{
    Fingerprint, IDEMPOTENCY_LEASE, IDEMPOTENCY_RETENTION, IdempotencyKey, IdempotencyRecord,
    IdempotencyState, StoredResponse,
};
pub use ids::{
    AccountId, ApiKeyId, AuditEventId, CheckoutId, ClientId, ConnectionId, ContactId, DocumentId,
    InvalidId, LinkId, LinkRequestId, OutboxId, PaymentId, PaymentMethodId, RefundId, SessionId,
};
pub use ledger::{AppliedPayment, Ledger, LedgerEntry};
pub use link::{LinkPurpose, LinkState, MagicLink, link_path};
pub use link_request::{LINK_REQUEST_RETENTION, LinkRequest, LinkRequestCounts, LinkRequestPolicy};
pub use mail::{Attachment, Email, LINK_TOKEN_PLACEHOLDER};
pub use money::{Currency, MAX_MINOR_AMOUNT, Money, MoneyError};
pub use outbox::{
    ClaimToken, Delivery, LinkRequestJob, OutboxMessage, OutboxPayload, OutboxPolicy, OutboxStatus,
    OutboxTopic,
};
pub use page::{Cursor, DEFAULT_PAGE_LIMIT, PAGE_LIMITS, Page, PageRequest};
pub use payment::{
    Allocation, MAX_ALLOCATIONS, ManualKind, Payment, PaymentMethod, PaymentRecord, PaymentStatus,
    ProcessorCharge, Refund, RefundRefusal,
};
pub use processor::{
    AnetEnvironment, CHECKOUT_LIFETIME, CardBrand, Checkout, CheckoutState, ConnectionHealth,
    Expiry, Last4, MethodDetails, ProcessorConnection, ProcessorCredentials, ProcessorCustomer,
    ProcessorKind, ProcessorRef, Secret, StoredMethod,
};
pub use request::ClientInfo;
pub use server_key::{SealError, ServerKey};
pub use session::{PortalSession, RevokeReason, SessionStatus, TOUCH_INTERVAL};
pub use sheet::{
    Fact, InvoiceSheet, Letterhead, ReceiptLine, ReceiptSheet, Sheet, SheetDate, SheetLine,
    SheetMeta, SheetRow, SheetSection, StatementSheet,
};
pub use statement::{
    Aging, EntryKind, InvoiceCursor, MAX_STATEMENT_YEARS, PaymentCursor, SectionStatement,
    SectionStep, SectionSummary, Statement, StatementEntry, StatementError, StatementInvoice,
    StatementPayment, StatementRange, StatementRefund, StatementSection, parse_date, section_of,
};
pub use summary::{DocumentSummary, PaidInvoice, PaymentSummary};
pub use text::{
    Address, Description, DocumentNumber, Name, PaymentInstructions, Reference, ValidationError,
};
pub use token::{ApiKey, Token, TokenHash};
