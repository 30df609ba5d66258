//! The processors this deployment offers, built per connection: Stripe,
//! Authorize.Net and the in-process test processor, each at its own
//! endpoints unless `PORTAL_*_URL` points at a local stand-in.

use std::sync::Arc;
use std::time::Duration;

use portal_authorizenet::{AnetOptions, AuthorizeNetProcessor};
use portal_domain::ports::{
    BrowserAssets, Processor, ProcessorConnector, ProcessorError, ProcessorResult,
};
use portal_domain::{ProcessorConnection, ProcessorCredentials, ProcessorKind};
use portal_stripe::{StripeConfig, StripeProcessor};
use portal_test_processor::{TestProcessor, TestProcessorState};

use crate::config::ProcessorEndpoints;

/// Where a payment page loads the test processor's card form from: the
/// portal itself serves it.
pub const TEST_PROCESSOR_SCRIPT: &str = "/portal/assets/test-processor.js";

/// How long a processor may take to answer one request.
const PROCESSOR_TIMEOUT: Duration = Duration::from_secs(20);

/// Builds the processor of each connection.
#[derive(Debug, Clone)]
pub struct Connector {
    endpoints: ProcessorEndpoints,
    anet: AnetOptions,
    test: TestProcessorState,
    /// Whether accounts may connect the test processor.
    offer_test: bool,
    timeout: Duration,
}

impl Connector {
    pub fn new(endpoints: ProcessorEndpoints, offer_test: bool) -> Self {
        let mut anet = AnetOptions::default().with_timeout(PROCESSOR_TIMEOUT);
        if let Some(url) = &endpoints.authorizenet_api {
            anet = anet.with_api_url(url.clone());
        }
        Self {
            endpoints,
            anet,
            test: TestProcessorState::new(),
            offer_test,
            timeout: PROCESSOR_TIMEOUT,
        }
    }

    /// The test processor's shared memory (its 3-D Secure challenges are
    /// finished through it).
    pub fn test_state(&self) -> &TestProcessorState {
        &self.test
    }

    fn stripe_config(&self, credentials: &ProcessorCredentials) -> ProcessorResult<StripeConfig> {
        let mut config = StripeConfig::from_credentials(credentials)?.with_timeout(self.timeout);
        if let Some(url) = &self.endpoints.stripe_api {
            config = config.with_base_url(url.clone());
        }
        Ok(config)
    }
}

impl ProcessorConnector for Connector {
    fn connect(&self, connection: &ProcessorConnection) -> ProcessorResult<Arc<dyn Processor>> {
        Ok(match connection.kind() {
            ProcessorKind::Test if !self.offer_test => {
                return Err(ProcessorError::Rejected(
                    "this portal does not offer the test processor (PORTAL_TEST_PROCESSOR)".into(),
                ));
            }
            ProcessorKind::Test => Arc::new(TestProcessor::new(self.test.clone(), connection)?),
            ProcessorKind::Stripe => Arc::new(StripeProcessor::new(
                self.stripe_config(&connection.credentials)?,
            )?),
            ProcessorKind::AuthorizeNet => Arc::new(AuthorizeNetProcessor::new(
                &connection.credentials,
                &self.anet,
            )?),
        })
    }

    fn offers(&self, kind: ProcessorKind) -> bool {
        kind != ProcessorKind::Test || self.offer_test
    }

    fn browser_assets(&self, connection: &ProcessorConnection) -> BrowserAssets {
        match &connection.credentials {
            ProcessorCredentials::Test { .. } => BrowserAssets {
                script_url: TEST_PROCESSOR_SCRIPT.to_owned(),
                script_origins: Vec::new(),
                frame_origins: Vec::new(),
                connect_origins: Vec::new(),
            },
            ProcessorCredentials::Stripe { .. } => {
                let mut assets = match self.stripe_config(&connection.credentials) {
                    Ok(config) => config.browser_assets(),
                    Err(_) => empty(),
                };
                if let Some(js) = &self.endpoints.stripe_js {
                    override_script(&mut assets, js);
                }
                assets
            }
            ProcessorCredentials::AuthorizeNet { environment, .. } => {
                portal_authorizenet::browser_assets(
                    *environment,
                    self.endpoints.accept_js.as_deref(),
                )
            }
        }
    }
}

