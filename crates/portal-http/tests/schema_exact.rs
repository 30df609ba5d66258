//! The edges where a schema-driven fuzzer found the document and the server
//! apart (`cargo xtask api-fuzz`), each pinned from both sides: what the
//! document says, and that the server answers exactly so.

mod common;

use axum::http::StatusCode;
use common::World;
use common::billed::acme;
use common::openapi::document;
use portal_domain::{Cursor, EmailAddress, PublicUrl, Quantity};
use serde_json::{Value, json};

#[tokio::test]
async fn every_text_of_the_cursor_shape_reads_a_page() {
    let world = World::new().await;
    let doc = document(&world).await;
    let cursor = &doc["paths"]["/api/crm/clients"]["get"]["parameters"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == "cursor")
        .unwrap()["schema"];
    assert_eq!(cursor["pattern"], Cursor::PATTERN);
    assert_eq!(cursor["minLength"], Cursor::LEN);
    assert_eq!(cursor["maxLength"], Cursor::LEN);
    // "0" matched the old pattern and was refused.
    for (query, status) in [
        ("cursor=0", StatusCode::BAD_REQUEST),
        (&format!("cursor={}", "A".repeat(32)), StatusCode::OK),
        (&format!("cursor={}", "_".repeat(32)), StatusCode::OK),
        (&format!("cursor=f{}", "_".repeat(31)), StatusCode::OK),
        (
            &format!("cursor={}", "A".repeat(33)),
            StatusCode::BAD_REQUEST,
        ),
        (
            &format!("cursor={}%3D", "A".repeat(31)),
            StatusCode::BAD_REQUEST,
        ),
    ] {
        for list in ["/api/crm/clients", "/api/crm/invoices", "/api/crm/outbox"] {
            let answer = world.api("GET", &format!("{list}?{query}"), None).await;
            assert_eq!(answer.status, status, "{list}?{query}: {}", answer.text);
        }
    }
}

#[tokio::test]
async fn integers_may_be_written_with_a_zero_fraction() {
    let world = World::new().await;
    // JSON Schema counts 33486.0 as an integer; the server did not.
    let answer = world
        .api(
            "PATCH",
            "/api/crm/account",
            Some(json!({ "link_lifetime_seconds": 33486.0, "session_lifetime_seconds": null })),
        )
        .await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.text);
    assert_eq!(answer.json["link_lifetime_seconds"], 33486);
    assert_eq!(
        answer.json["session_lifetime_seconds"], 604_800,
        "null keeps it"
    );
    let (client, _) = world.client_and_contact("Acme", "ap@acme.example").await;
    let line = |n: usize, unit: Value| {
        json!({ "client_id": client, "number": format!("N-{n}"), "currency": "USD",
            "issue_date": "2026-11-01", "due_date": "2026-11-30",
            "lines": [{ "description": "Work", "quantity": 1, "unit_amount": unit }] })
    };
    for (n, (unit, status)) in [
        (json!(12000.0), StatusCode::CREATED),
        (json!(1.2e4), StatusCode::CREATED),
        (json!(-0.0), StatusCode::CREATED),
        (json!(12000.5), StatusCode::UNPROCESSABLE_ENTITY),
        (json!(1e300), StatusCode::UNPROCESSABLE_ENTITY),
        (json!("12000"), StatusCode::UNPROCESSABLE_ENTITY),
    ]
    .into_iter()
    .enumerate()
    {
        let answer = world
            .api("POST", "/api/crm/invoices", Some(line(n, unit.clone())))
            .await;
        assert_eq!(answer.status, status, "{unit}: {}", answer.text);
    }
    let doc = document(&world).await;
    let patch = &doc["components"]["schemas"]["PatchAccount"]["properties"];
    for field in [
        "session_lifetime_seconds",
        "idle_timeout_seconds",
        "link_lifetime_seconds",
    ] {
        assert_eq!(patch[field]["type"], json!(["integer", "null"]), "{field}");
    }
}

