//! Sending through the outbox: the API answers at once with the queued
//! item, the outbox shows its delivery (never its body), and a failed
//! item can be retried.

mod common;

use axum::http::StatusCode;
use common::World;
use serde_json::json;

#[tokio::test]
async fn sending_answers_at_once_and_the_outbox_shows_the_delivery() {
    let w = World::new().await;
    let (client, contact) = w.client_and_contact("Acme", "ap@acme.example").await;
    let invoice = w.invoice(&client, "INV-1", "USD", 10_000).await;
    w.mailer.fail_from_now_on(true);
    let sent = w
        .api(
            "POST",
            &format!("/api/crm/invoices/{invoice}/send"),
            Some(json!({ "contact_id": contact })),
        )
        .await;
    assert_eq!(
        sent.status,
        StatusCode::OK,
        "a mail server that is down does not fail the send"
    );
    assert_eq!(
        (
            sent.json["delivery"].as_str(),
            sent.json["sent_to"].as_str()
        ),
        (Some("queued"), Some("ap@acme.example"))
    );
    assert_eq!(sent.json["document"]["status"], "open");
    assert_eq!(sent.json["portal_link_included"], true);
    let item = sent.json["outbox_item_id"].as_str().unwrap().to_owned();

    let pending = w
        .api("GET", &format!("/api/crm/outbox/{item}"), None)
        .await
        .json;
    assert_eq!(
        (pending["status"].as_str(), pending["attempts"].as_u64()),
        (Some("pending"), Some(0))
    );
    assert_eq!(
        (pending["topic"].as_str(), pending["recipient"].as_str()),
        (Some("document_sent"), Some("ap@acme.example"))
    );
    assert!(pending["subject"].as_str().unwrap().contains("INV-1"));
    let fields: Vec<&String> = pending.as_object().unwrap().keys().collect();
    assert_eq!(
        fields,
        [
            "attempts",
            "created_at",
            "id",
            "last_error",
            "next_attempt_at",
            "recipient",
            "sent_at",
            "status",
            "subject",
            "topic"
        ],
        "never a body"
    );

    w.deliver().await;
    let failed = w
        .api("GET", "/api/crm/outbox?status=failed", None)
        .await
        .json;
    assert_eq!(failed["data"][0]["id"], item.as_str());
    assert!(
        failed["data"][0]["last_error"]
            .as_str()
            .unwrap()
            .contains("fail")
    );
    w.mailer.fail_from_now_on(false);
    let retried = w
        .api("POST", &format!("/api/crm/outbox/{item}/retry"), None)
        .await;
    assert_eq!(
        (retried.status, retried.json["status"].as_str()),
        (StatusCode::OK, Some("pending"))
    );
    w.deliver().await;
    let done = w
        .api("GET", &format!("/api/crm/outbox/{item}"), None)
        .await
        .json;
    assert_eq!(done["status"], "sent");
    assert!(done["sent_at"].is_string());
    assert!(
        !w.api("GET", "/api/crm/outbox", None)
            .await
            .text
            .contains("/l/"),
        "no link in the outbox"
    );
    assert_eq!(w.last_email().to.as_str(), "ap@acme.example");

    for (path, status) in [
        ("/api/crm/outbox?status=lost", StatusCode::BAD_REQUEST),
        ("/api/crm/outbox/nope", StatusCode::NOT_FOUND),
        (
            "/api/crm/outbox/00000000-0000-4000-8000-000000000000",
            StatusCode::NOT_FOUND,
        ),
    ] {
        assert_eq!(w.api("GET", path, None).await.status, status, "{path}");
    }
}
