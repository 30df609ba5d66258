//! Wire types of the account's processor connection (its credentials go
//! in, never out) and of the payment methods clients saved at it.

use std::borrow::Cow;

use portal_domain::service::ProcessorStatus;
use portal_domain::{
    AnetEnvironment, MethodDetails, ProcessorCredentials, Secret, StoredMethod, ValidationError,
};
use serde::{Deserialize, Serialize};
use utoipa::openapi::schema::{
    AdditionalProperties, KnownFormat, ObjectBuilder, SchemaFormat, SchemaType, Type,
};
use utoipa::openapi::{RefOr, Schema};
use utoipa::{PartialSchema, ToSchema};

use super::payments::{CardBrandOut, ProcessorKindOut, last4_schema};
use super::time;

/// Letters, digits, `_` and `-`: what every processor key is made of.
const TOKEN: &str = "[A-Za-z0-9_-]";

/// A key of `min..=max` token characters starting with one of `prefixes`
/// (all of the same length), as `ProcessorCredentials::validate` checks it.
fn key(description: &str, prefixes: &[&str], min: usize, max: usize) -> ObjectBuilder {
    let prefix_len = prefixes.first().map_or(0, |p| p.len());
    let prefix = match prefixes {
        [] => String::new(),
        [one] => (*one).to_owned(),
        many => format!("(?:{})", many.join("|")),
    };
    ObjectBuilder::new()
        .schema_type(Type::String)
        .description(Some(description))
        .min_length(Some(min))
        .max_length(Some(max))
        .pattern(Some(format!(
            "^{prefix}{TOKEN}{{{},{}}}$",
            min - prefix_len,
            max - prefix_len
        )))
}

fn stripe_secret_key() -> ObjectBuilder {
    key(
        "The secret (`sk_…`) or restricted (`rk_…`) API key; a test key (`sk_test_…`, `rk_test_…`) puts the account in test mode.",
        &["sk_", "rk_"],
        8,
        255,
    )
}

fn stripe_publishable_key() -> ObjectBuilder {
    key(
        "The publishable key (`pk_…`) Stripe.js runs with in the portal's pages.",
        &["pk_"],
        8,
        255,
    )
}

fn stripe_webhook_secret() -> ObjectBuilder {
    key(
        "The signing secret (`whsec_…`) of the webhook endpoint at `webhook_url`.",
        &["whsec_"],
        8,
        255,
    )
}

fn test_webhook_secret() -> ObjectBuilder {
    key("Signs the test processor's webhooks.", &[], 16, 255)
}

fn anet_login_id() -> ObjectBuilder {
    key("The API login ID.", &[], 1, 25)
}

fn anet_transaction_key() -> ObjectBuilder {
    key("The transaction key.", &[], 16, 16)
}

fn anet_client_key() -> ObjectBuilder {
    key("The public client key Accept.js runs with.", &[], 1, 255)
}

fn anet_signature_key() -> ObjectBuilder {
    ObjectBuilder::new()
        .schema_type(Type::String)
        .description(Some(
            "The signature key that signs webhooks (`X-ANET-Signature`): 128 hexadecimal characters.",
        ))
        .min_length(Some(128))
        .max_length(Some(128))
        .pattern(Some("^[0-9A-Fa-f]{128}$"))
}

/// Which Authorize.Net gateway the account uses. Taken as text and read
/// by the handler, so a value of neither names its field.
fn anet_environment() -> ObjectBuilder {
    ObjectBuilder::new()
        .schema_type(Type::String)
        .description(Some(
            "`sandbox` (test mode: no money moves) or `production`.",
        ))
        .enum_values(Some(
            [AnetEnvironment::Sandbox, AnetEnvironment::Production].map(AnetEnvironment::as_str),
        ))
}