#[tokio::test]
async fn addresses_and_urls_are_taken_exactly_as_their_patterns_say() {
    let world = World::new().await;
    let doc = document(&world).await;
    let schemas = &doc["components"]["schemas"];
    let email = &schemas["EmailAddress"];
    assert_eq!(email["pattern"], EmailAddress::PATTERN);
    assert_eq!(email["maxLength"], EmailAddress::MAX_LEN);
    assert!(email["format"].is_null(), "{email}");
    let url = &schemas["PublicUrl"];
    assert_eq!(url["pattern"], PublicUrl::pattern());
    assert_eq!(url["maxLength"], PublicUrl::MAX_CHARS);
    assert!(url["format"].is_null(), "{url}");

    let (client, _) = world.client_and_contact("Acme", "ap@acme.example").await;
    let contact = |email: &str| json!({ "client_id": client, "name": "B", "email": email });
    for (address, status) in [
        // Matched the old pattern's `\s*`, and its `format: email` refused it.
        ("\u{c}b@acme.example\t ", StatusCode::UNPROCESSABLE_ENTITY),
        (" b@acme.example", StatusCode::UNPROCESSABLE_ENTITY),
        ("b..c@acme.example", StatusCode::UNPROCESSABLE_ENTITY),
        ("b@acme-.example", StatusCode::UNPROCESSABLE_ENTITY),
        ("Y~sX/}`@00su.d.xn--3", StatusCode::CREATED),
    ] {
        let answer = world
            .api("POST", "/api/crm/contacts", Some(contact(address)))
            .await;
        assert_eq!(answer.status, status, "{address:?}: {}", answer.text);
    }
    for (url, status) in [
        (" https://billing.example", StatusCode::UNPROCESSABLE_ENTITY),
        (
            "https://billing.example:99999",
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        ("https://billing.example:", StatusCode::UNPROCESSABLE_ENTITY),
        ("https://billing.example:+443//", StatusCode::OK),
        ("https://[::1]", StatusCode::OK),
    ] {
        let answer = world
            .api(
                "PATCH",
                "/api/crm/account",
                Some(json!({ "public_url": url })),
            )
            .await;
        assert_eq!(answer.status, status, "{url:?}: {}", answer.text);
    }
}

#[tokio::test]
async fn quantities_dates_and_times_match_their_patterns() {
    let (world, client, _, big, _) = acme().await;
    let doc = document(&world).await;
    let schemas = &doc["components"]["schemas"];
    let text = &schemas["Quantity"]["oneOf"][1];
    assert_eq!(text["pattern"], Quantity::PATTERN);
    assert!(
        text["maxLength"].is_null(),
        "trailing zeros are not counted"
    );
    let invoice = &schemas["CreateInvoice"]["properties"];
    for field in ["issue_date", "due_date"] {
        assert_eq!(
            invoice[field]["$ref"], "#/components/schemas/Date",
            "{field}"
        );
    }
    assert_eq!(
        schemas["CreatePayment"]["properties"]["received_at"]["$ref"],
        "#/components/schemas/DateTime"
    );

    let draft = |n: usize, quantity: Value, issue: &str| {
        json!({ "client_id": client, "number": format!("Q-{n}"), "currency": "USD",
            "issue_date": issue, "due_date": "2999-12-31",
            "lines": [{ "description": "Work", "quantity": quantity, "unit_amount": 100 }] })
    };
    for (n, (quantity, issue, status)) in [
        // "0" matched the old pattern.
        (json!("0"), "2026-11-01", StatusCode::UNPROCESSABLE_ENTITY),
        (
            json!("0.000"),
            "2026-11-01",
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        (
            json!("1000000.0001"),
            "2026-11-01",
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        (
            json!(format!("1.{}", "0".repeat(80))),
            "2026-11-01",
            StatusCode::CREATED,
        ),
        (json!("0000001.5"), "2026-11-01", StatusCode::CREATED),
        (json!(0.001), "2026-11-01", StatusCode::CREATED),
        // 30 February matched the old pattern.
        (json!(1), "2026-02-30", StatusCode::UNPROCESSABLE_ENTITY),
        (json!(1), "1900-02-29", StatusCode::UNPROCESSABLE_ENTITY),
        (json!(1), "2000-02-29", StatusCode::CREATED),
        (json!(1), "1899-12-31", StatusCode::UNPROCESSABLE_ENTITY),
    ]
    .into_iter()
    .enumerate()
    {
        let answer = world
            .api(
                "POST",
                "/api/crm/invoices",
                Some(draft(n, quantity.clone(), issue)),
            )
            .await;
        assert_eq!(answer.status, status, "{quantity} {issue}: {}", answer.text);
    }

    for received_at in [
        "2026-11-24 10:00:00Z",
        "2026-11-24T23:59:60Z",
        "1899-12-31T23:00:00-01:00",
        "2026-11-24T10:00:00+24:00",
    ] {
        let answer = world
            .api(
                "POST",
                &format!("/api/crm/invoices/{big}/mark-paid"),
                Some(json!({ "received_at": received_at })),
            )
            .await;
        assert_eq!(
            (answer.status, answer.json["error"]["field"].as_str()),
            (StatusCode::UNPROCESSABLE_ENTITY, Some("received_at")),
            "{received_at}: {}",
            answer.text
        );
    }
    // The first minutes of 1900 east of Greenwich are 1899 in UTC.
    let answer = world
        .api(
            "POST",
            &format!("/api/crm/invoices/{big}/mark-paid"),
            Some(json!({ "received_at": "1900-01-01t00:30:00.5+01:00" })),
        )
        .await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.text);
}

#[tokio::test]
async fn refusals_that_depend_on_what_is_stored_are_documented() {
    let (world, _, _, big, _) = acme().await;
    let doc = document(&world).await;
    let refusals = |path: &str| {
        doc["paths"][path]["post"]["responses"]["422"]["description"]
            .as_str()
            .unwrap()
            .to_owned()
    };
    let (_, stranger) = world
        .client_and_contact("Globex", "ap@globex.example")
        .await;
    let answer = world
        .api(
            "POST",
            &format!("/api/crm/invoices/{big}/send"),
            Some(json!({ "contact_id": stranger })),
        )
        .await;
    assert_eq!(answer.json["error"]["code"], "contact_not_of_client");
    assert!(
        refusals("/api/crm/invoices/{id}/send").contains("`contact_not_of_client`"),
        "{}",
        refusals("/api/crm/invoices/{id}/send")
    );
    let answer = world
        .api(
            "POST",
            &format!("/api/crm/invoices/{big}/mark-paid"),
            Some(json!({ "notify_contact_id": stranger })),
        )
        .await;
    assert_eq!(answer.json["error"]["code"], "unknown_contact");
    assert!(refusals("/api/crm/invoices/{id}/mark-paid").contains("`unknown_contact`"));
    // Every refusal of a receipt's contact, on both ways to record a payment.
    for path in ["/api/crm/payments", "/api/crm/invoices/{id}/mark-paid"] {
        for code in ["unknown_contact", "contact_inactive", "client_inactive"] {
            assert!(
                refusals(path).contains(&format!("`{code}`")),
                "{path}: {code}"
            );
        }
    }
}

/// What JSON Schema cannot state (one field against another, or against
/// the clock) is stated in words where it applies; the fuzz run lets the
/// server refuse schema-valid requests for these rules and no others.
#[tokio::test]
async fn rules_across_fields_are_stated_where_they_apply() {
    let world = World::new().await;
    let doc = document(&world).await;
    let schemas = &doc["components"]["schemas"];
    let described = |value: &Value| -> String {
        let own = value["description"].as_str().unwrap_or_default();
        let inner = value["oneOf"][0]["description"]
            .as_str()
            .unwrap_or_default();
        format!("{own} {inner}")
    };
    for (text, phrase) in [
        (
            described(&schemas["CreateInvoice"]["properties"]["due_date"]),
            "not before `issue_date`",
        ),
        (
            described(&schemas["CreateEstimate"]["properties"]["valid_until"]),
            "not before `issue_date`",
        ),
        (described(&schemas["UnitAmount"]), "quantity × unit price"),
        (described(&schemas["UnitAmount"]), "not be less than zero"),
        (
            described(&schemas["CreatePayment"]["properties"]["received_at"]),
            "not more than a day ahead",
        ),
        (
            described(&schemas["CreatePayment"]["properties"]["allocations"]),
            "each at most once",
        ),
        (
            described(&schemas["CreatePayment"]),
            "the allocations add up to more than the payment",
        ),
        (
            described(&schemas["PatchAccount"]["properties"]["idle_timeout_seconds"]),
            "at most the session lifetime",
        ),
    ] {
        assert!(text.contains(phrase), "{phrase:?} in {text:?}");
    }
}

/// Operators record money received by hand only: a card or bank debit is
/// recorded by the processor it went through. Answers show all three,
/// told apart by `type`.
#[tokio::test]
async fn only_manual_payments_are_recorded_by_hand_and_answers_show_every_method() {
    let (world, client, _, big, _) = acme().await;
    let doc = document(&world).await;
    let schemas = &doc["components"]["schemas"];
    assert_eq!(
        schemas["CreatePayment"]["properties"]["method"]["$ref"],
        "#/components/schemas/ManualMethod"
    );
    assert_eq!(schemas["ManualMethod"]["additionalProperties"], false);
    assert_eq!(schemas["ManualType"]["enum"], json!(["manual"]));
    let kinds: Vec<&Value> = schemas["PaymentMethod"]["oneOf"]
        .as_array()
        .unwrap()
        .iter()
        .map(|kind| &kind["properties"]["type"]["enum"])
        .collect();
    assert_eq!(
        kinds,
        [&json!(["manual"]), &json!(["card"]), &json!(["bank_debit"])]
    );
    assert_eq!(
        schemas["PaymentOut"]["properties"]["method"]["$ref"],
        "#/components/schemas/PaymentMethod"
    );
    for method in [
        json!({ "type": "card", "kind": "cash" }),
        json!({ "type": "card", "brand": "visa", "last4": "4242" }),
        json!({ "type": "bank_debit", "last4": "6789" }),
        json!({ "type": "manual", "kind": "cash", "last4": "4242" }),
    ] {
        let mut body =
            common::billed::payment(&client, 100, json!([{ "invoice_id": big, "amount": 100 }]));
        body["method"] = method.clone();
        let answer = world.api("POST", "/api/crm/payments", Some(body)).await;
        assert_eq!(
            (answer.status, answer.json["error"]["code"].as_str()),
            (StatusCode::UNPROCESSABLE_ENTITY, Some("invalid_request")),
            "{method}: {}",
            answer.text
        );
    }
    let recorded = world
        .api(
            "POST",
            "/api/crm/payments",
            Some(common::billed::payment(
                &client,
                100,
                json!([{ "invoice_id": big, "amount": 100 }]),
            )),
        )
        .await;
    assert_eq!(recorded.status, StatusCode::CREATED, "{}", recorded.text);
    assert_eq!(recorded.json["processor"], Value::Null);
    assert_eq!(recorded.json["failure_message"], Value::Null);
}
