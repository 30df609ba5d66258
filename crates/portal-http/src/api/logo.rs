//! `/api/crm/account/logo`: the image at the head of the account's
//! documents, a PNG or SVG sent as the raw body (up to
//! [`Logo::MAX_BYTES`], a limit of this route's own) and checked on
//! upload so that every stored logo renders.

use axum::body::Bytes;
use axum::extract::{FromRequest, Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use portal_domain::{Logo, LogoFormat};

use super::schema::Binary;
use crate::error::{ApiError, ErrorBody};
use crate::extract::{Operator, too_large};
use crate::state::AppState;

/// Shown where it is served: an SVG opened from this address can run
/// nothing and load nothing.
const LOGO_POLICY: &str = "default-src 'none'; style-src 'unsafe-inline'";

fn no_logo() -> ApiError {
    ApiError::new(
        StatusCode::NOT_FOUND,
        "not_found",
        "The account has no logo.",
    )
}

/// The account's logo, as it was uploaded.
#[utoipa::path(
    get,
    path = "/api/crm/account/logo",
    tag = "account",
    operation_id = "get_account_logo",
    responses(
        (status = 200, description = "The logo, in its own format.", content(
            (Binary = "image/png"),
            (Binary = "image/svg+xml"),
        )),
        (status = 404, description = "The account has no logo (`not_found`).", body = ErrorBody),
    )
)]
pub(crate) async fn show(
    State(state): State<AppState>,
    Operator(account): Operator,
) -> Result<Response, ApiError> {
    let logo = state
        .services
        .accounts
        .logo(&account)
        .await?
        .ok_or_else(no_logo)?;
    let mut response = logo.bytes().to_vec().into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(logo.format().content_type()),
    );
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(LOGO_POLICY),
    );
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(response)
}

/// Sets or replaces the account's logo: the image itself as the body,
/// `Content-Type: image/png` or `image/svg+xml`. Every document rendered
/// from now on carries it.
#[utoipa::path(
    put,
    path = "/api/crm/account/logo",
    tag = "account",
    operation_id = "set_account_logo",
    request_body(
        description = "The image: a PNG of at most 4096×4096 pixels, or an SVG with no DOCTYPE, entities, scripts or references to other files; at most 524288 bytes.",
        content(
            (Binary = "image/png"),
            (Binary = "image/svg+xml"),
        ),
    ),
    responses(
        (status = 204, description = "The logo is stored."),
        (status = 400, description = "The body could not be read (`invalid_body`).", body = ErrorBody),
        (status = 413, description = "The image is larger than 524288 bytes (`payload_too_large`).", body = ErrorBody),
        (status = 415, description = "The body is neither `image/png` nor `image/svg+xml` (`unsupported_media_type`).", body = ErrorBody),
        (status = 422, description = "The image is refused (`invalid_logo`), with the reason: empty, not the format its content type says, a PNG over 4096 pixels either way, or an SVG that declares a DOCTYPE or entities, holds a script or refers to another file.", body = ErrorBody),
    )
)]
pub(crate) async fn update(
    State(state): State<AppState>,
    Operator(account): Operator,
    request: Request,
) -> Result<StatusCode, ApiError> {
    let format = request
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(LogoFormat::from_content_type)
        .ok_or_else(|| {
            ApiError::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "unsupported_media_type",
                "Send the logo as the body with `Content-Type: image/png` or `image/svg+xml`.",
            )
        })?;
    let bytes = Bytes::from_request(request, &state)
        .await
        .map_err(|rejection| {
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
    let logo = Logo::new(format, bytes.to_vec())?;
    state
        .services
        .accounts
        .set_logo(&account, Some(&logo))
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Removes the account's logo; removing none is not an error.
#[utoipa::path(
    delete,
    path = "/api/crm/account/logo",
    tag = "account",
    operation_id = "delete_account_logo",
    responses((status = 204, description = "The account has no logo now."))
)]
pub(crate) async fn remove(
    State(state): State<AppState>,
    Operator(account): Operator,
) -> Result<StatusCode, ApiError> {
    state.services.accounts.set_logo(&account, None).await?;
    Ok(StatusCode::NO_CONTENT)
}
