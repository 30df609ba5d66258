//! `POST /webhooks/{processor}/{account_id}`: the events a processor sends
//! about an account's charges (a bank debit settled or returned, a 3-D
//! Secure charge completed). No API key: each request is authenticated by
//! the processor's signature over the raw body, which the account's
//! processor checks before anything is applied. Each event is applied
//! once; a replay is counted as a duplicate and changes nothing.
//!
//! Answers: `200` with what was applied; `400` for a forged, stale or
//! malformed request (nothing applied, and the processor need not retry);
//! `404` when no account takes this processor's webhooks at this address;
//! `5xx` when something failed here, so the processor sends it again.

use std::borrow::Cow;

use axum::Json;
use axum::Router;
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{DefaultBodyLimit, Path, State};
use axum::http::{HeaderMap, StatusCode};
use portal_domain::ports::WebhookRequest;
use portal_domain::service::WebhookApplyError;
use portal_domain::{AccountId, ProcessorKind};
use serde::Serialize;
use utoipa::openapi::schema::{ObjectBuilder, Type};
use utoipa::openapi::{RefOr, Schema};
use utoipa::{PartialSchema, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::error::{ApiError, ErrorBody};
use crate::extract::too_large;
use crate::state::AppState;

/// The largest webhook body taken, in bytes: processors' events are a few
/// kilobytes.
pub(crate) const BODY_LIMIT: usize = 64 * 1024;

/// Where `kind` sends its webhooks for `account`, under the public URL.
pub(crate) fn path(kind: ProcessorKind, account: AccountId) -> String {
    format!("/webhooks/{}/{account}", kind.path_segment())
}

/// The documented webhook operation.
pub(crate) fn operations() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(receive))
}

/// The webhook routes, with their own body limit, answering other methods
/// as the API does.
pub(crate) fn routes() -> Router<AppState> {
    let (router, _) = operations().split_for_parts();
    router
        .layer(DefaultBodyLimit::max(BODY_LIMIT))
        .method_not_allowed_fallback(crate::api::method_not_allowed)
}

/// The processor segment of a webhook address.
struct ProcessorSegment;

impl PartialSchema for ProcessorSegment {
    fn schema() -> RefOr<Schema> {
        ObjectBuilder::new()
            .schema_type(Type::String)
            .description(Some(
                "The processor the account is connected to, as in the connection's `webhook_url`.",
            ))
            .enum_values(Some(ProcessorKind::ALL.map(ProcessorKind::path_segment)))
            .into()
    }
}

impl ToSchema for ProcessorSegment {
    fn name() -> Cow<'static, str> {
        Cow::Borrowed("WebhookProcessor")
    }
}

/// What a webhook delivery did.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct WebhookReceipt {
    /// Always `true`: the delivery was verified and taken.
    received: bool,
    /// Events applied now.
    applied: usize,
    /// Events applied by an earlier delivery: nothing changed.
    duplicates: usize,
    /// Events of no interest, or about payments the portal does not know:
    /// recorded only.
    ignored: usize,
}

/// Takes a processor's webhook delivery for an account.
#[utoipa::path(
    post,
    path = "/webhooks/{processor}/{account_id}",
    tag = "webhooks",
    operation_id = "receive_webhook",
    security(()),
    params(
        ("processor" = inline(ProcessorSegment), Path),
        ("account_id" = String, Path, format = "uuid", description = "The account's id, as in the connection's `webhook_url`."),
    ),
    request_body(
        content = serde_json::Value,
        content_type = "application/json",
        description = "The event as the processor sent it, signed over its exact bytes: `Stripe-Signature` for Stripe, `X-ANET-Signature` for Authorize.Net, `X-Test-Signature` for the test processor. At most 64 KiB.",
    ),
    responses(
        (status = 200, description = "Verified; what was applied.", body = WebhookReceipt),
        (status = 400, description = "Nothing was applied: the signature is missing or wrong (`webhook_signature_invalid`), its time is outside the processor's tolerance (`webhook_stale`), or the body is no event (`webhook_malformed`); or the body could not be read (`invalid_body`).", body = ErrorBody),
        (status = 404, description = "No account takes this processor's webhooks at this address (`not_found`).", body = ErrorBody),
        (status = 413, description = "The body is over 64 KiB (`payload_too_large`).", body = ErrorBody),
        (status = 500, description = "Something failed on the server (`internal_error`); the processor sends the event again.", body = ErrorBody),
    )
)]
pub(crate) async fn receive(
    State(state): State<AppState>,
    Path((processor, account)): Path<(String, String)>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Json<WebhookReceipt>, ApiError> {
    let unknown = || ApiError::from(WebhookApplyError::UnknownEndpoint);
    let kind = ProcessorKind::from_path_segment(&processor).ok_or_else(unknown)?;
    let account: AccountId = account.parse().map_err(|_| unknown())?;
    let body = body.map_err(|rejection| {
        if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
            too_large()
        } else {
            ApiError::new(
                StatusCode::BAD_REQUEST,
                "invalid_body",
                "The request body could not be read.",
            )
        }
    })?;
    let headers: Vec<(String, String)> = headers
        .iter()
        .map(|(name, value)| {
            (
                name.as_str().to_owned(),
                String::from_utf8_lossy(value.as_bytes()).into_owned(),
            )
        })
        .collect();
    let request = WebhookRequest {
        headers: &headers,
        body: &body,
        now: state.services.now(),
    };
    match state
        .services
        .checkouts
        .apply_webhook(account, kind, &request)
        .await
    {
        Ok(report) => {
            tracing::info!(
                processor = kind.as_str(),
                applied = report.applied,
                duplicates = report.duplicates,
                ignored = report.ignored,
                "webhook taken"
            );
            Ok(Json(WebhookReceipt {
                received: true,
                applied: report.applied,
                duplicates: report.duplicates,
                ignored: report.ignored,
            }))
        }
        Err(err) => {
            match &err {
                WebhookApplyError::UnknownEndpoint => {
                    tracing::info!(processor = kind.as_str(), "webhook for no account");
                }
                WebhookApplyError::Refused(why) => {
                    tracing::warn!(processor = kind.as_str(), error = %why, "webhook refused");
                }
                // Logged with their cause where they become answers.
                _ => {}
            }
            Err(err.into())
        }
    }
}
