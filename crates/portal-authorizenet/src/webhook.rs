//! Webhook notifications: `X-ANET-Signature: sha512=<HEX>`, the
//! HMAC-SHA512 of the raw body keyed with the signature key's text (its
//! characters, not the bytes they spell in hexadecimal).
//!
//! Authorize.Net signs no timestamp apart from the body, whose `eventDate`
//! the signature covers. Events older than the configured bound (a week
//! by default, well past the gateway's retries) are refused as stale:
//! deduplication by `notificationId` stops replays while its records are
//! kept, the age bound stops them after, and a refused event loses
//! nothing, since reconciliation asks the gateway for the charge itself.

use std::time::Duration;

use chrono::{DateTime, Utc};
use hmac::{Hmac, KeyInit, Mac};
use portal_domain::model::ProcessorRef;
use portal_domain::ports::{EventEffect, ProcessorEvent, WebhookError, WebhookRequest};
use serde::Deserialize;
use sha2::Sha512;

type HmacSha512 = Hmac<Sha512>;

/// How far ahead of our clock an event may be dated.
const CLOCK_SKEW: chrono::Duration = chrono::Duration::minutes(15);

/// The `X-ANET-Signature` value for `body`: `sha512=` and the upper-case
/// hexadecimal HMAC-SHA512 keyed with `signature_key`'s text.
pub fn signature(signature_key: &str, body: &[u8]) -> String {
    let mut mac = <HmacSha512 as KeyInit>::new_from_slice(signature_key.as_bytes())
        .unwrap_or_else(|_| unreachable!("HMAC takes keys of any length"));
    mac.update(body);
    let digest = mac.finalize().into_bytes();
    let mut text = String::with_capacity(7 + 128);
    text.push_str("sha512=");
    for byte in digest {
        text.push_str(&format!("{byte:02X}"));
    }
    text
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Notification {
    notification_id: String,
    event_type: String,
    event_date: String,
    #[serde(default)]
    payload: Payload,
}

#[derive(Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Payload {
    #[serde(default)]
    entity_name: Option<String>,
    #[serde(default)]
    id: Option<String>,
    #[serde(default)]
    response_code: Option<serde_json::Value>,
}

pub(crate) fn parse(
    signature_key: &str,
    max_age: Option<Duration>,
    request: &WebhookRequest<'_>,
) -> Result<Vec<ProcessorEvent>, WebhookError> {
    verify(signature_key, request)?;
    let notification: Notification =
        serde_json::from_slice(request.body).map_err(|e| WebhookError::Malformed(e.to_string()))?;
    let dated = DateTime::parse_from_rfc3339(&notification.event_date)
        .map_err(|e| WebhookError::Malformed(format!("eventDate: {e}")))?
        .with_timezone(&Utc);
    if dated > request.now + CLOCK_SKEW {
        return Err(WebhookError::Stale);
    }
    if let Some(max_age) = max_age {
        let max_age = chrono::Duration::from_std(max_age).unwrap_or(chrono::Duration::MAX);
        if request.now.signed_duration_since(dated) > max_age {
            return Err(WebhookError::Stale);
        }
    }
    let id = ProcessorRef::parse(&notification.notification_id)
        .map_err(|_| WebhookError::Malformed("notificationId".into()))?;
    let effect = effect(&notification)?;
    Ok(vec![ProcessorEvent {
        id,
        event_type: notification.event_type,
        effect,
    }])
}

fn verify(signature_key: &str, request: &WebhookRequest<'_>) -> Result<(), WebhookError> {
    let header = request
        .header("x-anet-signature")
        .ok_or(WebhookError::BadSignature)?
        .trim();
    let (scheme, hex) = header.split_once('=').ok_or(WebhookError::BadSignature)?;
    if !scheme.eq_ignore_ascii_case("sha512") {
        return Err(WebhookError::BadSignature);
    }
    let expected = decode_hex(hex).ok_or(WebhookError::BadSignature)?;
    let mut mac = <HmacSha512 as KeyInit>::new_from_slice(signature_key.as_bytes())
        .map_err(|_| WebhookError::BadSignature)?;
    mac.update(request.body);
    // Constant time: the comparison does not stop at the first
    // differing byte.
    mac.verify_slice(&expected)
        .map_err(|_| WebhookError::BadSignature)
}

