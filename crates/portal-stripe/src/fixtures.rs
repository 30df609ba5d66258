//! Real Stripe's answers, recorded in `tests/fixtures/` after the shapes
//! of Stripe's API reference: the adapter's own decoding must read them
//! (localstripe answers simpler shapes, which the contract tests cover),
//! and async-stripe's generated types must read them too, which shows the
//! recordings hold every field Stripe's API version requires.

use chrono::{DateTime, Utc};
use portal_domain::model::{CardBrand, Expiry, Last4, MethodDetails, PaymentId};
use portal_domain::ports::{ChargeStatus, EventEffect, WebhookError, WebhookRequest};

use crate::charges::{Charge, outcome};
use crate::webhook::{self, SIGNATURE_HEADER, sign};
use crate::wire::{Expandable, List, PaymentIntent, Refund};

macro_rules! fixture {
    ($name:literal) => {
        include_str!(concat!("../tests/fixtures/", $name, ".json"))
    };
}

const SUCCEEDED: &str = fixture!("payment_intent_succeeded");
const PROCESSING: &str = fixture!("payment_intent_processing_us_bank_account");
const REQUIRES_ACTION: &str = fixture!("payment_intent_requires_action");
const DECLINED: &str = fixture!("payment_intent_requires_payment_method_declined");
const AUTHENTICATION: &str =
    fixture!("payment_intent_requires_payment_method_authentication_required");
const EVENT_SUCCEEDED: &str = fixture!("event_payment_intent_succeeded");
const EVENT_FAILED: &str = fixture!("event_payment_intent_payment_failed");
const BANK_METHOD: &str = fixture!("payment_method_us_bank_account");
const CHARGES: &str = fixture!("charges_list_expanded");
const REFUND: &str = fixture!("refund");
const AUTHENTICATION_ERROR: &str = fixture!("error_authentication_required");

const SECRET: &str = "whsec_test_secret_for_fixtures";

fn intent(text: &str) -> PaymentIntent {
    serde_json::from_str(text).expect("the adapter reads the PaymentIntent")
}

fn card(last4: &str, month: u32, year: i32) -> MethodDetails {
    MethodDetails::Card {
        brand: CardBrand::Visa,
        last4: Last4::parse(last4).unwrap(),
        expiry: Some(Expiry::new(month, year).unwrap()),
    }
}

#[test]
fn async_stripe_reads_every_recorded_payment_intent() {
    for text in [
        SUCCEEDED,
        PROCESSING,
        REQUIRES_ACTION,
        DECLINED,
        AUTHENTICATION,
    ] {
        let typed: stripe_core::PaymentIntent =
            miniserde::json::from_str(text).expect("a PaymentIntent of Stripe's API version");
        assert_eq!(typed.id.as_str(), intent(text).id);
    }
}

#[test]
fn a_succeeded_payment_intent_is_a_success_naming_the_card() {
    let answer = outcome(&intent(SUCCEEDED), None).unwrap();
    assert_eq!(answer.status, ChargeStatus::Succeeded);
    assert_eq!(
        answer.reference.unwrap().as_str(),
        "pi_3MtwBwLkdIwHu7ix28a3tqPa"
    );
    assert_eq!(answer.method, Some(card("4242", 8, 2030)));
}

#[test]
fn a_processing_bank_debit_is_pending_and_names_the_account() {
    let answer = outcome(&intent(PROCESSING), None).unwrap();
    assert_eq!(answer.status, ChargeStatus::Processing);
    assert_eq!(
        answer.method,
        Some(MethodDetails::BankAccount {
            bank_name: Some("STRIPE TEST BANK".into()),
            last4: Last4::parse("6789").unwrap(),
        })
    );
}

#[test]
fn requires_action_hands_the_browser_the_client_secret() {
    let fallback = card("3184", 12, 2031);
    let answer = outcome(&intent(REQUIRES_ACTION), Some(&fallback)).unwrap();
    assert_eq!(
        answer.status,
        ChargeStatus::RequiresAction {
            client_secret: "pi_3NAYbjLkdIwHu7ix0pJ3D6dG_secret_TAWWOlpSSw7AYfVPfnhIz6bpA".into()
        }
    );
    assert_eq!(answer.method, Some(fallback), "an unexpanded method");
}

