//! The processor contract suite, run against the test processor.

use portal_test_processor::TestHarness;

portal_domain::processor_contract_tests!(TestHarness::start());

/// The suite's form for a stand-in a run may switch off, with the stand-in
/// on.
mod switchable {
    use portal_test_processor::TestHarness;

    portal_domain::processor_contract_tests!(optional async { Some(TestHarness::start().await) });
}
