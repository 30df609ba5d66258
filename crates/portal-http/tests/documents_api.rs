//! The operator API's documents: invoice, estimate and receipt PDFs read
//! back through `pdftotext`, statements as JSON that reconciles and as a
//! CSV that parses back to the same entries, the account's branding and
//! logo, and what is refused or not found.

mod common;

use std::sync::Arc;

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use common::paying::payer;
use common::pdf::pdf_text;
use common::{Answer, World};
use futures_util::StreamExt as _;
use portal_domain::testing::SheetEcho;
use portal_domain::{AccentColour, Address, Logo, Name, PaymentInstructions, PaymentStatus};
use portal_test_processor::Scenario;
use serde_json::{Value, json};
use tower::ServiceExt as _;

const NOBODY: &str = "00000000-0000-4000-8000-000000000000";

/// A 1×1 PNG.
const PNG: [u8; 70] = [
    0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x48, 0x44, 0x52,
    0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x08, 0x06, 0x00, 0x00, 0x00, 0x1f, 0x15, 0xc4,
    0x89, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x44, 0x41, 0x54, 0x78, 0xda, 0x63, 0x64, 0x60, 0xf8, 0x5f,
    0x0f, 0x00, 0x02, 0x87, 0x01, 0x80, 0xeb, 0x47, 0xba, 0x92, 0x00, 0x00, 0x00, 0x00, 0x49, 0x45,
    0x4e, 0x44, 0xae, 0x42, 0x60, 0x82,
];

const SVG: &str = r##"<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 40 10"><rect width="40" height="10" fill="#1f4e79"/></svg>"##;

const INSTRUCTIONS: &str = "Wire to IBAN DE89 3704 0044 0532 0130 00";

fn assert_contains(text: &str, expected: &[&str]) {
    for e in expected {
        assert!(text.contains(e), "{e:?} missing from:\n{text}");
    }
}

/// A PDF answer: 200, an attachment named `filename` that no cache keeps.
fn assert_pdf(answer: &Answer, filename: &str) -> String {
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.text);
    assert_eq!(answer.headers[header::CONTENT_TYPE], "application/pdf");
    assert_eq!(
        answer.headers[header::CONTENT_DISPOSITION],
        format!("attachment; filename=\"{filename}\"").as_str()
    );
    assert_eq!(answer.headers[header::CACHE_CONTROL], "no-store");
    assert_eq!(answer.headers[header::X_CONTENT_TYPE_OPTIONS], "nosniff");
    pdf_text(&answer.bytes)
}

fn assert_not_found(answer: &Answer, what: &str) {
    assert_eq!(
        answer.status,
        StatusCode::NOT_FOUND,
        "{what}: {}",
        answer.text
    );
    assert_eq!(answer.json["error"]["code"], "not_found", "{what}");
    assert!(!answer.bytes.starts_with(b"%PDF"), "{what}");
}

/// A document of `kind` (`invoices`, `estimates`, `contracts`); its id.
async fn document(w: &World, kind: &str, body: Value) -> String {
    let answer = w.api("POST", &format!("/api/crm/{kind}"), Some(body)).await;
    assert_eq!(answer.status, StatusCode::CREATED, "{}", answer.text);
    answer.json["id"].as_str().unwrap().to_owned()
}

/// A sent invoice of one line, issued on `issued`; its id.
async fn sent_invoice(
    w: &World,
    client: &str,
    contact: &str,
    number: &str,
    currency: &str,
    issued: &str,
    total: i64,
) -> String {
    let id = document(
        w,
        "invoices",
        json!({ "client_id": client, "number": number, "currency": currency,
            "issue_date": issued, "due_date": issued,
            "lines": [{ "description": "Work", "quantity": 1, "unit_amount": total }] }),
    )
    .await;
    w.send_invoice(&id, contact).await;
    id
}

/// A manual payment applied to one invoice; its id.
async fn paid(
    w: &World,
    client: &str,
    invoice: &str,
    (amount, currency): (i64, &str),
    reference: &str,
    received: &str,
) -> String {
    let answer = w
        .api(
            "POST",
            "/api/crm/payments",
            Some(json!({
                "client_id": client, "amount": amount, "currency": currency,
                "method": { "type": "manual", "kind": "bank_transfer" },
                "reference": reference, "received_at": received,
                "allocations": [{ "invoice_id": invoice, "amount": amount }],
            })),
        )
        .await;
    assert_eq!(answer.status, StatusCode::CREATED, "{}", answer.text);
    answer.json["id"].as_str().unwrap().to_owned()
}

async fn set_settings(w: &World, body: Value) -> Answer {
    w.api("PATCH", "/api/crm/account", Some(body)).await
}

async fn put_logo(w: &World, content_type: Option<&str>, body: Vec<u8>) -> Answer {
    let mut request = Request::put("/api/crm/account/logo")
        .header(header::AUTHORIZATION, format!("Bearer {}", w.key));
    if let Some(content_type) = content_type {
        request = request.header(header::CONTENT_TYPE, content_type);
    }
    w.send(request.body(Body::from(body)).unwrap()).await
}

