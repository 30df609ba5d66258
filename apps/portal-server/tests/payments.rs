//! Payments through the whole server, on SQLite and PostgreSQL: a partial
//! payment keeps an invoice outstanding, its receipt arrives over SMTP, the
//! client sees the payment history, a refund reopens the invoice, and a
//! refused payment leaves nothing behind.

mod common;

use std::time::Duration;

use common::{TestApp, assert_contains};
use reqwest::StatusCode;
use serde_json::{Value, json};

fn payment(client: &str, amount: i64, allocations: Value) -> Value {
    json!({
        "client_id": client, "amount": amount, "currency": "USD",
        "method": { "type": "manual", "kind": "check" },
        "reference": "Cheque 2231", "received_at": "2026-11-24T10:00:00Z",
        "allocations": allocations,
    })
}

async fn invoice(app: &TestApp, id: &str) -> Value {
    let (status, body) = app
        .api("GET", &format!("/api/crm/invoices/{id}"), None)
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body
}

async fn a_payment_is_applied_receipted_shown_and_refunded(app: TestApp) {
    let s = app.sent_invoice().await;
    let mails = app.sink.messages().len();
    let (status, paid) = app
        .api(
            "POST",
            "/api/crm/payments",
            Some(payment(
                &s.client,
                55_000,
                json!([{ "invoice_id": s.invoice, "amount": 55_000 }]),
            )),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{paid}");
    let read = invoice(&app, &s.invoice).await;
    assert_eq!(read["status"], "partially_paid");
    assert_eq!(
        (read["amount_paid"].as_i64(), read["amount_due"].as_i64()),
        (Some(55_000), Some(100_000))
    );

    // The receipt goes to the contact the invoice was sent to, over SMTP.
    let receipt = app.next_mail(mails).await;
    assert_eq!(receipt.to, ["ap@acme.example"]);
    assert_contains(
        &receipt.subject().unwrap_or_default(),
        "Receipt for your payment of $550.00",
    );
    assert_contains(&receipt.body, "Still due on your account: $1,000.00.");
    assert_contains(&receipt.body, "INV-1001");
    assert!(receipt.html().is_some_and(|h| h.contains("Cheque 2231")));

    // The client sees the invoice still outstanding, and the payment.
    let browser = app.browser();
    app.sign_in(&browser, &s.link).await;
    let home = app.text(&browser, "/portal").await;
    assert_contains(&home, "Payment history");
    assert_contains(&home, "$550.00");
    assert_contains(&home, "$1,000.00");
    let page = app
        .text(&browser, &format!("/portal/documents/{}", s.invoice))
        .await;
    assert_contains(&page, "Cheque 2231");

    // A refund reopens what it takes back.
    let id = paid["id"].as_str().unwrap();
    let (status, refunded) = app
        .api(
            "POST",
            &format!("/api/crm/payments/{id}/refunds"),
            Some(json!({ "amount": 5_000, "reason": "Overcharged travel" })),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{refunded}");
    assert_eq!(invoice(&app, &s.invoice).await["amount_due"], 105_000);
    let (status, too_much) = app
        .api(
            "POST",
            &format!("/api/crm/payments/{id}/refunds"),
            Some(json!({ "amount": 50_001 })),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{too_much}");

    // Marking it paid records the rest as one manual payment.
    let (status, _) = app
        .api(
            "POST",
            &format!("/api/crm/invoices/{}/mark-paid", s.invoice),
            Some(json!({ "kind": "bank_transfer" })),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let read = invoice(&app, &s.invoice).await;
    assert_eq!(
        (read["status"].as_str(), read["amount_due"].as_i64()),
        (Some("paid"), Some(0))
    );
    let (_, list) = app
        .api(
            "GET",
            &format!("/api/crm/payments?client_id={}", s.client),
            None,
        )
        .await;
    let amounts: Vec<i64> = list["data"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|p| p["amount"].as_i64())
        .collect();
    assert_eq!(amounts.len(), 2, "{list}");
    assert!(
        amounts.contains(&105_000) && amounts.contains(&55_000),
        "{amounts:?}"
    );
}

async fn refused_payments_leave_nothing_behind(app: TestApp) {
    let s = app.sent_invoice().await;
    let other = app.client("Globex").await;
    let other_contact = app.contact(&other, "ap@globex.example").await;
    let theirs = app.invoice(&other, "G-1").await;
    app.send_invoice(&theirs, &other_contact).await;
    let euros = json!({
        "client_id": s.client, "number": "INV-EUR", "currency": "EUR", "issue_date": "2026-11-20",
        "due_date": "2026-12-20", "lines": [{ "description": "Work", "quantity": 1, "unit_amount": 10_000 }],
    });
    let (_, euros) = app.api("POST", "/api/crm/invoices", Some(euros)).await;
    let euros = euros["id"].as_str().unwrap().to_owned();
    app.send_invoice(&euros, &s.contact).await;
    let before = invoice(&app, &s.invoice).await;
    let mails = app.sink.messages().len();

    for (body, code) in [
        (
            payment(
                &s.client,
                200_000,
                json!([{ "invoice_id": s.invoice, "amount": 155_001 }]),
            ),
            "over_allocated",
        ),
        (
            payment(
                &s.client,
                100,
                json!([{ "invoice_id": s.invoice, "amount": 50 }, { "invoice_id": theirs, "amount": 50 }]),
            ),
            "invoice_of_another_client",
        ),
        (
            payment(
                &s.client,
                100,
                json!([{ "invoice_id": s.invoice, "amount": 50 }, { "invoice_id": euros, "amount": 50 }]),
            ),
            "currency_mismatch",
        ),
    ] {
        let (status, answer) = app.api("POST", "/api/crm/payments", Some(body)).await;
        assert_eq!(
            (status, answer["error"]["code"].as_str()),
            (StatusCode::UNPROCESSABLE_ENTITY, Some(code)),
            "{answer}"
        );
        assert_eq!(
            answer["error"]["field"]
                .as_str()
                .map(|f| f.starts_with("allocations[")),
            Some(true),
            "{answer}"
        );
    }
    assert_eq!(invoice(&app, &s.invoice).await, before);
    let (_, list) = app.api("GET", "/api/crm/payments", None).await;
    assert_eq!(list["data"], json!([]));
    let (_, outbox) = app.api("GET", "/api/crm/outbox?limit=100", None).await;
    assert!(
        outbox["data"]
            .as_array()
            .unwrap()
            .iter()
            .all(|m| m["topic"] != "receipt"),
        "no receipt was queued: {outbox}"
    );
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(app.sink.messages().len(), mails);
}

#[tokio::test(flavor = "multi_thread")]
async fn payments_on_sqlite() {
    a_payment_is_applied_receipted_shown_and_refunded(TestApp::sqlite().await).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn payments_on_postgres() {
    if let Some(app) = TestApp::postgres().await {
        a_payment_is_applied_receipted_shown_and_refunded(app).await;
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn refusals_on_sqlite() {
    refused_payments_leave_nothing_behind(TestApp::sqlite().await).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn refusals_on_postgres() {
    if let Some(app) = TestApp::postgres().await {
        refused_payments_leave_nothing_behind(app).await;
    }
}
