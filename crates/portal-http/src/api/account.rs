//! `GET`/`PATCH /api/crm/account`: the operator's own account and its
//! portal settings (session lifetime, idle timeout, link lifetime, URL,
//! time zone, partial payments) and what its documents carry (address,
//! accent colour, payment instructions). The logo is in `logo.rs`.

use axum::Json;
use axum::extract::State;
use chrono::Duration;
use portal_domain::{
    AccentColour, Address, Name, PaymentInstructions, SettingsPatch, TimeZone, ValidationError,
};

use super::dto::account::{AccountOut, PatchAccount};
use super::schema;
use crate::error::{ApiError, ErrorBody};
use crate::extract::{ApiJson, Operator};
use crate::state::AppState;

/// The account the API key belongs to.
#[utoipa::path(
    get,
    path = "/api/crm/account",
    tag = "account",
    operation_id = "get_account",
    responses((status = 200, description = "The account and its settings.", body = AccountOut))
)]
pub(crate) async fn show(
    State(state): State<AppState>,
    Operator(account): Operator,
) -> Json<AccountOut> {
    Json(AccountOut::new(
        &account,
        state.services.public_url(&account).as_str(),
    ))
}

/// Renames the account or changes its settings, checked as a whole.
#[utoipa::path(
    patch,
    path = "/api/crm/account",
    tag = "account",
    operation_id = "update_account",
    request_body = PatchAccount,
    responses(
        (status = 200, description = "The account after the change.", body = AccountOut),
        (status = 409, description = "The account changed meanwhile (`concurrent_change`).", body = ErrorBody),
    )
)]
pub(crate) async fn update(
    State(state): State<AppState>,
    Operator(account): Operator,
    ApiJson(body): ApiJson<PatchAccount>,
) -> Result<Json<AccountOut>, ApiError> {
    let name = body
        .name
        .as_ref()
        .map(|n| Name::parse("name", &n.0))
        .transpose()?;
    let patch = SettingsPatch {
        session_lifetime: seconds("session_lifetime_seconds", body.session_lifetime_seconds)?,
        idle_timeout: seconds("idle_timeout_seconds", body.idle_timeout_seconds)?,
        link_lifetime: seconds("link_lifetime_seconds", body.link_lifetime_seconds)?,
        public_url: body
            .public_url
            .map(|url| {
                url.map(|u| schema::public_url("public_url", &u))
                    .transpose()
            })
            .transpose()?,
        time_zone: body
            .time_zone
            .map(|tz| TimeZone::parse("time_zone", &tz.0))
            .transpose()?,
        allow_partial_payments: body.allow_partial_payments,
        address: body
            .address
            .map(|a| a.map(|t| Address::parse("address", &t.0)).transpose())
            .transpose()?,
        accent_colour: body
            .accent_colour
            .map(|c| AccentColour::parse("accent_colour", &c.0))
            .transpose()?,
        payment_instructions: body
            .payment_instructions
            .map(|p| {
                p.map(|t| PaymentInstructions::parse("payment_instructions", &t.0))
                    .transpose()
            })
            .transpose()?,
    };
    let account = state
        .services
        .accounts
        .update_account(&account, name, patch)
        .await?;
    Ok(Json(AccountOut::new(
        &account,
        state.services.public_url(&account).as_str(),
    )))
}

fn seconds(field: &str, value: Option<i64>) -> Result<Option<Duration>, ValidationError> {
    value
        .map(|s| {
            Duration::try_seconds(s).ok_or_else(|| ValidationError::new(field, "is out of range"))
        })
        .transpose()
}
