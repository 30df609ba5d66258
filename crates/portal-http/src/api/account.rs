//! `GET`/`PATCH /api/crm/account`: the operator's own account and its
//! portal settings (session lifetime, idle timeout, link lifetime, URL).

use axum::Json;
use axum::extract::State;
use chrono::Duration;
use portal_domain::{Name, PublicUrl, SettingsPatch, ValidationError};

use super::dto::{AccountOut, PatchAccount};
use crate::error::ApiError;
use crate::extract::{ApiJson, Operator};
use crate::state::AppState;

pub(crate) async fn show(
    State(state): State<AppState>,
    Operator(account): Operator,
) -> Json<AccountOut> {
    Json(AccountOut::new(
        &account,
        state.portal.public_url(&account).as_str(),
    ))
}

pub(crate) async fn update(
    State(state): State<AppState>,
    Operator(account): Operator,
    ApiJson(body): ApiJson<PatchAccount>,
) -> Result<Json<AccountOut>, ApiError> {
    let name = body
        .name
        .as_deref()
        .map(|n| Name::parse("name", n))
        .transpose()?;
    let patch = SettingsPatch {
        session_lifetime: seconds("session_lifetime_seconds", body.session_lifetime_seconds)?,
        idle_timeout: seconds("idle_timeout_seconds", body.idle_timeout_seconds)?,
        link_lifetime: seconds("link_lifetime_seconds", body.link_lifetime_seconds)?,
        public_url: body
            .public_url
            .map(|url| url.map(|u| PublicUrl::parse("public_url", &u)).transpose())
            .transpose()?,
    };
    let account = state.portal.update_account(&account, name, patch).await?;
    Ok(Json(AccountOut::new(
        &account,
        state.portal.public_url(&account).as_str(),
    )))
}

fn seconds(field: &str, value: Option<i64>) -> Result<Option<Duration>, ValidationError> {
    value
        .map(|s| {
            Duration::try_seconds(s).ok_or_else(|| ValidationError::new(field, "is out of range"))
        })
        .transpose()
}
