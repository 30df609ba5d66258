//! Wire types of portal sessions, operator-issued links and the outbox.

use portal_domain::service::SessionDetails;
use portal_domain::{OutboxMessage, PortalSession, SessionStatus};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::clients::{ContactOut, EventOut};
use super::time;
use crate::api::schema::{cursor_schema, limit_schema};

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct CreateSession {
    #[schema(format = "uuid")]
    pub(crate) contact_id: String,
    /// A sent document of the contact's client to open on.
    #[schema(format = "uuid")]
    pub(crate) document_id: Option<String>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct PortalLinkRequest {
    /// A sent document of the contact's client to open on.
    #[schema(format = "uuid")]
    pub(crate) document_id: Option<String>,
    /// Also email the link to the contact (queued in the outbox).
    #[serde(default)]
    pub(crate) send_email: bool,
}

/// Which sessions to list.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub(crate) struct SessionQuery {
    /// Only this client's sessions.
    #[param(format = "uuid")]
    pub(crate) client_id: Option<String>,
    /// Only this contact's sessions.
    #[param(format = "uuid")]
    pub(crate) contact_id: Option<String>,
    /// Items per page.
    #[param(schema_with = limit_schema)]
    pub(crate) limit: Option<u32>,
    /// The `next_cursor` of the previous page.
    #[param(schema_with = cursor_schema)]
    pub(crate) cursor: Option<String>,
}

/// Where a session stands.
#[derive(Debug, Clone, Copy, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
#[schema(as = SessionStatus)]
pub(crate) enum SessionStatusOut {
    /// Created by the API, waiting for its link to be opened.
    Pending,
    Active,
    /// Past its absolute end or its idle timeout (or, while pending, its
    /// link expired).
    Expired,
    Revoked,
}

impl From<SessionStatus> for SessionStatusOut {
    fn from(status: SessionStatus) -> Self {
        match status {
            SessionStatus::Pending => Self::Pending,
            SessionStatus::Active => Self::Active,
            SessionStatus::Expired => Self::Expired,
            SessionStatus::Revoked => Self::Revoked,
        }
    }
}

/// A portal session; `contact` and `events` only when read one by one.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct SessionOut {
    #[schema(format = "uuid")]
    id: String,
    status: SessionStatusOut,
    #[schema(format = "uuid")]
    client_id: String,
    #[schema(format = "uuid")]
    contact_id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    contact: Option<ContactOut>,
    #[schema(format = DateTime)]
    created_at: String,
    #[schema(format = DateTime)]
    activated_at: Option<String>,
    #[schema(format = DateTime)]
    expires_at: String,
    #[schema(format = DateTime)]
    last_seen_at: Option<String>,
    #[schema(format = DateTime)]
    revoked_at: Option<String>,
    /// `signed_out`, `operator`, `portal_disabled`, `replaced`,
    /// `contact_changed`.
    revoke_reason: Option<&'static str>,
    ip_address: Option<String>,
    user_agent: Option<String>,
    /// The session's audit trail, oldest first.
    #[serde(skip_serializing_if = "Option::is_none")]
    events: Option<Vec<EventOut>>,
}

impl SessionOut {
    pub(crate) fn summary(s: &PortalSession, status: SessionStatus) -> Self {
        Self {
            id: s.id.to_string(),
            status: status.into(),
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

/// A new session and the one-time URL that activates it. Carries a token
/// in its URL: no `Debug`, so it cannot be logged by accident.
#[derive(Serialize, ToSchema)]
pub(crate) struct CreatedSession {
    #[serde(flatten)]
    pub(crate) session: SessionOut,
    /// Open once to start the session; shown only in this answer.
    #[schema(format = "uri")]
    pub(crate) url: String,
    #[schema(format = DateTime)]
    pub(crate) link_expires_at: String,
}

/// A fresh magic link for a contact. Carries a token in its URL: no
/// `Debug`.
#[derive(Serialize, ToSchema)]
pub(crate) struct IssuedLinkOut {
    /// Shown only in this answer.
    #[schema(format = "uri")]
    pub(crate) url: String,
    #[schema(format = DateTime)]
    pub(crate) expires_at: String,
    #[schema(format = "uuid")]
    pub(crate) contact_id: String,
    #[schema(format = "uuid")]
    pub(crate) document_id: Option<String>,
    /// Whether the link was also queued for email to the contact.
    pub(crate) emailed: bool,
}

/// Which outbox items to list.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub(crate) struct OutboxQuery {
    /// Only items in this status.
    #[param(inline)]
    pub(crate) status: Option<OutboxStatusOut>,
    /// Items per page.
    #[param(schema_with = limit_schema)]
    pub(crate) limit: Option<u32>,
    /// The `next_cursor` of the previous page.
    #[param(schema_with = cursor_schema)]
    pub(crate) cursor: Option<String>,
}

/// Where an outbox item stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
#[schema(as = OutboxStatus)]
pub(crate) enum OutboxStatusOut {
    /// Waiting for its first delivery.
    Pending,
    /// Being delivered now.
    Sending,
    /// The last delivery failed; tried again at `next_attempt_at`.
    Failed,
    Sent,
    /// Given up on; retry it to try again.
    Dead,
}

impl OutboxStatusOut {
    pub(crate) fn domain(self) -> portal_domain::OutboxStatus {
        use portal_domain::OutboxStatus as S;
        match self {
            Self::Pending => S::Pending,
            Self::Sending => S::Sending,
            Self::Failed => S::Failed,
            Self::Sent => S::Sent,
            Self::Dead => S::Dead,
        }
    }

    fn of(status: portal_domain::OutboxStatus) -> Self {
        use portal_domain::OutboxStatus as S;
        match status {
            S::Pending => Self::Pending,
            S::Sending => Self::Sending,
            S::Failed => Self::Failed,
            S::Sent => Self::Sent,
            S::Dead => Self::Dead,
        }
    }
}

/// An email (or a request for a new link) waiting for, or done with,
/// delivery. Never its body: it may hold a sign-in link.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct OutboxItemOut {
    #[schema(format = "uuid")]
    id: String,
    /// `document_sent`, `portal_link`, `receipt` or `link_request`.
    topic: &'static str,
    /// Where the email goes, or the address a new link was asked for.
    recipient: String,
    subject: Option<String>,
    status: OutboxStatusOut,
    /// Deliveries started so far.
    attempts: u32,
    #[schema(format = DateTime)]
    next_attempt_at: String,
    last_error: Option<String>,
    #[schema(format = DateTime)]
    created_at: String,
    #[schema(format = DateTime)]
    sent_at: Option<String>,
}

impl From<&OutboxMessage> for OutboxItemOut {
    fn from(m: &OutboxMessage) -> Self {
        Self {
            id: m.id.to_string(),
            topic: m.topic.as_str(),
            recipient: m.recipient().to_string(),
            subject: m.subject().map(str::to_owned),
            status: OutboxStatusOut::of(m.status),
            attempts: m.attempts,
            next_attempt_at: time(m.next_attempt_at),
            last_error: m.last_error.clone(),
            created_at: time(m.created_at),
            sent_at: m.sent_at.map(time),
        }
    }
}
