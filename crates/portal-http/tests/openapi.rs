//! The OpenAPI document and the router agree: every documented operation is
//! served, behind the API key.

use std::sync::Arc;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use portal_domain::service::PortalConfig;
use portal_domain::testing::{FixedClock, InMemoryStore, RecordingMailer, SeededRandom, ts};
use portal_domain::{LinkRequestPolicy, Portal, PublicUrl};
use portal_http::{AppState, HttpConfig, router};
use tower::ServiceExt;

fn app() -> axum::Router {
    let portal = Portal::new(
        Arc::new(InMemoryStore::new()),
        Arc::new(RecordingMailer::default()),
        Arc::new(FixedClock::at(ts("2026-11-25T10:00:00Z"))),
        Arc::new(SeededRandom::new(1)),
        PortalConfig {
            public_url: PublicUrl::parse("url", "http://portal.test").unwrap(),
            link_requests: LinkRequestPolicy::default(),
        },
    );
    router(AppState {
        portal,
        config: Arc::new(HttpConfig::default()),
    })
}

async fn call(app: &axum::Router, method: &str, path: &str) -> (StatusCode, serde_json::Value) {
    let request = Request::builder()
        .method(method)
        .uri(path)
        .body(Body::empty())
        .unwrap();
    let response = app.clone().oneshot(request).await.unwrap();
    let status = response.status();
    let bytes = axum::body::to_bytes(response.into_body(), 1 << 20)
        .await
        .unwrap();
    (
        status,
        serde_json::from_slice(&bytes).unwrap_or(serde_json::Value::Null),
    )
}

#[tokio::test]
async fn every_documented_operation_is_served_behind_the_api_key() {
    let app = app();
    let (status, doc) = call(&app, "GET", "/api/openapi.json").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(doc["openapi"], "3.1.0");
    let paths = doc["paths"].as_object().expect("paths");
    let mut operations = 0;
    for (path, item) in paths {
        if path == "/api/openapi.json" {
            continue;
        }
        let concrete = path.replace("{id}", "00000000-0000-4000-8000-000000000000");
        for method in item.as_object().expect("path item").keys() {
            let (status, body) = call(&app, &method.to_uppercase(), &concrete).await;
            assert_eq!(status, StatusCode::UNAUTHORIZED, "{method} {path}: {body}");
            assert_eq!(body["error"]["code"], "unauthorized");
            operations += 1;
        }
    }
    assert!(operations >= 30, "only {operations} operations documented");
}

#[tokio::test]
async fn every_schema_reference_resolves() {
    let app = app();
    let (_, doc) = call(&app, "GET", "/api/openapi.json").await;
    let text = doc.to_string();
    for reference in text.split("\"$ref\":\"#/components/schemas/").skip(1) {
        let name = reference.split('"').next().unwrap();
        assert!(
            doc["components"]["schemas"][name].is_object(),
            "missing schema {name}"
        );
    }
}

#[tokio::test]
async fn undocumented_paths_and_methods_answer_json_errors() {
    let app = app();
    let (status, body) = call(&app, "GET", "/api/crm/nothing-here").await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (StatusCode::NOT_FOUND, Some("not_found"))
    );
    let (status, body) = call(&app, "DELETE", "/api/crm/clients").await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (StatusCode::METHOD_NOT_ALLOWED, Some("method_not_allowed"))
    );
    let (status, _) = call(
        &app,
        "POST",
        "/api/crm/estimates/00000000-0000-4000-8000-000000000000/mark-paid",
    )
    .await;
    assert_ne!(
        status,
        StatusCode::UNAUTHORIZED,
        "only invoices can be marked paid"
    );
}
