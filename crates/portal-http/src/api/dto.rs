//! The operator API's wire types: request bodies as clients send them and
//! the JSON answers, kept apart from the domain's types. Requests refuse
//! unknown fields; parsing into domain values reports the offending field.

use std::str::FromStr;

use chrono::{DateTime, NaiveDate, SecondsFormat, Utc};
use portal_domain::service::SessionDetails;
use portal_domain::{
    Account, AuditEvent, Client, Contact, Document, DocumentKind, PortalSession, Quantity,
    SessionStatus, ValidationError,
};
use serde::{Deserialize, Deserializer, Serialize};

/// RFC 3339 in UTC, as every time in the API is written.
pub(crate) fn time(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::AutoSi, true)
}

/// An id sent in a body: malformed is a validation error on that field.
pub(crate) fn id<T: FromStr>(field: &str, text: &str) -> Result<T, ValidationError> {
    text.parse()
        .map_err(|_| ValidationError::new(field, "must be an id as returned by this API"))
}

/// An optional id sent in a body or query string.
pub(crate) fn optional_id<T: FromStr>(
    field: &str,
    text: Option<&str>,
) -> Result<Option<T>, ValidationError> {
    text.map(|t| id(field, t)).transpose()
}

/// A `YYYY-MM-DD` date.
pub(crate) fn date(field: &str, text: &str) -> Result<NaiveDate, ValidationError> {
    NaiveDate::parse_from_str(text, "%Y-%m-%d")
        .map_err(|_| ValidationError::new(field, "must be a date like 2026-11-25"))
}

/// Tells a field sent as `null` (clear it) from a field left out (keep it).
fn present<'de, D, T>(d: D) -> Result<Option<Option<T>>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    Option::<T>::deserialize(d).map(Some)
}

