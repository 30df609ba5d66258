//! The processor contract suite, run against the test processor.

use portal_test_processor::TestHarness;

portal_domain::processor_contract_tests!(TestHarness::start());
