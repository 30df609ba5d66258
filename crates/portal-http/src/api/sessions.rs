//! Portal sessions and links as operators drive them: create a session for
//! a contact, read its status and audit trail, list and revoke sessions,
//! and issue a fresh link for a contact.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use portal_domain::ports::SessionFilter;
use portal_domain::{ClientId, ContactId, DocumentId, SessionId, SessionStatus};

use super::dto::sessions::{
    CreateSession, CreatedSession, IssuedLinkOut, PortalLinkRequest, SessionOut, SessionQuery,
};
use super::dto::{Paged, page, query_id, time};
use super::schema::{id, optional_id};
use crate::error::{ApiError, ErrorBody};
use crate::extract::{ApiJson, ApiQuery, Operator, path_id};
use crate::state::AppState;

/// Creates a pending session for a contact and the one-time URL that
/// starts it.
#[utoipa::path(
    post,
    path = "/api/crm/client-portal-sessions",
    tag = "sessions",
    operation_id = "create_session",
    request_body = CreateSession,
    responses(
        (status = 201, description = "The pending session and its URL (shown once).", body = CreatedSession, links(
            ("session" = (operation_id = "get_session", parameters(("id" = "$response.body#/id")), description = "The session's status and audit trail.")),
        )),
        (status = 409, description = "The client's portal is off, the client inactive, the contact deactivated, or the document a draft.", body = ErrorBody),
    )
)]
pub(crate) async fn create(
    State(state): State<AppState>,
    Operator(account): Operator,
    ApiJson(body): ApiJson<CreateSession>,
) -> Result<(StatusCode, Json<CreatedSession>), ApiError> {
    let contact: ContactId = id("contact_id", &body.contact_id)?;
    let document = optional_id::<DocumentId>("document_id", body.document_id.as_deref())?;
    let issued = state
        .services
        .sessions
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

/// One session: status, times, browser, contact and audit trail.
#[utoipa::path(
    get,
    path = "/api/crm/client-portal-sessions/{id}",
    tag = "sessions",
    operation_id = "get_session",
    params(("id" = String, Path, format = "uuid", description = "The session's id.")),
    responses((status = 200, description = "The session.", body = SessionOut, links(
        ("contact" = (operation_id = "get_contact", parameters(("id" = "$response.body#/contact_id")), description = "The session's contact.")),
    )))
)]
pub(crate) async fn show(
    State(state): State<AppState>,
    Operator(account): Operator,
    Path(session): Path<String>,
) -> Result<Json<SessionOut>, ApiError> {
    let id = path_id::<SessionId>(&session, "portal session")?;
    let details = state
        .services
        .sessions
        .session_details(&account, id)
        .await?;
    Ok(Json(SessionOut::detailed(&details)))
}

/// The account's sessions, newest first.
#[utoipa::path(
    get,
    path = "/api/crm/client-portal-sessions",
    tag = "sessions",
    operation_id = "list_sessions",
    params(SessionQuery),
    responses((status = 200, description = "A page of sessions.", body = Paged<SessionOut>))
)]
pub(crate) async fn list(
    State(state): State<AppState>,
    Operator(account): Operator,
    ApiQuery(query): ApiQuery<SessionQuery>,
) -> Result<Json<Paged<SessionOut>>, ApiError> {
    let filter = SessionFilter {
        client: query_id::<ClientId>("client_id", query.client_id.as_deref())?,
        contact: query_id::<ContactId>("contact_id", query.contact_id.as_deref())?,
    };
    let request = page(query.limit, query.cursor.as_deref())?;
    let sessions = state
        .services
        .sessions
        .sessions(&account, filter, request)
        .await?;
    Ok(Json(Paged::of(sessions, |(s, status)| {
        SessionOut::summary(&s, status)
    })))
}

/// Ends a session now. Revoking an ended session changes nothing.
#[utoipa::path(
    post,
    path = "/api/crm/client-portal-sessions/{id}/revoke",
    tag = "sessions",
    operation_id = "revoke_session",
    params(("id" = String, Path, format = "uuid", description = "The session's id.")),
    responses((status = 200, description = "The session, revoked.", body = SessionOut))
)]
pub(crate) async fn revoke(
    State(state): State<AppState>,
    Operator(account): Operator,
    Path(session): Path<String>,
) -> Result<Json<SessionOut>, ApiError> {
    let id = path_id::<SessionId>(&session, "portal session")?;
    let details = state.services.sessions.revoke_session(&account, id).await?;
    Ok(Json(SessionOut::detailed(&details)))
}

/// A fresh magic link for a contact, optionally emailed to them.
#[utoipa::path(
    post,
    path = "/api/crm/contacts/{id}/portal-link",
    tag = "contacts",
    operation_id = "create_portal_link",
    params(("id" = String, Path, format = "uuid", description = "The contact's id.")),
    request_body = PortalLinkRequest,
    responses(
        (status = 201, description = "The link (shown once).", body = IssuedLinkOut),
        (status = 409, description = "The client's portal is off, the client inactive, the contact deactivated, or the document a draft.", body = ErrorBody),
    )
)]
pub(crate) async fn portal_link(
    State(state): State<AppState>,
    Operator(account): Operator,
    Path(contact): Path<String>,
    ApiJson(body): ApiJson<PortalLinkRequest>,
) -> Result<(StatusCode, Json<IssuedLinkOut>), ApiError> {
    let contact = path_id::<ContactId>(&contact, "contact")?;
    let document = optional_id::<DocumentId>("document_id", body.document_id.as_deref())?;
    let issued = state
        .services
        .links
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
