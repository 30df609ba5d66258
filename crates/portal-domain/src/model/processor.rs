//! Card and bank processors as the domain sees them: which processor an
//! account connected and with what credentials, the payment methods saved
//! at it (display data only: a card number never reaches the portal), and
//! the checkouts a client starts when pressing Pay Now.

use std::fmt;

use chrono::{DateTime, Utc};

use super::ids::{
    AccountId, CheckoutId, ClientId, ConnectionId, ContactId, PaymentId, PaymentMethodId, SessionId,
};
use super::money::Money;
use super::payment::Allocation;
use super::text::ValidationError;

/// The processors the portal can charge through.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ProcessorKind {
    /// The in-process test processor: accepts only well-known test card
    /// numbers and never moves money. Everything it touches says "test
    /// mode".
    Test,
    Stripe,
    AuthorizeNet,
}

impl ProcessorKind {
    pub const ALL: [Self; 3] = [Self::Test, Self::Stripe, Self::AuthorizeNet];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Test => "test",
            Self::Stripe => "stripe",
            Self::AuthorizeNet => "authorize_net",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == text)
    }

    /// The path segment of its webhook URL: `/webhooks/{segment}/{account}`.
    pub fn path_segment(self) -> &'static str {
        match self {
            Self::Test => "test",
            Self::Stripe => "stripe",
            Self::AuthorizeNet => "authorize-net",
        }
    }

    pub fn from_path_segment(segment: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.path_segment() == segment)
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::Test => "Test processor",
            Self::Stripe => "Stripe",
            Self::AuthorizeNet => "Authorize.Net",
        }
    }
}

/// A card network, as processors report it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CardBrand {
    Visa,
    Mastercard,
    Amex,
    Discover,
    DinersClub,
    Jcb,
    UnionPay,
    /// A network the portal has no name for.
    Other,
}

impl CardBrand {
    pub const ALL: [Self; 8] = [
        Self::Visa,
        Self::Mastercard,
        Self::Amex,
        Self::Discover,
        Self::DinersClub,
        Self::Jcb,
        Self::UnionPay,
        Self::Other,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Visa => "visa",
            Self::Mastercard => "mastercard",
            Self::Amex => "amex",
            Self::Discover => "discover",
            Self::DinersClub => "diners",
            Self::Jcb => "jcb",
            Self::UnionPay => "unionpay",
            Self::Other => "other",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|b| b.as_str() == text)
    }

    /// Reads a processor's spelling ("visa", "Visa", "MasterCard",
    /// "AmericanExpress", "Diners Club", …); anything unknown is
    /// [`CardBrand::Other`].
    pub fn from_processor(text: &str) -> Self {
        let folded: String = text
            .chars()
            .filter(char::is_ascii_alphanumeric)
            .map(|c| c.to_ascii_lowercase())
            .collect();
        match folded.as_str() {
            "visa" => Self::Visa,
            "mastercard" | "mc" => Self::Mastercard,
            "amex" | "americanexpress" => Self::Amex,
            "discover" => Self::Discover,
            "diners" | "dinersclub" => Self::DinersClub,
            "jcb" => Self::Jcb,
            "unionpay" | "cup" | "chinaunionpay" => Self::UnionPay,
            _ => Self::Other,
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::Visa => "Visa",
            Self::Mastercard => "Mastercard",
            Self::Amex => "American Express",
            Self::Discover => "Discover",
            Self::DinersClub => "Diners Club",
            Self::Jcb => "JCB",
            Self::UnionPay => "UnionPay",
            Self::Other => "Card",
        }
    }
}

/// The last four digits of a card or account number: all the portal ever
/// keeps of it.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Last4([u8; 4]);

impl Last4 {
    /// Exactly four ASCII digits.
    ///
    /// # Errors
    /// Anything else.
    pub fn parse(text: &str) -> Result<Self, ValidationError> {
        let bytes = text.as_bytes();
        match bytes {
            [a, b, c, d] if bytes.iter().all(u8::is_ascii_digit) => Ok(Self([*a, *b, *c, *d])),
            _ => Err(ValidationError::new("last4", "must be exactly four digits")),
        }
    }

    /// The last four digits of a masked number as processors report it
    /// ("XXXX1111", "************4242", "1111").
    pub fn from_masked(text: &str) -> Option<Self> {
        let digits: Vec<u8> = text.bytes().rev().take_while(u8::is_ascii_digit).collect();
        match digits.as_slice() {
            [d, c, b, a, ..] => Some(Self([*a, *b, *c, *d])),
            _ => None,
        }
    }

