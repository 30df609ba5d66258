//! What the test processor does beyond the contract every processor
//! keeps: bank debits settled by webhook, its webhook signatures, 3-D
//! Secure through the shared state, connections kept apart, and the
//! rules it enforces on tokens, payment ids and refunds.

use std::sync::Arc;

use chrono::{DateTime, Duration, Utc};
use portal_domain::model::{
    AccountId, ClientId, ConnectionHealth, ConnectionId, Currency, Money, PaymentId,
    ProcessorConnection, ProcessorCredentials, ProcessorRef, RefundId, Secret,
};
use portal_domain::ports::{
    ChargeLookup, ChargeOutcome, ChargeRequest, ChargeSource, ChargeStatus, CustomerInfo,
    EventEffect, Processor, ProcessorError, RefundRequest, WebhookError, WebhookRequest,
};
use portal_domain::testing::{SeededRandom, ts};
use portal_test_processor::{
    CHARGE_FAILED, HARNESS_WEBHOOK_SECRET, NOT_A_TEST_CARD, RETURNED, SIGNATURE_HEADER, Scenario,
    TOKEN_USED, TestFault, TestHarness, TestProcessor, TestProcessorState, TestToken, sign_webhook,
};
use portal_test_support::cards::assert_no_card_numbers;

fn now() -> DateTime<Utc> {
    ts("2026-11-26T10:00:00Z")
}

fn usd(minor: i64) -> Money {
    Money::new(minor, Currency::parse("currency", "USD").unwrap())
}

struct Setup {
    processor: Arc<TestProcessor>,
    customer: ProcessorRef,
    random: SeededRandom,
}

impl Setup {
    async fn new() -> Self {
        Self::over(&TestProcessorState::new()).await
    }

    async fn over(state: &TestProcessorState) -> Self {
        let harness = TestHarness::over(state);
        let processor = harness.test_processor().clone();
        let random = SeededRandom::new(7);
        let customer = processor
            .create_customer(CustomerInfo {
                client: ClientId::generate(&random),
                name: "Acme",
                email: None,
            })
            .await
            .unwrap();
        Self {
            processor,
            customer,
            random,
        }
    }

    fn request(&self, scenario: Scenario) -> ChargeRequest {
        ChargeRequest {
            payment: PaymentId::generate(&self.random),
            customer: self.customer.clone(),
            source: ChargeSource::Token(TestToken::fresh(scenario).to_browser_token()),
            amount: usd(4900),
            description: "Invoice INV-0001".into(),
        }
    }

    async fn charge(&self, scenario: Scenario) -> (ChargeRequest, ChargeOutcome) {
        let request = self.request(scenario);
        let outcome = self.processor.charge(&request).await.unwrap();
        (request, outcome)
    }

    async fn look_up(&self, request: &ChargeRequest) -> Option<ChargeOutcome> {
        self.processor
            .lookup_charge(&ChargeLookup {
                payment: request.payment,
                customer: request.customer.clone(),
                reference: None,
                attempted_at: now(),
            })
            .await
            .unwrap()
    }
}

fn webhook<'a>(
    headers: &'a [(String, String)],
    body: &'a [u8],
    now: DateTime<Utc>,
) -> WebhookRequest<'a> {
    WebhookRequest { headers, body, now }
}

#[tokio::test]
async fn a_bank_debit_processes_then_settles_by_a_signed_webhook() {
    for (scenario, succeeds) in [
        (Scenario::BankSuccess, true),
        (Scenario::BankFailure, false),
    ] {
        let setup = Setup::new().await;
        let (request, outcome) = setup.charge(scenario).await;
        assert_eq!(outcome.status, ChargeStatus::Processing);
        let reference = outcome.reference.clone().unwrap();
        assert_eq!(
            setup.processor.processing_charges(),
            vec![reference.clone()]
        );

        let sent = setup.processor.settle(&reference, now()).unwrap();
        assert!(setup.processor.processing_charges().is_empty());
        let headers = sent.headers();
        let events = setup
            .processor
            .parse_webhook(&webhook(&headers, &sent.body, now() + Duration::seconds(5)))
            .unwrap();
        assert_eq!(events.len(), 1);
        let found = setup.look_up(&request).await.unwrap();
        if succeeds {
            assert_eq!(
                events[0].effect,
                EventEffect::ChargeSucceeded {
                    reference: reference.clone(),
                    payment: Some(request.payment),
                    method: None,
                }
            );
            assert_eq!(found.status, ChargeStatus::Succeeded);
        } else {
            assert_eq!(events[0].event_type, CHARGE_FAILED);
            assert_eq!(
                events[0].effect,
                EventEffect::ChargeFailed {
                    reference: reference.clone(),
                    payment: Some(request.payment),
                    message: RETURNED.into(),
                }
            );
            assert!(matches!(found.status, ChargeStatus::Failed { .. }));
        }
        assert_eq!(
            setup.processor.settle(&reference, now()),
            Err(ProcessorError::Rejected(
                "the charge is not processing".into()
            )),
            "a debit settles once"
        );
    }
}

