//! How the adapter reaches Stripe: an account's keys, the API's address
//! (Stripe's, or a local stand-in's) and how long a request may take.

use std::time::Duration;

use portal_domain::model::{ProcessorCredentials, Secret};
use portal_domain::ports::{BrowserAssets, ProcessorError};

/// How long one request may take unless configured otherwise.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);

const STRIPE_API: &str = "https://api.stripe.com";
const STRIPE_JS: &str = "https://js.stripe.com";
const STRIPE_HOOKS: &str = "https://hooks.stripe.com";

/// One Stripe account's connection settings. `Debug` shows no secret.
#[derive(Debug, Clone)]
pub struct StripeConfig {
    pub(crate) secret_key: Secret,
    pub(crate) publishable_key: String,
    pub(crate) webhook_secret: Secret,
    pub(crate) base_url: Option<String>,
    pub(crate) timeout: Duration,
}

impl StripeConfig {
    /// Settings for Stripe itself with the default timeout.
    ///
    /// # Errors
    /// [`ProcessorError::Rejected`] for credentials of another processor.
    pub fn from_credentials(credentials: &ProcessorCredentials) -> Result<Self, ProcessorError> {
        match credentials {
            ProcessorCredentials::Stripe {
                secret_key,
                publishable_key,
                webhook_secret,
            } => Ok(Self {
                secret_key: secret_key.clone(),
                publishable_key: publishable_key.clone(),
                webhook_secret: webhook_secret.clone(),
                base_url: None,
                timeout: DEFAULT_TIMEOUT,
            }),
            other => Err(ProcessorError::Rejected(format!(
                "{} credentials are not Stripe's",
                other.kind().label()
            ))),
        }
    }

    /// Talks to the API at `url` (`http://127.0.0.1:8420` for localstripe)
    /// instead of Stripe's, and loads Stripe.js from there too.
    #[must_use]
    pub fn with_base_url(mut self, url: impl Into<String>) -> Self {
        self.base_url = Some(url.into().trim_end_matches('/').to_owned());
        self
    }

    /// How long one request may take before it counts as unavailable.
    #[must_use]
    pub fn with_timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    pub fn publishable_key(&self) -> &str {
        &self.publishable_key
    }

    /// The API's address when it is not Stripe's.
    pub fn base_url(&self) -> Option<&str> {
        self.base_url.as_deref()
    }

    pub fn timeout(&self) -> Duration {
        self.timeout
    }

    /// The API base async-stripe joins `v1/...` to: always ending in `/`.
    pub(crate) fn api_base(&self) -> String {
        match &self.base_url {
            Some(url) => format!("{url}/"),
            None => format!("{STRIPE_API}/"),
        }
    }

    /// Stripe.js and the origins a payment page must allow for it.
    pub fn browser_assets(&self) -> BrowserAssets {
        match &self.base_url {
            None => BrowserAssets {
                script_url: format!("{STRIPE_JS}/v3/"),
                script_origins: vec![STRIPE_JS.to_owned()],
                frame_origins: vec![STRIPE_JS.to_owned(), STRIPE_HOOKS.to_owned()],
                connect_origins: vec![STRIPE_API.to_owned()],
            },
            Some(url) => {
                let origin = origin(url);
                BrowserAssets {
                    script_url: format!("{url}/js.stripe.com/v3/"),
                    script_origins: vec![origin.clone()],
                    frame_origins: vec![origin.clone()],
                    connect_origins: vec![origin],
                }
            }
        }
    }
}

/// `scheme://host[:port]` of a URL.
fn origin(url: &str) -> String {
    match url.split_once("://") {
        Some((scheme, rest)) => {
            let host = rest.split('/').next().unwrap_or(rest);
            format!("{scheme}://{host}")
        }
        None => url.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config() -> StripeConfig {
        StripeConfig::from_credentials(&ProcessorCredentials::Stripe {
            secret_key: Secret::new("sk_test_123456789"),
            publishable_key: "pk_test_123456789".into(),
            webhook_secret: Secret::new("whsec_123456789"),
        })
        .unwrap()
    }

    #[test]
    fn debug_shows_no_secret() {
        let text = format!("{:?}", config());
        assert!(!text.contains("sk_test_123456789"), "{text}");
        assert!(!text.contains("whsec_123456789"), "{text}");
    }

    #[test]
    fn stripe_js_comes_from_stripe_or_the_stand_in() {
        let stripe = config().browser_assets();
        assert_eq!(stripe.script_url, "https://js.stripe.com/v3/");
        assert_eq!(stripe.connect_origins, vec!["https://api.stripe.com"]);
        let local = config()
            .with_base_url("http://127.0.0.1:8420/")
            .browser_assets();
        assert_eq!(local.script_url, "http://127.0.0.1:8420/js.stripe.com/v3/");
        assert_eq!(local.script_origins, vec!["http://127.0.0.1:8420"]);
    }

    #[test]
    fn the_api_base_ends_in_one_slash() {
        assert_eq!(config().api_base(), "https://api.stripe.com/");
        assert_eq!(
            config().with_base_url("http://127.0.0.1:1/").api_base(),
            "http://127.0.0.1:1/"
        );
    }

    #[test]
    fn other_credentials_are_refused() {
        let test = ProcessorCredentials::Test {
            webhook_secret: Secret::new("0123456789abcdef"),
        };
        assert!(StripeConfig::from_credentials(&test).is_err());
    }
}
