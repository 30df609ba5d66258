//! A portal over the in-memory store, a fixed clock, seeded randomness and
//! a recording mailer, served by the real router without a socket: tests
//! call it like a client would and deliver the outbox themselves, as the
//! server's worker would.

#![allow(dead_code, unreachable_pub)]

pub mod billed;
pub mod openapi;
pub mod paying;
pub mod pdf;
pub mod processor;

use std::sync::Arc;
use std::time::Duration;

use axum::body::Body;
use axum::http::{HeaderMap, Request, StatusCode, header};
use portal_domain::ports::{ProcessorConnector, Renderer};
use portal_domain::service::{PortalConfig, ProcessorStatus, Services};
use portal_domain::testing::{FixedClock, InMemoryStore, RecordingMailer, SeededRandom, ts};
use portal_domain::{
    Account, Email, LinkRequestPolicy, Name, OutboxPolicy, ProcessorCredentials, PublicUrl, Secret,
    ServerKey,
};
use portal_http::{AppState, HttpConfig, router};
use processor::TestConnector;
use serde_json::{Value, json};
use tower::ServiceExt;

pub const BASE: &str = "https://billing.example.com";

/// The webhook secret the test processor is connected with.
pub const TEST_WEBHOOK_SECRET: &str = "whsec_test_portal_http_0001";

pub struct World {
    pub app: axum::Router,
    pub services: Services,
    pub store: Arc<InMemoryStore>,
    pub mailer: Arc<RecordingMailer>,
    pub clock: Arc<FixedClock>,
    pub account: Account,
    pub key: String,
    /// What builds the account's processor once one is connected.
    pub connector: Arc<dyn ProcessorConnector>,
    /// The in-process test processor (the connector unless a test passed
    /// its own), with its memory and a count of charges.
    pub processor: TestConnector,
    /// What lays documents out as PDF.
    pub renderer: Arc<dyn Renderer>,
}

/// An answer: status, headers and the body as JSON (`Null` when it is not
/// JSON) and as text.
#[derive(Debug)]
pub struct Answer {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub json: Value,
    pub text: String,
    /// The body as sent (a PDF, say).
    pub bytes: Vec<u8>,
}

impl World {
    pub async fn new() -> Self {
        Self::with(HttpConfig::default()).await
    }

    pub async fn with(config: HttpConfig) -> Self {
        let processor = TestConnector::default();
        Self::build(config, Arc::new(processor.clone()), processor, renderer()).await
    }

    /// A world whose processors `connector` builds.
    pub async fn with_connector(
        config: HttpConfig,
        connector: Arc<dyn ProcessorConnector>,
    ) -> Self {
        Self::build(config, connector, TestConnector::default(), renderer()).await
    }

    /// A world whose documents `renderer` lays out (a
    /// `portal_domain::testing::SheetEcho` to count renders or make them
    /// fail).
    pub async fn with_renderer(renderer: Arc<dyn Renderer>) -> Self {
        let processor = TestConnector::default();
        Self::build(
            HttpConfig::default(),
            Arc::new(processor.clone()),
            processor,
            renderer,
        )
        .await
    }

    async fn build(
        config: HttpConfig,
        connector: Arc<dyn ProcessorConnector>,
        processor: TestConnector,
        renderer: Arc<dyn Renderer>,
    ) -> Self {
        let store = Arc::new(InMemoryStore::new());
        let mailer = Arc::new(RecordingMailer::default());
        let clock = Arc::new(FixedClock::at(ts("2026-11-25T10:00:00Z")));
        let services = Services::new(
            store.clone(),
            mailer.clone(),
            connector.clone(),
            renderer.clone(),
            clock.clone(),
            Arc::new(SeededRandom::new(7)),
            PortalConfig {
                public_url: PublicUrl::parse("url", BASE).unwrap(),
                link_requests: LinkRequestPolicy::default(),
                outbox: OutboxPolicy::default(),
                server_key: ServerKey::from_bytes([9; 32]),
            },
        );
        let created = services
            .accounts
            .create_account(Name::parse("name", "Northwind Studio").unwrap(), false)
            .await
            .unwrap();
        let state = processor.state.clone();
        let challenges =
            move |secret: &str, succeed: bool| state.authenticate(secret, succeed).is_ok();
        let app = router(
            AppState::new(services.clone(), config).with_test_challenges(Arc::new(challenges)),
        );
        Self {
            app,
            services,
            store,
            mailer,
            clock,
            account: created.account,
            key: created.api_key.reveal(),
            connector,
            processor,
            renderer,
        }
    }

    /// Connects the account to the in-process test processor.
    pub async fn connect_test_processor(&self) -> ProcessorStatus {
        self.services
            .processors
            .connect(
                &self.account,
                ProcessorCredentials::Test {
                    webhook_secret: Secret::new(TEST_WEBHOOK_SECRET),
                },
            )
            .await
            .expect("the test processor connects")
    }

