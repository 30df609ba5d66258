//! `cargo xtask bench`: the document rendering benchmark of issue 7 and
//! the hot-path benchmark of issue 8 (`hot.rs`).
//!
//! Builds `portal-bench` (and, for the hot paths, `portal-server`) in
//! release in one cargo invocation, installs what the engines need when
//! it is missing (Debian's `chromium`, `fonts-dejavu-core` and
//! `poppler-utils`; playwright-core as pinned by `e2e/package-lock.json`,
//! reusing `e2e/node_modules` when the browser test installed it, else in
//! `<target>/bench-node`; WeasyPrint as pinned by
//! `xtask/bench/weasyprint-requirements.txt` in a virtual environment
//! `<target>/weasyprint-venv-<hash>`, with Debian's Pango; Debian's `wrk`
//! for the hot paths), and runs it. Everything runs on this machine;
//! nothing but the package registries is reached. An engine that cannot
//! be installed is reported as not measured, the rest still run.
//!
//! `--only` picks cases: the document engines `typst`, `chromium`,
//! `weasyprint`, `csv`, and the hot paths `portal`, `document`, `redeem`
//! (`hot` for all three). The document report goes to
//! `<target>/bench/documents.md` and, after a run of every case, replaces
//! the README's section between `<!-- bench:start -->` and
//! `<!-- bench:end -->`; the hot-path report goes to
//! `<target>/bench/hot-paths.md` and, after a run of all three paths with
//! the default runs and durations, replaces the section between
//! `<!-- bench-hot:start -->` and `<!-- bench-hot:end -->`.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use crate::{hot, root, run_command, target_dir};

const CHROMIUM: &str = "/usr/bin/chromium";
const WEASYPRINT_REQUIREMENTS: &str = "xtask/bench/weasyprint-requirements.txt";
/// The README section each report replaces.
pub(crate) const DOCUMENTS_MARKERS: Markers = ("<!-- bench:start -->", "<!-- bench:end -->");
pub(crate) const HOT_MARKERS: Markers = ("<!-- bench-hot:start -->", "<!-- bench-hot:end -->");
/// The cases `--only` names, by benchmark.
const DOCUMENT_CASES: [&str; 4] = ["typst", "chromium", "weasyprint", "csv"];
pub(crate) const HOT_CASES: [&str; 3] = ["portal", "document", "redeem"];
/// Flags of the hot-path benchmark that take a value.
pub(crate) const HOT_FLAGS: [&str; 3] = ["--runs", "--seconds", "--warm-up-seconds"];

/// A README section's start and end markers.
pub(crate) type Markers = (&'static str, &'static str);

/// What one `cargo xtask bench` asked for.
#[derive(Debug, Default)]
struct Selection {
    /// Document engines to run (all when `--only` is not given).
    documents: Vec<&'static str>,
    /// Hot paths to run.
    hot: Vec<&'static str>,
    /// Whether `--only` was given.
    only: bool,
    /// `--runs`, `--seconds`, `--warm-up-seconds` with their values.
    hot_flags: Vec<String>,
}

impl Selection {
    fn parse(args: &[String]) -> Result<Self, String> {
        let mut selection = Self::default();
        let mut names: Option<Vec<String>> = None;
        let mut i = 0;
        while i < args.len() {
            let value = args.get(i + 1).cloned();
            match (args[i].as_str(), value) {
                ("--only", Some(value)) => {
                    names = Some(value.split(',').map(|n| n.trim().to_owned()).collect());
                }
                (flag, Some(value)) if HOT_FLAGS.contains(&flag) => {
                    selection.hot_flags.extend([flag.to_owned(), value]);
                }
                (other, _) => {
                    return Err(format!(
                        "arguments (unknown {other:?}; usage: cargo xtask bench [--only \
                         typst,chromium,weasyprint,csv,hot,portal,document,redeem] \
                         [--runs N] [--seconds N] [--warm-up-seconds N])"
                    ));
                }
            }
            i += 2;
        }
        match names {
            None => {
                selection.documents = DOCUMENT_CASES.to_vec();
                selection.hot = HOT_CASES.to_vec();
            }
            Some(names) => {
                selection.only = true;
                for name in &names {
                    let known = DOCUMENT_CASES.contains(&name.as_str())
                        || HOT_CASES.contains(&name.as_str())
                        || name == "hot";
                    if !known {
                        return Err(format!("arguments (--only: unknown case {name:?})"));
                    }
                }
                let named = |case: &str| names.iter().any(|n| n == case);
                selection.documents = DOCUMENT_CASES.into_iter().filter(|c| named(c)).collect();
                selection.hot = HOT_CASES
                    .into_iter()
                    .filter(|c| named(c) || named("hot"))
                    .collect();
            }
        }
        Ok(selection)
    }

    /// Whether every document engine runs: the README's section is then
    /// rewritten.
    fn all_documents(&self) -> bool {
        !self.only
    }

    /// Whether all three hot paths run with the default runs and times.
    fn all_hot(&self) -> bool {
        self.hot.len() == HOT_CASES.len() && self.hot_flags.is_empty()
    }
}

