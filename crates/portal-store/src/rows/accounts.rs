//! Rows of accounts, their logos and API keys, clients and contacts.

use chrono::{DateTime, Duration, Utc};
use diesel::prelude::*;
use portal_domain::ports::StoreError;
use portal_domain::{
    AccentColour, Account, AccountId, AccountSettings, Address, ApiKeyId, ApiKeyRecord, Client,
    ClientId, Contact, ContactId, EmailAddress, Logo, LogoFormat, Name, PaymentInstructions,
    PublicUrl, TimeZone, TokenHash,
};

use super::{known, parsed};
use crate::schema::{account_logos, accounts, api_keys, clients, contacts};
use crate::sql_types::{Id, Time};

#[derive(Debug, Queryable, Selectable, Insertable, AsChangeset)]
#[diesel(table_name = accounts, treat_none_as_null = true)]
#[diesel(check_for_backend(diesel::pg::Pg, diesel::sqlite::Sqlite))]
pub(crate) struct AccountRow {
    pub(crate) id: Id,
    pub(crate) name: String,
    pub(crate) session_lifetime_seconds: i64,
    pub(crate) idle_timeout_seconds: i64,
    pub(crate) link_lifetime_seconds: i64,
    pub(crate) public_url: Option<String>,
    pub(crate) time_zone: String,
    pub(crate) allow_partial_payments: bool,
    demo: bool,
    created_at: Time,
    updated_at: Time,
    pub(crate) address: Option<String>,
    pub(crate) accent_colour: String,
    pub(crate) payment_instructions: Option<String>,
}

impl From<&Account> for AccountRow {
    fn from(a: &Account) -> Self {
        Self {
            id: Id(a.id.as_uuid()),
            name: a.name.to_string(),
            session_lifetime_seconds: a.settings.session_lifetime.num_seconds(),
            idle_timeout_seconds: a.settings.idle_timeout.num_seconds(),
            link_lifetime_seconds: a.settings.link_lifetime.num_seconds(),
            public_url: a.settings.public_url.as_ref().map(ToString::to_string),
            time_zone: a.settings.time_zone.name().to_owned(),
            allow_partial_payments: a.settings.allow_partial_payments,
            demo: a.demo,
            created_at: Time(a.created_at),
            updated_at: Time(a.updated_at),
            address: a.settings.address.as_ref().map(ToString::to_string),
            accent_colour: a.settings.accent_colour.to_string(),
            payment_instructions: a
                .settings
                .payment_instructions
                .as_ref()
                .map(ToString::to_string),
        }
    }
}

impl TryFrom<AccountRow> for Account {
    type Error = StoreError;

    fn try_from(r: AccountRow) -> Result<Self, StoreError> {
        Ok(Self {
            id: AccountId::from_uuid(r.id.0),
            name: parsed("accounts.name", Name::parse("name", &r.name))?,
            settings: AccountSettings {
                session_lifetime: Duration::seconds(r.session_lifetime_seconds),
                idle_timeout: Duration::seconds(r.idle_timeout_seconds),
                link_lifetime: Duration::seconds(r.link_lifetime_seconds),
                public_url: r
                    .public_url
                    .map(|u| parsed("accounts.public_url", PublicUrl::parse("public_url", &u)))
                    .transpose()?,
                time_zone: parsed(
                    "accounts.time_zone",
                    TimeZone::parse("time_zone", &r.time_zone),
                )?,
                allow_partial_payments: r.allow_partial_payments,
                address: r
                    .address
                    .map(|a| parsed("accounts.address", Address::parse("address", &a)))
                    .transpose()?,
                accent_colour: parsed(
                    "accounts.accent_colour",
                    AccentColour::parse("accent_colour", &r.accent_colour),
                )?,
                payment_instructions: r
                    .payment_instructions
                    .map(|p| {
                        parsed(
                            "accounts.payment_instructions",
                            PaymentInstructions::parse("payment_instructions", &p),
                        )
                    })
                    .transpose()?,
            },
            demo: r.demo,
            created_at: r.created_at.0,
            updated_at: r.updated_at.0,
        })
    }
}

/// An account's logo: its format by file extension, and its bytes.
#[derive(Queryable, Selectable, Insertable)]
#[diesel(table_name = account_logos)]
#[diesel(check_for_backend(diesel::pg::Pg, diesel::sqlite::Sqlite))]
pub(crate) struct LogoRow {
    pub(crate) account_id: Id,
    pub(crate) format: String,
    pub(crate) bytes: Vec<u8>,
    pub(crate) updated_at: Time,
}

impl LogoRow {
    pub(crate) fn new(account: AccountId, logo: &Logo, at: DateTime<Utc>) -> Self {
        Self {
            account_id: Id(account.as_uuid()),
            format: logo.format().extension().to_owned(),
            bytes: logo.bytes().to_vec(),
            updated_at: Time(at),
        }
    }
}

