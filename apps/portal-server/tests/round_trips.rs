//! What the portal's hot pages cost in SQL statements, counted on the real
//! database (every statement, `BEGIN` and `COMMIT` included): the overview
//! and a document page take three (the session, the page's one read, the
//! audit event), however many documents and payments the client has.

mod common;

use common::TestApp;
use reqwest::StatusCode;
use serde_json::json;

/// Creates and sends `count` invoices to the contact (the emails wait in
/// the outbox), pays every other one in full and every third of the rest
/// in part; answers the invoices' ids.
async fn bill(
    app: &TestApp,
    client: &str,
    contact: &str,
    from: usize,
    count: usize,
) -> Vec<String> {
    let mut ids = Vec::new();
    for i in from..from + count {
        let invoice = app.invoice(client, &format!("INV-{i:04}")).await;
        let (status, body) = app
            .api(
                "POST",
                &format!("/api/crm/invoices/{invoice}/send"),
                Some(json!({ "contact_id": contact })),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        let (_, read) = app
            .api("GET", &format!("/api/crm/invoices/{invoice}"), None)
            .await;
        let due = read["amount_due"].as_i64().unwrap();
        let amount = match (i % 2, i % 3) {
            (0, _) => Some(due),
            (_, 0) => Some(10_000),
            _ => None,
        };
        if let Some(amount) = amount {
            let (status, body) = app
                .api(
                    "POST",
                    "/api/crm/payments",
                    Some(json!({
                        "client_id": client, "amount": amount, "currency": "USD",
                        "method": { "type": "manual", "kind": "check" },
                        "received_at": "2026-11-24T10:00:00Z",
                        "allocations": [{ "invoice_id": invoice, "amount": amount }],
                    })),
                )
                .await;
            assert_eq!(status, StatusCode::CREATED, "{body}");
        }
        ids.push(invoice);
    }
    ids
}

/// A browser signed in to the client's portal through an operator session.
async fn signed_in(app: &TestApp, contact: &str) -> reqwest::Client {
    let (status, created) = app
        .api(
            "POST",
            "/api/crm/client-portal-sessions",
            Some(json!({ "contact_id": contact })),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    let browser = app.browser();
    app.sign_in(&browser, created["url"].as_str().unwrap())
        .await;
    browser
}

/// The statements one `GET` of `path` costs, and its page.
async fn cost(app: &TestApp, browser: &reqwest::Client, path: &str) -> (u64, String) {
    let before = app.statements();
    let page = browser.get(app.url(path)).send().await.unwrap();
    assert_eq!(page.status(), StatusCode::OK, "{path}");
    let text = page.text().await.unwrap();
    (app.statements() - before, text)
}

/// The address of the "Older documents" link on an overview page.
fn older_documents(page: &str) -> Option<String> {
    let marker = "rel=\"next\" href=\"/portal?documents=";
    let start = page.find(marker)? + "rel=\"next\" href=\"".len();
    let end = start + page[start..].find('"')?;
    Some(page[start..end].replace("&amp;", "&"))
}

async fn pages_cost_three_statements_whatever_the_history(app: TestApp) {
    let client = app.client("Acme Corporation").await;
    let contact = app.contact(&client, "ap@acme.example").await;
    let invoices = bill(&app, &client, &contact, 0, 12).await;
    let browser = signed_in(&app, &contact).await;

    let (small, _) = cost(&app, &browser, "/portal").await;
    assert_eq!(small, 3, "the overview of 12 invoices");
    let (document, page) = cost(
        &app,
        &browser,
        &format!("/portal/documents/{}", invoices[3]),
    )
    .await;
    assert_eq!(document, 3, "a document page");
    assert!(page.contains("INV-0003"));
    let older = older_documents(&cost(&app, &browser, "/portal").await.1);
    assert!(older.is_none(), "6 paid invoices fit one page");

    // Five times the history: the same cost, and a page of it shown.
    bill(&app, &client, &contact, 12, 48).await;
    let (large, page) = cost(&app, &browser, "/portal").await;
    assert_eq!(large, 3, "the overview of 60 invoices");
    let older = older_documents(&page).expect("older documents are a page away");
    let (next, next_page) = cost(&app, &browser, &older).await;
    assert_eq!(next, 3, "a later page of the overview");
    assert!(next_page.contains("Newest"));
}

#[tokio::test(flavor = "multi_thread")]
async fn sqlite_pages_cost_three_statements_whatever_the_history() {
    pages_cost_three_statements_whatever_the_history(TestApp::sqlite_with(TestApp::QUIET).await)
        .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn postgres_pages_cost_three_statements_whatever_the_history() {
    let Some(app) = TestApp::postgres_with(TestApp::QUIET).await else {
        return;
    };
    pages_cost_three_statements_whatever_the_history(app).await;
}
