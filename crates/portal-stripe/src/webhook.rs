//! Stripe's webhooks: the `Stripe-Signature` header checked as Stripe
//! signs (`t=<unix time>,v1=<hex>[,v1=<hex>…]`, HMAC-SHA256 of
//! `"<t>.<body>"` keyed with the endpoint's secret; any `v1` may match,
//! so a secret can be rolled; the time within five minutes of now), then
//! the event read. async-stripe's `Webhook::construct_event` checks the
//! same signature but cannot read localstripe's events, so the adapter
//! reads them itself.

use hmac::{Hmac, KeyInit, Mac};
use portal_domain::model::PaymentId;
use portal_domain::ports::{EventEffect, ProcessorEvent, WebhookError, WebhookRequest};
use sha2::Sha256;

use crate::charges::{PAYMENT_ID, failure_message, wire_details};
use crate::client::clean;
use crate::methods::reference;
use crate::wire::{Event, Expandable, PaymentIntent};

/// The header Stripe signs with.
pub(crate) const SIGNATURE_HEADER: &str = "stripe-signature";
/// How far the signature's time may be from now, in seconds.
pub(crate) const TOLERANCE_SECONDS: i64 = 300;

/// Checks the signature and reads the event (Stripe sends one per
/// request).
pub(crate) fn parse(
    secret: &str,
    request: &WebhookRequest<'_>,
) -> Result<Vec<ProcessorEvent>, WebhookError> {
    let header = request
        .header(SIGNATURE_HEADER)
        .ok_or(WebhookError::BadSignature)?;
    let timestamp = verify(secret, header, request.body)?;
    if (request.now.timestamp() - timestamp).abs() > TOLERANCE_SECONDS {
        return Err(WebhookError::Stale);
    }
    let event: Event = serde_json::from_slice(request.body)
        .map_err(|e| WebhookError::Malformed(clean(&e.to_string())))?;
    Ok(vec![read(event)?])
}

/// The signature's time, when one of its `v1` signatures matches.
fn verify(secret: &str, header: &str, body: &[u8]) -> Result<i64, WebhookError> {
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
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes())
        .map_err(|_| WebhookError::BadSignature)?;
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    let matched = signatures
        .iter()
        .filter_map(|hex| decode_hex(hex))
        // `verify_slice` compares in constant time.
        .any(|signature| mac.clone().verify_slice(&signature).is_ok());
    if matched {
        Ok(timestamp)
    } else {
        Err(WebhookError::BadSignature)
    }
}

fn read(event: Event) -> Result<ProcessorEvent, WebhookError> {
    let id = reference(&event.id).map_err(|_| WebhookError::Malformed("an event id".into()))?;
    let effect = match event.kind.as_str() {
        "payment_intent.succeeded" => {
            let intent = intent(event.data.object)?;
            EventEffect::ChargeSucceeded {
                reference: intent_reference(&intent)?,
                payment: payment_of(&intent),
                method: intent
                    .payment_method
                    .as_ref()
                    .and_then(Expandable::object)
                    .and_then(|m| wire_details(m).ok()),
            }
        }
        "payment_intent.payment_failed" => {
            let intent = intent(event.data.object)?;
            if crate::charges::needs_authentication(&intent) {
                // An off-session charge that asks the cardholder to
                // authenticate: still waiting on the 3-D Secure step the
                // portal shows, not a failure.
                return Ok(ProcessorEvent {
                    id,
                    event_type: clean(&event.kind),
                    effect: EventEffect::Ignored,
                });
            }
            EventEffect::ChargeFailed {
                reference: intent_reference(&intent)?,
                payment: payment_of(&intent),
                message: failure_message(intent.last_payment_error.as_ref()),
            }
        }
        _ => EventEffect::Ignored,
    };
    Ok(ProcessorEvent {
        id,
        event_type: clean(&event.kind),
        effect,
    })
}

fn intent(object: serde_json::Value) -> Result<PaymentIntent, WebhookError> {
    serde_json::from_value(object)
        .map_err(|e| WebhookError::Malformed(format!("a PaymentIntent: {}", clean(&e.to_string()))))
}

fn intent_reference(
    intent: &PaymentIntent,
) -> Result<portal_domain::model::ProcessorRef, WebhookError> {
    reference(&intent.id).map_err(|_| WebhookError::Malformed("a PaymentIntent id".into()))
}

/// Our payment id, when the PaymentIntent is one of ours.
fn payment_of(intent: &PaymentIntent) -> Option<PaymentId> {
    intent.metadata.get(PAYMENT_ID)?.parse().ok()
}

fn decode_hex(text: &str) -> Option<Vec<u8>> {
    if !text.len().is_multiple_of(2) {
        return None;
    }
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(text.get(i..i + 2)?, 16).ok())
        .collect()
}

/// Signs `body` at `timestamp` as Stripe does: `v1`'s hex value.
#[cfg(test)]
pub(crate) fn sign(secret: &str, timestamp: i64, body: &[u8]) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("any key length");
    mac.update(format!("{timestamp}.").as_bytes());
    mac.update(body);
    mac.finalize()
        .into_bytes()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}
