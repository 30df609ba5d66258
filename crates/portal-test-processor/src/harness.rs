//! [`TestHarness`]: the test processor under the processor contract
//! suite, and a ready-made processor for other crates' tests.

use std::sync::Arc;
use std::time::SystemTime;

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use portal_domain::model::{
    AccountId, ConnectionHealth, ConnectionId, ProcessorConnection, ProcessorCredentials,
    ProcessorRef, Secret,
};
use portal_domain::ports::{BrowserToken, ChargeOutcome, ChargeStatus, Processor, RandomSource};
use portal_domain::testing::processor_contract::{Fault, ProcessorHarness, TestCard, TokenPurpose};

use crate::TestProcessor;
use crate::state::{TestFault, TestProcessorState};
use crate::token::{Scenario, TestToken};

/// The webhook secret of the connections a harness makes.
pub const HARNESS_WEBHOOK_SECRET: &str = "whsec_test_harness_secret";

struct OsRandom;

impl RandomSource for OsRandom {
    fn fill(&self, dest: &mut [u8]) {
        getrandom::fill(dest).expect("the OS has randomness");
    }
}

/// A test processor connection of its own, with what a browser would do
/// around it.
#[derive(Debug, Clone)]
pub struct TestHarness {
    processor: Arc<TestProcessor>,
}

impl TestHarness {
    /// A fresh connection over a fresh state.
    pub fn new() -> Self {
        Self::over(&TestProcessorState::new())
    }

    /// A fresh connection over `state`, beside whatever it holds.
    pub fn over(state: &TestProcessorState) -> Self {
        let connection = ProcessorConnection {
            id: ConnectionId::generate(&OsRandom),
            account_id: AccountId::generate(&OsRandom),
            credentials: ProcessorCredentials::Test {
                webhook_secret: Secret::new(HARNESS_WEBHOOK_SECRET),
            },
            created_at: DateTime::<Utc>::from(SystemTime::now()),
            health: ConnectionHealth::default(),
        };
        let processor = TestProcessor::new(state.clone(), &connection)
            .unwrap_or_else(|_| unreachable!("a test processor connection"));
        Self {
            processor: Arc::new(processor),
        }
    }

    /// A fresh harness, as the contract suite's macro wants one.
    pub async fn start() -> Arc<dyn ProcessorHarness> {
        Arc::new(Self::new())
    }

    /// The processor itself, for what only the test processor offers.
    pub fn test_processor(&self) -> &Arc<TestProcessor> {
        &self.processor
    }
}

impl Default for TestHarness {
    fn default() -> Self {
        Self::new()
    }
}

/// The scenario of a well-known test card.
pub fn scenario(card: TestCard) -> Scenario {
    match card {
        TestCard::Succeeds => Scenario::VisaSuccess,
        TestCard::Declines => Scenario::VisaDecline,
        TestCard::Requires3ds => Scenario::Visa3ds,
    }
}

#[async_trait]
impl ProcessorHarness for TestHarness {
    fn processor(&self) -> Arc<dyn Processor> {
        self.processor.clone()
    }

    async fn token(&self, _: &ProcessorRef, card: TestCard, _: TokenPurpose) -> BrowserToken {
        TestToken::fresh(scenario(card)).to_browser_token()
    }

    fn supports_3ds(&self) -> bool {
        true
    }

    async fn authenticate(&self, outcome: &ChargeOutcome, succeed: bool) {
        let ChargeStatus::RequiresAction { client_secret } = &outcome.status else {
            panic!("only a charge that requires action is authenticated: {outcome:?}");
        };
        self.processor
            .authenticate(client_secret, succeed)
            .expect("the test processor knows the challenge");
    }

    fn inject(&self, fault: Fault, times: u32) {
        let fault = match fault {
            Fault::Timeout => TestFault::Timeout,
            Fault::ServerError => TestFault::ServerError,
        };
        self.processor.inject(fault, times);
    }
}
