//! The account's processor over the operator API: connecting, replacing,
//! checking and disconnecting it without any answer ever showing a secret;
//! every credential refused field by field; the payment methods a client
//! saved, listed for the account's own clients only; and the account's
//! partial payments setting. The credentials' documented limits are held
//! to in `schema_limits.rs`, refunds through the processor in
//! `refunds.rs`.

mod common;

use std::sync::Arc;

use axum::http::StatusCode;
use common::openapi::document;
use common::paying::session;
use common::{Answer, BASE, World};
use portal_domain::service::{PortalConfig, Services};
use portal_domain::testing::{RecordingMailer, SeededRandom};
use portal_domain::{
    ClientInfo, LinkRequestPolicy, Name, OutboxPolicy, ProcessorCredentials, PublicUrl, Secret,
    ServerKey,
};
use portal_test_processor::{Scenario, TestFault, TestToken};
use portal_test_support::cards::assert_no_card_numbers;
use serde_json::{Value, json};

const TEST_SECRET: &str = "test_webhook_secret_0123456789";
const STRIPE_SECRET: &str = "sk_test_51SecretKeyOfNorthwind";
const STRIPE_WEBHOOK: &str = "whsec_SigningSecretOfNorthwind";
const ANET_KEY: &str = "9z8Y7x6W5v4U3t2S";

fn anet_signature() -> String {
    "a1B2c3D4e5F6a7B8".repeat(8)
}

fn stripe() -> Value {
    json!({ "kind": "stripe", "secret_key": STRIPE_SECRET,
        "publishable_key": "pk_test_51PublicKey", "webhook_secret": STRIPE_WEBHOOK })
}

fn authorize_net(environment: &str) -> Value {
    json!({ "kind": "authorize_net", "api_login_id": "5KP3u95bQpv", "transaction_key": ANET_KEY,
        "client_key": "7aB3xYpublic", "signature_key": anet_signature(), "environment": environment })
}

/// Every answer a test saw, to look for secrets in.
#[derive(Default)]
struct Seen(Vec<String>);

impl Seen {
    fn keep(&mut self, answer: Answer) -> Answer {
        self.0.push(answer.text.clone());
        answer
    }

    fn assert_none_holds(&self, secrets: &[&str]) {
        for text in &self.0 {
            for secret in secrets {
                assert!(!text.contains(secret), "{secret} in {text}");
            }
        }
    }
}

