//! What the operator API does with what it is sent: lists paged in a
//! stable order, documents keeping their kinds' fields apart, and bad
//! input of every kind getting a clear answer with nothing lost.

mod common;

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use chrono::Duration;
use common::World;
use serde_json::{Value, json};

#[tokio::test]
async fn lists_page_in_a_stable_order_with_opaque_cursors() {
    let w = World::new().await;
    let mut names = Vec::new();
    for i in 0..5 {
        let name = format!("Client {i}");
        w.api("POST", "/api/crm/clients", Some(json!({ "name": name })))
            .await;
        names.push(name);
        w.clock.advance(Duration::seconds(1));
    }
    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let path = match &cursor {
            Some(c) => format!("/api/crm/clients?limit=2&cursor={c}"),
            None => "/api/crm/clients?limit=2".to_owned(),
        };
        let page = w.api("GET", &path, None).await.json;
        seen.extend(
            page["data"]
                .as_array()
                .unwrap()
                .iter()
                .map(|c| c["name"].as_str().unwrap().to_owned()),
        );
        // A client added meanwhile does not shift what is left.
        if cursor.is_none() {
            w.api("POST", "/api/crm/clients", Some(json!({ "name": "Late" })))
                .await;
        }
        match page["next_cursor"].as_str() {
            Some(next) => {
                assert_eq!(page["has_more"], true);
                cursor = Some(next.to_owned());
            }
            None => {
                assert_eq!(page["has_more"], false);
                break;
            }
        }
    }
    names.push("Late".to_owned());
    assert_eq!(seen, names, "oldest first, each once");
    for bad in [
        "cursor=",
        "cursor=AAAA",
        "cursor=%00",
        &format!("cursor={}", "A".repeat(200)),
    ] {
        let answer = w.api("GET", &format!("/api/crm/clients?{bad}"), None).await;
        assert_eq!(
            (answer.status, answer.json["error"]["code"].as_str()),
            (StatusCode::BAD_REQUEST, Some("invalid_query")),
            "{bad}: {}",
            answer.text
        );
    }
    let answer = w.api("GET", "/api/crm/clients?limit=0", None).await;
    assert_eq!(answer.json["error"]["field"], "limit");
}

#[tokio::test]
async fn bad_input_gets_a_clear_answer_and_loses_nothing() {
    let w = World::new().await;
    let raw = |body: &'static [u8], content_type: &str| {
        Request::post("/api/crm/clients")
            .header(header::AUTHORIZATION, format!("Bearer {}", w.key))
            .header(header::CONTENT_TYPE, content_type)
            .body(Body::from(body))
            .unwrap()
    };
    for (body, content_type, status, code) in [
        (
            &b"{\"name\":"[..],
            "application/json",
            StatusCode::BAD_REQUEST,
            "invalid_json",
        ),
        (
            b"{\"name\":\"A\"} trailing",
            "application/json",
            StatusCode::BAD_REQUEST,
            "invalid_json",
        ),
        (
            b"name=Acme",
            "application/x-www-form-urlencoded",
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
        ),
        (
            b"{\"name\": 42}",
            "application/json",
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_request",
        ),
        (
            b"{\"name\": \"A\", \"portal_enabled\": \"yes\"}",
            "application/json",
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_request",
        ),
        (
            b"{}",
            "application/json",
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_request",
        ),
        (
            b"\xff\xfe",
            "application/json",
            StatusCode::BAD_REQUEST,
            "invalid_json",
        ),
    ] {
        let answer = w.send(raw(body, content_type)).await;
        assert_eq!(
            (answer.status, answer.json["error"]["code"].as_str()),
            (status, Some(code)),
            "{}",
            String::from_utf8_lossy(body)
        );
    }
    let typed = w
        .api("POST", "/api/crm/clients", Some(json!({ "name": 42 })))
        .await;
    assert_eq!(typed.json["error"]["field"], "name");
    let missing = w.api("POST", "/api/crm/clients", Some(json!({}))).await;
    assert_eq!(missing.json["error"]["field"], "name");
    let huge = json!({ "name": "x".repeat(100_000) });
    assert_eq!(
        w.api("POST", "/api/crm/clients", Some(huge)).await.status,
        StatusCode::PAYLOAD_TOO_LARGE
    );
    let long = w
        .api(
            "POST",
            "/api/crm/clients",
            Some(json!({ "name": "é".repeat(201) })),
        )
        .await;
    assert_eq!(long.json["error"]["field"], "name");
    let fits = w
        .api(
            "POST",
            "/api/crm/clients",
            Some(json!({ "name": "é".repeat(200) })),
        )
        .await;
    assert_eq!(
        fits.status,
        StatusCode::CREATED,
        "length counts characters as sent"
    );
    let hostile = w
        .api(
            "POST",
            "/api/crm/clients",
            Some(json!({ "name": "<script>alert(1)</script>' OR 1=1 --" })),
        )
        .await;
    assert_eq!(
        hostile.json["name"], "<script>alert(1)</script>' OR 1=1 --",
        "kept verbatim, escaped on pages"
    );
    for path in [
        "/api/crm/clients/nope",
        "/api/crm/clients/00000000-0000-4000-8000-000000000000",
        "/api/crm/invoices/%00",
    ] {
        let answer = w.api("GET", path, None).await;
        assert_eq!(
            (answer.status, answer.json["error"]["code"].as_str()),
            (StatusCode::NOT_FOUND, Some("not_found")),
            "{path}"
        );
    }
    let clients = w.api("GET", "/api/crm/clients", None).await.json;
    let names: Vec<&Value> = clients["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| &c["name"])
        .collect();
    assert_eq!(
        names.len(),
        2,
        "only the two valid clients were written: {names:?}"
    );
}

