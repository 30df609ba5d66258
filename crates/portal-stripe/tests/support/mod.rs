//! The Stripe adapter against localstripe: a [`ProcessorHarness`] whose
//! processor talks to localstripe through a fault proxy, and the tooling a
//! browser running Stripe.js (or Stripe's test helpers) would use. Test
//! code only: it sends raw test card numbers to localstripe, as the
//! browser would to Stripe.

#![allow(dead_code, unreachable_pub)]

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use portal_domain::model::{ProcessorCredentials, ProcessorRef, Secret};
use portal_domain::ports::{BrowserToken, ChargeOutcome, ChargeStatus, Processor};
use portal_domain::testing::processor_contract::{Fault, ProcessorHarness, TestCard, TokenPurpose};
use portal_stripe::{StripeConfig, StripeProcessor};
use portal_test_support::fault_proxy::{FaultProxy, ProxyFault, ProxyOptions};
use portal_test_support::localstripe::{LOCALSTRIPE_SECRET_KEY, Localstripe};
use serde_json::Value;

/// Signs the webhooks localstripe sends in these tests.
pub const WEBHOOK_SECRET: &str = "whsec_localstripe_tests";
/// The adapter's timeout here; the proxy holds a timed-out answer longer.
pub const TIMEOUT: Duration = Duration::from_secs(2);
const HOLD: Duration = Duration::from_secs(5);

/// The test numbers, spaced as printed so no contiguous card number sits
/// in the source.
fn number(card: TestCard) -> String {
    let spaced = match card {
        TestCard::Succeeds => "4242 4242 4242 4242",
        TestCard::Declines => "4000 0000 0000 0341",
        TestCard::Requires3ds => "4000 0027 6000 3184",
    };
    spaced.replace(' ', "")
}

pub struct StripeHarness {
    processor: Arc<StripeProcessor>,
    proxy: FaultProxy,
    server: &'static Localstripe,
    http: reqwest::Client,
}

impl StripeHarness {
    /// A harness on this test binary's localstripe, or `None` when the
    /// developer switched localstripe off (refused in CI).
    pub async fn start(test: &str) -> Option<Arc<Self>> {
        let server = Localstripe::shared_or_skip(test)?;
        let options = ProxyOptions {
            hold: HOLD,
            // Stripe's API version asks for it; localstripe predates it
            // and defaults to cards anyway.
            drop_form_fields: vec!["allowed_payment_method_types".to_owned()],
        };
        let proxy = FaultProxy::start(server.address(), options)
            .await
            .expect("the fault proxy starts");
        let config = StripeConfig::from_credentials(&credentials(LOCALSTRIPE_SECRET_KEY))
            .expect("Stripe credentials")
            .with_base_url(proxy.url())
            .with_timeout(TIMEOUT);
        let processor = Arc::new(StripeProcessor::new(config).expect("a processor"));
        Some(Arc::new(Self {
            processor,
            proxy,
            server,
            http: reqwest::Client::new(),
        }))
    }

    pub fn stripe(&self) -> &StripeProcessor {
        &self.processor
    }

