//! Sending requests through async-stripe (transport, authentication,
//! idempotency keys, Stripe's error bodies) and translating what goes
//! wrong into the port's errors.
//!
//! Error policy: no answer in time, no connection, a 5xx, 409 (a request
//! with the same idempotency key still running) or 429, and an error
//! answer that is not Stripe's (a proxy's page) are [`ProcessorError::Unavailable`]:
//! worth retrying. 401 and 403 are [`ProcessorError::Unauthorized`]; 404 and
//! `resource_missing` are [`ProcessorError::NotFound`]; 402 is a card
//! refused, [`ProcessorError::Declined`] with a message for the client
//! (charges turn it into a failed outcome instead). Anything else Stripe
//! refused is [`ProcessorError::Rejected`].

use miniserde::json::Value;
use portal_domain::ports::ProcessorError;
use serde::de::DeserializeOwned;
use stripe::{Client, ClientBuilder, IdempotencyKey, RequestStrategy, StripeError, StripeRequest};

use crate::StripeConfig;

/// async-stripe's message when an error answer is not a Stripe error.
const NOT_A_STRIPE_ERROR: &str = "error deserializing Stripe error";

/// The longest processor message the portal keeps or shows.
const MAX_MESSAGE: usize = 300;

/// What a refused request told.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Refusal {
    pub(crate) status: u16,
    /// `card_error`, `invalid_request_error`, `api_error`, ...
    pub(crate) kind: String,
    pub(crate) code: Option<String>,
    pub(crate) message: Option<String>,
    /// The PaymentIntent a refused confirmation left behind, when Stripe
    /// names it (localstripe does not).
    pub(crate) payment_intent: Option<String>,
}

impl Refusal {
    /// A card refused (Stripe answers 402 for card errors; localstripe
    /// also calls them `invalid_request_error`).
    pub(crate) fn is_card_error(&self) -> bool {
        self.status == 402 || self.kind == "card_error"
    }

    fn is_missing(&self) -> bool {
        self.status == 404 || self.code.as_deref() == Some("resource_missing")
    }

    fn is_transient(&self) -> bool {
        matches!(self.status, 409 | 429) || self.status >= 500
    }

    fn described(&self) -> String {
        let message = self.message.as_deref().map(clean).unwrap_or_default();
        match &self.code {
            Some(code) => format!("{} {} ({code}): {message}", self.status, self.kind),
            None => format!("{} {}: {message}", self.status, self.kind),
        }
    }
}

/// A failed call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum CallError {
    Unavailable(String),
    Refused(Refusal),
    /// A success answer that could not be read.
    Unreadable(String),
}

impl From<StripeError> for CallError {
    fn from(error: StripeError) -> Self {
        match error {
            StripeError::Timeout => Self::Unavailable("no answer in time".into()),
            StripeError::ClientError(message) => Self::Unavailable(clean(&message)),
            StripeError::JSONDeserialize(message) if message == NOT_A_STRIPE_ERROR => {
                Self::Unavailable("an error answer that is not Stripe's".into())
            }
            StripeError::JSONDeserialize(message) => Self::Unreadable(clean(&message)),
            StripeError::ConfigError(message) => Self::Unreadable(clean(&message)),
            StripeError::Stripe(error, status) => Self::Refused(Refusal {
                status,
                kind: error.type_.as_str().to_owned(),
                code: error.code.as_ref().map(|c| c.as_str().to_owned()),
                message: error.message.clone(),
                payment_intent: error
                    .payment_intent
                    .as_ref()
                    .map(|intent| intent.id.as_str().to_owned()),
            }),
        }
    }
}

impl From<CallError> for ProcessorError {
    fn from(error: CallError) -> Self {
        match error {
            CallError::Unavailable(message) => Self::Unavailable(message),
            CallError::Unreadable(message) => {
                Self::Rejected(format!("an answer that cannot be read: {message}"))
            }
            CallError::Refused(refusal) if refusal.is_transient() => {
                Self::Unavailable(refusal.described())
            }
            CallError::Refused(refusal) if matches!(refusal.status, 401 | 403) => {
                Self::Unauthorized(refusal.described())
            }
            CallError::Refused(refusal) if refusal.is_missing() => Self::NotFound,
            CallError::Refused(refusal) if refusal.is_card_error() => {
                Self::Declined(card_message(refusal.message.as_deref()))
            }
            CallError::Refused(refusal) => Self::Rejected(refusal.described()),
        }
    }
}