#[tokio::test]
async fn connecting_replacing_and_disconnecting_never_show_a_secret() {
    let w = World::new().await;
    let mut seen = Seen::default();
    let webhooks = |kind: &str| format!("{BASE}/webhooks/{kind}/{}", w.account.id);

    let none = seen.keep(w.api("GET", "/api/crm/account/processor", None).await);
    assert_eq!(none.status, StatusCode::OK, "{}", none.text);
    assert_eq!(
        none.json,
        json!({ "kind": null, "status": "not_configured", "test_mode": false,
            "connected_at": null, "last_ok_at": null, "last_error": null, "last_error_at": null,
            "webhook_url": null })
    );

    let test = seen.keep(
        w.api(
            "PUT",
            "/api/crm/account/processor",
            Some(json!({ "kind": "test", "webhook_secret": TEST_SECRET })),
        )
        .await,
    );
    assert_eq!(test.status, StatusCode::OK, "{}", test.text);
    assert_eq!(test.json["kind"], "test");
    assert_eq!(test.json["status"], "connected");
    assert_eq!(test.json["test_mode"], true);
    assert_eq!(test.json["connected_at"], "2026-11-25T10:00:00Z");
    // The check ran, and the test processor took the credentials.
    assert_eq!(test.json["last_ok_at"], "2026-11-25T10:00:00Z");
    assert_eq!(test.json["last_error"], Value::Null);
    assert_eq!(test.json["webhook_url"], webhooks("test"));
    let shown = seen.keep(w.api("GET", "/api/crm/account/processor", None).await);
    assert_eq!(shown.json, test.json);

    // Another processor replaces it; Stripe test keys are test mode.
    let replaced = seen.keep(
        w.api("PUT", "/api/crm/account/processor", Some(stripe()))
            .await,
    );
    assert_eq!(replaced.status, StatusCode::OK, "{}", replaced.text);
    assert_eq!(replaced.json["kind"], "stripe");
    assert_eq!(replaced.json["test_mode"], true);
    assert_eq!(replaced.json["webhook_url"], webhooks("stripe"));
    let live = seen.keep(
        w.api(
            "PUT",
            "/api/crm/account/processor",
            Some(authorize_net("production")),
        )
        .await,
    );
    assert_eq!(live.status, StatusCode::OK, "{}", live.text);
    assert_eq!(live.json["kind"], "authorize_net");
    assert_eq!(live.json["test_mode"], false);
    assert_eq!(live.json["webhook_url"], webhooks("authorize-net"));
    let sandbox = seen.keep(
        w.api(
            "PUT",
            "/api/crm/account/processor",
            Some(authorize_net("sandbox")),
        )
        .await,
    );
    assert_eq!(sandbox.json["test_mode"], true);

    // The webhook address follows the account's own portal URL.
    let patched = w
        .api(
            "PATCH",
            "/api/crm/account",
            Some(json!({ "public_url": "https://pay.northwind.example" })),
        )
        .await;
    assert_eq!(patched.status, StatusCode::OK, "{}", patched.text);
    let moved = seen.keep(w.api("GET", "/api/crm/account/processor", None).await);
    assert_eq!(
        moved.json["webhook_url"],
        format!(
            "https://pay.northwind.example/webhooks/authorize-net/{}",
            w.account.id
        )
    );

    for _ in 0..2 {
        let gone = seen.keep(w.api("DELETE", "/api/crm/account/processor", None).await);
        assert_eq!(gone.status, StatusCode::NO_CONTENT, "{}", gone.text);
        assert_eq!(gone.text, "");
    }
    let none = seen.keep(w.api("GET", "/api/crm/account/processor", None).await);
    assert_eq!(none.json["status"], "not_configured");
    let account = seen.keep(w.api("GET", "/api/crm/account", None).await);
    assert_eq!(account.status, StatusCode::OK);

    let signature = anet_signature();
    seen.assert_none_holds(&[
        TEST_SECRET,
        STRIPE_SECRET,
        STRIPE_WEBHOOK,
        ANET_KEY,
        &signature,
    ]);
}