    pub fn server(&self) -> &'static Localstripe {
        self.server
    }

    pub fn proxy(&self) -> &FaultProxy {
        &self.proxy
    }

    /// A POST straight to localstripe (not through the proxy), answering
    /// the status and the JSON body.
    pub async fn post(&self, path: &str, form: &[(&str, &str)]) -> (u16, Value) {
        let response = self
            .http
            .post(format!("{}{path}", self.server.url()))
            .bearer_auth(LOCALSTRIPE_SECRET_KEY)
            .form(form)
            .send()
            .await
            .expect("localstripe answers");
        let status = response.status().as_u16();
        (status, response.json().await.unwrap_or(Value::Null))
    }

    pub async fn get(&self, path: &str) -> Value {
        self.http
            .get(format!("{}{path}", self.server.url()))
            .bearer_auth(LOCALSTRIPE_SECRET_KEY)
            .send()
            .await
            .expect("localstripe answers")
            .json()
            .await
            .expect("localstripe answers JSON")
    }

    /// A card PaymentMethod, as Stripe.js creates one from a card field.
    pub async fn payment_method(&self, card: TestCard) -> String {
        let number = number(card);
        let (status, body) = self
            .post(
                "/v1/payment_methods",
                &[
                    ("type", "card"),
                    ("card[number]", &number),
                    ("card[exp_month]", "12"),
                    ("card[exp_year]", "2031"),
                    ("card[cvc]", "123"),
                ],
            )
            .await;
        assert_eq!(status, 200, "creating a PaymentMethod: {body}");
        id(&body)
    }

    /// Confirms `setup` with a new card, completing 3-D Secure when the
    /// card asks, as `stripe.confirmCardSetup` does.
    pub async fn confirm_setup(&self, setup: &str, card: TestCard) {
        let method = self.payment_method(card).await;
        let path = format!("/v1/setup_intents/{setup}/confirm");
        let (status, body) = self.post(&path, &[("payment_method", &method)]).await;
        assert_eq!(status, 200, "confirming a SetupIntent: {body}");
        if body["status"] == "requires_action" {
            let (status, body) = self.post(&path, &[]).await;
            assert_eq!(status, 200, "authenticating a SetupIntent: {body}");
        }
    }

    /// The newest SetupIntent of `customer` still waiting for a card: the
    /// one the adapter started.
    async fn started_setup(&self, customer: &ProcessorRef) -> Option<String> {
        let mut newest = None;
        let mut after: Option<String> = None;
        loop {
            let path = match &after {
                Some(last) => format!("/v1/setup_intents?limit=100&starting_after={last}"),
                None => "/v1/setup_intents?limit=100".to_owned(),
            };
            let page = self.get(&path).await;
            let data = page["data"].as_array().cloned().unwrap_or_default();
            for intent in &data {
                if intent["customer"] == customer.as_str()
                    && intent["status"] == "requires_payment_method"
                {
                    newest = Some(id(intent));
                }
            }
            match data.last() {
                Some(last) if page["has_more"] == true => after = Some(id(last)),
                _ => return newest,
            }
        }
    }
}

pub fn credentials(secret_key: &str) -> ProcessorCredentials {
    ProcessorCredentials::Stripe {
        secret_key: Secret::new(secret_key),
        publishable_key: "pk_test_localstripe".into(),
        webhook_secret: Secret::new(WEBHOOK_SECRET),
    }
}

pub fn id(object: &Value) -> String {
    object["id"]
        .as_str()
        .unwrap_or_else(|| panic!("no id in {object}"))
        .to_owned()
}

#[async_trait]
impl ProcessorHarness for StripeHarness {
    fn processor(&self) -> Arc<dyn Processor> {
        self.processor.clone()
    }

    async fn token(
        &self,
        customer: &ProcessorRef,
        card: TestCard,
        purpose: TokenPurpose,
    ) -> BrowserToken {
        let token = match purpose {
            TokenPurpose::OneTime => self.payment_method(card).await,
            TokenPurpose::Setup => {
                let setup = match self.started_setup(customer).await {
                    Some(setup) => setup,
                    None => {
                        let (status, body) = self
                            .post("/v1/setup_intents", &[("customer", customer.as_str())])
                            .await;
                        assert_eq!(status, 200, "creating a SetupIntent: {body}");
                        id(&body)
                    }
                };
                self.confirm_setup(&setup, card).await;
                setup
            }
        };
        BrowserToken::parse(&token).expect("a token")
    }

    fn supports_3ds(&self) -> bool {
        true
    }

    async fn authenticate(&self, outcome: &ChargeOutcome, succeed: bool) {
        let ChargeStatus::RequiresAction { client_secret } = &outcome.status else {
            panic!("nothing to authenticate in {outcome:?}");
        };
        let (intent, _) = client_secret
            .split_once("_secret_")
            .expect("a PaymentIntent client secret");
        let (status, body) = self
            .post(
                &format!("/v1/payment_intents/{intent}/_authenticate"),
                &[
                    ("client_secret", client_secret.as_str()),
                    ("success", if succeed { "true" } else { "false" }),
                ],
            )
            .await;
        assert_eq!(status, 200, "authenticating: {body}");
    }

    fn inject(&self, fault: Fault, times: u32) {
        let fault = match fault {
            Fault::Timeout => ProxyFault::Timeout,
            Fault::ServerError => ProxyFault::ServerError,
        };
        self.proxy.inject(fault, times);
    }
}
