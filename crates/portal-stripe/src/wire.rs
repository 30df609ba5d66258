//! Stripe's answers that this adapter decodes itself: PaymentIntents,
//! events and refunds. async-stripe's own types for these require fields
//! that localstripe leaves out, so these take only what the adapter reads,
//! and read both real Stripe's shapes (ids, expanded objects) and
//! localstripe's.

use std::collections::HashMap;

use serde::Deserialize;

/// A field Stripe answers either as an id or, expanded, as the object.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub(crate) enum Expandable<T> {
    Id(String),
    Object(Box<T>),
}

impl<T: HasId> Expandable<T> {
    pub(crate) fn id(&self) -> &str {
        match self {
            Self::Id(id) => id,
            Self::Object(object) => object.id(),
        }
    }

    pub(crate) fn object(&self) -> Option<&T> {
        match self {
            Self::Id(_) => None,
            Self::Object(object) => Some(object),
        }
    }
}

pub(crate) trait HasId {
    fn id(&self) -> &str;
}

/// Any object, for its id only.
#[derive(Debug, Clone, Deserialize)]
pub(crate) struct Reference {
    pub(crate) id: String,
}

impl HasId for Reference {
    fn id(&self) -> &str {
        &self.id
    }
}

/// One page of a list.
#[derive(Debug, Clone, Deserialize)]
pub(crate) struct List<T> {
    pub(crate) data: Vec<T>,
    #[serde(default)]
    pub(crate) has_more: bool,
}

/// `Debug` leaves the client secret out.
#[derive(Clone, Deserialize)]
pub(crate) struct PaymentIntent {
    pub(crate) id: String,
    pub(crate) status: String,
    #[serde(default)]
    pub(crate) client_secret: Option<String>,
    #[serde(default)]
    pub(crate) customer: Option<Expandable<Reference>>,
    #[serde(default)]
    pub(crate) payment_method: Option<Expandable<PaymentMethod>>,
    #[serde(default)]
    pub(crate) metadata: HashMap<String, String>,
    #[serde(default)]
    pub(crate) last_payment_error: Option<PaymentError>,
}

impl std::fmt::Debug for PaymentIntent {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PaymentIntent")
            .field("id", &self.id)
            .field("status", &self.status)
            .field("customer", &self.customer)
            .field("payment_method", &self.payment_method)
            .field("metadata", &self.metadata)
            .field("last_payment_error", &self.last_payment_error)
            .finish_non_exhaustive()
    }
}

/// Why the last attempt at a PaymentIntent failed.
#[derive(Debug, Clone, Deserialize)]
pub(crate) struct PaymentError {
    #[serde(default, rename = "type")]
    pub(crate) kind: Option<String>,
    #[serde(default)]
    pub(crate) code: Option<String>,
    #[serde(default)]
    pub(crate) decline_code: Option<String>,
    #[serde(default)]
    pub(crate) message: Option<String>,
    #[serde(default)]
    pub(crate) payment_method: Option<PaymentMethod>,
}

/// A PaymentMethod, as far as the portal shows it.
#[derive(Debug, Clone, Deserialize)]
pub(crate) struct PaymentMethod {
    pub(crate) id: String,
    #[serde(default, rename = "type")]
    pub(crate) kind: String,
    #[serde(default)]
    pub(crate) card: Option<Card>,
    #[serde(default)]
    pub(crate) us_bank_account: Option<UsBankAccount>,
}

impl HasId for PaymentMethod {
    fn id(&self) -> &str {
        &self.id
    }
}

#[derive(Debug, Clone, Deserialize)]
pub(crate) struct Card {
    #[serde(default)]
    pub(crate) brand: String,
    #[serde(default)]
    pub(crate) last4: String,
    #[serde(default)]
    pub(crate) exp_month: Option<i64>,
    #[serde(default)]
    pub(crate) exp_year: Option<i64>,
}

#[derive(Debug, Clone, Deserialize)]
pub(crate) struct UsBankAccount {
    #[serde(default)]
    pub(crate) bank_name: Option<String>,
    #[serde(default)]
    pub(crate) last4: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
pub(crate) struct Refund {
    pub(crate) id: String,
    #[serde(default)]
    pub(crate) status: Option<String>,
    #[serde(default)]
    pub(crate) metadata: HashMap<String, String>,
}

/// A webhook event; its object is read according to its type.
#[derive(Debug, Clone, Deserialize)]
pub(crate) struct Event {
    pub(crate) id: String,
    #[serde(rename = "type")]
    pub(crate) kind: String,
    pub(crate) data: EventData,
}

#[derive(Debug, Clone, Deserialize)]
pub(crate) struct EventData {
    pub(crate) object: serde_json::Value,
}
