//! The whole benchmark: every case in its own process, then the report.
//!
//! typst renders each size in a child process of this binary; the same
//! statement, written as HTML, goes through Chromium (one warm browser and
//! page, `setContent` then `page.pdf()`, by a Node script) and WeasyPrint
//! (by a Python script); CSV statements stream from a SQLite file seeded
//! here, each size in a child process. Cases whose engine is not given are
//! reported as not measured.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use portal_domain::model::ApiKey;
use portal_domain::sheets;
use portal_domain::testing::SeededRandom;
use serde_json::{Value, json};

use crate::history::{History, history};
use crate::html::statement_html;
use crate::measure::{load_average, machine, pdf_pages, run_json};
use crate::report::{Case, Measured, Results};
use crate::typst_case::SEED;

/// The statement sizes and how many timed runs each gets.
const PDF_SIZES: [(usize, usize); 2] = [(1_000, 15), (10_000, 5)];
const WEASYPRINT_RUNS: usize = 3;
const CSV_SIZES: [usize; 2] = [10_000, 100_000];
const CSV_RUNS: usize = 3;
/// How long any one child may take.
const CHILD_LIMIT: Duration = Duration::from_secs(20 * 60);

#[derive(Debug)]
pub(crate) struct Options {
    pub(crate) out: PathBuf,
    pub(crate) chromium: Option<PathBuf>,
    /// The folder whose `node_modules` holds playwright-core.
    pub(crate) node_prefix: Option<PathBuf>,
    pub(crate) chromium_script: Option<PathBuf>,
    pub(crate) weasyprint_python: Option<PathBuf>,
    pub(crate) weasyprint_script: Option<PathBuf>,
    /// Only these engines (`typst`, `chromium`, `weasyprint`, `csv`);
    /// all when empty.
    pub(crate) only: Vec<String>,
}

impl Options {
    fn wants(&self, engine: &str) -> bool {
        self.only.is_empty() || self.only.iter().any(|e| e == engine)
    }
}

fn skipped(name: &str) -> Case {
    Case {
        name: name.to_owned(),
        outcome: Err("skipped (--only)".to_owned()),
    }
}

fn say(what: &str) {
    eprintln!("bench: {what}");
}

fn times(value: &Value) -> Vec<f64> {
    numbers(value, "times_ms")
}

fn numbers(value: &Value, key: &str) -> Vec<f64> {
    value[key]
        .as_array()
        .map(|a| a.iter().filter_map(Value::as_f64).collect())
        .unwrap_or_default()
}

