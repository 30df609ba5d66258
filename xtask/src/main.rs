//! Project chores, as `cargo xtask <task>`:
//!
//! - `ci`: everything `.ci/run` checks, in its order: formatting, the
//!   test suite (with `CI=true`, so PostgreSQL tests cannot be
//!   skipped), the API fuzz run, lints, dependency policy, and the browser
//!   end-to-end test.
//! - `api-fuzz`: builds the server, starts it on a fresh database and runs
//!   schemathesis against its OpenAPI document (`api_fuzz.rs`).
//! - `e2e`: builds the server and the stand-ins (`portal-stand-ins`: an
//!   SMTP sink and the Authorize.Net fake), installs localstripe when
//!   missing, and runs the Playwright tests in `e2e/`.
//! - `localstripe`: installs the pinned localstripe the Stripe tests and
//!   the browser test share, and prints where (`localstripe.rs`).
//! - `deny`: licences, bans and sources of every dependency (`deny.toml`).
//! - `bench`: the document rendering benchmark (`bench.rs`): statement
//!   PDFs through typst, warm Chromium and WeasyPrint, CSV statements
//!   streamed from SQLite; and the hot-path benchmark (`hot.rs`): the
//!   portal's pages and link redemption under wrk on PostgreSQL and
//!   SQLite beside pgbench's ceilings. The tables go into the README.
//!   `cargo xtask bench --only typst,csv` runs some engines, `--only hot`
//!   (or `portal,document,redeem`) the hot paths only.
//!
//! Only the standard library: this must build fast and never be the thing
//! that breaks.

mod api_fuzz;
mod bench;
mod hot;
mod localstripe;

use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};
use std::time::Instant;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let task = args.first().map_or("help", String::as_str);
    let outcome = match task {
        "ci" => ci(),
        "api-fuzz" => api_fuzz::api_fuzz(),
        "e2e" => e2e(),
        "deny" => deny(),
        "bench" => bench::bench(&args[1..]),
        "localstripe" => localstripe::localstripe(),
        _ => {
            eprintln!("usage: cargo xtask <ci|api-fuzz|e2e|deny|localstripe|bench>");
            return ExitCode::from(2);
        }
    };
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(step) => {
            eprintln!("xtask {task}: {step} failed");
            ExitCode::FAILURE
        }
    }
}

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map_or_else(|| PathBuf::from("."), Path::to_path_buf)
}

/// Where cargo builds: `CARGO_TARGET_DIR`, or `target/` in the workspace.
fn target_dir() -> PathBuf {
    match std::env::var_os("CARGO_TARGET_DIR") {
        Some(dir) => root().join(dir),
        None => root().join("target"),
    }
}

/// Runs `program args…` in the workspace root, timing it; `Err` names the
/// step when it fails.
fn run(step: &str, program: &str, args: &[&str], env: &[(&str, &str)]) -> Result<(), String> {
    let mut command = Command::new(program);
    command
        .args(args)
        .envs(env.iter().copied())
        .current_dir(root());
    run_command(step, &mut command)
}

/// Runs `command`, timing it; `Err` names the step when it fails.
fn run_command(step: &str, command: &mut Command) -> Result<(), String> {
    let program = command.get_program().to_string_lossy().into_owned();
    let args: Vec<String> = command
        .get_args()
        .map(|a| a.to_string_lossy().into_owned())
        .collect();
    eprintln!("==> {step}: {program} {}", args.join(" "));
    let started = Instant::now();
    let status = command
        .status()
        .map_err(|e| format!("{step} (cannot start {program}: {e})"))?;
    eprintln!(
        "<== {step}: {} in {:.0?}",
        if status.success() { "ok" } else { "FAILED" },
        started.elapsed()
    );
    if status.success() {
        Ok(())
    } else {
        Err(step.to_owned())
    }
}

/// The steps of `.ci/run`, in its order (tests before lints, so the lint
/// pass finds dependencies already built; the API fuzz run builds the
/// server the browser test then uses).
fn ci() -> Result<(), String> {
    run("format", "cargo", &["fmt", "--all", "--check"], &[])?;
    run(
        "tests",
        "cargo",
        &["test", "--workspace"],
        &[("CI", "true")],
    )?;
    api_fuzz::api_fuzz()?;
    run(
        "lints",
        "cargo",
        &[
            "clippy",
            "--workspace",
            "--all-targets",
            "--",
            "-D",
            "warnings",
        ],
        &[],
    )?;
    deny()?;
    e2e()
}

fn deny() -> Result<(), String> {
    // Advisories need the advisory database from the network; licences,
    // bans and sources are checked from the lock file alone.
    run(
        "dependency policy",
        "cargo",
        &["deny", "check", "bans", "licenses", "sources"],
        &[],
    )
}

/// Builds `target/debug/portal-server` the way `cargo test --workspace`
/// builds it (with the features the tests unify), so that after the tests
/// this costs nothing: `cargo build --package portal-server` would compile
/// the server's whole dependency tree a second time with other features.
/// The same build makes `target/debug/portal-stand-ins` (its package's
/// integration test runs it).
pub(crate) fn build_server() -> Result<(), String> {
    run(
        "build server",
        "cargo",
        &["test", "--workspace", "--no-run", "--quiet"],
        &[],
    )
}

fn e2e() -> Result<(), String> {
    build_server()?;
    let debug = target_dir().join("debug");
    let (server, stand_ins) = (debug.join("portal-server"), debug.join("portal-stand-ins"));
    for binary in [&server, &stand_ins] {
        if !binary.exists() {
            return Err(format!(
                "browser end-to-end ({} was not built)",
                binary.display()
            ));
        }
    }
    let localstripe = localstripe::venv()?;
    if !root().join("e2e/node_modules").exists() {
        run(
            "e2e dependencies",
            "npm",
            &["ci", "--prefix", "e2e", "--no-audit", "--no-fund"],
            &[],
        )?;
    }
    let (server, stand_ins, localstripe) = (
        server.to_string_lossy(),
        stand_ins.to_string_lossy(),
        localstripe.to_string_lossy(),
    );
    run(
        "browser end-to-end",
        "node",
        &["--test", "e2e/"],
        &[
            ("PORTAL_E2E_SERVER", &server),
            ("PORTAL_E2E_STAND_INS", &stand_ins),
            ("PORTAL_E2E_LOCALSTRIPE", &localstripe),
        ],
    )
}
