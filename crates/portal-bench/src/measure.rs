//! Measuring: medians, peak memory, child processes with a time limit,
//! PDF page counts and what machine this is.

use std::io::Read as _;
use std::path::Path;
use std::process::{Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

/// The `q` quantile (0..=1) of `samples` by the nearest-rank method; 0
/// when there are none.
pub(crate) fn quantile(samples: &[f64], q: f64) -> f64 {
    let mut sorted = samples.to_vec();
    sorted.sort_by(f64::total_cmp);
    if sorted.is_empty() {
        return 0.0;
    }
    #[allow(
        clippy::cast_possible_truncation,
        clippy::cast_sign_loss,
        clippy::cast_precision_loss
    )]
    let rank = ((q * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len());
    sorted[rank - 1]
}

/// The median: for an even count, the mean of the two middle samples.
pub(crate) fn median(samples: &[f64]) -> f64 {
    let mut sorted = samples.to_vec();
    sorted.sort_by(f64::total_cmp);
    match sorted.len() {
        0 => 0.0,
        n if !n.is_multiple_of(2) => sorted[n / 2],
        n => f64::midpoint(sorted[n / 2 - 1], sorted[n / 2]),
    }
}

/// A field of `/proc/self/status` in KiB (`VmHWM`: peak resident set).
pub(crate) fn status_kib(field: &str) -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    status
        .lines()
        .find_map(|line| line.strip_prefix(field)?.strip_prefix(':'))
        .and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse().ok())
}

/// CPU time this process has used so far, user and system, all threads
/// (`/proc/self/stat`, in clock ticks of 10 ms).
pub(crate) fn cpu_ms() -> Option<f64> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    // The command name may hold spaces: count fields after its `)`.
    let fields: Vec<&str> = stat.get(stat.rfind(')')? + 2..)?.split(' ').collect();
    let ticks = fields.get(11)?.parse::<u64>().ok()? + fields.get(12)?.parse::<u64>().ok()?;
    #[allow(clippy::cast_precision_loss)]
    Some(ticks as f64 * 10.0)
}

/// What a finished child printed.
#[derive(Debug)]
pub(crate) struct Output {
    pub(crate) status: ExitStatus,
    pub(crate) stdout: String,
    pub(crate) stderr: String,
}

/// Runs `command` to its end, or kills it after `limit`; both outputs
/// captured.
///
/// # Errors
/// It cannot start, or ran past `limit`.
pub(crate) fn bounded(
    what: &str,
    command: &mut Command,
    limit: Duration,
) -> Result<Output, String> {
    let mut child = command
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("{what}: cannot start {:?}: {e}", command.get_program()))?;
    // Read on threads: a child that fills a pipe must not stall.
    let drain = |pipe: Option<Box<dyn std::io::Read + Send>>| {
        std::thread::spawn(move || {
            let mut text = String::new();
            if let Some(mut pipe) = pipe {
                let _ = pipe.read_to_string(&mut text);
            }
            text
        })
    };
    let stdout = drain(child.stdout.take().map(|p| Box::new(p) as _));
    let stderr = drain(child.stderr.take().map(|p| Box::new(p) as _));
    let started = Instant::now();
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break status,
            Ok(None) if started.elapsed() > limit => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(format!("{what}: stopped after {limit:?}"));
            }
            Ok(None) => std::thread::sleep(Duration::from_millis(10)),
            Err(e) => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(format!("{what}: {e}"));
            }
        }
    };
    Ok(Output {
        status,
        stdout: stdout.join().unwrap_or_default(),
        stderr: stderr.join().unwrap_or_default(),
    })
}

/// Like [`bounded`], and the command must succeed.
///
/// # Errors
/// As for [`bounded`], or it failed (its standard error is quoted).
pub(crate) fn checked(
    what: &str,
    command: &mut Command,
    limit: Duration,
) -> Result<Output, String> {
    let output = bounded(what, command, limit)?;
    if output.status.success() {
        Ok(output)
    } else {
        Err(format!(
            "{what}: exited with {}: {}",
            output.status,
            output.stderr.trim()
        ))
    }
}

/// Runs `command` with a time limit; its standard output must be one JSON
/// object, and its standard error is printed after it ends.
///
/// # Errors
/// It could not start, ran past `limit` (it is killed), failed, or
/// printed something else.
pub(crate) fn run_json(
    what: &str,
    command: &mut Command,
    limit: Duration,
) -> Result<Value, String> {
    let output = bounded(what, command, limit)?;
    eprint!("{}", output.stderr);
    if !output.status.success() {
        return Err(format!("{what}: exited with {}", output.status));
    }
    let text = output.stdout;
    let line = text.lines().rev().find(|l| l.trim_start().starts_with('{'));
    line.and_then(|l| serde_json::from_str(l).ok())
        .ok_or_else(|| format!("{what}: printed no result ({:?})", text.trim()))
}

/// How many pages a PDF has: `pdfinfo` when it is installed, else the
/// page objects in the file.
pub(crate) fn pdf_pages(path: &Path) -> Option<u64> {
    let info = Command::new("pdfinfo")
        .arg(path)
        .stderr(Stdio::null())
        .output()
        .ok()
        .filter(|o| o.status.success())
        .and_then(|o| String::from_utf8(o.stdout).ok());
    if let Some(info) = info {
        return info
            .lines()
            .find_map(|l| l.strip_prefix("Pages:"))
            .and_then(|n| n.trim().parse().ok());
    }
    let bytes = std::fs::read(path).ok()?;
    let mut pages = 0;
    for (i, _) in bytes.windows(5).enumerate().filter(|(_, w)| *w == b"/Type") {
        let rest = &bytes[i + 5..];
        let start = rest.iter().position(|b| !b.is_ascii_whitespace())?;
        let rest = &rest[start..];
        if rest.starts_with(b"/Page") && !rest[5..].first().is_some_and(u8::is_ascii_alphabetic) {
            pages += 1;
        }
    }
    Some(pages)
}

/// The one-minute load average: above the core count, other work shared
/// the processors with the benchmark.
pub(crate) fn load_average() -> Option<f64> {
    std::fs::read_to_string("/proc/loadavg")
        .ok()?
        .split_whitespace()
        .next()?
        .parse()
        .ok()
}

/// The machine: cores, processor model and memory.
pub(crate) fn machine() -> String {
    let cores = std::thread::available_parallelism().map_or(0, std::num::NonZero::get);
    let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let model = cpuinfo
        .lines()
        .find_map(|l| l.strip_prefix("model name"))
        .and_then(|l| l.split_once(':'))
        .map_or("unknown processor", |(_, m)| m.trim())
        .to_owned();
    let memory = std::fs::read_to_string("/proc/meminfo")
        .unwrap_or_default()
        .lines()
        .find_map(|l| l.strip_prefix("MemTotal:"))
        .and_then(|m| m.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        .map_or_else(String::new, |kib| {
            format!(", {} GiB memory", (kib + 512 * 1024) / (1024 * 1024))
        });
    format!("{cores} cores ({model}){memory}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantiles_are_nearest_rank() {
        let samples = [5.0, 1.0, 3.0, 2.0, 4.0];
        assert!((median(&samples) - 3.0).abs() < f64::EPSILON);
        assert!((quantile(&samples, 0.9) - 5.0).abs() < f64::EPSILON);
        assert!((median(&[1.0, 2.0]) - 1.5).abs() < f64::EPSILON);
        let fifteen: Vec<f64> = (1..=15).map(f64::from).collect();
        assert!((quantile(&fifteen, 0.9) - 14.0).abs() < f64::EPSILON);
    }
}
