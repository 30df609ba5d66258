//! The hot-path results as markdown: one row per path and backend
//! (medians of the runs), the ceilings and ratios, the server's cold start
//! and idle memory, and the targets of issue 8 marked PASS or FAIL.

use std::fmt::Write as _;

use super::data::{DOCUMENTS, Seeded};
use super::load::{CONNECTIONS, PgbenchRun, THREADS, WrkRun};
use super::{Backend, HotPath};
use crate::measure::median;

/// One path on one backend.
#[derive(Debug)]
pub(crate) struct Row {
    pub(crate) path: HotPath,
    pub(crate) backend: Backend,
    /// The timed runs (not the warm-up).
    pub(crate) runs: Vec<WrkRun>,
    /// Statements per request; `Ok(None)` when the server counts none.
    pub(crate) round_trips: Result<Option<f64>, String>,
    /// pgbench in the same run (PostgreSQL rows).
    pub(crate) ceiling: Option<Ceiling>,
    /// Why the runs stopped, if they did.
    pub(crate) failure: Option<String>,
}

/// pgbench's runs beside a path.
#[derive(Debug)]
pub(crate) struct Ceiling {
    pub(crate) what: String,
    pub(crate) runs: Result<Vec<PgbenchRun>, String>,
}

impl Ceiling {
    fn tps(&self) -> Option<f64> {
        let runs = self.runs.as_ref().ok().filter(|r| !r.is_empty())?;
        Some(median(&runs.iter().map(|r| r.tps).collect::<Vec<_>>()))
    }

    fn failed(&self) -> u64 {
        self.runs
            .as_ref()
            .map_or(0, |runs| runs.iter().map(|r| r.failed).sum())
    }
}

impl Row {
    pub(crate) fn new(path: HotPath, backend: Backend) -> Self {
        Self {
            path,
            backend,
            runs: Vec::new(),
            round_trips: Ok(None),
            ceiling: None,
            failure: None,
        }
    }

    fn median_of(&self, value: impl Fn(&WrkRun) -> f64) -> Option<f64> {
        (!self.runs.is_empty()).then(|| median(&self.runs.iter().map(value).collect::<Vec<_>>()))
    }

    fn per_second(&self) -> Option<f64> {
        self.median_of(|r| r.per_second)
    }

    fn p50(&self) -> Option<f64> {
        self.median_of(|r| r.p50_ms)
    }

    fn p99(&self) -> Option<f64> {
        self.median_of(|r| r.p99_ms)
    }

    fn errors(&self) -> u64 {
        self.runs.iter().map(|r| r.errors).sum()
    }

    fn exhausted(&self) -> u64 {
        self.runs.iter().map(|r| r.exhausted).sum()
    }

    /// Errors, a stopped run, or a ceiling with failed transactions.
    fn flagged(&self) -> bool {
        self.errors() > 0
            || self.failure.is_some()
            || self.ceiling.as_ref().is_some_and(|c| c.failed() > 0)
    }

    fn round_trips(&self) -> Option<f64> {
        self.round_trips.as_ref().ok().copied().flatten()
    }
}

/// The server's start on one backend.
#[derive(Debug)]
pub(crate) struct ServerFacts {
    pub(crate) backend: Backend,
    pub(crate) cold_start_ms: f64,
    pub(crate) idle_rss_kib: Option<u64>,
    /// The anonymous part of it (the rest is the binary's mapped pages).
    pub(crate) idle_anon_kib: Option<u64>,
    pub(crate) seeding_s: f64,
}

#[derive(Debug)]
pub(crate) struct Report {
    pub(crate) date: String,
    pub(crate) machine: String,
    pub(crate) load: (Option<f64>, Option<f64>),
    pub(crate) tools: String,
    pub(crate) runs: usize,
    pub(crate) seconds: u64,
    pub(crate) warm_up_seconds: u64,
    pub(crate) rows: Vec<Row>,
    pub(crate) servers: Vec<ServerFacts>,
    pub(crate) data: String,
    pub(crate) notes: Vec<String>,
}