#[tokio::test]
async fn forged_stale_and_malformed_webhooks_are_refused() {
    let setup = Setup::new().await;
    let body = br#"{"id":"evt_test_a","type":"charge.succeeded","charge":"ch_test_a"}"#;
    let signed = |secret: &str, at: DateTime<Utc>| {
        vec![(SIGNATURE_HEADER.to_owned(), sign_webhook(secret, at, body))]
    };
    let parse = |headers: &[(String, String)], body: &[u8]| {
        setup
            .processor
            .parse_webhook(&webhook(headers, body, now()))
    };

    assert!(parse(&signed(HARNESS_WEBHOOK_SECRET, now()), body).is_ok());
    assert_eq!(
        parse(&signed("another_secret_entirely", now()), body),
        Err(WebhookError::BadSignature)
    );
    assert_eq!(parse(&[], body), Err(WebhookError::BadSignature));
    let tampered = br#"{"id":"evt_test_a","type":"charge.succeeded","charge":"ch_test_b"}"#;
    assert_eq!(
        parse(&signed(HARNESS_WEBHOOK_SECRET, now()), tampered),
        Err(WebhookError::BadSignature)
    );
    assert_eq!(
        parse(
            &signed(HARNESS_WEBHOOK_SECRET, now() - Duration::seconds(301)),
            body
        ),
        Err(WebhookError::Stale)
    );
    assert!(
        parse(
            &signed(HARNESS_WEBHOOK_SECRET, now() - Duration::seconds(300)),
            body
        )
        .is_ok()
    );
    assert_eq!(
        parse(
            &signed(HARNESS_WEBHOOK_SECRET, now() + Duration::seconds(301)),
            body
        ),
        Err(WebhookError::Stale)
    );

    // A rotated secret signs twice: either signature is enough.
    let good = sign_webhook(HARNESS_WEBHOOK_SECRET, now(), body);
    let old = sign_webhook("the_previous_secret", now(), body);
    let v1 = |header: &str| header.split_once(",v1=").unwrap().1.to_owned();
    let both = format!("t={},v1={},v1={}", now().timestamp(), v1(&old), v1(&good));
    assert!(parse(&[(SIGNATURE_HEADER.to_owned(), both)], body).is_ok());

    let signed_body = |body: &[u8]| {
        vec![(
            SIGNATURE_HEADER.to_owned(),
            sign_webhook(HARNESS_WEBHOOK_SECRET, now(), body),
        )]
    };
    for bad in [
        &b"not json"[..],
        br#"{"id":"evt_test_a","type":"charge.failed"}"#,
        br#"{"id":"evt_test_a","type":"charge.failed","charge":"ch_test_a","payment_id":"42"}"#,
        br#"{"id":"","type":"charge.succeeded","charge":"ch_test_a"}"#,
    ] {
        let refused = parse(&signed_body(bad), bad);
        assert!(
            matches!(refused, Err(WebhookError::Malformed(_))),
            "{refused:?}"
        );
    }
    let other = br#"{"id":"evt_test_b","type":"customer.updated"}"#;
    let events = parse(&signed_body(other), other).unwrap();
    assert_eq!(events[0].effect, EventEffect::Ignored);
}