/// The processor to connect and its credentials, by `kind`. Secrets are
/// sealed under the server key before they are stored and never shown
/// again. No `Debug`: it holds them.
#[derive(Deserialize, ToSchema)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub(crate) enum Credentials {
    /// Stripe, with the account's API keys.
    Stripe {
        #[schema(schema_with = stripe_secret_key)]
        secret_key: String,
        #[schema(schema_with = stripe_publishable_key)]
        publishable_key: String,
        #[schema(schema_with = stripe_webhook_secret)]
        webhook_secret: String,
    },
    /// Authorize.Net, with the merchant's API credentials.
    AuthorizeNet {
        #[schema(schema_with = anet_login_id)]
        api_login_id: String,
        #[schema(schema_with = anet_transaction_key)]
        transaction_key: String,
        #[schema(schema_with = anet_client_key)]
        client_key: String,
        #[schema(schema_with = anet_signature_key)]
        signature_key: String,
        #[schema(schema_with = anet_environment)]
        environment: String,
    },
    /// The in-process test processor: test mode, it takes only the
    /// well-known test cards and never moves money.
    Test {
        #[schema(schema_with = test_webhook_secret)]
        webhook_secret: String,
    },
}

/// The body of a connection: [`Credentials`], whose schema the derive
/// writes without `additionalProperties: false` on each kind's object
/// (it states that only for structs), added here since the body refuses
/// unknown fields.
#[derive(Deserialize)]
#[serde(transparent)]
pub(crate) struct ConnectProcessor(Credentials);

impl PartialSchema for ConnectProcessor {
    fn schema() -> RefOr<Schema> {
        let mut schema = Credentials::schema();
        if let RefOr::T(Schema::OneOf(one_of)) = &mut schema {
            for item in &mut one_of.items {
                if let RefOr::T(Schema::Object(object)) = item {
                    object.additional_properties =
                        Some(Box::new(AdditionalProperties::FreeForm(false)));
                }
            }
        }
        schema
    }
}

impl ToSchema for ConnectProcessor {
    fn name() -> Cow<'static, str> {
        Cow::Borrowed("ConnectProcessor")
    }

    fn schemas(schemas: &mut Vec<(String, RefOr<Schema>)>) {
        Credentials::schemas(schemas);
    }
}

impl ConnectProcessor {
    /// The credentials, whose values the domain checks when connecting.
    ///
    /// # Errors
    /// An Authorize.Net environment of neither kind.
    pub(crate) fn domain(self) -> Result<ProcessorCredentials, ValidationError> {
        Ok(match self.0 {
            Credentials::Stripe {
                secret_key,
                publishable_key,
                webhook_secret,
            } => ProcessorCredentials::Stripe {
                secret_key: Secret::new(secret_key),
                publishable_key,
                webhook_secret: Secret::new(webhook_secret),
            },
            Credentials::AuthorizeNet {
                api_login_id,
                transaction_key,
                client_key,
                signature_key,
                environment,
            } => ProcessorCredentials::AuthorizeNet {
                api_login_id,
                transaction_key: Secret::new(transaction_key),
                client_key,
                signature_key: Secret::new(signature_key),
                environment: AnetEnvironment::parse(&environment).ok_or_else(|| {
                    ValidationError::new("environment", "must be sandbox or production")
                })?,
            },
            Credentials::Test { webhook_secret } => ProcessorCredentials::Test {
                webhook_secret: Secret::new(webhook_secret),
            },
        })
    }
}

/// Where the connection stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
#[schema(as = ProcessorConnectionStatus)]
pub(crate) enum ConnectionStatusOut {
    /// Connected, and the last contact with the processor worked (or
    /// there was none yet).
    Connected,
    /// Connected, and the last contact with the processor failed: see
    /// `last_error`.
    Failing,
    /// No processor is connected.
    NotConfigured,
}

/// The account's processor connection: never a secret.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = ProcessorConnection)]
pub(crate) struct ProcessorOut {
    /// The connected processor; `null` when none is.
    kind: Option<ProcessorKindOut>,
    status: ConnectionStatusOut,
    /// Whether charges move no real money: the test processor, Stripe
    /// test keys, the Authorize.Net sandbox.
    test_mode: bool,
    /// When the processor was connected; `null` when none is.
    #[schema(format = DateTime)]
    connected_at: Option<String>,
    /// When the last contact with the processor worked.
    #[schema(format = DateTime)]
    last_ok_at: Option<String>,
    /// What the last failed contact met, fit to show an operator.
    last_error: Option<String>,
    #[schema(format = DateTime)]
    last_error_at: Option<String>,
    /// Where the processor is to send its webhooks (set it up at the
    /// processor); `null` when none is connected.
    webhook_url: Option<String>,
}

