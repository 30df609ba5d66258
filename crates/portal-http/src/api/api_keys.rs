//! `/api/crm/api-keys`: the account's operator API keys. A new key is shown
//! once; lists show a prefix to recognise it by, never the key or its hash;
//! a revoked key stops working at once; the last active key stays.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use portal_domain::{ApiKeyId, Name};

use super::dto::account::{ApiKeyOut, CreateApiKey, CreatedApiKeyOut};
use super::dto::clients::ListQuery;
use super::dto::{Paged, page, time};
use crate::error::{ApiError, ErrorBody};
use crate::extract::{ApiJson, ApiQuery, Operator, path_id};
use crate::state::AppState;

/// Adds an API key to the account.
#[utoipa::path(
    post,
    path = "/api/crm/api-keys",
    tag = "api-keys",
    operation_id = "create_api_key",
    request_body = CreateApiKey,
    responses((status = 201, description = "The new key; `key` is shown in this answer only.", body = CreatedApiKeyOut))
)]
pub(crate) async fn create(
    State(state): State<AppState>,
    Operator(account): Operator,
    ApiJson(body): ApiJson<CreateApiKey>,
) -> Result<(StatusCode, Json<CreatedApiKeyOut>), ApiError> {
    let name = Name::parse("name", &body.name.0)?;
    let created = state
        .services
        .accounts
        .create_api_key(&account, name)
        .await?;
    let record = created.record;
    Ok((
        StatusCode::CREATED,
        Json(CreatedApiKeyOut {
            id: record.id.to_string(),
            name: record.name.to_string(),
            prefix: record.prefix.clone(),
            created_at: time(record.created_at),
            key: created.api_key.reveal(),
        }),
    ))
}

/// The account's keys, oldest first, revoked ones included.
#[utoipa::path(
    get,
    path = "/api/crm/api-keys",
    tag = "api-keys",
    operation_id = "list_api_keys",
    params(ListQuery),
    responses((status = 200, description = "A page of keys.", body = Paged<ApiKeyOut>))
)]
pub(crate) async fn list(
    State(state): State<AppState>,
    Operator(account): Operator,
    ApiQuery(query): ApiQuery<ListQuery>,
) -> Result<Json<Paged<ApiKeyOut>>, ApiError> {
    let request = page(query.limit, query.cursor.as_deref())?;
    let keys = state.services.accounts.api_keys(&account, request).await?;
    Ok(Json(Paged::of(keys, |k| ApiKeyOut::from(&k))))
}

/// Revokes a key: requests with it fail from now on. Revoking a revoked
/// key changes nothing.
#[utoipa::path(
    delete,
    path = "/api/crm/api-keys/{id}",
    tag = "api-keys",
    operation_id = "revoke_api_key",
    params(("id" = String, Path, format = "uuid", description = "The key's id.")),
    responses(
        (status = 200, description = "The key, revoked.", body = ApiKeyOut),
        (status = 409, description = "It is the account's last active key (`last_api_key`): create another first.", body = ErrorBody),
    )
)]
pub(crate) async fn revoke(
    State(state): State<AppState>,
    Operator(account): Operator,
    Path(id): Path<String>,
) -> Result<Json<ApiKeyOut>, ApiError> {
    let id = path_id::<ApiKeyId>(&id, "API key")?;
    let key = state.services.accounts.revoke_api_key(&account, id).await?;
    Ok(Json(ApiKeyOut::from(&key)))
}