#[tokio::test]
async fn invoice_and_estimate_pdfs_carry_their_figures_and_payment_instructions() {
    let w = World::new().await;
    let settings = set_settings(
        &w,
        json!({ "address": "1 Harbour Street\nSpringfield", "payment_instructions": INSTRUCTIONS }),
    )
    .await;
    assert_eq!(settings.status, StatusCode::OK, "{}", settings.text);
    let (client, contact) = w.client_and_contact("Acme", "ap@acme.example").await;
    let invoice = document(
        &w,
        "invoices",
        json!({ "client_id": client, "number": "INV-100", "title": "November retainer",
            "currency": "USD", "issue_date": "2026-11-01", "due_date": "2026-11-30",
            "lines": [
                { "description": "Design work", "quantity": 2, "unit_amount": 12_500 },
                { "description": "Hosting", "quantity": "1.5", "unit_amount": 4_000 },
            ] }),
    )
    .await;
    w.send_invoice(&invoice, &contact).await;
    paid(
        &w,
        &client,
        &invoice,
        (10_000, "USD"),
        "WIRE-7",
        "2026-11-20T10:00:00Z",
    )
    .await;

    let answer = w
        .api("GET", &format!("/api/crm/invoices/{invoice}/pdf"), None)
        .await;
    let text = assert_pdf(&answer, "invoice-INV-100.pdf");
    assert_contains(
        &text,
        &[
            "Northwind Studio",
            "1 Harbour Street",
            "Springfield",
            "Acme",
            "INV-100",
            "November retainer",
            "Design work",
            "Hosting",
            "$125.00",
            "$250.00",
            "$60.00",
            "$310.00",
            "Amount paid",
            "$100.00",
            "Amount due",
            "$210.00",
            INSTRUCTIONS,
        ],
    );

    let estimate = document(
        &w,
        "estimates",
        json!({ "client_id": client, "number": "EST-9", "currency": "EUR",
            "issue_date": "2026-11-02", "valid_until": "2026-12-02",
            "lines": [{ "description": "Audit", "quantity": 1, "unit_amount": 99_900 }] }),
    )
    .await;
    let answer = w
        .api("GET", &format!("/api/crm/estimates/{estimate}/pdf"), None)
        .await;
    let text = assert_pdf(&answer, "estimate-EST-9.pdf");
    assert_contains(&text, &["Estimate", "EST-9", "Audit", "€999.00", "Draft"]);
    assert!(
        !text.contains(INSTRUCTIONS),
        "an estimate asks for no payment"
    );

    // Each kind only under its own path.
    let contract = document(
        &w,
        "contracts",
        json!({ "client_id": client, "number": "C-1", "currency": "USD",
            "issue_date": "2026-11-02" }),
    )
    .await;
    for path in [
        format!("/api/crm/invoices/{estimate}/pdf"),
        format!("/api/crm/invoices/{contract}/pdf"),
        format!("/api/crm/estimates/{invoice}/pdf"),
        format!("/api/crm/invoices/{NOBODY}/pdf"),
        "/api/crm/invoices/not-an-id/pdf".to_owned(),
    ] {
        assert_not_found(&w.api("GET", &path, None).await, &path);
    }
}

#[tokio::test]
async fn hostile_line_descriptions_are_printed_as_written() {
    let w = World::new().await;
    let (client, _) = w.client_and_contact("Acme", "ap@acme.example").await;
    let hostile = [
        r#"#read("/etc/passwd")"#,
        "*bold*",
        "$x$",
        "]",
        "<b>x</b>",
        "שלום עולם",
        "Smile ☺",
    ];
    // An emoji prints as a bitmap glyph of the embedded emoji font; text
    // extraction may or may not read it back, but it is never replaced.
    let lines: Vec<Value> = hostile
        .iter()
        .chain(&["Launch 🎉"])
        .map(|d| json!({ "description": d, "quantity": 1, "unit_amount": 100 }))
        .collect();
    let invoice = document(
        &w,
        "invoices",
        json!({ "client_id": client, "number": "INV-H", "currency": "USD",
            "issue_date": "2026-11-01", "due_date": "2026-11-30", "lines": lines }),
    )
    .await;
    let answer = w
        .api("GET", &format!("/api/crm/invoices/{invoice}/pdf"), None)
        .await;
    let text = assert_pdf(&answer, "invoice-INV-H.pdf");
    assert_contains(&text, &hostile);
    let launch = text.lines().find(|l| l.contains("Launch")).unwrap();
    assert!(!launch.contains('\u{fffd}'), "{text}");
    assert_contains(&text, &["$8.00"]);
    assert!(!text.contains("root:"), "{text}");
}

#[tokio::test]
async fn receipts_are_served_for_succeeded_payments_only() {
    let p = payer().await;
    let w = &p.w;
    let manual = paid(
        w,
        &p.client,
        &p.small,
        (20_000, "USD"),
        "CHK-1042",
        "2026-11-24T10:00:00Z",
    )
    .await;
    let answer = w
        .api(
            "GET",
            &format!("/api/crm/payments/{manual}/receipt.pdf"),
            None,
        )
        .await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.text);
    let filename = answer.headers[header::CONTENT_DISPOSITION]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(
        filename.starts_with("attachment; filename=\"receipt-") && filename.ends_with(".pdf\""),
        "{filename}"
    );
    let text = pdf_text(&answer.bytes);
    assert_contains(
        &text,
        &[
            "Receipt",
            "$200.00",
            "INV-2",
            "CHK-1042",
            "Bank transfer",
            "$300.00",
        ],
    );

    // A bank debit still in flight, and a declined card: no receipt.
    p.pay_with(&[&p.big], Scenario::BankSuccess, false).await;
    p.pay_with(&[&p.small], Scenario::VisaDecline, false).await;
    let payments = p.payments().await;
    for status in [PaymentStatus::Pending, PaymentStatus::Failed] {
        let payment = payments
            .iter()
            .find(|p| p.status() == status)
            .unwrap_or_else(|| panic!("a {status:?} payment"));
        let path = format!("/api/crm/payments/{}/receipt.pdf", payment.id());
        assert_not_found(&w.api("GET", &path, None).await, &path);
    }
    for path in [
        format!("/api/crm/payments/{NOBODY}/receipt.pdf"),
        "/api/crm/payments/nope/receipt.pdf".to_owned(),
        // An invoice's id names no payment.
        format!("/api/crm/payments/{}/receipt.pdf", p.big),
    ] {
        assert_not_found(&w.api("GET", &path, None).await, &path);
    }
}