#[tokio::test]
async fn the_signature_follows_the_documented_scheme() {
    // Body "{}" at 2026-11-26T10:00:00Z under "whsec_test_harness_secret",
    // computed with Python's hmac module.
    assert_eq!(
        sign_webhook(HARNESS_WEBHOOK_SECRET, now(), b"{}"),
        "t=1795687200,v1=bc241da466ec42e2bc3f27044ad1411c401c54bea751a154bce864fea662669e"
    );
}

#[tokio::test]
async fn three_d_secure_is_finished_through_the_shared_state() {
    let state = TestProcessorState::new();
    let setup = Setup::over(&state).await;
    let (request, outcome) = setup.charge(Scenario::Visa3ds).await;
    let ChargeStatus::RequiresAction { client_secret } = outcome.status else {
        panic!("{outcome:?}");
    };
    assert_eq!(
        state.authenticate("not_a_secret", true),
        Err(ProcessorError::NotFound)
    );
    let done = state.authenticate(&client_secret, true).unwrap();
    assert_eq!(done.status, ChargeStatus::Succeeded);
    assert_eq!(
        setup.look_up(&request).await.unwrap().status,
        ChargeStatus::Succeeded
    );
    assert!(matches!(
        state.authenticate(&client_secret, false),
        Err(ProcessorError::Rejected(_))
    ));
    // The first answer is what a repeated request gets.
    let again = setup.processor.charge(&request).await.unwrap();
    assert!(matches!(again.status, ChargeStatus::RequiresAction { .. }));
}

#[tokio::test]
async fn connections_never_see_each_others_customers() {
    let state = TestProcessorState::new();
    let ours = Setup::over(&state).await;
    let theirs = Setup::over(&state).await;
    assert_eq!(
        theirs.processor.methods(&ours.customer).await,
        Err(ProcessorError::NotFound)
    );
    let (request, _) = ours.charge(Scenario::VisaSuccess).await;
    let lookup = ChargeLookup {
        payment: request.payment,
        customer: ours.customer.clone(),
        reference: None,
        attempted_at: now(),
    };
    assert_eq!(theirs.processor.lookup_charge(&lookup).await, Ok(None));
    assert!(
        ours.processor
            .lookup_charge(&lookup)
            .await
            .unwrap()
            .is_some()
    );

    // A processor made anew for the same connection sees the same books.
    let connection = ProcessorConnection {
        id: ours.processor.connection(),
        account_id: AccountId::generate(&ours.random),
        credentials: ProcessorCredentials::Test {
            webhook_secret: Secret::new(HARNESS_WEBHOOK_SECRET),
        },
        created_at: now(),
        health: ConnectionHealth::default(),
    };
    let again = TestProcessor::new(state.clone(), &connection).unwrap();
    assert!(again.lookup_charge(&lookup).await.unwrap().is_some());
}

#[tokio::test]
async fn only_test_connections_make_a_test_processor() {
    let random = SeededRandom::new(3);
    let connection = ProcessorConnection {
        id: ConnectionId::generate(&random),
        account_id: AccountId::generate(&random),
        credentials: ProcessorCredentials::Stripe {
            secret_key: Secret::new("sk_test_123456"),
            publishable_key: "pk_test_123456".into(),
            webhook_secret: Secret::new("whsec_123456"),
        },
        created_at: now(),
        health: ConnectionHealth::default(),
    };
    assert!(matches!(
        TestProcessor::new(TestProcessorState::new(), &connection),
        Err(ProcessorError::Rejected(_))
    ));
}

#[tokio::test]
async fn tokens_are_test_cards_used_once() {
    let setup = Setup::new().await;
    let mut request = setup.request(Scenario::VisaSuccess);
    request.source = ChargeSource::Token(
        portal_domain::ports::BrowserToken::parse("tok_test_mastercard_abcdefgh").unwrap(),
    );
    assert_eq!(
        setup.processor.charge(&request).await,
        Err(ProcessorError::Declined(NOT_A_TEST_CARD.into()))
    );
    assert_eq!(setup.look_up(&request).await, None);

    let (first, _) = setup.charge(Scenario::VisaSuccess).await;
    let reused = ChargeRequest {
        payment: PaymentId::generate(&setup.random),
        ..first.clone()
    };
    assert_eq!(
        setup.processor.charge(&reused).await,
        Err(ProcessorError::Declined(TOKEN_USED.into()))
    );

    // A setup finished twice (a retry) saves one method.
    let token = TestToken::fresh(Scenario::VisaSuccess).to_browser_token();
    let once = setup
        .processor
        .finish_setup(&setup.customer, &token, true)
        .await
        .unwrap();
    let twice = setup
        .processor
        .finish_setup(&setup.customer, &token, true)
        .await
        .unwrap();
    assert_eq!(once, twice);
    assert_eq!(
        setup.processor.methods(&setup.customer).await.unwrap(),
        vec![once]
    );
}

