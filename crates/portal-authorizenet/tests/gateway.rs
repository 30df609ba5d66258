//! The adapter's own cases against the local Authorize.Net fake: what the
//! shared contract does not cover (bank debits, holds, voids before
//! settlement, retries of one-time charges, credentials, webhooks), and
//! the fake itself (schema order, the byte-order mark, Accept.js).

mod common;

use std::sync::Arc;
use std::time::SystemTime;

use chrono::{DateTime, Utc};
use common::{AnetHarness, TIMEOUT, credentials};
use portal_authorizenet::{AnetOptions, AuthorizeNetProcessor};
use portal_domain::model::{
    AnetEnvironment, ClientId, Currency, EmailAddress, Last4, MethodDetails, Money, PaymentId,
    ProcessorCredentials, ProcessorRef, RefundId, Secret,
};
use portal_domain::ports::{
    ChargeLookup, ChargeOutcome, ChargeRequest, ChargeSource, ChargeStatus, CustomerInfo,
    EventEffect, Processor, ProcessorError, RefundRequest, WebhookRequest,
};
use portal_domain::testing::SeededRandom;
use portal_test_support::anet::{AnetFakeOptions, FakeFault, Scenario, Settlement};

fn now() -> DateTime<Utc> {
    SystemTime::now().into()
}

fn random() -> SeededRandom {
    SeededRandom::new(
        now()
            .timestamp_nanos_opt()
            .unwrap_or_default()
            .unsigned_abs(),
    )
}

fn usd(minor: i64) -> Money {
    Money::new(minor, Currency::parse("currency", "USD").unwrap())
}

async fn customer(processor: &dyn Processor, random: &SeededRandom) -> ProcessorRef {
    let email = EmailAddress::parse("email", "billing@acme.test").unwrap();
    processor
        .create_customer(CustomerInfo {
            client: ClientId::generate(random),
            name: "Acme Inc",
            email: Some(&email),
        })
        .await
        .expect("a customer")
}

fn charge(random: &SeededRandom, customer: &ProcessorRef, source: ChargeSource) -> ChargeRequest {
    ChargeRequest {
        payment: PaymentId::generate(random),
        customer: customer.clone(),
        source,
        amount: usd(4900),
        description: "Invoices INV-0001, INV-0002".into(),
    }
}

async fn look_up(processor: &dyn Processor, request: &ChargeRequest) -> Option<ChargeOutcome> {
    processor
        .lookup_charge(&ChargeLookup {
            payment: request.payment,
            customer: request.customer.clone(),
            reference: None,
            attempted_at: now(),
        })
        .await
        .expect("a lookup")
}

fn refund(
    random: &SeededRandom,
    request: &ChargeRequest,
    charge: &ProcessorRef,
    minor: i64,
) -> RefundRequest {
    RefundRequest {
        refund: RefundId::generate(random),
        payment: request.payment,
        charge: charge.clone(),
        amount: usd(minor),
    }
}

#[tokio::test]
async fn every_request_the_adapter_sends_is_in_schema_order() {
    let harness = AnetHarness::start().await;
    let processor = harness.adapter.as_ref();
    let random = random();
    processor.check().await.unwrap();
    let customer = customer(processor, &random).await;
    let first = processor
        .finish_setup(&customer, &harness.token(Scenario::Approve), true)
        .await
        .unwrap();
    let second = processor
        .finish_setup(&customer, &harness.token(Scenario::Echeck), false)
        .await
        .unwrap();
    processor
        .set_default(&customer, &second.reference)
        .await
        .unwrap();
    let saved = charge(
        &random,
        &customer,
        ChargeSource::Saved(first.reference.clone()),
    );
    let outcome = processor.charge(&saved).await.unwrap();
    let reference = outcome.reference.unwrap();
    let one_time = charge(
        &random,
        &customer,
        ChargeSource::Token(harness.token(Scenario::Approve)),
    );
    processor.charge(&one_time).await.unwrap();
    assert!(look_up(processor, &one_time).await.is_some());
    processor
        .refund(&refund(&random, &saved, &reference, 1000))
        .await
        .unwrap();
    processor
        .remove_method(&customer, &first.reference)
        .await
        .unwrap();

    let sent: std::collections::BTreeSet<String> = harness
        .fake
        .requests()
        .into_iter()
        .map(|r| r.name)
        .collect();
    for name in [
        "authenticateTestRequest",
        "createCustomerProfileRequest",
        "createCustomerPaymentProfileRequest",
        "getCustomerProfileRequest",
        "updateCustomerPaymentProfileRequest",
        "createTransactionRequest",
        "getTransactionDetailsRequest",
        "getTransactionListForCustomerRequest",
        "getUnsettledTransactionListRequest",
        "getSettledBatchListRequest",
        "getTransactionListRequest",
        "deleteCustomerPaymentProfileRequest",
    ] {
        assert!(sent.contains(name), "{name} was not exercised: {sent:?}");
    }
}

