//! Snapshots of the pages a client sees, payment pages included, rendered
//! from a fixed world (fixed clock, seeded ids), so any change to what
//! clients read shows up in review as a diff; and the page rules that
//! snapshots alone would not pin down: dates and "overdue" in the
//! account's time zone.

mod common;

use axum::http::StatusCode;
use common::paying::{location, pay_action, payer, values_after};
use common::{World, set_cookie};
use portal_domain::testing::ts;
use portal_http::HttpConfig;
use serde_json::json;

/// One tag per line, so snapshot diffs are readable; a script's version
/// (a hash of its content) is left out, so changing a script changes no
/// page snapshot.
fn pretty(html: &str) -> String {
    let mut text = html.replace("><", ">\n<");
    let mut from = 0;
    while let Some(at) = text[from..].find("?v=").map(|i| from + i + 3) {
        let end = text[at..]
            .find(|c: char| !c.is_ascii_hexdigit())
            .map_or(text.len(), |i| at + i);
        text.replace_range(at..end, "[version]");
        from = at;
    }
    text
}

/// Northwind bills Acme: one invoice partly paid, one open, one paid and
/// partly refunded, an estimate; Acme's contact signed in from the
/// estimate's email. The account keeps its books in Auckland time.
async fn acme() -> (World, String, String) {
    let w = World::with(HttpConfig {
        secure_cookies: true,
        ..HttpConfig::default()
    })
    .await;
    let answer = w
        .api(
            "PATCH",
            "/api/crm/account",
            Some(json!({ "time_zone": "Pacific/Auckland" })),
        )
        .await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.text);
    let (client, contact) = w
        .client_and_contact("Acme Corporation", "ap@acme.example")
        .await;
    let document = |kind: &str,
                    number: &str,
                    issued: &str,
                    due: Option<&str>,
                    lines: serde_json::Value| {
        let mut body = json!({
            "client_id": client, "number": number, "currency": "USD", "issue_date": issued, "lines": lines,
        });
        match (kind, due) {
            ("invoices", Some(due)) => body["due_date"] = json!(due),
            (_, Some(until)) => body["valid_until"] = json!(until),
            _ => {}
        }
        (kind.to_owned(), body)
    };
    let mut ids = Vec::new();
    for (kind, body) in [
        document(
            "invoices",
            "INV-0990",
            "2026-09-01",
            Some("2026-09-30"),
            json!([
                { "description": "Discovery workshop", "quantity": 1, "unit_amount": 50_000 }
            ]),
        ),
        document(
            "invoices",
            "INV-1001",
            "2026-10-01",
            Some("2026-10-31"),
            json!([
                { "description": "Website redesign", "quantity": 1, "unit_amount": 480_000 },
                { "description": "Content migration", "quantity": "12.5", "unit_amount": 9_500 }
            ]),
        ),
        document(
            "invoices",
            "INV-1002",
            "2026-11-20",
            Some("2026-12-20"),
            json!([
                { "description": "Retainer — November", "quantity": 1, "unit_amount": 250_000 }
            ]),
        ),
        document(
            "estimates",
            "EST-0042",
            "2026-11-22",
            Some("2026-12-22"),
            json!([
                { "description": "Mobile prototype", "quantity": 1, "unit_amount": 1_200_000 }
            ]),
        ),
    ] {
        let created = w.api("POST", &format!("/api/crm/{kind}"), Some(body)).await;
        assert_eq!(created.status, StatusCode::CREATED, "{}", created.text);
        let id = created.json["id"].as_str().unwrap().to_owned();
        let sent = w
            .api(
                "POST",
                &format!("/api/crm/{kind}/{id}/send"),
                Some(json!({ "contact_id": contact })),
            )
            .await;
        assert_eq!(sent.status, StatusCode::OK, "{}", sent.text);
        ids.push(id);
    }
    let pay = |amount: i64, kind: &str, reference: &str, at: &str, invoice: &str| {
        json!({
            "client_id": client, "amount": amount, "currency": "USD",
            "method": { "type": "manual", "kind": kind }, "reference": reference,
            "received_at": at, "allocations": [{ "invoice_id": invoice, "amount": amount }],
        })
    };
    // 23:30 UTC on 10 November is the 11th in Auckland.
    for body in [
        pay(50_000, "check", "CHK-1042", "2026-09-28T09:00:00Z", &ids[0]),
        pay(
            200_000,
            "bank_transfer",
            "WIRE-88",
            "2026-11-10T23:30:00Z",
            &ids[1],
        ),
    ] {
        let paid = w.api("POST", "/api/crm/payments", Some(body)).await;
        assert_eq!(paid.status, StatusCode::CREATED, "{}", paid.text);
    }
    let payments = w.api("GET", "/api/crm/payments", None).await;
    let check = payments.json["data"][1]["id"].as_str().unwrap().to_owned();
    let refunded = w
        .api(
            "POST",
            &format!("/api/crm/payments/{check}/refunds"),
            Some(json!({ "amount": 5_000 })),
        )
        .await;
    assert_eq!(refunded.status, StatusCode::CREATED, "{}", refunded.text);
    // Back to paid: a second, small payment settles INV-0990 again.
    let settle = pay(5_000, "cash", "Counter", "2026-10-02T08:00:00Z", &ids[0]);
    assert_eq!(
        w.api("POST", "/api/crm/payments", Some(settle))
            .await
            .status,
        StatusCode::CREATED
    );
    w.deliver().await;
    let link = w.link_path();
    (w, link, ids[1].clone())
}