/// A card error's message for the client: Stripe writes those for
/// cardholders; a generic sentence when there is none.
pub(crate) fn card_message(message: Option<&str>) -> String {
    message
        .map(clean)
        .filter(|m| !m.is_empty())
        .unwrap_or_else(|| "The card was declined.".to_owned())
}

/// A processor's text made safe to keep and show: no control characters,
/// at most [`MAX_MESSAGE`] characters.
pub(crate) fn clean(text: &str) -> String {
    let cleaned: String = text
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .take(MAX_MESSAGE)
        .collect();
    cleaned.trim().to_owned()
}

/// The async-stripe client of one account.
#[derive(Debug, Clone)]
pub(crate) struct Api {
    client: Client,
}

impl Api {
    pub(crate) fn new(config: &StripeConfig) -> Result<Self, ProcessorError> {
        let client = ClientBuilder::new(config.secret_key.expose())
            .url(config.api_base())
            .timeout(config.timeout)
            .request_strategy(RequestStrategy::Once)
            .build()
            .map_err(|e| ProcessorError::Rejected(format!("the Stripe settings: {e}")))?;
        Ok(Self { client })
    }

    /// Sends a request whose answer async-stripe decodes.
    pub(crate) async fn send<R>(&self, request: &R) -> Result<R::Output, CallError>
    where
        R: StripeRequest,
        R::Output: miniserde::Deserialize,
    {
        Ok(request.customize().send(&self.client).await?)
    }

    /// Sends a request built by async-stripe, with `idempotency_key` when
    /// given, and decodes the answer into the adapter's own type.
    pub(crate) async fn send_as<R, T>(
        &self,
        request: &R,
        idempotency_key: Option<&str>,
    ) -> Result<T, CallError>
    where
        R: StripeRequest,
        T: DeserializeOwned,
    {
        let mut customized = request.build().customize::<Value>();
        if let Some(key) = idempotency_key {
            let key = IdempotencyKey::new(key)
                .map_err(|e| CallError::Unreadable(format!("idempotency key: {e}")))?;
            customized = customized.request_strategy(RequestStrategy::Idempotent(key));
        }
        let value = customized.send(&self.client).await?;
        let text = miniserde::json::to_string(&value);
        serde_json::from_str(&text).map_err(|e| CallError::Unreadable(clean(&e.to_string())))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refused(status: u16, kind: &str, code: Option<&str>) -> ProcessorError {
        CallError::Refused(Refusal {
            status,
            kind: kind.into(),
            code: code.map(Into::into),
            message: Some("Your card was declined.".into()),
            payment_intent: None,
        })
        .into()
    }

    #[test]
    fn errors_map_to_the_port() {
        assert!(matches!(
            refused(500, "api_error", None),
            ProcessorError::Unavailable(_)
        ));
        assert!(matches!(
            refused(429, "invalid_request_error", Some("rate_limit")),
            ProcessorError::Unavailable(_)
        ));
        assert!(matches!(
            refused(401, "invalid_request_error", None),
            ProcessorError::Unauthorized(_)
        ));
        assert_eq!(
            refused(400, "invalid_request_error", Some("resource_missing")),
            ProcessorError::NotFound
        );
        assert_eq!(
            refused(404, "invalid_request_error", None),
            ProcessorError::NotFound
        );
        assert_eq!(
            refused(402, "card_error", Some("card_declined")),
            ProcessorError::Declined("Your card was declined.".into())
        );
        assert!(matches!(
            refused(400, "invalid_request_error", Some("parameter_unknown")),
            ProcessorError::Rejected(_)
        ));
        assert!(matches!(
            ProcessorError::from(CallError::from(StripeError::Timeout)),
            ProcessorError::Unavailable(_)
        ));
        assert!(matches!(
            ProcessorError::from(CallError::from(StripeError::JSONDeserialize(
                NOT_A_STRIPE_ERROR.into()
            ))),
            ProcessorError::Unavailable(_)
        ));
    }

    #[test]
    fn messages_are_cleaned_and_bounded() {
        assert_eq!(clean(" a\u{7}b\n"), "a b");
        assert_eq!(clean(&"x".repeat(1000)).len(), MAX_MESSAGE);
        assert_eq!(card_message(Some("  ")), "The card was declined.");
    }
}