/// An operator call with another account's API key.
async fn as_key(w: &World, key: &str, method: &str, path: &str, body: Option<Value>) -> Answer {
    let mut request = Request::builder()
        .method(method)
        .uri(path)
        .header(header::AUTHORIZATION, format!("Bearer {key}"));
    let body = match body {
        Some(body) => {
            request = request.header(header::CONTENT_TYPE, "application/json");
            Body::from(body.to_string())
        }
        None => Body::empty(),
    };
    w.send(request.body(body).unwrap()).await
}

/// Acme's history in two currencies, with what statements must leave out
/// and text a spreadsheet would take for formulas.
struct History {
    w: World,
    client: String,
}

async fn history() -> History {
    let w = World::new().await;
    let (client, contact) = w.client_and_contact("Acme", "ap@acme.example").await;
    let c = (&client, &contact);
    let october = sent_invoice(&w, c.0, c.1, "INV-1", "USD", "2026-10-15", 100_000).await;
    let november = document(
        &w,
        "invoices",
        json!({ "client_id": client, "number": "@INV-2", "title": "=SUM(A1:A9)",
            "currency": "USD", "issue_date": "2026-11-02", "due_date": "2026-11-02",
            "lines": [{ "description": "Work", "quantity": 1, "unit_amount": 50_000 }] }),
    )
    .await;
    w.send_invoice(&november, &contact).await;
    let euros = sent_invoice(&w, c.0, c.1, "E-1", "EUR", "2026-11-03", 30_000).await;
    // Neither a draft nor a void invoice is on a statement.
    document(
        &w,
        "invoices",
        json!({ "client_id": client, "number": "INV-DRAFT", "currency": "USD",
            "issue_date": "2026-11-04", "due_date": "2026-11-04",
            "lines": [{ "description": "Work", "quantity": 1, "unit_amount": 7_000 }] }),
    )
    .await;
    let void = sent_invoice(&w, c.0, c.1, "INV-VOID", "USD", "2026-11-05", 9_000).await;
    let voided = w
        .api("POST", &format!("/api/crm/invoices/{void}/void"), None)
        .await;
    assert_eq!(voided.status, StatusCode::OK, "{}", voided.text);

    let wire = paid(
        &w,
        &client,
        &october,
        (40_000, "USD"),
        "+WIRE-1",
        "2026-11-10T10:00:00Z",
    )
    .await;
    let refund = w
        .api(
            "POST",
            &format!("/api/crm/payments/{wire}/refunds"),
            Some(json!({ "amount": 5_000, "reason": "Overpaid" })),
        )
        .await;
    assert_eq!(refund.status, StatusCode::CREATED, "{}", refund.text);
    paid(
        &w,
        &client,
        &euros,
        (10_000, "EUR"),
        "-CHK-9",
        "2026-11-12T10:00:00Z",
    )
    .await;
    History { w, client }
}

impl History {
    async fn statement(&self, query: &str) -> Answer {
        self.w
            .api(
                "GET",
                &format!("/api/crm/clients/{}/statement?{query}", self.client),
                None,
            )
            .await
    }
}

/// A section's figures: opening, invoiced, paid, refunded, closing.
fn figures(section: &Value) -> [i64; 5] {
    ["opening", "invoiced", "paid", "refunded", "closing"].map(|f| section[f].as_i64().unwrap())
}

/// Every section reconciles, row by row and as a whole.
fn assert_reconciles(statement: &Value) {
    for section in statement["sections"].as_array().unwrap() {
        let [opening, invoiced, paid, refunded, closing] = figures(section);
        assert_eq!(opening + invoiced - paid + refunded, closing, "{section}");
        let entries = section["entries"].as_array().unwrap();
        assert_eq!(entries[0]["type"], "opening_balance");
        assert_eq!(entries[0]["balance"], opening);
        assert_eq!(entries.last().unwrap()["type"], "closing_balance");
        assert_eq!(entries.last().unwrap()["balance"], closing);
        let mut balance = opening;
        for entry in &entries[1..entries.len() - 1] {
            balance += entry["debit"].as_i64().unwrap_or(0) - entry["credit"].as_i64().unwrap_or(0);
            assert_eq!(entry["balance"], balance, "{entry}");
        }
        let aging = &section["aging"];
        let buckets: i64 = [
            "current",
            "days_1_30",
            "days_31_60",
            "days_61_90",
            "over_90",
        ]
        .iter()
        .map(|b| aging[b].as_i64().unwrap())
        .sum();
        assert_eq!(aging["total"], buckets, "{aging}");
    }
}