fn label(entries: usize) -> String {
    let digits = entries.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// typst, one size, in a child process.
fn typst(out: &Path, entries: usize, runs: usize) -> Case {
    let name = format!("typst, {} entries", label(entries));
    say(&format!("{name}: 1 warm-up and {runs} timed renders"));
    let pdf = out.join(format!("typst-{entries}.pdf"));
    let outcome = std::env::current_exe()
        .map_err(|e| e.to_string())
        .and_then(|me| {
            run_json(
                &name,
                Command::new(me)
                    .args(["typst", "--entries", &entries.to_string()])
                    .args(["--runs", &runs.to_string(), "--pdf"])
                    .arg(&pdf),
                CHILD_LIMIT,
            )
        })
        .map(|v| {
            let deterministic = v["deterministic"].as_bool().unwrap_or(false);
            Measured {
                times_ms: times(&v),
                cpu_ms: numbers(&v, "cpu_ms"),
                peak_rss_kib: v["peak_rss_kib"].as_u64(),
                bytes: v["pdf_bytes"].as_u64(),
                pages: pdf_pages(&pdf),
                rows: v["rows"].as_u64(),
                note: if deterministic {
                    String::new()
                } else {
                    "renders differed".to_owned()
                },
            }
        });
    Case { name, outcome }
}

/// The statement of `entries` rows as HTML, written beside the PDFs.
fn write_html(out: &Path, entries: usize) -> Result<PathBuf, String> {
    let history = history(entries, SEED)?;
    let statement = history.statement()?;
    let sheet = sheets::statement_sheet(
        &history.account,
        history.logo.clone(),
        &history.client,
        &statement,
    )
    .map_err(|e| format!("statement sheet: {e}"))?;
    let logo = history
        .logo
        .as_ref()
        .and_then(|l| std::str::from_utf8(l.bytes()).ok());
    let path = out.join(format!("statement-{entries}.html"));
    std::fs::write(&path, statement_html(&sheet, logo))
        .map_err(|e| format!("writing {}: {e}", path.display()))?;
    Ok(path)
}

/// Both sizes through one warm Chromium.
fn chromium(options: &Options, html: &[(usize, usize, PathBuf)]) -> Vec<Case> {
    let names: Vec<String> = html
        .iter()
        .map(|(entries, _, _)| {
            format!("Chromium (warm, `page.pdf()`), {} entries", label(*entries))
        })
        .collect();
    let not_measured = |why: String| {
        names
            .iter()
            .map(|name| Case {
                name: name.clone(),
                outcome: Err(why.clone()),
            })
            .collect()
    };
    let (Some(browser), Some(prefix), Some(script)) = (
        &options.chromium,
        &options.node_prefix,
        &options.chromium_script,
    ) else {
        return not_measured("Chromium or playwright-core not installed".to_owned());
    };
    let jobs: Vec<Value> = html
        .iter()
        .map(|(entries, runs, path)| {
            json!({
                "html": path,
                "pdf": path.with_file_name(format!("chromium-{entries}.pdf")),
                "runs": runs,
            })
        })
        .collect();
    say("Chromium: one browser, 1 warm-up and the timed runs per size");
    let result = run_json(
        "Chromium",
        Command::new("node")
            .arg(script)
            .arg(prefix)
            .arg(browser)
            .arg(Value::Array(jobs.clone()).to_string()),
        CHILD_LIMIT,
    );
    let result = match result {
        Ok(result) => result,
        Err(why) => return not_measured(why),
    };
    let version = result["version"].as_str().unwrap_or("?").to_owned();
    let playwright = result["playwright"].as_str().unwrap_or("?").to_owned();
    names
        .into_iter()
        .zip(jobs)
        .enumerate()
        .map(|(i, (name, job))| {
            let one = &result["results"][i];
            let pdf = PathBuf::from(job["pdf"].as_str().unwrap_or_default());
            Case {
                name,
                outcome: Ok(Measured {
                    times_ms: times(one),
                    cpu_ms: numbers(one, "cpu_ms"),
                    peak_rss_kib: one["pss_kib"].as_u64(),
                    bytes: one["pdf_bytes"].as_u64(),
                    pages: pdf_pages(&pdf),
                    rows: None,
                    note: format!(
                        "Chromium {version}, playwright-core {playwright}; CPU is the browser's \
                         processes'; memory is their proportional set size after the runs, \
                         not a peak"
                    ),
                }),
            }
        })
        .collect()
}

fn weasyprint(options: &Options, html: &Path) -> Case {
    let name = "WeasyPrint, 1,000 entries".to_owned();
    let (Some(python), Some(script)) = (&options.weasyprint_python, &options.weasyprint_script)
    else {
        return Case {
            name,
            outcome: Err("WeasyPrint not installed".to_owned()),
        };
    };
    say(&format!("WeasyPrint: {WEASYPRINT_RUNS} runs (slow)"));
    let pdf = html.with_file_name("weasyprint-1000.pdf");
    let outcome = run_json(
        "WeasyPrint",
        Command::new(python)
            .arg(script)
            .arg(html)
            .arg(WEASYPRINT_RUNS.to_string())
            .arg(&pdf),
        CHILD_LIMIT,
    )
    .map(|v| Measured {
        times_ms: times(&v),
        cpu_ms: numbers(&v, "cpu_ms"),
        peak_rss_kib: v["peak_rss_kib"].as_u64(),
        bytes: v["pdf_bytes"].as_u64(),
        pages: pdf_pages(&pdf),
        rows: None,
        note: format!(
            "{}; no warm-up run: the first run pays for loading fonts",
            v["version"].as_str().unwrap_or("?")
        ),
    });
    Case { name, outcome }
}

/// Removes the seeded database however the run ends.
struct TempDir(PathBuf);

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Seeds one SQLite file with a history per size, then streams each in a
/// child process. Answers the cases and a line on the seeding.
fn csv() -> (Vec<Case>, String) {
    let names: Vec<String> = CSV_SIZES
        .iter()
        .map(|rows| format!("CSV, {} rows (SQLite, streamed)", label(*rows)))
        .collect();
    let dir = TempDir(std::env::temp_dir().join(format!("portal-bench-{}", std::process::id())));
    let db = dir.0.join("statements.sqlite");
    let random = SeededRandom::new(SEED);
    let keys: Vec<ApiKey> = CSV_SIZES
        .iter()
        .map(|_| ApiKey::generate(&random))
        .collect();
    let started = Instant::now();
    let seeded: Result<Vec<History>, String> = (|| {
        std::fs::create_dir_all(&dir.0).map_err(|e| e.to_string())?;
        let histories = CSV_SIZES
            .iter()
            .zip(0u64..)
            .map(|(rows, n)| history(*rows, SEED + 1 + n))
            .collect::<Result<Vec<_>, _>>()?;
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .map_err(|e| e.to_string())?;
        runtime.block_on(async {
            let store = crate::csv_case::open(&db).await?;
            for (history, key) in histories.iter().zip(&keys) {
                say(&format!(
                    "seeding {} invoices and {} payments",
                    history.documents.len(),
                    history.payments.len()
                ));
                crate::csv_case::seed(&store, history, key).await?;
            }
            Ok::<_, String>(())
        })?;
        Ok(histories)
    })();
    let histories = match seeded {
        Ok(histories) => histories,
        Err(why) => {
            let cases = names
                .into_iter()
                .map(|name| Case {
                    name,
                    outcome: Err(why.clone()),
                })
                .collect();
            return (cases, String::new());
        }
    };
    let seeding = format!(
        "Seeding the SQLite file with both histories ({} invoices, {} payments) took {:.1} s.",
        histories.iter().map(|h| h.documents.len()).sum::<usize>(),
        histories.iter().map(|h| h.payments.len()).sum::<usize>(),
        started.elapsed().as_secs_f64()
    );
    let cases = names
        .into_iter()
        .zip(histories.iter().zip(&keys))
        .map(|(name, (history, key))| {
            say(&format!("{name}: 1 warm-up and {CSV_RUNS} timed runs"));
            let sections = history.currencies().len();
            let expected = history.entries + 2 * sections + 1;
            let outcome = std::env::current_exe()
                .map_err(|e| e.to_string())
                .and_then(|me| {
                    run_json(
                        &name,
                        Command::new(me)
                            .arg("csv")
                            .arg("--db")
                            .arg(&db)
                            .args(["--client", &history.client.id.to_string()])
                            .args(["--from", &history.range.from().to_string()])
                            .args(["--to", &history.range.to().to_string()])
                            .args(["--runs", &CSV_RUNS.to_string()])
                            .env("PORTAL_BENCH_API_KEY", key.reveal()),
                        CHILD_LIMIT,
                    )
                })
                .and_then(|v| {
                    let records = v["records"].as_u64().unwrap_or(0);
                    if records == expected as u64 {
                        Ok(v)
                    } else {
                        Err(format!(
                            "{name}: {records} CSV records, {expected} expected"
                        ))
                    }
                })
                .map(|v| Measured {
                    times_ms: times(&v),
                    cpu_ms: numbers(&v, "cpu_ms"),
                    peak_rss_kib: v["peak_rss_kib"].as_u64(),
                    bytes: v["csv_bytes"].as_u64(),
                    pages: None,
                    rows: Some(history.entries as u64),
                    note: format!(
                        "resident memory before the first request {}",
                        v["rss_before_kib"].as_u64().map_or_else(
                            || "?".to_owned(),
                            |k| format!("{:.1} MB", k as f64 * 1024.0 / 1e6)
                        )
                    ),
                });
            Case { name, outcome }
        })
        .collect();
    (cases, seeding)
}

/// Runs every case and writes `documents.md` and `results.json` to
/// `options.out`.
///
/// # Errors
/// The output folder cannot be written.
pub(crate) fn run(options: &Options) -> Result<(), String> {
    let out = &options.out;
    let load_before = load_average();
    std::fs::create_dir_all(out).map_err(|e| format!("creating {}: {e}", out.display()))?;
    let [typst_1k, typst_10k] = PDF_SIZES.map(|(entries, runs)| {
        if options.wants("typst") {
            typst(out, entries, runs)
        } else {
            skipped(&format!("typst, {} entries", label(entries)))
        }
    });
    let html: Vec<(usize, usize, PathBuf)> = PDF_SIZES
        .iter()
        .filter_map(|(entries, runs)| match write_html(out, *entries) {
            Ok(path) => Some((*entries, *runs, path)),
            Err(why) => {
                say(&format!("HTML of {entries} entries: {why}"));
                None
            }
        })
        .collect();
    let mut browser = if options.wants("chromium") {
        chromium(options, &html)
    } else {
        vec![
            skipped("Chromium, 1,000 entries"),
            skipped("Chromium, 10,000 entries"),
        ]
    }
    .into_iter();
    let missing = |name: &str| Case {
        name: name.to_owned(),
        outcome: Err("no HTML".to_owned()),
    };
    let chromium_1k = browser
        .next()
        .unwrap_or_else(|| missing("Chromium, 1,000 entries"));
    let chromium_10k = browser
        .next()
        .unwrap_or_else(|| missing("Chromium, 10,000 entries"));
    let weasyprint_1k = if options.wants("weasyprint") {
        html.first().map_or_else(
            || missing("WeasyPrint, 1,000 entries"),
            |(_, _, path)| weasyprint(options, path),
        )
    } else {
        skipped("WeasyPrint, 1,000 entries")
    };
    let (mut csv_cases, seeding) = if options.wants("csv") {
        csv()
    } else {
        (
            vec![skipped("CSV, 10,000 rows"), skipped("CSV, 100,000 rows")],
            String::new(),
        )
    };
    let csv_100k = csv_cases
        .pop()
        .unwrap_or_else(|| missing("CSV, 100,000 rows"));
    let csv_10k = csv_cases
        .pop()
        .unwrap_or_else(|| missing("CSV, 10,000 rows"));
    let load = match (load_before, load_average()) {
        (Some(before), Some(after)) => {
            format!("; load average {before:.1} at the start, {after:.1} at the end")
        }
        _ => String::new(),
    };
    let results = Results {
        machine: format!("{}{load}", machine()),
        date: chrono::Utc::now().format("%Y-%m-%d").to_string(),
        data: DATA.to_owned(),
        typst_1k,
        typst_10k,
        chromium_1k,
        chromium_10k,
        weasyprint_1k,
        csv_10k,
        csv_100k,
        seeding,
    };
    let markdown = results.markdown();
    let file = out.join("documents.md");
    std::fs::write(&file, &markdown).map_err(|e| format!("writing {}: {e}", file.display()))?;
    use std::io::Write as _;
    writeln!(std::io::stdout().lock(), "\n{markdown}").map_err(|e| e.to_string())?;
    say(&format!("written to {}", file.display()));
    Ok(())
}

const DATA: &str = "One client's statement built through the domain (`section_of`, \
    `sheets::statement_sheet`) from a synthetic history over four (1,000 entries) or seven \
    (10,000) years: invoices, payments by transfer, card, debit and cheque, instalments, \
    several invoices paid at once, credit left over, a few refunds, a few invoices never paid, \
    in two sections (EUR and about one in eight in USD), with descriptions that look like \
    typst markup, HTML and formulas, Arabic, Hebrew, Cyrillic and Greek text and emoji. \
    \"Entries\" are the rows of the range; each section adds its opening and closing rows. \
    Chromium and WeasyPrint print the same sheet as one HTML page (a plain table, the same \
    rows, summary and aging, A4, DejaVu Sans from the system).";