/// Runs what `args` select (`--only …`, and for the hot paths `--runs`,
/// `--seconds`, `--warm-up-seconds`); a run that measures only part of a
/// benchmark leaves its README section as it is.
pub(crate) fn bench(args: &[String]) -> Result<(), String> {
    let selection = Selection::parse(args)?;
    let mut build = vec!["build", "--release", "--package", "portal-bench"];
    if !selection.hot.is_empty() {
        build.extend(["--package", "portal-server"]);
    }
    let what = if selection.hot.is_empty() {
        "build portal-bench (release)"
    } else {
        "build portal-bench and portal-server (release)"
    };
    run_command(what, Command::new("cargo").args(&build).current_dir(root()))?;
    if !selection.documents.is_empty() {
        documents(&selection)?;
    }
    if !selection.hot.is_empty() {
        hot::bench(&selection.hot, &selection.hot_flags, selection.all_hot())?;
    }
    Ok(())
}

/// The document rendering benchmark, for the engines selected.
fn documents(selection: &Selection) -> Result<(), String> {
    let binary = target_dir().join("release/portal-bench");
    let out = target_dir().join("bench");
    // Page counts; best effort: the benchmark counts pages itself without.
    if let Err(step) = apt(&["poppler-utils"]) {
        eprintln!("bench: {step} failed; pages are counted from the PDF objects");
    }
    let wants = |engine: &str| selection.documents.contains(&engine);
    let mut command = Command::new(&binary);
    command.arg("run").arg("--out").arg(&out);
    if selection.only {
        command.args(["--only", &selection.documents.join(",")]);
    }
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
    if !selection.all_documents() {
        eprintln!("bench: a partial run of the documents: the README is left as it is");
        return Ok(());
    }
    let report = std::fs::read_to_string(out.join("documents.md"))
        .map_err(|e| format!("reading the report ({e})"))?;
    update_readme(&root().join("README.md"), &report, DOCUMENTS_MARKERS)
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
pub(crate) fn apt(packages: &[&str]) -> Result<(), String> {
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

/// Replaces what lies between `markers` in `readme` with `report`.
pub(crate) fn update_readme(readme: &Path, report: &str, markers: Markers) -> Result<(), String> {
    let (start, end) = markers;
    let text = std::fs::read_to_string(readme)
        .map_err(|e| format!("README ({}: {e})", readme.display()))?;
    let updated = splice(&text, report, markers).ok_or_else(|| {
        format!(
            "README (no {start} … {end} section in {})",
            readme.display()
        )
    })?;
    if updated != text {
        std::fs::write(readme, updated)
            .map_err(|e| format!("README ({}: {e})", readme.display()))?;
    }
    eprintln!("bench: README section {start} updated");
    Ok(())
}

fn splice(text: &str, report: &str, (start_marker, end_marker): Markers) -> Option<String> {
    let start = text.find(start_marker)? + start_marker.len();
    let end = start + text[start..].find(end_marker)?;
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
        let readme = "# Portal\n\nIntro.\n\n## Document rendering benchmark\n\n<!-- bench:start -->\nold table\n<!-- bench:end -->\n\n## Hot paths\n\n<!-- bench-hot:start -->\nold hot\n<!-- bench-hot:end -->\n\n## Licence\n";
        let updated = splice(readme, "| new | table |\n", DOCUMENTS_MARKERS).unwrap();
        assert_eq!(
            updated,
            "# Portal\n\nIntro.\n\n## Document rendering benchmark\n\n<!-- bench:start -->\n| new | table |\n<!-- bench:end -->\n\n## Hot paths\n\n<!-- bench-hot:start -->\nold hot\n<!-- bench-hot:end -->\n\n## Licence\n"
        );
        assert_eq!(
            splice(&updated, "| new | table |", DOCUMENTS_MARKERS).unwrap(),
            updated
        );
        let hot = splice(&updated, "| hot |", HOT_MARKERS).unwrap();
        assert!(hot.contains("<!-- bench-hot:start -->\n| hot |\n<!-- bench-hot:end -->"));
        assert!(hot.contains("| new | table |"));
        assert!(splice("no markers", "x", DOCUMENTS_MARKERS).is_none());
    }

    fn args(text: &str) -> Vec<String> {
        text.split_whitespace().map(str::to_owned).collect()
    }

    #[test]
    fn only_picks_cases_of_either_benchmark() {
        let all = Selection::parse(&[]).unwrap();
        assert_eq!(all.documents, DOCUMENT_CASES);
        assert_eq!(all.hot, HOT_CASES);
        assert!(all.all_documents() && all.all_hot());

        let hot = Selection::parse(&args("--only hot")).unwrap();
        assert!(hot.documents.is_empty());
        assert_eq!(hot.hot, HOT_CASES);
        assert!(hot.all_hot() && !hot.all_documents());

        let some = Selection::parse(&args("--only typst,redeem --seconds 2")).unwrap();
        assert_eq!(some.documents, ["typst"]);
        assert_eq!(some.hot, ["redeem"]);
        assert_eq!(some.hot_flags, ["--seconds", "2"]);
        assert!(!some.all_hot());

        let short = Selection::parse(&args("--only portal,document,redeem --runs 1")).unwrap();
        assert_eq!(short.hot, HOT_CASES);
        assert!(!short.all_hot());

        assert!(Selection::parse(&args("--only pdf")).is_err());
        assert!(Selection::parse(&args("--fast")).is_err());
    }
}