    pub fn as_str(&self) -> &str {
        // Four ASCII digits by construction.
        std::str::from_utf8(&self.0).unwrap_or("0000")
    }
}

impl fmt::Display for Last4 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Debug for Last4 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Last4({})", self.as_str())
    }
}

/// A card's expiry month.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Expiry {
    year: u16,
    month: u8,
}

impl Expiry {
    /// # Errors
    /// A month outside 1–12 or a year outside 2000–2099.
    pub fn new(month: u32, year: i32) -> Result<Self, ValidationError> {
        if !(1..=12).contains(&month) {
            return Err(ValidationError::new("exp_month", "must be 1 to 12"));
        }
        if !(2000..=2099).contains(&year) {
            return Err(ValidationError::new("exp_year", "must be 2000 to 2099"));
        }
        Ok(Self {
            year: year as u16,
            month: month as u8,
        })
    }

    pub fn month(self) -> u32 {
        u32::from(self.month)
    }

    pub fn year(self) -> i32 {
        i32::from(self.year)
    }

    /// Whether the card no longer works in `(year, month)`.
    pub fn is_past(self, year: i32, month: u32) -> bool {
        (self.year(), self.month()) < (year, month)
    }
}

/// "12/2030".
impl fmt::Display for Expiry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:02}/{}", self.month, self.year)
    }
}

/// What a client may see of a saved or used payment method.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum MethodDetails {
    Card {
        brand: CardBrand,
        last4: Last4,
        expiry: Option<Expiry>,
    },
    /// A bank account debited through ACH / eCheck.
    BankAccount {
        /// The bank's name, as the processor reports it (at most 100
        /// characters, control characters removed).
        bank_name: Option<String>,
        last4: Last4,
    },
}

impl MethodDetails {
    /// A bank name as a processor reports it, made safe to keep and show.
    pub fn clean_bank_name(name: &str) -> Option<String> {
        let cleaned: String = name.chars().filter(|c| !c.is_control()).take(100).collect();
        let trimmed = cleaned.trim();
        (!trimmed.is_empty()).then(|| trimmed.to_owned())
    }

    pub fn last4(&self) -> Last4 {
        match self {
            Self::Card { last4, .. } | Self::BankAccount { last4, .. } => *last4,
        }
    }

    /// `card` or `bank_account`.
    pub fn type_str(&self) -> &'static str {
        match self {
            Self::Card { .. } => "card",
            Self::BankAccount { .. } => "bank_account",
        }
    }

    /// How a payment made with it is recorded.
    pub fn payment_method(&self) -> super::payment::PaymentMethod {
        use super::payment::PaymentMethod;
        match self {
            Self::Card { brand, last4, .. } => PaymentMethod::Card {
                brand: *brand,
                last4: Some(*last4),
            },
            Self::BankAccount { last4, .. } => PaymentMethod::BankDebit {
                last4: Some(*last4),
            },
        }
    }
}

/// "Visa •••• 4242", "Bank account •••• 6789".
impl fmt::Display for MethodDetails {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Card { brand, last4, .. } => write!(f, "{} •••• {last4}", brand.label()),
            Self::BankAccount {
                bank_name: Some(bank),
                last4,
            } => write!(f, "{bank} •••• {last4}"),
            Self::BankAccount {
                bank_name: None,
                last4,
            } => write!(f, "Bank account •••• {last4}"),
        }
    }
}

/// An identifier the processor gave something (a customer, a saved
/// method, a charge, an event): printable ASCII, 1 to 255 characters.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ProcessorRef(String);

impl ProcessorRef {
    /// # Errors
    /// Empty, longer than 255 characters, or not printable ASCII.
    pub fn parse(text: &str) -> Result<Self, ValidationError> {
        if text.is_empty() || text.len() > 255 {
            return Err(ValidationError::new(
                "reference",
                "must be 1 to 255 characters",
            ));
        }
        if !text.bytes().all(|b| b.is_ascii_graphic()) {
            return Err(ValidationError::new(
                "reference",
                "must be printable ASCII without spaces",
            ));
        }
        Ok(Self(text.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for ProcessorRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for ProcessorRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ProcessorRef({})", self.0)
    }
}

/// A secret credential: shown nowhere, `Debug` included.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(text: impl Into<String>) -> Self {
        Self(text.into())
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(…)")
    }
}

