//! The outbox under real conditions: a mail server that is down when a
//! document is sent, two server processes sharing one PostgreSQL database,
//! a process killed in the middle of a delivery, and a graceful stop.

mod common;

use std::collections::HashSet;
use std::time::{Duration, Instant};

use common::TestApp;
use common::process::{ServerProcess, create_account};
use portal_test_support::{SmtpSink, TestPostgres};
use reqwest::StatusCode;
use serde_json::{Value, json};

/// Polls `check` every 50 ms until it holds, for at most `timeout`.
async fn eventually<F, Fut>(timeout: Duration, what: &str, mut check: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = Instant::now() + timeout;
    while !check().await {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// The outbox items in `status`, as the operator API lists them.
async fn outbox(app: &TestApp, status: &str) -> Vec<Value> {
    let (code, body) = app
        .api(
            "GET",
            &format!("/api/crm/outbox?status={status}&limit=100"),
            None,
        )
        .await;
    assert_eq!(code, StatusCode::OK, "{body}");
    body["data"].as_array().cloned().unwrap_or_default()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_document_sent_while_smtp_is_down_arrives_once_it_is_up_and_its_link_works() {
    let port = portal_test_support::free_port();
    let smtp = format!("smtp://127.0.0.1:{port}?tls=none");
    let app = TestApp::sqlite_with(&[("PORTAL_SMTP_URL", &smtp)]).await;
    let client = app.client("Acme Corporation").await;
    let contact = app.contact(&client, "ap@acme.example").await;
    let invoice = app.invoice(&client, "INV-1001").await;

    let (status, sent) = app
        .api(
            "POST",
            &format!("/api/crm/invoices/{invoice}/send"),
            Some(json!({ "contact_id": contact })),
        )
        .await;
    assert_eq!(
        status,
        StatusCode::OK,
        "sending never waits for SMTP: {sent}"
    );
    assert_eq!(sent["delivery"], "queued", "{sent}");

    // The worker tries, fails, and keeps the email for later.
    eventually(Duration::from_secs(10), "a failed delivery", || async {
        !outbox(&app, "failed").await.is_empty()
    })
    .await;
    let failed = outbox(&app, "failed").await;
    assert_eq!(failed.len(), 1);
    assert!(failed[0]["last_error"].as_str().is_some(), "{}", failed[0]);

    // The mail server comes up where the portal expects it.
    let sink = SmtpSink::start_on(port).await;
    let mail = sink.wait_for(1, Duration::from_secs(20)).await;
    assert_eq!(mail[0].to, ["ap@acme.example"]);
    eventually(Duration::from_secs(5), "the item marked sent", || async {
        outbox(&app, "sent").await.len() == 1
    })
    .await;

    let link = app.link_in(&mail[0]);
    let browser = app.browser();
    let landing = app.sign_in(&browser, &link).await;
    assert_eq!(landing, format!("/portal/documents/{invoice}"));
}

/// The environment two server processes on one PostgreSQL database share.
fn shared_env<'a>(
    database: &'a str,
    smtp: &'a str,
    key: &'a str,
    lease: &'a str,
) -> Vec<(&'a str, &'a str)> {
    vec![
        ("PORTAL_DATABASE_URL", database),
        ("PORTAL_SMTP_URL", smtp),
        ("PORTAL_MAIL_FROM", "billing@portal.test"),
        ("PORTAL_SECRET_KEY", key),
        ("PORTAL_OUTBOX_POLL_MS", "20"),
        ("PORTAL_OUTBOX_LEASE_SECONDS", lease),
        ("PORTAL_OUTBOX_RETRY_SECONDS", "1"),
    ]
}

/// A client with a contact and `count` draft invoices, through `server`.
async fn invoices(server: &ServerProcess, key: &str, count: usize) -> (String, Vec<String>) {
    let (_, client) = server
        .api(
            key,
            "POST",
            "/api/crm/clients",
            Some(json!({ "name": "Acme Corporation" })),
        )
        .await;
    let client = client["id"].as_str().unwrap().to_owned();
    let (_, contact) = server
        .api(
            key,
            "POST",
            "/api/crm/contacts",
            Some(json!({ "client_id": client, "name": "Avery", "email": "ap@acme.example" })),
        )
        .await;
    let contact = contact["id"].as_str().unwrap().to_owned();
    let mut ids = Vec::new();
    for i in 0..count {
        let body = json!({
            "client_id": client, "number": format!("INV-{i:03}"), "currency": "USD",
            "issue_date": "2026-11-20", "due_date": "2026-12-20",
            "lines": [{ "description": "Work", "quantity": 1, "unit_amount": 10_000 }],
        });
        let (status, invoice) = server
            .api(key, "POST", "/api/crm/invoices", Some(body))
            .await;
        assert_eq!(status, StatusCode::CREATED, "{invoice}");
        ids.push(invoice["id"].as_str().unwrap().to_owned());
    }
    (contact, ids)
}

fn message_id(mail: &portal_test_support::CapturedMail) -> String {
    mail.header("Message-ID").expect("a Message-ID").to_owned()
}

#[tokio::test(flavor = "multi_thread")]
async fn two_processes_on_one_database_deliver_fifty_documents_once_each() {
    let Some(database) = TestPostgres::create_or_skip("two processes deliver once").await else {
        return;
    };
    let sink = SmtpSink::start().await;
    let key = portal_server::secret_key::generate();
    let smtp = sink.url();
    let env = shared_env(database.url(), &smtp, &key, "30");
    let first = ServerProcess::start(&env).await;
    let second = ServerProcess::start(&env).await;
    let api_key = create_account(&env, "Northwind Studio");
    let (contact, ids) = invoices(&first, &api_key, 50).await;
    for (i, id) in ids.iter().enumerate() {
        // Half the sends go to each process.
        let server = if i % 2 == 0 { &first } else { &second };
        let (status, body) = server
            .api(
                &api_key,
                "POST",
                &format!("/api/crm/invoices/{id}/send"),
                Some(json!({ "contact_id": contact })),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
    }
    let mail = sink.wait_for(50, Duration::from_secs(30)).await;
    // Give a duplicate every chance to show up.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let mail = if sink.messages().len() > mail.len() {
        sink.messages()
    } else {
        mail
    };
    assert_eq!(mail.len(), 50, "every document once, none twice");
    let ids: HashSet<String> = mail.iter().map(message_id).collect();
    assert_eq!(ids.len(), 50, "fifty distinct messages");
    let subjects: HashSet<String> = mail.iter().filter_map(|m| m.subject()).collect();
    assert_eq!(subjects.len(), 50);
    let (_, sent) = second
        .api(
            &api_key,
            "GET",
            "/api/crm/outbox?status=sent&limit=100",
            None,
        )
        .await;
    assert_eq!(sent["data"].as_array().unwrap().len(), 50);
    assert!(
        sent["data"]
            .as_array()
            .unwrap()
            .iter()
            .all(|m| m["attempts"] == 1)
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_process_killed_mid_delivery_has_its_email_delivered_by_the_other() {
    let Some(database) = TestPostgres::create_or_skip("a killed process").await else {
        return;
    };
    let sink = SmtpSink::start().await;
    let key = portal_server::secret_key::generate();
    let smtp = sink.url();
    let env = shared_env(database.url(), &smtp, &key, "2");
    let mut doomed = ServerProcess::start(&env).await;
    let api_key = create_account(&env, "Northwind Studio");
    let (contact, ids) = invoices(&doomed, &api_key, 1).await;

    // The mail server takes its time confirming; the process dies waiting.
    sink.hold_replies(1, Duration::from_secs(60));
    let (status, _) = doomed
        .api(
            &api_key,
            "POST",
            &format!("/api/crm/invoices/{}/send", ids[0]),
            Some(json!({ "contact_id": contact })),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    sink.wait_for(1, Duration::from_secs(10)).await;
    doomed.kill();

    // The survivor takes the item over once the dead process's lease ends.
    let survivor = ServerProcess::start(&env).await;
    let mail = sink.wait_for(2, Duration::from_secs(20)).await;
    assert_eq!(
        message_id(&mail[0]),
        message_id(&mail[1]),
        "a redelivery after a crash is recognisable by its Message-ID"
    );
    assert_eq!(
        mail[0].body, mail[1].body,
        "the same message, the same link"
    );
    let (_, sent) = survivor
        .api(&api_key, "GET", "/api/crm/outbox?status=sent", None)
        .await;
    let items = sent["data"].as_array().unwrap();
    assert_eq!(items.len(), 1, "{sent}");
    assert_eq!(items[0]["attempts"], 2);
}

#[tokio::test(flavor = "multi_thread")]
async fn sigterm_lets_a_delivery_in_flight_finish_before_the_process_exits() {
    let dir = std::env::temp_dir().join(format!("portal-drain-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let database = format!("sqlite://{}", dir.join("portal.db").display());
    let sink = SmtpSink::start().await;
    let key = portal_server::secret_key::generate();
    let smtp = sink.url();
    let env = shared_env(&database, &smtp, &key, "60");
    let mut server = ServerProcess::start(&env).await;
    let api_key = create_account(&env, "Northwind Studio");
    let (contact, ids) = invoices(&server, &api_key, 1).await;
    sink.hold_replies(1, Duration::from_secs(2));
    server
        .api(
            &api_key,
            "POST",
            &format!("/api/crm/invoices/{}/send", ids[0]),
            Some(json!({ "contact_id": contact })),
        )
        .await;
    sink.wait_for(1, Duration::from_secs(10)).await;
    server.terminate();
    let status = server.wait_exit(Duration::from_secs(20)).await;
    assert!(status.success(), "a graceful stop exits cleanly: {status}");

    // The delivery was recorded before the process left.
    let after = ServerProcess::start(&env).await;
    let (_, sent) = after
        .api(&api_key, "GET", "/api/crm/outbox?status=sent", None)
        .await;
    assert_eq!(sent["data"].as_array().unwrap().len(), 1, "{sent}");
    assert_eq!(sink.messages().len(), 1, "and it is not sent again");
    drop(after);
    let _ = std::fs::remove_dir_all(dir);
}
