//! What the contract suite does not ask of every processor: the Stripe
//! adapter's own ways with SetupIntents, metadata, refunds, credentials,
//! and faults on every kind of operation.

mod support;

use std::sync::OnceLock;
use std::time::{Duration, SystemTime};

use chrono::{DateTime, Utc};
use portal_domain::model::{
    ClientId, Currency, EmailAddress, Money, PaymentId, ProcessorRef, RefundId,
};
use portal_domain::ports::{
    BrowserToken, ChargeLookup, ChargeRequest, ChargeSource, ChargeStatus, CustomerInfo, Processor,
    ProcessorError, RefundRequest, SavedMethod,
};
use portal_domain::testing::SeededRandom;
use portal_domain::testing::processor_contract::TestCard;
use portal_stripe::{StripeConfig, StripeProcessor};
use portal_test_support::fault_proxy::ProxyFault;
use support::{StripeHarness, TIMEOUT, credentials};

/// Ids seeded differently in every run: the shared server keeps what
/// earlier tests made.
fn random() -> &'static SeededRandom {
    static RANDOM: OnceLock<SeededRandom> = OnceLock::new();
    RANDOM.get_or_init(|| {
        let seed = SystemTime::now()
            .duration_since(SystemTime::UNIX_EPOCH)
            .map(|d| d.as_nanos() as u64)
            .unwrap_or(7);
        SeededRandom::new(seed)
    })
}

fn now() -> DateTime<Utc> {
    DateTime::<Utc>::from(SystemTime::now())
}

fn usd(minor: i64) -> Money {
    Money::new(minor, Currency::parse("currency", "USD").unwrap())
}

async fn customer(processor: &dyn Processor) -> ProcessorRef {
    let email = EmailAddress::parse("email", "billing@acme.test").unwrap();
    processor
        .create_customer(CustomerInfo {
            client: ClientId::generate(random()),
            name: "Acme",
            email: Some(&email),
        })
        .await
        .expect("a customer")
}

/// Starts a setup through the adapter and confirms it in the browser's
/// stead with the client secret the adapter handed out.
async fn confirmed_setup(
    harness: &StripeHarness,
    customer: &ProcessorRef,
    card: TestCard,
) -> BrowserToken {
    let start = harness.stripe().start_setup(customer).await.unwrap();
    let secret = start.client_secret.expect("a client secret");
    let (setup, _) = secret.split_once("_secret_").expect("a SetupIntent secret");
    harness.confirm_setup(setup, card).await;
    BrowserToken::parse(setup).unwrap()
}

async fn save(harness: &StripeHarness, customer: &ProcessorRef, default: bool) -> SavedMethod {
    let token = confirmed_setup(harness, customer, TestCard::Succeeds).await;
    harness
        .stripe()
        .finish_setup(customer, &token, default)
        .await
        .expect("a saved card")
}