/// Hexadecimal in either case; `None` for anything else.
fn decode_hex(text: &str) -> Option<Vec<u8>> {
    if !text.len().is_multiple_of(2) {
        return None;
    }
    text.as_bytes()
        .chunks(2)
        .map(|pair| {
            let digit = |b: u8| char::from(b).to_digit(16);
            Some((digit(pair[0])? * 16 + digit(pair[1])?) as u8)
        })
        .collect()
}

fn effect(notification: &Notification) -> Result<EventEffect, WebhookError> {
    let payment_event = notification
        .event_type
        .starts_with("net.authorize.payment.");
    if !payment_event {
        return Ok(EventEffect::Ignored);
    }
    let transaction = || -> Result<ProcessorRef, WebhookError> {
        let payload = &notification.payload;
        if payload
            .entity_name
            .as_deref()
            .is_some_and(|e| e != "transaction")
        {
            return Err(WebhookError::Malformed("payload.entityName".into()));
        }
        payload
            .id
            .as_deref()
            .and_then(|id| ProcessorRef::parse(id).ok())
            .ok_or_else(|| WebhookError::Malformed("payload.id".into()))
    };
    let response_code = match &notification.payload.response_code {
        Some(serde_json::Value::Number(n)) => n.as_u64(),
        Some(serde_json::Value::String(s)) => s.parse().ok(),
        _ => None,
    };
    Ok(match notification.event_type.as_str() {
        // Sent for every auth-capture: approved (1), declined (2), or
        // held for review (4, settled later by fraud.approved/declined).
        // An approval settles nothing here: a card charge is settled by
        // the charge's own answer, and an approved eCheck is only
        // authorized, its money not yet moved (reconciliation asks the
        // gateway until its batch settles). Without a code it says
        // nothing either way.
        "net.authorize.payment.authcapture.created" => match response_code {
            Some(2) => EventEffect::ChargeFailed {
                reference: transaction()?,
                payment: None,
                message: "The payment was declined.".into(),
            },
            Some(_) | None => EventEffect::Ignored,
        },
        "net.authorize.payment.fraud.approved" => EventEffect::ChargeSucceeded {
            reference: transaction()?,
            payment: None,
            method: None,
        },
        "net.authorize.payment.fraud.declined" => EventEffect::ChargeFailed {
            reference: transaction()?,
            payment: None,
            message: "The payment was declined after review.".into(),
        },
        "net.authorize.payment.void.created" => EventEffect::ChargeFailed {
            reference: transaction()?,
            payment: None,
            message: "The payment was cancelled.".into(),
        },
        _ => EventEffect::Ignored,
    })
}

#[cfg(test)]
mod tests {
    use portal_domain::testing::ts;

    use super::*;

    /// The checked vector: key "0123456789ABCDEF" eight times, used as
    /// text.
    const BODY: &str = r#"{"notificationId":"d0e8e7fe-c3e7-4add-a480-27bc5ce28a18","eventType":"net.authorize.payment.authcapture.created","eventDate":"2017-03-29T20:48:02.0080095Z","webhookId":"63d6fea2-aa13-4b1d-a204-f5fbc15942b7","payload":{"responseCode":1,"merchantReferenceId":"19102146534003137356","authCode":"LZ6I19","avsResponse":"Y","authAmount":45.00,"entityName":"transaction","id":"60020981676"}}"#;
    const SIGNATURE: &str = "sha512=BB7CAB5B8DBADF5787582BCC32FFBE05D2403E6C88C48F9289963D52A02898240557DBA374CA52C830A56FE78272998C9717742F6E48E32425B645BA9CFAB4E9";

    fn key() -> String {
        "0123456789ABCDEF".repeat(8)
    }

    fn request<'a>(headers: &'a [(String, String)], body: &'a [u8]) -> WebhookRequest<'a> {
        WebhookRequest {
            headers,
            body,
            now: ts("2017-03-29T20:50:00Z"),
        }
    }

    fn signed(value: &str) -> Vec<(String, String)> {
        vec![("x-anet-signature".into(), value.into())]
    }

    #[test]
    fn the_documented_vector_verifies() {
        assert_eq!(signature(&key(), BODY.as_bytes()), SIGNATURE);
        let headers = signed(SIGNATURE);
        let events = parse(&key(), None, &request(&headers, BODY.as_bytes())).unwrap();
        assert_eq!(
            events,
            [ProcessorEvent {
                id: ProcessorRef::parse("d0e8e7fe-c3e7-4add-a480-27bc5ce28a18").unwrap(),
                event_type: "net.authorize.payment.authcapture.created".into(),
                // An approval is the charge's own answer again (or an
                // eCheck only authorized): nothing to settle.
                effect: EventEffect::Ignored,
            }]
        );
    }

