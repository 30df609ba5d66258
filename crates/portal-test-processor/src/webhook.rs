//! The test processor's webhooks: signed like Stripe's, with a header
//! `x-test-signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "t.body">`
//! under the connection's webhook secret, and a small JSON body per event.

use chrono::{DateTime, Utc};
use hmac::{Hmac, KeyInit, Mac};
use serde::{Deserialize, Serialize};
use sha2::Sha256;

use portal_domain::model::{PaymentId, ProcessorRef};
use portal_domain::ports::{EventEffect, ProcessorEvent, WebhookError, WebhookRequest};

use crate::mint;

/// The header carrying the signature (lower case, as
/// [`WebhookRequest::header`] looks it up).
pub const SIGNATURE_HEADER: &str = "x-test-signature";

/// How far a signature's time may be from now, either way, in seconds.
pub const TOLERANCE_SECONDS: i64 = 300;

/// The event type of a charge that succeeded.
pub const CHARGE_SUCCEEDED: &str = "charge.succeeded";
/// The event type of a charge that failed.
pub const CHARGE_FAILED: &str = "charge.failed";

/// One event as the test processor sends it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EventBody {
    pub id: String,
    #[serde(rename = "type")]
    pub event_type: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub charge: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payment_id: Option<String>,
    /// Why a charge failed, fit for the client.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
}

impl EventBody {
    /// A fresh event about `charge`.
    pub fn charge(
        event_type: &str,
        charge: &ProcessorRef,
        payment: PaymentId,
        message: Option<String>,
    ) -> Self {
        Self {
            id: mint::reference("evt").to_string(),
            event_type: event_type.to_owned(),
            charge: Some(charge.to_string()),
            payment_id: Some(payment.to_string()),
            message,
        }
    }

    pub fn to_json(&self) -> Vec<u8> {
        serde_json::to_vec(self).unwrap_or_else(|_| unreachable!("strings always serialize"))
    }
}

/// A webhook ready to send: its body and the signature header's value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignedWebhook {
    pub body: Vec<u8>,
    pub signature: String,
}

impl SignedWebhook {
    pub fn new(secret: &str, now: DateTime<Utc>, body: Vec<u8>) -> Self {
        let signature = sign_webhook(secret, now, &body);
        Self { body, signature }
    }

    /// The headers to send it with (lower-case names).
    pub fn headers(&self) -> Vec<(String, String)> {
        vec![
            (SIGNATURE_HEADER.to_owned(), self.signature.clone()),
            ("content-type".to_owned(), "application/json".to_owned()),
        ]
    }
}

fn mac(secret: &str, timestamp: i64, body: &[u8]) -> Hmac<Sha256> {
    let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(secret.as_bytes())
        .unwrap_or_else(|_| unreachable!("HMAC takes keys of any length"));
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    mac
}

/// The signature header's value for `body` sent at `now`:
/// `t=<unix seconds>,v1=<hex>`.
pub fn sign_webhook(secret: &str, now: DateTime<Utc>, body: &[u8]) -> String {
    let timestamp = now.timestamp();
    let digest = mac(secret, timestamp, body).finalize().into_bytes();
    format!("t={timestamp},v1={}", mint::to_hex(&digest))
}

fn from_hex(text: &str) -> Option<Vec<u8>> {
    if !text.len().is_multiple_of(2) {
        return None;
    }
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(text.get(i..i + 2)?, 16).ok())
        .collect()
}

/// Checks the signature of `request` under `secret`: any one `v1` value
/// may match (a rotated secret signs twice), in constant time; then the
/// time must be within [`TOLERANCE_SECONDS`] of now.
pub(crate) fn verify(secret: &str, request: &WebhookRequest<'_>) -> Result<(), WebhookError> {
    let header = request
        .header(SIGNATURE_HEADER)
        .ok_or(WebhookError::BadSignature)?;
    let mut timestamp = None;
    let mut signatures = Vec::new();
    for part in header.split(',') {
        match part.trim().split_once('=') {
            Some(("t", value)) => timestamp = value.parse::<i64>().ok(),
            Some(("v1", value)) => signatures.push(value),
            _ => {}
        }
    }
    let timestamp = timestamp.ok_or(WebhookError::BadSignature)?;
    let matches = signatures.iter().any(|signature| {
        from_hex(signature).is_some_and(|bytes| {
            mac(secret, timestamp, request.body)
                .verify_slice(&bytes)
                .is_ok()
        })
    });
    if !matches {
        return Err(WebhookError::BadSignature);
    }
    if (request.now.timestamp() - timestamp).abs() > TOLERANCE_SECONDS {
        return Err(WebhookError::Stale);
    }
    Ok(())
}

/// A failure message as sent, made safe to keep and show: no control
/// characters, at most 300 characters.
fn clean_message(message: &str) -> String {
    let cleaned: String = message
        .chars()
        .filter(|c| !c.is_control())
        .take(300)
        .collect();
    cleaned.trim().to_owned()
}

/// Reads a verified body: one event.
pub(crate) fn parse(body: &[u8]) -> Result<Vec<ProcessorEvent>, WebhookError> {
    let event: EventBody =
        serde_json::from_slice(body).map_err(|e| WebhookError::Malformed(e.to_string()))?;
    let id = ProcessorRef::parse(&event.id)
        .map_err(|_| WebhookError::Malformed("the event id is not a reference".into()))?;
    let charge = || {
        event
            .charge
            .as_deref()
            .and_then(|c| ProcessorRef::parse(c).ok())
            .ok_or_else(|| WebhookError::Malformed("a charge event names no charge".into()))
    };
    let payment = event
        .payment_id
        .as_deref()
        .map(|p| {
            p.parse::<PaymentId>()
                .map_err(|_| WebhookError::Malformed("the payment id is not a UUID".into()))
        })
        .transpose()?;
    let effect = match event.event_type.as_str() {
        CHARGE_SUCCEEDED => EventEffect::ChargeSucceeded {
            reference: charge()?,
            payment,
            method: None,
        },
        CHARGE_FAILED => EventEffect::ChargeFailed {
            reference: charge()?,
            payment,
            message: event
                .message
                .as_deref()
                .map(clean_message)
                .filter(|m| !m.is_empty())
                .unwrap_or_else(|| "The payment failed.".into()),
        },
        _ => EventEffect::Ignored,
    };
    Ok(vec![ProcessorEvent {
        id,
        event_type: event.event_type,
        effect,
    }])
}
