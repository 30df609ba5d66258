//! Rows of processor connections, customers, saved methods, checkouts and
//! the webhook events applied.

use diesel::prelude::*;
use portal_domain::ports::{ConnectionRecord, StoreError};
use portal_domain::{
    AccountId, Allocation, CardBrand, Checkout, CheckoutId, CheckoutState, ClientId,
    ConnectionHealth, ConnectionId, ContactId, Currency, DocumentId, Expiry, Last4, MethodDetails,
    Money, PaymentId, PaymentMethodId, ProcessorCustomer, ProcessorKind, ProcessorRef, SessionId,
    StoredMethod,
};

use super::{corrupt, known, parsed, required};
use crate::schema::{
    checkout_allocations, checkouts, payment_methods, processor_connections, processor_customers,
    processor_events,
};
use crate::sql_types::{Id, Time};

fn reference(column: &str, text: &str) -> Result<ProcessorRef, StoreError> {
    parsed(column, ProcessorRef::parse(text))
}

fn kind(column: &str, text: &str) -> Result<ProcessorKind, StoreError> {
    known(column, text, ProcessorKind::parse(text))
}

#[derive(Debug, Queryable, Selectable, Insertable, AsChangeset)]
#[diesel(table_name = processor_connections, treat_none_as_null = true)]
#[diesel(check_for_backend(diesel::pg::Pg, diesel::sqlite::Sqlite))]
pub(crate) struct ConnectionRow {
    pub(crate) id: Id,
    account_id: Id,
    kind: String,
    public: String,
    sealed_secrets: Vec<u8>,
    created_at: Time,
    last_ok_at: Option<Time>,
    last_error: Option<String>,
    last_error_at: Option<Time>,
}

impl From<&ConnectionRecord> for ConnectionRow {
    fn from(c: &ConnectionRecord) -> Self {
        Self {
            id: Id(c.id.as_uuid()),
            account_id: Id(c.account_id.as_uuid()),
            kind: c.kind.as_str().to_owned(),
            public: c.public.clone(),
            sealed_secrets: c.sealed_secrets.clone(),
            created_at: Time(c.created_at),
            last_ok_at: c.health.last_ok_at.map(Time),
            last_error: c.health.last_error.clone(),
            last_error_at: c.health.last_error_at.map(Time),
        }
    }
}

impl TryFrom<ConnectionRow> for ConnectionRecord {
    type Error = StoreError;

    fn try_from(r: ConnectionRow) -> Result<Self, StoreError> {
        Ok(Self {
            id: ConnectionId::from_uuid(r.id.0),
            account_id: AccountId::from_uuid(r.account_id.0),
            kind: kind("processor_connections.kind", &r.kind)?,
            public: r.public,
            sealed_secrets: r.sealed_secrets,
            created_at: r.created_at.0,
            health: ConnectionHealth {
                last_ok_at: r.last_ok_at.map(|t| t.0),
                last_error: r.last_error,
                last_error_at: r.last_error_at.map(|t| t.0),
            },
        })
    }
}

#[derive(Debug, Queryable, Selectable, Insertable)]
#[diesel(table_name = processor_customers)]
#[diesel(check_for_backend(diesel::pg::Pg, diesel::sqlite::Sqlite))]
pub(crate) struct CustomerRow {
    connection_id: Id,
    client_id: Id,
    account_id: Id,
    reference: String,
    created_at: Time,
}

impl From<&ProcessorCustomer> for CustomerRow {
    fn from(c: &ProcessorCustomer) -> Self {
        Self {
            connection_id: Id(c.connection_id.as_uuid()),
            client_id: Id(c.client_id.as_uuid()),
            account_id: Id(c.account_id.as_uuid()),
            reference: c.reference.as_str().to_owned(),
            created_at: Time(c.created_at),
        }
    }
}

impl TryFrom<CustomerRow> for ProcessorCustomer {
    type Error = StoreError;