#[tokio::test]
async fn wrong_credentials_are_refused_as_unauthorized() {
    let harness = AnetHarness::start().await;
    let ProcessorCredentials::AuthorizeNet {
        api_login_id,
        client_key,
        signature_key,
        environment,
        ..
    } = credentials(AnetEnvironment::Sandbox)
    else {
        unreachable!()
    };
    let wrong = ProcessorCredentials::AuthorizeNet {
        api_login_id,
        transaction_key: Secret::new("WrongWrongWrong1"),
        client_key,
        signature_key,
        environment,
    };
    let options = AnetOptions::default()
        .with_api_url(harness.fake.api_url())
        .with_timeout(TIMEOUT);
    let processor = AuthorizeNetProcessor::new(&wrong, &options).unwrap();
    assert!(matches!(
        processor.check().await,
        Err(ProcessorError::Unauthorized(_))
    ));
}

#[tokio::test]
async fn an_unreachable_gateway_is_unavailable() {
    let options = AnetOptions::default()
        .with_api_url("http://127.0.0.1:9/xml/v1/request.api")
        .with_timeout(TIMEOUT);
    let processor =
        AuthorizeNetProcessor::new(&credentials(AnetEnvironment::Sandbox), &options).unwrap();
    let answer = processor.check().await;
    assert!(matches!(&answer, Err(e) if e.is_retryable()), "{answer:?}");
}

#[tokio::test]
async fn keys_out_of_schema_order_get_the_gateway_schema_error() {
    let harness = AnetHarness::start().await;
    let body = r#"{"createTransactionRequest":{"merchantAuthentication":{"name":"x","transactionKey":"y"},"transactionRequest":{"transactionType":"authCaptureTransaction","order":{"invoiceNumber":"INV-0001"},"amount":"49.00"}}}"#;
    let response = reqwest::Client::new()
        .post(harness.fake.api_url())
        .header("content-type", "application/json")
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let bytes = response.bytes().await.unwrap();
    assert_eq!(
        &bytes[..3],
        b"\xEF\xBB\xBF",
        "the answer starts with the byte-order mark"
    );
    let answer: serde_json::Value = serde_json::from_slice(&bytes[3..]).unwrap();
    assert_eq!(answer["messages"]["resultCode"], "Error");
    assert_eq!(answer["messages"]["message"][0]["code"], "E00003");
    let text = answer["messages"]["message"][0]["text"].as_str().unwrap();
    assert!(
        text.contains("has invalid child element 'amount'"),
        "{text}"
    );
}

#[tokio::test]
async fn a_charge_not_settled_yet_is_voided_whole_and_refunded_in_part_once_settled() {
    let harness = AnetHarness::start_with(AnetFakeOptions {
        settlement: Settlement::Manual,
        ..AnetFakeOptions::default()
    })
    .await;
    let processor = harness.adapter.as_ref();
    let random = random();
    let customer = customer(processor, &random).await;
    let saved = processor
        .finish_setup(&customer, &harness.token(Scenario::Approve), true)
        .await
        .unwrap();

    let voided = charge(
        &random,
        &customer,
        ChargeSource::Saved(saved.reference.clone()),
    );
    let reference = processor.charge(&voided).await.unwrap().reference.unwrap();
    let part = processor
        .refund(&refund(&random, &voided, &reference, 1000))
        .await;
    assert!(matches!(part, Err(ProcessorError::Rejected(_))), "{part:?}");
    let whole = refund(&random, &voided, &reference, 4900);
    assert_eq!(processor.refund(&whole).await, Ok(reference.clone()));
    assert_eq!(
        processor.refund(&whole).await,
        Ok(reference.clone()),
        "a retried void"
    );
    let found = look_up(processor, &voided).await.unwrap();
    assert!(
        matches!(found.status, ChargeStatus::Failed { .. }),
        "{found:?}"
    );

    let settled = charge(&random, &customer, ChargeSource::Saved(saved.reference));
    let reference = processor.charge(&settled).await.unwrap().reference.unwrap();
    harness.fake.settle();
    let first = refund(&random, &settled, &reference, 1000);
    let refunded = processor.refund(&first).await.unwrap();
    assert_ne!(refunded, reference);
    assert_eq!(
        processor.refund(&first).await,
        Ok(refunded),
        "a retried refund is the same refund"
    );
    let too_much = processor
        .refund(&refund(&random, &settled, &reference, 4000))
        .await;
    assert!(
        matches!(too_much, Err(ProcessorError::Rejected(_))),
        "{too_much:?}"
    );
    let refunds = harness
        .fake
        .transactions()
        .into_iter()
        .filter(|t| t.kind == "refundTransaction")
        .count();
    assert_eq!(refunds, 1);
}

