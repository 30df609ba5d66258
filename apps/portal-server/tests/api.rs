//! The operator API refuses bad input clearly and keeps nothing of it:
//! missing or wrong keys, malformed or oversized bodies, unknown fields,
//! unknown ids, invalid values, duplicates and impossible status changes.

mod common;

use common::TestApp;
use reqwest::StatusCode;
use serde_json::{Value, json};

async fn raw(
    app: &TestApp,
    method: &str,
    path: &str,
    content_type: Option<&str>,
    body: Vec<u8>,
) -> (StatusCode, Value) {
    let client = reqwest::Client::new();
    let mut request = client
        .request(method.parse().unwrap(), app.url(path))
        .bearer_auth(&app.api_key)
        .body(body);
    if let Some(ct) = content_type {
        request = request.header("content-type", ct);
    }
    let response = request.send().await.unwrap();
    let status = response.status();
    (status, response.json().await.unwrap_or(Value::Null))
}

fn code(body: &Value) -> &str {
    body["error"]["code"].as_str().unwrap_or_default()
}

#[tokio::test(flavor = "multi_thread")]
async fn requests_without_a_valid_key_are_unauthorized() {
    let app = TestApp::sqlite().await;
    for key in [
        "",
        "nonsense",
        "psk_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
        &app.api_key[4..],
    ] {
        let (status, body) = app.api_as(key, "GET", "/api/crm/clients", None).await;
        assert_eq!(
            (status, code(&body)),
            (StatusCode::UNAUTHORIZED, "unauthorized"),
            "{key:?}"
        );
    }
    let lower = reqwest::Client::new()
        .get(app.url("/api/crm/clients"))
        .header("authorization", format!("bearer {}", app.api_key))
        .send()
        .await
        .unwrap();
    assert_eq!(
        lower.status(),
        StatusCode::OK,
        "the scheme name is case-insensitive"
    );
    let response = reqwest::get(app.url("/api/crm/clients")).await.unwrap();
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(response.headers()["www-authenticate"], "Bearer");
}

