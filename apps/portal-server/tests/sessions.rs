//! Sessions over HTTP: cookie flags, absolute and idle timeouts enforced on
//! the server, sign-out that revokes server-side, and one session per
//! browser.

mod common;

use chrono::Duration;
use common::{TestApp, assert_contains, session_cookie, session_secret};
use reqwest::StatusCode;
use serde_json::json;

/// The `Set-Cookie` a redemption answers with.
async fn redemption_cookie(app: &TestApp, link: &str) -> String {
    let response = app.browser().post(link).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    response.headers()["set-cookie"]
        .to_str()
        .unwrap()
        .to_owned()
}

#[tokio::test(flavor = "multi_thread")]
async fn the_session_cookie_is_http_only_and_lax_over_http() {
    let app = TestApp::sqlite().await;
    let s = app.sent_invoice().await;
    let cookie = redemption_cookie(&app, &s.link).await;
    assert!(cookie.starts_with("portal_session="), "{cookie}");
    for part in ["HttpOnly", "SameSite=Lax", "Path=/", "Max-Age=604800"] {
        assert_contains(&cookie, part);
    }
    assert!(
        !cookie.contains("Secure"),
        "plain http cannot carry a Secure cookie"
    );
    assert!(!cookie.contains("Domain"), "host-only");
}

#[tokio::test(flavor = "multi_thread")]
async fn over_https_the_cookie_is_secure_and_host_prefixed() {
    let app = TestApp::sqlite_with(&[("PORTAL_PUBLIC_URL", "https://billing.example.com")]).await;
    let client = app.client("Acme").await;
    let contact = app.contact(&client, "ap@acme.example").await;
    let invoice = app.invoice(&client, "INV-1").await;
    let mail = app.send_invoice(&invoice, &contact).await;
    let link = mail
        .links()
        .into_iter()
        .find(|l| l.starts_with("https://billing.example.com/l/"))
        .expect("links use the public URL");
    // Served locally over http, reached as the proxy would forward it.
    let local = link.replace("https://billing.example.com", &app.base);
    let response = app.browser().post(&local).send().await.unwrap();
    let cookie = response.headers()["set-cookie"].to_str().unwrap();
    assert!(cookie.starts_with("__Host-portal_session="), "{cookie}");
    assert_contains(cookie, "; Secure");
    assert_contains(cookie, "HttpOnly");
    assert!(
        response.headers()["strict-transport-security"]
            .to_str()
            .unwrap()
            .contains("max-age")
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn idle_and_absolute_timeouts_are_enforced_on_the_server() {
    let app = TestApp::sqlite().await;
    let s = app.sent_invoice().await;
    let browser = app.browser();
    app.sign_in(&browser, &s.link).await;
    // Visiting within the idle timeout keeps the session...
    for _ in 0..3 {
        app.clock.advance(Duration::days(2) - Duration::minutes(5));
        let page = browser.get(app.url("/portal")).send().await.unwrap();
        assert_eq!(page.status(), StatusCode::OK);
    }
    // ...but not past its seven days, whatever the cookie says.
    app.clock.advance(Duration::days(1) + Duration::minutes(20));
    let page = browser.get(app.url("/portal")).send().await.unwrap();
    assert_eq!(page.status(), StatusCode::UNAUTHORIZED);
    assert_contains(&page.text().await.unwrap(), "Your session has ended");

    let other = app.sent_invoice_again(&s).await;
    let idle = app.browser();
    app.sign_in(&idle, &other).await;
    app.clock.advance(Duration::days(2));
    let page = idle.get(app.url("/portal")).send().await.unwrap();
    assert_eq!(page.status(), StatusCode::UNAUTHORIZED);

    let (_, sessions) = app
        .api("GET", "/api/crm/client-portal-sessions", None)
        .await;
    let statuses: Vec<&str> = sessions["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["status"].as_str().unwrap())
        .collect();
    assert_eq!(statuses, vec!["expired", "expired"]);
}

#[tokio::test(flavor = "multi_thread")]
async fn the_session_lifetime_is_an_account_setting() {
    let app = TestApp::sqlite().await;
    let (status, account) = app
        .api(
            "PATCH",
            "/api/crm/account",
            Some(json!({ "session_lifetime_seconds": 7200, "idle_timeout_seconds": 3600 })),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{account}");
    assert_eq!(account["session_lifetime_seconds"], 7200);
    let s = app.sent_invoice().await;
    let cookie = redemption_cookie(&app, &s.link).await;
    assert_contains(&cookie, "Max-Age=7200");

    let (status, err) = app
        .api(
            "PATCH",
            "/api/crm/account",
            Some(json!({ "session_lifetime_seconds": 60 })),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(err["error"]["field"], "session_lifetime_seconds");
    let (status, err) = app
        .api(
            "PATCH",
            "/api/crm/account",
            Some(json!({ "idle_timeout_seconds": i64::MAX })),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{err}");
}

#[tokio::test(flavor = "multi_thread")]
async fn signing_out_revokes_the_session_on_the_server() {
    let app = TestApp::sqlite().await;
    let s = app.sent_invoice().await;
    let response = app.browser().post(&s.link).send().await.unwrap();
    let cookie = session_cookie(&response);

    let plain = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let page = plain
        .get(app.url("/portal"))
        .header("cookie", &cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), StatusCode::OK);
    let out = plain
        .post(app.url("/portal/logout"))
        .header("cookie", &cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(out.status(), StatusCode::SEE_OTHER);
    assert_eq!(out.headers()["location"], "/portal/signed-out");
    assert_contains(out.headers()["set-cookie"].to_str().unwrap(), "Max-Age=0");

    // A copy of the old cookie is worthless now.
    let replay = plain
        .get(app.url("/portal"))
        .header("cookie", &cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(replay.status(), StatusCode::UNAUTHORIZED);
    let (_, sessions) = app
        .api("GET", "/api/crm/client-portal-sessions", None)
        .await;
    assert_eq!(sessions["data"][0]["status"], "revoked");
    assert_eq!(sessions["data"][0]["revoke_reason"], "signed_out");
}

#[tokio::test(flavor = "multi_thread")]
async fn each_redemption_issues_a_new_session_and_ends_the_browsers_old_one() {
    let app = TestApp::sqlite().await;
    let s = app.sent_invoice().await;
    let browser = app.browser();
    app.sign_in(&browser, &s.link).await;
    let second = app.sent_invoice_again(&s).await;
    app.sign_in(&browser, &second).await;
    let (_, sessions) = app
        .api("GET", "/api/crm/client-portal-sessions", None)
        .await;
    let list = sessions["data"].as_array().unwrap();
    assert_eq!(list.len(), 2);
    assert_eq!(list[0]["status"], "active");
    assert_eq!(list[1]["status"], "revoked");
    assert_eq!(list[1]["revoke_reason"], "replaced");
    assert_ne!(list[0]["id"], list[1]["id"]);
}

#[tokio::test(flavor = "multi_thread")]
async fn session_ids_in_urls_are_never_accepted() {
    let app = TestApp::sqlite().await;
    let s = app.sent_invoice().await;
    let response = app.browser().post(&s.link).send().await.unwrap();
    let secret = session_secret(&response);
    for url in [
        format!("/portal?portal_session={secret}"),
        format!("/portal?session={secret}"),
        format!("/portal/documents/{}?portal_session={secret}", s.invoice),
    ] {
        let page = app.browser().get(app.url(&url)).send().await.unwrap();
        assert_eq!(page.status(), StatusCode::UNAUTHORIZED, "{url}");
    }
}
