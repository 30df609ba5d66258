//! Contract cases for charges: saved and one-time methods, declines,
//! 3-D Secure, repeated submissions, lookups and refunds.

use crate::ports::{ChargeOutcome, ChargeRequest, ChargeSource, ChargeStatus, RefundRequest};

use super::{
    ProcessorHarness, TestCard, charge, customer, fresh_payment, fresh_refund, is_card, look_up,
    one_time, save, usd,
};

/// Charges `request`, which must succeed as a request.
async fn charged(harness: &dyn ProcessorHarness, request: &ChargeRequest) -> ChargeOutcome {
    harness
        .processor()
        .charge(request)
        .await
        .expect("the processor answers the charge")
}

/// Checks `outcome` is a success with a reference and the card charged,
/// and that a lookup finds that same charge.
async fn assert_succeeded(
    harness: &dyn ProcessorHarness,
    request: &ChargeRequest,
    outcome: &ChargeOutcome,
    last4: &str,
) {
    assert_eq!(outcome.status, ChargeStatus::Succeeded, "{outcome:?}");
    let reference = outcome
        .reference
        .as_ref()
        .expect("a succeeded charge has a reference");
    let method = outcome
        .method
        .as_ref()
        .expect("a succeeded charge names the method charged");
    assert!(is_card(method, last4), "the charged method is {method:?}");
    let found = look_up(harness, request, Some(reference))
        .await
        .expect("a lookup finds the charge");
    assert_eq!(found.status, ChargeStatus::Succeeded, "{found:?}");
    assert_eq!(found.reference.as_ref(), Some(reference));
}

/// Checks `outcome` is a failure with a message fit for the client, and
/// that the processor holds no success for the payment.
async fn assert_failed(
    harness: &dyn ProcessorHarness,
    request: &ChargeRequest,
    outcome: &ChargeOutcome,
) {
    match &outcome.status {
        ChargeStatus::Failed { message } => assert!(
            !message.trim().is_empty(),
            "a declined charge carries no message"
        ),
        other => panic!("a declined card answered {other:?}"),
    }
    assert_nothing_succeeded(harness, request, outcome).await;
}

async fn assert_nothing_succeeded(
    harness: &dyn ProcessorHarness,
    request: &ChargeRequest,
    outcome: &ChargeOutcome,
) {
    let found = look_up(harness, request, outcome.reference.as_ref()).await;
    if let Some(found) = found {
        assert!(
            matches!(found.status, ChargeStatus::Failed { .. }),
            "the processor holds {found:?} for a charge that did not succeed"
        );
    }
}

/// A saved card is charged: a success, with a reference, naming the card;
/// a lookup by our payment id finds it.
pub async fn a_saved_method_is_charged(harness: &dyn ProcessorHarness) {
    let customer = customer(harness, "Acme").await;
    let saved = save(harness, &customer, TestCard::Succeeds, true).await;
    let request = charge(
        fresh_payment(),
        &customer,
        ChargeSource::Saved(saved.reference),
    );
    let outcome = charged(harness, &request).await;
    assert_succeeded(harness, &request, &outcome, "4242").await;
}

/// A card entered for one payment is charged and not saved.
pub async fn a_one_time_token_is_charged_and_not_kept(harness: &dyn ProcessorHarness) {
    let customer = customer(harness, "Acme").await;
    let request = one_time(harness, &customer, TestCard::Succeeds).await;
    let outcome = charged(harness, &request).await;
    assert_succeeded(harness, &request, &outcome, "4242").await;
    let methods = harness
        .processor()
        .methods(&customer)
        .await
        .expect("the processor lists methods");
    assert!(methods.is_empty(), "a one-time card was saved: {methods:?}");
}

/// A saved card that declines is an outcome, not an error: failed, with a
/// message for the client, and nothing succeeded.
pub async fn a_declined_saved_card_charges_nothing(harness: &dyn ProcessorHarness) {
    let customer = customer(harness, "Acme").await;
    let saved = save(harness, &customer, TestCard::Declines, true).await;
    let request = charge(
        fresh_payment(),
        &customer,
        ChargeSource::Saved(saved.reference),
    );
    let outcome = charged(harness, &request).await;
    assert_failed(harness, &request, &outcome).await;
}

/// A card entered for one payment that declines fails the same way.
pub async fn a_declined_one_time_card_charges_nothing(harness: &dyn ProcessorHarness) {
    let customer = customer(harness, "Acme").await;
    let request = one_time(harness, &customer, TestCard::Declines).await;
    let outcome = charged(harness, &request).await;
    assert_failed(harness, &request, &outcome).await;
}