/// Which Authorize.Net gateway an account uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AnetEnvironment {
    Sandbox,
    Production,
}

impl AnetEnvironment {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Sandbox => "sandbox",
            Self::Production => "production",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        [Self::Sandbox, Self::Production]
            .into_iter()
            .find(|e| e.as_str() == text)
    }
}

/// What an account connects a processor with. Secrets are sealed under
/// the server key before they are stored, so a database dump alone
/// reveals none.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ProcessorCredentials {
    Test {
        /// Signs the test processor's webhooks.
        webhook_secret: Secret,
    },
    Stripe {
        secret_key: Secret,
        publishable_key: String,
        webhook_secret: Secret,
    },
    AuthorizeNet {
        api_login_id: String,
        transaction_key: Secret,
        /// Accept.js public client key.
        client_key: String,
        /// Signs webhooks (128 hexadecimal characters).
        signature_key: Secret,
        environment: AnetEnvironment,
    },
}

fn check_token(field: &str, value: &str, min: usize, max: usize) -> Result<(), ValidationError> {
    if value.len() < min || value.len() > max {
        return Err(ValidationError::new(
            field,
            format!("must be {min} to {max} characters"),
        ));
    }
    if !value
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
    {
        return Err(ValidationError::new(
            field,
            "must hold only letters, digits, `_` and `-`",
        ));
    }
    Ok(())
}

fn check_prefix(field: &str, value: &str, prefixes: &[&str]) -> Result<(), ValidationError> {
    if prefixes.iter().any(|p| value.starts_with(p)) {
        Ok(())
    } else {
        Err(ValidationError::new(
            field,
            format!("must start with {}", prefixes.join(" or ")),
        ))
    }
}

impl ProcessorCredentials {
    /// Checks each value's shape (the processor itself is asked by a
    /// connection check).
    ///
    /// # Errors
    /// The first field that does not hold.
    pub fn validate(&self) -> Result<(), ValidationError> {
        match self {
            Self::Test { webhook_secret } => {
                check_token("webhook_secret", webhook_secret.expose(), 16, 255)
            }
            Self::Stripe {
                secret_key,
                publishable_key,
                webhook_secret,
            } => {
                check_token("secret_key", secret_key.expose(), 8, 255)?;
                check_prefix("secret_key", secret_key.expose(), &["sk_", "rk_"])?;
                check_token("publishable_key", publishable_key, 8, 255)?;
                check_prefix("publishable_key", publishable_key, &["pk_"])?;
                check_token("webhook_secret", webhook_secret.expose(), 8, 255)?;
                check_prefix("webhook_secret", webhook_secret.expose(), &["whsec_"])
            }
            Self::AuthorizeNet {
                api_login_id,
                transaction_key,
                client_key,
                signature_key,
                ..
            } => {
                check_token("api_login_id", api_login_id, 1, 25)?;
                check_token("transaction_key", transaction_key.expose(), 16, 16)?;
                check_token("client_key", client_key, 1, 255)?;
                let key = signature_key.expose();
                if key.len() != 128 || !key.bytes().all(|b| b.is_ascii_hexdigit()) {
                    return Err(ValidationError::new(
                        "signature_key",
                        "must be 128 hexadecimal characters",
                    ));
                }
                Ok(())
            }
        }
    }

    pub fn kind(&self) -> ProcessorKind {
        match self {
            Self::Test { .. } => ProcessorKind::Test,
            Self::Stripe { .. } => ProcessorKind::Stripe,
            Self::AuthorizeNet { .. } => ProcessorKind::AuthorizeNet,
        }
    }

    /// Whether charges through it move no real money: the test processor,
    /// Stripe test keys, the Authorize.Net sandbox.
    pub fn test_mode(&self) -> bool {
        match self {
            Self::Test { .. } => true,
            Self::Stripe { secret_key, .. } => {
                let key = secret_key.expose();
                key.starts_with("sk_test_") || key.starts_with("rk_test_")
            }
            Self::AuthorizeNet { environment, .. } => *environment == AnetEnvironment::Sandbox,
        }
    }

