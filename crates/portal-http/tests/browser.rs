//! The portal as a browser meets it, and the edges an outside attacker
//! probes: cross-site and `Origin: null` posts (payment forms included),
//! the referrer policy, user agents that are not UTF-8, the new-link form
//! queuing its work; and the probes operators point at the server:
//! health, readiness, metrics.

mod common;

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use common::{World, set_cookie};

/// A world where Acme's contact has just been emailed an invoice; the link.
async fn emailed() -> (World, String) {
    let w = World::new().await;
    let (client, contact) = w.client_and_contact("Acme", "ap@acme.example").await;
    let invoice = w.invoice(&client, "INV-1", "USD", 10_000).await;
    w.send_invoice(&invoice, &contact).await;
    let link = w.link_path();
    (w, link)
}

#[tokio::test]
async fn posts_with_origin_null_or_from_elsewhere_are_refused() {
    let (w, link) = emailed().await;
    let some_id = "00000000-0000-4000-8000-000000000000";
    let pay = format!("/portal/pay/{some_id}");
    let confirm = format!("/portal/payments/{some_id}/confirm");
    let challenge = format!("/portal/payments/{some_id}/test-challenge");
    let remove = format!("/portal/methods/{some_id}/remove");
    let default = format!("/portal/methods/{some_id}/default");
    let forms = [
        (link.as_str(), ""),
        ("/portal/logout", ""),
        ("/portal/request-link", "email=ap%40acme.example"),
        (
            pay.as_str(),
            "method=new&token=tok_test_visa_success_abcdefghijkl",
        ),
        (confirm.as_str(), ""),
        (challenge.as_str(), "outcome=complete"),
        (
            "/portal/methods",
            "token=tok_test_visa_success_abcdefghijkl",
        ),
        (remove.as_str(), ""),
        (default.as_str(), ""),
    ];
    for (path, body) in forms {
        for origin in [
            "null",
            "NULL",
            "https://evil.example",
            "https://billing.example.com.evil.example",
        ] {
            let answer = w.form(path, body, &[("origin", origin)]).await;
            assert_eq!(answer.status, StatusCode::FORBIDDEN, "{path} from {origin}");
        }
        let cross = w
            .form(
                path,
                body,
                &[
                    ("sec-fetch-site", "cross-site"),
                    ("origin", "https://billing.example.com"),
                ],
            )
            .await;
        assert_eq!(
            cross.status,
            StatusCode::FORBIDDEN,
            "{path}: the browser's word wins"
        );
        let raw = Request::post(path)
            .header(header::ORIGIN, &b"https://\xffbilling"[..])
            .body(Body::from(body))
            .unwrap();
        assert_eq!(
            w.send(raw).await.status,
            StatusCode::FORBIDDEN,
            "{path}: an Origin that is not text"
        );
    }
    // Nothing happened: the link still works, from the portal's own page.
    let own = w
        .form(&link, "", &[("origin", "https://billing.example.com")])
        .await;
    assert_eq!(own.status, StatusCode::SEE_OTHER);
}

#[tokio::test]
async fn pages_send_their_real_origin_and_nothing_leaves_the_site() {
    let (w, link) = emailed().await;
    for answer in [
        w.page("/portal", None).await,
        w.api("GET", "/api/crm/account", None).await,
    ] {
        assert_eq!(answer.headers[header::REFERRER_POLICY], "same-origin");
    }
    // A link page's URL holds its token: a Referer from it, even to this
    // server, names only the origin.
    assert_eq!(
        w.page(&link, None).await.headers[header::REFERRER_POLICY],
        "strict-origin"
    );
}

#[tokio::test]
async fn a_user_agent_that_is_not_utf8_is_recorded_lossily() {
    let (w, link) = emailed().await;
    let request = Request::post(&link)
        .header("sec-fetch-site", "same-origin")
        .header(header::USER_AGENT, &b"Mozilla/5.0 (Windows; \xe9t\xe9)"[..])
        .body(Body::empty())
        .unwrap();
    let redeemed = w.send(request).await;
    assert_eq!(redeemed.status, StatusCode::SEE_OTHER);
    let sessions = w
        .api("GET", "/api/crm/client-portal-sessions", None)
        .await
        .json;
    assert_eq!(
        sessions["data"][0]["user_agent"],
        "Mozilla/5.0 (Windows; \u{FFFD}t\u{FFFD})"
    );
}

