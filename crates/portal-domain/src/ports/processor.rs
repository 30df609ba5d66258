//! The processor port: what the portal asks of a card and bank processor
//! (Stripe, Authorize.Net, the in-process test processor). Adapters keep
//! their wire types to themselves; the domain sees only these.
//!
//! Card data never reaches the portal: the browser hands the card to the
//! processor's own script, which answers a token ([`BrowserToken`]); the
//! portal passes that token on and keeps only references and display data.

use std::sync::Arc;

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use crate::model::{
    ClientId, EmailAddress, MethodDetails, Money, PaymentId, ProcessorConnection, ProcessorKind,
    ProcessorRef, RefundId,
};

/// The most a browser token may hold, in bytes.
pub const MAX_BROWSER_TOKEN: usize = 8 * 1024;

/// What a processor's browser script answered: a Stripe SetupIntent or
/// PaymentMethod id, an Accept.js payment nonce, a test processor token.
/// Opaque to the portal; never a card number.
#[derive(Clone, PartialEq, Eq)]
pub struct BrowserToken(String);

impl BrowserToken {
    /// # Errors
    /// Empty, longer than [`MAX_BROWSER_TOKEN`], or not printable ASCII.
    pub fn parse(text: &str) -> Result<Self, crate::model::ValidationError> {
        if text.is_empty() || text.len() > MAX_BROWSER_TOKEN {
            return Err(crate::model::ValidationError::new(
                "token",
                format!("must be 1 to {MAX_BROWSER_TOKEN} characters"),
            ));
        }
        if !text.bytes().all(|b| b.is_ascii_graphic()) {
            return Err(crate::model::ValidationError::new(
                "token",
                "must be printable ASCII",
            ));
        }
        Ok(Self(text.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for BrowserToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("BrowserToken(…)")
    }
}

/// The client a processor customer stands for.
#[derive(Debug, Clone, Copy)]
pub struct CustomerInfo<'a> {
    pub client: ClientId,
    pub name: &'a str,
    pub email: Option<&'a EmailAddress>,
}

/// What the browser needs to add a method, beyond the connection's public
/// keys: Stripe's SetupIntent client secret; nothing for Accept.js.
#[derive(Clone, PartialEq, Eq, Default)]
pub struct SetupStart {
    pub client_secret: Option<String>,
}

impl std::fmt::Debug for SetupStart {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SetupStart").finish_non_exhaustive()
    }
}

/// A method as the processor reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SavedMethod {
    pub reference: ProcessorRef,
    pub details: MethodDetails,
    pub is_default: bool,
}

/// What a charge is paid with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ChargeSource {
    /// A method saved at the processor for this customer.
    Saved(ProcessorRef),
    /// A fresh method from the browser, used once and not kept.
    Token(BrowserToken),
}

/// A charge to make.
#[derive(Debug, Clone)]
pub struct ChargeRequest {
    /// Our payment id: the processor's idempotency key, so a retried
    /// charge never charges twice, and how a charge is looked up later.
    pub payment: PaymentId,
    pub customer: ProcessorRef,
    pub source: ChargeSource,
    pub amount: Money,
    /// What the charge is for ("Invoices INV-0001, INV-0002").
    pub description: String,
}

/// Where a charge stands at the processor.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ChargeStatus {
    Succeeded,
    /// Accepted and not settled yet (a bank debit); a webhook settles it.
    Processing,
    /// The card's bank asks the cardholder to authenticate (3-D Secure):
    /// the browser finishes it with `client_secret`, then the portal asks
    /// the processor again.
    RequiresAction {
        client_secret: String,
    },
    /// Declined or refused; `message` is fit to show the client.
    Failed {
        message: String,
    },
}

/// A charge's outcome.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChargeOutcome {
    pub status: ChargeStatus,
    /// The processor's id of the charge, when it made one.
    pub reference: Option<ProcessorRef>,
    /// The method charged, as the processor reports it.
    pub method: Option<MethodDetails>,
}

/// How to find a charge made with our payment id.
#[derive(Debug, Clone)]
pub struct ChargeLookup {
    pub payment: PaymentId,
    pub customer: ProcessorRef,
    /// The charge's reference, when the processor answered one.
    pub reference: Option<ProcessorRef>,
    /// When the charge was attempted, to bound a search.
    pub attempted_at: DateTime<Utc>,
}

/// A refund to make at the processor.
#[derive(Debug, Clone)]
pub struct RefundRequest {
    /// Our refund id: the processor's idempotency key.
    pub refund: RefundId,
    pub payment: PaymentId,
    pub charge: ProcessorRef,
    pub amount: Money,
}

/// A webhook request as it arrived.
#[derive(Debug, Clone, Copy)]
pub struct WebhookRequest<'a> {
    /// Header names in lower case, values as sent.
    pub headers: &'a [(String, String)],
    pub body: &'a [u8],
    pub now: DateTime<Utc>,
}

impl WebhookRequest<'_> {
    /// The first header named `name` (lower case).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
}

/// What a webhook event means to the portal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EventEffect {
    /// A charge succeeded (a bank debit settled, a 3-D Secure charge
    /// completed).
    ChargeSucceeded {
        reference: ProcessorRef,
        payment: Option<PaymentId>,
        method: Option<MethodDetails>,
    },
    /// A charge failed (a bank debit returned, a challenge failed).
    ChargeFailed {
        reference: ProcessorRef,
        payment: Option<PaymentId>,
        message: String,
    },
    /// Anything else: recorded and otherwise ignored.
    Ignored,
}

