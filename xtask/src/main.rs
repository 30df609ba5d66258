//! Project chores, as `cargo xtask <task>`:
//!
//! - `ci`: everything `.ci/run` checks, in its order: formatting, the
//!   test suite (with `CI=true`, so PostgreSQL tests cannot be
//!   skipped), lints, dependency policy, and the browser end-to-end test.
//! - `e2e`: builds the server and runs the Playwright test in `e2e/`.
//! - `deny`: licences, bans and sources of every dependency (`deny.toml`).
//!
//! Only the standard library: this must build fast and never be the thing
//! that breaks.

use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};
use std::time::Instant;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let task = args.first().map_or("help", String::as_str);
    let outcome = match task {
        "ci" => ci(),
        "e2e" => e2e(),
        "deny" => deny(),
        _ => {
            eprintln!("usage: cargo xtask <ci|e2e|deny>");
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

/// Runs `program args…` in the workspace root, timing it; `Err` names the
/// step when it fails.
fn run(step: &str, program: &str, args: &[&str], env: &[(&str, &str)]) -> Result<(), String> {
    eprintln!("==> {step}: {program} {}", args.join(" "));
    let started = Instant::now();
    let status = Command::new(program)
        .args(args)
        .envs(env.iter().copied())
        .current_dir(root())
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
/// pass finds dependencies already built).
fn ci() -> Result<(), String> {
    run("format", "cargo", &["fmt", "--all", "--check"], &[])?;
    run(
        "tests",
        "cargo",
        &["test", "--workspace"],
        &[("CI", "true")],
    )?;
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

fn e2e() -> Result<(), String> {
    run(
        "build server",
        "cargo",
        &["build", "--package", "portal-server"],
        &[],
    )?;
    if !root().join("e2e/node_modules").exists() {
        run(
            "e2e dependencies",
            "npm",
            &["ci", "--prefix", "e2e", "--no-audit", "--no-fund"],
            &[],
        )?;
    }
    let server = root().join("target/debug/portal-server");
    let server = server.to_string_lossy();
    run(
        "browser end-to-end",
        "node",
        &["--test", "e2e/"],
        &[("PORTAL_E2E_SERVER", &server)],
    )
}
