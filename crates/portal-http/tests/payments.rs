//! Payments over the operator API: recording one against a client's
//! invoices, and every refusal, with the field it names and nothing
//! written.

mod common;

use axum::http::StatusCode;
use common::billed::{acme, payment};
use serde_json::json;

#[tokio::test]
async fn a_payment_settles_invoices_and_queues_its_receipt() {
    let (w, client, _, big, small) = acme().await;
    let sent_before = w.mailer.sent().len();
    let answer = w
        .api(
            "POST",
            "/api/crm/payments",
            Some(payment(
                &client,
                80_000,
                json!([
                    { "invoice_id": big, "amount": 30_000 },
                    { "invoice_id": small, "amount": 50_000 },
                ]),
            )),
        )
        .await;
    assert_eq!(answer.status, StatusCode::CREATED, "{}", answer.text);
    let p = &answer.json;
    assert_eq!(p["amount"], 80_000);
    assert_eq!(p["currency"], "USD");
    assert_eq!(
        p["method"],
        json!({ "type": "manual", "kind": "bank_transfer" })
    );
    assert_eq!(p["reference"], "WIRE-7");
    assert_eq!(p["received_at"], "2026-11-24T10:00:00Z");
    assert_eq!(p["status"], "succeeded");
    assert_eq!(
        p["allocations"][1],
        json!({ "invoice_id": small, "amount": 50_000 })
    );
    assert_eq!(
        (p["refundable"].as_i64(), p["unapplied"].as_i64()),
        (Some(80_000), Some(0))
    );
    assert_eq!(p["refunds"], json!([]));
    assert_eq!(p["receipts_queued_to"], json!(["ap@acme.example"]));
    assert!(p["created_at"].is_string());
    // Queued, not sent: the outbox delivers it.
    assert_eq!(w.mailer.sent().len(), sent_before);
    w.deliver().await;
    assert_eq!(w.mailer.sent().len(), sent_before + 1);
    assert!(
        w.last_email().subject.to_lowercase().contains("receipt"),
        "{}",
        w.last_email().subject
    );

    let invoice = w
        .api("GET", &format!("/api/crm/invoices/{big}"), None)
        .await
        .json;
    assert_eq!(invoice["status"], "partially_paid");
    assert_eq!(
        (
            invoice["amount_paid"].as_i64(),
            invoice["amount_due"].as_i64()
        ),
        (Some(30_000), Some(70_000))
    );
    let applied = &invoice["payments"][0];
    assert_eq!(applied["payment_id"], p["id"]);
    assert_eq!(applied["amount_applied"], 30_000);
    assert_eq!(applied["refunded"], 0);
    assert_eq!(applied["method"]["kind"], "bank_transfer");
    assert_eq!(applied["reference"], "WIRE-7");
    assert_eq!(applied["received_at"], "2026-11-24T10:00:00Z");
    let paid = w
        .api("GET", &format!("/api/crm/invoices/{small}"), None)
        .await
        .json;
    assert_eq!(
        (paid["status"].as_str(), paid["amount_due"].as_i64()),
        (Some("paid"), Some(0))
    );
    assert!(paid["paid_at"].is_string());

    let shown = w
        .api(
            "GET",
            &format!("/api/crm/payments/{}", p["id"].as_str().unwrap()),
            None,
        )
        .await;
    assert_eq!(shown.status, StatusCode::OK);
    assert_eq!(shown.json["allocations"], p["allocations"]);
    assert!(shown.json.get("receipts_queued_to").is_none());
}