impl ProcessorOut {
    /// `status` as an operator sees it; `webhook_url` is the address of
    /// the connected kind's webhooks for this account.
    pub(crate) fn new(status: &ProcessorStatus, webhook_url: Option<String>) -> Self {
        match status {
            ProcessorStatus::NotConfigured => Self {
                kind: None,
                status: ConnectionStatusOut::NotConfigured,
                test_mode: false,
                connected_at: None,
                last_ok_at: None,
                last_error: None,
                last_error_at: None,
                webhook_url: None,
            },
            ProcessorStatus::Connected {
                kind,
                test_mode,
                health,
                connected_at,
                ..
            } => Self {
                kind: Some((*kind).into()),
                status: if health.is_failing() {
                    ConnectionStatusOut::Failing
                } else {
                    ConnectionStatusOut::Connected
                },
                test_mode: *test_mode,
                connected_at: Some(time(*connected_at)),
                last_ok_at: health.last_ok_at.map(time),
                last_error: health.last_error.clone(),
                last_error_at: health.last_error_at.map(time),
                webhook_url,
            },
        }
    }
}

/// What a saved method is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
#[schema(as = SavedMethodType)]
pub(crate) enum SavedMethodType {
    Card,
    /// A bank account debited through ACH or eCheck.
    BankAccount,
}

fn exp_month() -> ObjectBuilder {
    ObjectBuilder::new()
        .schema_type(SchemaType::from_iter([Type::Integer, Type::Null]))
        .format(Some(SchemaFormat::KnownFormat(KnownFormat::Int32)))
        .description(Some("A card's expiry month; `null` for bank accounts."))
        .minimum(Some(1))
        .maximum(Some(12))
}

fn exp_year() -> ObjectBuilder {
    ObjectBuilder::new()
        .schema_type(SchemaType::from_iter([Type::Integer, Type::Null]))
        .format(Some(SchemaFormat::KnownFormat(KnownFormat::Int32)))
        .description(Some("A card's expiry year; `null` for bank accounts."))
        .minimum(Some(2000))
        .maximum(Some(2099))
}

/// A payment method a client saved at the processor: display data only.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = SavedMethod)]
pub(crate) struct SavedMethodOut {
    #[schema(format = "uuid")]
    id: String,
    #[serde(rename = "type")]
    method_type: SavedMethodType,
    /// A card's network; `null` for bank accounts.
    brand: Option<CardBrandOut>,
    #[schema(schema_with = last4_schema)]
    last4: String,
    #[schema(schema_with = exp_month)]
    exp_month: Option<u32>,
    #[schema(schema_with = exp_year)]
    exp_year: Option<i32>,
    /// A bank account's bank, as the processor names it; `null` for
    /// cards, and when the processor does not say.
    bank_name: Option<String>,
    /// Whether Pay Now preselects it.
    is_default: bool,
    #[schema(format = DateTime)]
    created_at: String,
}

impl From<&StoredMethod> for SavedMethodOut {
    fn from(m: &StoredMethod) -> Self {
        let (method_type, brand, expiry, bank_name) = match &m.details {
            MethodDetails::Card { brand, expiry, .. } => {
                (SavedMethodType::Card, Some((*brand).into()), *expiry, None)
            }
            MethodDetails::BankAccount { bank_name, .. } => {
                (SavedMethodType::BankAccount, None, None, bank_name.clone())
            }
        };
        Self {
            id: m.id.to_string(),
            method_type,
            brand,
            last4: m.details.last4().to_string(),
            exp_month: expiry.map(|e| e.month()),
            exp_year: expiry.map(|e| e.year()),
            bank_name,
            is_default: m.is_default,
            created_at: time(m.created_at),
        }
    }
}

/// A client's saved payment methods, the default first.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct SavedMethodList {
    pub(crate) data: Vec<SavedMethodOut>,
}
