//! Contract cases for customers and their saved methods: adding,
//! listing, the default, removing, and another customer's methods.

use crate::model::{MethodDetails, ProcessorRef};
use crate::ports::{ChargeSource, ProcessorError, SavedMethod};

use super::{ProcessorHarness, TestCard, charge, customer, fresh_payment, is_card, look_up, save};

async fn listed(harness: &dyn ProcessorHarness, customer: &ProcessorRef) -> Vec<SavedMethod> {
    let mut methods = harness
        .processor()
        .methods(customer)
        .await
        .expect("the processor lists methods");
    methods.sort_by(|a, b| a.reference.cmp(&b.reference));
    methods
}

fn defaults(methods: &[SavedMethod]) -> Vec<&ProcessorRef> {
    methods
        .iter()
        .filter(|m| m.is_default)
        .map(|m| &m.reference)
        .collect()
}

/// The processor accepts its credentials.
pub async fn the_connection_check_passes(harness: &dyn ProcessorHarness) {
    harness
        .processor()
        .check()
        .await
        .expect("the connection check passes");
}

/// A customer is created with nothing saved; two customers are two
/// references.
pub async fn a_new_customer_has_no_methods(harness: &dyn ProcessorHarness) {
    let a = customer(harness, "Acme").await;
    let b = customer(harness, "Globex").await;
    assert_ne!(a, b, "two customers share a reference");
    assert!(listed(harness, &a).await.is_empty());
    assert!(listed(harness, &b).await.is_empty());
}

/// A card saved from the browser's setup token reports what was saved
/// (brand, last four, expiry) and is listed as such.
pub async fn a_method_saved_from_a_setup_token_is_listed(harness: &dyn ProcessorHarness) {
    let customer = customer(harness, "Acme").await;
    let saved = save(harness, &customer, TestCard::Succeeds, true).await;
    assert!(
        is_card(&saved.details, "4242"),
        "a Visa ending in 4242 was saved, the processor reports {:?}",
        saved.details
    );
    assert!(
        matches!(
            saved.details,
            MethodDetails::Card {
                expiry: Some(_),
                ..
            }
        ),
        "the processor reports no expiry: {:?}",
        saved.details
    );
    assert!(saved.is_default, "a method saved as the default is not");
    assert_eq!(listed(harness, &customer).await, vec![saved]);
}

/// Two saved methods are both listed, under different references, and
/// only the one saved as the default is.
pub async fn two_saved_methods_are_listed_with_one_default(harness: &dyn ProcessorHarness) {
    let customer = customer(harness, "Acme").await;
    let first = save(harness, &customer, TestCard::Succeeds, true).await;
    let second = save(harness, &customer, TestCard::Declines, false).await;
    assert_ne!(first.reference, second.reference);
    assert!(
        is_card(&second.details, "0341"),
        "a Visa ending in 0341 was saved, the processor reports {:?}",
        second.details
    );
    assert!(!second.is_default, "a method saved as not the default is");
    let methods = listed(harness, &customer).await;
    assert_eq!(methods.len(), 2, "{methods:?}");
    assert_eq!(defaults(&methods), vec![&first.reference]);
    for saved in [&first, &second] {
        let found = methods
            .iter()
            .find(|m| m.reference == saved.reference)
            .expect("every saved method is listed");
        assert_eq!(found.details, saved.details);
    }
}

/// Setting another method as the default takes the mark from the old one.
pub async fn setting_the_default_moves_it(harness: &dyn ProcessorHarness) {
    let customer = customer(harness, "Acme").await;
    let first = save(harness, &customer, TestCard::Succeeds, true).await;
    let second = save(harness, &customer, TestCard::Succeeds, false).await;
    harness
        .processor()
        .set_default(&customer, &second.reference)
        .await
        .expect("the processor sets the default");
    let methods = listed(harness, &customer).await;
    assert_eq!(methods.len(), 2, "{methods:?}");
    assert_eq!(defaults(&methods), vec![&second.reference]);
    harness
        .processor()
        .set_default(&customer, &first.reference)
        .await
        .expect("the processor sets the default back");
    assert_eq!(
        defaults(&listed(harness, &customer).await),
        vec![&first.reference]
    );
}

/// A removed method is gone from the list; the others stay.
pub async fn a_removed_method_is_no_longer_listed(harness: &dyn ProcessorHarness) {
    let customer = customer(harness, "Acme").await;
    let kept = save(harness, &customer, TestCard::Succeeds, true).await;
    let removed = save(harness, &customer, TestCard::Succeeds, false).await;
    harness
        .processor()
        .remove_method(&customer, &removed.reference)
        .await
        .expect("the processor removes the method");
    assert_eq!(listed(harness, &customer).await, vec![kept]);
}

/// Naming customer A with customer B's method is refused as not found,
/// for every operation, and changes nothing of B's (nor charges anyone).
pub async fn another_customers_method_is_refused_and_unchanged(harness: &dyn ProcessorHarness) {
    let a = customer(harness, "Acme").await;
    let b = customer(harness, "Globex").await;
    save(harness, &a, TestCard::Succeeds, true).await;
    let theirs = save(harness, &b, TestCard::Succeeds, true).await;
    let a_before = listed(harness, &a).await;
    let b_before = listed(harness, &b).await;
    let processor = harness.processor();

    let set = processor.set_default(&a, &theirs.reference).await;
    assert_eq!(set, Err(ProcessorError::NotFound), "set_default");
    let removed = processor.remove_method(&a, &theirs.reference).await;
    assert_eq!(removed, Err(ProcessorError::NotFound), "remove_method");
    let request = charge(
        fresh_payment(),
        &a,
        ChargeSource::Saved(theirs.reference.clone()),
    );
    let charged = processor.charge(&request).await;
    assert_eq!(charged, Err(ProcessorError::NotFound), "charge");

    assert_eq!(listed(harness, &b).await, b_before, "B's methods changed");
    assert_eq!(listed(harness, &a).await, a_before, "A's methods changed");
    let found = look_up(harness, &request, None).await;
    assert!(
        found.is_none(),
        "a refused charge left a charge behind: {found:?}"
    );
}
