//! Request extractors with this crate's error answers: JSON bodies, query
//! strings, the operator's API key, the browser's IP and user agent, and
//! the session cookie.

use std::net::{IpAddr, SocketAddr};

use axum::body::Bytes;
use axum::extract::rejection::{BytesRejection, QueryRejection};
use axum::extract::{ConnectInfo, FromRef, FromRequest, FromRequestParts, Query, Request};
use axum::http::request::Parts;
use axum::http::{HeaderMap, StatusCode, header};
use portal_domain::{Account, ClientInfo};
use serde::de::DeserializeOwned;

use crate::error::ApiError;
use crate::state::AppState;

/// A JSON request body. Refuses a non-JSON content type (415), an oversized
/// body (413), malformed JSON (400) and JSON of the wrong shape, unknown
/// fields included (422), each with a message saying what is wrong.
#[derive(Debug)]
pub(crate) struct ApiJson<T>(pub(crate) T);

impl<S, T> FromRequest<S> for ApiJson<T>
where
    S: Send + Sync,
    T: DeserializeOwned,
{
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, ApiError> {
        let json = req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(';').next())
            .is_some_and(|mime| mime.trim().eq_ignore_ascii_case("application/json"));
        let bytes = Bytes::from_request(req, state).await.map_err(body_error)?;
        let empty = bytes.iter().all(u8::is_ascii_whitespace);
        if !json && !empty {
            return Err(ApiError::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "unsupported_media_type",
                "Send the body as JSON with `Content-Type: application/json`.",
            ));
        }
        parse_json(&bytes).map(Self)
    }
}

/// Parses a JSON body; an empty body reads as `{}` for endpoints whose
/// fields are all optional.
pub(crate) fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    let bytes = if bytes.iter().all(u8::is_ascii_whitespace) {
        b"{}"
    } else {
        bytes
    };
    serde_json::from_slice(bytes).map_err(|e| {
        use serde_json::error::Category;
        match e.classify() {
            Category::Data => ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid_request",
                format!("The request body does not fit: {e}."),
            ),
            _ => ApiError::new(
                StatusCode::BAD_REQUEST,
                "invalid_json",
                format!("The request body is not valid JSON: {e}."),
            ),
        }
    })
}

fn body_error(rejection: BytesRejection) -> ApiError {
    if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
        ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "payload_too_large",
            "The request body is too large.",
        )
    } else {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            "invalid_body",
            "The request body could not be read.",
        )
    }
}

/// A query string, with a JSON error when it does not fit.
#[derive(Debug)]
pub(crate) struct ApiQuery<T>(pub(crate) T);

impl<S, T> FromRequestParts<S> for ApiQuery<T>
where
    S: Send + Sync,
    T: DeserializeOwned,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        Query::<T>::from_request_parts(parts, state)
            .await
            .map(|Query(q)| Self(q))
            .map_err(|e: QueryRejection| {
                ApiError::new(
                    StatusCode::BAD_REQUEST,
                    "invalid_query",
                    format!("The query string does not fit: {}.", e.body_text()),
                )
            })
    }
}

/// The account whose API key the request carries.
#[derive(Debug)]
pub(crate) struct Operator(pub(crate) Account);

impl<S> FromRequestParts<S> for Operator
where
    S: Send + Sync,
    AppState: FromRef<S>,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        let state = AppState::from_ref(state);
        let key = parts
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split_once(' '))
            .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
            .map(|(_, key)| key)
            .ok_or_else(ApiError::unauthorized)?;
        Ok(Self(state.portal.authenticate_operator(key.trim()).await?))
    }
}

/// The browser's IP address and user agent.
#[derive(Debug)]
pub(crate) struct Browser(pub(crate) ClientInfo);

impl<S> FromRequestParts<S> for Browser
where
    S: Send + Sync,
    AppState: FromRef<S>,
{
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let state = AppState::from_ref(state);
        let peer = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map(|c| c.0.ip());
        let ip = if state.config.trust_forwarded_for {
            forwarded_for(&parts.headers).or(peer)
        } else {
            peer
        };
        let user_agent = parts
            .headers
            .get(header::USER_AGENT)
            .and_then(|v| v.to_str().ok());
        Ok(Self(ClientInfo::new(ip, user_agent)))
    }
}

/// The address the nearest proxy saw: the last `X-Forwarded-For` entry.
fn forwarded_for(headers: &HeaderMap) -> Option<IpAddr> {
    headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .next_back()
        .and_then(|ip| ip.trim().parse().ok())
}

/// The value of the cookie named `name`, if the request carries it.
pub(crate) fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(key, _)| *key == name)
        .map(|(_, value)| value.trim_matches('"'))
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    #[test]
    fn cookies_are_found_by_exact_name() {
        let mut headers = HeaderMap::new();
        headers.insert(
            header::COOKIE,
            HeaderValue::from_static("a=1; portal_session=abc; portal_session_x=no"),
        );
        assert_eq!(cookie(&headers, "portal_session"), Some("abc"));
        assert_eq!(cookie(&headers, "portal"), None);
    }

    #[test]
    fn the_last_forwarded_address_is_the_one_the_proxy_saw() {
        let mut headers = HeaderMap::new();
        headers.insert(
            "x-forwarded-for",
            HeaderValue::from_static("1.2.3.4, 198.51.100.2"),
        );
        assert_eq!(forwarded_for(&headers), "198.51.100.2".parse().ok());
        headers.insert("x-forwarded-for", HeaderValue::from_static("garbage"));
        assert_eq!(forwarded_for(&headers), None);
    }

    #[test]
    fn empty_bodies_read_as_empty_objects_and_bad_json_is_explained() {
        let value: serde_json::Value = parse_json(b"  ").unwrap();
        assert_eq!(value, serde_json::json!({}));
        let err = parse_json::<serde_json::Value>(b"{\"a\":").unwrap_err();
        assert_eq!(err.status(), StatusCode::BAD_REQUEST);
    }
}