    /// A request as built by `build`, answered by the router.
    pub async fn send(&self, request: Request<Body>) -> Answer {
        let response = self.app.clone().oneshot(request).await.unwrap();
        let status = response.status();
        let headers = response.headers().clone();
        let bytes = axum::body::to_bytes(response.into_body(), 4 << 20)
            .await
            .unwrap();
        let text = String::from_utf8_lossy(&bytes).into_owned();
        Answer {
            status,
            headers,
            json: serde_json::from_slice(&bytes).unwrap_or(Value::Null),
            text,
            bytes: bytes.to_vec(),
        }
    }

    /// An operator call with this world's API key and a JSON body.
    pub async fn api(&self, method: &str, path: &str, body: Option<Value>) -> Answer {
        self.api_with(method, path, body, &[]).await
    }

    pub async fn api_with(
        &self,
        method: &str,
        path: &str,
        body: Option<Value>,
        headers: &[(&str, &str)],
    ) -> Answer {
        let mut request = Request::builder()
            .method(method)
            .uri(path)
            .header(header::AUTHORIZATION, format!("Bearer {}", self.key));
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        let body = match body {
            Some(body) => {
                request = request.header(header::CONTENT_TYPE, "application/json");
                Body::from(body.to_string())
            }
            None => Body::empty(),
        };
        self.send(request.body(body).unwrap()).await
    }

    /// Delivers what the outbox holds, as the worker would.
    pub async fn deliver(&self) {
        self.services.outbox.deliver_due().await.unwrap();
    }

    pub fn last_email(&self) -> Email {
        self.mailer.sent().pop().expect("an email was sent")
    }

    /// The path of the portal link in the latest email.
    pub fn link_path(&self) -> String {
        let text = self.last_email().text;
        let start = text
            .find(&format!("{BASE}/l/"))
            .expect("the email carries a link");
        text[start + BASE.len()..]
            .split_whitespace()
            .next()
            .unwrap()
            .to_owned()
    }

    /// A client with one contact; their ids.
    pub async fn client_and_contact(&self, name: &str, email: &str) -> (String, String) {
        let client = self
            .api("POST", "/api/crm/clients", Some(json!({ "name": name })))
            .await;
        assert_eq!(client.status, StatusCode::CREATED, "{}", client.text);
        let client = client.json["id"].as_str().unwrap().to_owned();
        let contact = self
            .api(
                "POST",
                "/api/crm/contacts",
                Some(json!({ "client_id": client, "name": "Avery Quinn", "email": email })),
            )
            .await;
        assert_eq!(contact.status, StatusCode::CREATED, "{}", contact.text);
        (client, contact.json["id"].as_str().unwrap().to_owned())
    }

    /// A draft invoice of `total` minor units in `currency`; its id.
    pub async fn invoice(&self, client: &str, number: &str, currency: &str, total: i64) -> String {
        let answer = self
            .api(
                "POST",
                "/api/crm/invoices",
                Some(json!({
                    "client_id": client, "number": number, "currency": currency,
                    "issue_date": "2026-11-01", "due_date": "2026-11-30",
                    "lines": [{ "description": "Work", "quantity": 1, "unit_amount": total }]
                })),
            )
            .await;
        assert_eq!(answer.status, StatusCode::CREATED, "{}", answer.text);
        answer.json["id"].as_str().unwrap().to_owned()
    }

    /// Sends an invoice to a contact and delivers the email.
    pub async fn send_invoice(&self, invoice: &str, contact: &str) -> Answer {
        let answer = self
            .api(
                "POST",
                &format!("/api/crm/invoices/{invoice}/send"),
                Some(json!({ "contact_id": contact })),
            )
            .await;
        assert_eq!(answer.status, StatusCode::OK, "{}", answer.text);
        self.deliver().await;
        answer
    }

    /// A browser post with the given headers and form body.
    pub async fn form(&self, path: &str, body: &str, headers: &[(&str, &str)]) -> Answer {
        let mut request = Request::builder()
            .method("POST")
            .uri(path)
            .header(header::HOST, "billing.example.com")
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded");
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        self.send(request.body(Body::from(body.to_owned())).unwrap())
            .await
    }

    pub async fn page(&self, path: &str, cookie: Option<&str>) -> Answer {
        let mut request = Request::builder().uri(path);
        if let Some(cookie) = cookie {
            request = request.header(header::COOKIE, cookie);
        }
        self.send(request.body(Body::empty()).unwrap()).await
    }
}

/// The renderer worlds use unless a test passes its own: typst, as the
/// server renders.
fn renderer() -> Arc<dyn Renderer> {
    Arc::new(portal_pdf::TypstRenderer::new(2))
}

/// The `name=value` part of an answer's `Set-Cookie`.
pub fn set_cookie(answer: &Answer) -> Option<String> {
    answer
        .headers
        .get(header::SET_COOKIE)
        .map(|v| v.to_str().unwrap().split(';').next().unwrap().to_owned())
}

/// Waits a little, for tests of requests that poll.
pub async fn pause(ms: u64) {
    tokio::time::sleep(Duration::from_millis(ms)).await;
}
