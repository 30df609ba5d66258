//! `/api/crm/outbox`: what the portal has queued to send (document emails,
//! links, receipts, link requests), where each item stands, and a retry
//! for items that failed or were given up on. Never a body: emails carry
//! sign-in links.

use axum::Json;
use axum::extract::{Path, State};
use portal_domain::OutboxId;

use super::dto::sessions::{OutboxItemOut, OutboxQuery};
use super::dto::{Paged, page};
use crate::error::ApiError;
use crate::extract::{ApiQuery, Operator, path_id};
use crate::state::AppState;

/// The account's outbox, newest first.
#[utoipa::path(
    get,
    path = "/api/crm/outbox",
    tag = "outbox",
    operation_id = "list_outbox",
    params(OutboxQuery),
    responses((status = 200, description = "A page of outbox items.", body = Paged<OutboxItemOut>))
)]
pub(crate) async fn list(
    State(state): State<AppState>,
    Operator(account): Operator,
    ApiQuery(query): ApiQuery<OutboxQuery>,
) -> Result<Json<Paged<OutboxItemOut>>, ApiError> {
    let request = page(query.limit, query.cursor.as_deref())?;
    let items = state
        .services
        .outbox
        .messages(&account, query.status.map(|s| s.domain()), request)
        .await?;
    Ok(Json(Paged::of(items, |m| OutboxItemOut::from(&m))))
}

/// One outbox item.
#[utoipa::path(
    get,
    path = "/api/crm/outbox/{id}",
    tag = "outbox",
    operation_id = "get_outbox_item",
    params(("id" = String, Path, format = "uuid", description = "The item's id.")),
    responses((status = 200, description = "The item.", body = OutboxItemOut))
)]
pub(crate) async fn show(
    State(state): State<AppState>,
    Operator(account): Operator,
    Path(id): Path<String>,
) -> Result<Json<OutboxItemOut>, ApiError> {
    let id = path_id::<OutboxId>(&id, "outbox item")?;
    let item = state.services.outbox.message(&account, id).await?;
    Ok(Json(OutboxItemOut::from(&item)))
}

/// Tries a failed or dead item again now, with a fresh count of attempts.
/// An item pending, being sent or sent is left as it is.
#[utoipa::path(
    post,
    path = "/api/crm/outbox/{id}/retry",
    tag = "outbox",
    operation_id = "retry_outbox_item",
    params(("id" = String, Path, format = "uuid", description = "The item's id.")),
    responses((status = 200, description = "The item, due again.", body = OutboxItemOut))
)]
pub(crate) async fn retry(
    State(state): State<AppState>,
    Operator(account): Operator,
    Path(id): Path<String>,
) -> Result<Json<OutboxItemOut>, ApiError> {
    let id = path_id::<OutboxId>(&id, "outbox item")?;
    let item = state.services.outbox.retry(&account, id).await?;
    Ok(Json(OutboxItemOut::from(&item)))
}
