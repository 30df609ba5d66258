//! A local Authorize.Net: the JSON API on `127.0.0.1` and a free port,
//! with stateful customer profiles, payment profiles and transactions, the
//! documented answer shapes (byte-order mark first, HTTP 200 always), the
//! schema's key order enforced (E00003) and the merchant's credentials
//! checked (E00007). It serves its own Accept.js, whose nonces name a test
//! scenario, never a card number.
//!
//! Routes:
//! - `POST /xml/v1/request.api`: the API.
//! - `GET /v1/Accept.js`: the fake Accept.js (`window.Accept.dispatchData`).
//! - `POST /_fake/nonce` `{"scenario":"approve"}`: a nonce, as Accept.js
//!   would answer (`{"dataDescriptor","dataValue"}`).
//! - `POST /_fake/faults` `{"fault":"timeout"|"server_error","times":1}`:
//!   the next API requests fail so.
//! - `GET /_fake/requests`: every API request received, in order.
//! - `GET /_fake/transactions`: every transaction made.
//! - `POST /_fake/settle`: settles what is pending (manual settlement).
//! - `POST /_fake/webhooks` `{"url","eventType","transId","responseCode"}`:
//!   sends a signed notification, answers `{"status","body"}`.

mod gateway;
mod json;
mod schema;
mod transactions;
mod webhook;

use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, SystemTime};

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use chrono::{DateTime, Utc};
use serde::Deserialize;
use serde_json::{Value, json};
use tokio::net::TcpListener;
use tokio::task::JoinHandle;

pub use webhook::{Webhook, sign};

use gateway::{Gateway, error, text};
use json::Node;

/// The merchant's API login id the fake accepts.
pub const API_LOGIN_ID: &str = "fakeLogin42";
/// The transaction key the fake accepts (16 characters, like real ones).
pub const TRANSACTION_KEY: &str = "FakeTxnKey123456";
/// The public client key the fake Accept.js accepts.
pub const CLIENT_KEY: &str = "fakeClientKey42";
/// The signature key the fake signs webhooks with (128 hexadecimal
/// characters, like real ones).
pub const SIGNATURE_KEY: &str = "0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF\
                                 0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF";
/// What Accept.js calls its nonces.
pub const DATA_DESCRIPTOR: &str = "COMMON.ACCEPT.INAPP.PAYMENT";

const BOM: &[u8] = b"\xEF\xBB\xBF";
const ACCEPT_JS: &str = include_str!("accept.js");

/// What a nonce's card (or bank account) does at the fake gateway.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Scenario {
    /// 4242 4242 4242 4242: saves and charges.
    Approve,
    /// 4000 0000 0000 0341: saves; every charge is declined.
    Decline,
    /// 4000 0027 6000 3184: saves; every charge is declined with
    /// "authentication required" (no 3-D Secure here).
    AuthenticationRequired,
    /// The test bank account (routing 121042882, account ending 6789): an
    /// eCheck debit, approved.
    Echeck,
    /// Charges are held for review (response code 4). No card maps to
    /// it: mint its nonces with [`nonce`].
    Held,
}

impl Scenario {
    const ALL: [Self; 5] = [
        Self::Approve,
        Self::Decline,
        Self::AuthenticationRequired,
        Self::Echeck,
        Self::Held,
    ];

    /// The name a nonce carries.
    pub fn key(self) -> &'static str {
        match self {
            Self::Approve => "approve",
            Self::Decline => "decline",
            Self::AuthenticationRequired => "authreq",
            Self::Echeck => "echeck",
            Self::Held => "held",
        }
    }

    pub fn parse(key: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.key() == key)
    }

    /// The scenario of a nonce `fake-<key>-<32 hex digits>`.
    fn of_nonce(nonce: &str) -> Option<Self> {
        let rest = nonce.strip_prefix("fake-")?;
        let (key, suffix) = rest.rsplit_once('-')?;
        (suffix.len() == 32 && suffix.bytes().all(|b| b.is_ascii_hexdigit()))
            .then(|| Self::parse(key))
            .flatten()
    }
}