impl TryFrom<LogoRow> for Logo {
    type Error = StoreError;

    fn try_from(r: LogoRow) -> Result<Self, StoreError> {
        let format = [LogoFormat::Png, LogoFormat::Svg]
            .into_iter()
            .find(|f| f.extension() == r.format);
        let format = known("account_logos.format", &r.format, format)?;
        Ok(Logo::restore(format, r.bytes))
    }
}

#[derive(Debug, Queryable, Selectable, Insertable)]
#[diesel(table_name = api_keys)]
#[diesel(check_for_backend(diesel::pg::Pg, diesel::sqlite::Sqlite))]
pub(crate) struct ApiKeyRow {
    id: Id,
    account_id: Id,
    name: String,
    prefix: Option<String>,
    key_hash: String,
    created_at: Time,
    revoked_at: Option<Time>,
}

impl From<&ApiKeyRecord> for ApiKeyRow {
    fn from(k: &ApiKeyRecord) -> Self {
        Self {
            id: Id(k.id.as_uuid()),
            account_id: Id(k.account_id.as_uuid()),
            name: k.name.to_string(),
            prefix: k.prefix.clone(),
            key_hash: k.key_hash.to_hex(),
            created_at: Time(k.created_at),
            revoked_at: k.revoked_at.map(Time),
        }
    }
}

impl TryFrom<ApiKeyRow> for ApiKeyRecord {
    type Error = StoreError;

    fn try_from(r: ApiKeyRow) -> Result<Self, StoreError> {
        Ok(Self {
            id: ApiKeyId::from_uuid(r.id.0),
            account_id: AccountId::from_uuid(r.account_id.0),
            name: parsed("api_keys.name", Name::parse("name", &r.name))?,
            prefix: r.prefix,
            key_hash: known(
                "api_keys.key_hash",
                &r.key_hash,
                TokenHash::from_hex(&r.key_hash),
            )?,
            created_at: r.created_at.0,
            revoked_at: r.revoked_at.map(|t| t.0),
        })
    }
}

#[derive(Debug, Queryable, Selectable, Insertable)]
#[diesel(table_name = clients)]
#[diesel(check_for_backend(diesel::pg::Pg, diesel::sqlite::Sqlite))]
pub(crate) struct ClientRow {
    id: Id,
    account_id: Id,
    name: String,
    portal_enabled: bool,
    active: bool,
    created_at: Time,
    updated_at: Time,
}

impl From<&Client> for ClientRow {
    fn from(c: &Client) -> Self {
        Self {
            id: Id(c.id.as_uuid()),
            account_id: Id(c.account_id.as_uuid()),
            name: c.name.to_string(),
            portal_enabled: c.portal_enabled,
            active: c.active,
            created_at: Time(c.created_at),
            updated_at: Time(c.updated_at),
        }
    }
}

impl TryFrom<ClientRow> for Client {
    type Error = StoreError;

    fn try_from(r: ClientRow) -> Result<Self, StoreError> {
        Ok(Self {
            id: ClientId::from_uuid(r.id.0),
            account_id: AccountId::from_uuid(r.account_id.0),
            name: parsed("clients.name", Name::parse("name", &r.name))?,
            portal_enabled: r.portal_enabled,
            active: r.active,
            created_at: r.created_at.0,
            updated_at: r.updated_at.0,
        })
    }
}

#[derive(Debug, Queryable, Selectable, Insertable)]
#[diesel(table_name = contacts)]
#[diesel(check_for_backend(diesel::pg::Pg, diesel::sqlite::Sqlite))]
pub(crate) struct ContactRow {
    id: Id,
    account_id: Id,
    client_id: Id,
    name: String,
    email: String,
    active: bool,
    created_at: Time,
    updated_at: Time,
}

impl From<&Contact> for ContactRow {
    fn from(c: &Contact) -> Self {
        Self {
            id: Id(c.id.as_uuid()),
            account_id: Id(c.account_id.as_uuid()),
            client_id: Id(c.client_id.as_uuid()),
            name: c.name.to_string(),
            email: c.email.to_string(),
            active: c.active,
            created_at: Time(c.created_at),
            updated_at: Time(c.updated_at),
        }
    }
}

impl TryFrom<ContactRow> for Contact {
    type Error = StoreError;

    fn try_from(r: ContactRow) -> Result<Self, StoreError> {
        Ok(Self {
            id: ContactId::from_uuid(r.id.0),
            account_id: AccountId::from_uuid(r.account_id.0),
            client_id: ClientId::from_uuid(r.client_id.0),
            name: parsed("contacts.name", Name::parse("name", &r.name))?,
            email: parsed("contacts.email", EmailAddress::parse("email", &r.email))?,
            active: r.active,
            created_at: r.created_at.0,
            updated_at: r.updated_at.0,
        })
    }
}