/// What was seeded, in a sentence.
pub(crate) fn data(seeded: &Seeded) -> String {
    format!(
        "One business, one client company with one billing contact, {DOCUMENTS} sent \
         documents over three years: {} invoices ({} paid through {} recorded payments, some \
         in two instalments, some several invoices at once; {} outstanding, {} of them partly \
         paid) and {} estimates and contracts, {} lines in all. The session comes from \
         redeeming a link; the document page shows a partly paid invoice; every redemption \
         uses a fresh link of the contact for that invoice, issued through the operator API \
         before its run.",
        seeded.invoices,
        seeded.invoices - seeded.outstanding,
        seeded.payments,
        seeded.outstanding,
        seeded.partly_paid,
        DOCUMENTS - seeded.invoices,
        seeded.lines,
    )
}

/// `1,839`.
fn thousands(value: f64) -> String {
    #[allow(clippy::cast_possible_truncation)]
    let digits = format!("{}", value.round() as i64);
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) && c.is_ascii_digit() {
            out.push(',');
        }
        out.push(c);
    }
    out
}

fn ms(value: Option<f64>) -> String {
    match value {
        Some(v) if v < 10.0 => format!("{v:.2} ms"),
        Some(v) if v < 100.0 => format!("{v:.1} ms"),
        Some(v) => format!("{v:.0} ms"),
        None => "—".to_owned(),
    }
}

fn mb(kib: Option<u64>) -> String {
    #[allow(clippy::cast_precision_loss)]
    kib.map_or_else(
        || "?".to_owned(),
        |k| format!("{:.1} MB", k as f64 * 1024.0 / 1e6),
    )
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Verdict {
    Pass,
    Fail,
    /// Met or not, the runs had errors.
    Flagged,
    NotMeasured,
}

impl Verdict {
    fn of(passed: Option<bool>, flagged: bool) -> Self {
        match passed {
            None => Self::NotMeasured,
            Some(_) if flagged => Self::Flagged,
            Some(true) => Self::Pass,
            Some(false) => Self::Fail,
        }
    }

    fn label(self) -> &'static str {
        match self {
            Self::Pass => "PASS",
            Self::Fail => "FAIL",
            Self::Flagged => "FLAGGED (errors)",
            Self::NotMeasured => "not measured",
        }
    }
}

impl Report {
    fn row(&self, path: HotPath, backend: Backend) -> Option<&Row> {
        self.rows
            .iter()
            .find(|r| r.path == path && r.backend == backend)
    }

    /// The row's ceiling column and ratio: pgbench for PostgreSQL rows,
    /// the same path on PostgreSQL for SQLite rows.
    fn ceiling(&self, row: &Row) -> (String, Option<f64>) {
        match row.backend {
            Backend::Postgres => match &row.ceiling {
                Some(c) => match (c.tps(), &c.runs) {
                    (Some(tps), _) => (
                        format!("{} TPS ({})", thousands(tps), c.what),
                        row.per_second().map(|r| r / tps),
                    ),
                    (None, Err(why)) => (format!("{}: failed ({why})", c.what), None),
                    (None, Ok(_)) => (format!("{}: no runs", c.what), None),
                },
                None => ("n/a".to_owned(), None),
            },
            Backend::Sqlite => match self
                .row(row.path, Backend::Postgres)
                .and_then(Row::per_second)
            {
                Some(pg) => (
                    format!("PostgreSQL {} req/s", thousands(pg)),
                    row.per_second().map(|r| r / pg),
                ),
                None => ("—".to_owned(), None),
            },
        }
    }

    fn table(&self, out: &mut String) {
        out.push_str(
            "| Path | Backend | req/s | p50 | p99 | SQL round trips per request | Ceiling in the same run | Ratio | Errors |\n\
             | --- | --- | ---: | ---: | ---: | ---: | --- | ---: | ---: |\n",
        );
        for row in &self.rows {
            let (ceiling, ratio) = self.ceiling(row);
            let round_trips = match &row.round_trips {
                Ok(Some(n)) => format!("{n:.1}"),
                Ok(None) => "n/a".to_owned(),
                Err(_) => "failed".to_owned(),
            };
            let mut errors = thousands(row.errors() as f64);
            if row.exhausted() > 0 {
                let _ = write!(
                    errors,
                    " ({} out of links)",
                    thousands(row.exhausted() as f64)
                );
            }
            if row.flagged() {
                errors.push_str(" ⚠");
            }
            let _ = writeln!(
                out,
                "| {} | {} | {} | {} | {} | {round_trips} | {ceiling} | {} | {errors} |",
                row.path.label(),
                row.backend.label(),
                row.per_second().map_or_else(|| "—".to_owned(), thousands),
                ms(row.p50()),
                ms(row.p99()),
                ratio.map_or_else(|| "—".to_owned(), |r| format!("{r:.2}")),
            );
        }
    }