/// A nonce for `scenario`, as the fake Accept.js answers: single-use at
/// the fake gateway.
pub fn nonce(scenario: Scenario) -> String {
    let mut random = [0u8; 16];
    getrandom::fill(&mut random).expect("the OS has randomness");
    let suffix: String = random.iter().map(|b| format!("{b:02x}")).collect();
    format!("fake-{}-{suffix}", scenario.key())
}

/// When transactions settle.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Settlement {
    /// At once, into the batch of the current minute: a charge can be
    /// refunded in part right away.
    Immediate,
    /// Only on [`AnetFake::settle`]: until then a charge can only be
    /// voided, as at the real gateway before its daily settlement.
    Manual,
}

/// A failure the fake answers the next API requests with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FakeFault {
    /// The request is processed, but the answer is held back (for
    /// [`AnetFakeOptions::hold`]): longer than the client waits.
    Timeout,
    /// HTTP 500, nothing processed.
    ServerError,
}

#[derive(Debug, Clone)]
pub struct AnetFakeOptions {
    pub settlement: Settlement,
    /// How long a [`FakeFault::Timeout`] holds the answer back.
    pub hold: Duration,
}

impl Default for AnetFakeOptions {
    fn default() -> Self {
        Self {
            settlement: Settlement::Immediate,
            hold: Duration::from_secs(10),
        }
    }
}

/// An API request as received.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReceivedRequest {
    /// The request element ("createTransactionRequest"); empty when the
    /// body was not JSON.
    pub name: String,
    pub body: String,
}

/// A transaction the fake made.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FakeTransaction {
    pub trans_id: String,
    /// `authCaptureTransaction` or `refundTransaction`.
    pub kind: String,
    pub status: String,
    pub amount_minor: i64,
    pub invoice_number: Option<String>,
    pub customer_profile_id: Option<String>,
}

struct Shared {
    gateway: Mutex<Gateway>,
    faults: Mutex<Option<(FakeFault, u32)>>,
    requests: Mutex<Vec<ReceivedRequest>>,
    hold: Duration,
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|e| e.into_inner())
}

/// A running fake gateway; it stops when dropped.
#[derive(Debug)]
pub struct AnetFake {
    address: SocketAddr,
    shared: Arc<Shared>,
    server: JoinHandle<()>,
}

impl std::fmt::Debug for Shared {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Shared").finish_non_exhaustive()
    }
}

impl Drop for AnetFake {
    fn drop(&mut self) {
        self.server.abort();
    }
}

impl AnetFake {
    /// Starts with immediate settlement on a free local port.
    ///
    /// # Panics
    /// When no local port can be bound.
    pub async fn start() -> Self {
        Self::start_with(AnetFakeOptions::default()).await
    }

    /// # Panics
    /// When no local port can be bound.
    pub async fn start_with(options: AnetFakeOptions) -> Self {
        let listener = TcpListener::bind(("127.0.0.1", 0))
            .await
            .unwrap_or_else(|e| panic!("the Authorize.Net fake cannot bind a port: {e}"));
        let address = listener
            .local_addr()
            .unwrap_or_else(|e| panic!("the Authorize.Net fake has no address: {e}"));
        let shared = Arc::new(Shared {
            gateway: Mutex::new(Gateway::new(options.settlement)),
            faults: Mutex::new(None),
            requests: Mutex::new(Vec::new()),
            hold: options.hold,
        });
        let router = Router::new()
            .route("/xml/v1/request.api", post(api))
            .route("/v1/Accept.js", get(accept_js))
            .route("/_fake/nonce", post(mint_nonce))
            .route("/_fake/faults", post(inject_fault))
            .route("/_fake/requests", get(list_requests))
            .route("/_fake/transactions", get(list_transactions))
            .route("/_fake/settle", post(settle))
            .route("/_fake/webhooks", post(send_webhook))
            .with_state(Arc::clone(&shared));
        let server = tokio::spawn(async move {
            let _ = axum::serve(listener, router).await;
        });
        Self {
            address,
            shared,
            server,
        }
    }

    /// `http://127.0.0.1:<port>`: the origin of the API and of Accept.js
    /// (a payment page's Content-Security-Policy allows it).
    pub fn origin(&self) -> String {
        format!("http://{}", self.address)
    }