    #[test]
    fn lower_case_hex_verifies_too() {
        let headers = signed(&SIGNATURE.to_ascii_lowercase());
        assert!(parse(&key(), None, &request(&headers, BODY.as_bytes())).is_ok());
    }

    #[test]
    fn the_hex_decoded_key_does_not_verify() {
        // Keying with the bytes the key spells gives another signature.
        let decoded = decode_hex(&key()).unwrap();
        let mut mac = <HmacSha512 as KeyInit>::new_from_slice(&decoded).unwrap();
        mac.update(BODY.as_bytes());
        let wrong: String = mac
            .finalize()
            .into_bytes()
            .iter()
            .map(|b| format!("{b:02X}"))
            .collect();
        assert!(wrong.starts_with("0BAD3C94"));
        let headers = signed(&format!("sha512={wrong}"));
        assert_eq!(
            parse(&key(), None, &request(&headers, BODY.as_bytes())),
            Err(WebhookError::BadSignature)
        );
    }

    #[test]
    fn forged_missing_or_tampered_signatures_are_refused() {
        let tampered = BODY.replace("60020981676", "60020981677");
        for (headers, body) in [
            (signed(SIGNATURE), tampered.as_bytes()),
            (Vec::new(), BODY.as_bytes()),
            (signed("sha256=00"), BODY.as_bytes()),
            (signed("sha512=zz"), BODY.as_bytes()),
            (signed(&SIGNATURE[..SIGNATURE.len() - 2]), BODY.as_bytes()),
        ] {
            assert_eq!(
                parse(&key(), None, &request(&headers, body)),
                Err(WebhookError::BadSignature)
            );
        }
    }

    #[test]
    fn old_events_are_stale_once_past_the_bound() {
        let headers = signed(SIGNATURE);
        let late = WebhookRequest {
            headers: &headers,
            body: BODY.as_bytes(),
            now: ts("2017-04-10T00:00:00Z"),
        };
        assert_eq!(
            parse(&key(), Some(Duration::from_secs(7 * 24 * 3600)), &late),
            Err(WebhookError::Stale)
        );
        assert!(parse(&key(), None, &late).is_ok());
        let early = WebhookRequest {
            now: ts("2017-03-29T20:00:00Z"),
            ..late
        };
        assert_eq!(parse(&key(), None, &early), Err(WebhookError::Stale));
    }

    fn event(event_type: &str, response_code: u8) -> Vec<ProcessorEvent> {
        let body = format!(
            r#"{{"notificationId":"n-1","eventType":"{event_type}","eventDate":"2017-03-29T20:48:02Z","webhookId":"w","payload":{{"responseCode":{response_code},"entityName":"transaction","id":"60020981676"}}}}"#
        );
        let headers = signed(&signature(&key(), body.as_bytes()));
        parse(&key(), None, &request(&headers, body.as_bytes())).unwrap()
    }

    #[test]
    fn event_types_map_to_their_effects() {
        let reference = ProcessorRef::parse("60020981676").unwrap();
        assert!(matches!(
            &event("net.authorize.payment.fraud.declined", 4)[0].effect,
            EventEffect::ChargeFailed { reference: r, .. } if *r == reference
        ));
        assert!(matches!(
            &event("net.authorize.payment.void.created", 1)[0].effect,
            EventEffect::ChargeFailed { .. }
        ));
        assert!(matches!(
            &event("net.authorize.payment.authcapture.created", 2)[0].effect,
            EventEffect::ChargeFailed { .. }
        ));
        assert_eq!(
            event("net.authorize.payment.authcapture.created", 4)[0].effect,
            EventEffect::Ignored
        );
        assert_eq!(
            event("net.authorize.payment.refund.created", 1)[0].effect,
            EventEffect::Ignored
        );
        assert_eq!(
            event("net.authorize.customer.paymentProfile.created", 1)[0].effect,
            EventEffect::Ignored
        );
    }

    #[test]
    fn bodies_that_are_not_events_are_malformed() {
        let body = b"{\"hello\":1}";
        let headers = signed(&signature(&key(), body));
        assert!(matches!(
            parse(&key(), None, &request(&headers, body)),
            Err(WebhookError::Malformed(_))
        ));
    }
}