    /// The targets that this run measured.
    fn targets(&self) -> Vec<(String, String, Verdict)> {
        let mut targets = Vec::new();
        let pg = |path: HotPath| self.row(path, Backend::Postgres);
        let round_trips = |path: HotPath, most: f64| {
            let row = pg(path);
            let measured = row.and_then(Row::round_trips);
            (
                measured.map_or_else(|| "n/a".to_owned(), |n| format!("{n:.1}")),
                // A tenth of slack: the idle baseline is subtracted from a
                // counter the outbox worker also moves.
                Verdict::of(
                    measured.map(|n| n <= most + 0.05),
                    row.is_some_and(Row::flagged),
                ),
            )
        };
        let ratio = |path: HotPath, least: f64| {
            let row = pg(path);
            let ratio = row.and_then(|r| self.ceiling(r).1);
            (
                ratio.map_or_else(|| "n/a".to_owned(), |r| format!("{r:.2}")),
                Verdict::of(ratio.map(|r| r >= least), row.is_some_and(Row::flagged)),
            )
        };
        let mut push = |what: &str, (measured, verdict): (String, Verdict)| {
            targets.push((what.to_owned(), measured, verdict));
        };
        let measured = |path: HotPath| self.rows.iter().any(|r| r.path == path);
        if measured(HotPath::Portal) {
            push(
                "`GET /portal`: at most 3 SQL round trips per view",
                round_trips(HotPath::Portal, 3.0),
            );
            push(
                "`GET /portal`: ≥ 0.8 of pgbench running the page's SQL",
                ratio(HotPath::Portal, 0.8),
            );
        }
        if measured(HotPath::Document) {
            push(
                "Document page: at most 3 round trips",
                round_trips(HotPath::Document, 3.0),
            );
            push(
                "Document page: ≥ 0.8 of its SQL ceiling",
                ratio(HotPath::Document, 0.8),
            );
        }
        if measured(HotPath::Redeem) {
            push(
                "Redemption: at most 5 round trips",
                round_trips(HotPath::Redeem, 5.0),
            );
            push(
                "Redemption: ≥ 0.5 of pgbench TPC-B",
                ratio(HotPath::Redeem, 0.5),
            );
            let row = pg(HotPath::Redeem);
            let p99 = row.and_then(Row::p99);
            push(
                &format!("Redemption: p99 under 50 ms at {CONNECTIONS} connections"),
                (
                    ms(p99),
                    Verdict::of(p99.map(|p| p < 50.0), row.is_some_and(Row::flagged)),
                ),
            );
        }
        if measured(HotPath::Portal) {
            let row = self.row(HotPath::Portal, Backend::Sqlite);
            let ratio = row.and_then(|r| self.ceiling(r).1);
            let flagged =
                row.is_some_and(Row::flagged) || pg(HotPath::Portal).is_some_and(Row::flagged);
            push(
                "SQLite: `GET /portal` ≥ 0.8 of PostgreSQL in the same run",
                (
                    ratio.map_or_else(|| "n/a".to_owned(), |r| format!("{r:.2}")),
                    Verdict::of(ratio.map(|r| r >= 0.8), flagged),
                ),
            );
        }
        targets
    }

