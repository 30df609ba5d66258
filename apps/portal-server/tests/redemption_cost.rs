//! What one link redemption (`POST /l/{token}`) costs in SQL statements,
//! counted (so the answer is deterministic): at most five on PostgreSQL
//! (the link with everything it resolves to in one read, then `BEGIN`, one
//! statement doing every write, `COMMIT`), whether the link starts a new
//! session or activates an API-created one, and whether or not the
//! browser still carries an old session's cookie.

mod common;

use common::TestApp;
use reqwest::StatusCode;
use serde_json::json;

/// At most this many statements per redemption on PostgreSQL.
const POSTGRES_BUDGET: u64 = 5;

/// The statements of one request, with nothing else running (the outbox
/// worker polls once a minute under [`TestApp::QUIET`]).
async fn cost(app: &TestApp, request: reqwest::RequestBuilder) -> (u64, reqwest::Response) {
    let before = app.statements();
    let response = request.send().await.unwrap();
    (app.statements() - before, response)
}

/// An invoice emailed to `contact`; the link in the email.
async fn emailed_link(app: &TestApp, client: &str, contact: &str, number: &str) -> String {
    let invoice = app.invoice(client, number).await;
    let seen = app.sink.messages().len();
    let (status, body) = app
        .api(
            "POST",
            &format!("/api/crm/invoices/{invoice}/send"),
            Some(json!({ "contact_id": contact })),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    // Delivered here rather than by the (quiet) worker.
    app.services.outbox.deliver_due().await.unwrap();
    app.link_in(&app.next_mail(seen).await)
}

/// A pending session for `contact` created through the API; its link.
async fn session_link(app: &TestApp, contact: &str) -> String {
    let (status, created) = app
        .api(
            "POST",
            "/api/crm/client-portal-sessions",
            Some(json!({ "contact_id": contact })),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    created["url"].as_str().unwrap().to_owned()
}

/// The statements of each kind of redemption, in order: an emailed link
/// and an API-created session's link, each from a browser without a
/// cookie and then from one carrying the session the one before started.
/// Checks each redemption worked and ended the browser's old session.
async fn redemption_costs(app: &TestApp) -> Vec<(&'static str, u64)> {
    let client = app.client("Acme Corporation").await;
    let contact = app.contact(&client, "ap@acme.example").await;
    let links = [
        (
            "emailed link, no cookie",
            emailed_link(app, &client, &contact, "INV-1").await,
        ),
        (
            "emailed link, old cookie",
            emailed_link(app, &client, &contact, "INV-2").await,
        ),
        (
            "API session link, no cookie",
            session_link(app, &contact).await,
        ),
        (
            "API session link, old cookie",
            session_link(app, &contact).await,
        ),
    ];
    let mut costs = Vec::new();
    let mut browser = app.browser();
    for (n, (case, link)) in links.into_iter().enumerate() {
        if n % 2 == 0 {
            browser = app.browser();
        }
        let (statements, response) = cost(app, browser.post(&link)).await;
        assert_eq!(response.status(), StatusCode::SEE_OTHER, "{case}");
        costs.push((case, statements));
    }
    let (_, sessions) = app
        .api("GET", "/api/crm/client-portal-sessions?limit=10", None)
        .await;
    let statuses: Vec<(&str, &str)> = sessions["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            (
                s["status"].as_str().unwrap(),
                s["revoke_reason"].as_str().unwrap_or(""),
            )
        })
        .collect();
    assert_eq!(
        statuses,
        [
            ("active", ""),
            ("revoked", "replaced"),
            ("active", ""),
            ("revoked", "replaced"),
        ],
        "{sessions}"
    );
    costs
}

#[tokio::test(flavor = "multi_thread")]
async fn a_redemption_costs_at_most_five_statements_on_postgres() {
    let Some(app) = TestApp::postgres_with(TestApp::QUIET).await else {
        return;
    };
    let costs = redemption_costs(&app).await;
    eprintln!("PostgreSQL statements per redemption: {costs:?}");
    for (case, statements) in costs {
        assert!(
            statements <= POSTGRES_BUDGET,
            "{case}: {statements} statements, more than {POSTGRES_BUDGET}"
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn previewing_a_link_is_one_read() {
    for app in [
        TestApp::postgres_with(TestApp::QUIET).await,
        Some(TestApp::sqlite_with(TestApp::QUIET).await),
    ]
    .into_iter()
    .flatten()
    {
        let client = app.client("Acme Corporation").await;
        let contact = app.contact(&client, "ap@acme.example").await;
        let link = session_link(&app, &contact).await;
        let (statements, response) = cost(&app, app.browser().get(&link)).await;
        assert_eq!(response.status(), StatusCode::OK);
        assert_eq!(statements, 1, "the landing page reads the link once");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn redemptions_on_sqlite_run_in_one_write_transaction() {
    let app = TestApp::sqlite_with(TestApp::QUIET).await;
    let costs = redemption_costs(&app).await;
    eprintln!("SQLite statements per redemption: {costs:?}");
    // The read, then on the one writer: BEGIN, the client and contact
    // checks, the link, the session, the old session when there is a
    // cookie, the audit event, COMMIT. SQLite runs them in process, so
    // they are not round trips; this only keeps them from growing.
    for (case, statements) in costs {
        assert!(statements <= 9, "{case}: {statements} statements");
    }
}