    fn try_from(r: CustomerRow) -> Result<Self, StoreError> {
        Ok(Self {
            account_id: AccountId::from_uuid(r.account_id.0),
            client_id: ClientId::from_uuid(r.client_id.0),
            connection_id: ConnectionId::from_uuid(r.connection_id.0),
            reference: reference("processor_customers.reference", &r.reference)?,
            created_at: r.created_at.0,
        })
    }
}

#[derive(Debug, Queryable, Selectable, Insertable)]
#[diesel(table_name = payment_methods)]
#[diesel(check_for_backend(diesel::pg::Pg, diesel::sqlite::Sqlite))]
pub(crate) struct MethodRow {
    pub(crate) id: Id,
    account_id: Id,
    pub(crate) client_id: Id,
    pub(crate) connection_id: Id,
    pub(crate) reference: String,
    method_type: String,
    brand: Option<String>,
    last4: String,
    exp_month: Option<i32>,
    exp_year: Option<i32>,
    bank_name: Option<String>,
    pub(crate) is_default: bool,
    added_by: Option<Id>,
    created_at: Time,
}

impl From<&StoredMethod> for MethodRow {
    fn from(m: &StoredMethod) -> Self {
        let (brand, expiry, bank_name) = match &m.details {
            MethodDetails::Card { brand, expiry, .. } => (Some(*brand), *expiry, None),
            MethodDetails::BankAccount { bank_name, .. } => (None, None, bank_name.clone()),
        };
        Self {
            id: Id(m.id.as_uuid()),
            account_id: Id(m.account_id.as_uuid()),
            client_id: Id(m.client_id.as_uuid()),
            connection_id: Id(m.connection_id.as_uuid()),
            reference: m.reference.as_str().to_owned(),
            method_type: m.details.type_str().to_owned(),
            brand: brand.map(|b| b.as_str().to_owned()),
            last4: m.details.last4().as_str().to_owned(),
            // Both in range by construction: 1–12 and 2000–2099.
            exp_month: expiry.and_then(|e| i32::try_from(e.month()).ok()),
            exp_year: expiry.map(Expiry::year),
            bank_name,
            is_default: m.is_default,
            added_by: m.added_by.map(|c| Id(c.as_uuid())),
            created_at: Time(m.created_at),
        }
    }
}

impl TryFrom<MethodRow> for StoredMethod {
    type Error = StoreError;

    fn try_from(r: MethodRow) -> Result<Self, StoreError> {
        let last4 = parsed("payment_methods.last4", Last4::parse(&r.last4))?;
        let details = match r.method_type.as_str() {
            "card" => {
                let brand = required("payment_methods.brand", r.brand.as_deref())?;
                let expiry = match (r.exp_month, r.exp_year) {
                    (Some(month), Some(year)) => Some(parsed(
                        "payment_methods.exp_month",
                        Expiry::new(u32::try_from(month).unwrap_or(0), year),
                    )?),
                    (None, None) => None,
                    _ => return Err(corrupt("payment_methods: half an expiry")),
                };
                MethodDetails::Card {
                    brand: known("payment_methods.brand", brand, CardBrand::parse(brand))?,
                    last4,
                    expiry,
                }
            }
            "bank_account" => MethodDetails::BankAccount {
                bank_name: r.bank_name,
                last4,
            },
            other => {
                return Err(corrupt(format_args!(
                    "payment_methods.method_type: unknown value {other:?}"
                )));
            }
        };
        Ok(Self {
            id: PaymentMethodId::from_uuid(r.id.0),
            account_id: AccountId::from_uuid(r.account_id.0),
            client_id: ClientId::from_uuid(r.client_id.0),
            connection_id: ConnectionId::from_uuid(r.connection_id.0),
            reference: reference("payment_methods.reference", &r.reference)?,
            details,
            is_default: r.is_default,
            added_by: r.added_by.map(|c| ContactId::from_uuid(c.0)),
            created_at: r.created_at.0,
        })
    }
}

