//! The processor contract suite against the local Authorize.Net fake.

mod common;

portal_domain::processor_contract_tests!(common::AnetHarness::start());
