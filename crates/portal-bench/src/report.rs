//! The results as a markdown table, with the ratios and the targets of
//! issue 7 marked PASS or FAIL.

use std::fmt::Write as _;

use crate::measure::{median, quantile};

/// One measured case, or why it could not be measured.
#[derive(Debug, Clone)]
pub(crate) struct Case {
    pub(crate) name: String,
    pub(crate) outcome: Result<Measured, String>,
}

#[derive(Debug, Clone, Default)]
pub(crate) struct Measured {
    pub(crate) times_ms: Vec<f64>,
    /// CPU time of each timed run, where the engine's process tells.
    pub(crate) cpu_ms: Vec<f64>,
    pub(crate) peak_rss_kib: Option<u64>,
    /// Bytes of the PDF or CSV.
    pub(crate) bytes: Option<u64>,
    pub(crate) pages: Option<u64>,
    /// Rows a CSV case streamed, for rows per second.
    pub(crate) rows: Option<u64>,
    pub(crate) note: String,
}

impl Measured {
    pub(crate) fn median(&self) -> f64 {
        median(&self.times_ms)
    }

    pub(crate) fn p90(&self) -> f64 {
        quantile(&self.times_ms, 0.9)
    }
}

impl Case {
    pub(crate) fn ok(&self) -> Option<&Measured> {
        self.outcome.as_ref().ok()
    }
}

/// Every case of a run.
#[derive(Debug, Clone)]
pub(crate) struct Results {
    pub(crate) machine: String,
    pub(crate) date: String,
    pub(crate) data: String,
    pub(crate) typst_1k: Case,
    pub(crate) typst_10k: Case,
    pub(crate) chromium_1k: Case,
    pub(crate) chromium_10k: Case,
    pub(crate) weasyprint_1k: Case,
    pub(crate) csv_10k: Case,
    pub(crate) csv_100k: Case,
    pub(crate) seeding: String,
}

/// How the numbers were taken, and how to take them again.
const METHOD: &str = "Reproduce with `cargo xtask bench`: it builds `crates/portal-bench` in \
release, installs Debian's `chromium`, playwright-core (as pinned for `e2e/`) and WeasyPrint \
(pinned in `xtask/bench/weasyprint-requirements.txt`, in a virtual environment under the \
target folder) when missing, and writes `target/bench/documents.md` and this section. Times \
are wall-clock for one render of a prepared sheet: typst through \
`TypstRenderer::render_blocking` (PDF/A-2b), Chromium as `setContent` + `page.pdf()` in one \
warm browser and page, WeasyPrint as `HTML(string=…).write_pdf()` once imported; medians and \
90th percentiles (nearest rank) of the timed runs after one warm-up (none for WeasyPrint). \
CPU is user and system time of the engine's processes for one run (typst and the CSV cases \
in this binary, Chromium's browser processes, WeasyPrint's Python); unlike wall-clock time \
it hardly moves when other work shares the machine. Peak RSS is `VmHWM` of the process that \
handled that one size; Chromium's peaks cannot be told apart from its shared memory, so its \
column holds the proportional set size of its processes after the runs (both sizes run in \
one browser). The CSV cases stream \
`GET /api/crm/clients/:id/statement?format=csv`, served in-process by the portal's router, \
from a SQLite file seeded with one client's history per size, into a sink that counts bytes \
and records (checked against the expected row count). MB are 10^6 bytes, KiB and MiB \
powers of 1024.\n";

fn time(ms: f64) -> String {
    if ms >= 1000.0 {
        format!("{:.2} s", ms / 1000.0)
    } else {
        format!("{ms:.0} ms")
    }
}

/// Decimal megabytes, as the targets state memory.
#[allow(clippy::cast_precision_loss)]
fn megabytes(kib: u64) -> String {
    format!("{:.1} MB", kib as f64 * 1024.0 / 1e6)
}

#[allow(clippy::cast_precision_loss)]
fn size(bytes: u64) -> String {
    if bytes >= 1024 * 1024 {
        format!("{:.1} MiB", bytes as f64 / (1024.0 * 1024.0))
    } else {
        format!("{:.0} KiB", bytes as f64 / 1024.0)
    }
}

fn mark(pass: Option<bool>) -> &'static str {
    match pass {
        Some(true) => "PASS",
        Some(false) => "FAIL",
        None => "not measured",
    }
}

