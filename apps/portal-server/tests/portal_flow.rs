//! The whole story on SQLite: an operator creates a client, contacts and an
//! invoice through the API and sends it; the client follows the emailed
//! link into a session scoped to their company and sees the invoice.

mod common;

use common::{TestApp, assert_contains};
use reqwest::StatusCode;
use serde_json::json;

#[tokio::test(flavor = "multi_thread")]
async fn an_emailed_link_opens_the_clients_portal_on_its_invoice() {
    let app = TestApp::sqlite().await;
    let client = app.client("Acme Corporation").await;
    let contact = app.contact(&client, "ap@acme.example").await;
    let invoice = app.invoice(&client, "INV-1001").await;
    let draft = app.invoice(&client, "INV-1002").await;

    let mail = app.send_invoice(&invoice, &contact).await;
    assert_eq!(mail.to, vec!["ap@acme.example".to_owned()]);
    assert_eq!(
        mail.subject().as_deref(),
        Some("Invoice INV-1001 from Northwind Studio")
    );
    assert_contains(&mail.body, "$1,550.00");
    let link = app.link_in(&mail);

    let browser = app.browser();
    let landing = app.sign_in(&browser, &link).await;
    assert_eq!(landing, format!("/portal/documents/{invoice}"));
    assert!(
        !landing.contains(link.rsplit('/').next().unwrap()),
        "the redirect carries no token"
    );

    let page = browser.get(app.url(&landing)).send().await.unwrap();
    assert_eq!(page.status(), StatusCode::OK);
    let html = page.text().await.unwrap();
    assert_contains(&html, "Invoice INV-1001");
    assert_contains(&html, "Consulting");
    assert_contains(&html, "$1,550.00");
    assert_contains(&html, "Acme Corporation");

    let home = app.text(&browser, "/portal").await;
    assert_contains(&home, "Outstanding invoices");
    assert_contains(&home, "INV-1001");
    assert!(!home.contains("INV-1002"), "drafts never reach the portal");
    let hidden = browser
        .get(app.url(&format!("/portal/documents/{draft}")))
        .send()
        .await
        .unwrap();
    assert_eq!(hidden.status(), StatusCode::NOT_FOUND);

    // The operator sees the session, its browser, and what it looked at.
    let (status, sessions) = app
        .api(
            "GET",
            &format!("/api/crm/client-portal-sessions?contact_id={contact}"),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let session_id = sessions["data"][0]["id"].as_str().unwrap();
    let (_, session) = app
        .api(
            "GET",
            &format!("/api/crm/client-portal-sessions/{session_id}"),
            None,
        )
        .await;
    assert_eq!(session["status"], "active");
    assert_eq!(session["ip_address"], "127.0.0.1");
    assert_eq!(session["user_agent"], "Mozilla/5.0 (portal tests)");
    assert_eq!(session["contact"]["email"], "ap@acme.example");
    let actions: Vec<&str> = session["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(
        actions,
        vec!["session_started", "document_viewed", "portal_viewed"]
    );

    let (_, audit) = app
        .api(
            "GET",
            &format!("/api/crm/clients/{client}/audit-events"),
            None,
        )
        .await;
    let first = &audit["data"].as_array().unwrap().last().unwrap();
    assert_eq!(first["action"], "document_sent");
    assert_eq!(first["document_id"], invoice.as_str());

    let (_, read) = app
        .api("GET", &format!("/api/crm/invoices/{invoice}"), None)
        .await;
    assert_eq!(read["status"], "open");
    assert_eq!(read["amount_due"], 155_000);
    assert_eq!(read["lines"][1]["quantity"], json!(1.5));
    assert_eq!(read["lines"][1]["amount"], 5000);
}

#[tokio::test(flavor = "multi_thread")]
async fn several_contacts_of_one_company_get_their_own_links_and_sessions() {
    let app = TestApp::sqlite().await;
    let client = app.client("Acme Corporation").await;
    let ap = app.contact(&client, "ap@acme.example").await;
    let cfo = app.contact(&client, "cfo@acme.example").await;
    let invoice = app.invoice(&client, "INV-1").await;
    let first = app.link_in(&app.send_invoice(&invoice, &ap).await);
    let second = app.link_in(&app.send_invoice(&invoice, &cfo).await);
    assert_ne!(first, second);

    let (pat, chris) = (app.browser(), app.browser());
    app.sign_in(&pat, &first).await;
    app.sign_in(&chris, &second).await;
    for browser in [&pat, &chris] {
        let home = app.text(browser, "/portal").await;
        assert_contains(&home, "INV-1");
    }
    let (_, sessions) = app
        .api(
            "GET",
            &format!("/api/crm/client-portal-sessions?client_id={client}"),
            None,
        )
        .await;
    let contacts: Vec<&str> = sessions["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["contact_id"].as_str().unwrap())
        .collect();
    assert_eq!(contacts.len(), 2);
    assert!(contacts.contains(&ap.as_str()) && contacts.contains(&cfo.as_str()));
}

#[tokio::test(flavor = "multi_thread")]
async fn operator_sessions_activate_through_their_one_time_url() {
    let app = TestApp::sqlite().await;
    let client = app.client("Acme Corporation").await;
    let contact = app.contact(&client, "ap@acme.example").await;
    let (status, created) = app
        .api(
            "POST",
            "/api/crm/client-portal-sessions",
            Some(json!({ "contact_id": contact })),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    assert_eq!(created["status"], "pending");
    let id = created["id"].as_str().unwrap();
    let url = created["url"].as_str().unwrap();

    let browser = app.browser();
    assert_eq!(app.sign_in(&browser, url).await, "/portal");
    let (_, session) = app
        .api(
            "GET",
            &format!("/api/crm/client-portal-sessions/{id}"),
            None,
        )
        .await;
    assert_eq!(session["status"], "active");
    assert!(session["activated_at"].is_string());

    let (status, revoked) = app
        .api(
            "POST",
            &format!("/api/crm/client-portal-sessions/{id}/revoke"),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(revoked["status"], "revoked");
    assert_eq!(revoked["revoke_reason"], "operator");
    let after = browser.get(app.url("/portal")).send().await.unwrap();
    assert_eq!(after.status(), StatusCode::UNAUTHORIZED);
    assert_contains(&after.text().await.unwrap(), "Your session has ended");
}

#[tokio::test(flavor = "multi_thread")]
async fn operators_can_email_or_fetch_a_fresh_link_for_a_contact() {
    let app = TestApp::sqlite().await;
    let client = app.client("Acme Corporation").await;
    let contact = app.contact(&client, "ap@acme.example").await;
    let (status, link) = app
        .api(
            "POST",
            &format!("/api/crm/contacts/{contact}/portal-link"),
            Some(json!({ "send_email": true })),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{link}");
    assert_eq!(link["emailed"], true);
    let mail = app.next_mail(0).await;
    assert_eq!(app.link_in(&mail), link["url"].as_str().unwrap());
    assert_eq!(
        mail.subject().as_deref(),
        Some("Your Northwind Studio billing portal link")
    );

    // An empty body is fine: all fields are optional.
    let (status, quiet) = app
        .api(
            "POST",
            &format!("/api/crm/contacts/{contact}/portal-link"),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{quiet}");
    assert_eq!(quiet["emailed"], false);
    assert_eq!(app.sink.messages().len(), 1);
}
