//! The OpenAPI document and the router agree: every documented operation
//! is served (behind the API key) and every other method on its path is
//! refused, every `$ref` resolves, and the document has the structure
//! OpenAPI 3.1 requires. Its limits are checked in `schema_limits.rs`.

mod common;

use std::collections::{BTreeSet, HashSet};

use axum::http::StatusCode;
use common::World;
use common::openapi::{METHODS, document, documented};
use serde_json::Value;

const ID: &str = "00000000-0000-4000-8000-000000000000";

/// What the API offers; a change here is a change of contract.
const OPERATIONS: &[(&str, &str)] = &[
    ("get", "/api/crm/account"),
    ("patch", "/api/crm/account"),
    ("get", "/api/crm/account/logo"),
    ("put", "/api/crm/account/logo"),
    ("delete", "/api/crm/account/logo"),
    ("get", "/api/crm/account/processor"),
    ("put", "/api/crm/account/processor"),
    ("delete", "/api/crm/account/processor"),
    ("post", "/api/crm/account/processor/check"),
    ("get", "/api/crm/api-keys"),
    ("post", "/api/crm/api-keys"),
    ("delete", "/api/crm/api-keys/{id}"),
    ("get", "/api/crm/clients"),
    ("post", "/api/crm/clients"),
    ("get", "/api/crm/clients/{id}"),
    ("patch", "/api/crm/clients/{id}"),
    ("get", "/api/crm/clients/{id}/contacts"),
    ("get", "/api/crm/clients/{id}/audit-events"),
    ("get", "/api/crm/clients/{id}/payment-methods"),
    ("get", "/api/crm/clients/{id}/statement"),
    ("post", "/api/crm/contacts"),
    ("get", "/api/crm/contacts/{id}"),
    ("patch", "/api/crm/contacts/{id}"),
    ("post", "/api/crm/contacts/{id}/portal-link"),
    ("get", "/api/crm/client-portal-sessions"),
    ("post", "/api/crm/client-portal-sessions"),
    ("get", "/api/crm/client-portal-sessions/{id}"),
    ("post", "/api/crm/client-portal-sessions/{id}/revoke"),
    ("get", "/api/crm/invoices"),
    ("post", "/api/crm/invoices"),
    ("get", "/api/crm/invoices/{id}"),
    ("post", "/api/crm/invoices/{id}/send"),
    ("post", "/api/crm/invoices/{id}/void"),
    ("post", "/api/crm/invoices/{id}/mark-paid"),
    ("get", "/api/crm/invoices/{id}/pdf"),
    ("get", "/api/crm/estimates"),
    ("post", "/api/crm/estimates"),
    ("get", "/api/crm/estimates/{id}"),
    ("post", "/api/crm/estimates/{id}/send"),
    ("post", "/api/crm/estimates/{id}/void"),
    ("get", "/api/crm/estimates/{id}/pdf"),
    ("get", "/api/crm/contracts"),
    ("post", "/api/crm/contracts"),
    ("get", "/api/crm/contracts/{id}"),
    ("post", "/api/crm/contracts/{id}/send"),
    ("post", "/api/crm/contracts/{id}/void"),
    ("get", "/api/crm/payments"),
    ("post", "/api/crm/payments"),
    ("get", "/api/crm/payments/{id}"),
    ("post", "/api/crm/payments/{id}/refunds"),
    ("get", "/api/crm/payments/{id}/receipt.pdf"),
    ("get", "/api/crm/outbox"),
    ("get", "/api/crm/outbox/{id}"),
    ("post", "/api/crm/outbox/{id}/retry"),
    ("post", "/webhooks/{processor}/{account_id}"),
];

