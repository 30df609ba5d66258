//! Rows of magic links, portal sessions, audit events and link requests.

use diesel::prelude::*;
use portal_domain::ports::StoreError;
use portal_domain::{
    AccountId, AuditAction, AuditEvent, AuditEventId, ClientId, ContactId, DocumentId, LinkId,
    LinkPurpose, LinkRequest, MagicLink, PaymentId, PortalSession, RevokeReason, SessionId,
    TokenHash,
};

use super::{ip, known};
use crate::schema::{audit_events, crm_client_portal_sessions, link_requests, magic_links};
use crate::sql_types::{Id, Time};

#[derive(Debug, Queryable, Selectable, Insertable)]
#[diesel(table_name = magic_links)]
#[diesel(check_for_backend(diesel::pg::Pg, diesel::sqlite::Sqlite))]
pub(crate) struct LinkRow {
    id: Id,
    account_id: Id,
    client_id: Id,
    contact_id: Id,
    document_id: Option<Id>,
    session_id: Option<Id>,
    token_hash: String,
    purpose: String,
    created_at: Time,
    expires_at: Time,
    used_at: Option<Time>,
    revoked_at: Option<Time>,
}

impl From<&MagicLink> for LinkRow {
    fn from(l: &MagicLink) -> Self {
        Self {
            id: Id(l.id.as_uuid()),
            account_id: Id(l.account_id.as_uuid()),
            client_id: Id(l.client_id.as_uuid()),
            contact_id: Id(l.contact_id.as_uuid()),
            document_id: l.document_id.map(|d| Id(d.as_uuid())),
            session_id: l.session_id.map(|s| Id(s.as_uuid())),
            token_hash: l.token_hash.to_hex(),
            purpose: l.purpose.as_str().to_owned(),
            created_at: Time(l.created_at),
            expires_at: Time(l.expires_at),
            used_at: l.used_at.map(Time),
            revoked_at: l.revoked_at.map(Time),
        }
    }
}

impl TryFrom<LinkRow> for MagicLink {
    type Error = StoreError;

    fn try_from(r: LinkRow) -> Result<Self, StoreError> {
        Ok(Self {
            id: LinkId::from_uuid(r.id.0),
            account_id: AccountId::from_uuid(r.account_id.0),
            client_id: ClientId::from_uuid(r.client_id.0),
            contact_id: ContactId::from_uuid(r.contact_id.0),
            document_id: r.document_id.map(|d| DocumentId::from_uuid(d.0)),
            session_id: r.session_id.map(|s| SessionId::from_uuid(s.0)),
            token_hash: known(
                "magic_links.token_hash",
                &r.token_hash,
                TokenHash::from_hex(&r.token_hash),
            )?,
            purpose: known(
                "magic_links.purpose",
                &r.purpose,
                LinkPurpose::parse(&r.purpose),
            )?,
            created_at: r.created_at.0,
            expires_at: r.expires_at.0,
            used_at: r.used_at.map(|t| t.0),
            revoked_at: r.revoked_at.map(|t| t.0),
        })
    }
}

#[derive(Debug, Queryable, Selectable, Insertable)]
#[diesel(table_name = crm_client_portal_sessions)]
#[diesel(check_for_backend(diesel::pg::Pg, diesel::sqlite::Sqlite))]
pub(crate) struct SessionRow {
    id: Id,
    account_id: Id,
    client_id: Id,
    contact_id: Id,
    link_id: Id,
    secret_hash: Option<String>,
    created_at: Time,
    activated_at: Option<Time>,
    expires_at: Time,
    last_seen_at: Option<Time>,
    revoked_at: Option<Time>,
    revoke_reason: Option<String>,
    ip: Option<String>,
    user_agent: Option<String>,
}

/// What activating a pending session writes.
#[derive(Debug, AsChangeset)]
#[diesel(table_name = crm_client_portal_sessions)]
pub(crate) struct ActivationRow {
    secret_hash: Option<String>,
    activated_at: Option<Time>,
    expires_at: Time,
    last_seen_at: Option<Time>,
    ip: Option<String>,
    user_agent: Option<String>,
}

impl SessionRow {
    pub(crate) fn new(s: &PortalSession, secret: Option<&TokenHash>) -> Self {
        Self {
            id: Id(s.id.as_uuid()),
            account_id: Id(s.account_id.as_uuid()),
            client_id: Id(s.client_id.as_uuid()),
            contact_id: Id(s.contact_id.as_uuid()),
            link_id: Id(s.link_id.as_uuid()),
            secret_hash: secret.map(TokenHash::to_hex),
            created_at: Time(s.created_at),
            activated_at: s.activated_at.map(Time),
            expires_at: Time(s.expires_at),
            last_seen_at: s.last_seen_at.map(Time),
            revoked_at: s.revoked_at.map(Time),
            revoke_reason: s.revoke_reason.map(|r| r.as_str().to_owned()),
            ip: s.ip.map(|ip| ip.to_string()),
            user_agent: s.user_agent.clone(),
        }
    }
}

