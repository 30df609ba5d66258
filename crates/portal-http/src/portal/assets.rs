//! The portal's own scripts, compiled into the binary and served under
//! `/portal/assets/`. Only payment pages load them (their policy allows
//! scripts from this server); every URL carries a hash of the file, so a
//! browser may keep it for a year and still never runs an old one.

use axum::extract::{Path, Query};
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

use super::error::PageError;

/// A script of the portal's.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Script {
    name: &'static str,
    body: &'static str,
    version: u64,
}

impl Script {
    const fn new(name: &'static str, body: &'static str) -> Self {
        Self {
            name,
            body,
            version: fnv1a(body.as_bytes()),
        }
    }

    /// Where a page loads it from: a URL that changes with the file.
    pub(crate) fn src(&self) -> String {
        format!("/portal/assets/{}?v={:016x}", self.name, self.version)
    }
}

/// The pay and add-method forms: hands the card to the processor's script
/// and posts only its token.
pub(crate) const PAY: Script = Script::new("pay.js", include_str!("../../assets/pay.js"));

/// The 3-D Secure step of a processor whose script runs the challenge.
pub(crate) const CHALLENGE: Script =
    Script::new("challenge.js", include_str!("../../assets/challenge.js"));

/// The in-process test processor's tokenizer.
pub(crate) const TEST_PROCESSOR: Script = Script::new(
    "test-processor.js",
    include_str!("../../assets/test-processor.js"),
);

const SCRIPTS: [Script; 3] = [PAY, CHALLENGE, TEST_PROCESSOR];

/// FNV-1a, 64 bits: enough to tell one version of a file from another.
const fn fnv1a(bytes: &[u8]) -> u64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    let mut i = 0;
    while i < bytes.len() {
        hash ^= bytes[i] as u64;
        hash = hash.wrapping_mul(0x0100_0000_01b3);
        i += 1;
    }
    hash
}

#[derive(Debug, Deserialize)]
pub(crate) struct Version {
    v: Option<String>,
}

/// `GET /portal/assets/{name}`: the script, as JavaScript, cached for a
/// year when asked for by its current version, for a minute otherwise.
pub(crate) async fn script(
    Path(name): Path<String>,
    Query(version): Query<Version>,
) -> Result<Response, PageError> {
    let script = SCRIPTS
        .iter()
        .find(|s| s.name == name)
        .ok_or(PageError::NotFound)?;
    let current = version.v.as_deref() == Some(&format!("{:016x}", script.version));
    let mut response = script.body.into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/javascript; charset=utf-8"),
    );
    headers.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static(if current {
            "public, max-age=31536000, immutable"
        } else {
            "public, max-age=60"
        }),
    );
    Ok(response)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_version_of_a_script_has_its_own_url() {
        assert_ne!(fnv1a(b"one"), fnv1a(b"two"));
        assert!(PAY.src().starts_with("/portal/assets/pay.js?v="));
        assert_ne!(PAY.src(), CHALLENGE.src());
    }

    #[test]
    fn no_script_holds_a_test_card_number_in_one_run() {
        for script in SCRIPTS {
            let longest = script
                .body
                .split(|c: char| !c.is_ascii_digit())
                .map(str::len)
                .max()
                .unwrap_or(0);
            assert!(
                longest < 13,
                "{} holds a run of {longest} digits",
                script.name
            );
        }
    }
}
