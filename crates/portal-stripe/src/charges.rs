//! Charges as PaymentIntents: confirmed at once, off-session, with our
//! payment id in the metadata and as the idempotency key; looking a
//! charge up by that id; and what a PaymentIntent's status means to the
//! portal.
//!
//! A server-side confirmation under dynamic payment methods wants a
//! `return_url` for methods that redirect; allowing only cards and US bank
//! accounts (`allowed_payment_method_types`) rules those out.
//!
//! Stripe keeps idempotency keys for 24 hours and localstripe not at all,
//! so a charge first looks for one already made for its payment id (the
//! customer's charges since a bound, their PaymentIntents expanded) and
//! answers that instead of charging again. Only a PaymentIntent that made
//! no charge yet (waiting for 3-D Secure) escapes that search; Stripe's
//! idempotency key still covers it for a day.

use std::collections::HashMap;

use chrono::{DateTime, Duration, Utc};
use portal_domain::model::{MethodDetails, PaymentId, ProcessorRef};
use portal_domain::ports::{
    ChargeLookup, ChargeOutcome, ChargeRequest, ChargeSource, ChargeStatus, ProcessorError,
    ProcessorResult,
};
use serde::Deserialize;
use stripe_core::PaymentIntentAllowedPaymentMethodTypes;
use stripe_core::charge::ListCharge;
use stripe_core::payment_intent::{
    CreatePaymentIntent, CreatePaymentIntentOffSession, RetrievePaymentIntent,
};
use stripe_types::{Currency, RangeQueryTs};

use crate::client::{Api, CallError, card_message, clean};
use crate::methods::{self, bank_details, card_details, reference};
use crate::wire::{self, Expandable, PaymentError, PaymentIntent};

/// The metadata key holding our payment id.
pub(crate) const PAYMENT_ID: &str = "payment_id";
/// The metadata key holding what the charge is for. localstripe refuses a
/// PaymentIntent's `description`, so it travels in the metadata.
const DESCRIPTION: &str = "description";
/// Stripe's limit on a metadata value.
const MAX_METADATA_VALUE: usize = 500;

/// How far back a charge looks for one already made for its payment.
const REPEAT_WINDOW: Duration = Duration::days(7);
/// How much earlier than the attempt a lookup starts, for clock skew.
const LOOKUP_MARGIN: Duration = Duration::hours(1);
/// Charges per page, and pages at most, when searching.
const PAGE: i64 = 100;
const MAX_PAGES: usize = 20;

/// Card error codes whose messages Stripe writes for cardholders.
const CARD_CODES: &[&str] = &[
    "card_declined",
    "expired_card",
    "incorrect_cvc",
    "incorrect_number",
    "incorrect_zip",
    "insufficient_funds",
    "invalid_cvc",
    "invalid_expiry_month",
    "invalid_expiry_year",
    "invalid_number",
    "processing_error",
    "card_velocity_exceeded",
];

/// A charge as a list of charges answers it.
#[derive(Debug, Deserialize)]
pub(crate) struct Charge {
    pub(crate) id: String,
    #[serde(default)]
    pub(crate) payment_intent: Option<Expandable<PaymentIntent>>,
}

/// The method being charged.
struct Charging {
    id: String,
    details: Option<MethodDetails>,
    /// A one-time card real Stripe attached to the customer through its
    /// SetupIntent: detached once the charge is settled, so it is not kept.
    detach_after: bool,
}

pub(crate) async fn charge(api: &Api, request: &ChargeRequest) -> ProcessorResult<ChargeOutcome> {
    let charging = charging(api, request).await?;
    let since = now() - REPEAT_WINDOW;
    let outcome = match find_intent(api, &request.customer, request.payment, since).await? {
        Some(made) => outcome(&made, charging.details.as_ref())?,
        None => create(api, request, &charging).await?,
    };
    let settled = matches!(
        outcome.status,
        ChargeStatus::Succeeded | ChargeStatus::Failed { .. }
    );
    if charging.detach_after && settled {
        // The charge stands either way; a card left attached only shows
        // among the customer's methods until removed there.
        let _ = methods::detach(api, &charging.id).await;
    }
    Ok(outcome)
}

/// Resolves the source, refusing another customer's method before any
/// charge is attempted.
async fn charging(api: &Api, request: &ChargeRequest) -> ProcessorResult<Charging> {
    match &request.source {
        ChargeSource::Saved(method) => {
            let owned = methods::owned_method(api, &request.customer, method).await?;
            Ok(Charging {
                id: owned.id.as_str().to_owned(),
                details: methods::details(&owned).ok(),
                detach_after: false,
            })
        }
        ChargeSource::Token(token) => {
            let found = methods::token_method(api, &request.customer, token).await?;
            let attached = found.method.customer.is_some();
            Ok(Charging {
                id: found.method.id.as_str().to_owned(),
                details: methods::details(&found.method).ok(),
                detach_after: found.from_setup && attached,
            })
        }
    }
}

