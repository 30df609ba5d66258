//! `Idempotency-Key` on operator POSTs, across concurrent requests and two
//! server processes: one object, one answer.

mod common;

use common::TestApp;
use reqwest::StatusCode;
use serde_json::{Value, json};

async fn post(
    base: &str,
    key: &str,
    path: &str,
    idempotency_key: &str,
    body: &Value,
) -> (StatusCode, Option<String>, Value) {
    let response = reqwest::Client::new()
        .post(format!("{base}{path}"))
        .bearer_auth(key)
        .header("idempotency-key", idempotency_key)
        .json(body)
        .send()
        .await
        .unwrap();
    let status = response.status();
    let replayed = response
        .headers()
        .get("idempotent-replayed")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    (
        status,
        replayed,
        response.json().await.unwrap_or(Value::Null),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn twenty_concurrent_posts_with_one_key_create_one_client() {
    let Some(first) = TestApp::postgres().await else {
        return;
    };
    let second = first.second_process().await;
    let body = json!({ "name": "Globex Corporation" });
    let mut requests = Vec::new();
    for i in 0..20 {
        let base = if i % 2 == 0 {
            first.base.clone()
        } else {
            second.base.clone()
        };
        let key = first.api_key.clone();
        let body = body.clone();
        requests.push(tokio::spawn(async move {
            post(&base, &key, "/api/crm/clients", "create-globex-1", &body).await
        }));
    }
    let mut created = Vec::new();
    for request in requests {
        let (status, _, answer) = request.await.unwrap();
        match status {
            StatusCode::CREATED => created.push(answer["id"].as_str().unwrap().to_owned()),
            StatusCode::CONFLICT => assert_eq!(answer["error"]["code"], "request_in_progress"),
            other => panic!("unexpected {other}: {answer}"),
        }
    }
    assert!(!created.is_empty());
    assert!(
        created.iter().all(|id| *id == created[0]),
        "one object: {created:?}"
    );
    let (_, clients) = first.api("GET", "/api/crm/clients?limit=100", None).await;
    let named: Vec<&Value> = clients["data"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["name"] == "Globex Corporation")
        .collect();
    assert_eq!(named.len(), 1, "{clients}");

    // A retry afterwards replays the answer; another body is refused.
    let (status, replayed, answer) = post(
        &first.base,
        &first.api_key,
        "/api/crm/clients",
        "create-globex-1",
        &body,
    )
    .await;
    assert_eq!(
        (status, replayed.as_deref()),
        (StatusCode::CREATED, Some("true"))
    );
    assert_eq!(answer["id"].as_str(), Some(created[0].as_str()));
    let (status, _, answer) = post(
        &second.base,
        &first.api_key,
        "/api/crm/clients",
        "create-globex-1",
        &json!({ "name": "Initech" }),
    )
    .await;
    assert_eq!(
        (status, answer["error"]["code"].as_str()),
        (
            StatusCode::UNPROCESSABLE_ENTITY,
            Some("idempotency_key_reused")
        )
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_retried_payment_is_recorded_once_on_sqlite() {
    let app = TestApp::sqlite().await;
    let s = app.sent_invoice().await;
    let body = json!({
        "client_id": s.client, "amount": 50_000, "currency": "USD",
        "method": { "type": "manual", "kind": "bank_transfer" },
        "reference": "WIRE-7", "received_at": "2026-11-24T10:00:00Z",
        "allocations": [{ "invoice_id": s.invoice, "amount": 50_000 }],
    });
    let (first, _, one) = post(&app.base, &app.api_key, "/api/crm/payments", "pay-7", &body).await;
    assert_eq!(first, StatusCode::CREATED, "{one}");
    let (again, replayed, two) =
        post(&app.base, &app.api_key, "/api/crm/payments", "pay-7", &body).await;
    assert_eq!(
        (again, replayed.as_deref()),
        (StatusCode::CREATED, Some("true"))
    );
    assert_eq!(one, two);
    let (_, payments) = app
        .api(
            "GET",
            &format!("/api/crm/payments?client_id={}", s.client),
            None,
        )
        .await;
    assert_eq!(payments["data"].as_array().unwrap().len(), 1);
    let (_, invoice) = app
        .api("GET", &format!("/api/crm/invoices/{}", s.invoice), None)
        .await;
    assert_eq!(invoice["amount_paid"], 50_000);
    for bad in ["", "has space", &"k".repeat(256)] {
        let (status, _, answer) =
            post(&app.base, &app.api_key, "/api/crm/payments", bad, &body).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{bad:?}: {answer}");
    }
}