#[tokio::test]
async fn a_payment_id_names_one_charge() {
    let setup = Setup::new().await;
    let (first, _) = setup.charge(Scenario::VisaSuccess).await;
    let other = ChargeRequest {
        amount: usd(5000),
        ..first
    };
    assert!(matches!(
        setup.processor.charge(&other).await,
        Err(ProcessorError::Rejected(_))
    ));
}

#[tokio::test]
async fn refunds_stay_within_the_charge_and_repeat_safely() {
    let setup = Setup::new().await;
    let (request, outcome) = setup.charge(Scenario::VisaSuccess).await;
    let refund = |id: RefundId, minor: i64| RefundRequest {
        refund: id,
        payment: request.payment,
        charge: outcome.reference.clone().unwrap(),
        amount: usd(minor),
    };
    let first = RefundId::generate(&setup.random);
    let made = setup.processor.refund(&refund(first, 4000)).await.unwrap();
    assert_eq!(setup.processor.refund(&refund(first, 4000)).await, Ok(made));
    let too_much = refund(RefundId::generate(&setup.random), 901);
    assert!(matches!(
        setup.processor.refund(&too_much).await,
        Err(ProcessorError::Rejected(_))
    ));
    let rest = refund(RefundId::generate(&setup.random), 900);
    assert!(setup.processor.refund(&rest).await.is_ok());

    let (declined, failed) = setup.charge(Scenario::VisaDecline).await;
    let refused = RefundRequest {
        refund: RefundId::generate(&setup.random),
        payment: declined.payment,
        charge: failed.reference.unwrap(),
        amount: usd(100),
    };
    assert!(matches!(
        setup.processor.refund(&refused).await,
        Err(ProcessorError::Rejected(_))
    ));
}

#[tokio::test]
async fn a_timeout_does_the_work_and_a_server_error_does_not() {
    let setup = Setup::new().await;
    let timed_out = setup.request(Scenario::VisaSuccess);
    setup.processor.inject(TestFault::Timeout, 1);
    assert!(
        setup
            .processor
            .charge(&timed_out)
            .await
            .unwrap_err()
            .is_retryable()
    );
    assert!(setup.look_up(&timed_out).await.is_some());

    let failed = setup.request(Scenario::VisaSuccess);
    setup.processor.inject(TestFault::ServerError, 2);
    assert!(setup.processor.charge(&failed).await.is_err());
    assert!(setup.processor.check().await.is_err());
    assert!(setup.look_up(&failed).await.is_none());
    assert!(setup.processor.check().await.is_ok());
}

#[tokio::test]
async fn nothing_the_processor_answers_holds_a_card_number() {
    let setup = Setup::new().await;
    let mut seen = String::new();
    for scenario in Scenario::ALL {
        let token = TestToken::fresh(scenario).to_browser_token();
        seen.push_str(token.as_str());
        let saved = setup
            .processor
            .finish_setup(&setup.customer, &token, false)
            .await
            .unwrap();
        seen.push_str(&format!("{saved:?}"));
        let (_, outcome) = setup.charge(scenario).await;
        seen.push_str(&format!("{outcome:?}"));
        if let Some(reference) = outcome.reference.filter(|_| scenario.is_bank_account()) {
            let sent = setup.processor.settle(&reference, now()).unwrap();
            seen.push_str(&String::from_utf8_lossy(&sent.body));
        }
    }
    seen.push_str(NOT_A_TEST_CARD);
    for _ in 0..200 {
        seen.push_str(
            TestToken::fresh(Scenario::VisaSuccess)
                .to_browser_token()
                .as_str(),
        );
        seen.push(' ');
    }
    assert_no_card_numbers("the test processor's answers", &seen);
}