/// A card that asks for 3-D Secure is not charged until the cardholder
/// authenticates; then a lookup finds the success. A processor without
/// 3-D Secure must not succeed such a charge silently either.
pub async fn three_d_secure_succeeds_only_once_the_cardholder_authenticates(
    harness: &dyn ProcessorHarness,
) {
    let customer = customer(harness, "Acme").await;
    let request = one_time(harness, &customer, TestCard::Requires3ds).await;
    let answer = harness.processor().charge(&request).await;
    if !harness.supports_3ds() {
        if let Ok(outcome) = &answer {
            assert_ne!(
                outcome.status,
                ChargeStatus::Succeeded,
                "a card asking for 3-D Secure was charged without it"
            );
        }
        return;
    }
    let outcome = answer.expect("the processor answers the charge");
    match &outcome.status {
        ChargeStatus::RequiresAction { client_secret } => {
            assert!(!client_secret.is_empty(), "no client secret to finish with");
        }
        other => panic!("a card asking for 3-D Secure answered {other:?}"),
    }
    let pending = look_up(harness, &request, outcome.reference.as_ref()).await;
    if let Some(pending) = &pending {
        assert_ne!(
            pending.status,
            ChargeStatus::Succeeded,
            "the charge succeeded before the cardholder authenticated"
        );
    }

    harness.authenticate(&outcome, true).await;
    let found = look_up(harness, &request, outcome.reference.as_ref())
        .await
        .expect("a lookup finds the authenticated charge");
    assert_eq!(found.status, ChargeStatus::Succeeded, "{found:?}");
    let reference = found
        .reference
        .as_ref()
        .expect("a succeeded charge has a reference");
    if let Some(first) = &outcome.reference {
        assert_eq!(reference, first, "the authenticated charge is another one");
    }
}

/// A 3-D Secure challenge the cardholder fails leaves nothing charged.
pub async fn a_failed_challenge_charges_nothing(harness: &dyn ProcessorHarness) {
    if !harness.supports_3ds() {
        return;
    }
    let customer = customer(harness, "Acme").await;
    let request = one_time(harness, &customer, TestCard::Requires3ds).await;
    let outcome = charged(harness, &request).await;
    assert!(
        matches!(outcome.status, ChargeStatus::RequiresAction { .. }),
        "a card asking for 3-D Secure answered {outcome:?}"
    );
    harness.authenticate(&outcome, false).await;
    let found = look_up(harness, &request, outcome.reference.as_ref()).await;
    if let Some(found) = found {
        assert_ne!(
            found.status,
            ChargeStatus::Succeeded,
            "a failed challenge was charged"
        );
    }
}

/// The same charge submitted twice (a double click, a resubmitted form)
/// is one charge: the same answer, the same reference, one lookup result.
pub async fn a_repeated_charge_charges_once(harness: &dyn ProcessorHarness) {
    let customer = customer(harness, "Acme").await;
    let saved = save(harness, &customer, TestCard::Succeeds, true).await;
    let request = charge(
        fresh_payment(),
        &customer,
        ChargeSource::Saved(saved.reference),
    );
    let first = charged(harness, &request).await;
    let second = charged(harness, &request).await;
    assert_succeeded(harness, &request, &first, "4242").await;
    assert_eq!(second.status, ChargeStatus::Succeeded, "{second:?}");
    assert_eq!(
        second.reference, first.reference,
        "a repeated charge made a second one"
    );
}

/// A payment id the processor never saw has no charge.
pub async fn an_unknown_payment_has_no_charge(harness: &dyn ProcessorHarness) {
    let customer = customer(harness, "Acme").await;
    let saved = save(harness, &customer, TestCard::Succeeds, true).await;
    let made = charge(
        fresh_payment(),
        &customer,
        ChargeSource::Saved(saved.reference.clone()),
    );
    charged(harness, &made).await;
    let never = charge(
        fresh_payment(),
        &customer,
        ChargeSource::Saved(saved.reference),
    );
    let found = look_up(harness, &never, None).await;
    assert!(found.is_none(), "an unknown payment was found: {found:?}");
}

/// Part of a succeeded charge is refunded; the refund has a reference of
/// its own and the charge still stands as succeeded.
pub async fn a_succeeded_charge_is_refunded(harness: &dyn ProcessorHarness) {
    let customer = customer(harness, "Acme").await;
    let saved = save(harness, &customer, TestCard::Succeeds, true).await;
    let request = charge(
        fresh_payment(),
        &customer,
        ChargeSource::Saved(saved.reference),
    );
    let outcome = charged(harness, &request).await;
    assert_eq!(outcome.status, ChargeStatus::Succeeded, "{outcome:?}");
    let reference = outcome
        .reference
        .expect("a succeeded charge has a reference");
    let refund = harness
        .processor()
        .refund(&RefundRequest {
            refund: fresh_refund(),
            payment: request.payment,
            charge: reference.clone(),
            amount: usd(1000),
        })
        .await
        .expect("the processor refunds part of a succeeded charge");
    assert_ne!(refund, reference, "the refund's reference is the charge's");
    let found = look_up(harness, &request, Some(&reference))
        .await
        .expect("a refunded charge is still found");
    assert_eq!(
        found.status,
        ChargeStatus::Succeeded,
        "a refund is not the charge failing: {found:?}"
    );
}