#[tokio::test]
async fn credentials_are_refused_field_by_field_and_nothing_is_connected() {
    let w = World::new().await;
    let with = |mut body: Value, field: &str, value: Value| {
        body[field] = value;
        body
    };
    let cases = [
        (
            json!({ "webhook_secret": TEST_SECRET }),
            "invalid_request",
            Some("kind"),
        ),
        (
            json!({ "kind": "paypal", "webhook_secret": TEST_SECRET }),
            "invalid_request",
            Some("kind"),
        ),
        (
            json!({ "kind": "test", "webhook_secret": TEST_SECRET, "secret_key": STRIPE_SECRET }),
            "invalid_request",
            None,
        ),
        (
            json!({ "kind": "test" }),
            "invalid_request",
            Some("webhook_secret"),
        ),
        (
            json!({ "kind": "test", "webhook_secret": "x".repeat(15) }),
            "validation_failed",
            Some("webhook_secret"),
        ),
        (
            json!({ "kind": "test", "webhook_secret": format!("{TEST_SECRET}!") }),
            "validation_failed",
            Some("webhook_secret"),
        ),
        (
            with(stripe(), "secret_key", json!("pk_test_51PublicKey")),
            "validation_failed",
            Some("secret_key"),
        ),
        (
            with(stripe(), "secret_key", json!("sk_1234")),
            "validation_failed",
            Some("secret_key"),
        ),
        (
            with(stripe(), "publishable_key", json!("sk_test_51PublicKey")),
            "validation_failed",
            Some("publishable_key"),
        ),
        (
            with(stripe(), "webhook_secret", json!("secret_123")),
            "validation_failed",
            Some("webhook_secret"),
        ),
        (
            with(
                stripe(),
                "webhook_secret",
                json!(format!("whsec_{}", "a".repeat(250))),
            ),
            "validation_failed",
            Some("webhook_secret"),
        ),
        (
            with(
                authorize_net("sandbox"),
                "api_login_id",
                json!("a".repeat(26)),
            ),
            "validation_failed",
            Some("api_login_id"),
        ),
        (
            with(authorize_net("sandbox"), "api_login_id", json!("")),
            "validation_failed",
            Some("api_login_id"),
        ),
        (
            with(
                authorize_net("sandbox"),
                "transaction_key",
                json!("9z8Y7x6W5v4U3t2"),
            ),
            "validation_failed",
            Some("transaction_key"),
        ),
        (
            with(
                authorize_net("sandbox"),
                "client_key",
                json!("key with spaces"),
            ),
            "validation_failed",
            Some("client_key"),
        ),
        (
            with(
                authorize_net("sandbox"),
                "signature_key",
                json!("g".repeat(128)),
            ),
            "validation_failed",
            Some("signature_key"),
        ),
        (
            with(authorize_net("sandbox"), "environment", json!("staging")),
            "validation_failed",
            Some("environment"),
        ),
    ];
    for (body, code, field) in cases {
        let answer = w
            .api("PUT", "/api/crm/account/processor", Some(body.clone()))
            .await;
        assert_eq!(
            (
                answer.status,
                answer.json["error"]["code"].as_str(),
                answer.json["error"]["field"].as_str()
            ),
            (StatusCode::UNPROCESSABLE_ENTITY, Some(code), field),
            "{body}: {}",
            answer.text
        );
    }
    let none = w.api("GET", "/api/crm/account/processor", None).await;
    assert_eq!(none.json["status"], "not_configured");
}

#[tokio::test]
async fn a_check_the_processor_fails_answers_502_and_leaves_the_connection_failing() {
    let w = World::new().await;
    let answer = w
        .api("POST", "/api/crm/account/processor/check", None)
        .await;
    assert_eq!(
        (answer.status, answer.json["error"]["code"].as_str()),
        (StatusCode::CONFLICT, Some("processor_not_configured")),
        "{}",
        answer.text
    );

    let connected = w
        .api(
            "PUT",
            "/api/crm/account/processor",
            Some(json!({ "kind": "test", "webhook_secret": TEST_SECRET })),
        )
        .await;
    assert_eq!(connected.json["status"], "connected");
    let connection = w
        .services
        .processors
        .connected(w.account.id)
        .await
        .unwrap()
        .unwrap()
        .connection;
    w.clock.advance(chrono::Duration::minutes(5));
    w.processor
        .state
        .inject(connection.id, TestFault::ServerError, 1);
    let failed = w
        .api("POST", "/api/crm/account/processor/check", None)
        .await;
    assert_eq!(
        (failed.status, failed.json["error"]["code"].as_str()),
        (StatusCode::BAD_GATEWAY, Some("processor_unavailable")),
        "{}",
        failed.text
    );
    let status = w.api("GET", "/api/crm/account/processor", None).await;
    assert_eq!(status.json["status"], "failing", "{}", status.text);
    assert_eq!(status.json["last_error_at"], "2026-11-25T10:05:00Z");
    assert_eq!(status.json["last_ok_at"], "2026-11-25T10:00:00Z");
    assert!(
        status.json["last_error"]
            .as_str()
            .is_some_and(|e| e.contains("500")),
        "{}",
        status.text
    );

    // The processor is back: the next check says so.
    w.clock.advance(chrono::Duration::minutes(1));
    let ok = w
        .api("POST", "/api/crm/account/processor/check", None)
        .await;
    assert_eq!(ok.status, StatusCode::OK, "{}", ok.text);
    assert_eq!(ok.json["status"], "connected");
    assert_eq!(ok.json["last_ok_at"], "2026-11-25T10:06:00Z");

    // A processor this deployment does not offer fails its check too.
    let stripe = w
        .api("PUT", "/api/crm/account/processor", Some(stripe()))
        .await;
    assert_eq!(stripe.status, StatusCode::OK, "{}", stripe.text);
    let refused = w
        .api("POST", "/api/crm/account/processor/check", None)
        .await;
    assert_eq!(refused.status, StatusCode::BAD_GATEWAY, "{}", refused.text);
    assert!(!refused.text.contains(STRIPE_SECRET));
}

