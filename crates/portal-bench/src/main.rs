#![doc = include_str!("../README.md")]

mod csv_case;
mod history;
mod hot;
mod html;
mod measure;
mod report;
mod run;
mod typst_case;

use std::io::Write as _;
use std::path::PathBuf;
use std::process::ExitCode;

const USAGE: &str = "usage:
  portal-bench run --out DIR [--chromium PATH --node-prefix DIR --chromium-script FILE]
                   [--weasyprint-python PATH --weasyprint-script FILE]
                   [--only typst,chromium,weasyprint,csv]
  portal-bench hot --out DIR --server PATH --wrk PATH --script FILE
                   [--pgbench PATH] [--psql PATH] [--only portal,document,redeem]
                   [--runs N] [--seconds N] [--warm-up-seconds N]
  portal-bench typst --entries N --runs N --pdf FILE
  portal-bench csv --db FILE --client ID --from DATE --to DATE --runs N
                   (the API key in PORTAL_BENCH_API_KEY)";

/// The value after `--name`, if given.
fn flag(args: &[String], name: &str) -> Option<String> {
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .cloned()
}

fn required(args: &[String], name: &str) -> Result<String, String> {
    flag(args, name).ok_or_else(|| format!("{name} is required\n{USAGE}"))
}

fn number(args: &[String], name: &str) -> Result<usize, String> {
    required(args, name)?
        .parse()
        .map_err(|_| format!("{name} must be a number"))
}

/// One JSON line on standard output, for the parent process.
fn answer(value: &serde_json::Value) -> Result<(), String> {
    writeln!(std::io::stdout().lock(), "{value}").map_err(|e| e.to_string())
}

fn runtime() -> Result<tokio::runtime::Runtime, String> {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| format!("tokio runtime: {e}"))
}

/// A number flag with a default, bounded to `1..=limit`.
fn bounded_number(args: &[String], name: &str, default: u64, limit: u64) -> Result<u64, String> {
    match flag(args, name) {
        None => Ok(default),
        Some(text) => text
            .parse()
            .ok()
            .filter(|n| (1..=limit).contains(n))
            .ok_or_else(|| format!("{name} must be a number from 1 to {limit}")),
    }
}

fn hot_options(args: &[String]) -> Result<hot::Options, String> {
    let paths = match flag(args, "--only") {
        None => hot::HotPath::ALL.to_vec(),
        Some(only) => {
            let names: Vec<&str> = only.split(',').map(str::trim).collect();
            let paths: Vec<hot::HotPath> = hot::HotPath::ALL
                .into_iter()
                .filter(|p| names.contains(&"hot") || names.contains(&p.name()))
                .collect();
            if paths.is_empty() {
                return Err(format!(
                    "--only {only}: none of hot, portal, document, redeem\n{USAGE}"
                ));
            }
            paths
        }
    };
    Ok(hot::Options {
        out: PathBuf::from(required(args, "--out")?),
        server: PathBuf::from(required(args, "--server")?),
        wrk: PathBuf::from(required(args, "--wrk")?),
        script: PathBuf::from(required(args, "--script")?),
        pgbench: flag(args, "--pgbench").map(PathBuf::from),
        psql: flag(args, "--psql").map(PathBuf::from),
        paths,
        runs: usize::try_from(bounded_number(args, "--runs", 5, 50)?).unwrap_or(5),
        seconds: bounded_number(args, "--seconds", 5, 600)?,
        warm_up_seconds: bounded_number(args, "--warm-up-seconds", 2, 600)?,
    })
}

fn main_with(args: &[String]) -> Result<(), String> {
    match args.first().map(String::as_str) {
        Some("run") => run::run(&run::Options {
            out: PathBuf::from(required(args, "--out")?),
            chromium: flag(args, "--chromium").map(PathBuf::from),
            node_prefix: flag(args, "--node-prefix").map(PathBuf::from),
            chromium_script: flag(args, "--chromium-script").map(PathBuf::from),
            weasyprint_python: flag(args, "--weasyprint-python").map(PathBuf::from),
            weasyprint_script: flag(args, "--weasyprint-script").map(PathBuf::from),
            only: flag(args, "--only")
                .map(|o| o.split(',').map(str::to_owned).collect())
                .unwrap_or_default(),
        }),
        Some("hot") => hot::run(&hot_options(args)?),
        Some("typst") => {
            let pdf = PathBuf::from(required(args, "--pdf")?);
            let result =
                typst_case::run(number(args, "--entries")?, number(args, "--runs")?, &pdf)?;
            answer(&result)
        }
        Some("csv") => {
            let target = csv_case::Target {
                client: required(args, "--client")?
                    .parse()
                    .map_err(|e| format!("--client: {e}"))?,
                from: required(args, "--from")?,
                to: required(args, "--to")?,
                key: std::env::var("PORTAL_BENCH_API_KEY")
                    .map_err(|_| "PORTAL_BENCH_API_KEY is not set".to_owned())?,
            };
            let db = PathBuf::from(required(args, "--db")?);
            let runs = number(args, "--runs")?;
            let result = runtime()?.block_on(csv_case::stream(&db, &target, runs))?;
            answer(&result)
        }
        _ => Err(USAGE.to_owned()),
    }
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match main_with(&args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(why) => {
            eprintln!("portal-bench: {why}");
            ExitCode::FAILURE
        }
    }
}