fn empty() -> BrowserAssets {
    BrowserAssets {
        script_url: String::new(),
        script_origins: Vec::new(),
        frame_origins: Vec::new(),
        connect_origins: Vec::new(),
    }
}

/// Loads the processor's script from `url` instead, allowing its origin.
fn override_script(assets: &mut BrowserAssets, url: &str) {
    assets.script_url = url.to_owned();
    if let Some(origin) = url::Url::parse(url)
        .ok()
        .map(|u| u.origin())
        .filter(url::Origin::is_tuple)
        .map(|o| o.ascii_serialization())
    {
        for list in [
            &mut assets.script_origins,
            &mut assets.frame_origins,
            &mut assets.connect_origins,
        ] {
            if !list.contains(&origin) {
                list.push(origin.clone());
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Utc;
    use portal_domain::{AccountId, AnetEnvironment, ConnectionHealth, ConnectionId, Secret};

    fn connection(credentials: ProcessorCredentials) -> ProcessorConnection {
        ProcessorConnection {
            id: ConnectionId::from_uuid(uuid::Uuid::from_u128(1)),
            account_id: AccountId::from_uuid(uuid::Uuid::from_u128(2)),
            credentials,
            created_at: Utc::now(),
            health: ConnectionHealth::default(),
        }
    }

    fn stripe() -> ProcessorCredentials {
        ProcessorCredentials::Stripe {
            secret_key: Secret::new("sk_test_123456789"),
            publishable_key: "pk_test_123456789".into(),
            webhook_secret: Secret::new("whsec_123456789"),
        }
    }

    #[test]
    fn every_processor_kind_connects() {
        let connector = Connector::new(ProcessorEndpoints::default(), true);
        for credentials in [
            ProcessorCredentials::Test {
                webhook_secret: Secret::new("whsec_test_0123456789abcdef"),
            },
            stripe(),
            ProcessorCredentials::AuthorizeNet {
                api_login_id: "5KP3u95bQpv".into(),
                transaction_key: Secret::new("346HZ32z3fP4hTG2"),
                client_key: "7aB3xY".into(),
                signature_key: Secret::new("0123456789ABCDEF".repeat(8)),
                environment: AnetEnvironment::Sandbox,
            },
        ] {
            let kind = credentials.kind();
            let processor = connector.connect(&connection(credentials)).unwrap();
            assert_eq!(processor.kind(), kind);
        }
    }

    #[test]
    fn payment_pages_load_each_processor_from_its_own_origins() {
        let connector = Connector::new(ProcessorEndpoints::default(), true);
        let assets = connector.browser_assets(&connection(stripe()));
        assert_eq!(assets.script_url, "https://js.stripe.com/v3/");
        assert!(
            assets
                .frame_origins
                .contains(&"https://js.stripe.com".to_owned())
        );

        let local = Connector::new(
            ProcessorEndpoints {
                stripe_api: Some("http://127.0.0.1:8420/".into()),
                stripe_js: Some("http://127.0.0.1:8420/js.stripe.com/v3/".into()),
                ..ProcessorEndpoints::default()
            },
            true,
        );
        let assets = local.browser_assets(&connection(stripe()));
        assert_eq!(assets.script_url, "http://127.0.0.1:8420/js.stripe.com/v3/");
        assert_eq!(
            assets.script_origins,
            vec!["http://127.0.0.1:8420".to_owned()]
        );

        let test = connector.browser_assets(&connection(ProcessorCredentials::Test {
            webhook_secret: Secret::new("whsec_test_0123456789abcdef"),
        }));
        assert_eq!(test.script_url, TEST_PROCESSOR_SCRIPT);
        assert!(
            test.script_origins.is_empty(),
            "served by the portal itself"
        );
    }
}