#[tokio::test]
async fn json_statements_reconcile_per_currency_and_leave_out_drafts_and_void_invoices() {
    let h = history().await;
    let november = h
        .statement("from=2026-11-01&to=2026-11-30&format=json")
        .await;
    assert_eq!(november.status, StatusCode::OK, "{}", november.text);
    assert_eq!(november.headers[header::CONTENT_TYPE], "application/json");
    let s = &november.json;
    assert_eq!(
        (&s["client_id"], &s["from"], &s["to"], &s["time_zone"]),
        (
            &json!(h.client),
            &json!("2026-11-01"),
            &json!("2026-11-30"),
            &json!("UTC")
        )
    );
    assert_eq!(s["generated_at"], "2026-11-25T10:00:00Z");
    assert_reconciles(s);
    let sections = s["sections"].as_array().unwrap();
    let currencies: Vec<&str> = sections
        .iter()
        .map(|s| s["currency"].as_str().unwrap())
        .collect();
    assert_eq!(currencies, ["EUR", "USD"], "one section each, never summed");
    let (eur, usd) = (&sections[0], &sections[1]);
    assert_eq!(figures(eur), [0, 30_000, 10_000, 0, 20_000]);
    assert_eq!(figures(usd), [100_000, 50_000, 40_000, 5_000, 115_000]);
    let rows = |section: &Value| -> Vec<(String, String, String)> {
        section["entries"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| {
                (
                    e["date"].as_str().unwrap().to_owned(),
                    e["type"].as_str().unwrap().to_owned(),
                    e["reference"].as_str().unwrap().to_owned(),
                )
            })
            .collect()
    };
    let row = |d: &str, t: &str, r: &str| (d.to_owned(), t.to_owned(), r.to_owned());
    assert_eq!(
        rows(usd),
        [
            row("2026-11-01", "opening_balance", ""),
            row("2026-11-02", "invoice", "@INV-2"),
            row("2026-11-10", "payment", "+WIRE-1"),
            row("2026-11-25", "refund", "+WIRE-1"),
            row("2026-11-30", "closing_balance", ""),
        ]
    );
    let entries = usd["entries"].as_array().unwrap();
    assert_eq!(entries[1]["description"], "=SUM(A1:A9)");
    assert_eq!(
        (&entries[1]["debit"], &entries[1]["credit"]),
        (&json!(50_000), &Value::Null)
    );
    assert_eq!(
        (&entries[2]["debit"], &entries[2]["credit"]),
        (&Value::Null, &json!(40_000))
    );
    assert_eq!(entries[3]["description"], "Refund: Overpaid");
    assert_eq!(entries[3]["debit"], 5_000);
    assert!(!november.text.contains("INV-DRAFT") && !november.text.contains("INV-VOID"));
    // What was still due on 30 November, by age: INV-1 (due 15 October)
    // less the payment and plus the refund, and INV-2 (due 2 November).
    assert_eq!(
        usd["aging"],
        json!({ "current": 0, "days_1_30": 50_000, "days_31_60": 65_000,
            "days_61_90": 0, "over_90": 0, "total": 115_000 })
    );
    assert_eq!(eur["aging"]["days_1_30"], 20_000);

    // One range's closing is the next one's opening.
    let october = h.statement("from=2026-10-01&to=2026-10-31").await;
    assert_eq!(october.status, StatusCode::OK, "{}", october.text);
    assert_reconciles(&october.json);
    for (before, after) in october.json["sections"]
        .as_array()
        .unwrap()
        .iter()
        .zip(sections)
    {
        assert_eq!(before["currency"], after["currency"]);
        assert_eq!(before["closing"], after["opening"]);
    }
    assert_eq!(october.json["sections"][1]["closing"], 100_000);
}

/// Minor units of a two-decimal currency as the CSV writes them.
fn decimal(minor: i64) -> String {
    let sign = if minor < 0 { "-" } else { "" };
    format!("{sign}{}.{:02}", minor.abs() / 100, minor.abs() % 100)
}

#[tokio::test]
async fn csv_statements_parse_back_to_the_json_entries_with_formulas_neutralised() {
    let h = history().await;
    let query = "from=2026-11-01&to=2026-11-30";
    let json = h.statement(&format!("{query}&format=json")).await.json;
    let csv = h.statement(&format!("{query}&format=csv")).await;
    assert_eq!(csv.status, StatusCode::OK, "{}", csv.text);
    assert_eq!(csv.headers[header::CONTENT_TYPE], "text/csv; charset=utf-8");
    assert_eq!(
        csv.headers[header::CONTENT_DISPOSITION],
        "attachment; filename=\"statement-acme-2026-11-01-2026-11-30.csv\""
    );
    assert_eq!(csv.headers[header::CACHE_CONTROL], "no-store");
    let mut reader = csv::Reader::from_reader(csv.bytes.as_slice());
    assert_eq!(
        reader.headers().unwrap(),
        vec![
            "date",
            "type",
            "reference",
            "description",
            "currency",
            "debit",
            "credit",
            "balance"
        ]
    );
    let rows: Vec<Vec<String>> = reader
        .records()
        .map(|r| r.unwrap().iter().map(str::to_owned).collect())
        .collect();
    let neutral = |text: &str| {
        if text.starts_with(['=', '+', '-', '@', '\t', '\r']) {
            format!("'{text}")
        } else {
            text.to_owned()
        }
    };
    let amount = |v: &Value| v.as_i64().map(decimal).unwrap_or_default();
    let mut expected = Vec::new();
    for section in json["sections"].as_array().unwrap() {
        for e in section["entries"].as_array().unwrap() {
            expected.push(vec![
                e["date"].as_str().unwrap().to_owned(),
                e["type"].as_str().unwrap().to_owned(),
                neutral(e["reference"].as_str().unwrap()),
                neutral(e["description"].as_str().unwrap()),
                section["currency"].as_str().unwrap().to_owned(),
                amount(&e["debit"]),
                amount(&e["credit"]),
                amount(&e["balance"]),
            ]);
        }
    }
    assert_eq!(rows, expected);
    assert_eq!(rows.len(), 4 + 5);
    // The cells that would have been formulas, each neutralised.
    let cells: Vec<&str> = rows
        .iter()
        .flat_map(|r| [&r[2], &r[3]])
        .map(String::as_str)
        .collect();
    for hostile in ["'@INV-2", "'=SUM(A1:A9)", "'+WIRE-1", "'-CHK-9"] {
        assert!(cells.contains(&hostile), "{hostile} in {cells:?}");
    }
    // Amounts are numbers, whatever their sign, and never neutralised.
    assert_eq!(rows[1][5], "300.00");
    assert_eq!(rows[8][7], "1150.00");
}