#[tokio::test(flavor = "multi_thread")]
async fn malformed_bodies_get_clear_errors() {
    let app = TestApp::sqlite().await;
    let json_type = Some("application/json");
    let cases: Vec<(Option<&str>, Vec<u8>, StatusCode, &str)> = vec![
        (
            json_type,
            b"{\"name\": ".to_vec(),
            StatusCode::BAD_REQUEST,
            "invalid_json",
        ),
        (
            json_type,
            b"[1, 2]".to_vec(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_request",
        ),
        (
            json_type,
            b"{\"name\": 42}".to_vec(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_request",
        ),
        (
            json_type,
            b"{\"name\": \"Acme\", \"plan\": \"gold\"}".to_vec(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_request",
        ),
        (
            json_type,
            b"{}".to_vec(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_request",
        ),
        (
            json_type,
            vec![0xff, 0xfe, 0x00],
            StatusCode::BAD_REQUEST,
            "invalid_json",
        ),
        (
            Some("text/plain"),
            b"{\"name\": \"Acme\"}".to_vec(),
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
        ),
        (
            None,
            b"name=Acme".to_vec(),
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
        ),
        (
            json_type,
            format!("{{\"name\": \"{}\"}}", "x".repeat(100_000)).into_bytes(),
            StatusCode::PAYLOAD_TOO_LARGE,
            "payload_too_large",
        ),
    ];
    for (content_type, body, status, expected) in cases {
        let (got, answer) = raw(&app, "POST", "/api/crm/clients", content_type, body).await;
        assert_eq!((got, code(&answer)), (status, expected), "{answer}");
        assert!(
            answer["error"]["message"]
                .as_str()
                .is_some_and(|m| !m.is_empty())
        );
    }
    let (_, unknown) = raw(
        &app,
        "POST",
        "/api/crm/clients",
        json_type,
        b"{\"name\": \"A\", \"plan\": 1}".to_vec(),
    )
    .await;
    assert!(
        unknown["error"]["message"]
            .as_str()
            .unwrap()
            .contains("unknown field `plan`"),
        "{unknown}"
    );
    let (_, list) = app.api("GET", "/api/crm/clients", None).await;
    assert_eq!(list["data"], json!([]), "nothing was written");
}

#[tokio::test(flavor = "multi_thread")]
async fn invalid_values_name_their_field_and_write_nothing() {
    let app = TestApp::sqlite().await;
    let client = app.client("Acme").await;
    let valid = json!({
        "client_id": client, "number": "INV-1", "currency": "USD", "issue_date": "2026-11-01", "due_date": "2026-12-01",
        "lines": [{ "description": "Work", "quantity": 1, "unit_amount": 100 }]
    });
    let with = |key: &str, value: Value| {
        let mut body = valid.clone();
        body[key] = value;
        body
    };
    let cases = [
        (with("currency", json!("XYZ")), "currency"),
        (with("issue_date", json!("2026-02-30")), "issue_date"),
        (with("due_date", json!("2026-10-01")), "due_date"),
        (with("number", json!("   ")), "number"),
        (with("client_id", json!("12345")), "client_id"),
        (with("valid_until", json!("2026-12-01")), "valid_until"),
        (with("lines", json!([])), "lines"),
        (
            with(
                "lines",
                json!([{ "description": "x", "quantity": 0, "unit_amount": 1 }]),
            ),
            "lines[0].quantity",
        ),
        (
            with(
                "lines",
                json!([{ "description": "x", "quantity": 1.2345, "unit_amount": 1 }]),
            ),
            "lines[0].quantity",
        ),
        (
            with(
                "lines",
                json!([{ "description": "ok", "quantity": 1, "unit_amount": 5 }, { "description": "", "quantity": 1, "unit_amount": 1 }]),
            ),
            "lines[1].description",
        ),
        (
            with(
                "lines",
                json!([{ "description": "x", "quantity": 1000000, "unit_amount": 100_000_000_000_000i64 }]),
            ),
            "lines[0].quantity",
        ),
        (
            with(
                "lines",
                json!([{ "description": "refund", "quantity": 1, "unit_amount": -5 }]),
            ),
            "lines",
        ),
        (
            with(
                "lines",
                json!([{ "description": "x", "quantity": 1, "unit_amount": i64::MIN }]),
            ),
            "lines[0].unit_amount",
        ),
        (with("issue_date", json!("-200000-01-01")), "issue_date"),
        (with("due_date", json!("+200000-01-01")), "due_date"),
    ];
    for (body, field) in cases {
        let (status, answer) = app.api("POST", "/api/crm/invoices", Some(body)).await;
        assert_eq!(
            status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{field}: {answer}"
        );
        assert_eq!(
            (code(&answer), answer["error"]["field"].as_str()),
            ("validation_failed", Some(field)),
            "{answer}"
        );
    }
    let (status, _) = app
        .api("POST", "/api/crm/invoices", Some(with("unit", json!(1))))
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let (status, answer) = app
        .api(
            "POST",
            "/api/crm/invoices",
            Some(with(
                "client_id",
                json!("00000000-0000-4000-8000-000000000000"),
            )),
        )
        .await;
    assert_eq!(
        (status, code(&answer)),
        (StatusCode::NOT_FOUND, "not_found")
    );

    let (_, list) = app.api("GET", "/api/crm/invoices", None).await;
    assert_eq!(list["data"], json!([]), "no refused invoice was kept");
    let (status, _) = app
        .api("POST", "/api/crm/invoices", Some(valid.clone()))
        .await;
    assert_eq!(status, StatusCode::CREATED);
    let (status, answer) = app.api("POST", "/api/crm/invoices", Some(valid)).await;
    assert_eq!(
        (status, code(&answer)),
        (StatusCode::CONFLICT, "duplicate_number")
    );

    let (status, answer) = app
        .api(
            "POST",
            "/api/crm/contacts",
            Some(json!({ "client_id": client, "name": "Pat", "email": "pat@@acme" })),
        )
        .await;
    assert_eq!(
        (status, answer["error"]["field"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("email"))
    );
    app.contact(&client, "pat@acme.example").await;
    let (status, answer) = app
        .api(
            "POST",
            "/api/crm/contacts",
            Some(json!({ "client_id": client, "name": "Pat again", "email": "PAT@acme.example" })),
        )
        .await;
    assert_eq!(
        (status, code(&answer)),
        (StatusCode::CONFLICT, "duplicate_email")
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn unknown_ids_are_not_found() {
    let app = TestApp::sqlite().await;
    let missing = "00000000-0000-4000-8000-000000000000";
    for (method, path) in [
        ("GET", format!("/api/crm/clients/{missing}")),
        ("GET", "/api/crm/clients/not-an-id".to_owned()),
        ("GET", format!("/api/crm/contacts/{missing}")),
        ("GET", format!("/api/crm/invoices/{missing}")),
        ("GET", format!("/api/crm/estimates/{missing}")),
        ("GET", format!("/api/crm/client-portal-sessions/{missing}")),
        (
            "POST",
            format!("/api/crm/client-portal-sessions/{missing}/revoke"),
        ),
        ("POST", format!("/api/crm/invoices/{missing}/void")),
        ("POST", format!("/api/crm/contacts/{missing}/portal-link")),
        ("PATCH", format!("/api/crm/clients/{missing}")),
    ] {
        let body = (method == "PATCH").then(|| json!({ "active": false }));
        let (status, answer) = app.api(method, &path, body).await;
        assert_eq!(
            (status, code(&answer)),
            (StatusCode::NOT_FOUND, "not_found"),
            "{method} {path}"
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn documents_move_only_along_their_status_rules() {
    let app = TestApp::sqlite().await;
    let s = app.sent_invoice().await;
    let other = app.client("Globex").await;
    let stranger = app.contact(&other, "ap@globex.example").await;
    let (status, answer) = app
        .api(
            "POST",
            &format!("/api/crm/invoices/{}/send", s.invoice),
            Some(json!({ "contact_id": stranger })),
        )
        .await;
    assert_eq!(
        (status, code(&answer)),
        (StatusCode::UNPROCESSABLE_ENTITY, "contact_not_of_client")
    );

    let (status, paid) = app
        .api(
            "POST",
            &format!("/api/crm/invoices/{}/mark-paid", s.invoice),
            None,
        )
        .await;
    assert_eq!(
        (status, paid["status"].as_str()),
        (StatusCode::OK, Some("paid"))
    );
    assert_eq!(paid["amount_due"], 0);
    let (status, answer) = app
        .api(
            "POST",
            &format!("/api/crm/invoices/{}/void", s.invoice),
            None,
        )
        .await;
    assert_eq!(
        (status, code(&answer)),
        (StatusCode::CONFLICT, "invalid_status")
    );
    assert_eq!(
        answer["error"]["message"],
        "A paid invoice cannot be voided."
    );

    // An estimate is not an invoice, even with the right id.
    let (status, _) = app
        .api("GET", &format!("/api/crm/estimates/{}", s.invoice), None)
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let estimate = json!({ "client_id": s.client, "number": "EST-1", "currency": "USD", "issue_date": "2026-11-01",
        "valid_until": "2026-12-01", "lines": [{ "description": "Plan", "quantity": 1, "unit_amount": 100 }] });
    let (status, created) = app.api("POST", "/api/crm/estimates", Some(estimate)).await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    assert_eq!(created["valid_until"], "2026-12-01");
    assert!(created.get("due_date").is_none());
    let contract = json!({ "client_id": s.client, "number": "C-1", "currency": "USD", "issue_date": "2026-11-01", "title": "Master agreement" });
    let (status, created) = app.api("POST", "/api/crm/contracts", Some(contract)).await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    let (status, sent) = app
        .api(
            "POST",
            &format!(
                "/api/crm/contracts/{}/send",
                created["id"].as_str().unwrap()
            ),
            Some(json!({ "contact_id": s.contact })),
        )
        .await;
    assert_eq!(
        (status, sent["document"]["status"].as_str()),
        (StatusCode::OK, Some("sent"))
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn query_strings_are_checked_too() {
    let app = TestApp::sqlite().await;
    let (status, answer) = app
        .api("GET", "/api/crm/invoices?client_id=zzz", None)
        .await;
    assert_eq!(
        (status, answer["error"]["field"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("client_id"))
    );
    let (status, answer) = app
        .api("GET", "/api/crm/client-portal-sessions?limit=-3", None)
        .await;
    assert_eq!(
        (status, code(&answer)),
        (StatusCode::BAD_REQUEST, "invalid_query")
    );
    let (status, answer) = app.api("GET", "/api/crm/invoices?sort=desc", None).await;
    assert_eq!(
        (status, code(&answer)),
        (StatusCode::BAD_REQUEST, "invalid_query")
    );
}
