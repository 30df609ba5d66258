//! The processors' webhooks over HTTP: a bank debit left processing is
//! settled (or returned) by a signed event, applied once however often it
//! is delivered; forged, stale and malformed deliveries change nothing;
//! addresses no account takes are not found; oversized bodies are refused.

mod common;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use common::billed::acme;
use common::paying::session;
use common::{Answer, World};
use portal_domain::ports::SessionContext;
use portal_domain::service::{PayOutcome, PayRequest, PayWith};
use portal_domain::{ClientInfo, ProcessorRef};
use portal_test_processor::{EventBody, Scenario, SignedWebhook, TestProcessor, TestToken};
use portal_test_support::cards::assert_no_card_numbers;
use serde_json::{Value, json};

/// Pays `invoice` in full from the portal with a fresh `scenario` method.
async fn pay(w: &World, ctx: &SessionContext, invoice: &str, scenario: Scenario) -> PayOutcome {
    let checkouts = &w.services.checkouts;
    let form = checkouts
        .prepare(
            ctx,
            PayRequest {
                invoices: vec![invoice.parse().unwrap()],
                amount: None,
            },
        )
        .await
        .unwrap();
    checkouts
        .submit(
            ctx,
            form.checkout.id,
            PayWith::New {
                token: TestToken::fresh(scenario).to_browser_token(),
                save: false,
            },
            &ClientInfo::new(None, Some("Mozilla/5.0")),
        )
        .await
        .unwrap()
}

/// The account's test processor, as the processor's side of the tests.
async fn processor(w: &World) -> TestProcessor {
    let connected = w
        .services
        .processors
        .connected(w.account.id)
        .await
        .unwrap()
        .expect("a processor is connected");
    TestProcessor::new(w.processor.state.clone(), &connected.connection).unwrap()
}

/// Acme's $500.00 invoice paid by bank debit (`scenario`), still
/// processing: the world, the invoice, the payment's id and the charge's
/// reference.
async fn processing(scenario: Scenario) -> (World, String, String, ProcessorRef) {
    let (w, _, _, _, small) = acme().await;
    w.connect_test_processor().await;
    let ctx = session(&w).await;
    let outcome = pay(&w, &ctx, &small, scenario).await;
    let PayOutcome::Processing(payment) = outcome else {
        panic!("a bank debit is processing: {outcome:?}");
    };
    let charge = payment.processor().unwrap().reference.clone().unwrap();
    (w, small, payment.id().to_string(), charge)
}

/// A delivery to `path` with `headers`.
async fn deliver(w: &World, path: &str, headers: &[(String, String)], body: Vec<u8>) -> Answer {
    let mut request = Request::post(path);
    for (name, value) in headers {
        request = request.header(name.as_str(), value.as_str());
    }
    let answer = w.send(request.body(Body::from(body)).unwrap()).await;
    assert_no_card_numbers(path, &answer.text);
    answer
}

async fn delivered(w: &World, webhook: &SignedWebhook) -> Answer {
    let path = format!("/webhooks/test/{}", w.account.id);
    deliver(w, &path, &webhook.headers(), webhook.body.clone()).await
}

async fn payment(w: &World, id: &str) -> Value {
    let answer = w.api("GET", &format!("/api/crm/payments/{id}"), None).await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.text);
    assert_no_card_numbers("a payment", &answer.text);
    answer.json
}

async fn invoice(w: &World, id: &str) -> Value {
    w.api("GET", &format!("/api/crm/invoices/{id}"), None)
        .await
        .json
}

