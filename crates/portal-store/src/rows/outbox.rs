//! Rows of the outbox: an item's state, what it does (an email with its
//! attachments, or a link request), each in a table of its own.

use diesel::prelude::*;
use portal_domain::ports::StoreError;
use portal_domain::{
    AccountId, Attachment, ContactId, DocumentId, Email, EmailAddress, LinkId, LinkRequestJob,
    OutboxId, OutboxMessage, OutboxPayload, OutboxStatus, OutboxTopic,
};

use super::{corrupt, ip, known, parsed, required};
use crate::schema::{outbox, outbox_attachments, outbox_emails, outbox_link_requests};
use crate::sql_types::{Id, Time};

#[derive(Debug, Queryable, Selectable, Insertable)]
#[diesel(table_name = outbox)]
#[diesel(check_for_backend(diesel::pg::Pg, diesel::sqlite::Sqlite))]
pub(crate) struct OutboxRow {
    pub(crate) id: Id,
    account_id: Id,
    topic: String,
    kind: String,
    recipient: String,
    status: String,
    attempts: i32,
    next_attempt_at: Time,
    last_error: Option<String>,
    created_at: Time,
    sent_at: Option<Time>,
    claim_token: Option<Id>,
    lease_until: Option<Time>,
}

#[derive(Debug, Queryable, Selectable, Insertable)]
#[diesel(table_name = outbox_emails)]
#[diesel(check_for_backend(diesel::pg::Pg, diesel::sqlite::Sqlite))]
pub(crate) struct EmailRow {
    pub(crate) outbox_id: Id,
    recipient_name: String,
    from_name: String,
    subject: String,
    body_text: String,
    body_html: String,
    message_key: Option<String>,
    link_id: Option<Id>,
}

#[derive(Debug, Queryable, Selectable, Insertable)]
#[diesel(table_name = outbox_link_requests)]
#[diesel(check_for_backend(diesel::pg::Pg, diesel::sqlite::Sqlite))]
pub(crate) struct RequestRow {
    pub(crate) outbox_id: Id,
    previous_contact_id: Option<Id>,
    previous_document_id: Option<Id>,
    ip: Option<String>,
    user_agent: Option<String>,
}

#[derive(Debug, Queryable, Selectable, Insertable)]
#[diesel(table_name = outbox_attachments)]
#[diesel(check_for_backend(diesel::pg::Pg, diesel::sqlite::Sqlite))]
pub(crate) struct AttachmentRow {
    pub(crate) outbox_id: Id,
    position: i32,
    filename: String,
    content_type: String,
    content: Vec<u8>,
}

/// What an outbox item does, as its rows.
#[derive(Debug)]
pub(crate) enum PayloadRows {
    Email(EmailRow, Vec<AttachmentRow>),
    LinkRequest(RequestRow),
}

/// Everything an outbox item is read back from.
#[derive(Debug)]
pub(crate) struct OutboxParts {
    pub(crate) item: OutboxRow,
    pub(crate) email: Option<EmailRow>,
    pub(crate) request: Option<RequestRow>,
    pub(crate) attachments: Vec<AttachmentRow>,
}

impl OutboxRow {
    /// The rows of a new item: its state and what it does.
    pub(crate) fn new(m: &OutboxMessage) -> (Self, PayloadRows) {
        let id = Id(m.id.as_uuid());
        let (kind, payload) = match &m.payload {
            OutboxPayload::Email { email, link } => {
                let attachments = email
                    .attachments
                    .iter()
                    .zip(0..)
                    .map(|(a, position)| AttachmentRow {
                        outbox_id: id,
                        position,
                        filename: a.filename.clone(),
                        content_type: a.content_type.clone(),
                        content: a.content.clone(),
                    })
                    .collect();
                let row = EmailRow {
                    outbox_id: id,
                    recipient_name: email.to_name.clone(),
                    from_name: email.from_name.clone(),
                    subject: email.subject.clone(),
                    body_text: email.text.clone(),
                    body_html: email.html.clone(),
                    message_key: email.message_key.clone(),
                    link_id: link.map(|l| Id(l.as_uuid())),
                };
                ("email", PayloadRows::Email(row, attachments))
            }
            OutboxPayload::LinkRequest(job) => (
                "link_request",
                PayloadRows::LinkRequest(RequestRow {
                    outbox_id: id,
                    previous_contact_id: job.previous.map(|(c, _)| Id(c.as_uuid())),
                    previous_document_id: job.previous.map(|(_, d)| Id(d.as_uuid())),
                    ip: job.ip.map(|ip| ip.to_string()),
                    user_agent: job.user_agent.clone(),
                }),
            ),
        };
        let row = Self {
            id,
            account_id: Id(m.account_id.as_uuid()),
            topic: m.topic.as_str().to_owned(),
            kind: kind.to_owned(),
            recipient: m.recipient().to_string(),
            status: m.status.as_str().to_owned(),
            attempts: i32::try_from(m.attempts).unwrap_or(i32::MAX),
            next_attempt_at: Time(m.next_attempt_at),
            last_error: m.last_error.clone(),
            created_at: Time(m.created_at),
            sent_at: m.sent_at.map(Time),
            claim_token: None,
            lease_until: None,
        };
        (row, payload)
    }
}

/// An outbox item from its rows (attachments in position order).
pub(crate) fn outbox_message(parts: OutboxParts) -> Result<OutboxMessage, StoreError> {
    let r = parts.item;
    let recipient = parsed(
        "outbox.recipient",
        EmailAddress::parse("email", &r.recipient),
    )?;
    let payload = match r.kind.as_str() {
        "email" => {
            let e = required("outbox_emails", parts.email)?;
            OutboxPayload::Email {
                email: Email {
                    to: recipient,
                    to_name: e.recipient_name,
                    from_name: e.from_name,
                    subject: e.subject,
                    text: e.body_text,
                    html: e.body_html,
                    attachments: parts
                        .attachments
                        .into_iter()
                        .map(|a| Attachment {
                            filename: a.filename,
                            content_type: a.content_type,
                            content: a.content,
                        })
                        .collect(),
                    message_key: e.message_key,
                },
                link: e.link_id.map(|l| LinkId::from_uuid(l.0)),
            }
        }
        "link_request" => {
            let q = required("outbox_link_requests", parts.request)?;
            OutboxPayload::LinkRequest(LinkRequestJob {
                email: recipient,
                previous: match (q.previous_contact_id, q.previous_document_id) {
                    (Some(c), Some(d)) => {
                        Some((ContactId::from_uuid(c.0), DocumentId::from_uuid(d.0)))
                    }
                    (None, None) => None,
                    _ => return Err(corrupt("outbox_link_requests: half a previous link")),
                },
                ip: ip("outbox_link_requests.ip", q.ip)?,
                user_agent: q.user_agent,
            })
        }
        other => {
            return Err(corrupt(format_args!(
                "outbox.kind: unknown value {other:?}"
            )));
        }
    };
    Ok(OutboxMessage {
        id: OutboxId::from_uuid(r.id.0),
        account_id: AccountId::from_uuid(r.account_id.0),
        topic: known("outbox.topic", &r.topic, OutboxTopic::parse(&r.topic))?,
        payload,
        status: known("outbox.status", &r.status, OutboxStatus::parse(&r.status))?,
        attempts: u32::try_from(r.attempts)
            .map_err(|_| corrupt(format_args!("outbox.attempts: {}", r.attempts)))?,
        next_attempt_at: r.next_attempt_at.0,
        last_error: r.last_error,
        created_at: r.created_at.0,
        sent_at: r.sent_at.map(|t| t.0),
    })
}
