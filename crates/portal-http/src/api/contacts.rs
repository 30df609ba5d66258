//! `/api/crm/contacts`: billing contacts, one person at a client each.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use portal_domain::{ClientId, ContactId, ContactPatch, Name};

use super::dto::clients::{ContactOut, CreateContact, PatchContact, UpdatedContact};
use super::schema::{self, id};
use crate::error::{ApiError, ErrorBody};
use crate::extract::{ApiJson, Operator, path_id};
use crate::state::AppState;

/// Adds a billing contact to a client.
#[utoipa::path(
    post,
    path = "/api/crm/contacts",
    tag = "contacts",
    operation_id = "create_contact",
    request_body = CreateContact,
    responses(
        (status = 201, description = "The new contact.", body = ContactOut, links(
            ("client" = (operation_id = "get_client", parameters(("id" = "$response.body#/client_id")), description = "The contact's client.")),
        )),
        (status = 409, description = "The client already has a contact with this email (`duplicate_email`).", body = ErrorBody),
    )
)]
pub(crate) async fn create(
    State(state): State<AppState>,
    Operator(account): Operator,
    ApiJson(body): ApiJson<CreateContact>,
) -> Result<(StatusCode, Json<ContactOut>), ApiError> {
    let client: ClientId = id("client_id", &body.client_id)?;
    let name = Name::parse("name", &body.name.0)?;
    let email = schema::email("email", &body.email)?;
    let contact = state
        .services
        .crm
        .create_contact(&account, client, name, email)
        .await?;
    Ok((StatusCode::CREATED, Json(ContactOut::from(&contact))))
}

/// One contact.
#[utoipa::path(
    get,
    path = "/api/crm/contacts/{id}",
    tag = "contacts",
    operation_id = "get_contact",
    params(("id" = String, Path, format = "uuid", description = "The contact's id.")),
    responses((status = 200, description = "The contact.", body = ContactOut, links(
        ("client" = (operation_id = "get_client", parameters(("id" = "$response.body#/client_id")), description = "The contact's client.")),
    )))
)]
pub(crate) async fn show(
    State(state): State<AppState>,
    Operator(account): Operator,
    Path(contact): Path<String>,
) -> Result<Json<ContactOut>, ApiError> {
    let contact = state
        .services
        .crm
        .contact(&account, path_id::<ContactId>(&contact, "contact")?)
        .await?;
    Ok(Json(ContactOut::from(&contact)))
}

/// Renames a contact, changes its email, or (de)activates it.
#[utoipa::path(
    patch,
    path = "/api/crm/contacts/{id}",
    tag = "contacts",
    operation_id = "update_contact",
    params(("id" = String, Path, format = "uuid", description = "The contact's id.")),
    request_body = PatchContact,
    responses(
        (status = 200, description = "The contact after the change, and how many sessions it ended.", body = UpdatedContact),
        (status = 409, description = "Another contact of the client has this email (`duplicate_email`), or the contact changed meanwhile (`concurrent_change`).", body = ErrorBody),
    )
)]
pub(crate) async fn update(
    State(state): State<AppState>,
    Operator(account): Operator,
    Path(contact): Path<String>,
    ApiJson(body): ApiJson<PatchContact>,
) -> Result<Json<UpdatedContact>, ApiError> {
    let id = path_id::<ContactId>(&contact, "contact")?;
    let patch = ContactPatch {
        name: body
            .name
            .as_ref()
            .map(|n| Name::parse("name", &n.0))
            .transpose()?,
        email: body
            .email
            .as_ref()
            .map(|e| schema::email("email", e))
            .transpose()?,
        active: body.active,
    };
    let update = state
        .services
        .crm
        .update_contact(&account, id, patch)
        .await?;
    Ok(Json(UpdatedContact {
        contact: ContactOut::from(&update.contact),
        sessions_revoked: update.sessions_revoked,
    }))
}