    /// The secrets, in a form to seal: `name=value` lines (no value holds
    /// a line break: [`ProcessorCredentials::validate`] allows none).
    pub fn secrets_text(&self) -> String {
        match self {
            Self::Test { webhook_secret } => {
                format!("webhook_secret={}\n", webhook_secret.expose())
            }
            Self::Stripe {
                secret_key,
                webhook_secret,
                ..
            } => format!(
                "secret_key={}\nwebhook_secret={}\n",
                secret_key.expose(),
                webhook_secret.expose()
            ),
            Self::AuthorizeNet {
                transaction_key,
                signature_key,
                ..
            } => format!(
                "transaction_key={}\nsignature_key={}\n",
                transaction_key.expose(),
                signature_key.expose()
            ),
        }
    }

    /// The public part (nothing secret), as `name=value` lines.
    pub fn public_text(&self) -> String {
        match self {
            Self::Test { .. } => String::new(),
            Self::Stripe {
                publishable_key, ..
            } => format!("publishable_key={publishable_key}\n"),
            Self::AuthorizeNet {
                api_login_id,
                client_key,
                environment,
                ..
            } => format!(
                "api_login_id={api_login_id}\nclient_key={client_key}\nenvironment={}\n",
                environment.as_str()
            ),
        }
    }

    /// Rebuilds credentials from [`ProcessorCredentials::public_text`] and
    /// (unsealed) [`ProcessorCredentials::secrets_text`].
    ///
    /// # Errors
    /// A missing or malformed value.
    pub fn from_texts(
        kind: ProcessorKind,
        public: &str,
        secrets: &str,
    ) -> Result<Self, ValidationError> {
        let value = |text: &str, name: &str| -> Result<String, ValidationError> {
            text.lines()
                .find_map(|line| line.strip_prefix(name)?.strip_prefix('='))
                .map(str::to_owned)
                .ok_or_else(|| ValidationError::new(name, "is missing"))
        };
        let credentials = match kind {
            ProcessorKind::Test => Self::Test {
                webhook_secret: Secret::new(value(secrets, "webhook_secret")?),
            },
            ProcessorKind::Stripe => Self::Stripe {
                secret_key: Secret::new(value(secrets, "secret_key")?),
                publishable_key: value(public, "publishable_key")?,
                webhook_secret: Secret::new(value(secrets, "webhook_secret")?),
            },
            ProcessorKind::AuthorizeNet => Self::AuthorizeNet {
                api_login_id: value(public, "api_login_id")?,
                transaction_key: Secret::new(value(secrets, "transaction_key")?),
                client_key: value(public, "client_key")?,
                signature_key: Secret::new(value(secrets, "signature_key")?),
                environment: AnetEnvironment::parse(&value(public, "environment")?)
                    .ok_or_else(|| ValidationError::new("environment", "is unknown"))?,
            },
        };
        credentials.validate()?;
        Ok(credentials)
    }
}

/// How the last contact with a connected processor went.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ConnectionHealth {
    pub last_ok_at: Option<DateTime<Utc>>,
    /// The last failure, fit to show an operator (never a secret).
    pub last_error: Option<String>,
    pub last_error_at: Option<DateTime<Utc>>,
}

impl ConnectionHealth {
    /// Failing when the last contact failed (a failure and a success
    /// recorded at the same instant count as failing).
    pub fn is_failing(&self) -> bool {
        match (self.last_error_at, self.last_ok_at) {
            (Some(error), Some(ok)) => error >= ok,
            (Some(_), None) => true,
            _ => false,
        }
    }
}

/// A processor an account connected.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProcessorConnection {
    /// Minted anew on every connect: customers and methods saved under one
    /// connection never mix with another's.
    pub id: ConnectionId,
    pub account_id: AccountId,
    pub credentials: ProcessorCredentials,
    pub created_at: DateTime<Utc>,
    pub health: ConnectionHealth,
}

impl ProcessorConnection {
    pub fn kind(&self) -> ProcessorKind {
        self.credentials.kind()
    }

    /// The context a connection's secrets are sealed under: they open
    /// only for this account and connection.
    pub fn seal_context(account: AccountId, id: ConnectionId) -> Vec<u8> {
        format!("processor-credentials:{account}:{id}").into_bytes()
    }
}

/// A client as a customer at a processor.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProcessorCustomer {
    pub account_id: AccountId,
    pub client_id: ClientId,
    pub connection_id: ConnectionId,
    pub reference: ProcessorRef,
    pub created_at: DateTime<Utc>,
}

/// A payment method saved at the processor, as the portal knows it: the
/// processor's reference and display data, recorded only once the
/// processor confirmed it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredMethod {
    pub id: PaymentMethodId,
    pub account_id: AccountId,
    pub client_id: ClientId,
    pub connection_id: ConnectionId,
    pub reference: ProcessorRef,
    pub details: MethodDetails,
    pub is_default: bool,
    /// The contact who added it, when added in the portal.
    pub added_by: Option<ContactId>,
    pub created_at: DateTime<Utc>,
}