#[tokio::test]
async fn a_bank_debit_is_settled_by_its_webhook_once_however_often_it_comes() {
    let (w, small, id, charge) = processing(Scenario::BankSuccess).await;
    let pending = payment(&w, &id).await;
    assert_eq!(pending["status"], "pending");
    assert_eq!(
        pending["method"],
        json!({ "type": "bank_debit", "last4": "6789" })
    );
    assert_eq!(
        pending["processor"],
        json!({ "kind": "test", "reference": charge.as_str() })
    );
    assert_eq!(pending["failure_message"], Value::Null);
    assert_eq!(invoice(&w, &small).await["status"], "open");

    let test = processor(&w).await;
    let webhook = test.settle(&charge, w.services.now()).unwrap();
    let answer = delivered(&w, &webhook).await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.text);
    assert_eq!(
        answer.json,
        json!({ "received": true, "applied": 1, "duplicates": 0, "ignored": 0 })
    );
    let settled = payment(&w, &id).await;
    assert_eq!(settled["status"], "succeeded");
    assert_eq!(settled["processor"]["reference"], charge.as_str());
    let paid = invoice(&w, &small).await;
    assert_eq!(paid["status"], "paid");
    assert_eq!(paid["amount_due"], 0);

    // The same event again, as processors retry: applied once.
    for _ in 0..2 {
        let replayed = delivered(&w, &webhook).await;
        assert_eq!(replayed.status, StatusCode::OK, "{}", replayed.text);
        assert_eq!(
            replayed.json,
            json!({ "received": true, "applied": 0, "duplicates": 1, "ignored": 0 })
        );
    }
    assert_eq!(payment(&w, &id).await, settled);
    assert_eq!(invoice(&w, &small).await, paid);
    // Listed with its processor and reference for operators.
    let listed = w.api("GET", "/api/crm/payments", None).await;
    let listed = listed.json["data"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["id"] == id.as_str())
        .cloned()
        .unwrap();
    assert_eq!(listed, settled);
}

#[tokio::test]
async fn a_returned_bank_debit_fails_and_leaves_the_invoice_open() {
    let (w, small, id, charge) = processing(Scenario::BankFailure).await;
    let test = processor(&w).await;
    let webhook = test.settle(&charge, w.services.now()).unwrap();
    let answer = delivered(&w, &webhook).await;
    assert_eq!(answer.json["applied"], 1, "{}", answer.text);
    let failed = payment(&w, &id).await;
    assert_eq!(failed["status"], "failed");
    assert!(
        failed["failure_message"]
            .as_str()
            .is_some_and(|m| !m.is_empty()),
        "{failed}"
    );
    let open = invoice(&w, &small).await;
    assert_eq!(
        (open["status"].as_str(), open["amount_due"].as_i64()),
        (Some("open"), Some(50_000))
    );
}

#[tokio::test]
async fn forged_stale_and_malformed_deliveries_change_nothing() {
    let (w, small, id, charge) = processing(Scenario::BankSuccess).await;
    let test = processor(&w).await;
    let now = w.services.now();
    let payment_id = id.parse().unwrap();
    let event = |id: &str| {
        let mut body = EventBody::charge(
            portal_test_processor::CHARGE_SUCCEEDED,
            &charge,
            payment_id,
            None,
        );
        body.id = id.to_owned();
        body.to_json()
    };
    let before = payment(&w, &id).await;

    // Signed with another secret.
    let forged = SignedWebhook::new("someone_elses_secret_000", now, event("evt_forged"));
    // Signed right, and the body changed after.
    let mut tampered = test.sign(now, event("evt_tampered"));
    tampered.body = event("evt_tampered_2");
    // No signature at all.
    let unsigned = SignedWebhook {
        body: event("evt_unsigned"),
        signature: String::new(),
    };
    let stale = test.sign(now - chrono::Duration::minutes(10), event("evt_stale"));
    let early = test.sign(now + chrono::Duration::minutes(10), event("evt_early"));
    let malformed = test.sign(now, b"{\"not\": \"an event\"".to_vec());
    let not_json = test.sign(now, b"card=4242".to_vec());
    for (webhook, code) in [
        (&forged, "webhook_signature_invalid"),
        (&tampered, "webhook_signature_invalid"),
        (&unsigned, "webhook_signature_invalid"),
        (&stale, "webhook_stale"),
        (&early, "webhook_stale"),
        (&malformed, "webhook_malformed"),
        (&not_json, "webhook_malformed"),
    ] {
        let answer = delivered(&w, webhook).await;
        assert_eq!(
            (answer.status, answer.json["error"]["code"].as_str()),
            (StatusCode::BAD_REQUEST, Some(code)),
            "{}: {}",
            String::from_utf8_lossy(&webhook.body),
            answer.text
        );
    }
    assert_eq!(payment(&w, &id).await, before);
    assert_eq!(invoice(&w, &small).await["status"], "open");

    // A refused event was not recorded: signed right, it applies.
    let genuine = test.sign(now, event("evt_forged"));
    let answer = delivered(&w, &genuine).await;
    assert_eq!(answer.json["applied"], 1, "{}", answer.text);
    assert_eq!(payment(&w, &id).await["status"], "succeeded");
}