impl Results {
    fn cases(&self) -> [&Case; 7] {
        [
            &self.typst_1k,
            &self.typst_10k,
            &self.chromium_1k,
            &self.chromium_10k,
            &self.weasyprint_1k,
            &self.csv_10k,
            &self.csv_100k,
        ]
    }

    /// `numerator` median over `denominator` median.
    fn ratio(numerator: &Case, denominator: &Case) -> Option<f64> {
        let (n, d) = (numerator.ok()?, denominator.ok()?);
        (d.median() > 0.0).then(|| n.median() / d.median())
    }

    /// The same over the medians of CPU time, which other work on the
    /// machine does not inflate.
    fn cpu_ratio(numerator: &Case, denominator: &Case) -> Option<f64> {
        let (n, d) = (numerator.ok()?, denominator.ok()?);
        let (n, d) = (median(&n.cpu_ms), median(&d.cpu_ms));
        (n > 0.0 && d > 0.0).then(|| n / d)
    }

    /// The targets: what, the measurement, and whether it holds.
    #[allow(clippy::cast_precision_loss)]
    pub(crate) fn targets(&self) -> Vec<(&'static str, String, Option<bool>)> {
        let mut targets = Vec::new();
        let typst_1k = self.typst_1k.ok();
        let typst_10k = self.typst_10k.ok();
        targets.push((
            "1,000 entries: median ≤ 150 ms",
            typst_1k.map_or_else(|| "—".to_owned(), |m| time(m.median())),
            typst_1k.map(|m| m.median() <= 150.0),
        ));
        let chromium = Self::ratio(&self.chromium_1k, &self.typst_1k);
        targets.push((
            "1,000 entries: ≥ 5× faster than warm Chromium",
            chromium.map_or_else(|| "—".to_owned(), |r| format!("{r:.1}×")),
            chromium.map(|r| r >= 5.0),
        ));
        targets.push((
            "10,000 entries: median < 1.5 s",
            typst_10k.map_or_else(|| "—".to_owned(), |m| time(m.median())),
            typst_10k.map(|m| m.median() < 1500.0),
        ));
        let rss = typst_10k.and_then(|m| m.peak_rss_kib);
        targets.push((
            "10,000 entries: peak RSS < 200 MB",
            rss.map_or_else(|| "—".to_owned(), megabytes),
            rss.map(|kib| (kib as f64) * 1024.0 < 200e6),
        ));
        let pdf = typst_1k.and_then(|m| m.bytes);
        targets.push((
            "1,000-entry PDF ≤ 300 KiB",
            pdf.map_or_else(|| "—".to_owned(), size),
            pdf.map(|b| b <= 300 * 1024),
        ));
        let flat = self
            .csv_10k
            .ok()
            .and_then(|m| m.peak_rss_kib)
            .zip(self.csv_100k.ok().and_then(|m| m.peak_rss_kib));
        targets.push((
            "100,000-row CSV streams in flat memory (peak RSS ≤ 1.25 × the 10,000-row one)",
            flat.map_or_else(
                || "—".to_owned(),
                |(small, large)| format!("{} vs {}", megabytes(large), megabytes(small)),
            ),
            flat.map(|(small, large)| large * 4 <= small * 5),
        ));
        targets
    }