#[tokio::test]
async fn a_bank_debit_is_processing_until_it_settles() {
    let harness = AnetHarness::start_with(AnetFakeOptions {
        settlement: Settlement::Manual,
        ..AnetFakeOptions::default()
    })
    .await;
    let processor = harness.adapter.as_ref();
    let random = random();
    let customer = customer(processor, &random).await;
    let saved = processor
        .finish_setup(&customer, &harness.token(Scenario::Echeck), true)
        .await
        .unwrap();
    assert_eq!(
        saved.details,
        MethodDetails::BankAccount {
            bank_name: None,
            last4: Last4::parse("6789").unwrap(),
        }
    );
    let request = charge(&random, &customer, ChargeSource::Saved(saved.reference));
    let outcome = processor.charge(&request).await.unwrap();
    assert_eq!(outcome.status, ChargeStatus::Processing);
    assert!(matches!(
        outcome.method,
        Some(MethodDetails::BankAccount { .. })
    ));
    assert_eq!(
        look_up(processor, &request).await.unwrap().status,
        ChargeStatus::Processing
    );
    harness.fake.settle();
    let settled = look_up(processor, &request).await.unwrap();
    assert_eq!(settled.status, ChargeStatus::Succeeded);
    assert_eq!(settled.reference, outcome.reference);
}

#[tokio::test]
async fn a_charge_held_for_review_is_processing() {
    let harness = AnetHarness::start().await;
    let processor = harness.adapter.as_ref();
    let random = random();
    let customer = customer(processor, &random).await;
    let request = charge(
        &random,
        &customer,
        ChargeSource::Token(harness.token(Scenario::Held)),
    );
    let outcome = processor.charge(&request).await.unwrap();
    assert_eq!(outcome.status, ChargeStatus::Processing);
    assert!(outcome.reference.is_some());
    assert_eq!(
        look_up(processor, &request).await.unwrap().status,
        ChargeStatus::Processing
    );
}

