//! Portal sessions and links as operators drive them: create a session for
//! a contact, read its status and audit trail, revoke it, and issue a fresh
//! link for a contact.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use portal_domain::ports::SessionFilter;
use portal_domain::service::MAX_SESSION_PAGE;
use portal_domain::{ClientId, ContactId, DocumentId, SessionId, SessionStatus};
use serde::Serialize;

use super::clients::path_id;
use super::dto::{
    CreateSession, List, PortalLinkRequest, SessionOut, SessionQuery, id, optional_id, time,
};
use crate::error::ApiError;
use crate::extract::{ApiJson, ApiQuery, Operator};
use crate::state::AppState;

/// A new session and the one-time URL that activates it.
/// Carries a token in its URL: no `Debug`, so it cannot be logged by
/// accident.
#[derive(Serialize)]
pub(crate) struct CreatedSession {
    #[serde(flatten)]
    session: SessionOut,
    /// Open once to start the session; shown only in this answer.
    url: String,
    link_expires_at: String,
}

pub(crate) async fn create(
    State(state): State<AppState>,
    Operator(account): Operator,
    ApiJson(body): ApiJson<CreateSession>,
) -> Result<(StatusCode, Json<CreatedSession>), ApiError> {
    let contact: ContactId = id("contact_id", &body.contact_id)?;
    let document = optional_id::<DocumentId>("document_id", body.document_id.as_deref())?;
    let issued = state
        .portal
        .create_session(&account, contact, document)
        .await?;
    let session = issued.pending_session.as_ref().ok_or_else(|| {
        ApiError::internal(&std::io::Error::other(
            "a session link came without its session",
        ))
    })?;
    Ok((
        StatusCode::CREATED,
        Json(CreatedSession {
            session: SessionOut::summary(session, SessionStatus::Pending),
            link_expires_at: time(issued.link.expires_at),
            url: issued.url,
        }),
    ))
}

pub(crate) async fn show(
    State(state): State<AppState>,
    Operator(account): Operator,
    Path(session): Path<String>,
) -> Result<Json<SessionOut>, ApiError> {
    let id = path_id::<SessionId>(&session, "portal session")?;
    let details = state.portal.session_details(&account, id).await?;
    Ok(Json(SessionOut::detailed(&details)))
}

pub(crate) async fn list(
    State(state): State<AppState>,
    Operator(account): Operator,
    ApiQuery(query): ApiQuery<SessionQuery>,
) -> Result<Json<List<SessionOut>>, ApiError> {
    let filter = SessionFilter {
        client: query
            .client_id
            .as_deref()
            .map(|c| id::<ClientId>("client_id", c))
            .transpose()?,
        contact: query
            .contact_id
            .as_deref()
            .map(|c| id::<ContactId>("contact_id", c))
            .transpose()?,
        limit: query.limit.unwrap_or(50).min(MAX_SESSION_PAGE),
    };
    let sessions = state.portal.sessions(&account, filter).await?;
    Ok(Json(List {
        data: sessions
            .iter()
            .map(|(s, status)| SessionOut::summary(s, *status))
            .collect(),
    }))
}

pub(crate) async fn revoke(
    State(state): State<AppState>,
    Operator(account): Operator,
    Path(session): Path<String>,
) -> Result<Json<SessionOut>, ApiError> {
    let id = path_id::<SessionId>(&session, "portal session")?;
    let details = state.portal.revoke_session(&account, id).await?;
    Ok(Json(SessionOut::detailed(&details)))
}

/// A fresh magic link for a contact.
/// Carries a token in its URL: no `Debug`.
#[derive(Serialize)]
pub(crate) struct IssuedLinkOut {
    url: String,
    expires_at: String,
    contact_id: String,
    document_id: Option<String>,
    emailed: bool,
}

pub(crate) async fn portal_link(
    State(state): State<AppState>,
    Operator(account): Operator,
    Path(contact): Path<String>,
    ApiJson(body): ApiJson<PortalLinkRequest>,
) -> Result<(StatusCode, Json<IssuedLinkOut>), ApiError> {
    let contact = path_id::<ContactId>(&contact, "contact")?;
    let document = optional_id::<DocumentId>("document_id", body.document_id.as_deref())?;
    let issued = state
        .portal
        .portal_link(&account, contact, document, body.send_email)
        .await?;
    Ok((
        StatusCode::CREATED,
        Json(IssuedLinkOut {
            expires_at: time(issued.link.expires_at),
            contact_id: issued.link.contact_id.to_string(),
            document_id: issued.link.document_id.map(|d| d.to_string()),
            emailed: body.send_email,
            url: issued.url,
        }),
    ))
}