#[tokio::test]
async fn the_new_link_form_queues_its_work_and_answers_the_same_either_way() {
    let (w, link) = emailed().await;
    // Use the link up, then ask for a new one from its dead page.
    w.form(&link, "", &[("sec-fetch-site", "same-origin")])
        .await;
    let token = link.trim_start_matches("/l/");
    let sent_before = w.mailer.sent().len();
    let known = w
        .form(
            "/portal/request-link",
            &format!("email=AP%40acme.example&link={token}"),
            &[("sec-fetch-site", "same-origin")],
        )
        .await;
    let unknown = w
        .form(
            "/portal/request-link",
            &format!("email=nobody%40acme.example&link={token}"),
            &[("sec-fetch-site", "same-origin")],
        )
        .await;
    assert_eq!(
        (known.status, unknown.status),
        (StatusCode::OK, StatusCode::OK)
    );
    assert_eq!(
        known.text.replace("AP@acme.example", "?"),
        unknown.text.replace("nobody@acme.example", "?"),
        "the same answer whether or not the email is on file"
    );
    // Queued within the request, nothing sent yet.
    assert_eq!(w.mailer.sent().len(), sent_before);
    let queued = w
        .api("GET", "/api/crm/outbox?status=pending", None)
        .await
        .json;
    let topics: Vec<&str> = queued["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["topic"].as_str().unwrap())
        .collect();
    assert_eq!(topics, ["link_request", "link_request"]);
    // The outbox fulfils them (a second pass sends the link it queued).
    w.deliver().await;
    w.deliver().await;
    let sent = w.mailer.sent();
    assert_eq!(
        sent.len(),
        sent_before + 1,
        "one link, to the contact on file"
    );
    assert_eq!(sent.last().unwrap().to.as_str(), "ap@acme.example");
    let fresh = w.link_path();
    assert_ne!(fresh, link);
    let redeemed = w
        .form(&fresh, "", &[("sec-fetch-site", "same-origin")])
        .await;
    assert_eq!(redeemed.status, StatusCode::SEE_OTHER);
    assert!(set_cookie(&redeemed).is_some());

    let missing = w
        .form(
            "/portal/request-link",
            "",
            &[("sec-fetch-site", "same-origin")],
        )
        .await;
    assert_eq!(missing.status, StatusCode::BAD_REQUEST);
    let invalid = w
        .form(
            "/portal/request-link",
            "email=not-an-email",
            &[("sec-fetch-site", "same-origin")],
        )
        .await;
    assert_eq!(invalid.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(invalid.text.contains("does not look like an email address"));
    let mut last = invalid;
    for _ in 0..4 {
        last = w
            .form(
                "/portal/request-link",
                "email=ap%40acme.example",
                &[("sec-fetch-site", "same-origin")],
            )
            .await;
    }
    assert_eq!(last.status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(last.headers[header::RETRY_AFTER], "3600");
}

#[tokio::test]
async fn health_readiness_and_metrics_answer() {
    let (w, link) = emailed().await;
    let get = |path: &str| Request::get(path).body(Body::empty()).unwrap();
    let health = w.send(get("/healthz")).await;
    assert_eq!(
        (health.status, health.text.as_str()),
        (StatusCode::OK, "ok")
    );
    let ready = w.send(get("/readyz")).await;
    assert_eq!(
        (ready.status, ready.text.as_str()),
        (StatusCode::OK, "ready")
    );

    w.form(&link, "", &[("sec-fetch-site", "same-origin")])
        .await;
    let payments = w.api("GET", "/api/crm/invoices", None).await.json;
    let invoice = payments["data"][0]["id"].as_str().unwrap();
    let paid = w
        .api(
            "POST",
            &format!("/api/crm/invoices/{invoice}/mark-paid"),
            None,
        )
        .await;
    assert_eq!(paid.status, StatusCode::OK);
    w.page("/portal/documents/nope", None).await;
    w.page("/nothing/here", None).await;
    w.form("/portal/logout", "", &[("origin", "null")]).await;

    let metrics = w.send(get("/metrics")).await;
    assert_eq!(metrics.status, StatusCode::OK);
    assert!(
        metrics.headers[header::CONTENT_TYPE]
            .to_str()
            .unwrap()
            .starts_with("text/plain; version=0.0.4")
    );
    let text = metrics.text;
    assert!(text.contains("portal_sessions_created_total 1"), "{text}");
    assert!(text.contains("portal_payments_recorded_total 1"), "{text}");
    assert!(
        text.contains(
            "portal_http_requests_total{route=\"/l/{token}\",method=\"POST\",status=\"3xx\"} 1"
        ),
        "{text}"
    );
    assert!(
        text.contains("route=\"/api/crm/invoices/{id}/mark-paid\",method=\"POST\",status=\"2xx\"")
    );
    assert!(text.contains("route=\"(unmatched)\",method=\"GET\",status=\"4xx\""));
    assert!(
        text.contains(
            "portal_http_requests_total{route=\"/portal/logout\",method=\"POST\",status=\"4xx\"} 1"
        ),
        "refused posts are counted: {text}"
    );
    assert!(text.contains("portal_http_request_duration_seconds_bucket{route=\"/api/crm/invoices\",method=\"GET\",status=\"2xx\",le=\"+Inf\"} 1"));
    // The receipt waits in the outbox; the sent invoice email is out.
    assert!(
        text.contains("portal_outbox_items{status=\"pending\"} 1"),
        "{text}"
    );
    assert!(
        text.contains("portal_outbox_items{status=\"sent\"} 1"),
        "{text}"
    );
    assert!(
        !text.contains(link.trim_start_matches("/l/")),
        "no token in a label"
    );
}