/// One verified webhook event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProcessorEvent {
    /// The processor's event id, unique per processor: each is applied
    /// once.
    pub id: ProcessorRef,
    /// The processor's name for the event type.
    pub event_type: String,
    pub effect: EventEffect,
}

/// Why a webhook was refused; nothing is applied.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WebhookError {
    #[error("the signature is missing or does not match")]
    BadSignature,
    #[error("the signature's timestamp is outside the tolerance")]
    Stale,
    #[error("the body is not an event: {0}")]
    Malformed(String),
}

/// A failure talking to the processor.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProcessorError {
    /// Timeout, connection failure, 5xx: worth retrying with the same
    /// idempotency key; the outcome of a charge is unknown.
    #[error("the processor could not be reached: {0}")]
    Unavailable(String),
    /// The credentials were refused.
    #[error("the processor refused the credentials: {0}")]
    Unauthorized(String),
    /// The customer or method is unknown to the processor, or belongs to
    /// another customer.
    #[error("the processor has no such customer or method")]
    NotFound,
    /// The processor refused the method (a card declined while saving, an
    /// invalid or expired token); the message is fit to show the client.
    #[error("{0}")]
    Declined(String),
    /// Anything else the processor refused or answered that cannot be
    /// read; the outcome of a charge is known not to be a success.
    #[error("the processor refused the request: {0}")]
    Rejected(String),
}

impl ProcessorError {
    /// Whether the same request may be sent again.
    pub fn is_retryable(&self) -> bool {
        matches!(self, Self::Unavailable(_))
    }
}

pub type ProcessorResult<T> = Result<T, ProcessorError>;

/// One connected processor, for one account.
///
/// The contract (checked for every adapter by
/// [`testing::processor_contract`](crate::testing)): methods are listed
/// for their own customer only; a method of another customer is refused
/// with [`ProcessorError::NotFound`] and changes nothing; a charge retried
/// with the same payment id charges once; lookups find a charge by our
/// payment id.
#[async_trait]
pub trait Processor: Send + Sync {
    fn kind(&self) -> ProcessorKind;

    /// Checks the credentials work.
    async fn check(&self) -> ProcessorResult<()>;

    /// Creates the processor's customer for a client; returns its
    /// reference.
    async fn create_customer(&self, customer: CustomerInfo<'_>) -> ProcessorResult<ProcessorRef>;

    /// Starts adding a method for `customer`.
    async fn start_setup(&self, customer: &ProcessorRef) -> ProcessorResult<SetupStart>;

    /// Finishes adding a method from the browser's token: confirms with
    /// the processor what was saved, attached to `customer`, and makes it
    /// the default when `make_default`.
    async fn finish_setup(
        &self,
        customer: &ProcessorRef,
        token: &BrowserToken,
        make_default: bool,
    ) -> ProcessorResult<SavedMethod>;

    /// The customer's saved methods.
    async fn methods(&self, customer: &ProcessorRef) -> ProcessorResult<Vec<SavedMethod>>;

    async fn set_default(
        &self,
        customer: &ProcessorRef,
        method: &ProcessorRef,
    ) -> ProcessorResult<()>;

    async fn remove_method(
        &self,
        customer: &ProcessorRef,
        method: &ProcessorRef,
    ) -> ProcessorResult<()>;

    /// Charges; a decline is an outcome ([`ChargeStatus::Failed`]), not
    /// an error.
    async fn charge(&self, request: &ChargeRequest) -> ProcessorResult<ChargeOutcome>;

    /// The charge made for `lookup.payment`, if the processor has one.
    async fn lookup_charge(&self, lookup: &ChargeLookup) -> ProcessorResult<Option<ChargeOutcome>>;

    /// Refunds (part of) a charge; returns the refund's reference.
    async fn refund(&self, request: &RefundRequest) -> ProcessorResult<ProcessorRef>;

    /// Verifies a webhook's signature and reads its events.
    ///
    /// # Errors
    /// [`WebhookError`]: forged, stale or malformed.
    fn parse_webhook(
        &self,
        request: &WebhookRequest<'_>,
    ) -> Result<Vec<ProcessorEvent>, WebhookError>;
}

/// What a payment page loads for a processor, and the origins its
/// Content-Security-Policy allows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BrowserAssets {
    /// The processor's script (Stripe.js, Accept.js, the test processor's).
    pub script_url: String,
    /// Origins scripts load from (`scheme://host[:port]`).
    pub script_origins: Vec<String>,
    /// Origins frames load from.
    pub frame_origins: Vec<String>,
    /// Origins scripts talk to.
    pub connect_origins: Vec<String>,
}

/// Builds processors from connections.
pub trait ProcessorConnector: Send + Sync {
    /// A processor for `connection`.
    ///
    /// # Errors
    /// A processor kind this deployment does not offer.
    fn connect(&self, connection: &ProcessorConnection) -> ProcessorResult<Arc<dyn Processor>>;

    /// What a payment page loads for `connection`.
    fn browser_assets(&self, connection: &ProcessorConnection) -> BrowserAssets;

    /// Whether this deployment offers processors of `kind` (a production
    /// deployment need not offer the test processor).
    fn offers(&self, kind: ProcessorKind) -> bool {
        let _ = kind;
        true
    }
}
