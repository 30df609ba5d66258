//! The processor contract suite: the same cases, run against every
//! [`Processor`] adapter (the test processor, Stripe against localstripe,
//! Authorize.Net against its local fake) through a [`ProcessorHarness`].
//!
//! An adapter crate runs it with
//! `portal_domain::processor_contract_tests!(harness_expr);` in an
//! integration test, where `harness_expr` is an async expression answering
//! an `Arc<dyn ProcessorHarness>`.

use std::sync::Arc;

use async_trait::async_trait;

use crate::model::ProcessorRef;
use crate::ports::{BrowserToken, ChargeOutcome, Processor};

/// The well-known test cards every harness can tokenize.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TestCard {
    /// 4242 4242 4242 4242: saves and charges.
    Succeeds,
    /// 4000 0000 0000 0341: saves, and every charge is declined.
    Declines,
    /// 4000 0027 6000 3184: every charge asks for 3-D Secure.
    Requires3ds,
}

/// What a browser token is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenPurpose {
    /// To save the card for the customer
    /// ([`Processor::finish_setup`]).
    Setup,
    /// To charge the card once ([`ChargeSource::Token`](crate::ports::ChargeSource::Token)).
    OneTime,
}

/// A failure the harness makes the processor (or the way to it) answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// No answer within the adapter's timeout.
    Timeout,
    /// HTTP 500 (or the processor's equivalent).
    ServerError,
}

/// A processor under test, with what a browser and the processor's own
/// tooling would do around it.
#[async_trait]
pub trait ProcessorHarness: Send + Sync {
    /// The adapter under test, connected to its stand-in.
    fn processor(&self) -> Arc<dyn Processor>;

    /// What the processor's browser script would answer for `card`,
    /// entered by the cardholder of `customer` (for a setup, on the setup
    /// the processor started with [`Processor::start_setup`]).
    async fn token(
        &self,
        customer: &ProcessorRef,
        card: TestCard,
        purpose: TokenPurpose,
    ) -> BrowserToken;

    /// Whether the processor asks for 3-D Secure at all.
    fn supports_3ds(&self) -> bool;

    /// Finishes a 3-D Secure challenge of a charge that answered
    /// `RequiresAction`, as the cardholder would in the browser.
    async fn authenticate(&self, outcome: &ChargeOutcome, succeed: bool);

    /// Makes the next `times` requests fail with `fault` (then answer
    /// normally again).
    fn inject(&self, fault: Fault, times: u32);
}
