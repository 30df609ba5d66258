//! Wire types of clients, their contacts and their audit trail.

use portal_domain::{AuditAction, AuditEvent, Client, Contact};
use serde::{Deserialize, Serialize};
use utoipa::openapi::schema::{ObjectBuilder, Type};
use utoipa::{IntoParams, ToSchema};

use super::time;
use crate::api::schema::{EmailText, NameText, cursor_schema, limit_schema};

fn yes() -> bool {
    true
}

/// A page of a list with no filter.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub(crate) struct ListQuery {
    /// Items per page.
    #[param(schema_with = limit_schema)]
    pub(crate) limit: Option<u32>,
    /// The `next_cursor` of the previous page.
    #[param(schema_with = cursor_schema)]
    pub(crate) cursor: Option<String>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct CreateClient {
    pub(crate) name: NameText,
    /// Whether its contacts get portal links; on unless turned off.
    #[serde(default = "yes")]
    #[schema(default = true)]
    pub(crate) portal_enabled: bool,
}

/// A change to a client; fields left out keep their value. Turning the
/// portal off, or `active: false`, ends its live sessions and unused links.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct PatchClient {
    pub(crate) name: Option<NameText>,
    pub(crate) portal_enabled: Option<bool>,
    pub(crate) active: Option<bool>,
}

#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct ClientOut {
    #[schema(format = "uuid")]
    pub(crate) id: String,
    pub(crate) name: String,
    pub(crate) portal_enabled: bool,
    pub(crate) active: bool,
    #[schema(format = DateTime)]
    pub(crate) created_at: String,
    #[schema(format = DateTime)]
    pub(crate) updated_at: String,
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

/// A client after an update, saying what closing its portal ended.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct UpdatedClient {
    #[serde(flatten)]
    pub(crate) client: ClientOut,
    /// Live sessions this update ended.
    pub(crate) sessions_revoked: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) notice: Option<String>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct CreateContact {
    #[schema(format = "uuid")]
    pub(crate) client_id: String,
    pub(crate) name: NameText,
    pub(crate) email: EmailText,
}

/// A change to a contact; fields left out keep their value. `active:
/// false`, or a new email, ends the contact's live sessions and unused
/// links: they were proven by the old address.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct PatchContact {
    pub(crate) name: Option<NameText>,
    pub(crate) email: Option<EmailText>,
    pub(crate) active: Option<bool>,
}

#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct ContactOut {
    #[schema(format = "uuid")]
    pub(crate) id: String,
    #[schema(format = "uuid")]
    pub(crate) client_id: String,
    pub(crate) name: String,
    pub(crate) email: String,
    /// A deactivated contact gets no links, emails or sessions.
    pub(crate) active: bool,
    #[schema(format = DateTime)]
    pub(crate) created_at: String,
    #[schema(format = DateTime)]
    pub(crate) updated_at: String,
}

impl From<&Contact> for ContactOut {
    fn from(c: &Contact) -> Self {
        Self {
            id: c.id.to_string(),
            client_id: c.client_id.to_string(),
            name: c.name.to_string(),
            email: c.email.to_string(),
            active: c.active,
            created_at: time(c.created_at),
            updated_at: time(c.updated_at),
        }
    }
}

/// A contact after an update, saying how many sessions it ended.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct UpdatedContact {
    #[serde(flatten)]
    pub(crate) contact: ContactOut,
    /// Live sessions this update ended.
    pub(crate) sessions_revoked: u64,
}

/// What an audit event records, one of the domain's actions.
fn audit_action() -> ObjectBuilder {
    ObjectBuilder::new()
        .schema_type(Type::String)
        .description(Some(
            "What happened: a document sent, a link issued, a session started, a page viewed, \
             a payment recorded, submitted, failed or refunded, a payment method added, made \
             the default or removed, …",
        ))
        .enum_values(Some(AuditAction::ALL.map(AuditAction::as_str)))
}

/// One entry of a client's audit trail.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct EventOut {
    #[schema(format = "uuid")]
    id: String,
    #[schema(schema_with = audit_action)]
    action: &'static str,
    #[schema(format = "uuid")]
    client_id: String,
    #[schema(format = "uuid")]
    contact_id: Option<String>,
    #[schema(format = "uuid")]
    session_id: Option<String>,
    #[schema(format = "uuid")]
    document_id: Option<String>,
    #[schema(format = "uuid")]
    payment_id: Option<String>,
    ip_address: Option<String>,
    user_agent: Option<String>,
    #[schema(format = DateTime)]
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
            payment_id: e.payment_id.map(|p| p.to_string()),
            ip_address: e.ip.map(|ip| ip.to_string()),
            user_agent: e.user_agent.clone(),
            occurred_at: time(e.occurred_at),
        }
    }
}
