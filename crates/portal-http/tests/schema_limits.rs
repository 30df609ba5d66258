//! The OpenAPI document states exactly what the server enforces: request
//! bodies refuse unknown fields, the drifts of the past stay fixed (an
//! empty name, `limit=0`), and every documented limit is the domain's own.

mod common;

use std::collections::HashSet;

use axum::http::StatusCode;
use common::World;
use common::openapi::{document, documented};
use portal_domain::{
    Currency, Description, DocumentNumber, MAX_ALLOCATIONS, MAX_LINES, MAX_MINOR_AMOUNT, Name,
    PAGE_LIMITS, Reference, TimeZone,
};
use serde_json::{Value, json};

const ID: &str = "00000000-0000-4000-8000-000000000000";

/// The schema `value` points at, following one `$ref`.
fn resolve<'a>(doc: &'a Value, value: &'a Value) -> &'a Value {
    match value["$ref"].as_str() {
        Some(reference) => doc.pointer(&reference[1..]).unwrap(),
        None => value,
    }
}

#[tokio::test]
async fn request_bodies_refuse_unknown_fields_as_documented() {
    let world = World::new().await;
    let doc = document(&world).await;
    let mut checked = 0;
    for (method, path) in documented(&doc) {
        let operation = &doc["paths"][&path][&method];
        let Some(schema) =
            operation["requestBody"]["content"]["application/json"]["schema"].as_object()
        else {
            continue;
        };
        let schema = resolve(&doc, &Value::Object(schema.clone())).clone();
        if path.starts_with("/webhooks/") {
            // The processor's event, taken as sent: its signature, not a
            // schema, decides.
            assert_eq!(schema, json!({}), "{method} {path}");
            continue;
        }
        // A body of several kinds refuses unknown fields in each.
        let objects = match schema["oneOf"].as_array() {
            Some(kinds) => kinds.iter().map(|k| resolve(&doc, k).clone()).collect(),
            None => vec![schema],
        };
        for object in objects {
            assert_eq!(object["additionalProperties"], false, "{method} {path}");
        }
        let answer = world
            .api(
                &method.to_uppercase(),
                &path.replace("{id}", ID),
                Some(json!({ "surprise": 1 })),
            )
            .await;
        assert_eq!(
            answer.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{method} {path}: {}",
            answer.text
        );
        checked += 1;
    }
    assert!(checked >= 15, "{checked}");
}

#[tokio::test]
async fn an_empty_name_is_refused_and_documented_as_invalid() {
    let world = World::new().await;
    let doc = document(&world).await;
    let create = &doc["components"]["schemas"]["CreateClient"];
    assert_eq!(create["required"], json!(["name"]));
    let name = resolve(&doc, &create["properties"]["name"]);
    assert_eq!(name["minLength"], 1);
    assert_eq!(name["maxLength"], Name::MAX_CHARS);
    assert_eq!(name["pattern"], Name::pattern());
    for bad in ["", "   ", "Acme\u{202E}"] {
        let answer = world
            .api("POST", "/api/crm/clients", Some(json!({ "name": bad })))
            .await;
        assert_eq!(
            (answer.status, answer.json["error"]["field"].as_str()),
            (StatusCode::UNPROCESSABLE_ENTITY, Some("name")),
            "{bad:?}"
        );
    }
}