#[test]
fn a_decline_is_a_failure_with_stripes_message_for_the_cardholder() {
    let answer = outcome(&intent(DECLINED), None).unwrap();
    assert_eq!(
        answer.status,
        ChargeStatus::Failed {
            message: "Your card was declined.".into()
        }
    );
    assert_eq!(answer.method, Some(card("0341", 12, 2031)));
}

#[test]
fn an_off_session_authentication_decline_asks_for_3d_secure() {
    let answer = outcome(&intent(AUTHENTICATION), None).unwrap();
    assert!(
        matches!(answer.status, ChargeStatus::RequiresAction { ref client_secret }
            if client_secret.starts_with("pi_3NB5DdLkdIwHu7ix0wDbDpSM_secret_")),
        "{answer:?}"
    );
}

#[test]
fn a_bank_account_method_is_read_by_async_stripe() {
    let method: stripe_payment::PaymentMethod =
        miniserde::json::from_str(BANK_METHOD).expect("a PaymentMethod");
    assert_eq!(
        crate::methods::details(&method).unwrap(),
        MethodDetails::BankAccount {
            bank_name: Some("STRIPE TEST BANK".into()),
            last4: Last4::parse("6789").unwrap(),
        }
    );
}

#[test]
fn a_charge_list_carries_its_payment_intents() {
    let page: List<Charge> = serde_json::from_str(CHARGES).unwrap();
    let Some(Expandable::Object(intent)) = &page.data[0].payment_intent else {
        panic!("the PaymentIntent is not expanded");
    };
    assert_eq!(
        intent.metadata.get("payment_id").map(String::as_str),
        Some("0b6a3c3e-2f0a-4c5e-9d59-6a1c2b7e9f10")
    );
    assert!(!page.has_more);
}

#[test]
fn a_refund_is_read() {
    let refund: Refund = serde_json::from_str(REFUND).unwrap();
    assert_eq!(refund.id, "re_3MtwBwLkdIwHu7ix0ZGpcS3j");
    assert_eq!(refund.status.as_deref(), Some("succeeded"));
}

fn at(seconds: i64) -> DateTime<Utc> {
    DateTime::from_timestamp(seconds, 0).unwrap()
}

fn signed(body: &str, timestamp: i64, extra: &str) -> Vec<(String, String)> {
    let signature = sign(SECRET, timestamp, body.as_bytes());
    vec![(
        SIGNATURE_HEADER.to_owned(),
        format!("t={timestamp},{extra}v1={signature},v0=ignored"),
    )]
}

fn parse(
    body: &str,
    headers: &[(String, String)],
    now: i64,
) -> Result<Vec<portal_domain::ports::ProcessorEvent>, WebhookError> {
    webhook::parse(
        SECRET,
        &WebhookRequest {
            headers,
            body: body.as_bytes(),
            now: at(now),
        },
    )
}

#[test]
fn async_stripe_reads_the_recorded_events() {
    for text in [EVENT_SUCCEEDED, EVENT_FAILED] {
        let _: stripe_core::Event = miniserde::json::from_str(text).expect("an event");
    }
}