#[tokio::test]
async fn long_csv_statements_stream_a_chunk_of_rows_at_a_time() {
    // Each payment renders a receipt for its email: the echo keeps 450
    // of them quick.
    let w = World::with_renderer(Arc::new(SheetEcho::default())).await;
    let (client, contact) = w.client_and_contact("Acme", "ap@acme.example").await;
    let invoice = sent_invoice(
        &w,
        &client,
        &contact,
        "INV-1",
        "USD",
        "2026-11-01",
        1_000_000,
    )
    .await;
    let payments = 450;
    for n in 0..payments {
        paid(
            &w,
            &client,
            &invoice,
            (100, "USD"),
            &format!("P-{n}"),
            "2026-11-20T10:00:00Z",
        )
        .await;
    }
    let request = Request::get(format!(
        "/api/crm/clients/{client}/statement?from=2026-11-01&to=2026-11-30&format=csv"
    ))
    .header(header::AUTHORIZATION, format!("Bearer {}", w.key))
    .body(Body::empty())
    .unwrap();
    let response = w.app.clone().oneshot(request).await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert!(
        response.headers().get(header::CONTENT_LENGTH).is_none(),
        "streamed, not sized up front"
    );
    let mut chunks = Vec::new();
    let mut body = response.into_body().into_data_stream();
    while let Some(chunk) = body.next().await {
        chunks.push(chunk.unwrap());
    }
    // 1 header, 453 rows (opening, the invoice, 450 payments, closing),
    // 200 rows to a chunk.
    let lines: Vec<usize> = chunks
        .iter()
        .map(|c| c.iter().filter(|b| **b == b'\n').count())
        .collect();
    assert_eq!(lines, [201, 200, 53]);
    let whole: Vec<u8> = chunks.concat();
    let mut reader = csv::Reader::from_reader(whole.as_slice());
    let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    assert_eq!(rows.len(), 453);
    assert_eq!(&rows[452][1], "closing_balance");
    assert_eq!(&rows[452][7], "9550.00");
}

#[tokio::test]
async fn statement_pdfs_show_both_currencies_balances_and_aging() {
    let h = history().await;
    let answer = h
        .statement("from=2026-11-01&to=2026-11-30&format=pdf")
        .await;
    let text = assert_pdf(&answer, "statement-acme-2026-11-01-2026-11-30.pdf");
    assert_contains(
        &text,
        &[
            "Statement",
            "Acme",
            "Opening balance",
            "Closing balance",
            "@INV-2",
            "=SUM(A1:A9)",
            "+WIRE-1",
            "$1,000.00",
            "$1,150.00",
            "€300.00",
            "€200.00",
        ],
    );
    assert!(!text.contains("INV-DRAFT") && !text.contains("INV-VOID"));
}

#[tokio::test]
async fn statement_ranges_default_to_the_year_so_far_and_bad_ones_name_their_field() {
    let h = history().await;
    // The account's zone decides what "today" is: 10:00 UTC on 25
    // November is already the 26th in Kiritimati.
    let zone = set_settings(&h.w, json!({ "time_zone": "Pacific/Kiritimati" })).await;
    assert_eq!(zone.status, StatusCode::OK, "{}", zone.text);
    let default = h.statement("").await;
    assert_eq!(default.status, StatusCode::OK, "{}", default.text);
    assert_eq!(
        (
            &default.json["from"],
            &default.json["to"],
            &default.json["time_zone"]
        ),
        (
            &json!("2026-01-01"),
            &json!("2026-11-26"),
            &json!("Pacific/Kiritimati")
        )
    );
    assert_reconciles(&default.json);
    let only_from = h.statement("from=2026-11-01").await;
    assert_eq!(only_from.json["to"], "2026-11-26", "{}", only_from.text);

    for (query, field) in [
        ("from=2026-12-01&to=2026-11-01", Some("from")),
        ("from=2026-12-01", Some("from")),
        ("from=2026-13-01&to=2026-12-01", Some("from")),
        ("from=2026-02-30", Some("from")),
        ("from=2026-1-5", Some("from")),
        ("from=", Some("from")),
        ("from=2026-01-01&to=tomorrow", Some("to")),
        ("from=1899-12-31&to=1900-01-01", Some("from")),
        ("from=2010-01-01&to=2020-01-01", Some("to")),
        ("from=2026-01-01&format=xlsx", Some("format")),
        ("format=JSON", Some("format")),
        ("from=2026-01-01&page=2", None),
        ("from=2026-01-01&from=2026-02-01", None),
    ] {
        let answer = h.statement(query).await;
        assert_eq!(
            (
                answer.status,
                answer.json["error"]["code"].as_str(),
                answer.json["error"]["field"].as_str()
            ),
            (StatusCode::BAD_REQUEST, Some("invalid_query"), field),
            "{query}: {}",
            answer.text
        );
        let message = answer.json["error"]["message"].as_str().unwrap();
        if let Some(field) = field {
            assert!(message.contains(field), "{query}: {message}");
        }
    }
    // Just under ten years is a statement.
    let long = h.statement("from=2016-11-26&to=2026-11-25").await;
    assert_eq!(long.status, StatusCode::OK, "{}", long.text);

    // Ranges at the edges of what dates can be answer, never fail.
    for query in [
        "from=1900-01-01&to=1909-12-31",
        "from=2990-01-02&to=2999-12-31",
        "from=2999-12-31&to=2999-12-31",
        "from=2000-02-29&to=2000-02-29",
        "from=2026-11-25&to=2026-11-25&format=csv",
        "from=2990-01-02&to=2999-12-31&format=csv",
    ] {
        let answer = h.statement(query).await;
        assert_eq!(answer.status, StatusCode::OK, "{query}: {}", answer.text);
        if answer.json.is_object() {
            assert_reconciles(&answer.json);
        }
    }
    let future = h.statement("from=2990-01-02&to=2999-12-31").await;
    assert_eq!(
        figures(&future.json["sections"][1]),
        [115_000, 0, 0, 0, 115_000]
    );
}

