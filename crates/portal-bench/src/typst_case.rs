//! One statement size through typst, in a process of its own so its peak
//! memory is this size's alone.

use std::path::Path;
use std::time::Instant;

use portal_domain::model::Sheet;
use portal_domain::sheets;
use portal_pdf::TypstRenderer;
use serde_json::{Value, json};

use crate::history::history;
use crate::measure::{cpu_ms, status_kib};

/// The seed every engine's statement is made from.
pub(crate) const SEED: u64 = 20_261_128;

fn millis(started: Instant) -> f64 {
    started.elapsed().as_secs_f64() * 1000.0
}

/// Builds the statement of `entries` rows through the domain, renders it
/// once to warm up and `runs` times timed, writes the PDF to `pdf`, and
/// answers the timings, the PDF's size, whether every render gave the same
/// bytes, and the process's peak resident memory.
///
/// # Errors
/// The history, the statement or a render failed, or the PDF could not be
/// written.
pub(crate) fn run(entries: usize, runs: usize, pdf: &Path) -> Result<Value, String> {
    let started = Instant::now();
    let history = history(entries, SEED)?;
    let statement = history.statement()?;
    let sheet = sheets::statement_sheet(
        &history.account,
        history.logo.clone(),
        &history.client,
        &statement,
    )
    .map_err(|e| format!("statement sheet: {e}"))?;
    let sheet_ms = millis(started);
    let rows: usize = sheet.sections.iter().map(|s| s.rows.len()).sum();
    let sections = sheet.sections.len();
    drop((statement, history));
    let sheet = Sheet::Statement(sheet);

    let renderer = TypstRenderer::new(1);
    let warm = Instant::now();
    let first = renderer
        .render_blocking(&sheet)
        .map_err(|e| format!("typst render: {e}"))?;
    let warm_ms = millis(warm);
    let mut times = Vec::with_capacity(runs);
    let mut cpu = Vec::with_capacity(runs);
    let mut deterministic = true;
    for _ in 0..runs {
        let cpu_before = cpu_ms();
        let started = Instant::now();
        let bytes = renderer
            .render_blocking(&sheet)
            .map_err(|e| format!("typst render: {e}"))?;
        times.push(millis(started));
        if let (Some(before), Some(after)) = (cpu_before, cpu_ms()) {
            cpu.push(after - before);
        }
        deterministic &= bytes == first;
    }
    std::fs::write(pdf, &first).map_err(|e| format!("writing {}: {e}", pdf.display()))?;
    Ok(json!({
        "entries": entries,
        "rows": rows,
        "sections": sections,
        "sheet_ms": sheet_ms,
        "warm_up_ms": warm_ms,
        "times_ms": times,
        "cpu_ms": cpu,
        "pdf_bytes": first.len(),
        "deterministic": deterministic,
        "peak_rss_kib": status_kib("VmHWM"),
    }))
}
