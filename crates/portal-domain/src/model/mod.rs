//! The portal's entities and value types. Constructors validate; once a
//! value exists it is trusted everywhere.

mod account;
mod audit;
mod client;
mod document;
mod email;
mod ids;
mod link;
mod link_request;
mod money;
mod request;
mod session;
mod text;
mod token;

pub use account::{
    Account, AccountSettings, ApiKeyRecord, IDLE_TIMEOUT_BOUNDS, LINK_LIFETIME_BOUNDS, PublicUrl,
    SESSION_LIFETIME_BOUNDS, SettingsPatch,
};
pub use audit::{AuditAction, AuditEvent};
pub use client::{Client, ClientPatch, Contact};
pub use document::{
    Document, DocumentAction, DocumentInput, DocumentKind, DocumentStatus, InvalidTransition,
    LineItem, MAX_LINES, Quantity,
};
pub use email::EmailAddress;
pub use ids::{
    AccountId, ApiKeyId, AuditEventId, ClientId, ContactId, DocumentId, InvalidId, LinkId,
    LinkRequestId, SessionId,
};
pub use link::{LinkPurpose, LinkState, MagicLink, link_path};
pub use link_request::{LINK_REQUEST_RETENTION, LinkRequest, LinkRequestCounts, LinkRequestPolicy};
pub use money::{Currency, MAX_MINOR_AMOUNT, Money};
pub use request::ClientInfo;
pub use session::{PortalSession, RevokeReason, SessionStatus, TOUCH_INTERVAL};
pub use text::{Description, DocumentNumber, Name, ValidationError};
pub use token::{ApiKey, Token, TokenHash};