impl ActivationRow {
    pub(crate) fn new(s: &PortalSession, secret: &TokenHash) -> Self {
        Self {
            secret_hash: Some(secret.to_hex()),
            activated_at: s.activated_at.map(Time),
            expires_at: Time(s.expires_at),
            last_seen_at: s.last_seen_at.map(Time),
            ip: s.ip.map(|ip| ip.to_string()),
            user_agent: s.user_agent.clone(),
        }
    }
}

impl TryFrom<SessionRow> for PortalSession {
    type Error = StoreError;

    fn try_from(r: SessionRow) -> Result<Self, StoreError> {
        Ok(Self {
            id: SessionId::from_uuid(r.id.0),
            account_id: AccountId::from_uuid(r.account_id.0),
            client_id: ClientId::from_uuid(r.client_id.0),
            contact_id: ContactId::from_uuid(r.contact_id.0),
            link_id: LinkId::from_uuid(r.link_id.0),
            created_at: r.created_at.0,
            activated_at: r.activated_at.map(|t| t.0),
            expires_at: r.expires_at.0,
            last_seen_at: r.last_seen_at.map(|t| t.0),
            revoked_at: r.revoked_at.map(|t| t.0),
            revoke_reason: r
                .revoke_reason
                .map(|text| known("sessions.revoke_reason", &text, RevokeReason::parse(&text)))
                .transpose()?,
            ip: ip("ip", r.ip)?,
            user_agent: r.user_agent,
        })
    }
}

#[derive(Debug, Queryable, Selectable, Insertable)]
#[diesel(table_name = audit_events)]
#[diesel(check_for_backend(diesel::pg::Pg, diesel::sqlite::Sqlite))]
pub(crate) struct AuditRow {
    id: Id,
    account_id: Id,
    client_id: Id,
    contact_id: Option<Id>,
    session_id: Option<Id>,
    document_id: Option<Id>,
    payment_id: Option<Id>,
    action: String,
    ip: Option<String>,
    user_agent: Option<String>,
    occurred_at: Time,
    detail: Option<String>,
}

impl From<&AuditEvent> for AuditRow {
    fn from(e: &AuditEvent) -> Self {
        Self {
            id: Id(e.id.as_uuid()),
            account_id: Id(e.account_id.as_uuid()),
            client_id: Id(e.client_id.as_uuid()),
            contact_id: e.contact_id.map(|c| Id(c.as_uuid())),
            session_id: e.session_id.map(|s| Id(s.as_uuid())),
            document_id: e.document_id.map(|d| Id(d.as_uuid())),
            payment_id: e.payment_id.map(|p| Id(p.as_uuid())),
            action: e.action.as_str().to_owned(),
            ip: e.ip.map(|ip| ip.to_string()),
            user_agent: e.user_agent.clone(),
            occurred_at: Time(e.occurred_at),
            detail: e.detail.clone(),
        }
    }
}

impl TryFrom<AuditRow> for AuditEvent {
    type Error = StoreError;

    fn try_from(r: AuditRow) -> Result<Self, StoreError> {
        Ok(Self {
            id: AuditEventId::from_uuid(r.id.0),
            account_id: AccountId::from_uuid(r.account_id.0),
            client_id: ClientId::from_uuid(r.client_id.0),
            contact_id: r.contact_id.map(|c| ContactId::from_uuid(c.0)),
            session_id: r.session_id.map(|s| SessionId::from_uuid(s.0)),
            document_id: r.document_id.map(|d| DocumentId::from_uuid(d.0)),
            payment_id: r.payment_id.map(|p| PaymentId::from_uuid(p.0)),
            action: known(
                "audit_events.action",
                &r.action,
                AuditAction::parse(&r.action),
            )?,
            ip: ip("ip", r.ip)?,
            user_agent: r.user_agent,
            occurred_at: r.occurred_at.0,
            detail: r.detail,
        })
    }
}

#[derive(Debug, Insertable)]
#[diesel(table_name = link_requests)]
pub(crate) struct LinkRequestRow {
    id: Id,
    email: String,
    ip: Option<String>,
    requested_at: Time,
}

impl From<&LinkRequest> for LinkRequestRow {
    fn from(r: &LinkRequest) -> Self {
        Self {
            id: Id(r.id.as_uuid()),
            email: r.email.to_string(),
            ip: r.ip.map(|ip| ip.to_string()),
            requested_at: Time(r.requested_at),
        }
    }
}