#[tokio::test]
async fn credentials_sealed_under_another_server_key_are_reported_not_used() {
    let w = World::new().await;
    // Another deployment's key over the same database.
    let other = Services::new(
        w.store.clone(),
        Arc::new(RecordingMailer::default()),
        w.connector.clone(),
        w.renderer.clone(),
        w.clock.clone(),
        Arc::new(SeededRandom::new(8)),
        PortalConfig {
            public_url: PublicUrl::parse("url", BASE).unwrap(),
            link_requests: LinkRequestPolicy::default(),
            outbox: OutboxPolicy::default(),
            server_key: ServerKey::from_bytes([1; 32]),
        },
    );
    other
        .processors
        .connect(
            &w.account,
            ProcessorCredentials::Test {
                webhook_secret: Secret::new(TEST_SECRET),
            },
        )
        .await
        .unwrap();
    let status = w.api("GET", "/api/crm/account/processor", None).await;
    assert_eq!(status.status, StatusCode::OK, "{}", status.text);
    assert_eq!(status.json["kind"], "test");
    let check = w
        .api("POST", "/api/crm/account/processor/check", None)
        .await;
    assert_eq!(
        (check.status, check.json["error"]["code"].as_str()),
        (
            StatusCode::INTERNAL_SERVER_ERROR,
            Some("processor_credentials_unreadable")
        ),
        "{}",
        check.text
    );
    // Connecting again, under this server's key, mends it.
    let again = w
        .api(
            "PUT",
            "/api/crm/account/processor",
            Some(json!({ "kind": "test", "webhook_secret": TEST_SECRET })),
        )
        .await;
    assert_eq!(again.json["status"], "connected", "{}", again.text);
    let check = w
        .api("POST", "/api/crm/account/processor/check", None)
        .await;
    assert_eq!(check.status, StatusCode::OK, "{}", check.text);
}