async fn create(
    api: &Api,
    request: &ChargeRequest,
    charging: &Charging,
) -> ProcessorResult<ChargeOutcome> {
    let payment = request.payment.to_string();
    let currency: Currency = request
        .amount
        .currency()
        .code()
        .to_ascii_lowercase()
        .parse()
        .map_err(|_| ProcessorError::Rejected("a currency Stripe does not know".into()))?;
    let mut metadata = HashMap::from([(PAYMENT_ID.to_owned(), payment.clone())]);
    if !request.description.is_empty() {
        let description: String = request
            .description
            .chars()
            .take(MAX_METADATA_VALUE)
            .collect();
        metadata.insert(DESCRIPTION.to_owned(), description);
    }
    let create = CreatePaymentIntent::new(request.amount.minor(), currency)
        .customer(request.customer.as_str())
        .payment_method(charging.id.as_str())
        .allowed_payment_method_types(vec![
            PaymentIntentAllowedPaymentMethodTypes::Card,
            PaymentIntentAllowedPaymentMethodTypes::UsBankAccount,
        ])
        .confirm(true)
        .off_session(CreatePaymentIntentOffSession::Bool(true))
        .metadata(metadata)
        .expand(vec!["payment_method".to_owned()]);
    match api
        .send_as::<_, PaymentIntent>(&create, Some(&payment))
        .await
    {
        // Once the charge was sent, an answer that cannot be read says
        // nothing of whether money moved: unknown, to be looked up again
        // (a retry with the same idempotency key, or reconciliation),
        // never a failure.
        Ok(intent) => outcome(&intent, charging.details.as_ref()).map_err(unknown),
        Err(CallError::Unreadable(message)) => Err(ProcessorError::Unavailable(format!(
            "Stripe's answer to the charge cannot be read: {message}"
        ))),
        Err(CallError::Refused(refusal)) if refusal.is_card_error() => {
            // The PaymentIntent exists and failed (or, on Stripe, waits
            // for the cardholder to authenticate): answer what it holds.
            let since = now() - LOOKUP_MARGIN;
            let mut made = find_intent(api, &request.customer, request.payment, since).await?;
            if made.is_none()
                && let Some(named) = &refusal.payment_intent
            {
                made = Some(retrieve_intent(api, named).await?);
            }
            match made {
                Some(made) => outcome(&made, charging.details.as_ref()).map_err(unknown),
                None => Ok(ChargeOutcome {
                    status: ChargeStatus::Failed {
                        message: card_message(refusal.message.as_deref()),
                    },
                    reference: None,
                    method: charging.details.clone(),
                }),
            }
        }
        Err(other) => Err(other.into()),
    }
}

pub(crate) async fn lookup(
    api: &Api,
    lookup: &ChargeLookup,
) -> ProcessorResult<Option<ChargeOutcome>> {
    let Some(known) = &lookup.reference else {
        let since = lookup.attempted_at - LOOKUP_MARGIN;
        return match find_intent(api, &lookup.customer, lookup.payment, since).await? {
            Some(made) => Ok(Some(outcome(&made, None)?)),
            None => Ok(None),
        };
    };
    let retrieve =
        RetrievePaymentIntent::new(known.as_str()).expand(vec!["payment_method".to_owned()]);
    let intent: PaymentIntent = match api.send_as(&retrieve, None).await {
        Ok(intent) => intent,
        Err(error) => {
            return match ProcessorError::from(error) {
                ProcessorError::NotFound => Ok(None),
                other => Err(other),
            };
        }
    };
    let customer = intent.customer.as_ref().map(Expandable::id);
    let payment = intent.metadata.get(PAYMENT_ID).map(String::as_str);
    let wanted = lookup.payment.to_string();
    if customer != Some(lookup.customer.as_str()) || payment != Some(wanted.as_str()) {
        return Ok(None);
    }
    Ok(Some(outcome(&intent, None)?))
}

/// A PaymentIntent with its method expanded.
async fn retrieve_intent(api: &Api, id: &str) -> ProcessorResult<PaymentIntent> {
    let retrieve = RetrievePaymentIntent::new(id).expand(vec!["payment_method".to_owned()]);
    Ok(api.send_as(&retrieve, None).await?)
}

