//! The portal on PostgreSQL, including several server processes sharing
//! one database: a link still opens exactly one session when fifty
//! requests race for it.

mod common;

use common::{TestApp, assert_contains};
use reqwest::StatusCode;

#[tokio::test(flavor = "multi_thread")]
async fn the_link_flow_works_on_postgres() {
    let Some(app) = TestApp::postgres().await else {
        return;
    };
    let s = app.sent_invoice().await;
    let browser = app.browser();
    let landing = app.sign_in(&browser, &s.link).await;
    let html = app.text(&browser, &landing).await;
    assert_contains(&html, "Invoice INV-1001");
    assert_eq!(
        app.browser().post(&s.link).send().await.unwrap().status(),
        StatusCode::GONE
    );
    let (_, sessions) = app
        .api("GET", "/api/crm/client-portal-sessions", None)
        .await;
    assert_eq!(sessions["data"][0]["status"], "active");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn fifty_concurrent_posts_of_one_link_make_exactly_one_session() {
    let Some(first) = TestApp::postgres().await else {
        return;
    };
    let second = first.second_process().await;
    let s = first.sent_invoice().await;
    let token_path = s.link.strip_prefix(&first.base).unwrap().to_owned();

    let mut requests = Vec::new();
    for i in 0..50 {
        // Half the requests go to each process, each from its own browser.
        let base = if i % 2 == 0 {
            first.base.clone()
        } else {
            second.base.clone()
        };
        let url = format!("{base}{token_path}");
        let browser = first.browser();
        requests.push(tokio::spawn(async move {
            let response = browser.post(url).send().await.unwrap();
            (
                response.status(),
                response.headers().get("set-cookie").is_some(),
            )
        }));
    }
    let mut outcomes = Vec::new();
    for request in requests {
        outcomes.push(request.await.unwrap());
    }
    let winners: Vec<_> = outcomes
        .iter()
        .filter(|(status, _)| *status == StatusCode::SEE_OTHER)
        .collect();
    assert_eq!(winners.len(), 1, "{outcomes:?}");
    assert!(winners[0].1, "the winner gets a session cookie");
    assert!(
        outcomes
            .iter()
            .filter(|(status, _)| *status != StatusCode::SEE_OTHER)
            .all(|(status, cookie)| *status == StatusCode::GONE && !cookie),
        "every other request gets the neutral page and no cookie: {outcomes:?}"
    );
    let (_, sessions) = first
        .api("GET", "/api/crm/client-portal-sessions", None)
        .await;
    assert_eq!(sessions["data"].as_array().unwrap().len(), 1);
    let (_, seen_by_second) = second
        .api("GET", "/api/crm/client-portal-sessions", None)
        .await;
    assert_eq!(seen_by_second["data"], sessions["data"]);
}
