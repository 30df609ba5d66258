//! `GET /metrics` in the Prometheus text format, kept by hand: request
//! counts and latencies by route pattern, method and status class, the
//! outbox backlog read at scrape time, and counters of sessions started
//! and payments recorded. Routes are patterns (`/l/{token}`), never paths,
//! so no token reaches a label and the label set stays small.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use axum::extract::{MatchedPath, Request, State};
use axum::http::{HeaderValue, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use portal_domain::OutboxStatus;

use crate::error::chain;
use crate::state::AppState;

/// Upper bounds of the latency histogram's buckets, in seconds.
const BUCKETS: [f64; 11] = [
    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];

/// Requests of one route, method and status class.
#[derive(Debug, Default, Clone)]
struct Series {
    /// Requests at or under each bucket's bound (not cumulative yet).
    buckets: [u64; BUCKETS.len()],
    count: u64,
    sum_seconds: f64,
}

/// Reads how many SQL statements the store has run so far.
pub type StatementCount = Box<dyn Fn() -> u64 + Send + Sync>;

/// What the HTTP layer counts.
#[derive(Default)]
pub struct Metrics {
    requests: Mutex<BTreeMap<(String, String, &'static str), Series>>,
    sessions_created: AtomicU64,
    payments_recorded: AtomicU64,
    statements: Option<StatementCount>,
}

impl std::fmt::Debug for Metrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Metrics")
            .field("sessions_created", &self.sessions_created)
            .field("payments_recorded", &self.payments_recorded)
            .finish_non_exhaustive()
    }
}

impl Metrics {
    /// Metrics that also expose the store's statement count.
    pub fn with_statements(statements: StatementCount) -> Self {
        Self {
            statements: Some(statements),
            ..Self::default()
        }
    }

    fn observe(&self, route: String, method: String, status: u16, seconds: f64) {
        let class = match status {
            100..=199 => "1xx",
            200..=299 => "2xx",
            300..=399 => "3xx",
            400..=499 => "4xx",
            _ => "5xx",
        };
        let mut requests = self.requests.lock().unwrap_or_else(|e| e.into_inner());
        let series = requests.entry((route, method, class)).or_default();
        series.count += 1;
        series.sum_seconds += seconds;
        if let Some(bucket) = BUCKETS.iter().position(|bound| seconds <= *bound) {
            series.buckets[bucket] += 1;
        }
    }

    /// A link was redeemed into a session.
    pub(crate) fn session_created(&self) {
        self.sessions_created.fetch_add(1, Ordering::Relaxed);
    }

    /// An operator recorded a payment.
    pub(crate) fn payment_recorded(&self) {
        self.payments_recorded.fetch_add(1, Ordering::Relaxed);
    }

    /// The text exposition of everything counted, with `backlog` (items
    /// per outbox status) when it could be read.
    fn render(&self, backlog: Option<&[(OutboxStatus, u64)]>) -> String {
        let mut out = String::new();
        out.push_str(
            "# HELP portal_http_requests_total HTTP requests answered, by route pattern, method and status class.\n\
             # TYPE portal_http_requests_total counter\n",
        );
        let requests = self
            .requests
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone();
        for ((route, method, class), series) in &requests {
            let labels = labels(route, method, class);
            let _ = writeln!(
                out,
                "portal_http_requests_total{{{labels}}} {}",
                series.count
            );
        }
        out.push_str(
            "# HELP portal_http_request_duration_seconds Time to answer HTTP requests.\n\
             # TYPE portal_http_request_duration_seconds histogram\n",
        );
        for ((route, method, class), series) in &requests {
            let labels = labels(route, method, class);
            let mut cumulative = 0;
            for (bound, count) in BUCKETS.iter().zip(series.buckets) {
                cumulative += count;
                let _ = writeln!(
                    out,
                    "portal_http_request_duration_seconds_bucket{{{labels},le=\"{bound}\"}} {cumulative}"
                );
            }
            let _ = writeln!(
                out,
                "portal_http_request_duration_seconds_bucket{{{labels},le=\"+Inf\"}} {}\n\
                 portal_http_request_duration_seconds_sum{{{labels}}} {}\n\
                 portal_http_request_duration_seconds_count{{{labels}}} {}",
                series.count, series.sum_seconds, series.count
            );
        }
        counter(
            &mut out,
            "portal_sessions_created_total",
            "Portal sessions started by redeeming a link.",
            self.sessions_created.load(Ordering::Relaxed),
        );
        counter(
            &mut out,
            "portal_payments_recorded_total",
            "Payments recorded through the operator API.",
            self.payments_recorded.load(Ordering::Relaxed),
        );
        if let Some(statements) = &self.statements {
            counter(
                &mut out,
                "portal_sql_statements_total",
                "SQL statements run on the database, BEGIN and COMMIT included (this scrape's own outbox query too).",
                statements(),
            );
        }
        if let Some(backlog) = backlog {
            out.push_str(
                "# HELP portal_outbox_items Outbox items of all accounts, by status.\n\
                 # TYPE portal_outbox_items gauge\n",
            );
            for status in OutboxStatus::ALL {
                let count = backlog
                    .iter()
                    .filter(|(s, _)| *s == status)
                    .map(|(_, n)| *n)
                    .sum::<u64>();
                let _ = writeln!(
                    out,
                    "portal_outbox_items{{status=\"{}\"}} {count}",
                    status.as_str()
                );
            }
        }
        out.push_str(
            "# HELP portal_outbox_scrape_ok Whether the outbox backlog could be read for this scrape.\n\
             # TYPE portal_outbox_scrape_ok gauge\n",
        );
        let _ = writeln!(
            out,
            "portal_outbox_scrape_ok {}",
            u8::from(backlog.is_some())
        );
        out
    }
}

