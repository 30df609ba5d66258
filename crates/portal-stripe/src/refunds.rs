//! Refunds of a PaymentIntent's charge, with our refund id in the
//! metadata and as the idempotency key. As with charges, a refund first
//! looks for one already made for its id (the PaymentIntent's refunds),
//! since localstripe ignores idempotency keys and Stripe keeps them a day.

use std::collections::HashMap;

use portal_domain::model::ProcessorRef;
use portal_domain::ports::{ProcessorError, ProcessorResult, RefundRequest};
use stripe_core::refund::{CreateRefund, ListRefund};

use crate::charges::PAYMENT_ID;
use crate::client::{Api, clean};
use crate::methods::reference;
use crate::wire::{List, Refund};

/// The metadata key holding our refund id.
const REFUND_ID: &str = "refund_id";

pub(crate) async fn refund(api: &Api, request: &RefundRequest) -> ProcessorResult<ProcessorRef> {
    let charge = request.charge.as_str();
    let refund_id = request.refund.to_string();
    let mut list = ListRefund::new().limit(100);
    list = if charge.starts_with("ch_") {
        list.charge(charge)
    } else {
        list.payment_intent(charge)
    };
    let made: List<Refund> = api.send_as(&list, None).await?;
    if let Some(found) = made
        .data
        .iter()
        .find(|r| r.metadata.get(REFUND_ID) == Some(&refund_id))
    {
        return settled(found);
    }

    let metadata = HashMap::from([
        (REFUND_ID.to_owned(), refund_id.clone()),
        (PAYMENT_ID.to_owned(), request.payment.to_string()),
    ]);
    let mut create = CreateRefund::new()
        .amount(request.amount.minor())
        .metadata(metadata);
    create = if charge.starts_with("ch_") {
        create.charge(charge)
    } else {
        create.payment_intent(charge)
    };
    let created: Refund = api.send_as(&create, Some(&refund_id)).await?;
    settled(&created)
}

/// The refund's reference, unless Stripe already says it failed.
fn settled(refund: &Refund) -> ProcessorResult<ProcessorRef> {
    match refund.status.as_deref() {
        Some(status @ ("failed" | "canceled")) => Err(ProcessorError::Rejected(format!(
            "the refund {} is {}",
            clean(&refund.id),
            status
        ))),
        _ => reference(&refund.id),
    }
}
