//! `TestApp`: the whole portal on port 0 with a fresh database (SQLite or
//! PostgreSQL), mail delivered over real SMTP into a sink the test reads,
//! and a clock the test can move forward.

#![allow(dead_code, unreachable_pub)]

pub mod process;

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration as StdDuration;

use chrono::{DateTime, Duration, Timelike, Utc};
use portal_domain::Services;
use portal_domain::ports::Clock;
use portal_server::app::{self, Ports};
use portal_server::config::Config;
use portal_test_support::{CapturedMail, SmtpSink, TestPostgres};
use reqwest::StatusCode;
use reqwest::redirect::Policy;
use serde_json::{Value, json};
use tokio::sync::oneshot;

/// The system clock plus an offset the test controls.
#[derive(Debug, Default)]
pub struct TestClock(Mutex<Duration>);

impl TestClock {
    pub fn advance(&self, by: Duration) {
        *self.0.lock().unwrap() += by;
    }
}

impl Clock for TestClock {
    fn now(&self) -> DateTime<Utc> {
        let now = Utc::now() + *self.0.lock().unwrap();
        now.with_nanosecond(now.nanosecond() / 1_000 * 1_000)
            .unwrap()
    }
}

/// Where a test app keeps its data.
#[derive(Debug)]
enum Storage {
    Sqlite(PathBuf),
    Postgres(Arc<TestPostgres>),
}

#[derive(Debug)]
pub struct TestApp {
    pub base: String,
    pub api_key: String,
    pub account_id: String,
    pub services: Services,
    /// `PORTAL_SECRET_KEY`, shared with any second process.
    pub secret_key: String,
    pub clock: Arc<TestClock>,
    pub sink: Arc<SmtpSink>,
    /// The server's database (for its statement count).
    pub database: portal_store::Database,
    storage: Storage,
    api: reqwest::Client,
    shutdown: Option<oneshot::Sender<()>>,
}

impl Drop for TestApp {
    fn drop(&mut self) {
        if let Some(stop) = self.shutdown.take() {
            let _ = stop.send(());
        }
        if let Storage::Sqlite(path) = &self.storage {
            for suffix in ["", "-wal", "-shm"] {
                let mut p = path.clone().into_os_string();
                p.push(suffix);
                let _ = std::fs::remove_file(p);
            }
        }
    }
}

fn temp_sqlite() -> PathBuf {
    let mut random = [0u8; 8];
    getrandom::fill(&mut random).unwrap();
    std::env::temp_dir().join(format!(
        "portal-http-test-{:016x}.db",
        u64::from_le_bytes(random)
    ))
}

impl TestApp {
    /// The portal on a fresh SQLite file.
    pub async fn sqlite() -> Self {
        Self::start(Storage::Sqlite(temp_sqlite()), &[], None, None).await
    }

    /// The portal on a fresh SQLite file, with extra `PORTAL_*` settings.
    pub async fn sqlite_with(vars: &[(&str, &str)]) -> Self {
        Self::start(Storage::Sqlite(temp_sqlite()), vars, None, None).await
    }

    /// The portal on a fresh PostgreSQL database; `None` only when the
    /// developer switched PostgreSQL tests off (never in CI).
    pub async fn postgres() -> Option<Self> {
        let server = TestPostgres::create_or_skip("portal-server").await?;
        Some(Self::start(Storage::Postgres(Arc::new(server)), &[], None, None).await)
    }

    /// The portal on a fresh PostgreSQL database, with extra `PORTAL_*`
    /// settings; `None` as for [`TestApp::postgres`].
    pub async fn postgres_with(vars: &[(&str, &str)]) -> Option<Self> {
        let server = TestPostgres::create_or_skip("portal-server").await?;
        Some(Self::start(Storage::Postgres(Arc::new(server)), vars, None, None).await)
    }

    /// Settings under which nothing runs in the background once the
    /// server has started: the outbox worker polls once a minute, so every
    /// statement the database runs within a test is one a request caused.
    pub const QUIET: &'static [(&'static str, &'static str)] =
        &[("PORTAL_OUTBOX_POLL_MS", "60000")];

    /// How many SQL statements the server has run so far.
    pub fn statements(&self) -> u64 {
        self.database.statements()
    }