    /// The API endpoint.
    pub fn api_url(&self) -> String {
        format!("{}/xml/v1/request.api", self.origin())
    }

    /// The fake Accept.js.
    pub fn accept_js_url(&self) -> String {
        format!("{}/v1/Accept.js", self.origin())
    }

    /// A fresh single-use nonce for `scenario`.
    pub fn nonce(&self, scenario: Scenario) -> String {
        nonce(scenario)
    }

    /// Makes the next `times` API requests fail with `fault`.
    pub fn inject(&self, fault: FakeFault, times: u32) {
        *lock(&self.shared.faults) = (times > 0).then_some((fault, times));
    }

    /// Every API request received so far, in order.
    pub fn requests(&self) -> Vec<ReceivedRequest> {
        lock(&self.shared.requests).clone()
    }

    /// Every transaction made so far (declined ones included), in order.
    pub fn transactions(&self) -> Vec<FakeTransaction> {
        lock(&self.shared.gateway)
            .transactions
            .iter()
            .map(|t| FakeTransaction {
                trans_id: t.trans_id.clone(),
                kind: t.kind.to_owned(),
                status: t.status.clone(),
                amount_minor: t.amount_minor,
                invoice_number: t.invoice_number.clone(),
                customer_profile_id: t.customer_profile_id.clone(),
            })
            .collect()
    }

    /// The charges (auth-capture transactions) made so far.
    pub fn charges(&self) -> Vec<FakeTransaction> {
        self.transactions()
            .into_iter()
            .filter(|t| t.kind == "authCaptureTransaction")
            .collect()
    }

    /// Settles every pending transaction into a new batch.
    pub fn settle(&self) {
        lock(&self.shared.gateway).settle_all(now());
    }

    /// A signed notification about transaction `trans_id`, dated now.
    pub fn webhook(&self, event_type: &str, trans_id: &str, response_code: u8) -> Webhook {
        Webhook::transaction(
            SIGNATURE_KEY,
            &notification_id(),
            event_type,
            trans_id,
            response_code,
            now(),
        )
    }
}

fn now() -> DateTime<Utc> {
    SystemTime::now().into()
}

/// A fresh id in UUID form.
fn notification_id() -> String {
    let mut random = [0u8; 16];
    getrandom::fill(&mut random).expect("the OS has randomness");
    let hex: String = random.iter().map(|b| format!("{b:02x}")).collect();
    format!(
        "{}-{}-{}-{}-{}",
        &hex[..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..]
    )
}

impl Shared {
    fn take_fault(&self) -> Option<FakeFault> {
        let mut faults = lock(&self.faults);
        let (fault, times) = (*faults)?;
        *faults = (times > 1).then_some((fault, times - 1));
        Some(fault)
    }

    /// Answers one API request.
    fn process(&self, bytes: &[u8]) -> Value {
        let root: Node = match serde_json::from_slice(bytes.strip_prefix(BOM).unwrap_or(bytes)) {
            Ok(root) => root,
            Err(e) => {
                return error(
                    "E00003",
                    &format!("Unexpected character encountered while parsing value: {e}"),
                );
            }
        };
        let name = match schema::check(&root) {
            Ok(name) => name,
            Err(text) => return error("E00003", &text),
        };
        let value = root.to_value();
        let body = &value[name.as_str()];
        let auth = &body["merchantAuthentication"];
        if text(auth, "name").as_deref() != Some(API_LOGIN_ID)
            || text(auth, "transactionKey").as_deref() != Some(TRANSACTION_KEY)
        {
            return error(
                "E00007",
                "User authentication failed due to invalid authentication values.",
            );
        }
        let now = now();
        let mut gateway = lock(&self.gateway);
        let mut answer = match name.as_str() {
            "authenticateTestRequest" => gateway::ok(json!({})),
            "createCustomerProfileRequest" => gateway.create_profile(body),
            "createCustomerPaymentProfileRequest" => gateway.create_payment_profile(body),
            "getCustomerProfileRequest" => gateway.get_profile(body),
            "updateCustomerPaymentProfileRequest" => gateway.update_payment_profile(body),
            "deleteCustomerPaymentProfileRequest" => gateway.delete_payment_profile(body),
            "createTransactionRequest" => gateway.create_transaction(body, now),
            "getTransactionDetailsRequest" => gateway.details(body),
            "getTransactionListForCustomerRequest" => gateway.list_for_customer(body),
            "getUnsettledTransactionListRequest" => gateway.list_unsettled(body),
            "getSettledBatchListRequest" => gateway.settled_batches(body, now),
            "getTransactionListRequest" => gateway.list_batch(body),
            _ => error("E00003", "The fake gateway does not answer this request."),
        };
        if answer.get("refId").is_none()
            && let Some(ref_id) = text(body, "refId")
        {
            answer["refId"] = Value::String(ref_id);
        }
        answer
    }
}

