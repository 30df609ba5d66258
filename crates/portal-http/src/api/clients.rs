//! Client companies, their billing contacts and their audit trail.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use portal_domain::service::MAX_AUDIT_PAGE;
use portal_domain::{ClientId, ClientPatch, ContactId, EmailAddress, Name};
use serde::Serialize;

use super::dto::{
    ClientOut, ContactOut, CreateClient, CreateContact, EventOut, LimitQuery, List, PatchClient, id,
};
use crate::error::ApiError;
use crate::extract::{ApiJson, ApiQuery, Operator};
use crate::state::AppState;

/// An id in the path that does not parse names nothing: not found.
pub(crate) fn path_id<T: std::str::FromStr>(text: &str, what: &str) -> Result<T, ApiError> {
    text.parse().map_err(|_| ApiError::not_found(what))
}

pub(crate) async fn create(
    State(state): State<AppState>,
    Operator(account): Operator,
    ApiJson(body): ApiJson<CreateClient>,
) -> Result<(StatusCode, Json<ClientOut>), ApiError> {
    let name = Name::parse("name", &body.name)?;
    let client = state
        .portal
        .create_client(&account, name, body.portal_enabled)
        .await?;
    Ok((StatusCode::CREATED, Json(ClientOut::from(&client))))
}

pub(crate) async fn list(
    State(state): State<AppState>,
    Operator(account): Operator,
) -> Result<Json<List<ClientOut>>, ApiError> {
    let clients = state.portal.clients(&account).await?;
    Ok(Json(List {
        data: clients.iter().map(ClientOut::from).collect(),
    }))
}

pub(crate) async fn show(
    State(state): State<AppState>,
    Operator(account): Operator,
    Path(client): Path<String>,
) -> Result<Json<ClientOut>, ApiError> {
    let client = state
        .portal
        .client(&account, path_id::<ClientId>(&client, "client")?)
        .await?;
    Ok(Json(ClientOut::from(&client)))
}

/// A client after an update, saying what closing its portal ended.
#[derive(Debug, Serialize)]
pub(crate) struct UpdatedClient {
    #[serde(flatten)]
    client: ClientOut,
    sessions_revoked: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    notice: Option<String>,
}

pub(crate) async fn update(
    State(state): State<AppState>,
    Operator(account): Operator,
    Path(client): Path<String>,
    ApiJson(body): ApiJson<PatchClient>,
) -> Result<Json<UpdatedClient>, ApiError> {
    let id = path_id::<ClientId>(&client, "client")?;
    let patch = ClientPatch {
        name: body
            .name
            .as_deref()
            .map(|n| Name::parse("name", n))
            .transpose()?,
        portal_enabled: body.portal_enabled,
        active: body.active,
    };
    let before = state.portal.client(&account, id).await?;
    let update = state.portal.update_client(&account, id, patch).await?;
    let notice = (before.portal_open() && !update.client.portal_open()).then(|| {
        format!(
            "Portal access is now off for this client: {} live session(s) were revoked, unused links stopped working, \
             no new links can be issued, and documents are emailed without a portal link.",
            update.sessions_revoked
        )
    });
    Ok(Json(UpdatedClient {
        client: ClientOut::from(&update.client),
        sessions_revoked: update.sessions_revoked,
        notice,
    }))
}

pub(crate) async fn contacts(
    State(state): State<AppState>,
    Operator(account): Operator,
    Path(client): Path<String>,
) -> Result<Json<List<ContactOut>>, ApiError> {
    let contacts = state
        .portal
        .contacts(&account, path_id::<ClientId>(&client, "client")?)
        .await?;
    Ok(Json(List {
        data: contacts.iter().map(ContactOut::from).collect(),
    }))
}

pub(crate) async fn audit(
    State(state): State<AppState>,
    Operator(account): Operator,
    Path(client): Path<String>,
    ApiQuery(query): ApiQuery<LimitQuery>,
) -> Result<Json<List<EventOut>>, ApiError> {
    let client = path_id::<ClientId>(&client, "client")?;
    let limit = query.limit.unwrap_or(100).min(MAX_AUDIT_PAGE);
    let events = state.portal.client_audit(&account, client, limit).await?;
    Ok(Json(List {
        data: events.iter().map(EventOut::from).collect(),
    }))
}

pub(crate) async fn create_contact(
    State(state): State<AppState>,
    Operator(account): Operator,
    ApiJson(body): ApiJson<CreateContact>,
) -> Result<(StatusCode, Json<ContactOut>), ApiError> {
    let client: ClientId = id("client_id", &body.client_id)?;
    let name = Name::parse("name", &body.name)?;
    let email = EmailAddress::parse("email", &body.email)?;
    let contact = state
        .portal
        .create_contact(&account, client, name, email)
        .await?;
    Ok((StatusCode::CREATED, Json(ContactOut::from(&contact))))
}

pub(crate) async fn show_contact(
    State(state): State<AppState>,
    Operator(account): Operator,
    Path(contact): Path<String>,
) -> Result<Json<ContactOut>, ApiError> {
    let contact = state
        .portal
        .contact(&account, path_id::<ContactId>(&contact, "contact")?)
        .await?;
    Ok(Json(ContactOut::from(&contact)))
}