#[tokio::test]
async fn the_pages_a_client_walks_through() {
    let (w, link, invoice) = acme().await;

    let landing = w.page(&link, None).await;
    assert_eq!(landing.status, StatusCode::OK);
    insta::assert_snapshot!("continue", pretty(&landing.text));

    let redeemed = w
        .form(&link, "", &[("sec-fetch-site", "same-origin")])
        .await;
    assert_eq!(redeemed.status, StatusCode::SEE_OTHER);
    let cookie = set_cookie(&redeemed).unwrap();
    assert!(cookie.starts_with("__Host-portal_session="));

    let overview = w.page("/portal", Some(&cookie)).await;
    assert_eq!(overview.status, StatusCode::OK);
    insta::assert_snapshot!("overview", pretty(&overview.text));

    let page = w
        .page(&format!("/portal/documents/{invoice}"), Some(&cookie))
        .await;
    assert_eq!(page.status, StatusCode::OK);
    insta::assert_snapshot!("invoice", pretty(&page.text));

    let dead = w
        .form(&link, "", &[("sec-fetch-site", "same-origin")])
        .await;
    assert_eq!(dead.status, StatusCode::GONE);
    insta::assert_snapshot!("dead_link", pretty(&dead.text));

    let ended = w.page("/portal", None).await;
    assert_eq!(ended.status, StatusCode::UNAUTHORIZED);
    insta::assert_snapshot!("signed_out", pretty(&ended.text));
}

#[tokio::test]
async fn partially_paid_invoices_stay_outstanding_with_what_remains() {
    let (w, link, _) = acme().await;
    let redeemed = w
        .form(&link, "", &[("sec-fetch-site", "same-origin")])
        .await;
    let cookie = set_cookie(&redeemed).unwrap();
    let overview = w.page("/portal", Some(&cookie)).await.text;
    let outstanding = overview.split("<h2>Documents</h2>").next().unwrap();
    assert!(outstanding.contains("INV-1001") && outstanding.contains("INV-1002"));
    assert!(
        !outstanding.contains("INV-0990"),
        "paid invoices are not outstanding"
    );
    // $5,987.50 less the $2,000.00 paid.
    assert!(outstanding.contains("$3,987.50"), "{outstanding}");
    assert!(outstanding.contains("of $5,987.50"));
    let history = overview.split("<h2>Payment history</h2>").nth(1).unwrap();
    // The Auckland date, not the UTC one.
    assert!(
        history.contains("11 Nov 2026") && !history.contains("10 Nov 2026"),
        "{history}"
    );
    assert!(history.contains("Bank transfer") && history.contains("$2,000.00"));
    assert!(history.contains("$50.00 refunded"));
}

#[tokio::test]
async fn overdue_is_reckoned_in_the_accounts_time_zone() {
    let w = World::new().await;
    // Noon UTC on the due date (30 November).
    w.clock.set(ts("2026-11-30T12:00:00Z"));
    let (client, contact) = w.client_and_contact("Acme", "ap@acme.example").await;
    let invoice = w.invoice(&client, "INV-7", "USD", 10_000).await;
    w.send_invoice(&invoice, &contact).await;
    let cookie = {
        let link = w.link_path();
        let redeemed = w
            .form(&link, "", &[("sec-fetch-site", "same-origin")])
            .await;
        set_cookie(&redeemed).unwrap()
    };
    // Still due in UTC...
    let page = w
        .page(&format!("/portal/documents/{invoice}"), Some(&cookie))
        .await
        .text;
    assert!(
        page.contains("badge due") && !page.contains("Overdue"),
        "{page}"
    );
    // ...but already 1 December in Auckland.
    let patched = w
        .api(
            "PATCH",
            "/api/crm/account",
            Some(json!({ "time_zone": "Pacific/Auckland" })),
        )
        .await;
    assert_eq!(patched.json["time_zone"], "Pacific/Auckland");
    let page = w
        .page(&format!("/portal/documents/{invoice}"), Some(&cookie))
        .await
        .text;
    assert!(page.contains("Overdue"), "{page}");
    let home = w.page("/portal", Some(&cookie)).await.text;
    assert!(home.contains("Overdue"), "{home}");
}

