#![doc = include_str!("../README.md")]

mod books;
#[cfg(feature = "testing")]
mod harness;
mod mint;
mod processor;
mod state;
mod token;
mod webhook;

pub use books::{DECLINED, NOT_AUTHENTICATED, RETURNED, TOKEN_USED};
#[cfg(feature = "testing")]
pub use harness::{HARNESS_WEBHOOK_SECRET, TestHarness, scenario};
pub use processor::TestProcessor;
pub use state::{TestFault, TestProcessorState};
pub use token::{
    DEFAULT_EXPIRY, NOT_A_TEST_CARD, Scenario, TEST_BANK_NAME, TOKEN_PREFIX, TestToken,
};
pub use webhook::{
    CHARGE_FAILED, CHARGE_SUCCEEDED, EventBody, SIGNATURE_HEADER, SignedWebhook, TOLERANCE_SECONDS,
    sign_webhook,
};
