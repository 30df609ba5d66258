//! Row types as diesel reads and writes them, and their conversions to and
//! from the domain's types. A row that does not convert back is corrupt
//! data and surfaces as a backend error, never as a panic.

use std::fmt::Display;

use chrono::{Duration, NaiveDate};
use diesel::prelude::*;
use portal_domain::ports::StoreError;
use portal_domain::{
    Account, AccountId, AccountSettings, AuditAction, AuditEvent, AuditEventId, Client, ClientId,
    Contact, ContactId, Currency, Description, Document, DocumentId, DocumentKind, DocumentNumber,
    DocumentStatus, EmailAddress, LineItem, LinkId, LinkPurpose, LinkRequest, MagicLink, Name,
    PortalSession, PublicUrl, Quantity, RevokeReason, SessionId, TokenHash,
};

use crate::schema::{
    accounts, audit_events, clients, contacts, crm_client_portal_sessions, document_lines,
    documents, link_requests, magic_links,
};
use crate::sql_types::{Id, Time};

pub(crate) fn corrupt(what: impl Display) -> StoreError {
    StoreError::Backend(format!("corrupt data in the store: {what}").into())
}

fn parsed<T, E: Display>(column: &str, result: Result<T, E>) -> Result<T, StoreError> {
    result.map_err(|e| corrupt(format_args!("{column}: {e}")))
}

fn known<T>(column: &str, text: &str, value: Option<T>) -> Result<T, StoreError> {
    value.ok_or_else(|| corrupt(format_args!("{column}: unknown value {text:?}")))
}

fn ip(text: Option<String>) -> Result<Option<std::net::IpAddr>, StoreError> {
    text.map(|t| parsed("ip", t.parse())).transpose()
}

#[derive(Debug, Queryable, Selectable, Insertable, AsChangeset)]
#[diesel(table_name = accounts, treat_none_as_null = true)]
#[diesel(check_for_backend(diesel::pg::Pg, diesel::sqlite::Sqlite))]
pub(crate) struct AccountRow {
    id: Id,
    name: String,
    session_lifetime_seconds: i64,
    idle_timeout_seconds: i64,
    link_lifetime_seconds: i64,
    public_url: Option<String>,
    demo: bool,
    created_at: Time,
    updated_at: Time,
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
            demo: a.demo,
            created_at: Time(a.created_at),
            updated_at: Time(a.updated_at),
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
            },
            demo: r.demo,
            created_at: r.created_at.0,
            updated_at: r.updated_at.0,
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
    created_at: Time,
}

impl From<&Contact> for ContactRow {
    fn from(c: &Contact) -> Self {
        Self {
            id: Id(c.id.as_uuid()),
            account_id: Id(c.account_id.as_uuid()),
            client_id: Id(c.client_id.as_uuid()),
            name: c.name.to_string(),
            email: c.email.to_string(),
            created_at: Time(c.created_at),
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
            created_at: r.created_at.0,
        })
    }
}

#[derive(Debug, Queryable, Selectable, Insertable)]
#[diesel(table_name = documents)]
#[diesel(check_for_backend(diesel::pg::Pg, diesel::sqlite::Sqlite))]
pub(crate) struct DocumentRow {
    pub(crate) id: Id,
    account_id: Id,
    client_id: Id,
    kind: String,
    number: String,
    title: Option<String>,
    status: String,
    currency: String,
    total_minor: i64,
    issue_date: NaiveDate,
    due_date: Option<NaiveDate>,
    created_at: Time,
    sent_at: Option<Time>,
    paid_at: Option<Time>,
    voided_at: Option<Time>,
}

/// The status columns of a document, as one status change writes them.
#[derive(Debug, AsChangeset)]
#[diesel(table_name = documents, treat_none_as_null = true)]
pub(crate) struct DocumentStatusRow {
    status: String,
    sent_at: Option<Time>,
    paid_at: Option<Time>,
    voided_at: Option<Time>,
}

impl From<&Document> for DocumentStatusRow {
    fn from(d: &Document) -> Self {
        Self {
            status: d.status.as_str().to_owned(),
            sent_at: d.sent_at.map(Time),
            paid_at: d.paid_at.map(Time),
            voided_at: d.voided_at.map(Time),
        }
    }
}