#[derive(Debug, Queryable, Selectable, Insertable)]
#[diesel(table_name = checkouts)]
#[diesel(check_for_backend(diesel::pg::Pg, diesel::sqlite::Sqlite))]
pub(crate) struct CheckoutRow {
    pub(crate) id: Id,
    account_id: Id,
    client_id: Id,
    contact_id: Id,
    session_id: Id,
    connection_id: Id,
    payment_id: Id,
    currency: String,
    amount_minor: i64,
    created_at: Time,
    expires_at: Time,
    submitted_at: Option<Time>,
}

/// Part of a checkout, on one invoice, at its place in the list.
#[derive(Debug, Queryable, Selectable, Insertable)]
#[diesel(table_name = checkout_allocations)]
#[diesel(check_for_backend(diesel::pg::Pg, diesel::sqlite::Sqlite))]
pub(crate) struct CheckoutAllocationRow {
    pub(crate) checkout_id: Id,
    position: i32,
    document_id: Id,
    amount_minor: i64,
}

/// The rows of `checkout`.
pub(crate) fn checkout_rows(checkout: &Checkout) -> (CheckoutRow, Vec<CheckoutAllocationRow>) {
    let id = Id(checkout.id.as_uuid());
    let row = CheckoutRow {
        id,
        account_id: Id(checkout.account_id.as_uuid()),
        client_id: Id(checkout.client_id.as_uuid()),
        contact_id: Id(checkout.contact_id.as_uuid()),
        session_id: Id(checkout.session_id.as_uuid()),
        connection_id: Id(checkout.connection_id.as_uuid()),
        payment_id: Id(checkout.payment_id.as_uuid()),
        currency: checkout.amount.currency().code().to_owned(),
        amount_minor: checkout.amount.minor(),
        created_at: Time(checkout.created_at),
        expires_at: Time(checkout.expires_at),
        submitted_at: match checkout.state {
            CheckoutState::Open => None,
            CheckoutState::Submitted(at) => Some(Time(at)),
        },
    };
    let allocations = checkout
        .allocations
        .iter()
        .zip(0..)
        .map(|(a, position)| CheckoutAllocationRow {
            checkout_id: id,
            position,
            document_id: Id(a.document_id.as_uuid()),
            amount_minor: a.amount.minor(),
        })
        .collect();
    (row, allocations)
}

/// A checkout from its row and its allocations, in position order.
pub(crate) fn checkout(
    r: CheckoutRow,
    allocations: Vec<CheckoutAllocationRow>,
) -> Result<Checkout, StoreError> {
    let currency = parsed(
        "checkouts.currency",
        Currency::parse("currency", &r.currency),
    )?;
    Ok(Checkout {
        id: CheckoutId::from_uuid(r.id.0),
        account_id: AccountId::from_uuid(r.account_id.0),
        client_id: ClientId::from_uuid(r.client_id.0),
        contact_id: ContactId::from_uuid(r.contact_id.0),
        session_id: SessionId::from_uuid(r.session_id.0),
        connection_id: ConnectionId::from_uuid(r.connection_id.0),
        payment_id: PaymentId::from_uuid(r.payment_id.0),
        amount: Money::new(r.amount_minor, currency),
        allocations: allocations
            .into_iter()
            .map(|a| Allocation {
                document_id: DocumentId::from_uuid(a.document_id.0),
                amount: Money::new(a.amount_minor, currency),
            })
            .collect(),
        created_at: r.created_at.0,
        expires_at: r.expires_at.0,
        state: match r.submitted_at {
            None => CheckoutState::Open,
            Some(at) => CheckoutState::Submitted(at.0),
        },
    })
}

/// A webhook event, recorded as applied.
#[derive(Debug, Insertable)]
#[diesel(table_name = processor_events)]
#[diesel(check_for_backend(diesel::pg::Pg, diesel::sqlite::Sqlite))]
pub(crate) struct ProcessorEventRow {
    pub(crate) account_id: Id,
    pub(crate) processor: String,
    pub(crate) event_id: String,
    pub(crate) event_type: String,
    pub(crate) payment_id: Option<Id>,
    pub(crate) recorded_at: Time,
}