#[tokio::test]
async fn the_document_lists_exactly_the_operations_the_router_serves() {
    let world = World::new().await;
    let doc = document(&world).await;
    let expected: BTreeSet<(String, String)> = OPERATIONS
        .iter()
        .map(|(m, p)| ((*m).to_owned(), (*p).to_owned()))
        .collect();
    assert_eq!(documented(&doc), expected);

    let paths: BTreeSet<&String> = doc["paths"].as_object().unwrap().keys().collect();
    for path in paths {
        let concrete = path
            .replace("{id}", ID)
            .replace("{processor}", "test")
            .replace("{account_id}", ID);
        let public = !path.starts_with("/api/");
        for method in METHODS {
            let is_documented = doc["paths"][path][method].is_object();
            let request = axum::http::Request::builder()
                .method(method.to_uppercase().as_str())
                .uri(&concrete)
                .body(axum::body::Body::empty())
                .unwrap();
            let answer = world.send(request).await;
            if is_documented && public {
                // Served with no API key, and authenticated otherwise: a
                // webhook for no account is not found.
                assert_eq!(
                    doc["paths"][path][method]["security"],
                    serde_json::json!([{}]),
                    "{method} {path}"
                );
                assert_eq!(
                    (answer.status, answer.json["error"]["code"].as_str()),
                    (StatusCode::NOT_FOUND, Some("not_found")),
                    "{method} {path}: {}",
                    answer.text
                );
            } else if is_documented {
                // Served, and only with an API key.
                assert_eq!(
                    answer.status,
                    StatusCode::UNAUTHORIZED,
                    "{method} {path}: {}",
                    answer.text
                );
                assert_eq!(answer.json["error"]["code"], "unauthorized");
            } else {
                assert_eq!(
                    answer.status,
                    StatusCode::METHOD_NOT_ALLOWED,
                    "{method} {path} is served but not documented: {}",
                    answer.text
                );
                assert_eq!(answer.json["error"]["code"], "method_not_allowed");
            }
        }
    }
}

/// Every `"$ref"` in `value`, wherever it is.
fn references(value: &Value, out: &mut Vec<String>) {
    match value {
        Value::Object(map) => {
            for (key, inner) in map {
                if key == "$ref" {
                    out.push(inner.as_str().expect("a $ref is a string").to_owned());
                } else {
                    references(inner, out);
                }
            }
        }
        Value::Array(items) => items.iter().for_each(|v| references(v, out)),
        _ => {}
    }
}

#[tokio::test]
async fn every_reference_resolves() {
    let world = World::new().await;
    let doc = document(&world).await;
    let mut refs = Vec::new();
    references(&doc, &mut refs);
    assert!(refs.len() > 50, "{refs:?}");
    for reference in refs {
        let pointer = reference
            .strip_prefix('#')
            .unwrap_or_else(|| panic!("{reference} is not local"));
        assert!(
            doc.pointer(pointer).is_some_and(Value::is_object),
            "{reference} does not resolve"
        );
    }
}

