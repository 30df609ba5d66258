//! Contract cases for a processor that times out or fails: the charge's
//! outcome is unknown, and a retry with the same payment id charges once.

use crate::ports::{ChargeSource, ChargeStatus, ProcessorError};

use super::{Fault, ProcessorHarness, TestCard, charge, customer, fresh_payment, look_up, save};

/// Charges once while the processor answers with `fault`, then retries
/// the same request: the first answer is a retryable error, the retry a
/// success, and a lookup finds exactly the retry's charge.
async fn retried_once(harness: &dyn ProcessorHarness, fault: Fault) {
    let customer = customer(harness, "Acme").await;
    let saved = save(harness, &customer, TestCard::Succeeds, true).await;
    let request = charge(
        fresh_payment(),
        &customer,
        ChargeSource::Saved(saved.reference),
    );
    let processor = harness.processor();

    harness.inject(fault, 1);
    let failed = processor.charge(&request).await;
    match &failed {
        Err(error @ ProcessorError::Unavailable(_)) => assert!(error.is_retryable()),
        other => panic!("a charge during {fault:?} answered {other:?}"),
    }

    let retried = processor
        .charge(&request)
        .await
        .expect("a retried charge is answered");
    assert_eq!(retried.status, ChargeStatus::Succeeded, "{retried:?}");
    let reference = retried
        .reference
        .as_ref()
        .expect("a succeeded charge has a reference");
    let found = look_up(harness, &request, None)
        .await
        .expect("a lookup by payment id finds the charge");
    assert_eq!(found.status, ChargeStatus::Succeeded, "{found:?}");
    assert_eq!(
        found.reference.as_ref(),
        Some(reference),
        "the lookup found another charge than the retry's"
    );
}

/// No answer in time: unavailable, then a retry charges once.
pub async fn a_timed_out_charge_is_retried_once(harness: &dyn ProcessorHarness) {
    retried_once(harness, Fault::Timeout).await;
}

/// A server error: unavailable, then a retry charges once.
pub async fn a_server_error_is_retried_once(harness: &dyn ProcessorHarness) {
    retried_once(harness, Fault::ServerError).await;
}