fn counter(out: &mut String, name: &str, help: &str, value: u64) {
    let _ = writeln!(
        out,
        "# HELP {name} {help}\n# TYPE {name} counter\n{name} {value}"
    );
}

fn labels(route: &str, method: &str, class: &str) -> String {
    format!(
        "route=\"{}\",method=\"{}\",status=\"{class}\"",
        escape(route),
        escape(method)
    )
}

/// A label value as the text format wants it: `\`, `"` and line feeds
/// escaped.
fn escape(value: &str) -> String {
    value
        .replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

/// Times every request and counts it under its route pattern; requests no
/// route matched count as `(unmatched)`.
pub(crate) async fn track(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or("(unmatched)", MatchedPath::as_str)
        .to_owned();
    let method = request.method().as_str().to_owned();
    let started = Instant::now();
    let response = next.run(request).await;
    state.metrics.observe(
        route,
        method,
        response.status().as_u16(),
        started.elapsed().as_secs_f64(),
    );
    response
}

/// `GET /metrics`.
pub(crate) async fn scrape(State(state): State<AppState>) -> Response {
    let backlog = match state.services.outbox.backlog().await {
        Ok(backlog) => Some(backlog),
        Err(err) => {
            tracing::warn!(error = %chain(&err), "outbox backlog unavailable for metrics");
            None
        }
    };
    let mut response = state.metrics.render(backlog.as_deref()).into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; version=0.0.4; charset=utf-8"),
    );
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn histograms_are_cumulative_and_labels_escaped() {
        let metrics = Metrics::default();
        metrics.observe("/a/{id}".into(), "GET".into(), 200, 0.003);
        metrics.observe("/a/{id}".into(), "GET".into(), 204, 0.2);
        metrics.observe("/a/{id}".into(), "GET".into(), 503, 20.0);
        metrics.observe("we\"ird\\\n".into(), "GET".into(), 404, 0.0);
        metrics.payment_recorded();
        let text = metrics.render(Some(&[(OutboxStatus::Pending, 3)]));
        let route = "route=\"/a/{id}\",method=\"GET\"";
        assert!(text.contains(&format!(
            "portal_http_requests_total{{{route},status=\"2xx\"}} 2"
        )));
        assert!(text.contains(&format!(
            "portal_http_request_duration_seconds_bucket{{{route},status=\"2xx\",le=\"0.005\"}} 1"
        )));
        assert!(text.contains(&format!(
            "portal_http_request_duration_seconds_bucket{{{route},status=\"2xx\",le=\"0.25\"}} 2"
        )));
        assert!(text.contains(&format!(
            "portal_http_request_duration_seconds_bucket{{{route},status=\"5xx\",le=\"10\"}} 0"
        )));
        assert!(text.contains(&format!(
            "portal_http_request_duration_seconds_bucket{{{route},status=\"5xx\",le=\"+Inf\"}} 1"
        )));
        assert!(text.contains("route=\"we\\\"ird\\\\\\n\""), "{text}");
        assert!(text.contains("portal_payments_recorded_total 1"));
        assert!(text.contains("portal_sessions_created_total 0"));
        assert!(text.contains("portal_outbox_items{status=\"pending\"} 3"));
        assert!(text.contains("portal_outbox_items{status=\"dead\"} 0"));
        assert!(text.contains("portal_outbox_scrape_ok 1"));
        let without = metrics.render(None);
        assert!(!without.contains("portal_outbox_items{"));
        assert!(without.contains("portal_outbox_scrape_ok 0"));
    }
}
