//! What a session may see: its own company's sent documents, nothing else;
//! and what turning a client's portal off does.

mod common;

use common::{TestApp, assert_contains};
use reqwest::StatusCode;
use serde_json::json;

#[tokio::test(flavor = "multi_thread")]
async fn other_companies_documents_are_not_found_not_forbidden() {
    let app = TestApp::sqlite().await;
    let s = app.sent_invoice().await;
    let globex = app.client("Globex").await;
    let globex_contact = app.contact(&globex, "ap@globex.example").await;
    let theirs = app.invoice(&globex, "G-1").await;
    app.send_invoice(&theirs, &globex_contact).await;
    let draft = app.invoice(&s.client, "INV-DRAFT").await;
    // Voided before it was ever sent: never the client's to see.
    let withdrawn = app.invoice(&s.client, "SECRET-DRAFT-9").await;
    let (status, _) = app
        .api("POST", &format!("/api/crm/invoices/{withdrawn}/void"), None)
        .await;
    assert_eq!(status, StatusCode::OK);

    let browser = app.browser();
    app.sign_in(&browser, &s.link).await;
    let home = app.text(&browser, "/portal").await;
    assert!(!home.contains("G-1") && !home.contains("Globex"));
    assert!(!home.contains("SECRET-DRAFT-9"));

    let mut not_found_pages = Vec::new();
    for id in [
        theirs.as_str(),
        draft.as_str(),
        withdrawn.as_str(),
        "00000000-0000-4000-8000-000000000000",
        "not-an-id",
        "..%2F..%2Fetc%2Fpasswd",
    ] {
        let page = browser
            .get(app.url(&format!("/portal/documents/{id}")))
            .send()
            .await
            .unwrap();
        assert_eq!(page.status(), StatusCode::NOT_FOUND, "{id}");
        not_found_pages.push(page.text().await.unwrap());
    }
    assert!(
        not_found_pages.windows(2).all(|w| w[0] == w[1]),
        "one answer for all of them"
    );

    // Another account's operator cannot read this account's records.
    let other = TestApp::sqlite().await;
    let (status, _) = other
        .api("GET", &format!("/api/crm/invoices/{}", s.invoice), None)
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = app
        .api_as(
            &other.api_key,
            "GET",
            &format!("/api/crm/invoices/{}", s.invoice),
            None,
        )
        .await;
    assert_eq!(
        status,
        StatusCode::UNAUTHORIZED,
        "a key of another deployment is unknown here"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn accounts_on_one_server_are_isolated() {
    let app = TestApp::sqlite().await;
    let s = app.sent_invoice().await;
    let other = app
        .services
        .accounts
        .create_account(
            portal_domain::Name::parse("name", "Other Business").unwrap(),
            false,
        )
        .await
        .unwrap();
    let key = other.api_key.reveal();
    for path in [
        format!("/api/crm/invoices/{}", s.invoice),
        format!("/api/crm/clients/{}", s.client),
        format!("/api/crm/contacts/{}", s.contact),
        format!("/api/crm/clients/{}/audit-events", s.client),
    ] {
        let (status, body) = app.api_as(&key, "GET", &path, None).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{path}: {body}");
    }
    let (_, list) = app.api_as(&key, "GET", "/api/crm/invoices", None).await;
    assert_eq!(list["data"], json!([]));
    let (status, _) = app
        .api_as(
            &key,
            "POST",
            &format!("/api/crm/invoices/{}/send", s.invoice),
            Some(json!({ "contact_id": s.contact })),
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[tokio::test(flavor = "multi_thread")]
async fn turning_the_portal_off_revokes_sessions_and_stops_links() {
    let app = TestApp::sqlite().await;
    let s = app.sent_invoice().await;
    let unused = app.sent_invoice_again(&s).await;
    let browser = app.browser();
    app.sign_in(&browser, &s.link).await;

    let (status, client) = app
        .api(
            "PATCH",
            &format!("/api/crm/clients/{}", s.client),
            Some(json!({ "portal_enabled": false })),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{client}");
    assert_eq!(client["portal_enabled"], false);
    assert_eq!(client["sessions_revoked"], 1);
    assert_contains(
        client["notice"].as_str().unwrap(),
        "no new links can be issued",
    );

    let page = browser.get(app.url("/portal")).send().await.unwrap();
    assert_eq!(page.status(), StatusCode::UNAUTHORIZED);
    let dead = app.browser().post(&unused).send().await.unwrap();
    assert_eq!(dead.status(), StatusCode::GONE);

    let (status, err) = app
        .api(
            "POST",
            &format!("/api/crm/contacts/{}/portal-link", s.contact),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert_eq!(err["error"]["code"], "portal_disabled");
    let (status, err) = app
        .api(
            "POST",
            "/api/crm/client-portal-sessions",
            Some(json!({ "contact_id": s.contact })),
        )
        .await;
    assert_eq!(
        (status, err["error"]["code"].as_str()),
        (StatusCode::CONFLICT, Some("portal_disabled"))
    );

    // Documents still go out, without a link.
    let before = app.sink.messages().len();
    let (status, sent) = app
        .api(
            "POST",
            &format!("/api/crm/invoices/{}/send", s.invoice),
            Some(json!({ "contact_id": s.contact })),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(sent["portal_link_included"], false);
    assert!(sent["notice"].is_string());
    let mail = app.next_mail(before).await;
    assert!(
        mail.links().iter().all(|l| !l.contains("/l/")),
        "{}",
        mail.body
    );
    assert_contains(&mail.body, "payment instructions");

    // The new-link form sends nothing for this client.
    let token = unused.rsplit('/').next().unwrap();
    let answer = app
        .browser()
        .post(app.url("/portal/request-link"))
        .form(&[("email", "ap@acme.example"), ("link", token)])
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), StatusCode::OK);
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    assert_eq!(app.sink.messages().len(), before + 1);

    // Turning it back on works for new links only.
    let (_, client) = app
        .api(
            "PATCH",
            &format!("/api/crm/clients/{}", s.client),
            Some(json!({ "portal_enabled": true })),
        )
        .await;
    assert!(client.get("notice").is_none());
    assert_eq!(
        app.browser().post(&unused).send().await.unwrap().status(),
        StatusCode::GONE
    );
    let (status, link) = app
        .api(
            "POST",
            &format!("/api/crm/contacts/{}/portal-link", s.contact),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    app.sign_in(&app.browser(), link["url"].as_str().unwrap())
        .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn names_with_markup_are_shown_as_text() {
    let app = TestApp::sqlite().await;
    let client = app.client("<script>alert('x')</script> & Co").await;
    let contact = app.contact(&client, "ap@acme.example").await;
    let body = json!({
        "client_id": client, "number": "<b>1</b>", "currency": "eur", "issue_date": "2026-11-01", "due_date": "2026-11-30",
        "title": "\"Quotes\" & <i>tags</i>",
        "lines": [{ "description": "<img src=x onerror=alert(1)>", "quantity": "2", "unit_amount": 1000 }]
    });
    let (status, invoice) = app.api("POST", "/api/crm/invoices", Some(body)).await;
    assert_eq!(status, StatusCode::CREATED, "{invoice}");
    assert_eq!(invoice["currency"], "EUR");
    let link = app.link_in(
        &app.send_invoice(invoice["id"].as_str().unwrap(), &contact)
            .await,
    );
    let browser = app.browser();
    let landing = app.sign_in(&browser, &link).await;
    let html = app.text(&browser, &landing).await;
    assert!(
        !html.contains("<script>alert")
            && !html.contains("<img src=x")
            && !html.contains("<b>1</b>")
    );
    assert_contains(&html, "&lt;script&gt;");
    assert_contains(&html, "&lt;img src=x onerror=alert(1)&gt;");
    assert_contains(&html, "€20.00");
}
