//! `/api/crm/clients`: client companies, their contacts, their audit
//! trail and the payment methods they saved.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use portal_domain::{ClientId, ClientPatch, Name};

use super::dto::clients::{
    ClientOut, ContactOut, CreateClient, EventOut, ListQuery, PatchClient, UpdatedClient,
};
use super::dto::processor::{SavedMethodList, SavedMethodOut};
use super::dto::{Paged, page};
use crate::error::{ApiError, ErrorBody};
use crate::extract::{ApiJson, ApiQuery, Operator, path_id};
use crate::state::AppState;

/// Adds a client company.
#[utoipa::path(
    post,
    path = "/api/crm/clients",
    tag = "clients",
    operation_id = "create_client",
    request_body = CreateClient,
    responses((status = 201, description = "The new client.", body = ClientOut, links(
        ("contacts" = (operation_id = "list_client_contacts", parameters(("id" = "$response.body#/id")), description = "The client's contacts.")),
        ("payment_methods" = (operation_id = "list_client_payment_methods", parameters(("id" = "$response.body#/id")), description = "The payment methods the client saved.")),
    )))
)]
pub(crate) async fn create(
    State(state): State<AppState>,
    Operator(account): Operator,
    ApiJson(body): ApiJson<CreateClient>,
) -> Result<(StatusCode, Json<ClientOut>), ApiError> {
    let name = Name::parse("name", &body.name.0)?;
    let client = state
        .services
        .crm
        .create_client(&account, name, body.portal_enabled)
        .await?;
    Ok((StatusCode::CREATED, Json(ClientOut::from(&client))))
}

/// The account's clients, oldest first.
#[utoipa::path(
    get,
    path = "/api/crm/clients",
    tag = "clients",
    operation_id = "list_clients",
    params(ListQuery),
    responses((status = 200, description = "A page of clients.", body = Paged<ClientOut>))
)]
pub(crate) async fn list(
    State(state): State<AppState>,
    Operator(account): Operator,
    ApiQuery(query): ApiQuery<ListQuery>,
) -> Result<Json<Paged<ClientOut>>, ApiError> {
    let request = page(query.limit, query.cursor.as_deref())?;
    let clients = state.services.crm.clients(&account, request).await?;
    Ok(Json(Paged::of(clients, |c| ClientOut::from(&c))))
}

/// One client.
#[utoipa::path(
    get,
    path = "/api/crm/clients/{id}",
    tag = "clients",
    operation_id = "get_client",
    params(("id" = String, Path, format = "uuid", description = "The client's id.")),
    responses((status = 200, description = "The client.", body = ClientOut))
)]
pub(crate) async fn show(
    State(state): State<AppState>,
    Operator(account): Operator,
    Path(client): Path<String>,
) -> Result<Json<ClientOut>, ApiError> {
    let client = state
        .services
        .crm
        .client(&account, path_id::<ClientId>(&client, "client")?)
        .await?;
    Ok(Json(ClientOut::from(&client)))
}

/// Renames a client, turns its portal on or off, or marks it inactive.
#[utoipa::path(
    patch,
    path = "/api/crm/clients/{id}",
    tag = "clients",
    operation_id = "update_client",
    params(("id" = String, Path, format = "uuid", description = "The client's id.")),
    request_body = PatchClient,
    responses(
        (status = 200, description = "The client after the change, and what closing its portal ended.", body = UpdatedClient),
        (status = 409, description = "The client changed meanwhile (`concurrent_change`).", body = ErrorBody),
    )
)]
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
            .as_ref()
            .map(|n| Name::parse("name", &n.0))
            .transpose()?,
        portal_enabled: body.portal_enabled,
        active: body.active,
    };
    let before = state.services.crm.client(&account, id).await?;
    let update = state
        .services
        .crm
        .update_client(&account, id, patch)
        .await?;
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

/// A client's contacts, oldest first.
#[utoipa::path(
    get,
    path = "/api/crm/clients/{id}/contacts",
    tag = "clients",
    operation_id = "list_client_contacts",
    params(("id" = String, Path, format = "uuid", description = "The client's id."), ListQuery),
    responses((status = 200, description = "A page of contacts.", body = Paged<ContactOut>))
)]
pub(crate) async fn contacts(
    State(state): State<AppState>,
    Operator(account): Operator,
    Path(client): Path<String>,
    ApiQuery(query): ApiQuery<ListQuery>,
) -> Result<Json<Paged<ContactOut>>, ApiError> {
    let client = path_id::<ClientId>(&client, "client")?;
    let request = page(query.limit, query.cursor.as_deref())?;
    let contacts = state
        .services
        .crm
        .contacts(&account, client, request)
        .await?;
    Ok(Json(Paged::of(contacts, |c| ContactOut::from(&c))))
}

/// A client's audit trail, newest first: sends, links, sessions, views,
/// payments.
#[utoipa::path(
    get,
    path = "/api/crm/clients/{id}/audit-events",
    tag = "clients",
    operation_id = "list_client_audit_events",
    params(("id" = String, Path, format = "uuid", description = "The client's id."), ListQuery),
    responses((status = 200, description = "A page of events.", body = Paged<EventOut>))
)]
pub(crate) async fn audit(
    State(state): State<AppState>,
    Operator(account): Operator,
    Path(client): Path<String>,
    ApiQuery(query): ApiQuery<ListQuery>,
) -> Result<Json<Paged<EventOut>>, ApiError> {
    let client = path_id::<ClientId>(&client, "client")?;
    let request = page(query.limit, query.cursor.as_deref())?;
    let events = state
        .services
        .crm
        .client_audit(&account, client, request)
        .await?;
    Ok(Json(Paged::of(events, |e| EventOut::from(&e))))
}

/// The payment methods a client saved at the processor, default first.
///
/// Display data only. None while no processor is connected; methods saved
/// under an earlier connection are not listed.
#[utoipa::path(
    get,
    path = "/api/crm/clients/{id}/payment-methods",
    tag = "clients",
    operation_id = "list_client_payment_methods",
    params(("id" = String, Path, format = "uuid", description = "The client's id.")),
    responses(
        (status = 200, description = "The client's saved methods.", body = SavedMethodList),
        (status = 500, description = "The stored processor credentials cannot be opened with this server's key (`processor_credentials_unreadable`).", body = ErrorBody),
    )
)]
pub(crate) async fn payment_methods(
    State(state): State<AppState>,
    Operator(account): Operator,
    Path(client): Path<String>,
) -> Result<Json<SavedMethodList>, ApiError> {
    let client = path_id::<ClientId>(&client, "client")?;
    let methods = state
        .services
        .methods
        .client_methods(&account, client)
        .await?;
    Ok(Json(SavedMethodList {
        data: methods.iter().map(SavedMethodOut::from).collect(),
    }))
}