    pub(crate) fn markdown(&self) -> String {
        let mut out = String::new();
        let load = match self.load {
            (Some(before), Some(after)) => {
                format!("; load average {before:.1} at the start, {after:.1} at the end")
            }
            _ => String::new(),
        };
        let _ = writeln!(
            out,
            "Measured {} on {}{load}, release build; {}. {} wrk connections on {} threads \
             (pgbench: as many clients and threads), {} of {} s per path after a {} s \
             warm-up, the backends and the ceiling taking turns run by run; medians of the \
             runs. {}\n",
            self.date,
            self.machine,
            self.tools,
            CONNECTIONS,
            THREADS,
            if self.runs == 1 {
                "1 run".to_owned()
            } else {
                format!("{} runs", self.runs)
            },
            self.seconds,
            self.warm_up_seconds,
            self.data
        );
        self.table(&mut out);
        out.push('\n');
        for facts in &self.servers {
            let _ = writeln!(
                out,
                "- {}: idle resident memory {} (anonymous {}, the rest the binary's mapped \
                 pages), cold start {:.1} ms (spawn to the first 200 from `GET /healthz`, on \
                 the seeded database); seeding took {:.1} s.",
                facts.backend.label(),
                mb(facts.idle_rss_kib),
                mb(facts.idle_anon_kib),
                facts.cold_start_ms,
                facts.seeding_s
            );
        }
        for row in &self.rows {
            if let Some(why) = &row.failure {
                let _ = writeln!(
                    out,
                    "- {} on {}: stopped: {why}",
                    row.path.label(),
                    row.backend.label()
                );
            }
            if let Err(why) = &row.round_trips {
                let _ = writeln!(
                    out,
                    "- {} on {}: round trips not counted: {why}",
                    row.path.label(),
                    row.backend.label()
                );
            }
        }
        for note in &self.notes {
            let _ = writeln!(out, "- {note}");
        }
        out.push_str("\n| Target (issue 8) | Measured | |\n| --- | ---: | --- |\n");
        for (what, measured, verdict) in self.targets() {
            let _ = writeln!(out, "| {what} | {measured} | {} |", verdict.label());
        }
        let sqlite = self.servers.iter().find(|s| s.backend == Backend::Sqlite);
        let rss: Vec<String> = self
            .servers
            .iter()
            .map(|s| {
                format!(
                    "{} (anonymous {}) on {}",
                    mb(s.idle_rss_kib),
                    mb(s.idle_anon_kib),
                    s.backend.label()
                )
            })
            .collect();
        let _ = writeln!(
            out,
            "| Idle RSS, kept (8–10 MB when the issue was filed) | {} | for reference |",
            if rss.is_empty() {
                "n/a".to_owned()
            } else {
                rss.join(", ")
            }
        );
        let _ = writeln!(
            out,
            "| Cold start on SQLite, kept (9 ms when the issue was filed) | {} | for reference |",
            sqlite.map_or_else(
                || "n/a".to_owned(),
                |s| format!("{:.1} ms", s.cold_start_ms)
            )
        );
        out.push('\n');
        out.push_str(METHOD);
        out
    }
}

const METHOD: &str = "Reproduce with `cargo xtask bench --only hot`: it installs Debian's `wrk` \
    when missing, builds `portal-server` and `crates/portal-bench` in release, and writes \
    `target/bench/hot-paths.md` and this section. Each backend gets a fresh database (a \
    uniquely named PostgreSQL database on 127.0.0.1:5432, dropped afterwards, or a SQLite file \
    in a temporary folder), seeded through the store before `portal-server serve` starts on \
    it with the test processor connected. The PostgreSQL database is vacuumed and analyzed \
    after seeding and before every run (as pgbench does), so tables that grow from nothing \
    during the benchmark (links, sessions, audit events) are planned as in a database in \
    service and every run starts alike. wrk runs `xtask/bench/hot.lua`: the pages with the \
    session cookie, redemption over a file of unused link tokens, each posted once; answers \
    other than 2xx and 3xx, socket errors and timeouts are counted and flag the row. Round \
    trips are the rise of `portal_sql_statements_total` in `GET /metrics` over 200 requests \
    in a row, less its rise over an idle pause as long (the outbox worker polls), per \
    request. Ceilings: pgbench with prepared statements on the SQL the store runs for one \
    request (`portal_store::ceiling`, the benchmark's own values in place of parameters) \
    against the same database, and pgbench's built-in TPC-B at scale 16 in a database of its \
    own for redemption; ratios are req/s over TPS. On SQLite the ratio is to the same path on \
    PostgreSQL. Latencies are wrk's (from the moment a request is sent, so queueing inside \
    the 16 connections is not seen). Everything runs on 127.0.0.1 on this one machine, \
    load generators included.\n";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_read_with_separators() {
        assert_eq!(thousands(1839.4), "1,839");
        assert_eq!(thousands(470.0), "470");
        assert_eq!(thousands(1_234_567.0), "1,234,567");
    }

    #[test]
    fn a_flagged_row_neither_passes_nor_fails() {
        assert_eq!(Verdict::of(Some(true), true), Verdict::Flagged);
        assert_eq!(Verdict::of(Some(false), false), Verdict::Fail);
        assert_eq!(Verdict::of(None, true), Verdict::NotMeasured);
    }
}
