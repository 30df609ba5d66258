//! Wire types of the account, its settings and its API keys.

use chrono::Duration;
use portal_domain::{
    Account, ApiKeyRecord, IDLE_TIMEOUT_BOUNDS, LINK_LIFETIME_BOUNDS, SESSION_LIFETIME_BOUNDS,
};
use serde::{Deserialize, Deserializer, Serialize};
use utoipa::ToSchema;
use utoipa::openapi::schema::{KnownFormat, ObjectBuilder, SchemaFormat, SchemaType, Type};

use super::time;
use crate::api::schema::{
    AccentColourText, AddressText, NameText, PaymentInstructionsText, PublicUrlText, TimeZoneName,
    optional_whole_number,
};

/// Tells a field sent as `null` (clear it) from a field left out (keep it).
pub(crate) fn present<'de, D, T>(d: D) -> Result<Option<Option<T>>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    Option::<T>::deserialize(d).map(Some)
}

/// A setting in whole seconds; `null`, like leaving it out, keeps it.
fn seconds((min, max): (Duration, Duration), what: &str) -> ObjectBuilder {
    ObjectBuilder::new()
        .schema_type(SchemaType::from_iter([Type::Integer, Type::Null]))
        .format(Some(SchemaFormat::KnownFormat(KnownFormat::Int64)))
        .description(Some(what))
        .minimum(Some(min.num_seconds()))
        .maximum(Some(max.num_seconds()))
}

fn session_lifetime() -> ObjectBuilder {
    seconds(
        SESSION_LIFETIME_BOUNDS,
        "How long a session lasts from the moment its link is redeemed, in seconds.",
    )
}

fn idle_timeout() -> ObjectBuilder {
    seconds(
        IDLE_TIMEOUT_BOUNDS,
        "A session unused this long ends, in seconds; at most the session lifetime.",
    )
}

fn link_lifetime() -> ObjectBuilder {
    seconds(
        LINK_LIFETIME_BOUNDS,
        "How long an unused link stays redeemable, in seconds.",
    )
}

/// A change to the account; fields left out keep their value.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct PatchAccount {
    pub(crate) name: Option<NameText>,
    #[serde(default, deserialize_with = "optional_whole_number")]
    #[schema(schema_with = session_lifetime)]
    pub(crate) session_lifetime_seconds: Option<i64>,
    #[serde(default, deserialize_with = "optional_whole_number")]
    #[schema(schema_with = idle_timeout)]
    pub(crate) idle_timeout_seconds: Option<i64>,
    #[serde(default, deserialize_with = "optional_whole_number")]
    #[schema(schema_with = link_lifetime)]
    pub(crate) link_lifetime_seconds: Option<i64>,
    /// The account's own portal URL; `null` goes back to the server's.
    #[serde(default, deserialize_with = "present")]
    pub(crate) public_url: Option<Option<PublicUrlText>>,
    pub(crate) time_zone: Option<TimeZoneName>,
    /// Whether clients may pay part of an invoice in the portal; `null`,
    /// like leaving it out, keeps it.
    pub(crate) allow_partial_payments: Option<bool>,
    /// The postal address under the business's name on every document;
    /// `null` removes it.
    #[serde(default, deserialize_with = "present")]
    pub(crate) address: Option<Option<AddressText>>,
    /// The colour of the documents' headings and rules; `null`, like
    /// leaving it out, keeps it.
    pub(crate) accent_colour: Option<AccentColourText>,
    /// How clients pay without the portal, printed on invoices; `null`
    /// removes them.
    #[serde(default, deserialize_with = "present")]
    pub(crate) payment_instructions: Option<Option<PaymentInstructionsText>>,
}

/// The operator's account and its portal settings.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct AccountOut {
    #[schema(format = "uuid")]
    id: String,
    name: String,
    session_lifetime_seconds: i64,
    idle_timeout_seconds: i64,
    link_lifetime_seconds: i64,
    /// The account's own portal URL, if set.
    public_url: Option<String>,
    /// Where its clients reach the portal.
    portal_url: String,
    /// The IANA zone the account's dates are in.
    time_zone: String,
    /// Whether clients may pay part of an invoice in the portal (off by
    /// default: Pay Now takes what is due).
    allow_partial_payments: bool,
    /// The postal address under the business's name on every document.
    address: Option<String>,
    /// The colour of the documents' headings and rules, `#rrggbb`.
    #[schema(pattern = "^#[0-9a-f]{6}$")]
    accent_colour: String,
    /// How clients pay without the portal, printed on invoices.
    payment_instructions: Option<String>,
    #[schema(format = DateTime)]
    created_at: String,
    #[schema(format = DateTime)]
    updated_at: String,
}

impl AccountOut {
    pub(crate) fn new(a: &Account, portal_url: &str) -> Self {
        Self {
            id: a.id.to_string(),
            name: a.name.to_string(),
            session_lifetime_seconds: a.settings.session_lifetime.num_seconds(),
            idle_timeout_seconds: a.settings.idle_timeout.num_seconds(),
            link_lifetime_seconds: a.settings.link_lifetime.num_seconds(),
            public_url: a.settings.public_url.as_ref().map(ToString::to_string),
            portal_url: portal_url.to_owned(),
            time_zone: a.settings.time_zone.name().to_owned(),
            allow_partial_payments: a.settings.allow_partial_payments,
            address: a.settings.address.as_ref().map(ToString::to_string),
            accent_colour: a.settings.accent_colour.to_string(),
            payment_instructions: a
                .settings
                .payment_instructions
                .as_ref()
                .map(ToString::to_string),
            created_at: time(a.created_at),
            updated_at: time(a.updated_at),
        }
    }
}

/// A new API key.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct CreateApiKey {
    /// What the key is for ("Accounting sync").
    pub(crate) name: NameText,
}

/// An API key as listed: never the key itself.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct ApiKeyOut {
    #[schema(format = "uuid")]
    id: String,
    name: String,
    /// The key's first characters, to recognise it; unknown for old keys.
    prefix: Option<String>,
    #[schema(format = DateTime)]
    created_at: String,
    /// When it stopped working; `null` while active.
    #[schema(format = DateTime)]
    revoked_at: Option<String>,
}

impl From<&ApiKeyRecord> for ApiKeyOut {
    fn from(k: &ApiKeyRecord) -> Self {
        Self {
            id: k.id.to_string(),
            name: k.name.to_string(),
            prefix: k.prefix.clone(),
            created_at: time(k.created_at),
            revoked_at: k.revoked_at.map(time),
        }
    }
}

/// A new API key and the key itself, shown in this answer only.
/// No `Debug`: it holds the key.
#[derive(Serialize, ToSchema)]
pub(crate) struct CreatedApiKeyOut {
    #[schema(format = "uuid")]
    pub(crate) id: String,
    pub(crate) name: String,
    pub(crate) prefix: Option<String>,
    #[schema(format = DateTime)]
    pub(crate) created_at: String,
    /// Send as `Authorization: Bearer <key>`. Shown once: keep it now.
    pub(crate) key: String,
}
