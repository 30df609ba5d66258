//! `cargo xtask localstripe`: installs the pinned localstripe (the fake
//! Stripe API the Stripe tests and the browser test run against) and
//! prints where.
//!
//! It is the virtual environment the Rust tests' launcher
//! (`portal_test_support::localstripe`) uses, so one install serves both:
//! `<target>/localstripe-venv-<hash>`, where the hash is the 64-bit FNV-1a
//! of `crates/portal-test-support/localstripe-requirements.txt`, written
//! as 16 hexadecimal digits; a changed pin makes a new environment. It is
//! built in a folder of its own and renamed into place, so a concurrent
//! install never leaves a half-made one. Run its Python
//! (`bin/python -m localstripe`): the environment was moved after pip
//! wrote its scripts, so `bin/localstripe` names a folder that is gone.

use std::path::PathBuf;
use std::process::Command;

use crate::{root, run_command, target_dir};

const REQUIREMENTS: &str = "crates/portal-test-support/localstripe-requirements.txt";

pub(crate) fn localstripe() -> Result<(), String> {
    let venv = venv()?;
    let mut out = std::io::stdout().lock();
    std::io::Write::write_all(&mut out, format!("{}\n", venv.display()).as_bytes())
        .map_err(|e| format!("localstripe (cannot print: {e})"))
}

/// The virtual environment holding the pinned localstripe, installed
/// first when missing.
pub(crate) fn venv() -> Result<PathBuf, String> {
    pinned_venv("localstripe", REQUIREMENTS)
}

/// `<target>/<name>-venv-<hash of the pins>`: a virtual environment with
/// the packages pinned in `requirements` (a path from the workspace
/// root), built in a folder of its own and renamed into place when
/// missing, so a concurrent install never leaves a half-made one.
pub(crate) fn pinned_venv(name: &str, requirements: &str) -> Result<PathBuf, String> {
    let requirements = root().join(requirements);
    let pins = std::fs::read(&requirements)
        .map_err(|e| format!("{name} (cannot read {}: {e})", requirements.display()))?;
    let target = target_dir();
    let venv = target.join(format!("{name}-venv-{:016x}", fnv1a(&pins)));
    if venv.join("bin/python").exists() {
        return Ok(venv);
    }
    std::fs::create_dir_all(&target)
        .map_err(|e| format!("{name} (cannot create {}: {e})", target.display()))?;
    let building = target.join(format!("{name}-venv-building-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&building);
    let built = run_command(
        &format!("{name} virtual environment"),
        Command::new("python3").arg("-m").arg("venv").arg(&building),
    )
    .and_then(|()| {
        run_command(
            &format!("{name} install (pinned)"),
            Command::new(building.join("bin/python"))
                .args(["-m", "pip", "install", "--quiet"])
                .arg("--disable-pip-version-check")
                .arg("--requirement")
                .arg(&requirements),
        )
    });
    if let Err(step) = built {
        let _ = std::fs::remove_dir_all(&building);
        return Err(step);
    }
    if std::fs::rename(&building, &venv).is_err() {
        // Another install finished first: use that one.
        let _ = std::fs::remove_dir_all(&building);
    }
    if venv.join("bin/python").exists() {
        Ok(venv)
    } else {
        Err(format!(
            "{name} (no Python in {} after installing)",
            venv.display()
        ))
    }
}

/// 64-bit FNV-1a, as the tests' launcher names the environment.
pub(crate) fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |hash, byte| {
        (hash ^ u64::from(*byte)).wrapping_mul(0x0100_0000_01b3)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_hash_is_fnv1a_64() {
        // Published test vectors of FNV-1a, 64 bits.
        assert_eq!(fnv1a(b""), 0xcbf2_9ce4_8422_2325);
        assert_eq!(fnv1a(b"a"), 0xaf63_dc4c_8601_ec8c);
        assert_eq!(fnv1a(b"foobar"), 0x8594_4171_f739_67e8);
    }
}
