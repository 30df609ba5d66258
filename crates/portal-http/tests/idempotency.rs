//! `Idempotency-Key` on operator POSTs: one object per key, the first
//! answer replayed, a duplicate in progress waited for, a reused key and a
//! malformed one refused, keys kept apart per account.

mod common;

use std::sync::Arc;
use std::time::Duration;

use axum::http::StatusCode;
use common::{World, pause};
use portal_domain::service::Begin;
use portal_domain::{Fingerprint, IdempotencyKey, Name};
use portal_http::HttpConfig;
use serde_json::{Value, json};

async fn post(w: &World, key: &str, path: &str, body: &Value) -> common::Answer {
    w.api_with(
        "POST",
        path,
        Some(body.clone()),
        &[("idempotency-key", key)],
    )
    .await
}

async fn clients(w: &World) -> usize {
    w.api("GET", "/api/crm/clients?limit=100", None).await.json["data"]
        .as_array()
        .unwrap()
        .len()
}

#[tokio::test]
async fn a_retry_gets_the_first_answer_and_creates_nothing_more() {
    let w = World::new().await;
    let body = json!({ "name": "Globex" });
    let first = post(&w, "create-globex", "/api/crm/clients", &body).await;
    assert_eq!(first.status, StatusCode::CREATED);
    assert!(first.headers.get("idempotent-replayed").is_none());
    let again = post(&w, "create-globex", "/api/crm/clients", &body).await;
    assert_eq!(again.status, StatusCode::CREATED);
    assert_eq!(again.headers["idempotent-replayed"], "true");
    assert_eq!(again.headers["content-type"], "application/json");
    assert_eq!(again.json, first.json);
    assert_eq!(clients(&w).await, 1);

    // Another body, or another path, under the same key is refused.
    let other = post(
        &w,
        "create-globex",
        "/api/crm/clients",
        &json!({ "name": "Initech" }),
    )
    .await;
    assert_eq!(
        (other.status, other.json["error"]["code"].as_str()),
        (
            StatusCode::UNPROCESSABLE_ENTITY,
            Some("idempotency_key_reused")
        )
    );
    let elsewhere = post(&w, "create-globex", "/api/crm/api-keys", &body).await;
    assert_eq!(elsewhere.json["error"]["code"], "idempotency_key_reused");
    assert_eq!(clients(&w).await, 1);
    // Without a key, each request is its own.
    w.api("POST", "/api/crm/clients", Some(body.clone())).await;
    assert_eq!(clients(&w).await, 2);
}

#[tokio::test]
async fn refusals_are_kept_too() {
    let w = World::new().await;
    let body = json!({ "name": "" });
    let first = post(&w, "k-1", "/api/crm/clients", &body).await;
    assert_eq!(first.status, StatusCode::UNPROCESSABLE_ENTITY);
    let again = post(&w, "k-1", "/api/crm/clients", &body).await;
    assert_eq!(
        (
            again.status,
            again.headers["idempotent-replayed"].to_str().unwrap()
        ),
        (StatusCode::UNPROCESSABLE_ENTITY, "true")
    );
    assert_eq!(again.json, first.json);
}

#[tokio::test]
async fn malformed_keys_are_refused_before_any_work() {
    let w = World::new().await;
    let body = json!({ "name": "Globex" });
    for key in ["", "has space", &"k".repeat(256), "clé"] {
        let answer = post(&w, key, "/api/crm/clients", &body).await;
        assert_eq!(
            (answer.status, answer.json["error"]["code"].as_str()),
            (StatusCode::BAD_REQUEST, Some("invalid_idempotency_key")),
            "{key:?}"
        );
    }
    assert_eq!(clients(&w).await, 0);
    assert_eq!(
        post(&w, &"k".repeat(255), "/api/crm/clients", &body)
            .await
            .status,
        StatusCode::CREATED
    );
}