#[tokio::test]
async fn refused_payments_name_the_field_and_write_nothing() {
    let (w, client, contact, big, small) = acme().await;
    let (other_client, other_contact) = w.client_and_contact("Globex", "ap@globex.example").await;
    let theirs = w.invoice(&other_client, "G-1", "USD", 10_000).await;
    w.send_invoice(&theirs, &other_contact).await;
    let euros = w.invoice(&client, "INV-EUR", "EUR", 10_000).await;
    w.send_invoice(&euros, &contact).await;
    let draft = w.invoice(&client, "INV-DRAFT", "USD", 10_000).await;
    let void = w.invoice(&client, "INV-VOID", "USD", 10_000).await;
    w.api("POST", &format!("/api/crm/invoices/{void}/void"), None)
        .await;
    let unknown = "00000000-0000-4000-8000-000000000000";
    let one = |invoice: &str, amount: i64| json!([{ "invoice_id": small, "amount": 1 }, { "invoice_id": invoice, "amount": amount }]);
    let cases = [
        (
            payment(&client, 200_000, one(&big, 100_001)),
            "over_allocated",
            "allocations[1].amount",
        ),
        (
            payment(&client, 100, one(&big, 500)),
            "validation_failed",
            "allocations",
        ),
        (
            payment(&client, 200, one(&euros, 100)),
            "currency_mismatch",
            "allocations[1].invoice_id",
        ),
        (
            payment(&client, 200, one(&draft, 100)),
            "invoice_not_payable",
            "allocations[1].invoice_id",
        ),
        (
            payment(&client, 200, one(&void, 100)),
            "invoice_not_payable",
            "allocations[1].invoice_id",
        ),
        (
            payment(&client, 200, one(&theirs, 100)),
            "invoice_of_another_client",
            "allocations[1].invoice_id",
        ),
        (
            payment(&client, 200, one(unknown, 100)),
            "unknown_invoice",
            "allocations[1].invoice_id",
        ),
        (
            payment(&client, 200, one("nope", 100)),
            "validation_failed",
            "allocations[1].invoice_id",
        ),
        (
            payment(&client, 200, one(&big, 0)),
            "validation_failed",
            "allocations[1].amount",
        ),
        (
            payment(&client, 200, one(&big, -1)),
            "validation_failed",
            "allocations[1].amount",
        ),
        (
            payment(&client, 200, json!([])),
            "validation_failed",
            "allocations",
        ),
        (
            payment(&client, 200, one(&small, 1)),
            "validation_failed",
            "allocations[1].invoice_id",
        ),
        (
            payment(&client, 0, one(&big, 1)),
            "validation_failed",
            "amount",
        ),
        (
            payment(&client, 100_000_000_000_001, one(&big, 1)),
            "validation_failed",
            "amount",
        ),
        (
            {
                let mut p = payment(&client, 200, one(&big, 1));
                p["currency"] = json!("XAU");
                p
            },
            "validation_failed",
            "currency",
        ),
        (
            {
                let mut p = payment(&client, 200, one(&big, 1));
                p["currency"] = json!("Usd");
                p
            },
            "validation_failed",
            "currency",
        ),
        (
            {
                let mut p = payment(&client, 200, one(&big, 1));
                p["received_at"] = json!("yesterday");
                p
            },
            "validation_failed",
            "received_at",
        ),
        (
            {
                let mut p = payment(&client, 200, one(&big, 1));
                p["received_at"] = json!("2027-01-01T00:00:00Z");
                p
            },
            "validation_failed",
            "received_at",
        ),
        (
            {
                let mut p = payment(&client, 200, one(&big, 1));
                p["reference"] = json!("A\r\nB");
                p
            },
            "validation_failed",
            "reference",
        ),
        (
            {
                let mut p = payment(&client, 200, one(&big, 1));
                p["notify_contact_id"] = json!(other_contact);
                p
            },
            "unknown_contact",
            "notify_contact_id",
        ),
        (
            {
                let mut p = payment(&client, 200, one(&big, 1));
                p["amount"] = json!("200");
                p
            },
            "invalid_request",
            "amount",
        ),
        (
            {
                let mut p = payment(&client, 200, one(&big, 1));
                p["allocations"][1]["amount"] = json!(1.5);
                p
            },
            "invalid_request",
            "allocations[1].amount",
        ),
        (
            {
                let mut p = payment(&client, 200, one(&big, 1));
                p["method"] = json!({ "type": "card", "kind": "cash" });
                p
            },
            "invalid_request",
            "method.type",
        ),
        (
            {
                let mut p = payment(&client, 200, one(&big, 1));
                p["method"]["kind"] = json!("bitcoin");
                p
            },
            "invalid_request",
            "method.kind",
        ),
        (
            {
                let mut p = payment(&client, 200, one(&big, 1));
                p["allocations"][0]["note"] = json!("x");
                p
            },
            "invalid_request",
            "allocations[0].note",
        ),
    ];
    for (body, code, field) in cases {
        let answer = w.api("POST", "/api/crm/payments", Some(body.clone())).await;
        assert_eq!(
            (
                answer.status,
                answer.json["error"]["code"].as_str(),
                answer.json["error"]["field"].as_str()
            ),
            (StatusCode::UNPROCESSABLE_ENTITY, Some(code), Some(field)),
            "{body}: {}",
            answer.text
        );
    }
    let unknown_client = payment(unknown, 200, one(&big, 1));
    let answer = w
        .api("POST", "/api/crm/payments", Some(unknown_client))
        .await;
    assert_eq!(answer.status, StatusCode::NOT_FOUND, "{}", answer.text);

    let payments = w.api("GET", "/api/crm/payments", None).await;
    assert_eq!(payments.json["data"], json!([]), "nothing was written");
    for invoice in [&big, &small] {
        let shown = w
            .api("GET", &format!("/api/crm/invoices/{invoice}"), None)
            .await
            .json;
        assert_eq!(
            (shown["status"].as_str(), shown["amount_paid"].as_i64()),
            (Some("open"), Some(0))
        );
    }
}
