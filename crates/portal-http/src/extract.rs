//! Request extractors with this crate's error answers: JSON bodies, query
//! strings, ids in paths, the operator's API key, the browser's IP and
//! user agent, and cookies.

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
/// fields included (422), each with a message saying what is wrong and,
/// for a value of the wrong type, the field it is in.
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
/// fields are all optional. A value that does not fit names its field:
/// `allocations[1].amount`.
pub(crate) fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    let bytes = if bytes.iter().all(u8::is_ascii_whitespace) {
        b"{}"
    } else {
        bytes
    };
    let mut deserializer = serde_json::Deserializer::from_slice(bytes);
    let value = serde_path_to_error::deserialize(&mut deserializer).map_err(|e| {
        use serde_json::error::Category;
        let path = e.path().to_string();
        let inner = e.into_inner();
        match inner.classify() {
            Category::Data => {
                let field = missing_field(&inner.to_string())
                    .map(|name| join(&path, &name))
                    .or_else(|| (path != ".").then_some(path));
                let error = ApiError::new(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    "invalid_request",
                    format!("The request body does not fit: {inner}."),
                );
                match field {
                    Some(field) => error.at(field),
                    None => error,
                }
            }
            _ => ApiError::new(
                StatusCode::BAD_REQUEST,
                "invalid_json",
                format!("The request body is not valid JSON: {inner}."),
            ),
        }
    })?;
    deserializer.end().map_err(|e| {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            "invalid_json",
            format!("The request body is not valid JSON: {e}."),
        )
    })?;
    Ok(value)
}

/// The field serde says is missing: "missing field `name` at …".
fn missing_field(message: &str) -> Option<String> {
    let rest = message.strip_prefix("missing field `")?;
    rest.split_once('`').map(|(name, _)| name.to_owned())
}

/// `name` inside the object at `path` (`.` is the body itself).
fn join(path: &str, name: &str) -> String {
    if path == "." {
        name.to_owned()
    } else {
        format!("{path}.{name}")
    }
}

fn body_error(rejection: BytesRejection) -> ApiError {
    if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
        too_large()
    } else {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            "invalid_body",
            "The request body could not be read.",
        )
    }
}

/// 413 for a body over the limit.
pub(crate) fn too_large() -> ApiError {
    ApiError::new(
        StatusCode::PAYLOAD_TOO_LARGE,
        "payload_too_large",
        "The request body is too large.",
    )
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
                ApiError::invalid_query(format!(
                    "The query string does not fit: {}.",
                    e.body_text()
                ))
            })
    }
}

/// An id in the path that does not parse names nothing: not found.
pub(crate) fn path_id<T: std::str::FromStr>(text: &str, what: &str) -> Result<T, ApiError> {
    text.parse().map_err(|_| ApiError::not_found(what))
}

/// The account an earlier step of this request authenticated (the
/// idempotency layer does, to scope keys), so the key is looked up once.
#[derive(Debug, Clone)]
pub(crate) struct Authenticated(pub(crate) Account);

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
        if let Some(Authenticated(account)) = parts.extensions.get::<Authenticated>() {
            return Ok(Self(account.clone()));
        }
        let state = AppState::from_ref(state);
        let key = bearer(&parts.headers).ok_or_else(ApiError::unauthorized)?;
        Ok(Self(
            state.services.accounts.authenticate_operator(key).await?,
        ))
    }
}

/// The key of an `Authorization: Bearer <key>` header.
pub(crate) fn bearer(headers: &HeaderMap) -> Option<&str> {
    headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split_once(' '))
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
        .map(|(_, key)| key.trim())
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
        Ok(Self(ClientInfo::new(
            ip,
            user_agent(&parts.headers).as_deref(),
        )))
    }
}

/// The `User-Agent` header, with bytes that are not UTF-8 replaced rather
/// than the whole value dropped: the audit trail keeps what it can.
fn user_agent(headers: &HeaderMap) -> Option<String> {
    headers
        .get(header::USER_AGENT)
        .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned())
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
    use serde::Deserialize;

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
    fn user_agents_that_are_not_utf8_are_kept_lossily() {
        let mut headers = HeaderMap::new();
        headers.insert(
            header::USER_AGENT,
            HeaderValue::from_bytes(b"Mozilla/5.0 (\xe9t\xe9)").unwrap(),
        );
        assert_eq!(
            user_agent(&headers).as_deref(),
            Some("Mozilla/5.0 (\u{FFFD}t\u{FFFD})")
        );
    }

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Outer {
        name: String,
        items: Vec<Inner>,
    }

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Inner {
        amount: i64,
    }

    #[test]
    fn bodies_that_do_not_fit_name_the_field() {
        let value: serde_json::Value = parse_json(b"  ").unwrap();
        assert_eq!(value, serde_json::json!({}));
        let err = parse_json::<serde_json::Value>(b"{\"a\":").unwrap_err();
        assert_eq!(err.status(), StatusCode::BAD_REQUEST);
        let err = parse_json::<serde_json::Value>(b"{} {}").unwrap_err();
        assert_eq!(err.code(), "invalid_json");

        let err = parse_json::<Outer>(br#"{"name":"x","items":[{"amount":1},{"amount":"2"}]}"#)
            .unwrap_err();
        assert_eq!(
            (err.status(), err.code(), err.field()),
            (
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid_request",
                Some("items[1].amount")
            )
        );
        let err = parse_json::<Outer>(br#"{"name":"x","items":[{}]}"#).unwrap_err();
        assert_eq!(err.field(), Some("items[0].amount"));
        let err = parse_json::<Outer>(br#"{"items":[]}"#).unwrap_err();
        assert_eq!(err.field(), Some("name"));
        let err = parse_json::<Outer>(br#"{"name":"x","items":[],"extra":1}"#).unwrap_err();
        assert_eq!(err.code(), "invalid_request");
        let err = parse_json::<Outer>(br#""text""#).unwrap_err();
        assert_eq!(err.field(), None);
    }
}