#[test]
fn a_succeeded_payment_intent_event_settles_our_payment() {
    let headers = signed(EVENT_SUCCEEDED, 1_680_800_506, "");
    let events = parse(EVENT_SUCCEEDED, &headers, 1_680_800_510).unwrap();
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].id.as_str(), "evt_3MtwBwLkdIwHu7ix0JrdC1Qp");
    assert_eq!(events[0].event_type, "payment_intent.succeeded");
    let payment: PaymentId = "0b6a3c3e-2f0a-4c5e-9d59-6a1c2b7e9f10".parse().unwrap();
    match &events[0].effect {
        EventEffect::ChargeSucceeded {
            reference,
            payment: Some(found),
            method: None,
        } => {
            assert_eq!(reference.as_str(), "pi_3MtwBwLkdIwHu7ix28a3tqPa");
            assert_eq!(*found, payment);
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn a_failed_payment_intent_event_fails_it_with_a_message() {
    let headers = signed(EVENT_FAILED, 1_684_992_786, "");
    let events = parse(EVENT_FAILED, &headers, 1_684_992_786).unwrap();
    match &events[0].effect {
        EventEffect::ChargeFailed {
            reference,
            payment: Some(_),
            message,
        } => {
            assert_eq!(reference.as_str(), "pi_3NB4yqLkdIwHu7ix1TNb8vLS");
            assert_eq!(message, "Your card was declined.");
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn an_off_session_charge_asking_for_authentication_is_no_failure() {
    // Stripe sends payment_failed for an off-session charge whose bank
    // asks for 3-D Secure; the portal is showing that challenge.
    let body = EVENT_FAILED.replace(
        "\"code\": \"card_declined\"",
        "\"code\": \"authentication_required\"",
    );
    assert_ne!(body, EVENT_FAILED);
    let headers = signed(&body, 1_684_992_786, "");
    let events = parse(&body, &headers, 1_684_992_786).unwrap();
    assert_eq!(events[0].event_type, "payment_intent.payment_failed");
    assert_eq!(events[0].effect, EventEffect::Ignored);
}

#[test]
fn any_v1_signature_may_match_during_a_secret_roll() {
    let headers = signed(EVENT_SUCCEEDED, 1_680_800_506, "v1=00ff00ff,");
    assert!(parse(EVENT_SUCCEEDED, &headers, 1_680_800_506).is_ok());
}

#[test]
fn forged_stale_and_malformed_webhooks_are_refused() {
    let body = EVENT_SUCCEEDED;
    let t = 1_680_800_506;
    assert_eq!(parse(body, &[], t), Err(WebhookError::BadSignature));

    let mut tampered = body.replace("4900", "4901");
    tampered.push(' ');
    let headers = signed(body, t, "");
    assert_eq!(
        parse(&tampered, &headers, t),
        Err(WebhookError::BadSignature)
    );

    let wrong = vec![(
        SIGNATURE_HEADER.to_owned(),
        format!("t={t},v1={}", sign("whsec_other", t, body.as_bytes())),
    )];
    assert_eq!(parse(body, &wrong, t), Err(WebhookError::BadSignature));

    let no_time = vec![(
        SIGNATURE_HEADER.to_owned(),
        format!("v1={}", sign(SECRET, t, body.as_bytes())),
    )];
    assert_eq!(parse(body, &no_time, t), Err(WebhookError::BadSignature));

    assert_eq!(parse(body, &headers, t + 301), Err(WebhookError::Stale));
    assert_eq!(parse(body, &headers, t - 301), Err(WebhookError::Stale));
    assert!(parse(body, &headers, t + 300).is_ok());

    let junk = "{\"not\": \"an event\"}";
    let junk_headers = signed(junk, t, "");
    assert!(matches!(
        parse(junk, &junk_headers, t),
        Err(WebhookError::Malformed(_))
    ));
}

#[test]
fn other_events_are_ignored() {
    let body = r#"{"id":"evt_1NG8Du2eZvKYlo2CUI79vXWy","object":"event","type":"customer.created","data":{"object":{"id":"cus_NffrFeUfNV2Hib","object":"customer"}}}"#;
    let headers = signed(body, 1_686_089_970, "");
    let events = parse(body, &headers, 1_686_089_970).unwrap();
    assert_eq!(events[0].effect, EventEffect::Ignored);
    assert_eq!(events[0].event_type, "customer.created");
}

#[test]
fn a_refused_off_session_charge_names_its_payment_intent() {
    let body: serde_json::Value = serde_json::from_str(AUTHENTICATION_ERROR).unwrap();
    let errors: stripe::ApiErrors =
        miniserde::json::from_str(&body["error"].to_string()).expect("Stripe's error");
    let refused =
        crate::client::CallError::from(stripe::StripeError::Stripe(Box::new(errors), 402));
    let crate::client::CallError::Refused(refusal) = refused else {
        panic!("{refused:?}");
    };
    assert!(refusal.is_card_error());
    assert_eq!(refusal.code.as_deref(), Some("authentication_required"));
    assert_eq!(
        refusal.payment_intent.as_deref(),
        Some("pi_3NB5DdLkdIwHu7ix0wDbDpSM")
    );
}