#[tokio::test]
async fn a_clients_saved_methods_are_listed_for_its_own_account_only() {
    let w = World::new().await;
    let (client, contact) = w.client_and_contact("Acme", "ap@acme.example").await;
    let invoice = w.invoice(&client, "INV-1", "USD", 10_000).await;
    w.send_invoice(&invoice, &contact).await;
    let path = format!("/api/crm/clients/{client}/payment-methods");

    // No processor, no methods.
    let none = w.api("GET", &path, None).await;
    assert_eq!(none.status, StatusCode::OK, "{}", none.text);
    assert_eq!(none.json, json!({ "data": [] }));

    w.connect_test_processor().await;
    let ctx = session(&w).await;
    let info = ClientInfo::new(None, Some("Mozilla/5.0"));
    for scenario in [Scenario::VisaSuccess, Scenario::BankSuccess] {
        w.services
            .methods
            .finish_add(
                &ctx,
                &TestToken::fresh(scenario).to_browser_token(),
                false,
                &info,
            )
            .await
            .unwrap();
    }
    let listed = w.api("GET", &path, None).await;
    assert_eq!(listed.status, StatusCode::OK, "{}", listed.text);
    let data = listed.json["data"].as_array().unwrap();
    assert_eq!(data.len(), 2, "{}", listed.text);
    let card = data.iter().find(|m| m["type"] == "card").unwrap();
    assert_eq!(card["brand"], "visa");
    assert_eq!(card["last4"], "4242");
    assert_eq!(
        (card["exp_month"].as_u64(), card["exp_year"].as_u64()),
        (Some(12), Some(2030))
    );
    assert_eq!(card["bank_name"], Value::Null);
    assert_eq!(card["is_default"], true, "the first method is the default");
    assert_eq!(card["created_at"], "2026-11-25T10:00:00Z");
    assert!(card["id"].as_str().is_some_and(|id| id.len() == 36));
    let bank = data.iter().find(|m| m["type"] == "bank_account").unwrap();
    assert_eq!(bank["last4"], "6789");
    assert_eq!(bank["bank_name"], "Test Bank");
    assert_eq!(
        (&bank["brand"], &bank["exp_month"], &bank["exp_year"]),
        (&Value::Null, &Value::Null, &Value::Null)
    );
    assert_eq!(bank["is_default"], false);
    assert_eq!(data[0]["is_default"], true, "the default comes first");
    assert_no_card_numbers("saved methods", &listed.text);

    // Another account's client is none of this one's.
    let other = w
        .services
        .accounts
        .create_account(Name::parse("name", "Globex").unwrap(), false)
        .await
        .unwrap();
    let theirs = w
        .services
        .crm
        .create_client(
            &other.account,
            Name::parse("name", "Initech").unwrap(),
            true,
        )
        .await
        .unwrap();
    for id in [
        theirs.id.to_string(),
        "00000000-0000-4000-8000-000000000000".to_owned(),
        "nope".to_owned(),
    ] {
        let answer = w
            .api(
                "GET",
                &format!("/api/crm/clients/{id}/payment-methods"),
                None,
            )
            .await;
        assert_eq!(
            (answer.status, answer.json["error"]["code"].as_str()),
            (StatusCode::NOT_FOUND, Some("not_found")),
            "{id}: {}",
            answer.text
        );
    }

    // New keys for the same processor account keep its methods.
    w.connect_test_processor().await;
    let rekeyed = w.api("GET", &path, None).await;
    assert_eq!(rekeyed.json, listed.json);
    // Methods saved under a replaced connection (another processor
    // account) are not offered.
    let stripe = w
        .api(
            "PUT",
            "/api/crm/account/processor",
            Some(
                json!({ "kind": "stripe", "secret_key": "sk_test_replacement",
                "publishable_key": "pk_test_replacement", "webhook_secret": "whsec_replacement" }),
            ),
        )
        .await;
    assert_eq!(stripe.status, StatusCode::OK, "{}", stripe.text);
    let replaced = w.api("GET", &path, None).await;
    assert_eq!(replaced.json, json!({ "data": [] }));
}

#[tokio::test]
async fn partial_payments_are_an_account_setting() {
    let w = World::new().await;
    let account = w.api("GET", "/api/crm/account", None).await;
    assert_eq!(account.json["allow_partial_payments"], false);
    let on = w
        .api(
            "PATCH",
            "/api/crm/account",
            Some(json!({ "allow_partial_payments": true })),
        )
        .await;
    assert_eq!(on.status, StatusCode::OK, "{}", on.text);
    assert_eq!(on.json["allow_partial_payments"], true);
    // Left out or `null`, it is kept.
    for body in [
        json!({ "name": "Northwind" }),
        json!({ "allow_partial_payments": null }),
    ] {
        let kept = w.api("PATCH", "/api/crm/account", Some(body)).await;
        assert_eq!(kept.json["allow_partial_payments"], true, "{}", kept.text);
    }
    let refused = w
        .api(
            "PATCH",
            "/api/crm/account",
            Some(json!({ "allow_partial_payments": "yes" })),
        )
        .await;
    assert_eq!(
        (refused.status, refused.json["error"]["field"].as_str()),
        (
            StatusCode::UNPROCESSABLE_ENTITY,
            Some("allow_partial_payments")
        )
    );
    let doc = document(&w).await;
    assert_eq!(
        doc["components"]["schemas"]["PatchAccount"]["properties"]["allow_partial_payments"]["type"],
        json!(["boolean", "null"])
    );
}
