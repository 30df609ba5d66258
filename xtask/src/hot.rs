//! The hot-path part of `cargo xtask bench` (issue 8): installs Debian's
//! `wrk` when missing, finds `pgbench` and `psql` of the local PostgreSQL
//! (`/usr/lib/postgresql/<version>/bin`, newest first, then `PATH`), and
//! runs `portal-bench hot` against the release `portal-server`. Without
//! psql only SQLite is measured; without pgbench there are no ceilings.
//! After a run of all three paths with the default runs and durations,
//! the report replaces the README's section between
//! `<!-- bench-hot:start -->` and `<!-- bench-hot:end -->`.

use std::path::PathBuf;
use std::process::Command;

use crate::bench::{HOT_MARKERS, apt, update_readme};
use crate::{root, run_command, target_dir};

/// Runs the hot-path benchmark on `paths` (`portal`, `document`,
/// `redeem`), passing `flags` (`--runs N` and the like) through.
pub(crate) fn bench(paths: &[&str], flags: &[String], complete: bool) -> Result<(), String> {
    let wrk = wrk()?;
    let pgbench = postgres_tool("pgbench");
    let psql = postgres_tool("psql");
    let release = target_dir().join("release");
    let out = target_dir().join("bench");
    let mut command = Command::new(release.join("portal-bench"));
    command
        .arg("hot")
        .arg("--out")
        .arg(&out)
        .arg("--server")
        .arg(release.join("portal-server"))
        .arg("--wrk")
        .arg(wrk)
        .arg("--script")
        .arg(root().join("xtask/bench/hot.lua"))
        .args(["--only", &paths.join(",")])
        .args(flags);
    match &pgbench {
        Some(pgbench) => {
            command.arg("--pgbench").arg(pgbench);
        }
        None => eprintln!("bench: no pgbench found; the ceilings are not measured"),
    }
    match &psql {
        Some(psql) => {
            command.arg("--psql").arg(psql);
        }
        None => eprintln!("bench: no psql found; PostgreSQL is not measured"),
    }
    run_command("hot-path benchmark", command.current_dir(root()))?;
    if !complete {
        eprintln!("bench: a partial run of the hot paths: the README is left as it is");
        return Ok(());
    }
    let report = std::fs::read_to_string(out.join("hot-paths.md"))
        .map_err(|e| format!("reading the hot-path report ({e})"))?;
    update_readme(&root().join("README.md"), &report, HOT_MARKERS)
}

/// `name` on `PATH`.
fn on_path(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join(name))
        .find(|candidate| candidate.is_file())
}

/// wrk, installed from Debian when missing.
fn wrk() -> Result<PathBuf, String> {
    if let Some(wrk) = on_path("wrk") {
        return Ok(wrk);
    }
    apt(&["wrk"])?;
    on_path("wrk").ok_or_else(|| "install wrk (not on PATH after installing)".to_owned())
}

/// A client program of the local PostgreSQL server: the newest
/// `/usr/lib/postgresql/<version>/bin/<name>`, else `name` on `PATH`.
fn postgres_tool(name: &str) -> Option<PathBuf> {
    let mut versions: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .filter_map(Result::ok)
        .filter_map(|entry| {
            let version = entry.file_name().to_string_lossy().parse().ok()?;
            let tool = entry.path().join("bin").join(name);
            tool.is_file().then_some((version, tool))
        })
        .collect();
    versions.sort();
    versions
        .pop()
        .map(|(_, tool)| tool)
        .or_else(|| on_path(name))
}