impl From<&Document> for DocumentRow {
    fn from(d: &Document) -> Self {
        Self {
            id: Id(d.id.as_uuid()),
            account_id: Id(d.account_id.as_uuid()),
            client_id: Id(d.client_id.as_uuid()),
            kind: d.kind.as_str().to_owned(),
            number: d.number.to_string(),
            title: d.title.as_ref().map(ToString::to_string),
            status: d.status.as_str().to_owned(),
            currency: d.currency.code().to_owned(),
            total_minor: d.total,
            issue_date: d.issue_date,
            due_date: d.due_date,
            created_at: Time(d.created_at),
            sent_at: d.sent_at.map(Time),
            paid_at: d.paid_at.map(Time),
            voided_at: d.voided_at.map(Time),
        }
    }
}

#[derive(Debug, Queryable, Selectable, Insertable)]
#[diesel(table_name = document_lines)]
#[diesel(check_for_backend(diesel::pg::Pg, diesel::sqlite::Sqlite))]
pub(crate) struct LineRow {
    pub(crate) document_id: Id,
    position: i32,
    description: String,
    quantity_thousandths: i64,
    unit_amount_minor: i64,
    amount_minor: i64,
}

impl LineRow {
    pub(crate) fn all(d: &Document) -> Vec<Self> {
        d.lines
            .iter()
            .zip(0..)
            .map(|(l, position)| Self {
                document_id: Id(d.id.as_uuid()),
                position,
                description: l.description.to_string(),
                quantity_thousandths: l.quantity.thousandths(),
                unit_amount_minor: l.unit_amount,
                amount_minor: l.amount,
            })
            .collect()
    }
}

/// A document row with its lines (in position order).
pub(crate) fn document(r: DocumentRow, lines: Vec<LineRow>) -> Result<Document, StoreError> {
    let lines = lines
        .into_iter()
        .map(|l| {
            Ok(LineItem {
                description: parsed(
                    "document_lines.description",
                    Description::parse("description", &l.description),
                )?,
                quantity: Quantity::from_thousandths(l.quantity_thousandths),
                unit_amount: l.unit_amount_minor,
                amount: l.amount_minor,
            })
        })
        .collect::<Result<Vec<_>, StoreError>>()?;
    Ok(Document {
        id: DocumentId::from_uuid(r.id.0),
        account_id: AccountId::from_uuid(r.account_id.0),
        client_id: ClientId::from_uuid(r.client_id.0),
        kind: known("documents.kind", &r.kind, DocumentKind::parse(&r.kind))?,
        number: parsed(
            "documents.number",
            DocumentNumber::parse("number", &r.number),
        )?,
        title: r
            .title
            .map(|t| parsed("documents.title", Description::parse("title", &t)))
            .transpose()?,
        status: known(
            "documents.status",
            &r.status,
            DocumentStatus::parse(&r.status),
        )?,
        currency: parsed(
            "documents.currency",
            Currency::parse("currency", &r.currency),
        )?,
        lines,
        total: r.total_minor,
        issue_date: r.issue_date,
        due_date: r.due_date,
        created_at: r.created_at.0,
        sent_at: r.sent_at.map(|t| t.0),
        paid_at: r.paid_at.map(|t| t.0),
        voided_at: r.voided_at.map(|t| t.0),
    })
}

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
            ip: ip(r.ip)?,
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
    action: String,
    ip: Option<String>,
    user_agent: Option<String>,
    occurred_at: Time,
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
            action: e.action.as_str().to_owned(),
            ip: e.ip.map(|ip| ip.to_string()),
            user_agent: e.user_agent.clone(),
            occurred_at: Time(e.occurred_at),
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
            action: known(
                "audit_events.action",
                &r.action,
                AuditAction::parse(&r.action),
            )?,
            ip: ip(r.ip)?,
            user_agent: r.user_agent,
            occurred_at: r.occurred_at.0,
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

/// Converts each row, failing on the first corrupt one.
pub(crate) fn convert<R, T>(rows: Vec<R>) -> Result<Vec<T>, StoreError>
where
    T: TryFrom<R, Error = StoreError>,
{
    rows.into_iter().map(T::try_from).collect()
}