fn yes() -> bool {
    true
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct PatchAccount {
    pub(crate) name: Option<String>,
    pub(crate) session_lifetime_seconds: Option<i64>,
    pub(crate) idle_timeout_seconds: Option<i64>,
    pub(crate) link_lifetime_seconds: Option<i64>,
    #[serde(default, deserialize_with = "present")]
    pub(crate) public_url: Option<Option<String>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct CreateClient {
    pub(crate) name: String,
    #[serde(default = "yes")]
    pub(crate) portal_enabled: bool,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct PatchClient {
    pub(crate) name: Option<String>,
    pub(crate) portal_enabled: Option<bool>,
    pub(crate) active: Option<bool>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct CreateContact {
    pub(crate) client_id: String,
    pub(crate) name: String,
    pub(crate) email: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct CreateDocument {
    pub(crate) client_id: String,
    pub(crate) number: String,
    pub(crate) title: Option<String>,
    pub(crate) currency: String,
    pub(crate) issue_date: String,
    /// Invoices only.
    pub(crate) due_date: Option<String>,
    /// Estimates only.
    pub(crate) valid_until: Option<String>,
    #[serde(default)]
    pub(crate) lines: Vec<LineInput>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct LineInput {
    pub(crate) description: String,
    /// A number (`2`, `1.5`) or a decimal string (`"1.5"`).
    pub(crate) quantity: serde_json::Value,
    pub(crate) unit_amount: i64,
}

impl LineInput {
    pub(crate) fn quantity(&self, field: &str) -> Result<Quantity, ValidationError> {
        match &self.quantity {
            serde_json::Value::Number(n) => Quantity::parse(field, &n.to_string()),
            serde_json::Value::String(s) => Quantity::parse(field, s),
            _ => Err(ValidationError::new(field, "must be a number")),
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct SendDocument {
    pub(crate) contact_id: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct PortalLinkRequest {
    pub(crate) document_id: Option<String>,
    #[serde(default)]
    pub(crate) send_email: bool,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct CreateSession {
    pub(crate) contact_id: String,
    pub(crate) document_id: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct ClientFilter {
    pub(crate) client_id: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct SessionQuery {
    pub(crate) client_id: Option<String>,
    pub(crate) contact_id: Option<String>,
    pub(crate) limit: Option<u32>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct LimitQuery {
    pub(crate) limit: Option<u32>,
}

#[derive(Debug, Serialize)]
pub(crate) struct AccountOut {
    id: String,
    name: String,
    session_lifetime_seconds: i64,
    idle_timeout_seconds: i64,
    link_lifetime_seconds: i64,
    /// The account's own portal URL, if set.
    public_url: Option<String>,
    /// Where its clients reach the portal.
    portal_url: String,
    created_at: String,
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
            created_at: time(a.created_at),
            updated_at: time(a.updated_at),
        }
    }
}

#[derive(Debug, Serialize)]
pub(crate) struct ClientOut {
    id: String,
    name: String,
    portal_enabled: bool,
    active: bool,
    created_at: String,
    updated_at: String,
}

impl From<&Client> for ClientOut {
    fn from(c: &Client) -> Self {
        Self {
            id: c.id.to_string(),
            name: c.name.to_string(),
            portal_enabled: c.portal_enabled,
            active: c.active,
            created_at: time(c.created_at),
            updated_at: time(c.updated_at),
        }
    }
}

#[derive(Debug, Serialize)]
pub(crate) struct ContactOut {
    id: String,
    client_id: String,
    name: String,
    email: String,
    created_at: String,
}

impl From<&Contact> for ContactOut {
    fn from(c: &Contact) -> Self {
        Self {
            id: c.id.to_string(),
            client_id: c.client_id.to_string(),
            name: c.name.to_string(),
            email: c.email.to_string(),
            created_at: time(c.created_at),
        }
    }
}

#[derive(Debug, Serialize)]
pub(crate) struct LineOut {
    description: String,
    quantity: serde_json::Number,
    unit_amount: i64,
    amount: i64,
}

/// A document; `due_date` for invoices, `valid_until` for estimates.
#[derive(Debug, Serialize)]
pub(crate) struct DocumentOut {
    id: String,
    object: &'static str,
    client_id: String,
    number: String,
    title: Option<String>,
    status: &'static str,
    currency: &'static str,
    issue_date: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    due_date: Option<Option<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    valid_until: Option<Option<String>>,
    lines: Vec<LineOut>,
    total: i64,
    amount_due: i64,
    created_at: String,
    sent_at: Option<String>,
    paid_at: Option<String>,
    voided_at: Option<String>,
}

impl From<&Document> for DocumentOut {
    fn from(d: &Document) -> Self {
        let due = d.due_date.map(|day| day.to_string());
        Self {
            id: d.id.to_string(),
            object: d.kind.as_str(),
            client_id: d.client_id.to_string(),
            number: d.number.to_string(),
            title: d.title.as_ref().map(ToString::to_string),
            status: d.status.as_str(),
            currency: d.currency.code(),
            issue_date: d.issue_date.to_string(),
            due_date: (d.kind == DocumentKind::Invoice).then(|| due.clone()),
            valid_until: (d.kind == DocumentKind::Estimate).then_some(due),
            lines: d
                .lines
                .iter()
                .map(|l| LineOut {
                    description: l.description.to_string(),
                    quantity: serde_json::Number::from_str(&l.quantity.to_string())
                        .unwrap_or_else(|_| serde_json::Number::from(0)),
                    unit_amount: l.unit_amount,
                    amount: l.amount,
                })
                .collect(),
            total: d.total,
            amount_due: d.amount_due().minor(),
            created_at: time(d.created_at),
            sent_at: d.sent_at.map(time),
            paid_at: d.paid_at.map(time),
            voided_at: d.voided_at.map(time),
        }
    }
}

#[derive(Debug, Serialize)]
pub(crate) struct EventOut {
    id: String,
    action: &'static str,
    client_id: String,
    contact_id: Option<String>,
    session_id: Option<String>,
    document_id: Option<String>,
    ip_address: Option<String>,
    user_agent: Option<String>,
    occurred_at: String,
}

impl From<&AuditEvent> for EventOut {
    fn from(e: &AuditEvent) -> Self {
        Self {
            id: e.id.to_string(),
            action: e.action.as_str(),
            client_id: e.client_id.to_string(),
            contact_id: e.contact_id.map(|c| c.to_string()),
            session_id: e.session_id.map(|s| s.to_string()),
            document_id: e.document_id.map(|d| d.to_string()),
            ip_address: e.ip.map(|ip| ip.to_string()),
            user_agent: e.user_agent.clone(),
            occurred_at: time(e.occurred_at),
        }
    }
}

#[derive(Debug, Serialize)]
pub(crate) struct SessionOut {
    id: String,
    status: &'static str,
    client_id: String,
    contact_id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    contact: Option<ContactOut>,
    created_at: String,
    activated_at: Option<String>,
    expires_at: String,
    last_seen_at: Option<String>,
    revoked_at: Option<String>,
    revoke_reason: Option<&'static str>,
    ip_address: Option<String>,
    user_agent: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    events: Option<Vec<EventOut>>,
}

impl SessionOut {
    pub(crate) fn summary(s: &PortalSession, status: SessionStatus) -> Self {
        Self {
            id: s.id.to_string(),
            status: status.as_str(),
            client_id: s.client_id.to_string(),
            contact_id: s.contact_id.to_string(),
            contact: None,
            created_at: time(s.created_at),
            activated_at: s.activated_at.map(time),
            expires_at: time(s.expires_at),
            last_seen_at: s.last_seen_at.map(time),
            revoked_at: s.revoked_at.map(time),
            revoke_reason: s.revoke_reason.map(|r| r.as_str()),
            ip_address: s.ip.map(|ip| ip.to_string()),
            user_agent: s.user_agent.clone(),
            events: None,
        }
    }

    pub(crate) fn detailed(d: &SessionDetails) -> Self {
        Self {
            contact: d.contact.as_ref().map(ContactOut::from),
            events: Some(d.events.iter().map(EventOut::from).collect()),
            ..Self::summary(&d.session, d.status)
        }
    }
}

#[derive(Debug, Serialize)]
pub(crate) struct List<T> {
    pub(crate) data: Vec<T>,
}