/// The PaymentIntent made for `payment`, among the customer's charges
/// created after `since`.
async fn find_intent(
    api: &Api,
    customer: &ProcessorRef,
    payment: PaymentId,
    since: DateTime<Utc>,
) -> ProcessorResult<Option<PaymentIntent>> {
    let wanted = payment.to_string();
    let mut after: Option<String> = None;
    for _ in 0..MAX_PAGES {
        let mut list = ListCharge::new()
            .customer(customer.as_str())
            .created(RangeQueryTs::gt(since.timestamp()))
            .limit(PAGE)
            .expand(vec!["data.payment_intent.payment_method".to_owned()]);
        if let Some(last) = &after {
            list = list.starting_after(last.as_str());
        }
        let page: wire::List<Charge> = api.send_as(&list, None).await?;
        for charge in &page.data {
            let Some(Expandable::Object(intent)) = &charge.payment_intent else {
                continue;
            };
            if intent.metadata.get(PAYMENT_ID) == Some(&wanted) {
                return Ok(Some((**intent).clone()));
            }
        }
        match page.data.last() {
            Some(last) if page.has_more => after = Some(last.id.clone()),
            _ => return Ok(None),
        }
    }
    Err(ProcessorError::Unavailable(format!(
        "more than {} charges to search for a payment",
        PAGE * MAX_PAGES as i64
    )))
}

/// The system's time. Stripe's bounds are its own clock's, so searches
/// start well before (see [`LOOKUP_MARGIN`]).
fn now() -> DateTime<Utc> {
    DateTime::<Utc>::from(std::time::SystemTime::now())
}

/// What a PaymentIntent says of the charge. `fallback` names the method
/// when the PaymentIntent does not carry it expanded.
pub(crate) fn outcome(
    intent: &PaymentIntent,
    fallback: Option<&MethodDetails>,
) -> ProcessorResult<ChargeOutcome> {
    let status = match intent.status.as_str() {
        "succeeded" => ChargeStatus::Succeeded,
        "processing" | "requires_capture" => ChargeStatus::Processing,
        "requires_action" => ChargeStatus::RequiresAction {
            client_secret: client_secret(intent)?,
        },
        // Off-session, Stripe declines a card that asks for 3-D Secure
        // with `authentication_required`: the cardholder can still
        // authenticate this same PaymentIntent in the browser.
        "requires_payment_method" if needs_authentication(intent) => ChargeStatus::RequiresAction {
            client_secret: client_secret(intent)?,
        },
        "requires_payment_method" => ChargeStatus::Failed {
            message: failure_message(intent.last_payment_error.as_ref()),
        },
        "requires_confirmation" => ChargeStatus::Failed {
            message: "The payment was not completed.".into(),
        },
        "canceled" => ChargeStatus::Failed {
            message: "The payment was canceled.".into(),
        },
        other => {
            return Err(ProcessorError::Unavailable(format!(
                "a PaymentIntent in status {}",
                clean(other)
            )));
        }
    };
    let method = intent
        .payment_method
        .as_ref()
        .and_then(Expandable::object)
        .or_else(|| {
            intent
                .last_payment_error
                .as_ref()
                .and_then(|e| e.payment_method.as_ref())
        })
        .and_then(|m| wire_details(m).ok())
        .or_else(|| fallback.cloned());
    Ok(ChargeOutcome {
        status,
        reference: Some(reference(&intent.id)?),
        method,
    })
}

/// A charge whose outcome cannot be told from what Stripe answered.
fn unknown(error: ProcessorError) -> ProcessorError {
    match error {
        ProcessorError::Rejected(message) => ProcessorError::Unavailable(message),
        other => other,
    }
}

pub(crate) fn needs_authentication(intent: &PaymentIntent) -> bool {
    intent.last_payment_error.as_ref().is_some_and(|e| {
        e.code.as_deref() == Some("authentication_required")
            || e.decline_code.as_deref() == Some("authentication_required")
    })
}

fn client_secret(intent: &PaymentIntent) -> ProcessorResult<String> {
    intent
        .client_secret
        .clone()
        .filter(|s| !s.is_empty())
        .ok_or_else(|| {
            ProcessorError::Rejected("a PaymentIntent awaiting action without its secret".into())
        })
}

/// A failed attempt's message for the client: Stripe's own for card
/// errors (written for cardholders), a sentence of ours otherwise.
pub(crate) fn failure_message(error: Option<&PaymentError>) -> String {
    let Some(error) = error else {
        return "The payment was declined.".into();
    };
    let card_error = error.kind.as_deref() == Some("card_error")
        || error
            .code
            .as_deref()
            .is_some_and(|c| CARD_CODES.contains(&c));
    if card_error {
        return card_message(error.message.as_deref());
    }
    match error.code.as_deref() {
        Some("payment_intent_authentication_failure") => {
            "The card's bank could not confirm the payment.".into()
        }
        _ => "The payment was declined.".into(),
    }
}

/// What the portal shows of a method the adapter decoded itself.
pub(crate) fn wire_details(method: &wire::PaymentMethod) -> ProcessorResult<MethodDetails> {
    if let Some(card) = &method.card {
        return card_details(&card.brand, &card.last4, card.exp_month, card.exp_year);
    }
    if let Some(bank) = &method.us_bank_account {
        return bank_details(bank.bank_name.as_deref(), bank.last4.as_deref());
    }
    Err(ProcessorError::Rejected(format!(
        "a payment method of type {} the portal cannot show",
        clean(&method.kind)
    )))
}