fn charge(customer: &ProcessorRef, source: ChargeSource) -> ChargeRequest {
    ChargeRequest {
        payment: PaymentId::generate(random()),
        customer: customer.clone(),
        source,
        amount: usd(4900),
        description: "Invoices INV-0001, INV-0002".into(),
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_setup_confirmed_with_the_adapters_client_secret_is_saved_and_listed() {
    let Some(harness) = StripeHarness::start("setup with client secret").await else {
        return;
    };
    let customer = customer(harness.stripe()).await;
    let saved = save(&harness, &customer, true).await;
    assert!(saved.is_default);
    assert_eq!(
        harness.stripe().methods(&customer).await.unwrap(),
        vec![saved.clone()]
    );
    let again = harness
        .stripe()
        .finish_setup(
            &customer,
            &BrowserToken::parse(saved.reference.as_str()).unwrap(),
            false,
        )
        .await
        .expect("finishing with the method itself");
    assert_eq!(again.reference, saved.reference);
    assert!(again.is_default, "it is still the customer's default");
}

#[tokio::test(flavor = "multi_thread")]
async fn tokens_of_another_customer_are_not_found_and_unknown_ones_declined() {
    let Some(harness) = StripeHarness::start("foreign tokens").await else {
        return;
    };
    let mine = customer(harness.stripe()).await;
    let theirs = customer(harness.stripe()).await;
    let their_setup = confirmed_setup(&harness, &theirs, TestCard::Succeeds).await;
    assert_eq!(
        harness
            .stripe()
            .finish_setup(&mine, &their_setup, true)
            .await,
        Err(ProcessorError::NotFound)
    );
    let their_method = save(&harness, &theirs, true).await;
    let token = BrowserToken::parse(their_method.reference.as_str()).unwrap();
    assert_eq!(
        harness.stripe().finish_setup(&mine, &token, true).await,
        Err(ProcessorError::NotFound)
    );
    let paid = harness
        .stripe()
        .charge(&charge(&mine, ChargeSource::Token(token)))
        .await;
    assert_eq!(paid, Err(ProcessorError::NotFound));
    for unknown in ["seti_doesnotexist", "pm_doesnotexist", "tok_visa"] {
        let answer = harness
            .stripe()
            .finish_setup(&mine, &BrowserToken::parse(unknown).unwrap(), true)
            .await;
        assert!(
            matches!(answer, Err(ProcessorError::Declined(_))),
            "{unknown}: {answer:?}"
        );
    }
    assert!(harness.stripe().methods(&mine).await.unwrap().is_empty());
}

#[tokio::test(flavor = "multi_thread")]
async fn a_setup_left_waiting_for_3d_secure_is_declined() {
    let Some(harness) = StripeHarness::start("unfinished 3-D Secure setup").await else {
        return;
    };
    let customer = customer(harness.stripe()).await;
    let start = harness.stripe().start_setup(&customer).await.unwrap();
    let secret = start.client_secret.unwrap();
    let (setup, _) = secret.split_once("_secret_").unwrap();
    let method = harness.payment_method(TestCard::Requires3ds).await;
    let (status, body) = harness
        .post(
            &format!("/v1/setup_intents/{setup}/confirm"),
            &[("payment_method", &method)],
        )
        .await;
    assert_eq!(
        (status, body["status"].as_str()),
        (200, Some("requires_action"))
    );
    let answer = harness
        .stripe()
        .finish_setup(&customer, &BrowserToken::parse(setup).unwrap(), true)
        .await;
    assert!(
        matches!(answer, Err(ProcessorError::Declined(_))),
        "{answer:?}"
    );
    assert!(
        harness
            .stripe()
            .methods(&customer)
            .await
            .unwrap()
            .is_empty()
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_one_time_card_from_a_setup_is_charged_and_not_kept() {
    let Some(harness) = StripeHarness::start("one-time card from a setup").await else {
        return;
    };
    let customer = customer(harness.stripe()).await;
    let token = confirmed_setup(&harness, &customer, TestCard::Succeeds).await;
    let request = charge(&customer, ChargeSource::Token(token));
    let outcome = harness.stripe().charge(&request).await.unwrap();
    assert_eq!(outcome.status, ChargeStatus::Succeeded, "{outcome:?}");
    assert!(
        harness
            .stripe()
            .methods(&customer)
            .await
            .unwrap()
            .is_empty()
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_charge_carries_our_payment_id_and_what_it_is_for() {
    let Some(harness) = StripeHarness::start("charge metadata").await else {
        return;
    };
    let customer = customer(harness.stripe()).await;
    let saved = save(&harness, &customer, true).await;
    let request = charge(&customer, ChargeSource::Saved(saved.reference));
    let outcome = harness.stripe().charge(&request).await.unwrap();
    let reference = outcome.reference.expect("a reference");
    assert!(reference.as_str().starts_with("pi_"), "{reference:?}");
    let intent = harness
        .get(&format!("/v1/payment_intents/{reference}"))
        .await;
    assert_eq!(
        intent["metadata"]["payment_id"],
        request.payment.to_string()
    );
    assert_eq!(
        intent["metadata"]["description"],
        "Invoices INV-0001, INV-0002"
    );
    assert_eq!(intent["amount"], 4900);
    assert_eq!(intent["currency"], "usd");

    let other = ChargeLookup {
        payment: PaymentId::generate(random()),
        customer: customer.clone(),
        reference: Some(reference),
        attempted_at: now(),
    };
    assert_eq!(harness.stripe().lookup_charge(&other).await, Ok(None));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_refund_retried_with_its_id_refunds_once() {
    let Some(harness) = StripeHarness::start("refund retried").await else {
        return;
    };
    let customer = customer(harness.stripe()).await;
    let saved = save(&harness, &customer, true).await;
    let request = charge(&customer, ChargeSource::Saved(saved.reference));
    let reference = harness
        .stripe()
        .charge(&request)
        .await
        .unwrap()
        .reference
        .unwrap();
    let refund = RefundRequest {
        refund: RefundId::generate(random()),
        payment: request.payment,
        charge: reference.clone(),
        amount: usd(1000),
    };
    let first = harness.stripe().refund(&refund).await.unwrap();
    let second = harness.stripe().refund(&refund).await.unwrap();
    assert_eq!(first, second);
    let refunds = harness
        .get(&format!("/v1/refunds?payment_intent={reference}"))
        .await;
    assert_eq!(
        refunds["data"].as_array().map(Vec::len),
        Some(1),
        "{refunds}"
    );
    assert_eq!(refunds["data"][0]["amount"], 1000);
}

#[tokio::test(flavor = "multi_thread")]
async fn removing_the_default_leaves_the_customer_without_one() {
    let Some(harness) = StripeHarness::start("removing the default").await else {
        return;
    };
    let customer = customer(harness.stripe()).await;
    let default = save(&harness, &customer, true).await;
    let other = save(&harness, &customer, false).await;
    harness
        .stripe()
        .remove_method(&customer, &default.reference)
        .await
        .unwrap();
    let methods = harness.stripe().methods(&customer).await.unwrap();
    assert_eq!(methods.len(), 1);
    assert_eq!(methods[0].reference, other.reference);
    assert!(!methods[0].is_default);
    let found = harness.get(&format!("/v1/customers/{customer}")).await;
    assert!(found["invoice_settings"]["default_payment_method"].is_null());
}

#[tokio::test(flavor = "multi_thread")]
async fn refused_credentials_are_unauthorized_and_an_unreachable_api_unavailable() {
    let Some(harness) = StripeHarness::start("credentials").await else {
        return;
    };
    // localstripe takes secret keys only; a restricted key is refused.
    let refused = StripeProcessor::new(
        StripeConfig::from_credentials(&credentials("rk_test_localstripe"))
            .unwrap()
            .with_base_url(harness.server().url())
            .with_timeout(TIMEOUT),
    )
    .unwrap();
    assert!(
        matches!(refused.check().await, Err(ProcessorError::Unauthorized(_))),
        "a refused key"
    );

    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = closed.local_addr().unwrap().port();
    drop(closed);
    let unreachable = StripeProcessor::new(
        StripeConfig::from_credentials(&credentials("sk_test_localstripe"))
            .unwrap()
            .with_base_url(format!("http://127.0.0.1:{port}"))
            .with_timeout(TIMEOUT),
    )
    .unwrap();
    let answer = unreachable.check().await;
    assert!(matches!(&answer, Err(e) if e.is_retryable()), "{answer:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn faults_on_any_operation_are_unavailable_and_then_pass() {
    let Some(harness) = StripeHarness::start("faults").await else {
        return;
    };
    let processor = harness.stripe();
    let customer = customer(processor).await;

    harness.proxy().inject(ProxyFault::ServerError, 1);
    assert!(matches!(
        processor.start_setup(&customer).await,
        Err(ProcessorError::Unavailable(_))
    ));
    assert!(processor.start_setup(&customer).await.is_ok());

    harness.proxy().inject(ProxyFault::Timeout, 1);
    let started = std::time::Instant::now();
    assert!(matches!(
        processor.methods(&customer).await,
        Err(ProcessorError::Unavailable(_))
    ));
    assert!(started.elapsed() < TIMEOUT + Duration::from_secs(2));
    assert_eq!(processor.methods(&customer).await, Ok(vec![]));

    harness.proxy().inject(ProxyFault::ServerError, 1);
    let lookup = ChargeLookup {
        payment: PaymentId::generate(random()),
        customer: customer.clone(),
        reference: None,
        attempted_at: now(),
    };
    assert!(matches!(
        processor.lookup_charge(&lookup).await,
        Err(ProcessorError::Unavailable(_))
    ));
    assert_eq!(processor.lookup_charge(&lookup).await, Ok(None));
}

/// The PaymentIntents localstripe holds for `payment`.
async fn intents_for(harness: &StripeHarness, payment: PaymentId) -> Vec<String> {
    let mut made = Vec::new();
    let mut path = "/v1/payment_intents?limit=100".to_owned();
    loop {
        let page = harness.get(&path).await;
        let data = page["data"].as_array().cloned().unwrap_or_default();
        made.extend(
            data.iter()
                .filter(|i| i["metadata"]["payment_id"] == payment.to_string())
                .map(|i| i["id"].as_str().unwrap_or_default().to_owned()),
        );
        match data.last() {
            Some(last) if page["has_more"] == true => {
                let after = last["id"].as_str().unwrap_or_default();
                path = format!("/v1/payment_intents?limit=100&starting_after={after}");
            }
            _ => return made,
        }
    }
}

/// The worst timeout: Stripe made the charge but its answer never came.
/// localstripe ignores idempotency keys, so only the adapter's own search
/// for the payment's charge stops the retry from charging again.
#[tokio::test(flavor = "multi_thread")]
async fn a_charge_whose_answer_was_lost_is_found_not_repeated() {
    let Some(harness) = StripeHarness::start("lost charge answer").await else {
        return;
    };
    let customer = customer(harness.stripe()).await;
    let saved = save(&harness, &customer, true).await;
    let request = charge(&customer, ChargeSource::Saved(saved.reference));
    // A charge reads the method, searches the customer's charges, then
    // creates the PaymentIntent: the third request loses its answer.
    harness.proxy().inject_after(2, ProxyFault::Timeout, 1);
    let lost = harness.stripe().charge(&request).await;
    assert!(
        matches!(lost, Err(ProcessorError::Unavailable(_))),
        "{lost:?}"
    );
    let made = intents_for(&harness, request.payment).await;
    assert_eq!(made.len(), 1, "the lost request did not charge: {made:?}");

    let retried = harness.stripe().charge(&request).await.unwrap();
    assert_eq!(retried.status, ChargeStatus::Succeeded, "{retried:?}");
    assert_eq!(
        retried.reference.as_ref().map(ProcessorRef::as_str),
        Some(made[0].as_str())
    );
    assert_eq!(
        intents_for(&harness, request.payment).await,
        made,
        "the payment was charged more than once"
    );
}
