//! The background worker: delivers what is due in the outbox, sleeps when
//! there is nothing, asks processors about payments left pending every few
//! minutes, deletes expired idempotent answers, expired pay forms and
//! long-sent outbox items once an hour, and on shutdown finishes the pass
//! in flight before it returns. Several processes on one PostgreSQL database each run
//! one; the store's claims give each item to one worker at a time, for the
//! length of a lease.

use std::time::{Duration, Instant};

use portal_domain::{PaymentId, Services, error_chain};
use tokio::sync::watch;

use crate::config::OutboxConfig;

/// How long a worker waits after the store failed before trying again.
const STORE_BACKOFF: Duration = Duration::from_secs(2);

/// How often old records are deleted.
const HOUSEKEEPING: Duration = Duration::from_secs(3600);

/// How long a processor payment stays pending before reconciliation asks
/// its processor: long enough for the request that charges it to finish.
const RECONCILE_AFTER: chrono::Duration = chrono::Duration::minutes(2);

/// How many pending payments one reconciliation pass checks.
const RECONCILE_BATCH: u32 = 100;

/// Runs until `stop` turns true. A pass that started is finished first:
/// its emails are handed to the mail server and their outcome recorded,
/// so a stopping server loses nothing and sends nothing twice.
pub async fn run(
    services: Services,
    config: OutboxConfig,
    reconcile_every: Duration,
    mut stop: watch::Receiver<bool>,
) {
    tracing::info!(poll_ms = config.poll.as_millis(), "outbox worker started");
    let mut housekeeping_due = Instant::now();
    let mut reconcile_due = Instant::now();
    let mut reconcile_from = None;
    while !*stop.borrow() {
        if Instant::now() >= housekeeping_due {
            housekeeping_due = Instant::now() + HOUSEKEEPING;
            housekeeping(&services).await;
        }
        if Instant::now() >= reconcile_due {
            reconcile_due = Instant::now() + reconcile_every;
            reconcile_from = reconcile(&services, reconcile_from).await;
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
                tracing::warn!(error = %error_chain(&err), "outbox pass failed");
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

/// Asks processors how a page of payments left pending stand, and records
/// it; answers where the next pass goes on (from the start once this one
/// reached the end).
async fn reconcile(services: &Services, from: Option<Cursor>) -> Option<Cursor> {
    match services
        .checkouts
        .reconcile(RECONCILE_AFTER, from, RECONCILE_BATCH)
        .await
    {
        Ok(report) => {
            if report.checked > 0 {
                tracing::info!(
                    checked = report.checked,
                    succeeded = report.succeeded,
                    failed = report.failed,
                    pending = report.pending,
                    "pending processor payments reconciled"
                );
            }
            report.next
        }
        Err(err) => {
            tracing::warn!(error = %error_chain(&err), "reconciling pending payments failed");
            None
        }
    }
}

/// Where a reconciliation pass goes on: the last payment checked.
type Cursor = (chrono::DateTime<chrono::Utc>, PaymentId);

/// Deletes idempotent answers past their day, pay forms expired a day ago
/// and never submitted, and outbox items sent more than a month ago.
async fn housekeeping(services: &Services) {
    let expired_before = services.now() - chrono::Duration::days(1);
    match services.checkouts.forget_expired(expired_before).await {
        Ok(0) => {}
        Ok(forgotten) => tracing::info!(forgotten, "expired pay forms deleted"),
        Err(err) => tracing::warn!(error = %error_chain(&err), "deleting expired pay forms failed"),
    }
    match services.idempotency.forget_expired().await {
        Ok(0) => {}
        Ok(forgotten) => tracing::info!(forgotten, "expired idempotent answers deleted"),
        Err(err) => {
            tracing::warn!(error = %error_chain(&err), "deleting expired idempotent answers failed");
        }
    }
    match services.outbox.forget_old().await {
        Ok(0) => {}
        Ok(forgotten) => tracing::info!(forgotten, "old sent outbox items deleted"),
        Err(err) => tracing::warn!(error = %error_chain(&err), "deleting old outbox items failed"),
    }
}
