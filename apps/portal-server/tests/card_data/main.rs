//! No card number reaches a response, a log line, an email or a database
//! row. The real server process, on SQLite and on PostgreSQL, with the
//! test processor connected through the API, runs every payment flow a
//! client's browser drives (a new card, a declined card, 3-D Secure, a
//! saved card; adding, making default and removing saved methods; a
//! broken page posting a raw card number where the token belongs), and
//! the operator's reads and a refund. Then everything the process said
//! is scanned for what could be a card number (a run of 13 to 19 digits
//! passing the Luhn check): every response body and header, everything it
//! logged at debug level, every email, and every row of every table. On
//! SQLite the database file's bytes, free pages and all, must also hold
//! none of the numbers typed. Rows are read with the databases' own
//! clients, `sqlite3` and `psql`, which must be installed.

mod http;
mod process;
mod scan;

use std::time::Duration;

use http::{Http, actions};
use portal_test_support::cards::find_card_numbers;
use portal_test_support::{CapturedMail, SmtpSink, TestPostgres};
use process::LoggedProcess;
use reqwest::StatusCode;
use scan::{assert_absent, database_dump, scan};
use serde_json::{Value, json};

/// `n` random lowercase letters.
fn letters(n: usize) -> String {
    let mut random = vec![0u8; n];
    getrandom::fill(&mut random).expect("the OS has randomness");
    random.iter().map(|b| char::from(b'a' + b % 26)).collect()
}

/// A token the test processor accepts, minted as its browser script
/// mints one: `tok_test_<scenario>_<nonce>`, the nonce letters only.
fn test_token(scenario: &str) -> String {
    format!("tok_test_{scenario}_{}", letters(16))
}

/// A card number as a broken page might post it: built from its groups,
/// so the number is written nowhere in the source.
fn raw_card_number() -> String {
    ["4242"; 4].concat()
}

/// Every card number a cardholder typed for these flows (the test
/// processor's cards): none may be in the database file.
fn entered_card_numbers() -> Vec<String> {
    [
        ["4242", "4242", "4242", "4242"],
        ["4000", "0000", "0000", "0341"],
        ["4000", "0027", "6000", "3184"],
    ]
    .map(|groups| groups.concat())
    .to_vec()
}

/// A SQLite file in the temporary folder, removed (with its journal
/// files) however the test ends.
struct TempSqlite(std::path::PathBuf);

impl TempSqlite {
    fn new() -> Self {
        Self(std::env::temp_dir().join(format!("portal-card-data-{}.db", letters(12))))
    }

    fn url(&self) -> String {
        format!("sqlite://{}", self.0.display())
    }
}

