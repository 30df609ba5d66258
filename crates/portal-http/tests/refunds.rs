//! After a payment: listing payments by client in a stable order,
//! refunds that reopen what they take back, refunds of payments made
//! through the processor (taken back there first, or refused with nothing
//! recorded), and mark-paid as a full manual payment.

mod common;

use axum::http::StatusCode;
use common::billed::{acme, payment};
use common::{World, set_cookie};
use portal_domain::service::{PayOutcome, PayRequest, PayWith};
use portal_domain::{ClientInfo, Payment};
use portal_test_processor::{Scenario, TestFault, TestToken};
use serde_json::{Value, json};

#[tokio::test]
async fn payments_page_by_client_in_a_stable_order() {
    let (w, client, _, big, _) = acme().await;
    let (other, other_contact) = w.client_and_contact("Globex", "ap@globex.example").await;
    let theirs = w.invoice(&other, "G-1", "USD", 10_000).await;
    w.send_invoice(&theirs, &other_contact).await;
    let mut ids = Vec::new();
    for day in 20..23 {
        let mut body = payment(
            &client,
            1_000,
            json!([{ "invoice_id": big, "amount": 1_000 }]),
        );
        body["received_at"] = json!(format!("2026-11-{day}T10:00:00Z"));
        let answer = w.api("POST", "/api/crm/payments", Some(body)).await;
        assert_eq!(answer.status, StatusCode::CREATED, "{}", answer.text);
        ids.push(answer.json["id"].as_str().unwrap().to_owned());
    }
    let answer = w
        .api(
            "POST",
            "/api/crm/payments",
            Some(payment(
                &other,
                500,
                json!([{ "invoice_id": theirs, "amount": 500 }]),
            )),
        )
        .await;
    assert_eq!(answer.status, StatusCode::CREATED);

    let first = w
        .api(
            "GET",
            &format!("/api/crm/payments?client_id={client}&limit=2"),
            None,
        )
        .await
        .json;
    assert_eq!(first["has_more"], true);
    let names: Vec<&str> = first["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["id"].as_str().unwrap())
        .collect();
    // Latest received first.
    assert_eq!(names, [ids[2].as_str(), ids[1].as_str()]);
    let cursor = first["next_cursor"].as_str().unwrap();
    let second = w
        .api(
            "GET",
            &format!("/api/crm/payments?client_id={client}&limit=2&cursor={cursor}"),
            None,
        )
        .await
        .json;
    assert_eq!(second["has_more"], false);
    assert_eq!(second["next_cursor"], Value::Null);
    assert_eq!(second["data"].as_array().unwrap().len(), 1);
    assert_eq!(second["data"][0]["id"], ids[0].as_str());
    let all = w.api("GET", "/api/crm/payments", None).await.json;
    assert_eq!(all["data"].as_array().unwrap().len(), 4);

    for (query, status) in [
        ("client_id=nope", StatusCode::UNPROCESSABLE_ENTITY),
        (
            "client_id=00000000-0000-4000-8000-000000000000",
            StatusCode::NOT_FOUND,
        ),
        ("cursor=bogus", StatusCode::BAD_REQUEST),
        ("status=paid", StatusCode::BAD_REQUEST),
    ] {
        let answer = w
            .api("GET", &format!("/api/crm/payments?{query}"), None)
            .await;
        assert_eq!(answer.status, status, "{query}: {}", answer.text);
    }
    for id in ["nope", "00000000-0000-4000-8000-000000000000"] {
        let answer = w.api("GET", &format!("/api/crm/payments/{id}"), None).await;
        assert_eq!(answer.status, StatusCode::NOT_FOUND);
    }
}

#[tokio::test]
async fn refunds_reopen_what_they_take_back() {
    let (w, client, _, big, _) = acme().await;
    let paid = w
        .api(
            "POST",
            "/api/crm/payments",
            Some(payment(
                &client,
                120_000,
                json!([{ "invoice_id": big, "amount": 100_000 }]),
            )),
        )
        .await;
    assert_eq!(paid.status, StatusCode::CREATED, "{}", paid.text);
    assert_eq!(paid.json["unapplied"], 20_000);
    let id = paid.json["id"].as_str().unwrap();

    // The unapplied credit goes first, then the invoice.
    let answer = w
        .api(
            "POST",
            &format!("/api/crm/payments/{id}/refunds"),
            Some(json!({ "amount": 30_000, "reason": "Overpaid" })),
        )
        .await;
    assert_eq!(answer.status, StatusCode::CREATED, "{}", answer.text);
    let refund = &answer.json["refund"];
    assert_eq!(
        (refund["amount"].as_i64(), refund["reason"].as_str()),
        (Some(30_000), Some("Overpaid"))
    );
    assert_eq!(
        refund["allocations"],
        json!([{ "invoice_id": big, "amount": 10_000 }])
    );
    assert_eq!(refund["payment_id"], id);
    let after = &answer.json["payment"];
    assert_eq!(
        (after["refundable"].as_i64(), after["unapplied"].as_i64()),
        (Some(90_000), Some(0))
    );
    assert_eq!(after["refunds"].as_array().unwrap().len(), 1);
    let invoice = w
        .api("GET", &format!("/api/crm/invoices/{big}"), None)
        .await
        .json;
    assert_eq!(invoice["status"], "partially_paid");
    assert_eq!(invoice["amount_due"], 10_000);
    assert_eq!(invoice["payments"][0]["refunded"], 10_000);

    let too_much = w
        .api(
            "POST",
            &format!("/api/crm/payments/{id}/refunds"),
            Some(json!({ "amount": 90_001 })),
        )
        .await;
    assert_eq!(
        (
            too_much.status,
            too_much.json["error"]["code"].as_str(),
            too_much.json["error"]["field"].as_str()
        ),
        (
            StatusCode::UNPROCESSABLE_ENTITY,
            Some("refund_exceeds_payment"),
            Some("amount")
        )
    );
    let zero = w
        .api(
            "POST",
            &format!("/api/crm/payments/{id}/refunds"),
            Some(json!({ "amount": 0 })),
        )
        .await;
    assert_eq!(zero.json["error"]["field"], "amount");
    let missing = w
        .api(
            "POST",
            "/api/crm/payments/00000000-0000-4000-8000-000000000000/refunds",
            Some(json!({ "amount": 1 })),
        )
        .await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn mark_paid_records_a_full_manual_payment() {
    let (w, client, contact, big, small) = acme().await;
    // A partial payment first: mark-paid records what remains.
    w.api(
        "POST",
        "/api/crm/payments",
        Some(payment(
            &client,
            25_000,
            json!([{ "invoice_id": big, "amount": 25_000 }]),
        )),
    )
    .await;
    let answer = w
        .api(
            "POST",
            &format!("/api/crm/invoices/{big}/mark-paid"),
            Some(json!({ "kind": "check", "reference": "CHK-9", "received_at": "2026-11-25T09:00:00Z", "notify_contact_id": contact })),
        )
        .await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.text);
    assert_eq!(
        (
            answer.json["status"].as_str(),
            answer.json["amount_due"].as_i64()
        ),
        (Some("paid"), Some(0))
    );
    let last = &answer.json["payments"][1];
    assert_eq!(
        (
            last["amount_applied"].as_i64(),
            last["method"]["kind"].as_str()
        ),
        (Some(75_000), Some("check"))
    );
    assert_eq!(last["reference"], "CHK-9");

    // With no body: kind `other`, received now.
    let answer = w
        .api(
            "POST",
            &format!("/api/crm/invoices/{small}/mark-paid"),
            None,
        )
        .await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.text);
    assert_eq!(answer.json["payments"][0]["method"]["kind"], "other");
    assert_eq!(
        answer.json["payments"][0]["received_at"],
        "2026-11-25T10:00:00Z"
    );

    let again = w
        .api(
            "POST",
            &format!("/api/crm/invoices/{small}/mark-paid"),
            None,
        )
        .await;
    assert_eq!(
        (again.status, again.json["error"]["code"].as_str()),
        (StatusCode::CONFLICT, Some("invalid_status"))
    );
    let draft = w.invoice(&client, "INV-3", "USD", 1_000).await;
    let answer = w
        .api(
            "POST",
            &format!("/api/crm/invoices/{draft}/mark-paid"),
            None,
        )
        .await;
    assert_eq!(answer.json["error"]["code"], "invalid_status");
    let void = w
        .api("POST", &format!("/api/crm/invoices/{big}/void"), None)
        .await;
    assert_eq!(
        (void.status, void.json["error"]["message"].as_str()),
        (
            StatusCode::CONFLICT,
            Some("A paid invoice cannot be voided.")
        )
    );
    let bad = w
        .api(
            "POST",
            &format!("/api/crm/invoices/{draft}/mark-paid"),
            Some(json!({ "kind": "barter" })),
        )
        .await;
    assert_eq!(
        (bad.status, bad.json["error"]["field"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("kind"))
    );
    let payments = w
        .api(
            "GET",
            &format!("/api/crm/payments?client_id={client}"),
            None,
        )
        .await
        .json;
    assert_eq!(payments["data"].as_array().unwrap().len(), 3);
}

/// Acme's contact, signed in through the invoice's emailed link, pays
/// `invoice` in full with the test card that succeeds.
async fn paid_by_card(w: &World, invoice: &str) -> Payment {
    let redeemed = w
        .form(&w.link_path(), "", &[("sec-fetch-site", "same-origin")])
        .await;
    let cookie = set_cookie(&redeemed).expect("a session cookie");
    let (_, secret) = cookie.split_once('=').unwrap();
    let ctx = w
        .services
        .sessions
        .authenticate(Some(secret))
        .await
        .unwrap();
    let checkouts = &w.services.checkouts;
    let form = checkouts
        .prepare(
            &ctx,
            PayRequest {
                invoices: vec![invoice.parse().unwrap()],
                amount: None,
            },
        )
        .await
        .unwrap();
    let outcome = checkouts
        .submit(
            &ctx,
            form.checkout.id,
            PayWith::New {
                token: TestToken::fresh(Scenario::VisaSuccess).to_browser_token(),
                save: false,
            },
            &ClientInfo::new(None, Some("Mozilla/5.0")),
        )
        .await
        .unwrap();
    let PayOutcome::Succeeded(paid) = outcome else {
        panic!("the test card pays: {outcome:?}");
    };
    paid
}

#[tokio::test]
async fn refunds_of_processor_payments_go_through_the_processor_first() {
    let w = World::new().await;
    let (client, contact) = w.client_and_contact("Acme", "ap@acme.example").await;
    let invoice = w.invoice(&client, "INV-1", "USD", 10_000).await;
    w.send_invoice(&invoice, &contact).await;
    w.connect_test_processor().await;
    let paid = paid_by_card(&w, &invoice).await;
    let id = paid.id().to_string();
    let shown = w.api("GET", &format!("/api/crm/payments/{id}"), None).await;
    assert_eq!(
        shown.json["method"],
        json!({ "type": "card", "brand": "visa", "last4": "4242" })
    );
    assert_eq!(shown.json["status"], "succeeded");
    assert_eq!(shown.json["processor"]["kind"], "test");
    assert!(shown.json["processor"]["reference"].is_string());

    let refund = |amount: i64| {
        let w = &w;
        let path = format!("/api/crm/payments/{id}/refunds");
        async move {
            w.api("POST", &path, Some(json!({ "amount": amount })))
                .await
        }
    };
    let done = refund(2_500).await;
    assert_eq!(done.status, StatusCode::CREATED, "{}", done.text);
    assert_eq!(done.json["payment"]["refundable"], 7_500);

    // The processor is down: nothing is recorded, and a retry may follow.
    let connection = paid.processor().unwrap().connection_id;
    w.processor
        .state
        .inject(connection, TestFault::ServerError, 3);
    let down = refund(1_000).await;
    assert_eq!(
        (down.status, down.json["error"]["code"].as_str()),
        (StatusCode::BAD_GATEWAY, Some("processor_unavailable")),
        "{}",
        down.text
    );
    w.processor
        .state
        .inject(connection, TestFault::ServerError, 0);
    let after = w.api("GET", &format!("/api/crm/payments/{id}"), None).await;
    assert_eq!(after.json["refundable"], 7_500);
    assert_eq!(after.json["refunds"].as_array().unwrap().len(), 1);

    // New keys for the same processor account still refund it.
    w.connect_test_processor().await;
    let rekeyed = refund(1_000).await;
    assert_eq!(rekeyed.status, StatusCode::CREATED, "{}", rekeyed.text);
    // Replaced by another processor account, or disconnected, its
    // processor can no longer refund it.
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
    let replaced = refund(1_000).await;
    assert_eq!(
        (replaced.status, replaced.json["error"]["code"].as_str()),
        (StatusCode::CONFLICT, Some("processor_disconnected")),
        "{}",
        replaced.text
    );
    w.api("DELETE", "/api/crm/account/processor", None).await;
    let gone = refund(1_000).await;
    assert_eq!(gone.json["error"]["code"], "processor_disconnected");
    let after = w.api("GET", &format!("/api/crm/payments/{id}"), None).await;
    assert_eq!(after.json["refundable"], 6_500);
    let invoice = w
        .api("GET", &format!("/api/crm/invoices/{invoice}"), None)
        .await;
    assert_eq!(invoice.json["amount_paid"], 6_500);
}
