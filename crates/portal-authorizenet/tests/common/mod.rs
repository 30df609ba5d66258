//! The adapter connected to the local Authorize.Net fake.

// Each test binary uses a part of it.
#![allow(dead_code)]

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use portal_authorizenet::{AnetOptions, AuthorizeNetProcessor};
use portal_domain::model::{AnetEnvironment, ProcessorCredentials, ProcessorRef, Secret};
use portal_domain::ports::{BrowserToken, ChargeOutcome, Processor};
use portal_domain::testing::processor_contract::{Fault, ProcessorHarness, TestCard, TokenPurpose};
use portal_test_support::anet::{
    API_LOGIN_ID, AnetFake, AnetFakeOptions, CLIENT_KEY, FakeFault, SIGNATURE_KEY, Scenario,
    TRANSACTION_KEY,
};

/// How long the adapter waits for the fake.
pub(crate) const TIMEOUT: Duration = Duration::from_secs(2);

pub(crate) fn credentials(environment: AnetEnvironment) -> ProcessorCredentials {
    ProcessorCredentials::AuthorizeNet {
        api_login_id: API_LOGIN_ID.into(),
        transaction_key: Secret::new(TRANSACTION_KEY),
        client_key: CLIENT_KEY.into(),
        signature_key: Secret::new(SIGNATURE_KEY),
        environment,
    }
}

/// The fake and the adapter pointed at it.
#[derive(Debug)]
pub(crate) struct AnetHarness {
    pub(crate) fake: AnetFake,
    pub(crate) adapter: Arc<AuthorizeNetProcessor>,
}

impl AnetHarness {
    pub(crate) async fn start() -> Arc<Self> {
        Self::start_with(AnetFakeOptions::default()).await
    }

    pub(crate) async fn start_with(options: AnetFakeOptions) -> Arc<Self> {
        let fake = AnetFake::start_with(options).await;
        let options = AnetOptions::default()
            .with_api_url(fake.api_url())
            .with_timeout(TIMEOUT);
        let credentials = credentials(AnetEnvironment::Sandbox);
        credentials
            .validate()
            .expect("the fake's credentials are well formed");
        let adapter = AuthorizeNetProcessor::new(&credentials, &options)
            .expect("the adapter connects to the fake");
        Arc::new(Self {
            fake,
            adapter: Arc::new(adapter),
        })
    }

    /// A nonce for `scenario`, as the browser would hand it over.
    pub(crate) fn token(&self, scenario: Scenario) -> BrowserToken {
        BrowserToken::parse(&self.fake.nonce(scenario)).expect("a nonce is a browser token")
    }
}

pub(crate) fn scenario(card: TestCard) -> Scenario {
    match card {
        TestCard::Succeeds => Scenario::Approve,
        TestCard::Declines => Scenario::Decline,
        TestCard::Requires3ds => Scenario::AuthenticationRequired,
    }
}

#[async_trait]
impl ProcessorHarness for AnetHarness {
    fn processor(&self) -> Arc<dyn Processor> {
        self.adapter.clone()
    }

    async fn token(
        &self,
        _customer: &ProcessorRef,
        card: TestCard,
        _purpose: TokenPurpose,
    ) -> BrowserToken {
        AnetHarness::token(self, scenario(card))
    }

    /// Accept.js has no 3-D Secure: the card asking for it is declined.
    fn supports_3ds(&self) -> bool {
        false
    }

    async fn authenticate(&self, outcome: &ChargeOutcome, _succeed: bool) {
        panic!("Authorize.Net has no 3-D Secure challenge to finish: {outcome:?}");
    }

    fn inject(&self, fault: Fault, times: u32) {
        let fault = match fault {
            Fault::Timeout => FakeFault::Timeout,
            Fault::ServerError => FakeFault::ServerError,
        };
        self.fake.inject(fault, times);
    }
}
