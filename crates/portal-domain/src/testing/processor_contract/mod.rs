//! The processor contract suite: the same cases, run against every
//! [`Processor`] adapter (the test processor, Stripe against localstripe,
//! Authorize.Net against its local fake) through a [`ProcessorHarness`].
//!
//! An adapter crate runs it with
//! `portal_domain::processor_contract_tests!(harness_expr);` in an
//! integration test, where `harness_expr` is an async expression answering
//! an `Arc<dyn ProcessorHarness>` (see [`processor_contract_tests!`]).
//! Every case makes its own customers and payment ids, so cases may share
//! one stand-in and run side by side.
//!
//! [`processor_contract_tests!`]: crate::processor_contract_tests

mod charges;
mod faults;
mod methods;

use std::hash::{BuildHasher, RandomState};
use std::sync::{Arc, OnceLock};
use std::time::SystemTime;

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use crate::model::{
    CardBrand, ClientId, Currency, EmailAddress, Last4, MethodDetails, Money, PaymentId,
    ProcessorRef, RefundId,
};
use crate::ports::{
    BrowserToken, ChargeLookup, ChargeOutcome, ChargeRequest, ChargeSource, CustomerInfo,
    Processor, SavedMethod,
};

use super::SeededRandom;

pub use charges::*;
pub use faults::*;
pub use methods::*;

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

/// Generates one test per contract case. `$make` is an async expression
/// answering an `Arc<dyn ProcessorHarness>` (or any pointer to a
/// harness), evaluated afresh for every test. With `optional`, it answers
/// an `Option` of one instead, `None` meaning the stand-in was
/// deliberately switched off for this run (the harness must refuse that
/// in CI); the test then returns without checking anything. Tests run on
/// tokio's multi-threaded runtime, which the calling crate must depend on.
#[macro_export]
macro_rules! processor_contract_tests {
    (optional $make:expr) => {
        $crate::processor_contract_tests!(@list optional $make);
    };
    ($make:expr) => {
        $crate::processor_contract_tests!(@list required $make);
    };
    (@list $mode:ident $make:expr) => {
        $crate::processor_contract_tests!(@each $mode $make;
            the_connection_check_passes,
            a_new_customer_has_no_methods,
            a_method_saved_from_a_setup_token_is_listed,
            two_saved_methods_are_listed_with_one_default,
            setting_the_default_moves_it,
            a_removed_method_is_no_longer_listed,
            another_customers_method_is_refused_and_unchanged,
            a_saved_method_is_charged,
            a_one_time_token_is_charged_and_not_kept,
            a_declined_saved_card_charges_nothing,
            a_declined_one_time_card_charges_nothing,
            three_d_secure_succeeds_only_once_the_cardholder_authenticates,
            a_failed_challenge_charges_nothing,
            a_repeated_charge_charges_once,
            an_unknown_payment_has_no_charge,
            a_succeeded_charge_is_refunded,
            a_timed_out_charge_is_retried_once,
            a_server_error_is_retried_once,
        );
    };
    (@each $mode:ident $make:expr; $($case:ident),* $(,)?) => {
        $(
            #[tokio::test(flavor = "multi_thread")]
            async fn $case() {
                $crate::processor_contract_tests!(@run $mode $make, $case);
            }
        )*
    };
    (@run required $make:expr, $case:ident) => {
        let harness = $make.await;
        $crate::testing::processor_contract::$case(&*harness).await;
    };
    (@run optional $make:expr, $case:ident) => {
        if let Some(harness) = $make.await {
            $crate::testing::processor_contract::$case(&*harness).await;
        }
    };
}

/// What every case charges: 49.00 USD.
pub(crate) fn usd(minor: i64) -> Money {
    Money::new(
        minor,
        Currency::parse("currency", "USD").expect("USD is a currency"),
    )
}

/// The amount every case charges.
pub(crate) fn amount() -> Money {
    usd(4900)
}

/// Randomness for the suite's ids: seeded differently in every process,
/// so ids never repeat across runs against a stand-in that keeps its
/// state.
fn random() -> &'static SeededRandom {
    static RANDOM: OnceLock<SeededRandom> = OnceLock::new();
    RANDOM.get_or_init(|| SeededRandom::new(RandomState::new().hash_one(SystemTime::now())))
}

pub(crate) fn fresh_payment() -> PaymentId {
    PaymentId::generate(random())
}

pub(crate) fn fresh_refund() -> RefundId {
    RefundId::generate(random())
}

/// Now, as the stand-ins see it.
pub(crate) fn now() -> DateTime<Utc> {
    DateTime::<Utc>::from(SystemTime::now())
}

/// A fresh customer at the processor.
pub(crate) async fn customer(harness: &dyn ProcessorHarness, name: &str) -> ProcessorRef {
    let email = EmailAddress::parse("email", "billing@acme.test").expect("an address");
    harness
        .processor()
        .create_customer(CustomerInfo {
            client: ClientId::generate(random()),
            name,
            email: Some(&email),
        })
        .await
        .expect("the processor creates a customer")
}

/// Saves `card` for `customer` the way the portal does: start a setup,
/// let the browser tokenize the card, finish the setup.
pub(crate) async fn save(
    harness: &dyn ProcessorHarness,
    customer: &ProcessorRef,
    card: TestCard,
    make_default: bool,
) -> SavedMethod {
    let processor = harness.processor();
    processor
        .start_setup(customer)
        .await
        .expect("the processor starts a setup");
    let token = harness.token(customer, card, TokenPurpose::Setup).await;
    processor
        .finish_setup(customer, &token, make_default)
        .await
        .expect("the processor saves a test card")
}

pub(crate) fn charge(
    payment: PaymentId,
    customer: &ProcessorRef,
    source: ChargeSource,
) -> ChargeRequest {
    ChargeRequest {
        payment,
        customer: customer.clone(),
        source,
        amount: amount(),
        description: "Invoices INV-0001, INV-0002".into(),
    }
}

/// A one-time charge of `card` for `customer`.
pub(crate) async fn one_time(
    harness: &dyn ProcessorHarness,
    customer: &ProcessorRef,
    card: TestCard,
) -> ChargeRequest {
    let token = harness.token(customer, card, TokenPurpose::OneTime).await;
    charge(fresh_payment(), customer, ChargeSource::Token(token))
}

/// Asks the processor for the charge `request` made.
pub(crate) async fn look_up(
    harness: &dyn ProcessorHarness,
    request: &ChargeRequest,
    reference: Option<&ProcessorRef>,
) -> Option<ChargeOutcome> {
    harness
        .processor()
        .lookup_charge(&ChargeLookup {
            payment: request.payment,
            customer: request.customer.clone(),
            reference: reference.cloned(),
            attempted_at: now(),
        })
        .await
        .expect("the processor answers a lookup")
}

/// Whether `details` are those of a card ending in `last4`.
pub(crate) fn is_card(details: &MethodDetails, last4: &str) -> bool {
    matches!(
        details,
        MethodDetails::Card { brand: CardBrand::Visa, last4: l, .. }
            if *l == Last4::parse(last4).expect("four digits")
    )
}
