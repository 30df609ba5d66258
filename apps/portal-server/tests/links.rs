//! Magic links over HTTP: scanners can fetch them freely, each works once,
//! dead links get one neutral page, tokens never reach the database or a
//! Referer header, and "email me a new link" answers the same for anyone
//! and is rate-limited.

mod common;

use chrono::Duration;
use common::{TestApp, assert_contains, session_secret};
use reqwest::StatusCode;

#[tokio::test(flavor = "multi_thread")]
async fn fetching_a_link_changes_nothing() {
    let app = TestApp::sqlite().await;
    let s = app.sent_invoice().await;
    let scanner = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    for _ in 0..5 {
        let page = scanner.get(&s.link).send().await.unwrap();
        assert_eq!(page.status(), StatusCode::OK);
        // The token in this page's URL never reaches a Referer, not even
        // this server's own; the page's form posts still carry their Origin.
        assert_eq!(page.headers()["referrer-policy"], "strict-origin");
        assert!(page.headers().get("set-cookie").is_none());
        let html = page.text().await.unwrap();
        assert_contains(&html, "Continue to your billing portal");
        assert!(
            !html.contains(s.link.rsplit('/').next().unwrap()),
            "the page does not repeat the token"
        );
        let head = scanner.head(&s.link).send().await.unwrap();
        assert_eq!(head.status(), StatusCode::OK);
    }
    let (_, sessions) = app
        .api("GET", "/api/crm/client-portal-sessions", None)
        .await;
    assert_eq!(
        sessions["data"].as_array().unwrap().len(),
        0,
        "no session from fetching"
    );
    // The link still works for its person.
    app.sign_in(&app.browser(), &s.link).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_used_link_gets_the_neutral_page_and_no_second_session() {
    let app = TestApp::sqlite().await;
    let s = app.sent_invoice().await;
    app.sign_in(&app.browser(), &s.link).await;

    let other_device = app.browser();
    let again = other_device.post(&s.link).send().await.unwrap();
    assert_eq!(again.status(), StatusCode::GONE);
    assert!(again.headers().get("set-cookie").is_none());
    let html = again.text().await.unwrap();
    assert_contains(&html, "This link can't be used");
    assert_contains(&html, "Email me a new link");
    let page = other_device.get(&s.link).send().await.unwrap();
    assert_eq!(page.status(), StatusCode::GONE);
    let (_, sessions) = app
        .api("GET", "/api/crm/client-portal-sessions", None)
        .await;
    assert_eq!(sessions["data"].as_array().unwrap().len(), 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn expired_unknown_and_malformed_links_look_the_same() {
    let app = TestApp::sqlite().await;
    let s = app.sent_invoice().await;
    app.clock.advance(Duration::days(14));
    let unknown = app.url("/l/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA");
    let hostile = app.url("/l/%3Cscript%3Ealert(1)%3C%2Fscript%3E");
    let mut bodies = Vec::new();
    for link in [s.link.as_str(), unknown.as_str(), hostile.as_str()] {
        let browser = app.browser();
        for response in [
            browser.get(link).send().await.unwrap(),
            browser.post(link).send().await.unwrap(),
        ] {
            assert_eq!(response.status(), StatusCode::GONE, "{link}");
            let html = response.text().await.unwrap();
            assert!(
                !html.contains("<script>alert"),
                "hostile input is never echoed as markup"
            );
            bodies.push(
                html.replace(s.link.rsplit('/').next().unwrap(), "TOKEN")
                    .replace("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", "TOKEN"),
            );
        }
    }
    let reference = bodies[0].replace("<input type=\"hidden\" name=\"link\" value=\"TOKEN\">", "");
    for body in &bodies[4..] {
        assert_eq!(
            body, &reference,
            "a malformed link shows the same page, minus the hidden token"
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn no_raw_token_or_session_secret_is_stored() {
    let app = TestApp::sqlite().await;
    let s = app.sent_invoice().await;
    let browser = app.browser();
    browser.get(&s.link).send().await.unwrap();
    let response = browser.post(&s.link).send().await.unwrap();
    let secret = session_secret(&response);
    let token = s.link.rsplit('/').next().unwrap();

    let bytes = app.sqlite_bytes();
    let contains = |needle: &str| bytes.windows(needle.len()).any(|w| w == needle.as_bytes());
    assert!(
        contains("ap@acme.example"),
        "sanity: the database holds the data"
    );
    assert!(!contains(token), "the link token is stored only as a hash");
    assert!(
        !contains(&secret),
        "the session secret is stored only as a hash"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_dead_link_offers_a_new_one_by_email() {
    let app = TestApp::sqlite().await;
    let s = app.sent_invoice().await;
    app.sign_in(&app.browser(), &s.link).await;
    let token = s.link.rsplit('/').next().unwrap();

    let browser = app.browser();
    let form = [("email", "AP@acme.example"), ("link", token)];
    let answer = browser
        .post(app.url("/portal/request-link"))
        .form(&form)
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), StatusCode::OK);
    let text = answer.text().await.unwrap();
    assert_contains(&text, "Check your email");

    let mail = app.next_mail(1).await;
    assert_eq!(mail.to, vec!["ap@acme.example".to_owned()]);
    let fresh = app.link_in(&mail);
    assert_ne!(fresh, s.link);
    // The new link opens on the invoice the old one was for.
    assert_eq!(
        app.sign_in(&browser, &fresh).await,
        format!("/portal/documents/{}", s.invoice)
    );

    // A stranger's address gets the same page, and no email.
    let stranger = [("email", "someone@elsewhere.example"), ("link", token)];
    let answer = app
        .browser()
        .post(app.url("/portal/request-link"))
        .form(&stranger)
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), StatusCode::OK);
    let same = answer.text().await.unwrap();
    assert_eq!(
        same.replace("someone@elsewhere.example", "X"),
        text.replace("AP@acme.example", "X")
    );
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    assert_eq!(app.sink.messages().len(), 2);
}

#[tokio::test(flavor = "multi_thread")]
async fn link_requests_are_rate_limited() {
    let app = TestApp::sqlite().await;
    let browser = app.browser();
    let mut statuses = Vec::new();
    for _ in 0..5 {
        let response = browser
            .post(app.url("/portal/request-link"))
            .form(&[("email", "ap@acme.example")])
            .send()
            .await
            .unwrap();
        statuses.push(response.status());
        if response.status() == StatusCode::TOO_MANY_REQUESTS {
            assert_eq!(response.headers()["retry-after"], "3600");
        }
    }
    assert_eq!(&statuses[..3], &[StatusCode::OK; 3]);
    assert_eq!(&statuses[3..], &[StatusCode::TOO_MANY_REQUESTS; 2]);

    let bad = browser
        .post(app.url("/portal/request-link"))
        .form(&[("email", "not-an-email")])
        .send()
        .await
        .unwrap();
    assert_eq!(bad.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let missing = browser
        .post(app.url("/portal/request-link"))
        .form(&[("nothing", "here")])
        .send()
        .await
        .unwrap();
    assert_eq!(missing.status(), StatusCode::BAD_REQUEST);
}

#[tokio::test(flavor = "multi_thread")]
async fn cross_site_form_posts_are_refused() {
    let app = TestApp::sqlite().await;
    let s = app.sent_invoice().await;
    let response = app
        .browser()
        .post(&s.link)
        .header("sec-fetch-site", "cross-site")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    // The link was not used up by the refused request.
    app.sign_in(&app.browser(), &s.link).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn an_ended_session_can_ask_for_a_new_link() {
    let app = TestApp::sqlite().await;
    let s = app.sent_invoice().await;
    let browser = app.browser();
    app.sign_in(&browser, &s.link).await;
    app.clock.advance(Duration::days(8));
    let ended = browser.get(app.url("/portal")).send().await.unwrap();
    assert_eq!(ended.status(), StatusCode::UNAUTHORIZED);
    assert!(
        ended.headers().get("set-cookie").is_none(),
        "the old cookie stays to name the business"
    );
    assert_contains(&ended.text().await.unwrap(), "Your session has ended");

    let answer = browser
        .post(app.url("/portal/request-link"))
        .form(&[("email", "ap@acme.example")])
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), StatusCode::OK);
    let fresh = app.link_in(&app.next_mail(1).await);
    assert_eq!(app.sign_in(&browser, &fresh).await, "/portal");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_portal_serving_one_business_sends_links_without_an_old_one() {
    let app = TestApp::sqlite().await;
    let _ = app.sent_invoice().await;
    let stranger_browser = app.browser();
    let page = stranger_browser
        .get(app.url("/portal"))
        .send()
        .await
        .unwrap();
    assert_contains(&page.text().await.unwrap(), "Open your billing portal");
    stranger_browser
        .post(app.url("/portal/request-link"))
        .form(&[("email", "ap@acme.example")])
        .send()
        .await
        .unwrap();
    let mail = app.next_mail(1).await;
    assert_eq!(mail.to, vec!["ap@acme.example".to_owned()]);
    app.sign_in(&stranger_browser, &app.link_in(&mail)).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn posts_from_another_origin_are_refused() {
    let app = TestApp::sqlite().await;
    let s = app.sent_invoice().await;
    let post = |headers: &'static [(&'static str, &'static str)]| {
        let mut request = app.browser().post(&s.link);
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        request.send()
    };
    // A browser without Sec-Fetch-Site, posting from a foreign page.
    let forged = post(&[("origin", "https://evil.example")]).await.unwrap();
    assert_eq!(forged.status(), StatusCode::FORBIDDEN);
    // A sibling subdomain is another site's page too.
    let sibling = post(&[
        ("sec-fetch-site", "same-site"),
        ("origin", "https://files.example.com"),
    ])
    .await
    .unwrap();
    assert_eq!(sibling.status(), StatusCode::FORBIDDEN);
    // A browser that sends Sec-Fetch-Site is believed, whatever Origin it
    // sends alongside.
    let own = post(&[("sec-fetch-site", "same-origin"), ("origin", "null")])
        .await
        .unwrap();
    assert_eq!(
        own.status(),
        StatusCode::SEE_OTHER,
        "the portal's own pages may post"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn revoking_a_pending_session_kills_its_link() {
    let app = TestApp::sqlite().await;
    let s = app.sent_invoice().await;
    let (_, created) = app
        .api(
            "POST",
            "/api/crm/client-portal-sessions",
            Some(serde_json::json!({ "contact_id": s.contact })),
        )
        .await;
    let id = created["id"].as_str().unwrap();
    app.api(
        "POST",
        &format!("/api/crm/client-portal-sessions/{id}/revoke"),
        None,
    )
    .await;
    let page = app
        .browser()
        .get(created["url"].as_str().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(
        page.status(),
        StatusCode::GONE,
        "no Continue button for a revoked session's link"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn oversized_or_overlong_input_is_refused_and_records_nothing() {
    let app = TestApp::sqlite().await;
    let _ = app.sent_invoice().await;
    let browser = app.browser();
    let huge = "a".repeat(100_000) + "@acme.example";
    let oversized = browser
        .post(app.url("/portal/request-link"))
        .form(&[("email", huge.as_str())])
        .send()
        .await
        .unwrap();
    assert!(
        oversized.status().is_client_error(),
        "{}",
        oversized.status()
    );
    let overlong = "a".repeat(300) + "@acme.example";
    let refused = browser
        .post(app.url("/portal/request-link"))
        .form(&[("email", overlong.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        !refused.text().await.unwrap().contains(&overlong),
        "hostile input is not echoed"
    );

    // Neither counted against the limit: three real requests still pass.
    for _ in 0..3 {
        let ok = browser
            .post(app.url("/portal/request-link"))
            .form(&[("email", "ap@acme.example")])
            .send()
            .await
            .unwrap();
        assert_eq!(ok.status(), StatusCode::OK);
    }
    let long_token = app.url(&format!("/l/{}", "A".repeat(4000)));
    for response in [
        browser.get(&long_token).send().await.unwrap(),
        browser.post(&long_token).send().await.unwrap(),
    ] {
        assert_eq!(response.status(), StatusCode::GONE);
    }
    // Only the invoice email and the three new links went out.
    app.sink
        .wait_for(4, std::time::Duration::from_secs(10))
        .await;
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    assert_eq!(app.sink.messages().len(), 4);
}
