//! The background worker: delivers what is due in the outbox, sleeps when
//! there is nothing, forgets expired idempotent answers once an hour, and
//! on shutdown finishes the deliveries in flight before it returns.
//! Several processes on one PostgreSQL database each run one; the store's
//! claims keep them from delivering the same item twice.

use std::time::{Duration, Instant};

use portal_domain::Services;
use tokio::sync::watch;

use crate::config::OutboxConfig;

/// How long a worker waits after the store failed before trying again.
const STORE_BACKOFF: Duration = Duration::from_secs(2);

/// How often expired idempotency records are deleted.
const HOUSEKEEPING: Duration = Duration::from_secs(3600);

/// Runs until `stop` turns true. A pass that started is finished first:
/// its emails are handed to the mail server and their outcome recorded,
/// so a stopping server loses nothing and sends nothing twice.
pub async fn run(services: Services, config: OutboxConfig, mut stop: watch::Receiver<bool>) {
    tracing::info!(poll_ms = config.poll.as_millis(), "outbox worker started");
    let mut housekeeping_due = Instant::now();
    while !*stop.borrow() {
        if Instant::now() >= housekeeping_due {
            housekeeping_due = Instant::now() + HOUSEKEEPING;
            match services.idempotency.forget_expired().await {
                Ok(0) => {}
                Ok(forgotten) => tracing::info!(forgotten, "expired idempotent answers deleted"),
                Err(err) => {
                    tracing::warn!(error = %chain(&err), "deleting expired idempotent answers failed")
                }
            }
        }
        let wait = match services.outbox.deliver_due().await {
            Ok(report) if report.claimed > 0 => {
                tracing::info!(
                    claimed = report.claimed,
                    sent = report.sent,
                    failed = report.failed,
                    dead = report.dead,
                    lost = report.lost,
                    "outbox pass"
                );
                continue;
            }
            Ok(_) => config.poll,
            Err(err) => {
                tracing::warn!(error = %chain(&err), "outbox pass failed");
                STORE_BACKOFF
            }
        };
        tokio::select! {
            () = tokio::time::sleep(wait) => {}
            _ = stop.changed() => {}
        }
    }
    tracing::info!("outbox worker stopped");
}

/// `err` and its causes, for the log.
fn chain(err: &(dyn std::error::Error + 'static)) -> String {
    let mut text = err.to_string();
    let mut source = err.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}
