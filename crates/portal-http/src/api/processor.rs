//! `/api/crm/account/processor`: the card and bank processor the account's
//! clients pay through. Connecting stores the credentials sealed under
//! the server key and checks them; no answer ever shows a secret.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use portal_domain::Account;
use portal_domain::service::ProcessorStatus;

use super::dto::processor::{ConnectProcessor, ProcessorOut};
use crate::error::{ApiError, ErrorBody};
use crate::extract::{ApiJson, Operator};
use crate::state::AppState;

/// The answer for `status`: the connection and its webhook address.
fn answer(state: &AppState, account: &Account, status: &ProcessorStatus) -> ProcessorOut {
    let webhook_url = match status {
        ProcessorStatus::NotConfigured => None,
        ProcessorStatus::Connected { kind, .. } => Some(
            state
                .services
                .public_url(account)
                .join(&crate::webhooks::path(*kind, account.id)),
        ),
    };
    ProcessorOut::new(status, webhook_url)
}

/// The account's processor connection and how its last contact went.
#[utoipa::path(
    get,
    path = "/api/crm/account/processor",
    tag = "account",
    operation_id = "get_processor",
    responses((status = 200, description = "The connection, or `not_configured`; never a secret.", body = ProcessorOut))
)]
pub(crate) async fn show(
    State(state): State<AppState>,
    Operator(account): Operator,
) -> Result<Json<ProcessorOut>, ApiError> {
    let status = state.services.processors.status(&account).await?;
    Ok(Json(answer(&state, &account, &status)))
}

/// Connects a processor, replacing any other, and checks it.
///
/// A failing check still connects (the answer says `failing` and why), so
/// the processor's side can be fixed and checked again. Methods clients
/// saved under a replaced connection are no longer offered.
#[utoipa::path(
    put,
    path = "/api/crm/account/processor",
    tag = "account",
    operation_id = "connect_processor",
    request_body = ConnectProcessor,
    responses(
        (status = 200, description = "The connection after the check; never a secret.", body = ProcessorOut),
    )
)]
pub(crate) async fn connect(
    State(state): State<AppState>,
    Operator(account): Operator,
    ApiJson(body): ApiJson<ConnectProcessor>,
) -> Result<Json<ProcessorOut>, ApiError> {
    let status = state
        .services
        .processors
        .connect(&account, body.domain()?)
        .await?;
    Ok(Json(answer(&state, &account, &status)))
}

/// Disconnects the processor.
///
/// Clients can no longer pay or change saved methods in the portal.
/// Disconnecting when none is connected does nothing.
#[utoipa::path(
    delete,
    path = "/api/crm/account/processor",
    tag = "account",
    operation_id = "disconnect_processor",
    responses((status = 204, description = "No processor is connected now."))
)]
pub(crate) async fn disconnect(
    State(state): State<AppState>,
    Operator(account): Operator,
) -> Result<StatusCode, ApiError> {
    state.services.processors.disconnect(&account).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Asks the processor whether the stored credentials work.
///
/// The answer is recorded in the connection's status.
#[utoipa::path(
    post,
    path = "/api/crm/account/processor/check",
    tag = "account",
    operation_id = "check_processor",
    responses(
        (status = 200, description = "The credentials work; the connection after the check.", body = ProcessorOut),
        (status = 409, description = "No processor is connected (`processor_not_configured`).", body = ErrorBody),
        (status = 500, description = "The stored credentials cannot be opened with this server's key (`processor_credentials_unreadable`): connect the processor again.", body = ErrorBody),
        (status = 502, description = "The processor could not be reached or failed (`processor_unavailable`), refused the credentials (`processor_unauthorized`) or refused the check (`processor_refused`). The connection is `failing` now, with this error as `last_error`.", body = ErrorBody),
    )
)]
pub(crate) async fn check(
    State(state): State<AppState>,
    Operator(account): Operator,
) -> Result<Json<ProcessorOut>, ApiError> {
    let status = state.services.processors.check(&account).await?;
    Ok(Json(answer(&state, &account, &status)))
}