impl Drop for TempSqlite {
    fn drop(&mut self) {
        for suffix in ["", "-wal", "-shm"] {
            let mut file = self.0.clone().into_os_string();
            file.push(suffix);
            let _ = std::fs::remove_file(file);
        }
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn no_card_number_anywhere_on_sqlite() {
    let database = TempSqlite::new();
    let scanned = every_flow_then_scan(&database.url()).await;
    scanned.assert_rows_scanned();
    // The file itself, free pages and all (the server has stopped, so
    // its write-ahead log is folded in), holds none of the numbers.
    let mut bytes = std::fs::read(&database.0).expect("read the SQLite file");
    let mut wal = database.0.clone().into_os_string();
    wal.push("-wal");
    bytes.extend(std::fs::read(wal).unwrap_or_default());
    assert!(bytes.len() > 4096, "the database file holds data");
    assert_absent("the SQLite database file", &bytes, &entered_card_numbers());
}

#[tokio::test(flavor = "multi_thread")]
async fn no_card_number_anywhere_on_postgresql() {
    let Some(postgres) =
        TestPostgres::create_or_skip("no_card_number_anywhere_on_postgresql").await
    else {
        return;
    };
    every_flow_then_scan(postgres.url())
        .await
        .assert_rows_scanned();
}

/// What a scan covered, to show it was not empty.
#[derive(Debug)]
struct Scanned {
    rows: usize,
    payment_rows: usize,
    method_rows: usize,
}

impl Scanned {
    fn assert_rows_scanned(&self) {
        assert!(self.rows > 50, "only {} rows scanned", self.rows);
        assert!(self.payment_rows >= 5, "{self:?}");
        // A removed method leaves no row; the one kept is there.
        assert!(self.method_rows >= 1, "{self:?}");
    }
}

/// Runs every flow against a server on `database`, stops it, and scans
/// its answers, logs, mail and rows.
async fn every_flow_then_scan(database: &str) -> Scanned {
    let sink = SmtpSink::start().await;
    let secret_key = portal_server::secret_key::generate();
    let env = [
        ("PORTAL_DATABASE_URL", database.to_owned()),
        ("PORTAL_SECRET_KEY", secret_key),
        ("PORTAL_SMTP_URL", sink.url()),
        ("PORTAL_MAIL_FROM", "billing@portal.test".to_owned()),
        ("PORTAL_OUTBOX_POLL_MS", "25".to_owned()),
        ("PORTAL_LOG", "debug".to_owned()),
        // Offered on SQLite by default, asked for on PostgreSQL.
        ("PORTAL_TEST_PROCESSOR", "true".to_owned()),
    ];
    let created = process::run(&env, &["accounts", "create", "--name", "Northwind Studio"]);
    let account: Value = serde_json::from_str(&created.0).expect("JSON from accounts create");
    let api_key = account["api_key"].as_str().expect("an API key").to_owned();

    let mut server = LoggedProcess::serve(&env).await;
    let mut http = Http::new(&server.base, &api_key);
    let mails = client_pays_in_every_way(&mut http, &sink).await;
    server.stop().await;

    let raw = raw_card_number();
    assert_eq!(find_card_numbers(&raw), [raw], "the scanner knows it");
    for (what, text) in http.answers() {
        scan(&what, text);
    }
    scan(
        "what `accounts create` printed",
        &format!("{}\n{}", created.0, created.1),
    );
    let logged = server.output();
    assert!(
        logged.contains("DEBUG"),
        "the server logged at debug level:\n{logged}"
    );
    scan("the server's log", &logged);
    for mail in &mails {
        let subject = mail.subject().unwrap_or_default();
        // A PDF attachment is also read as text: what it says.
        for (name, _, content) in mail.attachments() {
            scan(
                &format!("the attachment {name:?} of the email {subject:?}"),
                &scan::pdf_text(&content),
            );
        }
        scan(&format!("the email {subject:?}"), &mail.raw);
    }
    let dump = database_dump(database);
    for (table, rows) in &dump {
        for row in rows {
            scan(&format!("a row of {table}"), row);
        }
    }
    let count = |table: &str| dump.get(table).map_or(0, Vec::len);
    Scanned {
        rows: dump.values().map(Vec::len).sum(),
        payment_rows: count("payments"),
        method_rows: count("payment_methods"),
    }
}

/// A client company with a contact and four sent invoices; the contact
/// signs in with the link from one and pays every way there is. Answers
/// every email sent.
async fn client_pays_in_every_way(http: &mut Http, sink: &SmtpSink) -> Vec<CapturedMail> {
    let (status, connected) = http
        .api(
            "PUT",
            "/api/crm/account/processor",
            Some(
                json!({ "kind": "test", "webhook_secret": format!("whsec_test_{}", letters(24)) }),
            ),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{connected}");
    let (_, client) = http
        .api(
            "POST",
            "/api/crm/clients",
            Some(json!({ "name": "Acme Corporation" })),
        )
        .await;
    let client = client["id"].as_str().expect("a client id").to_owned();
    let body = json!({ "client_id": client, "name": "Avery Quinn", "email": "ap@acme.example" });
    let (_, contact) = http.api("POST", "/api/crm/contacts", Some(body)).await;
    let contact = contact["id"].as_str().expect("a contact id").to_owned();
    let mut invoices = Vec::new();
    for number in ["INV-1", "INV-2", "INV-3", "INV-4"] {
        let body = json!({
            "client_id": client, "number": number, "currency": "USD",
            "issue_date": "2026-11-20", "due_date": "2026-12-20",
            "lines": [{ "description": "Consulting", "quantity": 3, "unit_amount": 12_500 }],
        });
        let (status, invoice) = http.api("POST", "/api/crm/invoices", Some(body)).await;
        assert_eq!(status, StatusCode::CREATED, "{invoice}");
        let id = invoice["id"].as_str().expect("an invoice id").to_owned();
        let path = format!("/api/crm/invoices/{id}/send");
        let (status, sent) = http
            .api("POST", &path, Some(json!({ "contact_id": contact })))
            .await;
        assert_eq!(status, StatusCode::OK, "{sent}");
        invoices.push(id);
    }
    let sent = sink.wait_for(4, Duration::from_secs(15)).await;
    let link = sent[0]
        .links()
        .into_iter()
        .find(|l| l.contains("/l/"))
        .expect("a portal link in the invoice email");

    // Sign in, look around.
    assert_eq!(http.get(&link).await.status, StatusCode::OK);
    let redeemed = http.post(&link, "").await;
    assert_eq!(redeemed.status, StatusCode::SEE_OTHER, "{}", redeemed.text);
    http.get("/portal").await;
    http.get(&format!("/portal/documents/{}", invoices[0]))
        .await;

    // A new card pays INV-1 and is saved.
    let paid = http
        .pay(
            &invoices[0],
            &format!("method=new&save=1&token={}", test_token("visa_success")),
        )
        .await;
    assert!(paid.contains("Payment received"), "{paid}");

    // A declined card, then 3-D Secure, on INV-2.
    let declined = http
        .pay(
            &invoices[1],
            &format!("method=new&token={}", test_token("visa_decline")),
        )
        .await;
    assert!(declined.contains("did not go through"), "{declined}");
    let checkout = http.checkout(&invoices[1]).await;
    let form = format!("method=new&token={}", test_token("visa_3ds"));
    let challenge = http.post(&checkout, &form).await;
    assert_eq!(challenge.status, StatusCode::OK, "{}", challenge.text);
    let action = actions(&challenge.text)
        .into_iter()
        .find(|a| a.ends_with("/test-challenge"))
        .unwrap_or_else(|| panic!("no test challenge:\n{}", challenge.text));
    let completed = http.post(&action, "outcome=complete").await;
    let shown = http.follow(&completed).await;
    assert!(shown.contains("Payment received"), "{shown}");

    // Saved methods: add one as the default, switch back, remove it.
    assert!(http.get("/portal/methods").await.text.contains("•••• 4242"));
    http.post("/portal/methods/new", "").await;
    let form = format!("make_default=1&token={}", test_token("visa_decline"));
    let added = http.post("/portal/methods", &form).await;
    assert_eq!(added.status, StatusCode::SEE_OTHER, "{}", added.text);
    let listed = http.get("/portal/methods").await.text;
    let method = |last4: &str| -> String {
        listed
            .split("id=\"method-")
            .skip(1)
            .find(|item| {
                item.split("</li>")
                    .next()
                    .is_some_and(|i| i.contains(last4))
            })
            .map(|item| item[..36].to_owned())
            .unwrap_or_else(|| panic!("no method ending in {last4}:\n{listed}"))
    };
    let (kept, removed) = (method("4242"), method("0341"));
    let made_default = http
        .post(&format!("/portal/methods/{kept}/default"), "")
        .await;
    assert_eq!(made_default.status, StatusCode::SEE_OTHER);
    let gone = http
        .post(&format!("/portal/methods/{removed}/remove"), "")
        .await;
    assert_eq!(gone.status, StatusCode::SEE_OTHER);
    assert!(!http.get("/portal/methods").await.text.contains("•••• 0341"));

    // The saved card pays INV-3.
    let saved = http.pay(&invoices[2], &format!("method={kept}")).await;
    assert!(saved.contains("Payment received"), "{saved}");

    // A broken page posts the card number itself: as the token, and
    // beside a real token. Neither is echoed, logged or kept.
    let raw = raw_card_number();
    let refused = http
        .pay(&invoices[3], &format!("method=new&token={raw}"))
        .await;
    assert!(!refused.contains("Payment received"), "{refused}");
    let refused = http.post("/portal/methods", &format!("token={raw}")).await;
    assert!(refused.status.is_client_error() || refused.status == StatusCode::SEE_OTHER);
    let form = format!(
        "method=new&token={}&card_number={raw}&cvc=123",
        test_token("visa_success")
    );
    let paid = http.pay(&invoices[3], &form).await;
    assert!(paid.contains("Payment received"), "{paid}");

    // What the operator reads, and a refund through the processor.
    let (_, payments) = http
        .api(
            "GET",
            &format!("/api/crm/payments?client_id={client}"),
            None,
        )
        .await;
    let succeeded: Vec<&Value> = payments["data"]
        .as_array()
        .expect("a list of payments")
        .iter()
        .filter(|p| p["status"] == "succeeded")
        .collect();
    assert_eq!(succeeded.len(), 4, "{payments}");
    let first = succeeded[0]["id"]
        .as_str()
        .expect("a payment id")
        .to_owned();
    let (status, refund) = http
        .api(
            "POST",
            &format!("/api/crm/payments/{first}/refunds"),
            Some(json!({ "amount": 2_500, "reason": "Goodwill" })),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{refund}");
    http.api("GET", &format!("/api/crm/payments/{first}"), None)
        .await;
    for path in [
        format!("/api/crm/clients/{client}/payment-methods"),
        format!("/api/crm/clients/{client}/audit-events"),
        format!("/api/crm/invoices/{}", invoices[1]),
        "/api/crm/account/processor".to_owned(),
        "/api/crm/outbox".to_owned(),
    ] {
        let (status, body) = http.api("GET", &path, None).await;
        assert_eq!(status, StatusCode::OK, "{path}: {body}");
    }
    http.get("/portal").await;

    // The invoice emails, four receipts and the refund's.
    sink.wait_for(8, Duration::from_secs(15)).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    sink.messages()
}