async fn api(State(shared): State<Arc<Shared>>, body: Bytes) -> Response {
    let name = serde_json::from_slice::<Node>(body.strip_prefix(BOM).unwrap_or(&body))
        .ok()
        .and_then(|node| match node {
            Node::Object(entries) => entries.into_iter().next().map(|(k, _)| k),
            _ => None,
        })
        .unwrap_or_default();
    lock(&shared.requests).push(ReceivedRequest {
        name,
        body: String::from_utf8_lossy(&body).into_owned(),
    });
    let fault = shared.take_fault();
    if fault == Some(FakeFault::ServerError) {
        return (StatusCode::INTERNAL_SERVER_ERROR, "Internal Server Error").into_response();
    }
    let answer = shared.process(&body);
    if fault == Some(FakeFault::Timeout) {
        tokio::time::sleep(shared.hold).await;
    }
    (
        [(header::CONTENT_TYPE, "application/json; charset=utf-8")],
        render(&answer),
    )
        .into_response()
}

/// Marks an amount in an answer, written as a JSON number with two
/// decimals ("49.00") when the answer is rendered.
const AMOUNT_MARK: &str = "#amount:";

pub(super) fn amount_value(minor: i64) -> Value {
    Value::String(format!("{AMOUNT_MARK}{minor}#"))
}

/// An answer's bytes: the byte-order mark, then the JSON.
fn render(answer: &Value) -> Vec<u8> {
    let text = answer.to_string();
    let pattern = format!("\"{AMOUNT_MARK}");
    let mut out = String::with_capacity(text.len());
    let mut rest = text.as_str();
    while let Some(at) = rest.find(&pattern) {
        out.push_str(&rest[..at]);
        let after = &rest[at + pattern.len()..];
        match after
            .find("#\"")
            .and_then(|end| Some((end, after[..end].parse::<i64>().ok()?)))
        {
            Some((end, minor)) => {
                out.push_str(&format!("{}.{:02}", minor / 100, minor % 100));
                rest = &after[end + 2..];
            }
            None => {
                out.push_str(&pattern);
                rest = after;
            }
        }
    }
    out.push_str(rest);
    [BOM, out.as_bytes()].concat()
}

async fn accept_js() -> Response {
    let script = ACCEPT_JS
        .replace("__API_LOGIN_ID__", API_LOGIN_ID)
        .replace("__CLIENT_KEY__", CLIENT_KEY);
    (
        [
            (
                header::CONTENT_TYPE,
                "application/javascript; charset=utf-8",
            ),
            (header::CACHE_CONTROL, "no-store"),
        ],
        script,
    )
        .into_response()
}

#[derive(Deserialize)]
struct NonceRequest {
    scenario: String,
}

async fn mint_nonce(body: Bytes) -> Response {
    let Some(scenario) = serde_json::from_slice::<NonceRequest>(&body)
        .ok()
        .and_then(|r| Scenario::parse(&r.scenario))
    else {
        return (
            StatusCode::BAD_REQUEST,
            "expected {\"scenario\": \"approve\"|\"decline\"|\"authreq\"|\"echeck\"|\"held\"}",
        )
            .into_response();
    };
    axum::Json(json!({"dataDescriptor": DATA_DESCRIPTOR, "dataValue": nonce(scenario)}))
        .into_response()
}