#[tokio::test]
async fn a_duplicate_waits_for_the_first_then_gets_its_answer() {
    let w = Arc::new(
        World::with(HttpConfig {
            idempotency_wait: Duration::from_millis(300),
            ..HttpConfig::default()
        })
        .await,
    );
    let body = json!({ "name": "Globex" });
    let fingerprint = Fingerprint::of("POST", "/api/crm/clients", body.to_string().as_bytes());
    let key = IdempotencyKey::parse("k", "in-flight").unwrap();
    // Another request holds the key.
    let Begin::Proceed(ticket) = w
        .services
        .idempotency
        .begin(&w.account, key, fingerprint)
        .await
        .unwrap()
    else {
        panic!("the key is fresh");
    };
    let busy = post(&w, "in-flight", "/api/crm/clients", &body).await;
    assert_eq!(
        (busy.status, busy.json["error"]["code"].as_str()),
        (StatusCode::CONFLICT, Some("request_in_progress"))
    );
    // It finishes while a duplicate waits: the duplicate gets its answer.
    let waiting = {
        let w = Arc::clone(&w);
        let body = body.clone();
        tokio::spawn(async move { post(&w, "in-flight", "/api/crm/clients", &body).await })
    };
    pause(100).await;
    w.services
        .idempotency
        .finish(ticket, 201, "application/json", br#"{"id":"first"}"#)
        .await
        .unwrap();
    let answer = waiting.await.unwrap();
    assert_eq!(answer.status, StatusCode::CREATED);
    assert_eq!(answer.json, json!({ "id": "first" }));
    assert_eq!(answer.headers["idempotent-replayed"], "true");
    assert_eq!(clients(&w).await, 0, "the duplicates did no work");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_duplicates_create_one_object() {
    let w = Arc::new(World::new().await);
    let (client, contact) = w.client_and_contact("Acme", "ap@acme.example").await;
    let invoice = w.invoice(&client, "INV-1", "USD", 10_000).await;
    w.send_invoice(&invoice, &contact).await;
    let body = json!({
        "client_id": client, "amount": 10_000, "currency": "USD",
        "method": { "type": "manual", "kind": "cash" }, "received_at": "2026-11-24T10:00:00Z",
        "allocations": [{ "invoice_id": invoice, "amount": 10_000 }],
    });
    let mut requests = Vec::new();
    for _ in 0..12 {
        let w = Arc::clone(&w);
        let body = body.clone();
        requests.push(tokio::spawn(async move {
            post(&w, "pay-once", "/api/crm/payments", &body).await
        }));
    }
    let mut ids = Vec::new();
    for request in requests {
        let answer = request.await.unwrap();
        match answer.status {
            StatusCode::CREATED => ids.push(answer.json["id"].as_str().unwrap().to_owned()),
            StatusCode::CONFLICT => assert_eq!(answer.json["error"]["code"], "request_in_progress"),
            other => panic!("{other}: {}", answer.text),
        }
    }
    assert!(
        !ids.is_empty() && ids.iter().all(|id| *id == ids[0]),
        "{ids:?}"
    );
    let payments = w.api("GET", "/api/crm/payments", None).await.json;
    assert_eq!(payments["data"].as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn keys_belong_to_one_account_and_need_a_valid_api_key() {
    let w = World::new().await;
    let body = json!({ "name": "Globex" });
    // No API key: refused, and the key stays free.
    let anonymous = axum::http::Request::post("/api/crm/clients")
        .header("idempotency-key", "shared")
        .header("content-type", "application/json")
        .body(axum::body::Body::from(body.to_string()))
        .unwrap();
    assert_eq!(w.send(anonymous).await.status, StatusCode::UNAUTHORIZED);
    let first = post(&w, "shared", "/api/crm/clients", &body).await;
    assert_eq!(first.status, StatusCode::CREATED);
    assert!(first.headers.get("idempotent-replayed").is_none());

    let other = w
        .services
        .accounts
        .create_account(Name::parse("name", "Contoso").unwrap(), false)
        .await
        .unwrap();
    let theirs = axum::http::Request::post("/api/crm/clients")
        .header(
            "authorization",
            format!("Bearer {}", other.api_key.reveal()),
        )
        .header("idempotency-key", "shared")
        .header("content-type", "application/json")
        .body(axum::body::Body::from(body.to_string()))
        .unwrap();
    let answer = w.send(theirs).await;
    assert_eq!(answer.status, StatusCode::CREATED);
    assert!(answer.headers.get("idempotent-replayed").is_none());
    assert_ne!(answer.json["id"], first.json["id"]);
}
