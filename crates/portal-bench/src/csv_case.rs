//! CSV statements from a real SQLite store: histories seeded through the
//! store's own writes, then each statement streamed through the operator
//! API's route (`GET /api/crm/clients/:id/statement?format=csv`), in this
//! process and without a socket, by the portal's CSV writer over the
//! domain's `StatementStream`, into a sink that counts bytes and records.
//! Each size streams in a process of its own, so its peak memory is its
//! own.

use std::collections::HashMap;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Instant;

use axum::body::{Body, HttpBody as _};
use axum::http::{Request, StatusCode, header};
use chrono::Utc;
use portal_domain::model::{
    ApiKey, ApiKeyId, ApiKeyRecord, ClientId, LinkRequestPolicy, Name, OutboxPolicy, PaymentId,
    PublicUrl, Refund, ServerKey,
};
use portal_domain::ports::{
    AccountStore as _, Batch, BatchStore as _, CrmStore as _, DocumentStore as _, Write,
};
use portal_domain::service::{PortalConfig, Services};
use portal_domain::testing::{FixedClock, NoProcessors, RecordingMailer, SeededRandom};
use portal_http::{AppState, HttpConfig};
use portal_pdf::TypstRenderer;
use portal_store::{Database, DatabaseUrl};
use serde_json::{Value, json};
use tower::ServiceExt as _;

use crate::history::History;
use crate::measure::{cpu_ms, median, status_kib};

/// Payments written per transaction while seeding.
const PAYMENTS_PER_BATCH: usize = 500;

/// Opens (creating and migrating) the SQLite database at `path`.
///
/// # Errors
/// When it cannot be opened.
pub(crate) async fn open(path: &std::path::Path) -> Result<Database, String> {
    let url = DatabaseUrl::parse(&path.to_string_lossy()).map_err(|e| e.to_string())?;
    Database::open(&url).await.map_err(|e| {
        format!(
            "opening {}: {}",
            path.display(),
            portal_domain::error_chain(&e)
        )
    })
}