#[derive(Deserialize)]
struct FaultRequest {
    fault: String,
    #[serde(default = "one")]
    times: u32,
}

fn one() -> u32 {
    1
}

async fn inject_fault(State(shared): State<Arc<Shared>>, body: Bytes) -> Response {
    let request = serde_json::from_slice::<FaultRequest>(&body).ok();
    let fault = match request.as_ref().map(|r| r.fault.as_str()) {
        Some("timeout") => FakeFault::Timeout,
        Some("server_error") => FakeFault::ServerError,
        _ => {
            return (
                StatusCode::BAD_REQUEST,
                "expected {\"fault\": \"timeout\"|\"server_error\", \"times\": 1}",
            )
                .into_response();
        }
    };
    let times = request.map_or(1, |r| r.times);
    *lock(&shared.faults) = (times > 0).then_some((fault, times));
    StatusCode::NO_CONTENT.into_response()
}

async fn list_requests(State(shared): State<Arc<Shared>>) -> Response {
    let list: Vec<Value> = lock(&shared.requests)
        .iter()
        .map(|r| json!({"name": r.name, "body": r.body}))
        .collect();
    axum::Json(Value::Array(list)).into_response()
}

async fn list_transactions(State(shared): State<Arc<Shared>>) -> Response {
    let list: Vec<Value> = lock(&shared.gateway)
        .transactions
        .iter()
        .map(|t| {
            json!({
                "transId": t.trans_id,
                "kind": t.kind,
                "status": t.status,
                "amountMinor": t.amount_minor,
                "invoiceNumber": t.invoice_number,
                "customerProfileId": t.customer_profile_id,
            })
        })
        .collect();
    axum::Json(Value::Array(list)).into_response()
}

async fn settle(State(shared): State<Arc<Shared>>) -> Response {
    lock(&shared.gateway).settle_all(now());
    StatusCode::NO_CONTENT.into_response()
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct WebhookRequest {
    url: String,
    event_type: String,
    trans_id: String,
    #[serde(default = "approved")]
    response_code: u8,
}

fn approved() -> u8 {
    1
}

async fn send_webhook(body: Bytes) -> Response {
    let Ok(request) = serde_json::from_slice::<WebhookRequest>(&body) else {
        return (
            StatusCode::BAD_REQUEST,
            "expected {\"url\", \"eventType\", \"transId\", \"responseCode\"}",
        )
            .into_response();
    };
    let webhook = Webhook::transaction(
        SIGNATURE_KEY,
        &notification_id(),
        &request.event_type,
        &request.trans_id,
        request.response_code,
        now(),
    );
    match webhook.send(&request.url).await {
        Ok((status, body)) => axum::Json(json!({"status": status, "body": body})).into_response(),
        Err(e) => (StatusCode::BAD_GATEWAY, e.to_string()).into_response(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nonces_name_their_scenario_only() {
        for scenario in Scenario::ALL {
            let nonce = nonce(scenario);
            assert_eq!(Scenario::of_nonce(&nonce), Some(scenario), "{nonce}");
        }
        assert_eq!(Scenario::of_nonce("fake-approve-123"), None);
        assert_eq!(Scenario::of_nonce("eyJjb2RlIjoi"), None);
    }

    #[test]
    fn amounts_render_as_numbers_with_two_decimals() {
        let rendered = render(&json!({"settleAmount": amount_value(4900), "a": amount_value(5)}));
        assert_eq!(&rendered[..3], BOM);
        assert_eq!(
            std::str::from_utf8(&rendered[3..]).unwrap(),
            r#"{"a":0.05,"settleAmount":49.00}"#
        );
    }

    #[test]
    fn the_accept_script_holds_no_card_number() {
        let digits_run = ACCEPT_JS
            .split(|c: char| !c.is_ascii_digit())
            .map(str::len)
            .max()
            .unwrap_or(0);
        assert!(digits_run < 13, "a run of {digits_run} digits");
        assert_eq!(SIGNATURE_KEY.len(), 128);
        assert_eq!(TRANSACTION_KEY.len(), 16);
    }
}