/// The payment pages, from a fixed world connected to the test
/// processor: the pay page, the 3-D Secure step, a received payment, the
/// saved methods and the form to add one.
#[tokio::test]
async fn the_payment_pages_a_client_walks_through() {
    let p = payer().await;
    let pay = p.pay_page(&[&p.big]).await;
    assert_eq!(pay.status, StatusCode::OK);
    insta::assert_snapshot!("pay", pretty(&pay.text));

    let challenge = p
        .post(
            &pay_action(&pay),
            "method=new&save=1&token=tok_test_visa_3ds_exp072031_abcdefghijkl",
        )
        .await;
    assert_eq!(challenge.status, StatusCode::OK);
    insta::assert_snapshot!("challenge", pretty(&challenge.text));
    let path = values_after(&challenge.text, "id=\"confirm-form\"", "action")[0]
        .trim_end_matches("/confirm")
        .to_owned();
    let done = p
        .post(&format!("{path}/test-challenge"), "outcome=complete")
        .await;
    let received = p.get(&location(&done)).await;
    insta::assert_snapshot!("payment_received", pretty(&received.text));

    let methods = p.get("/portal/methods").await;
    insta::assert_snapshot!("methods", pretty(&methods.text));
    let add = p.post("/portal/methods/new", "").await;
    insta::assert_snapshot!("add_method", pretty(&add.text));
}

#[tokio::test]
async fn long_histories_are_paged_while_every_outstanding_invoice_stays_in_view() {
    let w = World::new().await;
    let (client, contact) = w
        .client_and_contact("Acme Corporation", "ap@acme.example")
        .await;
    let mut link = String::new();
    // 30 paid invoices (more than a page), 3 still open.
    for i in 0..33 {
        let invoice = w
            .invoice(&client, &format!("INV-{i:03}"), "USD", 10_000)
            .await;
        w.send_invoice(&invoice, &contact).await;
        if i == 32 {
            // Earlier, receipts are delivered with the invoice emails.
            link = w.link_path();
        }
        if i < 30 {
            let paid = w
                .api(
                    "POST",
                    "/api/crm/payments",
                    Some(json!({
                        "client_id": client, "amount": 10_000, "currency": "USD",
                        "method": { "type": "manual", "kind": "check" },
                        "received_at": "2026-11-20T10:00:00Z",
                        "allocations": [{ "invoice_id": invoice, "amount": 10_000 }],
                    })),
                )
                .await;
            assert_eq!(paid.status, StatusCode::CREATED, "{}", paid.text);
        }
    }
    let redeemed = w
        .form(&link, "", &[("sec-fetch-site", "same-origin")])
        .await;
    let cookie = set_cookie(&redeemed).unwrap();
    // The "Older documents" link, which the Documents section holds.
    let next_link = |page: &str| {
        let section = page
            .split("<h2>Documents</h2>")
            .nth(1)?
            .split("<h2>Payment history</h2>")
            .next()?;
        let start = section.find("rel=\"next\" href=\"")? + "rel=\"next\" href=\"".len();
        let end = start + section[start..].find('"')?;
        Some(section[start..end].replace("&amp;", "&"))
    };
    let documents = |page: &str| {
        let section = page
            .split("<h2>Documents</h2>")
            .nth(1)
            .unwrap()
            .split("<h2>Payment history</h2>")
            .next()
            .unwrap()
            .to_owned();
        (0..33)
            .map(|i| format!("INV-{i:03}"))
            .filter(|n| section.contains(&format!(">{n}<")))
            .collect::<Vec<_>>()
    };

    let first = w.page("/portal", Some(&cookie)).await;
    assert_eq!(first.status, StatusCode::OK);
    let outstanding = first.text.split("<h2>Documents</h2>").next().unwrap();
    for open in ["INV-030", "INV-031", "INV-032"] {
        assert!(outstanding.contains(open), "{open} is outstanding");
    }
    let page_one = documents(&first.text);
    assert_eq!(page_one.len(), 25, "a page of the other documents");
    let older = next_link(&first.text).expect("an Older documents link");
    assert!(
        first.text.contains("Older payments"),
        "30 payments: two pages"
    );

    let second = w.page(&older, Some(&cookie)).await;
    assert_eq!(second.status, StatusCode::OK);
    let outstanding = second.text.split("<h2>Documents</h2>").next().unwrap();
    assert!(outstanding.contains("INV-031"), "outstanding on every page");
    let page_two = documents(&second.text);
    assert_eq!(page_two.len(), 5);
    assert!(page_two.iter().all(|n| !page_one.contains(n)), "no repeats");
    assert!(second.text.contains(">Newest<"));
    assert!(next_link(&second.text).is_none(), "the last page");

    // A damaged cursor is a clear 400, not an error page or a guess.
    for bad in ["/portal?documents=nonsense", "/portal?payments=%00%ff"] {
        let answer = w.page(bad, Some(&cookie)).await;
        assert_eq!(answer.status, StatusCode::BAD_REQUEST, "{bad}");
        assert!(answer.text.contains("This page link is not valid"), "{bad}");
    }
}