#[tokio::test]
async fn the_document_has_the_structure_of_openapi_3_1() {
    let world = World::new().await;
    let doc = document(&world).await;
    assert_eq!(doc["openapi"], "3.1.0");
    assert!(doc["info"]["title"].as_str().is_some_and(|t| !t.is_empty()));
    assert!(doc["info"]["version"].is_string());
    assert!(doc["components"]["securitySchemes"]["api_key"]["scheme"] == "bearer");
    for requirement in doc["security"].as_array().unwrap() {
        for name in requirement.as_object().unwrap().keys() {
            assert!(
                doc["components"]["securitySchemes"][name].is_object(),
                "{name}"
            );
        }
    }
    let tags: HashSet<&str> = doc["tags"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["name"].as_str().unwrap())
        .collect();
    let mut operation_ids = HashSet::new();
    let mut links = Vec::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        assert!(path.starts_with('/'), "{path}");
        let templated: Vec<&str> = path
            .split('/')
            .filter_map(|s| s.strip_prefix('{').and_then(|s| s.strip_suffix('}')))
            .collect();
        for (method, operation) in item.as_object().unwrap() {
            assert!(METHODS.contains(&method.as_str()), "{method} {path}");
            let id = operation["operationId"].as_str().expect("operationId");
            let summary = operation["summary"].as_str().expect("summary");
            assert!(
                !summary.is_empty() && !summary.contains('\n'),
                "{id}: {summary:?}"
            );
            assert!(
                operation_ids.insert(id.to_owned()),
                "duplicate operationId {id}"
            );
            for tag in operation["tags"].as_array().expect("tags") {
                assert!(tags.contains(tag.as_str().unwrap()), "undeclared tag {tag}");
            }
            let parameters = operation["parameters"]
                .as_array()
                .cloned()
                .unwrap_or_default();
            let mut seen = HashSet::new();
            for parameter in &parameters {
                let name = parameter["name"].as_str().expect("parameter name");
                let place = parameter["in"].as_str().expect("parameter in");
                assert!(
                    ["query", "header", "path", "cookie"].contains(&place),
                    "{place}"
                );
                assert!(seen.insert((name, place)), "{id}: {name} twice");
                assert!(
                    parameter["schema"].is_object(),
                    "{id}: {name} has no schema"
                );
                if place == "path" {
                    assert_eq!(parameter["required"], true, "{id}: {name}");
                    assert!(templated.contains(&name), "{id}: {name} not in {path}");
                }
            }
            for name in &templated {
                assert!(
                    seen.contains(&(*name, "path")),
                    "{id}: {{{name}}} undeclared"
                );
            }
            if let Some(body) = operation.get("requestBody") {
                // JSON, but for the logo: the image itself.
                let content = body["content"].as_object().expect("content");
                let kinds: Vec<&str> = content.keys().map(String::as_str).collect();
                if id == "set_account_logo" {
                    assert_eq!(kinds, ["image/png", "image/svg+xml"], "{id}");
                } else {
                    assert_eq!(kinds, ["application/json"], "{id}");
                }
                for (kind, media) in content {
                    assert!(media["schema"].is_object(), "{id} {kind}");
                }
                assert!(body["required"].is_boolean(), "{id}");
            }
            let responses = operation["responses"].as_object().expect("responses");
            assert!(!responses.is_empty(), "{id}");
            assert!(
                responses.keys().any(|s| s.starts_with('2')),
                "{id} has no success"
            );
            for (status, response) in responses {
                assert!(
                    status.len() == 3 && status.chars().all(|c| c.is_ascii_digit()),
                    "{id}: {status}"
                );
                assert!(response["description"].is_string(), "{id} {status}");
                if let Some(map) = response.get("links").and_then(Value::as_object) {
                    for (name, link) in map {
                        links.push((id.to_owned(), name.clone(), link.clone()));
                    }
                }
            }
        }
    }
    // Links follow ids to operations that exist, into fields that exist.
    assert!(links.len() >= 10, "{links:?}");
    for (from, name, link) in links {
        let target = link["operationId"].as_str().unwrap();
        assert!(operation_ids.contains(target), "{from}.{name} → {target}");
        for expression in link["parameters"].as_object().unwrap().values() {
            assert!(
                expression.as_str().unwrap().starts_with("$response.body#/"),
                "{from}.{name}: {expression}"
            );
        }
    }
    for (name, schema) in doc["components"]["schemas"].as_object().unwrap() {
        assert!(schema.is_object(), "{name}");
    }
}

#[tokio::test]
async fn unknown_paths_and_methods_answer_json_errors() {
    let world = World::new().await;
    let answer = world.api("GET", "/api/crm/nothing-here", None).await;
    assert_eq!(
        (answer.status, answer.json["error"]["code"].as_str()),
        (StatusCode::NOT_FOUND, Some("not_found"))
    );
    let answer = world.api("DELETE", "/api/crm/clients", None).await;
    assert_eq!(
        (answer.status, answer.json["error"]["code"].as_str()),
        (StatusCode::METHOD_NOT_ALLOWED, Some("method_not_allowed"))
    );
    let answer = world
        .api("POST", &format!("/api/crm/estimates/{ID}/mark-paid"), None)
        .await;
    assert_eq!(
        answer.status,
        StatusCode::NOT_FOUND,
        "only invoices can be marked paid"
    );
}