    /// The whole report, as markdown.
    pub(crate) fn markdown(&self) -> String {
        let mut out = String::new();
        let _ = writeln!(
            out,
            "Measured {} on {}, release build. {}\n",
            self.date, self.machine, self.data
        );
        out.push_str(
            "| Case | Runs | Median | p90 | CPU (median) | Peak RSS | Output | Pages |\n\
             | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |\n",
        );
        for case in self.cases() {
            match &case.outcome {
                Ok(m) => {
                    let _ = writeln!(
                        out,
                        "| {} | {} | {} | {} | {} | {} | {} | {} |",
                        case.name,
                        m.times_ms.len(),
                        time(m.median()),
                        time(m.p90()),
                        if m.cpu_ms.is_empty() {
                            "—".to_owned()
                        } else {
                            time(median(&m.cpu_ms))
                        },
                        m.peak_rss_kib.map_or_else(|| "—".to_owned(), megabytes),
                        m.bytes.map_or_else(|| "—".to_owned(), size),
                        m.pages.map_or_else(|| "—".to_owned(), |p| p.to_string()),
                    );
                }
                Err(why) => {
                    let _ = writeln!(
                        out,
                        "| {} | — | not measured: {} | | | | | |",
                        case.name,
                        why.replace('|', "/").replace('\n', " ")
                    );
                }
            }
        }
        out.push('\n');
        for case in self.cases() {
            if let Some(m) = case.ok()
                && !m.note.is_empty()
            {
                let _ = writeln!(out, "- {}: {}.", case.name, m.note);
            }
        }
        out.push('\n');
        let ratio = |r: Option<f64>| r.map_or_else(|| "—".to_owned(), |r| format!("{r:.1}×"));
        let _ = writeln!(
            out,
            "Ratios of medians: warm Chromium / typst {} at 1,000 entries and {} at 10,000; \
             WeasyPrint / typst {} at 1,000.",
            ratio(Self::ratio(&self.chromium_1k, &self.typst_1k)),
            ratio(Self::ratio(&self.chromium_10k, &self.typst_10k)),
            ratio(Self::ratio(&self.weasyprint_1k, &self.typst_1k)),
        );
        let _ = writeln!(
            out,
            "By CPU time: Chromium / typst {} at 1,000 entries and {} at 10,000; \
             WeasyPrint / typst {} at 1,000.",
            ratio(Self::cpu_ratio(&self.chromium_1k, &self.typst_1k)),
            ratio(Self::cpu_ratio(&self.chromium_10k, &self.typst_10k)),
            ratio(Self::cpu_ratio(&self.weasyprint_1k, &self.typst_1k)),
        );
        for case in [&self.csv_10k, &self.csv_100k] {
            if let Some(m) = case.ok()
                && let Some(rows) = m.rows
                && m.median() > 0.0
            {
                #[allow(clippy::cast_precision_loss)]
                let per_second = rows as f64 / (m.median() / 1000.0);
                let _ = writeln!(out, "{}: {per_second:.0} rows/s.", case.name);
            }
        }
        if !self.seeding.is_empty() {
            let _ = writeln!(out, "{}", self.seeding);
        }
        out.push_str("\n| Target (issue 7) | Measured | |\n| --- | ---: | --- |\n");
        for (target, measured, pass) in self.targets() {
            let _ = writeln!(out, "| {target} | {measured} | {} |", mark(pass));
        }
        out.push('\n');
        out.push_str(METHOD);
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn case(name: &str, times: &[f64], rss: u64, bytes: u64) -> Case {
        Case {
            name: name.to_owned(),
            outcome: Ok(Measured {
                times_ms: times.to_vec(),
                peak_rss_kib: Some(rss),
                bytes: Some(bytes),
                ..Measured::default()
            }),
        }
    }

    #[test]
    fn targets_are_judged_on_medians_and_peaks() {
        let missing = Case {
            name: "WeasyPrint".to_owned(),
            outcome: Err("not installed".to_owned()),
        };
        let results = Results {
            machine: "2 cores".to_owned(),
            date: "2026-11-28".to_owned(),
            data: String::new(),
            typst_1k: case("typst 1k", &[100.0, 120.0, 400.0], 90_000, 200 * 1024),
            typst_10k: case("typst 10k", &[1600.0], 150_000, 2_000_000),
            chromium_1k: case("Chromium 1k", &[700.0], 0, 0),
            chromium_10k: case("Chromium 10k", &[7000.0], 0, 0),
            weasyprint_1k: missing,
            csv_10k: case("CSV 10k", &[50.0], 20_000, 0),
            csv_100k: case("CSV 100k", &[500.0], 26_000, 0),
            seeding: String::new(),
        };
        let marks: Vec<Option<bool>> = results.targets().into_iter().map(|t| t.2).collect();
        assert_eq!(
            marks,
            [
                Some(true),
                Some(true),
                Some(false),
                Some(true),
                Some(true),
                Some(false)
            ]
        );
        let markdown = results.markdown();
        assert!(markdown.contains("| WeasyPrint | — | not measured: not installed |"));
        assert!(markdown.contains("| 1,000 entries: median ≤ 150 ms | 120 ms | PASS |"));
    }
}
