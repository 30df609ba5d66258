//! The outbox worker: delivers what is due, sleeps when there is nothing,
//! and on shutdown finishes the deliveries in flight before it returns.
//! Several processes on one PostgreSQL database each run one; the store's
//! claims keep them from delivering the same item twice.

use std::time::Duration;

use portal_domain::service::Outbox;
use tokio::sync::watch;

use crate::config::OutboxConfig;

/// How long a worker waits after the store failed before trying again.
const STORE_BACKOFF: Duration = Duration::from_secs(2);

/// Runs until `stop` turns true. A pass that started is finished first:
/// its emails are handed to the mail server and their outcome recorded,
/// so a stopping server loses nothing and sends nothing twice.
pub async fn run(outbox: Outbox, config: OutboxConfig, mut stop: watch::Receiver<bool>) {
    tracing::info!(poll_ms = config.poll.as_millis(), "outbox worker started");
    while !*stop.borrow() {
        let wait = match outbox.deliver_due().await {
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
