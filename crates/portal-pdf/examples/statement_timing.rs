//! Times statement renders: `cargo run --release -p portal-pdf --example
//! statement_timing -- [rows] [runs] [out.pdf]`. Prints the median and
//! slowest render, the PDF's size and the process's peak memory.

#![allow(clippy::print_stdout)]

use std::time::Instant;

use chrono::{TimeZone as _, Utc};
use portal_domain::model::{
    Fact, Letterhead, Sheet, SheetMeta, SheetRow, SheetSection, StatementSheet,
};
use portal_pdf::TypstRenderer;

fn statement(rows: usize) -> Sheet {
    let rows = (0..rows)
        .map(|i| {
            let invoice = i % 3 != 2;
            SheetRow {
                date: format!("{} Mar 2026", i % 28 + 1),
                kind: if invoice { "Invoice" } else { "Payment" }.into(),
                reference: format!("INV-{i:05}"),
                description: format!("Consulting, week {} (project {})", i % 52 + 1, i % 17),
                debit: if invoice {
                    format!("${},{:03}.00", i % 9 + 1, i % 1000)
                } else {
                    String::new()
                },
                credit: if invoice {
                    String::new()
                } else {
                    format!("${}.50", i % 900 + 10)
                },
                balance: format!("${},{:03}.00", i / 100 + 1, i % 1000),
            }
        })
        .collect();
    let fact = |label: &str, value: &str| Fact::new(label, value);
    Sheet::Statement(StatementSheet {
        meta: SheetMeta::new(
            "Statement for Globex Corporation, 1 Jan 2026 – 26 Nov 2026".into(),
            "Acme Design Studio".into(),
            Utc.with_ymd_and_hms(2026, 11, 26, 9, 0, 0).unwrap(),
        ),
        letterhead: Letterhead {
            business: "Acme Design Studio".into(),
            address: vec!["12 Harbour Street".into(), "Bristol BS1 4RN".into()],
            accent: "#1f4e79".into(),
            logo: None,
        },
        bill_to: vec!["Globex Corporation".into()],
        period: "1 Jan 2026 – 26 Nov 2026".into(),
        facts: vec![fact("Generated", "26 Nov 2026 09:00 UTC")],
        sections: vec![SheetSection {
            currency: "USD".into(),
            rows,
            summary: vec![
                fact("Opening balance", "$0.00"),
                fact("Closing balance", "$1,234.00"),
            ],
            aging: vec![fact("Current", "$1,234.00"), fact("Total due", "$1,234.00")],
        }],
        empty: None,
    })
}

fn peak_rss_mib() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|status| {
            let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
            line.split_whitespace().nth(1)?.parse::<f64>().ok()
        })
        .map_or(f64::NAN, |kib| kib / 1024.0)
}

/// CPU time this process has used, in milliseconds (10 ms ticks).
fn thread_cpu_ms() -> f64 {
    std::fs::read_to_string("/proc/self/stat")
        .ok()
        .and_then(|stat| {
            let after = stat.rsplit_once(')')?.1;
            let fields: Vec<&str> = after.split_whitespace().collect();
            let user: f64 = fields.get(11)?.parse().ok()?;
            let system: f64 = fields.get(12)?.parse().ok()?;
            Some((user + system) * 10.0)
        })
        .unwrap_or(f64::NAN)
}

fn main() {
    let mut args = std::env::args().skip(1);
    let rows: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(1000);
    let runs: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(11);
    let out = args.next();
    let sheet = statement(rows);
    let renderer = TypstRenderer::new(1);
    let started = Instant::now();
    let pdf = renderer
        .render_blocking(&sheet)
        .expect("the statement renders");
    let first = started.elapsed().as_secs_f64() * 1000.0;
    let cpu = thread_cpu_ms();
    let mut times: Vec<f64> = (0..runs)
        .map(|_| {
            let started = Instant::now();
            let again = renderer
                .render_blocking(&sheet)
                .expect("the statement renders");
            assert_eq!(again, pdf, "renders are deterministic");
            started.elapsed().as_secs_f64() * 1000.0
        })
        .collect();
    let cpu_per_run = (thread_cpu_ms() - cpu) / runs.max(1) as f64;
    times.sort_by(f64::total_cmp);
    let median = times.get(times.len() / 2).copied().unwrap_or(first);
    let slowest = times.last().copied().unwrap_or(first);
    if let Some(out) = out {
        std::fs::write(&out, &pdf).expect("the PDF is written");
    }
    println!(
        "{rows} rows: first {first:.0} ms, median {median:.0} ms, slowest {slowest:.0} ms over {runs} runs (CPU {cpu_per_run:.0} ms a run); PDF {:.0} KiB; peak RSS {:.0} MiB",
        pdf.len() as f64 / 1024.0,
        peak_rss_mib()
    );
}
