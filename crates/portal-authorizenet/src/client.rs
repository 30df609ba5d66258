//! The transport: one JSON POST per call, the byte-order mark stripped,
//! and the gateway's failures translated into [`ProcessorError`].
//!
//! The gateway answers HTTP 200 whatever happened: the outcome is in
//! `messages.resultCode` (and, for transactions, in
//! `transactionResponse.responseCode`), read by the callers. What this
//! file decides is only whether an answer arrived and could be read.

use std::time::Duration;

use portal_domain::ports::{ProcessorError, ProcessorResult};
use serde::de::DeserializeOwned;

use crate::wire::request::{MerchantAuthentication, Request};
use crate::wire::response::Messages;

/// The UTF-8 byte-order mark every gateway answer starts with.
const BOM: &[u8] = b"\xEF\xBB\xBF";

/// How long to wait for a connection, at most.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// The API endpoint and the merchant's credentials.
pub(crate) struct Gateway {
    http: reqwest::Client,
    endpoint: String,
    auth: MerchantAuthentication,
}

impl std::fmt::Debug for Gateway {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Gateway")
            .field("endpoint", &self.endpoint)
            .field("auth", &self.auth)
            .finish_non_exhaustive()
    }
}

impl Gateway {
    /// # Errors
    /// [`ProcessorError::Rejected`] when no HTTP client can be built.
    pub(crate) fn new(
        endpoint: String,
        timeout: Duration,
        auth: MerchantAuthentication,
    ) -> ProcessorResult<Self> {
        let http = reqwest::Client::builder()
            .timeout(timeout)
            .connect_timeout(timeout.min(CONNECT_TIMEOUT))
            .build()
            .map_err(|e| ProcessorError::Rejected(format!("no HTTP client: {e}")))?;
        Ok(Self {
            http,
            endpoint,
            auth,
        })
    }

    pub(crate) fn auth(&self) -> MerchantAuthentication {
        self.auth.clone()
    }

    /// Sends `request` and reads the answer as `T`.
    ///
    /// # Errors
    /// [`ProcessorError::Unavailable`] when no answer arrived in time, the
    /// server failed (5xx, 429) or the answer cannot be read: the outcome
    /// of the request is unknown. [`ProcessorError::Rejected`] for any
    /// other HTTP status: the request was refused before the gateway.
    pub(crate) async fn call<T: DeserializeOwned>(&self, request: &Request) -> ProcessorResult<T> {
        let body = serde_json::to_vec(request).map_err(|e| {
            ProcessorError::Rejected(format!("cannot write {}: {e}", request.name()))
        })?;
        let response = self
            .http
            .post(&self.endpoint)
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .body(body)
            .send()
            .await
            .map_err(|e| unreachable_error(request, &e))?;
        let status = response.status();
        if status.is_server_error() || status == reqwest::StatusCode::TOO_MANY_REQUESTS {
            return Err(ProcessorError::Unavailable(format!(
                "Authorize.Net answered HTTP {status} to {}",
                request.name()
            )));
        }
        if !status.is_success() {
            return Err(ProcessorError::Rejected(format!(
                "Authorize.Net answered HTTP {status} to {}",
                request.name()
            )));
        }
        let bytes = response
            .bytes()
            .await
            .map_err(|e| unreachable_error(request, &e))?;
        read_answer(&bytes).map_err(|e| {
            ProcessorError::Unavailable(format!(
                "the answer to {} cannot be read: {e}",
                request.name()
            ))
        })
    }
}

fn unreachable_error(request: &Request, error: &reqwest::Error) -> ProcessorError {
    let what = if error.is_timeout() {
        "timed out"
    } else if error.is_connect() {
        "could not connect"
    } else {
        "failed"
    };
    ProcessorError::Unavailable(format!("{} {what}: {error}", request.name()))
}

/// Parses an answer, byte-order mark or not.
pub(crate) fn read_answer<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, serde_json::Error> {
    serde_json::from_slice(bytes.strip_prefix(BOM).unwrap_or(bytes))
}

/// What a refusal (`resultCode` `Error`) means when the caller has no
/// more specific reading of it.
pub(crate) fn refusal(messages: &Messages) -> ProcessorError {
    if messages.has("E00007") || messages.has("E00008") {
        return ProcessorError::Unauthorized(messages.summary());
    }
    if messages.has("E00040") {
        return ProcessorError::NotFound;
    }
    // "An error occurred during processing. Please try again." and
    // "Server in maintenance. Please try again later."
    if messages.has("E00001") || messages.has("E00104") {
        return ProcessorError::Unavailable(messages.summary());
    }
    if let Some(text) = messages.text_of("E00003") {
        return ProcessorError::Rejected(text.to_owned());
    }
    ProcessorError::Rejected(messages.summary())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::response::Basic;

    #[test]
    fn answers_read_with_or_without_the_byte_order_mark() {
        let text = r#"{"messages":{"resultCode":"Ok","message":[{"code":"I00001","text":"Successful."}]}}"#;
        let with_bom = [BOM, text.as_bytes()].concat();
        for bytes in [with_bom.as_slice(), text.as_bytes()] {
            let answer: Basic = read_answer(bytes).unwrap();
            assert!(answer.messages.is_ok());
        }
    }

    #[test]
    fn refusals_map_to_the_port_errors() {
        let read = |text: &str| -> ProcessorError {
            let answer: Basic = read_answer(text.as_bytes()).unwrap();
            refusal(&answer.messages)
        };
        assert!(matches!(
            read(
                r#"{"messages":{"resultCode":"Error","message":[{"code":"E00007","text":"User authentication failed due to invalid authentication values."}]}}"#
            ),
            ProcessorError::Unauthorized(_)
        ));
        assert_eq!(
            read(
                r#"{"messages":{"resultCode":"Error","message":[{"code":"E00040","text":"The record cannot be found."}]}}"#
            ),
            ProcessorError::NotFound
        );
        assert_eq!(
            read(
                r#"{"messages":{"resultCode":"Error","message":[{"code":"E00003","text":"The element 'transactionRequest' has invalid child element 'order'."}]}}"#
            ),
            ProcessorError::Rejected(
                "The element 'transactionRequest' has invalid child element 'order'.".into()
            )
        );
        assert!(read(r#"{"messages":{"resultCode":"Error","message":[{"code":"E00001","text":"An error occurred during processing. Please try again."}]}}"#).is_retryable());
    }
}