#[tokio::test]
async fn another_accounts_documents_payments_and_clients_are_not_found() {
    let h = history().await;
    let w = &h.w;
    let other = w
        .services
        .accounts
        .create_account(Name::parse("name", "Globex Billing").unwrap(), false)
        .await
        .unwrap();
    let key = other.api_key.reveal();
    let client = as_key(
        w,
        &key,
        "POST",
        "/api/crm/clients",
        Some(json!({ "name": "Initech" })),
    )
    .await;
    let client = client.json["id"].as_str().unwrap().to_owned();
    let invoice = as_key(
        w,
        &key,
        "POST",
        "/api/crm/invoices",
        Some(
            json!({ "client_id": client, "number": "G-1", "currency": "USD",
            "issue_date": "2026-11-01", "due_date": "2026-11-30",
            "lines": [{ "description": "Work", "quantity": 1, "unit_amount": 5_000 }] }),
        ),
    )
    .await;
    let invoice = invoice.json["id"].as_str().unwrap().to_owned();
    let contact = as_key(
        w,
        &key,
        "POST",
        "/api/crm/contacts",
        Some(json!({ "client_id": client, "name": "Bo", "email": "bo@initech.example" })),
    )
    .await;
    let contact = contact.json["id"].as_str().unwrap();
    let sent = as_key(
        w,
        &key,
        "POST",
        &format!("/api/crm/invoices/{invoice}/send"),
        Some(json!({ "contact_id": contact })),
    )
    .await;
    assert_eq!(sent.status, StatusCode::OK, "{}", sent.text);
    let payment = as_key(
        w,
        &key,
        "POST",
        "/api/crm/payments",
        Some(
            json!({ "client_id": client, "amount": 5_000, "currency": "USD",
            "method": { "type": "manual", "kind": "cash" }, "received_at": "2026-11-20T10:00:00Z",
            "allocations": [{ "invoice_id": invoice, "amount": 5_000 }] }),
        ),
    )
    .await;
    assert_eq!(payment.status, StatusCode::CREATED, "{}", payment.text);
    let payment = payment.json["id"].as_str().unwrap().to_owned();
    // Its own key reaches them.
    let own = as_key(
        w,
        &key,
        "GET",
        &format!("/api/crm/payments/{payment}/receipt.pdf"),
        None,
    )
    .await;
    assert_eq!(own.status, StatusCode::OK, "{}", own.text);

    for path in [
        format!("/api/crm/invoices/{invoice}/pdf"),
        format!("/api/crm/estimates/{invoice}/pdf"),
        format!("/api/crm/payments/{payment}/receipt.pdf"),
        format!("/api/crm/clients/{client}/statement"),
        format!("/api/crm/clients/{client}/statement?format=csv"),
        format!("/api/crm/clients/{client}/statement?format=pdf"),
        // An unknown client is not found before its range is looked at.
        format!("/api/crm/clients/{client}/statement?from=2026-12-01&to=2026-01-01"),
        format!("/api/crm/clients/{NOBODY}/statement"),
        "/api/crm/clients/nope/statement".to_owned(),
    ] {
        let answer = w.api("GET", &path, None).await;
        assert_not_found(&answer, &path);
        assert!(!answer.text.contains("Initech"), "{path}");
    }
    // And the other way round.
    let path = format!("/api/crm/clients/{}/statement", h.client);
    assert_not_found(&as_key(w, &key, "GET", &path, None).await, &path);
}

#[tokio::test]
async fn branding_settings_round_trip_and_are_checked() {
    let w = World::new().await;
    let account = w.api("GET", "/api/crm/account", None).await;
    assert_eq!(
        (
            &account.json["address"],
            &account.json["accent_colour"],
            &account.json["payment_instructions"]
        ),
        (
            &Value::Null,
            &json!(AccentColour::DEFAULT.to_string()),
            &Value::Null
        )
    );
    let set = set_settings(
        &w,
        json!({ "address": "1 Harbour Street\nSpringfield", "accent_colour": "#AB12Cd",
            "payment_instructions": format!("{INSTRUCTIONS}\nReference: your invoice number") }),
    )
    .await;
    assert_eq!(set.status, StatusCode::OK, "{}", set.text);
    let shown = w.api("GET", "/api/crm/account", None).await;
    for answer in [&set, &shown] {
        assert_eq!(answer.json["address"], "1 Harbour Street\nSpringfield");
        assert_eq!(answer.json["accent_colour"], "#ab12cd");
        assert_eq!(
            answer.json["payment_instructions"],
            format!("{INSTRUCTIONS}\nReference: your invoice number")
        );
    }
    // Left out or null keeps the colour; null clears the texts.
    let kept = set_settings(
        &w,
        json!({ "time_zone": "Europe/Paris", "accent_colour": null }),
    )
    .await;
    assert_eq!(kept.json["accent_colour"], "#ab12cd", "{}", kept.text);
    assert_eq!(kept.json["address"], "1 Harbour Street\nSpringfield");
    let cleared = set_settings(&w, json!({ "address": null, "payment_instructions": null })).await;
    assert_eq!(cleared.status, StatusCode::OK, "{}", cleared.text);
    assert_eq!(
        (
            &cleared.json["address"],
            &cleared.json["payment_instructions"]
        ),
        (&Value::Null, &Value::Null)
    );
    assert_eq!(cleared.json["accent_colour"], "#ab12cd");

    for (body, field) in [
        (json!({ "accent_colour": "red" }), "accent_colour"),
        (json!({ "accent_colour": "#12345" }), "accent_colour"),
        (json!({ "address": "" }), "address"),
        (
            json!({ "address": "a".repeat(Address::MAX_CHARS + 1) }),
            "address",
        ),
        (json!({ "address": "Street\u{202E}" }), "address"),
        (
            json!({ "payment_instructions": "x".repeat(PaymentInstructions::MAX_CHARS + 1) }),
            "payment_instructions",
        ),
        (
            json!({ "payment_instructions": "bell\u{7}" }),
            "payment_instructions",
        ),
    ] {
        let answer = set_settings(&w, body.clone()).await;
        assert_eq!(
            (answer.status, answer.json["error"]["field"].as_str()),
            (StatusCode::UNPROCESSABLE_ENTITY, Some(field)),
            "{body}: {}",
            answer.text
        );
    }
    let unchanged = w.api("GET", "/api/crm/account", None).await;
    assert_eq!(unchanged.json["accent_colour"], "#ab12cd");
}