#[tokio::test]
async fn documents_keep_their_kinds_fields_apart() {
    let w = World::new().await;
    let (client, _) = w.client_and_contact("Acme", "ap@acme.example").await;
    let base = json!({ "client_id": client, "number": "D-1", "currency": "eur", "issue_date": "2026-11-01",
        "lines": [{ "description": "Work", "quantity": "1.5", "unit_amount": 1_000 }] });
    let with = |key: &str, value: Value| {
        let mut body = base.clone();
        body[key] = value;
        body
    };
    for (path, body, field) in [
        ("/api/crm/invoices", base.clone(), "due_date"),
        (
            "/api/crm/invoices",
            with("valid_until", json!("2026-12-01")),
            "valid_until",
        ),
        (
            "/api/crm/estimates",
            with("due_date", json!("2026-12-01")),
            "due_date",
        ),
        (
            "/api/crm/contracts",
            with("valid_until", json!(null)),
            "valid_until",
        ),
        (
            "/api/crm/invoices",
            with("issue_date", json!("2026-1-5")),
            "issue_date",
        ),
        ("/api/crm/estimates", with("lines", json!([])), "lines"),
    ] {
        let answer = w.api("POST", path, Some(body)).await;
        assert_eq!(
            (
                answer.status,
                answer.json["error"]["code"].as_str(),
                answer.json["error"]["field"].as_str()
            ),
            (
                StatusCode::UNPROCESSABLE_ENTITY,
                Some("validation_failed"),
                Some(field)
            ),
            "{path}: {}",
            answer.text
        );
    }
    let estimate = w
        .api(
            "POST",
            "/api/crm/estimates",
            Some(with("valid_until", json!("2026-12-01"))),
        )
        .await;
    assert_eq!(estimate.status, StatusCode::CREATED, "{}", estimate.text);
    assert_eq!(
        (
            estimate.json["currency"].as_str(),
            estimate.json["valid_until"].as_str()
        ),
        (Some("EUR"), Some("2026-12-01"))
    );
    assert!(estimate.json.get("due_date").is_none());
    assert_eq!(estimate.json["lines"][0]["quantity"], 1.5);
    let contract = w
        .api("POST", "/api/crm/contracts", Some(with("lines", json!([]))))
        .await;
    assert_eq!(contract.status, StatusCode::CREATED, "{}", contract.text);
    assert!(contract.json.get("valid_until").is_none());
}
