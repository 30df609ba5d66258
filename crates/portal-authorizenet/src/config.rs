//! Where the gateway and Accept.js live, how long to wait for them, and
//! what a payment page's Content-Security-Policy must allow.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use portal_domain::model::{AnetEnvironment, PaymentId};
use portal_domain::ports::BrowserAssets;

/// The sandbox API endpoint.
pub const SANDBOX_API_URL: &str = "https://apitest.authorize.net/xml/v1/request.api";
/// The production API endpoint.
pub const PRODUCTION_API_URL: &str = "https://api.authorize.net/xml/v1/request.api";
/// Accept.js for the sandbox.
pub const SANDBOX_ACCEPT_JS_URL: &str = "https://jstest.authorize.net/v1/Accept.js";
/// Accept.js for production.
pub const PRODUCTION_ACCEPT_JS_URL: &str = "https://js.authorize.net/v1/Accept.js";

/// The default wait for one gateway answer.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);

/// The default age past which a webhook event is refused as stale.
pub const DEFAULT_WEBHOOK_MAX_AGE: Duration = Duration::from_secs(7 * 24 * 3600);

/// The gateway's duplicate window, in seconds (its maximum): a charge sent
/// again with the same amount, method and invoice number within it is
/// refused as a duplicate instead of charged twice.
pub const DUPLICATE_WINDOW_SECS: u32 = 28_800;

/// How the adapter reaches the gateway. Cheap to clone; clones share the
/// record of charges whose outcome is in doubt, so a deployment should
/// build its processors from one `AnetOptions`.
#[derive(Debug, Clone)]
pub struct AnetOptions {
    /// Overrides the environment's API endpoint (a local stand-in).
    pub api_url: Option<String>,
    /// The wait for one answer.
    pub timeout: Duration,
    /// Webhook events dated further back are refused as stale; `None`
    /// accepts any age.
    pub webhook_max_age: Option<Duration>,
    pub(crate) in_doubt: InDoubt,
}

impl Default for AnetOptions {
    fn default() -> Self {
        Self {
            api_url: None,
            timeout: DEFAULT_TIMEOUT,
            webhook_max_age: Some(DEFAULT_WEBHOOK_MAX_AGE),
            in_doubt: InDoubt::default(),
        }
    }
}

impl AnetOptions {
    #[must_use]
    pub fn with_api_url(mut self, url: impl Into<String>) -> Self {
        self.api_url = Some(url.into());
        self
    }

    #[must_use]
    pub fn with_timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    #[must_use]
    pub fn with_webhook_max_age(mut self, max_age: Option<Duration>) -> Self {
        self.webhook_max_age = max_age;
        self
    }

    /// The endpoint for `environment`, unless overridden.
    pub fn api_url_for(&self, environment: AnetEnvironment) -> String {
        self.api_url.clone().unwrap_or_else(|| {
            match environment {
                AnetEnvironment::Sandbox => SANDBOX_API_URL,
                AnetEnvironment::Production => PRODUCTION_API_URL,
            }
            .to_owned()
        })
    }
}

/// Payments whose last charge attempt ended without an answer: the next
/// attempt looks the charge up before sending it again. Bounded: the
/// oldest entries go first (the gateway's duplicate window still guards
/// a retry this record forgot).
#[derive(Debug, Clone, Default)]
pub(crate) struct InDoubt(Arc<Mutex<Vec<PaymentId>>>);

const IN_DOUBT_MAX: usize = 1024;

impl InDoubt {
    pub(crate) fn contains(&self, payment: PaymentId) -> bool {
        self.0
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .contains(&payment)
    }

    pub(crate) fn insert(&self, payment: PaymentId) {
        let mut list = self.0.lock().unwrap_or_else(|e| e.into_inner());
        if !list.contains(&payment) {
            if list.len() >= IN_DOUBT_MAX {
                list.remove(0);
            }
            list.push(payment);
        }
    }

    pub(crate) fn remove(&self, payment: PaymentId) {
        self.0
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .retain(|p| *p != payment);
    }
}

/// What a payment page loads for Accept.js in `environment`, or from
/// `accept_js_url` (a local stand-in, whose origin then serves the
/// script, frames and API alike).
pub fn browser_assets(environment: AnetEnvironment, accept_js_url: Option<&str>) -> BrowserAssets {
    if let Some(url) = accept_js_url {
        let origin = origin_of(url).unwrap_or_else(|| url.to_owned());
        return BrowserAssets {
            script_url: url.to_owned(),
            script_origins: vec![origin.clone()],
            frame_origins: vec![origin.clone()],
            connect_origins: vec![origin],
        };
    }
    let (script, js_origin, api_origin) = match environment {
        AnetEnvironment::Sandbox => (
            SANDBOX_ACCEPT_JS_URL,
            "https://jstest.authorize.net",
            "https://apitest.authorize.net",
        ),
        AnetEnvironment::Production => (
            PRODUCTION_ACCEPT_JS_URL,
            "https://js.authorize.net",
            "https://api2.authorize.net",
        ),
    };
    BrowserAssets {
        script_url: script.to_owned(),
        script_origins: vec![js_origin.to_owned()],
        frame_origins: vec![js_origin.to_owned()],
        connect_origins: vec![api_origin.to_owned()],
    }
}

/// `scheme://host[:port]` of a URL.
fn origin_of(url: &str) -> Option<String> {
    let parsed = url::Url::parse(url).ok()?;
    let origin = parsed.origin();
    origin.is_tuple().then(|| origin.ascii_serialization())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_local_accept_js_allows_its_own_origin_only() {
        let assets = browser_assets(
            AnetEnvironment::Sandbox,
            Some("http://127.0.0.1:40123/v1/Accept.js"),
        );
        assert_eq!(assets.script_url, "http://127.0.0.1:40123/v1/Accept.js");
        assert_eq!(assets.script_origins, ["http://127.0.0.1:40123"]);
        assert_eq!(assets.connect_origins, ["http://127.0.0.1:40123"]);
    }

    #[test]
    fn each_environment_has_its_own_hosts() {
        let sandbox = browser_assets(AnetEnvironment::Sandbox, None);
        assert_eq!(sandbox.script_url, SANDBOX_ACCEPT_JS_URL);
        let production = browser_assets(AnetEnvironment::Production, None);
        assert_eq!(production.script_origins, ["https://js.authorize.net"]);
        let options = AnetOptions::default();
        assert_eq!(
            options.api_url_for(AnetEnvironment::Production),
            PRODUCTION_API_URL
        );
        assert_eq!(
            options
                .with_api_url("http://127.0.0.1:1/xml/v1/request.api")
                .api_url_for(AnetEnvironment::Production),
            "http://127.0.0.1:1/xml/v1/request.api"
        );
    }
}
