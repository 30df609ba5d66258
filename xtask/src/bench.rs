//! `cargo xtask bench`: the document rendering benchmark of issue 7.
//!
//! Builds `portal-bench` in release, installs what the other engines need
//! when it is missing (Debian's `chromium`, `fonts-dejavu-core` and
//! `poppler-utils`; playwright-core as pinned by `e2e/package-lock.json`,
//! reusing `e2e/node_modules` when the browser test installed it, else in
//! `<target>/bench-node`; WeasyPrint as pinned by
//! `xtask/bench/weasyprint-requirements.txt` in a virtual environment
//! `<target>/weasyprint-venv-<hash>`, with Debian's Pango), and runs it.
//! Everything runs on this machine; nothing but the package registries
//! is reached. An engine that cannot be installed is reported as not
//! measured, the rest still run.
//!
//! The report goes to `<target>/bench/documents.md` and, after a run of
//! every engine, replaces the README's section between
//! `<!-- bench:start -->` and `<!-- bench:end -->`.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use crate::{root, run, run_command, target_dir};

const CHROMIUM: &str = "/usr/bin/chromium";
const WEASYPRINT_REQUIREMENTS: &str = "xtask/bench/weasyprint-requirements.txt";
const START: &str = "<!-- bench:start -->";
const END: &str = "<!-- bench:end -->";

/// `args` go to `portal-bench run` (`--only typst,chromium,weasyprint,csv`);
/// a run given any measures only part, and leaves the README as it is.
pub(crate) fn bench(args: &[String]) -> Result<(), String> {
    run(
        "build portal-bench (release)",
        "cargo",
        &["build", "--release", "--package", "portal-bench"],
        &[],
    )?;
    let binary = target_dir().join("release/portal-bench");
    let out = target_dir().join("bench");
    // Page counts; best effort: the benchmark counts pages itself without.
    if let Err(step) = apt(&["poppler-utils"]) {
        eprintln!("bench: {step} failed; pages are counted from the PDF objects");
    }
    let only = args
        .iter()
        .position(|a| a == "--only")
        .and_then(|i| args.get(i + 1));
    let wants = |engine: &str| only.is_none_or(|o| o.split(',').any(|e| e == engine));
    let mut command = Command::new(&binary);
    command.arg("run").arg("--out").arg(&out).args(args);
    if wants("chromium") {
        match chromium() {
            Ok((browser, prefix)) => {
                command
                    .arg("--chromium")
                    .arg(browser)
                    .arg("--node-prefix")
                    .arg(prefix)
                    .arg("--chromium-script")
                    .arg(root().join("xtask/bench/chromium-pdf.mjs"));
            }
            Err(step) => eprintln!("bench: {step} failed; Chromium is not measured"),
        }
    }
    if wants("weasyprint") {
        match weasyprint() {
            Ok(python) => {
                command
                    .arg("--weasyprint-python")
                    .arg(python)
                    .arg("--weasyprint-script")
                    .arg(root().join("xtask/bench/weasyprint-pdf.py"));
            }
            Err(step) => eprintln!("bench: {step} failed; WeasyPrint is not measured"),
        }
    }
    run_command("benchmark", command.current_dir(root()))?;
    if !args.is_empty() {
        eprintln!("bench: a partial run: the README is left as it is");
        return Ok(());
    }
    let report = std::fs::read_to_string(out.join("documents.md"))
        .map_err(|e| format!("reading the report ({e})"))?;
    update_readme(&root().join("README.md"), &report)
}

/// Whether Debian has `package` installed.
fn installed(package: &str) -> bool {
    Command::new("dpkg-query")
        .args(["-W", "-f=${Status}", package])
        .stderr(Stdio::null())
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).contains("install ok installed"))
}

/// Installs the Debian packages among `packages` that are missing.
fn apt(packages: &[&str]) -> Result<(), String> {
    let missing: Vec<&str> = packages.iter().copied().filter(|p| !installed(p)).collect();
    if missing.is_empty() {
        return Ok(());
    }
    let step = format!("install {}", missing.join(" "));
    run_command(&step, Command::new("apt-get").args(["update", "--quiet"]))
        .map_err(|_| step.clone())?;
    run_command(
        &step,
        Command::new("apt-get")
            .args(["install", "--yes", "--quiet", "--no-install-recommends"])
            .args(&missing)
            .env("DEBIAN_FRONTEND", "noninteractive"),
    )
}

/// The browser and the folder whose `node_modules` has playwright-core.
fn chromium() -> Result<(PathBuf, PathBuf), String> {
    let mut packages = vec!["fonts-dejavu-core"];
    if !Path::new(CHROMIUM).exists() {
        packages.push("chromium");
    }
    apt(&packages)?;
    let e2e = root().join("e2e");
    if e2e.join("node_modules/playwright-core").exists() {
        return Ok((PathBuf::from(CHROMIUM), e2e));
    }
    let prefix = target_dir().join("bench-node");
    if !prefix.join("node_modules/playwright-core").exists() {
        std::fs::create_dir_all(&prefix)
            .map_err(|e| format!("playwright-core ({}: {e})", prefix.display()))?;
        for file in ["package.json", "package-lock.json"] {
            std::fs::copy(e2e.join(file), prefix.join(file))
                .map_err(|e| format!("playwright-core (copying e2e/{file}: {e})"))?;
        }
        run_command(
            "playwright-core (pinned by e2e/package-lock.json)",
            Command::new("npm")
                .args(["ci", "--no-audit", "--no-fund", "--prefix"])
                .arg(&prefix),
        )?;
    }
    Ok((PathBuf::from(CHROMIUM), prefix))
}

/// The Python of the virtual environment holding the pinned WeasyPrint,
/// installed first when missing.
fn weasyprint() -> Result<PathBuf, String> {
    apt(&["libpango-1.0-0", "libpangoft2-1.0-0", "fonts-dejavu-core"])?;
    let venv = crate::localstripe::pinned_venv("weasyprint", WEASYPRINT_REQUIREMENTS)?;
    Ok(venv.join("bin/python"))
}

/// Replaces what lies between the markers in `readme` with `report`.
fn update_readme(readme: &Path, report: &str) -> Result<(), String> {
    let text = std::fs::read_to_string(readme)
        .map_err(|e| format!("README ({}: {e})", readme.display()))?;
    let updated = splice(&text, report).ok_or_else(|| {
        format!(
            "README (no {START} … {END} section in {})",
            readme.display()
        )
    })?;
    if updated != text {
        std::fs::write(readme, updated)
            .map_err(|e| format!("README ({}: {e})", readme.display()))?;
    }
    eprintln!("bench: README section updated");
    Ok(())
}

fn splice(text: &str, report: &str) -> Option<String> {
    let start = text.find(START)? + START.len();
    let end = start + text[start..].find(END)?;
    Some(format!(
        "{}\n{}\n{}",
        &text[..start],
        report.trim(),
        &text[end..]
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_report_replaces_only_the_marked_section() {
        let readme = "# Portal\n\nIntro.\n\n## Document rendering benchmark\n\n<!-- bench:start -->\nold table\n<!-- bench:end -->\n\n## Licence\n";
        let updated = splice(readme, "| new | table |\n").unwrap();
        assert_eq!(
            updated,
            "# Portal\n\nIntro.\n\n## Document rendering benchmark\n\n<!-- bench:start -->\n| new | table |\n<!-- bench:end -->\n\n## Licence\n"
        );
        assert_eq!(splice(&updated, "| new | table |").unwrap(), updated);
        assert!(splice("no markers", "x").is_none());
    }
}