#[tokio::test]
async fn addresses_no_account_takes_are_not_found() {
    let (w, _, id, charge) = processing(Scenario::BankSuccess).await;
    let test = processor(&w).await;
    let webhook = test.settle(&charge, w.services.now()).unwrap();
    let account = w.account.id.to_string();
    let other = w
        .services
        .accounts
        .create_account(portal_domain::Name::parse("name", "Globex").unwrap(), false)
        .await
        .unwrap()
        .account
        .id
        .to_string();
    for path in [
        // Connected to the test processor, not Stripe.
        format!("/webhooks/stripe/{account}"),
        format!("/webhooks/authorize-net/{account}"),
        format!("/webhooks/paypal/{account}"),
        format!("/webhooks/test/{other}"),
        "/webhooks/test/00000000-0000-4000-8000-000000000000".to_owned(),
        "/webhooks/test/not-an-account".to_owned(),
    ] {
        let answer = deliver(&w, &path, &webhook.headers(), webhook.body.clone()).await;
        assert_eq!(
            (answer.status, answer.json["error"]["code"].as_str()),
            (StatusCode::NOT_FOUND, Some("not_found")),
            "{path}: {}",
            answer.text
        );
    }
    assert_eq!(payment(&w, &id).await["status"], "pending");

    // Disconnected, the account takes no webhooks either.
    let gone = w.api("DELETE", "/api/crm/account/processor", None).await;
    assert_eq!(gone.status, StatusCode::NO_CONTENT);
    let answer = delivered(&w, &webhook).await;
    assert_eq!(answer.status, StatusCode::NOT_FOUND, "{}", answer.text);
    assert_eq!(payment(&w, &id).await["status"], "pending");
}

#[tokio::test]
async fn webhooks_take_no_api_key_cross_site_check_or_oversized_body() {
    let (w, _, id, charge) = processing(Scenario::BankSuccess).await;
    let test = processor(&w).await;
    let now = w.services.now();
    let path = format!("/webhooks/test/{}", w.account.id);

    // Over 64 KiB: refused before anything is read into an event.
    let big = test.sign(now, vec![b' '; 64 * 1024 + 1]);
    let answer = deliver(&w, &path, &big.headers(), big.body.clone()).await;
    assert_eq!(
        (answer.status, answer.json["error"]["code"].as_str()),
        (StatusCode::PAYLOAD_TOO_LARGE, Some("payload_too_large")),
        "{}",
        answer.text
    );
    // Exactly 64 KiB is read, and judged as an event.
    let full = test.sign(now, vec![b' '; 64 * 1024]);
    let answer = deliver(&w, &path, &full.headers(), full.body.clone()).await;
    assert_eq!(
        answer.json["error"]["code"], "webhook_malformed",
        "{}",
        answer.text
    );

    // A processor's servers send whatever headers they like; an API key or
    // an origin neither helps nor hinders.
    let webhook = test.settle(&charge, now).unwrap();
    let mut headers = webhook.headers();
    headers.push(("origin".to_owned(), "https://evil.example".to_owned()));
    headers.push(("sec-fetch-site".to_owned(), "cross-site".to_owned()));
    headers.push(("authorization".to_owned(), "Bearer not-a-key".to_owned()));
    let answer = deliver(&w, &path, &headers, webhook.body.clone()).await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.text);
    assert_eq!(answer.json["applied"], 1);
    assert_eq!(payment(&w, &id).await["status"], "succeeded");

    // Other methods are refused as the API refuses them.
    let get = w
        .send(Request::get(&path).body(Body::empty()).unwrap())
        .await;
    assert_eq!(
        (get.status, get.json["error"]["code"].as_str()),
        (StatusCode::METHOD_NOT_ALLOWED, Some("method_not_allowed"))
    );
}
