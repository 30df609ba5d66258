//! The processor contract suite, run against the Stripe adapter on
//! localstripe.

mod support;

use support::StripeHarness;

portal_domain::processor_contract_tests!(optional StripeHarness::start("the Stripe contract"));