    /// A second server process on this app's PostgreSQL database, sharing
    /// its account, sink and clock.
    pub async fn second_process(&self) -> Self {
        let Storage::Postgres(server) = &self.storage else {
            panic!("only PostgreSQL is shared between processes");
        };
        let mut twin = Self::start(
            Storage::Postgres(server.clone()),
            &[],
            Some(self.sink.clone()),
            Some(self.secret_key.clone()),
        )
        .await;
        twin.api_key.clone_from(&self.api_key);
        twin.account_id.clone_from(&self.account_id);
        twin
    }

    async fn start(
        storage: Storage,
        extra: &[(&str, &str)],
        sink: Option<Arc<SmtpSink>>,
        secret_key: Option<String>,
    ) -> Self {
        let sink = match sink {
            Some(sink) => sink,
            None => Arc::new(SmtpSink::start().await),
        };
        let listener = app::bind("127.0.0.1:0".parse().unwrap()).await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let database = match &storage {
            Storage::Sqlite(path) => format!("sqlite://{}", path.display()),
            Storage::Postgres(server) => server.url().to_owned(),
        };
        let secret_key = secret_key.unwrap_or_else(portal_server::secret_key::generate);
        let mut vars: HashMap<String, String> = HashMap::from([
            ("PORTAL_DATABASE_URL".into(), database),
            ("PORTAL_PUBLIC_URL".into(), base.clone()),
            ("PORTAL_SMTP_URL".into(), sink.url()),
            ("PORTAL_MAIL_FROM".into(), "billing@portal.test".into()),
            ("PORTAL_SECRET_KEY".into(), secret_key.clone()),
            // Deliver at once and retry quickly: tests wait on real mail.
            ("PORTAL_OUTBOX_POLL_MS".into(), "25".into()),
            ("PORTAL_OUTBOX_RETRY_SECONDS".into(), "1".into()),
        ]);
        for (k, v) in extra {
            vars.insert((*k).into(), (*v).into());
        }
        let config = Config::from_lookup(|name| vars.get(name).cloned()).unwrap();
        let clock = Arc::new(TestClock::default());
        let ports = Ports {
            clock: clock.clone(),
            ..Ports::default()
        };
        let app = app::build(&config, ports).await.unwrap();
        let created = app
            .services
            .accounts
            .create_account(
                portal_domain::Name::parse("name", "Northwind Studio").unwrap(),
                false,
            )
            .await
            .unwrap();
        let (stop, stopped) = oneshot::channel();
        let services = app.services.clone();
        let database = app.database.clone();
        tokio::spawn(app::serve(listener, app, async {
            let _ = stopped.await;
        }));
        Self {
            base,
            api_key: created.api_key.reveal(),
            account_id: created.account.id.to_string(),
            services,
            secret_key,
            clock,
            sink,
            database,
            storage,
            api: reqwest::Client::builder()
                .redirect(Policy::none())
                .build()
                .unwrap(),
            shutdown: Some(stop),
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// A browser: keeps cookies, does not follow redirects.
    pub fn browser(&self) -> reqwest::Client {
        reqwest::Client::builder()
            .cookie_store(true)
            .redirect(Policy::none())
            .user_agent("Mozilla/5.0 (portal tests)")
            .build()
            .unwrap()
    }

    /// Calls the operator API with this app's key.
    pub async fn api(&self, method: &str, path: &str, body: Option<Value>) -> (StatusCode, Value) {
        self.api_as(&self.api_key, method, path, body).await
    }

    pub async fn api_as(
        &self,
        key: &str,
        method: &str,
        path: &str,
        body: Option<Value>,
    ) -> (StatusCode, Value) {
        let mut request = self
            .api
            .request(method.parse().unwrap(), self.url(path))
            .bearer_auth(key);
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().await.unwrap();
        let status = response.status();
        let text = response.text().await.unwrap();
        (
            status,
            serde_json::from_str(&text).unwrap_or(Value::String(text)),
        )
    }

    /// Creates a client company and returns its id.
    pub async fn client(&self, name: &str) -> String {
        let (status, body) = self
            .api("POST", "/api/crm/clients", Some(json!({ "name": name })))
            .await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
        body["id"].as_str().unwrap().to_owned()
    }

    pub async fn contact(&self, client: &str, email: &str) -> String {
        let body = json!({ "client_id": client, "name": "Pat Payables", "email": email });
        let (status, body) = self.api("POST", "/api/crm/contacts", Some(body)).await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
        body["id"].as_str().unwrap().to_owned()
    }

    pub async fn invoice(&self, client: &str, number: &str) -> String {
        let body = json!({
            "client_id": client,
            "number": number,
            "currency": "USD",
            "issue_date": "2026-11-20",
            "due_date": "2026-12-20",
            "lines": [
                { "description": "Consulting", "quantity": 10, "unit_amount": 15000 },
                { "description": "Travel", "quantity": 1.5, "unit_amount": 3333 },
            ],
        });
        let (status, body) = self.api("POST", "/api/crm/invoices", Some(body)).await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
        body["id"].as_str().unwrap().to_owned()
    }

    /// Sends an invoice and returns the email it produced.
    pub async fn send_invoice(&self, invoice: &str, contact: &str) -> CapturedMail {
        let before = self.sink.messages().len();
        let (status, body) = self
            .api(
                "POST",
                &format!("/api/crm/invoices/{invoice}/send"),
                Some(json!({ "contact_id": contact })),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        self.next_mail(before).await
    }

    /// The mail after the first `seen` messages, waiting for it.
    pub async fn next_mail(&self, seen: usize) -> CapturedMail {
        self.sink
            .wait_for(seen + 1, StdDuration::from_secs(10))
            .await
            .into_iter()
            .nth(seen)
            .unwrap()
    }

    /// The portal link in an email.
    pub fn link_in(&self, mail: &CapturedMail) -> String {
        mail.links()
            .into_iter()
            .find(|l| l.starts_with(&format!("{}/l/", self.base)))
            .unwrap_or_else(|| panic!("no portal link in:\n{}", mail.body))
    }

    /// A client, a contact, a sent invoice and the link from its email.
    pub async fn sent_invoice(&self) -> Scenario {
        let client = self.client("Acme Corporation").await;
        let contact = self.contact(&client, "ap@acme.example").await;
        let invoice = self.invoice(&client, "INV-1001").await;
        let mail = self.send_invoice(&invoice, &contact).await;
        let link = self.link_in(&mail);
        Scenario {
            client,
            contact,
            invoice,
            link,
        }
    }

    /// Sends the scenario's invoice to its contact again and returns the
    /// new link.
    pub async fn sent_invoice_again(&self, s: &Scenario) -> String {
        let mail = self.send_invoice(&s.invoice, &s.contact).await;
        self.link_in(&mail)
    }

    /// Opens `link` in `browser` and presses Continue; returns where the
    /// portal redirected to.
    pub async fn sign_in(&self, browser: &reqwest::Client, link: &str) -> String {
        let page = browser.get(link).send().await.unwrap();
        assert_eq!(page.status(), StatusCode::OK);
        let redeemed = browser.post(link).send().await.unwrap();
        assert_eq!(
            redeemed.status(),
            StatusCode::SEE_OTHER,
            "{}",
            redeemed.text().await.unwrap()
        );
        redeemed.headers()["location"].to_str().unwrap().to_owned()
    }

    /// The text of the page at `path`, fetched by `browser`.
    pub async fn text(&self, browser: &reqwest::Client, path: &str) -> String {
        browser
            .get(self.url(path))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap()
    }

    /// Bytes of the SQLite database files (main and write-ahead log).
    pub fn sqlite_bytes(&self) -> Vec<u8> {
        let Storage::Sqlite(path) = &self.storage else {
            panic!("not a SQLite app");
        };
        let mut bytes = Vec::new();
        for suffix in ["", "-wal"] {
            let mut p = path.clone().into_os_string();
            p.push(suffix);
            bytes.extend(std::fs::read(p).unwrap_or_default());
        }
        bytes
    }
}

/// What [`TestApp::sent_invoice`] created.
#[derive(Debug)]
pub struct Scenario {
    pub client: String,
    pub contact: String,
    pub invoice: String,
    pub link: String,
}

/// The `name=value` pair of the session cookie a response sets.
pub fn session_cookie(response: &reqwest::Response) -> String {
    let header = response.headers()["set-cookie"].to_str().unwrap();
    header.split(';').next().unwrap().to_owned()
}

/// The session secret (the cookie's value) a response sets.
pub fn session_secret(response: &reqwest::Response) -> String {
    session_cookie(response)
        .split_once('=')
        .unwrap()
        .1
        .to_owned()
}

/// `text` contains `needle`, with a readable failure.
pub fn assert_contains(text: &str, needle: &str) {
    assert!(text.contains(needle), "expected {needle:?} in:\n{text}");
}
