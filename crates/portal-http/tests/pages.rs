//! Snapshots of the pages a client sees, rendered from a fixed world (fixed
//! clock, seeded ids), so any change to what clients read shows up in
//! review as a diff.

use std::sync::Arc;

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use chrono::NaiveDate;
use portal_domain::service::PortalConfig;
use portal_domain::testing::{FixedClock, InMemoryStore, RecordingMailer, SeededRandom, ts};
use portal_domain::{
    Currency, Description, DocumentInput, DocumentKind, DocumentNumber, EmailAddress, LineItem,
    LinkRequestPolicy, Name, Portal, PublicUrl, Quantity,
};
use portal_http::{AppState, HttpConfig, router};
use tower::ServiceExt;

struct World {
    app: axum::Router,
    mailer: Arc<RecordingMailer>,
    invoice: String,
}

async fn world() -> World {
    let mailer = Arc::new(RecordingMailer::default());
    let portal = Portal::new(
        Arc::new(InMemoryStore::new()),
        mailer.clone(),
        Arc::new(FixedClock::at(ts("2026-11-25T10:00:00Z"))),
        Arc::new(SeededRandom::new(7)),
        PortalConfig {
            public_url: PublicUrl::parse("url", "https://billing.example.com").unwrap(),
            link_requests: LinkRequestPolicy::default(),
        },
    );
    let name = |n: &str| Name::parse("name", n).unwrap();
    let account = portal
        .create_account(name("Northwind Studio"), false)
        .await
        .unwrap()
        .account;
    let client = portal
        .create_client(&account, name("Acme Corporation"), true)
        .await
        .unwrap();
    let contact = portal
        .create_contact(
            &account,
            client.id,
            name("Avery Quinn"),
            EmailAddress::parse("e", "ap@acme.example").unwrap(),
        )
        .await
        .unwrap();
    let line = |text: &str, qty: &str, unit: i64| {
        LineItem::new(
            Description::parse("d", text).unwrap(),
            Quantity::parse("q", qty).unwrap(),
            unit,
        )
        .unwrap()
    };
    let mut invoice = None;
    for (kind, number, issued, due, lines) in [
        (
            DocumentKind::Invoice,
            "INV-1001",
            (2026, 10, 1),
            Some((2026, 10, 31)),
            vec![
                line("Website redesign", "1", 480_000),
                line("Content migration", "12.5", 9_500),
            ],
        ),
        (
            DocumentKind::Invoice,
            "INV-1002",
            (2026, 11, 20),
            Some((2026, 12, 20)),
            vec![line("Retainer — November", "1", 250_000)],
        ),
        (
            DocumentKind::Estimate,
            "EST-0042",
            (2026, 11, 22),
            Some((2026, 12, 22)),
            vec![line("Mobile prototype", "1", 1_200_000)],
        ),
    ] {
        let date = |(y, m, d): (i32, u32, u32)| NaiveDate::from_ymd_opt(y, m, d).unwrap();
        let input = DocumentInput {
            kind,
            client_id: client.id,
            number: DocumentNumber::parse("n", number).unwrap(),
            title: None,
            currency: Currency::parse("c", "USD").unwrap(),
            issue_date: date(issued),
            due_date: due.map(date),
            lines,
        };
        let doc = portal.create_document(&account, input).await.unwrap();
        portal
            .send_document(&account, kind, doc.id, contact.id)
            .await
            .unwrap();
        invoice.get_or_insert(doc.id.to_string());
    }
    let app = router(AppState {
        portal,
        config: Arc::new(HttpConfig {
            secure_cookies: true,
            ..HttpConfig::default()
        }),
    });
    World {
        app,
        mailer,
        invoice: invoice.unwrap(),
    }
}

impl World {
    /// The path of the link in the latest email.
    fn link_path(&self) -> String {
        let text = self.mailer.sent().pop().unwrap().text;
        let start = text.find("https://billing.example.com/l/").unwrap();
        text[start..]
            .split_whitespace()
            .next()
            .unwrap()
            .trim_start_matches("https://billing.example.com")
            .to_owned()
    }

    async fn call(
        &self,
        method: &str,
        path: &str,
        cookie: Option<&str>,
    ) -> (StatusCode, Option<String>, String) {
        let mut request = Request::builder().method(method).uri(path);
        if let Some(cookie) = cookie {
            request = request.header(header::COOKIE, cookie);
        }
        let response = self
            .app
            .clone()
            .oneshot(request.body(Body::empty()).unwrap())
            .await
            .unwrap();
        let status = response.status();
        let cookie = response
            .headers()
            .get(header::SET_COOKIE)
            .map(|v| v.to_str().unwrap().split(';').next().unwrap().to_owned());
        let body = axum::body::to_bytes(response.into_body(), 1 << 20)
            .await
            .unwrap();
        (status, cookie, String::from_utf8(body.to_vec()).unwrap())
    }
}

/// One tag per line, so snapshot diffs are readable.
fn pretty(html: &str) -> String {
    html.replace("><", ">\n<")
}

#[tokio::test]
async fn the_pages_a_client_walks_through() {
    let w = world().await;
    let link = w.link_path();

    let (status, _, continue_page) = w.call("GET", &link, None).await;
    assert_eq!(status, StatusCode::OK);
    insta::assert_snapshot!("continue", pretty(&continue_page));

    let (status, cookie, _) = w.call("POST", &link, None).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let cookie = cookie.unwrap();
    assert!(cookie.starts_with("__Host-portal_session="));

    let (status, _, overview) = w.call("GET", "/portal", Some(&cookie)).await;
    assert_eq!(status, StatusCode::OK);
    insta::assert_snapshot!("overview", pretty(&overview));

    let (status, _, invoice) = w
        .call(
            "GET",
            &format!("/portal/documents/{}", w.invoice),
            Some(&cookie),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    insta::assert_snapshot!("invoice", pretty(&invoice));

    let (status, _, dead) = w.call("POST", &link, None).await;
    assert_eq!(status, StatusCode::GONE);
    insta::assert_snapshot!("dead_link", pretty(&dead));

    let (status, _, ended) = w.call("GET", "/portal", None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    insta::assert_snapshot!("signed_out", pretty(&ended));
}