/// Writes `history` into `db`: its account with the API key `key`, its
/// client, every invoice, then the payments and refunds a batch at a
/// time.
///
/// # Errors
/// A refused write.
pub(crate) async fn seed(db: &Database, history: &History, key: &ApiKey) -> Result<(), String> {
    let store = |what: &'static str| {
        move |e: portal_domain::ports::StoreError| {
            format!("seeding ({what}): {}", portal_domain::error_chain(&e))
        }
    };
    let bytes = history.account.id.as_uuid().into_bytes();
    let random = SeededRandom::new(u64::from_le_bytes([
        bytes[0], bytes[1], bytes[2], bytes[3], bytes[4], bytes[5], bytes[6], bytes[7],
    ]));
    let record = ApiKeyRecord {
        id: ApiKeyId::generate(&random),
        account_id: history.account.id,
        name: Name::parse("name", "Benchmark").map_err(|e| e.to_string())?,
        prefix: Some(key.display_prefix()),
        key_hash: key.hash(),
        created_at: history.account.created_at,
        revoked_at: None,
    };
    db.insert_account(&history.account, &record)
        .await
        .map_err(store("account"))?;
    db.insert_client(&history.client)
        .await
        .map_err(store("client"))?;
    let started = Instant::now();
    for document in &history.documents {
        db.insert_document(document)
            .await
            .map_err(store("invoice"))?;
    }
    eprintln!(
        "bench: invoices in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    let started = Instant::now();
    let mut refunds_of: HashMap<PaymentId, Vec<&Refund>> = HashMap::new();
    for refund in &history.refunds {
        refunds_of
            .entry(refund.payment_id)
            .or_default()
            .push(refund);
    }
    for chunk in history.payments.chunks(PAYMENTS_PER_BATCH) {
        let mut batch = Batch::new();
        for payment in chunk {
            batch.push(Write::InsertPayment(payment.clone()));
            for (version, refund) in refunds_of
                .remove(&payment.id())
                .unwrap_or_default()
                .into_iter()
                .enumerate()
            {
                batch.push(Write::InsertRefund {
                    refund: refund.clone(),
                    payment_version: u64::try_from(version).unwrap_or(0),
                });
            }
        }
        if !db.commit(&batch).await.map_err(store("payments"))? {
            return Err("seeding (payments): a batch was refused".to_owned());
        }
    }
    eprintln!(
        "bench: payments in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

/// What the child needs to stream one client's statement.
#[derive(Debug)]
pub(crate) struct Target {
    pub(crate) client: ClientId,
    pub(crate) from: String,
    pub(crate) to: String,
    pub(crate) key: String,
}

/// Records in a CSV chunk: line ends outside quotes.
#[derive(Debug, Default)]
struct Counter {
    quoted: bool,
    records: u64,
    bytes: u64,
}

impl Counter {
    fn feed(&mut self, chunk: &[u8]) {
        self.bytes += chunk.len() as u64;
        for byte in chunk {
            match byte {
                b'"' => self.quoted = !self.quoted,
                b'\n' if !self.quoted => self.records += 1,
                _ => {}
            }
        }
    }
}

/// Streams the statement `runs + 1` times (the first to warm up) and
/// answers the timings, bytes, records and the process's peak memory.
///
/// # Errors
/// The database cannot be opened, or the route fails.
pub(crate) async fn stream(
    db: &std::path::Path,
    target: &Target,
    runs: usize,
) -> Result<Value, String> {
    let db = open(db).await?;
    let config = PortalConfig {
        public_url: PublicUrl::parse("public_url", "http://127.0.0.1:8080")
            .map_err(|e| e.to_string())?,
        link_requests: LinkRequestPolicy::default(),
        outbox: OutboxPolicy::default(),
        server_key: ServerKey::from_bytes([7; 32]),
    };
    let services = Services::new(
        Arc::new(db),
        Arc::new(RecordingMailer::default()),
        Arc::new(NoProcessors),
        Arc::new(TypstRenderer::new(1)),
        Arc::new(FixedClock::at(Utc::now())),
        Arc::new(SeededRandom::new(7)),
        config,
    );
    let router = portal_http::router(AppState::new(services, HttpConfig::default()));
    let rss_before = status_kib("VmRSS");
    let uri = format!(
        "/api/crm/clients/{}/statement?from={}&to={}&format=csv",
        target.client, target.from, target.to
    );
    let mut times = Vec::with_capacity(runs);
    let mut cpu = Vec::with_capacity(runs);
    let mut last = Counter::default();
    for run in 0..=runs {
        let request = Request::get(&uri)
            .header(header::AUTHORIZATION, format!("Bearer {}", target.key))
            .body(Body::empty())
            .map_err(|e| e.to_string())?;
        let cpu_before = cpu_ms();
        let started = Instant::now();
        let response = router
            .clone()
            .oneshot(request)
            .await
            .map_err(|e| format!("{e:?}"))?;
        if response.status() != StatusCode::OK {
            return Err(format!("GET {uri} answered {}", response.status()));
        }
        let mut body = response.into_body();
        let mut counter = Counter::default();
        // Ends with the body; the bound only guards against a body that
        // never does.
        for _ in 0..10_000_000 {
            let frame = std::future::poll_fn(|cx| Pin::new(&mut body).poll_frame(cx)).await;
            match frame {
                None => break,
                Some(Ok(frame)) => {
                    if let Some(data) = frame.data_ref() {
                        counter.feed(data);
                    }
                }
                Some(Err(e)) => return Err(format!("the CSV body broke off: {e}")),
            }
        }
        if run > 0 {
            times.push(started.elapsed().as_secs_f64() * 1000.0);
            if let (Some(before), Some(after)) = (cpu_before, cpu_ms()) {
                cpu.push(after - before);
            }
        }
        last = counter;
    }
    Ok(json!({
        "times_ms": times,
        "cpu_ms": cpu,
        "median_ms": median(&times),
        "csv_bytes": last.bytes,
        "records": last.records,
        "rss_before_kib": rss_before,
        "peak_rss_kib": status_kib("VmHWM"),
    }))
}