#[tokio::test]
async fn the_three_d_secure_card_is_declined_with_a_reason() {
    let harness = AnetHarness::start().await;
    let processor = harness.adapter.as_ref();
    let random = random();
    let customer = customer(processor, &random).await;
    let request = charge(
        &random,
        &customer,
        ChargeSource::Token(harness.token(Scenario::AuthenticationRequired)),
    );
    let outcome = processor.charge(&request).await.unwrap();
    match outcome.status {
        ChargeStatus::Failed { message } => {
            assert!(message.contains("authentication required"), "{message}");
        }
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn a_timed_out_one_time_charge_is_found_instead_of_charged_again() {
    let harness = AnetHarness::start().await;
    let processor = harness.adapter.as_ref();
    let random = random();
    let customer = customer(processor, &random).await;
    let request = charge(
        &random,
        &customer,
        ChargeSource::Token(harness.token(Scenario::Approve)),
    );
    harness.fake.inject(FakeFault::Timeout, 1);
    let first = processor.charge(&request).await;
    assert!(matches!(&first, Err(e) if e.is_retryable()), "{first:?}");
    let retried = processor.charge(&request).await.unwrap();
    assert_eq!(retried.status, ChargeStatus::Succeeded);
    let charges = harness.fake.charges();
    assert_eq!(charges.len(), 1, "{charges:?}");
    assert_eq!(
        retried.reference.as_ref().map(ProcessorRef::as_str),
        Some(charges[0].trans_id.as_str())
    );
}

#[tokio::test]
async fn a_repeated_declined_charge_answers_the_same_decline() {
    let harness = AnetHarness::start().await;
    let processor = harness.adapter.as_ref();
    let random = random();
    let customer = customer(processor, &random).await;
    let saved = processor
        .finish_setup(&customer, &harness.token(Scenario::Decline), true)
        .await
        .unwrap();
    let request = charge(&random, &customer, ChargeSource::Saved(saved.reference));
    let first = processor.charge(&request).await.unwrap();
    let second = processor.charge(&request).await.unwrap();
    assert!(
        matches!(first.status, ChargeStatus::Failed { .. }),
        "{first:?}"
    );
    assert!(
        matches!(second.status, ChargeStatus::Failed { .. }),
        "{second:?}"
    );
    assert_eq!(second.reference, first.reference);
    assert_eq!(harness.fake.charges().len(), 1);
}

#[tokio::test]
async fn a_timed_out_customer_creation_reuses_the_profile_it_made() {
    let harness = AnetHarness::start().await;
    let processor = harness.adapter.as_ref();
    let random = random();
    let email = EmailAddress::parse("email", "billing@acme.test").unwrap();
    let info = CustomerInfo {
        client: ClientId::generate(&random),
        name: "Acme Inc",
        email: Some(&email),
    };
    harness.fake.inject(FakeFault::Timeout, 1);
    let first = processor.create_customer(info).await;
    assert!(matches!(&first, Err(e) if e.is_retryable()), "{first:?}");
    let customer = processor.create_customer(info).await.unwrap();
    assert!(processor.methods(&customer).await.unwrap().is_empty());
    let names: Vec<String> = harness
        .fake
        .requests()
        .into_iter()
        .map(|r| r.name)
        .collect();
    assert_eq!(
        names[..3],
        [
            "createCustomerProfileRequest",
            "createCustomerProfileRequest",
            "getCustomerProfileRequest"
        ]
    );
}

#[tokio::test]
async fn a_used_nonce_is_refused_with_a_message_for_the_client() {
    let harness = AnetHarness::start().await;
    let processor = harness.adapter.as_ref();
    let random = random();
    let customer = customer(processor, &random).await;
    let token = harness.token(Scenario::Approve);
    processor
        .finish_setup(&customer, &token, true)
        .await
        .unwrap();
    let again = processor.finish_setup(&customer, &token, true).await;
    assert!(
        matches!(again, Err(ProcessorError::Declined(_))),
        "{again:?}"
    );
    let charged = processor
        .charge(&charge(&random, &customer, ChargeSource::Token(token)))
        .await
        .unwrap();
    assert!(
        matches!(charged.status, ChargeStatus::Failed { .. }),
        "{charged:?}"
    );
}

#[tokio::test]
async fn the_fakes_webhooks_verify_and_settle_a_held_charge() {
    let harness = AnetHarness::start().await;
    let processor = harness.adapter.as_ref();
    let webhook = harness
        .fake
        .webhook("net.authorize.payment.fraud.approved", "60000000123", 1);
    let headers = vec![("x-anet-signature".to_owned(), webhook.signature.clone())];
    let events = processor
        .parse_webhook(&WebhookRequest {
            headers: &headers,
            body: webhook.body.as_bytes(),
            now: now(),
        })
        .unwrap();
    assert_eq!(events.len(), 1);
    assert_eq!(
        events[0].effect,
        EventEffect::ChargeSucceeded {
            reference: ProcessorRef::parse("60000000123").unwrap(),
            payment: None,
            method: None,
        }
    );
}

#[tokio::test]
async fn the_fake_serves_accept_js_without_card_numbers() {
    let harness = AnetHarness::start().await;
    let response = reqwest::get(harness.fake.accept_js_url()).await.unwrap();
    assert_eq!(response.status(), 200);
    assert!(
        response.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("application/javascript")
    );
    let script = response.text().await.unwrap();
    assert!(script.contains("dispatchData"));
    assert!(script.contains(portal_test_support::anet::API_LOGIN_ID));
    let longest = script
        .split(|c: char| !c.is_ascii_digit())
        .map(str::len)
        .max()
        .unwrap_or(0);
    assert!(longest < 13, "a run of {longest} digits");
}

#[tokio::test]
async fn clones_of_the_options_share_the_charges_in_doubt() {
    let harness = AnetHarness::start().await;
    let options = AnetOptions::default()
        .with_api_url(harness.fake.api_url())
        .with_timeout(TIMEOUT);
    let credentials = credentials(AnetEnvironment::Sandbox);
    let first: Arc<dyn Processor> =
        Arc::new(AuthorizeNetProcessor::new(&credentials, &options).unwrap());
    let second: Arc<dyn Processor> =
        Arc::new(AuthorizeNetProcessor::new(&credentials, &options.clone()).unwrap());
    let random = random();
    let customer = customer(first.as_ref(), &random).await;
    let request = charge(
        &random,
        &customer,
        ChargeSource::Token(harness.token(Scenario::Approve)),
    );
    harness.fake.inject(FakeFault::Timeout, 1);
    assert!(first.charge(&request).await.is_err());
    let retried = second.charge(&request).await.unwrap();
    assert_eq!(retried.status, ChargeStatus::Succeeded);
    assert_eq!(harness.fake.charges().len(), 1);
}

#[tokio::test]
async fn debug_output_shows_no_secret() {
    let harness = AnetHarness::start().await;
    let debug = format!("{:?}", harness.adapter);
    assert!(
        debug.contains(portal_test_support::anet::API_LOGIN_ID),
        "{debug}"
    );
    assert!(
        !debug.contains(portal_test_support::anet::TRANSACTION_KEY),
        "{debug}"
    );
    assert!(
        !debug.contains(portal_test_support::anet::SIGNATURE_KEY),
        "{debug}"
    );
}