/// How long a checkout (the pay form's one-time token) stays usable.
pub const CHECKOUT_LIFETIME: chrono::Duration = chrono::Duration::hours(2);

/// Where a checkout stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CheckoutState {
    /// Shown, not submitted.
    Open,
    /// Submitted once, at this time: it became `payment_id`. A second
    /// submission is refused and shown that payment.
    Submitted(DateTime<Utc>),
}

/// A pay form's one-time token: which invoices, how much, for which
/// session. Submitting it is decided atomically, so double clicks, a
/// resubmitted form, the back button or two tabs charge once.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checkout {
    pub id: CheckoutId,
    pub account_id: AccountId,
    pub client_id: ClientId,
    pub contact_id: ContactId,
    pub session_id: SessionId,
    pub connection_id: ConnectionId,
    /// The payment it becomes; also the processor idempotency key.
    pub payment_id: PaymentId,
    pub amount: Money,
    pub allocations: Vec<Allocation>,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    pub state: CheckoutState,
}

impl Checkout {
    pub fn is_expired(&self, now: DateTime<Utc>) -> bool {
        now >= self.expires_at
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn brands_read_every_processor_spelling() {
        for (text, brand) in [
            ("visa", CardBrand::Visa),
            ("Visa", CardBrand::Visa),
            ("MasterCard", CardBrand::Mastercard),
            ("AmericanExpress", CardBrand::Amex),
            ("amex", CardBrand::Amex),
            ("Diners Club", CardBrand::DinersClub),
            ("JCB", CardBrand::Jcb),
            ("unknown", CardBrand::Other),
        ] {
            assert_eq!(CardBrand::from_processor(text), brand, "{text}");
        }
    }

    #[test]
    fn last_four_comes_from_masked_numbers_only_when_four_digits_end_them() {
        assert_eq!(
            Last4::from_masked("XXXX1111").map(|l| l.to_string()),
            Some("1111".into())
        );
        assert_eq!(
            Last4::from_masked("4242").map(|l| l.to_string()),
            Some("4242".into())
        );
        assert_eq!(Last4::from_masked("XX11"), None);
        assert!(Last4::parse("12a4").is_err());
        assert!(Last4::parse("12345").is_err());
    }

    #[test]
    fn method_details_read_as_a_client_expects() {
        let card = MethodDetails::Card {
            brand: CardBrand::Visa,
            last4: Last4::parse("4242").unwrap(),
            expiry: Some(Expiry::new(12, 2030).unwrap()),
        };
        assert_eq!(card.to_string(), "Visa •••• 4242");
        let bank = MethodDetails::BankAccount {
            bank_name: MethodDetails::clean_bank_name(" STRIPE TEST BANK\u{7} "),
            last4: Last4::parse("6789").unwrap(),
        };
        assert_eq!(bank.to_string(), "STRIPE TEST BANK •••• 6789");
    }

    #[test]
    fn credentials_round_trip_through_their_texts_and_hide_secrets() {
        let credentials = ProcessorCredentials::AuthorizeNet {
            api_login_id: "5KP3u95bQpv".into(),
            transaction_key: Secret::new("346HZ32z3fP4hTG2"),
            client_key: "7aB3xY".into(),
            signature_key: Secret::new("0123456789ABCDEF".repeat(8)),
            environment: AnetEnvironment::Sandbox,
        };
        credentials.validate().unwrap();
        assert!(credentials.test_mode());
        let back = ProcessorCredentials::from_texts(
            ProcessorKind::AuthorizeNet,
            &credentials.public_text(),
            &credentials.secrets_text(),
        )
        .unwrap();
        assert_eq!(back, credentials);
        assert!(!credentials.public_text().contains("346HZ32z3fP4hTG2"));
        assert!(!format!("{credentials:?}").contains("346HZ32z3fP4hTG2"));
    }

    #[test]
    fn stripe_keys_are_checked_by_prefix() {
        let credentials = ProcessorCredentials::Stripe {
            secret_key: Secret::new("pk_test_123456"),
            publishable_key: "pk_test_123456".into(),
            webhook_secret: Secret::new("whsec_123456"),
        };
        assert_eq!(credentials.validate().unwrap_err().field, "secret_key");
    }
}