#[tokio::test]
async fn logos_are_checked_served_put_on_documents_and_removed() {
    let w = World::new().await;
    let (client, _) = w.client_and_contact("Acme", "ap@acme.example").await;
    let invoice = w.invoice(&client, "INV-L", "USD", 12_300).await;
    let missing = w.api("GET", "/api/crm/account/logo", None).await;
    assert_eq!(
        (missing.status, missing.json["error"]["code"].as_str()),
        (StatusCode::NOT_FOUND, Some("not_found"))
    );

    for (content_type, bytes) in [("image/png", PNG.to_vec()), ("image/svg+xml", SVG.into())] {
        let put = put_logo(&w, Some(content_type), bytes.clone()).await;
        assert_eq!(
            put.status,
            StatusCode::NO_CONTENT,
            "{content_type}: {}",
            put.text
        );
        let got = w.api("GET", "/api/crm/account/logo", None).await;
        assert_eq!(got.status, StatusCode::OK);
        assert_eq!(got.headers[header::CONTENT_TYPE], content_type);
        assert_eq!(
            got.headers[header::CONTENT_SECURITY_POLICY],
            "default-src 'none'; style-src 'unsafe-inline'"
        );
        assert_eq!(got.headers[header::X_CONTENT_TYPE_OPTIONS], "nosniff");
        assert_eq!(got.bytes, bytes);
        // The next document carries it, and renders.
        let pdf = w
            .api("GET", &format!("/api/crm/invoices/{invoice}/pdf"), None)
            .await;
        let text = assert_pdf(&pdf, "invoice-INV-L.pdf");
        assert_contains(&text, &["INV-L", "$123.00"]);
    }

    // Up to the limit, a larger body than any other route takes.
    let mut padded = PNG.to_vec();
    padded.resize(Logo::MAX_BYTES, 0);
    let put = put_logo(&w, Some("image/png"), padded).await;
    assert_eq!(put.status, StatusCode::NO_CONTENT, "{}", put.text);

    let refused: [(Option<&str>, Vec<u8>, StatusCode, &str); 7] = [
        (
            Some("image/gif"),
            b"GIF89a\x01\x00\x01\x00".to_vec(),
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
        ),
        (
            None,
            PNG.to_vec(),
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
        ),
        (
            Some("application/json"),
            b"{}".to_vec(),
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
        ),
        (
            Some("image/png"),
            vec![0; Logo::MAX_BYTES + 1],
            StatusCode::PAYLOAD_TOO_LARGE,
            "payload_too_large",
        ),
        (
            Some("image/svg+xml"),
            br#"<svg><script>alert(1)</script></svg>"#.to_vec(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_logo",
        ),
        (
            Some("image/svg+xml"),
            PNG.to_vec(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_logo",
        ),
        (
            Some("image/png"),
            Vec::new(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_logo",
        ),
    ];
    for (content_type, bytes, status, code) in refused {
        let answer = put_logo(&w, content_type, bytes).await;
        assert_eq!(
            (answer.status, answer.json["error"]["code"].as_str()),
            (status, Some(code)),
            "{content_type:?}: {}",
            answer.text
        );
    }
    let unsafe_svg = put_logo(
        &w,
        Some("image/svg+xml"),
        br#"<svg><image href="file:///etc/passwd"/></svg>"#.to_vec(),
    )
    .await;
    assert!(
        unsafe_svg.json["error"]["message"]
            .as_str()
            .unwrap()
            .contains("must not declare a DOCTYPE or entities, nor refer to other files"),
        "{}",
        unsafe_svg.text
    );
    // The refusals left the last good logo in place.
    let kept = w.api("GET", "/api/crm/account/logo", None).await;
    assert_eq!(kept.bytes.len(), Logo::MAX_BYTES);

    for _ in 0..2 {
        let removed = w.api("DELETE", "/api/crm/account/logo", None).await;
        assert_eq!(removed.status, StatusCode::NO_CONTENT, "{}", removed.text);
    }
    let gone = w.api("GET", "/api/crm/account/logo", None).await;
    assert_eq!(gone.status, StatusCode::NOT_FOUND);
    // Other routes keep their own, smaller limit.
    let big = w
        .api(
            "PATCH",
            "/api/crm/account",
            Some(json!({ "address": "a".repeat(70_000) })),
        )
        .await;
    assert_eq!(big.status, StatusCode::PAYLOAD_TOO_LARGE, "{}", big.text);
}

#[tokio::test]
async fn a_document_that_cannot_be_rendered_is_a_500_render_failed() {
    let echo = Arc::new(SheetEcho::default());
    let w = World::with_renderer(echo.clone()).await;
    let (client, contact) = w.client_and_contact("Acme", "ap@acme.example").await;
    let invoice = w.invoice(&client, "INV-1", "USD", 10_000).await;
    // A kind mismatch is refused before anything is rendered.
    let wrong = w
        .api("GET", &format!("/api/crm/estimates/{invoice}/pdf"), None)
        .await;
    assert_eq!(wrong.status, StatusCode::NOT_FOUND);
    assert_eq!(echo.renders(), 0);
    let pdf = w
        .api("GET", &format!("/api/crm/invoices/{invoice}/pdf"), None)
        .await;
    assert_eq!(pdf.status, StatusCode::OK);
    assert_eq!(echo.renders(), 1);

    echo.fail(true);
    let failed = w
        .api("GET", &format!("/api/crm/invoices/{invoice}/pdf"), None)
        .await;
    assert_eq!(
        (failed.status, failed.json["error"]["code"].as_str()),
        (StatusCode::INTERNAL_SERVER_ERROR, Some("render_failed"))
    );
    assert!(!failed.text.contains("told to fail"), "no detail leaks");
    let statement = w
        .api(
            "GET",
            &format!("/api/crm/clients/{client}/statement?format=pdf"),
            None,
        )
        .await;
    assert_eq!(statement.json["error"]["code"], "render_failed");
    // Without a portal, the invoice's email carries its PDF: nothing is
    // sent when it cannot be rendered.
    w.api(
        "PATCH",
        &format!("/api/crm/clients/{client}"),
        Some(json!({ "portal_enabled": false })),
    )
    .await;
    let sent = w
        .api(
            "POST",
            &format!("/api/crm/invoices/{invoice}/send"),
            Some(json!({ "contact_id": contact })),
        )
        .await;
    assert_eq!(
        (sent.status, sent.json["error"]["code"].as_str()),
        (StatusCode::INTERNAL_SERVER_ERROR, Some("render_failed")),
        "{}",
        sent.text
    );
    let outbox = w.api("GET", "/api/crm/outbox", None).await;
    assert_eq!(outbox.json["data"], json!([]), "{}", outbox.text);
    let draft = w
        .api("GET", &format!("/api/crm/invoices/{invoice}"), None)
        .await;
    assert_eq!(draft.json["status"], "draft");
}

#[tokio::test]
async fn the_documented_schemas_are_the_servers_own() {
    let w = World::new().await;
    let doc = common::openapi::document(&w).await;
    let schemas = &doc["components"]["schemas"];
    let statement = &doc["paths"]["/api/crm/clients/{id}/statement"]["get"];
    let param = |name: &str| {
        statement["parameters"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["name"] == name)
            .unwrap_or_else(|| panic!("{name}"))["schema"]
            .clone()
    };
    for name in ["from", "to"] {
        assert_eq!(param(name)["pattern"], schemas["Date"]["pattern"], "{name}");
        assert_eq!(param(name)["format"], "date");
    }
    assert_eq!(param("format")["enum"], json!(["json", "csv", "pdf"]));
    assert_eq!(param("format")["default"], "json");
    let ok = &statement["responses"]["200"]["content"];
    assert_eq!(
        ok["application/json"]["schema"]["$ref"],
        "#/components/schemas/StatementOut"
    );
    for kind in ["text/csv", "application/pdf"] {
        assert_eq!(
            ok[kind]["schema"]["$ref"], "#/components/schemas/Binary",
            "{kind}"
        );
    }
    assert_eq!(schemas["Binary"]["format"], "binary");
    assert!(
        statement["responses"]["400"]["description"]
            .as_str()
            .unwrap()
            .contains("`from`")
    );
    assert_eq!(
        schemas["EntryType"]["enum"],
        json!([
            "opening_balance",
            "invoice",
            "payment",
            "refund",
            "closing_balance"
        ])
    );
    for path in [
        "/api/crm/invoices/{id}/pdf",
        "/api/crm/estimates/{id}/pdf",
        "/api/crm/payments/{id}/receipt.pdf",
    ] {
        let answers = &doc["paths"][path]["get"]["responses"];
        assert!(
            answers["200"]["content"]["application/pdf"].is_object(),
            "{path}"
        );
        assert!(
            answers["404"].is_object() && answers["500"].is_object(),
            "{path}"
        );
    }
    let logo = &doc["paths"]["/api/crm/account/logo"];
    for kind in ["image/png", "image/svg+xml"] {
        assert!(
            logo["put"]["requestBody"]["content"][kind].is_object(),
            "{kind}"
        );
        assert!(
            logo["get"]["responses"]["200"]["content"][kind].is_object(),
            "{kind}"
        );
    }
    for status in ["413", "415", "422"] {
        let answer = &logo["put"]["responses"][status]["description"];
        assert!(
            !answer.as_str().unwrap().contains("JSON"),
            "{status}: {answer}"
        );
    }
    assert_eq!(schemas["AccentColour"]["pattern"], AccentColour::PATTERN);
    assert_eq!(schemas["Address"]["pattern"], Address::pattern());
    assert_eq!(schemas["Address"]["maxLength"], Address::MAX_CHARS);
    assert_eq!(
        schemas["PaymentInstructions"]["pattern"],
        PaymentInstructions::pattern()
    );
    let patch = &schemas["PatchAccount"]["properties"];
    for field in ["address", "accent_colour", "payment_instructions"] {
        assert!(patch[field].is_object(), "{field}");
    }
}

#[tokio::test]
async fn an_invoice_sent_to_a_client_without_a_portal_goes_as_a_pdf_with_the_instructions() {
    let w = World::new().await;
    let (client, contact) = w.client_and_contact("Initech", "ap@initech.example").await;
    let off = w
        .api(
            "PATCH",
            &format!("/api/crm/clients/{client}"),
            Some(json!({ "portal_enabled": false })),
        )
        .await;
    assert_eq!(off.status, StatusCode::OK, "{}", off.text);
    let first = w.invoice(&client, "INV-1", "EUR", 123_456).await;
    let sent = w.send_invoice(&first, &contact).await;
    assert_eq!(sent.json["portal_link_included"], false);
    assert!(
        sent.json["notice"]
            .as_str()
            .unwrap()
            .contains("asks the client to reply for payment instructions"),
        "{}",
        sent.text
    );
    assert_eq!(w.last_email().attachments.len(), 1);

    set_settings(&w, json!({ "payment_instructions": INSTRUCTIONS })).await;
    let second = w.invoice(&client, "INV-2", "EUR", 5_000).await;
    let sent = w.send_invoice(&second, &contact).await;
    assert!(
        sent.json["notice"]
            .as_str()
            .unwrap()
            .contains("PDF attachment, with the account's payment instructions"),
        "{}",
        sent.text
    );
    let email = w.last_email();
    assert!(email.text.contains(INSTRUCTIONS), "{}", email.text);
    assert_eq!(email.attachments[0].filename, "invoice-INV-2.pdf");
    assert_eq!(email.attachments[0].content_type, "application/pdf");
    let text = pdf_text(&email.attachments[0].content);
    assert_contains(&text, &["INV-2", "€50.00", INSTRUCTIONS]);
}