#[tokio::test]
async fn limit_zero_is_refused_and_every_limit_is_documented_from_one_to_a_hundred() {
    let world = World::new().await;
    let doc = document(&world).await;
    let mut lists = 0;
    for (method, path) in documented(&doc) {
        let parameters = doc["paths"][&path][&method]["parameters"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        let Some(limit) = parameters.iter().find(|p| p["name"] == "limit") else {
            continue;
        };
        assert_eq!(limit["schema"]["minimum"], PAGE_LIMITS.0, "{path}");
        assert_eq!(limit["schema"]["maximum"], PAGE_LIMITS.1, "{path}");
        assert!(parameters.iter().any(|p| p["name"] == "cursor"), "{path}");
        // A real client's lists, so the id in the path exists.
        let (client, _) = world
            .client_and_contact(&format!("Acme {lists}"), &format!("ap{lists}@acme.example"))
            .await;
        for bad in ["0", "101", "-1", "ten"] {
            let answer = world
                .api(
                    "GET",
                    &format!("{}?limit={bad}", path.replace("{id}", &client)),
                    None,
                )
                .await;
            assert_eq!(
                (answer.status, answer.json["error"]["code"].as_str()),
                (StatusCode::BAD_REQUEST, Some("invalid_query")),
                "{path}?limit={bad}: {}",
                answer.text
            );
        }
        let answer = world
            .api(
                "GET",
                &format!("{}?limit=100", path.replace("{id}", &client)),
                None,
            )
            .await;
        assert_eq!(answer.status, StatusCode::OK, "{path}: {}", answer.text);
        lists += 1;
    }
    assert_eq!(
        lists, 10,
        "clients, contacts, audit events, three kinds of document, sessions, payments, outbox, API keys"
    );
}

#[tokio::test]
async fn documented_limits_are_the_domains_own() {
    let world = World::new().await;
    let doc = document(&world).await;
    let schemas = &doc["components"]["schemas"];
    for (name, max, pattern) in [
        (
            "Description",
            Description::MAX_CHARS,
            Description::pattern(),
        ),
        (
            "DocumentNumber",
            DocumentNumber::MAX_CHARS,
            DocumentNumber::pattern(),
        ),
        ("Reference", Reference::MAX_CHARS, Reference::pattern()),
    ] {
        assert_eq!(schemas[name]["maxLength"], max, "{name}");
        assert_eq!(schemas[name]["pattern"], pattern, "{name}");
    }
    assert_eq!(schemas["Amount"]["minimum"], 1);
    assert_eq!(schemas["Amount"]["maximum"], MAX_MINOR_AMOUNT);
    assert_eq!(schemas["UnitAmount"]["minimum"], -MAX_MINOR_AMOUNT);
    let currencies: HashSet<&str> = schemas["Currency"]["enum"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c.as_str().unwrap())
        .collect();
    for code in Currency::codes() {
        assert!(
            currencies.contains(code) && currencies.contains(code.to_lowercase().as_str()),
            "{code}"
        );
    }
    assert_eq!(currencies.len(), 2 * Currency::codes().count());
    let zones: Vec<&str> = schemas["TimeZone"]["enum"]
        .as_array()
        .unwrap()
        .iter()
        .map(|z| z.as_str().unwrap())
        .collect();
    assert_eq!(zones, TimeZone::names().collect::<Vec<_>>());
    for kind in ["CreateInvoice", "CreateEstimate", "CreateContract"] {
        assert_eq!(
            schemas[kind]["properties"]["lines"]["maxItems"], MAX_LINES,
            "{kind}"
        );
    }
    assert_eq!(
        schemas["CreatePayment"]["properties"]["allocations"]["maxItems"],
        MAX_ALLOCATIONS
    );
    assert_eq!(
        schemas["CreatePayment"]["properties"]["allocations"]["minItems"],
        1
    );
    assert_eq!(
        schemas["CreateInvoice"]["required"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|f| *f == "due_date")
            .count(),
        1
    );
    assert!(schemas["CreateEstimate"]["properties"]["due_date"].is_null());
    // Every id the API takes or gives is a UUID.
    assert_eq!(
        schemas["CreatePayment"]["properties"]["client_id"]["format"],
        "uuid"
    );
    assert_eq!(schemas["PaymentOut"]["properties"]["id"]["format"], "uuid");
    assert_eq!(
        schemas["AllocationOut"]["properties"]["invoice_id"]["format"],
        "uuid"
    );
    assert_eq!(
        schemas["PaymentOut"]["properties"]["received_at"]["format"],
        "date-time"
    );
}

#[tokio::test]
async fn ids_that_name_nothing_answer_as_documented() {
    let world = World::new().await;
    let doc = document(&world).await;
    let statuses = |method: &str, path: &str| -> Vec<String> {
        doc["paths"][path][method]["responses"]
            .as_object()
            .unwrap()
            .keys()
            .cloned()
            .collect()
    };
    let cases = [
        (
            "post",
            "/api/crm/contacts",
            json!({ "client_id": ID, "name": "A", "email": "a@b.example" }),
        ),
        (
            "post",
            "/api/crm/client-portal-sessions",
            json!({ "contact_id": ID }),
        ),
        (
            "post",
            "/api/crm/payments",
            json!({ "client_id": ID, "amount": 1, "currency": "USD",
                "method": { "type": "manual", "kind": "cash" }, "received_at": "2026-11-24T10:00:00Z",
                "allocations": [{ "invoice_id": ID, "amount": 1 }] }),
        ),
    ];
    for (method, path, body) in cases {
        let answer = world.api(&method.to_uppercase(), path, Some(body)).await;
        assert_eq!(
            answer.status,
            StatusCode::NOT_FOUND,
            "{path}: {}",
            answer.text
        );
        assert!(statuses(method, path).contains(&"404".to_owned()), "{path}");
    }
    let answer = world
        .api("GET", &format!("/api/crm/payments?client_id={ID}"), None)
        .await;
    assert_eq!(answer.status, StatusCode::NOT_FOUND);
    assert!(statuses("get", "/api/crm/payments").contains(&"404".to_owned()));
    let answer = world
        .api("GET", "/api/crm/invoices?client_id=nope", None)
        .await;
    assert_eq!(answer.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(statuses("get", "/api/crm/invoices").contains(&"422".to_owned()));
    // A list with no id filter documents neither.
    let plain = statuses("get", "/api/crm/clients");
    assert!(
        !plain.contains(&"404".to_owned()) && !plain.contains(&"422".to_owned()),
        "{plain:?}"
    );
}

/// Each credential's documented limits are the ones the server holds to:
/// the edges of each are taken or refused exactly as stated.
#[tokio::test]
async fn credential_limits_are_documented_as_the_server_holds_them() {
    let w = World::new().await;
    let doc = document(&w).await;
    let kinds = doc["components"]["schemas"]["ConnectProcessor"]["oneOf"]
        .as_array()
        .unwrap()
        .clone();
    let field = |kind: &str, name: &str| -> Value {
        kinds
            .iter()
            .find(|k| k["properties"]["kind"]["enum"][0] == kind)
            .unwrap_or_else(|| panic!("{kind}"))["properties"][name]
            .clone()
    };
    let token = "[A-Za-z0-9_-]";
    for (kind, name, min, max, pattern) in [
        (
            "stripe",
            "secret_key",
            8,
            255,
            format!("^(?:sk_|rk_){token}{{5,252}}$"),
        ),
        (
            "stripe",
            "publishable_key",
            8,
            255,
            format!("^pk_{token}{{5,252}}$"),
        ),
        (
            "stripe",
            "webhook_secret",
            8,
            255,
            format!("^whsec_{token}{{2,249}}$"),
        ),
        (
            "authorize_net",
            "api_login_id",
            1,
            25,
            format!("^{token}{{1,25}}$"),
        ),
        (
            "authorize_net",
            "transaction_key",
            16,
            16,
            format!("^{token}{{16,16}}$"),
        ),
        (
            "authorize_net",
            "client_key",
            1,
            255,
            format!("^{token}{{1,255}}$"),
        ),
        (
            "authorize_net",
            "signature_key",
            128,
            128,
            "^[0-9A-Fa-f]{128}$".to_owned(),
        ),
        (
            "test",
            "webhook_secret",
            16,
            255,
            format!("^{token}{{16,255}}$"),
        ),
    ] {
        let schema = field(kind, name);
        assert_eq!(
            (
                schema["minLength"].as_u64(),
                schema["maxLength"].as_u64(),
                schema["pattern"].as_str()
            ),
            (Some(min), Some(max), Some(pattern.as_str())),
            "{kind}.{name}"
        );
    }
    for kind in &kinds {
        assert_eq!(kind["additionalProperties"], false, "{kind}");
    }

    // The edges, from both sides.
    let put = |body: Value| {
        let w = &w;
        async move {
            w.api("PUT", "/api/crm/account/processor", Some(body))
                .await
                .status
        }
    };
    let ok = StatusCode::OK;
    let refused = StatusCode::UNPROCESSABLE_ENTITY;
    for (secret, status) in [
        ("a".repeat(16), ok),
        ("a".repeat(255), ok),
        ("a".repeat(15), refused),
        ("a".repeat(256), refused),
        ("_-Az09".repeat(3), ok),
        (format!("{}é", "a".repeat(16)), refused),
    ] {
        let body = json!({ "kind": "test", "webhook_secret": secret });
        assert_eq!(put(body).await, status, "{secret}");
    }
    let stripe_with = |secret_key: String| {
        json!({ "kind": "stripe", "secret_key": secret_key,
            "publishable_key": "pk_12345", "webhook_secret": "whsec_12" })
    };
    for (key, status) in [
        ("sk_12345".to_owned(), ok),
        ("rk_12345".to_owned(), ok),
        ("sk_1234".to_owned(), refused),
        (format!("sk_{}", "a".repeat(252)), ok),
        (format!("sk_{}", "a".repeat(253)), refused),
        ("xk_12345".to_owned(), refused),
    ] {
        assert_eq!(put(stripe_with(key.clone())).await, status, "{key}");
    }
    let anet_with = |login: &str, transaction: &str, signature: String| {
        json!({ "kind": "authorize_net", "api_login_id": login, "transaction_key": transaction,
            "client_key": "k", "signature_key": signature, "environment": "sandbox" })
    };
    for (body, status) in [
        (anet_with("a", "9z8Y7x6W5v4U3t2S", "0".repeat(128)), ok),
        (
            anet_with(&"a".repeat(25), "9z8Y7x6W5v4U3t2S", "F".repeat(128)),
            ok,
        ),
        (anet_with("a", "9z8Y7x6W5v4U3t2S", "0".repeat(127)), refused),
        (anet_with("a", "9z8Y7x6W5v4U3t2S", "0".repeat(129)), refused),
        (
            anet_with("a", "9z8Y7x6W5v4U3t2S1", "0".repeat(128)),
            refused,
        ),
    ] {
        assert_eq!(put(body.clone()).await, status, "{body}");
    }
}
