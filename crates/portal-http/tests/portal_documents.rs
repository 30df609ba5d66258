//! The portal's downloads: document and receipt PDFs and statements, each
//! scoped to the session's company and audited, and the Statements page
//! with its refusals. (A portal-less client's emailed PDF is tested with
//! the operator API, in `documents_api.rs`.)

mod common;

use axum::http::{StatusCode, header};
use portal_domain::AuditAction;
use serde_json::json;

use common::billed::payment;
use common::paying::{Payer, payer};
use common::pdf::pdf_text;

async fn download(p: &Payer, path: &str) -> common::Answer {
    p.w.page(path, Some(&p.cookie)).await
}

/// Records a manual $250.00 payment of the big invoice; its id.
async fn pay_big(p: &Payer) -> String {
    let answer =
        p.w.api(
            "POST",
            "/api/crm/payments",
            Some(payment(
                &p.client,
                25_000,
                json!([{ "invoice_id": p.big, "amount": 25_000 }]),
            )),
        )
        .await;
    assert_eq!(answer.status, StatusCode::CREATED, "{}", answer.text);
    answer.json["id"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn a_client_downloads_its_invoice_and_receipt_as_pdf() {
    let p = payer().await;
    let paid = pay_big(&p).await;

    let invoice = download(&p, &format!("/portal/documents/{}/pdf", p.big)).await;
    assert_eq!(invoice.status, StatusCode::OK, "{}", invoice.text);
    assert_eq!(invoice.headers[header::CONTENT_TYPE], "application/pdf");
    assert_eq!(
        invoice.headers[header::CONTENT_DISPOSITION],
        "attachment; filename=\"invoice-INV-1.pdf\""
    );
    assert_eq!(invoice.headers[header::CACHE_CONTROL], "no-store");
    let text = pdf_text(&invoice.bytes);
    for expected in [
        "Northwind Studio",
        "Acme",
        "INV-1",
        "$1,000.00",
        "$250.00",
        "$750.00",
    ] {
        assert!(text.contains(expected), "{expected} missing from:\n{text}");
    }

    let receipt = download(&p, &format!("/portal/payments/{paid}/receipt.pdf")).await;
    assert_eq!(receipt.status, StatusCode::OK, "{}", receipt.text);
    let text = pdf_text(&receipt.bytes);
    for expected in ["Receipt", "$250.00", "INV-1", "Bank transfer", "$750.00"] {
        assert!(text.contains(expected), "{expected} missing from:\n{text}");
    }

    // The overview and the document page link to both.
    let home = p.get("/portal").await;
    assert!(
        home.text
            .contains(&format!("/portal/payments/{paid}/receipt.pdf"))
    );
    let page = p.get(&format!("/portal/documents/{}", p.big)).await;
    assert!(
        page.text
            .contains(&format!("/portal/documents/{}/pdf", p.big))
    );

    assert_eq!(p.audit(AuditAction::DocumentDownloaded).await.len(), 1);
    let receipts = p.audit(AuditAction::ReceiptDownloaded).await;
    assert_eq!(receipts.len(), 1);
    assert_eq!(receipts[0].payment_id.unwrap().to_string(), paid);
}

#[tokio::test]
async fn another_companys_documents_receipts_and_unknown_ids_are_not_found() {
    let p = payer().await;
    let (other, other_contact) = p.w.client_and_contact("Globex", "ap@globex.example").await;
    let theirs = p.w.invoice(&other, "INV-G", "USD", 70_000).await;
    p.w.send_invoice(&theirs, &other_contact).await;
    let their_payment =
        p.w.api(
            "POST",
            "/api/crm/payments",
            Some(payment(
                &other,
                70_000,
                json!([{ "invoice_id": theirs, "amount": 70_000 }]),
            )),
        )
        .await;
    let their_payment = their_payment.json["id"].as_str().unwrap().to_owned();
    let draft = p.w.invoice(&p.client, "INV-DRAFT", "USD", 1_000).await;
    for path in [
        format!("/portal/documents/{theirs}/pdf"),
        format!("/portal/documents/{draft}/pdf"),
        "/portal/documents/00000000-0000-4000-8000-000000000000/pdf".to_owned(),
        "/portal/documents/not-an-id/pdf".to_owned(),
        format!("/portal/payments/{their_payment}/receipt.pdf"),
        "/portal/payments/00000000-0000-4000-8000-000000000000/receipt.pdf".to_owned(),
    ] {
        let answer = download(&p, &path).await;
        assert_eq!(answer.status, StatusCode::NOT_FOUND, "{path}");
        assert!(!answer.bytes.starts_with(b"%PDF"), "{path}");
    }
    assert!(p.audit(AuditAction::DocumentDownloaded).await.is_empty());
    // Without a session there is nothing to download.
    let anonymous =
        p.w.page(&format!("/portal/documents/{}/pdf", p.big), None)
            .await;
    assert!(!anonymous.bytes.starts_with(b"%PDF"));
}

#[tokio::test]
async fn the_statements_page_downloads_pdf_and_csv_statements() {
    let p = payer().await;
    pay_big(&p).await;
    let page = p.get("/portal/statements").await;
    assert_eq!(page.status, StatusCode::OK);
    // Defaults: the start of the year to today, in the account's zone.
    assert!(page.text.contains("value=\"2026-01-01\""), "{}", page.text);
    assert!(page.text.contains("value=\"2026-11-25\""));
    assert!(page.text.contains("/portal/statement"));

    let pdf = download(
        &p,
        "/portal/statement?from=2026-11-01&to=2026-11-30&format=pdf",
    )
    .await;
    assert_eq!(pdf.status, StatusCode::OK, "{}", pdf.text);
    let text = pdf_text(&pdf.bytes);
    for expected in [
        "Statement",
        "Acme",
        "INV-1",
        "INV-2",
        "$1,500.00",
        "$250.00",
        "$1,250.00",
        "Opening balance",
        "Closing balance",
    ] {
        assert!(text.contains(expected), "{expected} missing from:\n{text}");
    }

    let csv = download(
        &p,
        "/portal/statement?from=2026-11-01&to=2026-11-30&format=csv",
    )
    .await;
    assert_eq!(csv.status, StatusCode::OK, "{}", csv.text);
    assert_eq!(csv.headers[header::CONTENT_TYPE], "text/csv; charset=utf-8");
    assert!(
        csv.headers[header::CONTENT_DISPOSITION]
            .to_str()
            .unwrap()
            .ends_with(".csv\"")
    );
    let mut reader = csv::Reader::from_reader(csv.bytes.as_slice());
    let header: Vec<String> = reader
        .headers()
        .unwrap()
        .iter()
        .map(str::to_owned)
        .collect();
    assert_eq!(
        header,
        [
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
    let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    let kinds: Vec<&str> = rows.iter().map(|r| &r[1]).collect();
    assert_eq!(
        kinds,
        [
            "opening_balance",
            "invoice",
            "invoice",
            "payment",
            "closing_balance"
        ]
    );
    assert_eq!(&rows[0][7], "0.00");
    assert_eq!(&rows[4][7], "1250.00");
    assert_eq!(&rows[3][6], "250.00");

    let statements = p.audit(AuditAction::StatementDownloaded).await;
    let details: Vec<_> = statements.iter().filter_map(|e| e.detail.clone()).collect();
    assert_eq!(
        details,
        ["2026-11-01..2026-11-30 csv", "2026-11-01..2026-11-30 pdf"]
    );
}

#[tokio::test]
async fn bad_ranges_answer_400_with_the_form_and_a_message() {
    let p = payer().await;
    for (query, message) in [
        (
            "from=2026-12-01&to=2026-11-01&format=pdf",
            "The start date must be on or before the end date.",
        ),
        (
            "from=2026-13-01&to=2026-11-01&format=csv",
            "Enter the start date as a date, YYYY-MM-DD.",
        ),
        (
            "from=2026-01-01&to=tomorrow",
            "Enter the end date as a date, YYYY-MM-DD.",
        ),
        (
            "from=2010-01-01&to=2026-01-01&format=pdf",
            "A statement covers less than 10 years",
        ),
        (
            "from=2026-01-01&to=2026-02-01&format=xlsx",
            "Choose PDF or CSV.",
        ),
        (
            "from=2026-01-01&to=2026-02-01&format=json",
            "Choose PDF or CSV.",
        ),
    ] {
        let answer = download(&p, &format!("/portal/statement?{query}")).await;
        assert_eq!(answer.status, StatusCode::BAD_REQUEST, "{query}");
        assert!(answer.text.contains(message), "{query}: {}", answer.text);
        assert!(answer.text.contains("<form"), "{query}");
    }
    // What was typed goes back into the form, escaped.
    let answer = download(
        &p,
        "/portal/statement?from=%22%3E%3Cscript%3E&to=2026-01-01",
    )
    .await;
    assert_eq!(answer.status, StatusCode::BAD_REQUEST);
    assert!(!answer.text.contains("<script>"));
    assert!(p.audit(AuditAction::StatementDownloaded).await.is_empty());
}
