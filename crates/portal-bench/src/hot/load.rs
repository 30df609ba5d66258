//! The load: wrk against the server (16 connections, 2 threads, latency
//! percentiles from the script's `done`), and pgbench against the
//! database (16 clients, 2 threads) for the ceilings.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use serde_json::Value;

use super::process::PgDatabase;
use crate::measure::{bounded, checked};

pub(crate) const CONNECTIONS: usize = 16;
pub(crate) const THREADS: usize = 2;

/// One wrk run.
#[derive(Debug, Clone, Default)]
pub(crate) struct WrkRun {
    pub(crate) per_second: f64,
    pub(crate) p50_ms: f64,
    pub(crate) p99_ms: f64,
    /// Answers other than 2xx and 3xx, socket errors and timeouts.
    pub(crate) errors: u64,
    /// Requests sent after the run's links ran out (counted in `errors`).
    pub(crate) exhausted: u64,
}

/// What wrk loads.
#[derive(Debug, Clone)]
pub(crate) enum Target {
    /// `GET path` with the session cookie.
    Get { path: String, cookie: String },
    /// `POST /l/{token}` over the tokens in this file, each once.
    Redeem { tokens: PathBuf },
}

/// Runs wrk against `addr` for `seconds`.
///
/// # Errors
/// wrk fails or prints no result.
pub(crate) fn wrk(
    wrk: &Path,
    script: &Path,
    addr: SocketAddr,
    target: &Target,
    seconds: u64,
) -> Result<WrkRun, String> {
    let mut command = Command::new(wrk);
    command
        .args(["-t", &THREADS.to_string(), "-c", &CONNECTIONS.to_string()])
        .args(["-d", &format!("{seconds}s"), "--latency", "-s"])
        .arg(script)
        .env("HOT_THREADS", THREADS.to_string());
    let url = match target {
        Target::Get { path, cookie } => {
            command.env("HOT_COOKIE", cookie).env_remove("HOT_TOKENS");
            format!("http://{addr}{path}")
        }
        Target::Redeem { tokens } => {
            command.env("HOT_TOKENS", tokens).env_remove("HOT_COOKIE");
            format!("http://{addr}/l/")
        }
    };
    command.arg(url);
    let limit = Duration::from_secs(seconds + 60);
    let output = checked("wrk", &mut command, limit)?;
    let line = output
        .stdout
        .lines()
        .rev()
        .find(|l| l.trim_start().starts_with('{'))
        .ok_or_else(|| format!("wrk printed no result: {}", output.stdout.trim()))?;
    let v: Value = serde_json::from_str(line).map_err(|e| format!("wrk's result {line:?}: {e}"))?;
    let n = |key: &str| v[key].as_f64().unwrap_or(0.0);
    let duration = n("duration_us") / 1e6;
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
    let count = |key: &str| n(key) as u64;
    Ok(WrkRun {
        per_second: if duration > 0.0 {
            n("requests") / duration
        } else {
            0.0
        },
        p50_ms: n("p50_us") / 1000.0,
        p99_ms: n("p99_us") / 1000.0,
        errors: count("status_errors")
            + count("connect_errors")
            + count("read_errors")
            + count("write_errors")
            + count("timeouts"),
        exhausted: count("exhausted"),
    })
}

/// One pgbench run: transactions per second and failed transactions.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct PgbenchRun {
    pub(crate) tps: f64,
    pub(crate) failed: u64,
}

/// How pgbench runs.
#[derive(Debug, Clone)]
pub(crate) enum Workload {
    /// This script file, with prepared statements.
    Script(PathBuf),
    /// The built-in TPC-B-like transaction.
    TpcB,
}

/// Runs pgbench on `db` for `seconds`.
///
/// # Errors
/// pgbench fails or prints no rate.
pub(crate) fn pgbench(
    pgbench: &Path,
    db: &[String],
    workload: &Workload,
    seconds: u64,
) -> Result<PgbenchRun, String> {
    let mut command = Command::new(pgbench);
    match workload {
        Workload::Script(file) => {
            command.args(["-n", "-M", "prepared", "-f"]).arg(file);
        }
        Workload::TpcB => {}
    }
    command
        .args(["-c", &CONNECTIONS.to_string(), "-j", &THREADS.to_string()])
        .args(["-T", &seconds.to_string()])
        .args(db);
    let output = checked("pgbench", &mut command, Duration::from_secs(seconds + 120))?;
    parse_pgbench(&output.stdout)
        .ok_or_else(|| format!("pgbench printed no rate: {}", output.stdout.trim()))
}

fn parse_pgbench(text: &str) -> Option<PgbenchRun> {
    let tps = text
        .lines()
        .find_map(|l| l.trim().strip_prefix("tps = "))?
        .split_whitespace()
        .next()?
        .parse()
        .ok()?;
    let failed = text
        .lines()
        .find_map(|l| l.trim().strip_prefix("number of failed transactions:"))
        .and_then(|rest| rest.split_whitespace().next()?.parse().ok())
        .unwrap_or(0);
    Some(PgbenchRun { tps, failed })
}

/// Fills `db` with pgbench's tables at scale factor `scale`.
///
/// # Errors
/// pgbench fails.
pub(crate) fn pgbench_init(pgbench: &Path, db: &PgDatabase, scale: u32) -> Result<(), String> {
    checked(
        "pgbench -i",
        Command::new(pgbench)
            .args(["-i", "-q", "-s", &scale.to_string()])
            .args(db.args()),
        Duration::from_secs(600),
    )
    .map(|_| ())
}

/// The version a program reports (`wrk debian/4.1.0-3+b2`, `pgbench
/// (PostgreSQL) 15.20`), for the report.
pub(crate) fn version(program: &Path) -> String {
    let output = bounded(
        "version",
        Command::new(program).arg("--version"),
        Duration::from_secs(10),
    )
    .map(|o| o.stdout)
    .unwrap_or_default();
    short_version(output.lines().next().unwrap_or_default())
}

/// A version line without wrk's copyright or Debian's build.
fn short_version(line: &str) -> String {
    let line = line.split(" [").next().unwrap_or_default();
    line.split(" (Debian")
        .next()
        .unwrap_or_default()
        .trim()
        .to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pgbench_rates_are_read() {
        let text = "transaction type: <builtin: TPC-B (sort of)>\nnumber of transactions actually processed: 7000\n\
                    number of failed transactions: 3 (0.043%)\nlatency average = 11.4 ms\n\
                    initial connection time = 21.3 ms\ntps = 1400.123456 (without initial connection time)\n";
        let run = parse_pgbench(text).unwrap();
        assert!((run.tps - 1_400.123_456).abs() < 1e-9);
        assert_eq!(run.failed, 3);
        assert!(parse_pgbench("nothing").is_none());
    }

    #[test]
    fn versions_are_short() {
        assert_eq!(
            short_version("wrk debian/4.1.0-3+b2 [epoll] Copyright (C) 2012 Will Glozer"),
            "wrk debian/4.1.0-3+b2"
        );
        assert_eq!(
            short_version("pgbench (PostgreSQL) 15.20 (Debian 15.20-0+deb12u1)"),
            "pgbench (PostgreSQL) 15.20"
        );
    }
}
