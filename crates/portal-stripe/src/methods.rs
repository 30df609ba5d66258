//! Customers and their saved payment methods: creating a customer,
//! SetupIntents for the browser, saving what the browser set up, listing,
//! the default (the customer's `invoice_settings.default_payment_method`)
//! and removing. Every operation on a method first checks it is attached
//! to the customer named: another customer's method is not found.

use std::collections::HashMap;

use portal_domain::model::{CardBrand, Expiry, Last4, MethodDetails, ProcessorRef};
use portal_domain::ports::{
    BrowserToken, CustomerInfo, ProcessorError, ProcessorResult, SavedMethod, SetupStart,
};
use stripe_core::customer::{
    CreateCustomer, ListCustomer, RetrieveCustomer, RetrieveCustomerReturned, UpdateCustomer,
    UpdateCustomerInvoiceSettings,
};
use stripe_core::setup_intent::{CreateSetupIntent, CreateSetupIntentUsage, RetrieveSetupIntent};
use stripe_core::{Customer, SetupIntent, SetupIntentAllowedPaymentMethodTypes, SetupIntentStatus};
use stripe_payment::PaymentMethod;
use stripe_payment::payment_method::{
    AttachPaymentMethod, DetachPaymentMethod, ListPaymentMethod, ListPaymentMethodType,
    RetrievePaymentMethod,
};
use stripe_types::Expandable;

use crate::client::{Api, CallError, card_message};

/// How many saved methods of one customer are listed.
const MAX_METHODS: i64 = 100;

/// What a client is told when a browser token is unknown or spent.
const EXPIRED_TOKEN: &str = "The card details could not be confirmed. Please enter them again.";

/// A cheap authenticated read: the first customer, if any.
pub(crate) async fn check(api: &Api) -> ProcessorResult<()> {
    api.send(&ListCustomer::new().limit(1)).await?;
    Ok(())
}

pub(crate) async fn create_customer(
    api: &Api,
    customer: CustomerInfo<'_>,
) -> ProcessorResult<ProcessorRef> {
    let mut request = CreateCustomer::new()
        .name(customer.name)
        .metadata(HashMap::from([(
            "client_id".to_owned(),
            customer.client.to_string(),
        )]));
    if let Some(email) = customer.email {
        request = request.email(email.as_str());
    }
    let created = api.send(&request).await?;
    reference(created.id.as_str())
}

/// A SetupIntent for saving a card off-session; the browser confirms it
/// with its client secret. Cards only: since API version 2026-09-30 that
/// is `allowed_payment_method_types` (`payment_method_types` is refused).
pub(crate) async fn start_setup(api: &Api, customer: &ProcessorRef) -> ProcessorResult<SetupStart> {
    let intent = api
        .send(
            &CreateSetupIntent::new()
                .customer(customer.as_str())
                .allowed_payment_method_types(vec![SetupIntentAllowedPaymentMethodTypes::Card])
                .usage(CreateSetupIntentUsage::OffSession),
        )
        .await?;
    match intent.client_secret {
        Some(secret) => Ok(SetupStart {
            client_secret: Some(secret),
        }),
        None => Err(ProcessorError::Rejected(
            "the SetupIntent came without a client secret".into(),
        )),
    }
}

/// Saves the method behind a browser token: a SetupIntent (`seti_…`) the
/// browser confirmed, or a PaymentMethod (`pm_…`).
pub(crate) async fn finish_setup(
    api: &Api,
    customer: &ProcessorRef,
    token: &BrowserToken,
    make_default: bool,
) -> ProcessorResult<SavedMethod> {
    let method = token_method(api, customer, token).await?.method;
    let attached = attach(api, customer, method).await?;
    let details = details(&attached)?;
    let is_default = if make_default {
        set_customer_default(api, customer, attached.id.as_str()).await?;
        true
    } else {
        default_of(&retrieve_customer(api, customer).await?) == Some(attached.id.as_str())
    };
    Ok(SavedMethod {
        reference: reference(attached.id.as_str())?,
        details,
        is_default,
    })
}

/// The customer's saved cards, the default marked. Only cards: methods
/// are saved through card SetupIntents, and localstripe lists no other
/// type (bank accounts are still read when a charge or token names one).
pub(crate) async fn methods(
    api: &Api,
    customer: &ProcessorRef,
) -> ProcessorResult<Vec<SavedMethod>> {
    let listed = api
        .send(
            &ListPaymentMethod::new()
                .customer(customer.as_str())
                .type_(ListPaymentMethodType::Card)
                .limit(MAX_METHODS),
        )
        .await?;
    let found = retrieve_customer(api, customer).await?;
    let default = default_of(&found);
    listed
        .data
        .iter()
        .map(|method| {
            Ok(SavedMethod {
                reference: reference(method.id.as_str())?,
                details: details(method)?,
                is_default: default == Some(method.id.as_str()),
            })
        })
        .collect()
}

pub(crate) async fn set_default(
    api: &Api,
    customer: &ProcessorRef,
    method: &ProcessorRef,
) -> ProcessorResult<()> {
    let owned = owned_method(api, customer, method).await?;
    set_customer_default(api, customer, owned.id.as_str()).await
}

/// Detaches the method; when it was the default, the customer is left
/// without one first.
pub(crate) async fn remove_method(
    api: &Api,
    customer: &ProcessorRef,
    method: &ProcessorRef,
) -> ProcessorResult<()> {
    let owned = owned_method(api, customer, method).await?;
    let found = retrieve_customer(api, customer).await?;
    if default_of(&found) == Some(owned.id.as_str()) {
        set_customer_default(api, customer, "").await?;
    }
    api.send(&DetachPaymentMethod::new(owned.id.as_str()))
        .await?;
    Ok(())
}

/// The method `method`, if it is attached to `customer`; otherwise (or
/// unknown) [`ProcessorError::NotFound`].
pub(crate) async fn owned_method(
    api: &Api,
    customer: &ProcessorRef,
    method: &ProcessorRef,
) -> ProcessorResult<PaymentMethod> {
    let found = api
        .send(&RetrievePaymentMethod::new(method.as_str()))
        .await?;
    if customer_of(&found) == Some(customer.as_str()) {
        Ok(found)
    } else {
        Err(ProcessorError::NotFound)
    }
}

/// The method behind a browser token.
#[derive(Debug)]
pub(crate) struct TokenMethod {
    pub(crate) method: PaymentMethod,
    /// Whether it came from a SetupIntent, which real Stripe attaches to
    /// the customer when it succeeds.
    pub(crate) from_setup: bool,
}

/// Reads a token: a SetupIntent of `customer` that succeeded, or a
/// PaymentMethod no other customer holds. An unknown token is declined
/// (the client enters the card again); another customer's is not found.
pub(crate) async fn token_method(
    api: &Api,
    customer: &ProcessorRef,
    token: &BrowserToken,
) -> ProcessorResult<TokenMethod> {
    let text = token.as_str();
    if text.starts_with("seti_") {
        let intent = api
            .send(&RetrieveSetupIntent::new(text).expand(vec!["payment_method".to_owned()]))
            .await
            .map_err(expired_if_missing)?;
        let method = setup_method(api, customer, intent).await?;
        return Ok(TokenMethod {
            method,
            from_setup: true,
        });
    }
    if text.starts_with("pm_") {
        let method = api
            .send(&RetrievePaymentMethod::new(text))
            .await
            .map_err(expired_if_missing)?;
        return match customer_of(&method) {
            Some(other) if other != customer.as_str() => Err(ProcessorError::NotFound),
            _ => Ok(TokenMethod {
                method,
                from_setup: false,
            }),
        };
    }
    Err(ProcessorError::Declined(EXPIRED_TOKEN.to_owned()))
}

async fn setup_method(
    api: &Api,
    customer: &ProcessorRef,
    intent: SetupIntent,
) -> ProcessorResult<PaymentMethod> {
    let owner = intent.customer.as_ref().map(|c| c.id().as_str());
    if owner != Some(customer.as_str()) {
        return Err(ProcessorError::NotFound);
    }
    match &intent.status {
        SetupIntentStatus::Succeeded => {}
        SetupIntentStatus::RequiresAction => {
            return Err(ProcessorError::Declined(
                "The card's bank asked for a confirmation that was not completed.".into(),
            ));
        }
        SetupIntentStatus::Processing => {
            return Err(ProcessorError::Declined(
                "The bank account is not verified yet.".into(),
            ));
        }
        _ => {
            let message = intent
                .last_setup_error
                .as_ref()
                .and_then(|e| e.message.as_deref());
            return Err(ProcessorError::Declined(card_message(message)));
        }
    }
    match intent.payment_method {
        Some(Expandable::Object(method)) => Ok(*method),
        Some(Expandable::Id(id)) => Ok(api
            .send(&RetrievePaymentMethod::new(id))
            .await
            .map_err(expired_if_missing)?),
        None => Err(ProcessorError::Declined(EXPIRED_TOKEN.to_owned())),
    }
}

/// Attaches `method` to `customer` unless it already is (real Stripe
/// attaches on a SetupIntent's success; localstripe does not). A card
/// refused while attaching is declined.
async fn attach(
    api: &Api,
    customer: &ProcessorRef,
    method: PaymentMethod,
) -> ProcessorResult<PaymentMethod> {
    match customer_of(&method) {
        Some(owner) if owner == customer.as_str() => Ok(method),
        Some(_) => Err(ProcessorError::NotFound),
        None => Ok(api
            .send(&AttachPaymentMethod::new(method.id.as_str()).customer(customer.as_str()))
            .await?),
    }
}

/// Detaches a method, for a one-time card that was attached on the way.
pub(crate) async fn detach(api: &Api, method: &str) -> ProcessorResult<()> {
    api.send(&DetachPaymentMethod::new(method)).await?;
    Ok(())
}

/// Sets the customer's default method; `""` clears it.
async fn set_customer_default(
    api: &Api,
    customer: &ProcessorRef,
    method: &str,
) -> ProcessorResult<()> {
    let mut settings = UpdateCustomerInvoiceSettings::new();
    settings.default_payment_method = Some(method.to_owned());
    api.send(&UpdateCustomer::new(customer.as_str()).invoice_settings(settings))
        .await?;
    Ok(())
}

async fn retrieve_customer(api: &Api, customer: &ProcessorRef) -> ProcessorResult<Customer> {
    match api.send(&RetrieveCustomer::new(customer.as_str())).await? {
        RetrieveCustomerReturned::Customer(found) => Ok(found),
        RetrieveCustomerReturned::DeletedCustomer(_) => Err(ProcessorError::NotFound),
    }
}

fn default_of(customer: &Customer) -> Option<&str> {
    customer
        .invoice_settings
        .as_ref()?
        .default_payment_method
        .as_ref()
        .map(|m| m.id().as_str())
}

fn customer_of(method: &PaymentMethod) -> Option<&str> {
    method.customer.as_ref().map(|c| c.id().as_str())
}

fn expired_if_missing(error: CallError) -> ProcessorError {
    match ProcessorError::from(error) {
        ProcessorError::NotFound => ProcessorError::Declined(EXPIRED_TOKEN.to_owned()),
        other => other,
    }
}

/// What the portal shows of a method async-stripe decoded.
pub(crate) fn details(method: &PaymentMethod) -> ProcessorResult<MethodDetails> {
    if let Some(card) = &method.card {
        return card_details(
            &card.brand,
            &card.last4,
            Some(card.exp_month),
            Some(card.exp_year),
        );
    }
    if let Some(bank) = &method.us_bank_account {
        return bank_details(bank.bank_name.as_deref(), bank.last4.as_deref());
    }
    Err(ProcessorError::Rejected(format!(
        "a payment method of type {} the portal cannot show",
        method.type_.as_str()
    )))
}

pub(crate) fn card_details(
    brand: &str,
    last4: &str,
    exp_month: Option<i64>,
    exp_year: Option<i64>,
) -> ProcessorResult<MethodDetails> {
    let expiry = match (exp_month, exp_year) {
        (Some(month), Some(year)) => u32::try_from(month)
            .ok()
            .zip(i32::try_from(year).ok())
            .and_then(|(m, y)| Expiry::new(m, y).ok()),
        _ => None,
    };
    Ok(MethodDetails::Card {
        brand: CardBrand::from_processor(brand),
        last4: last4_of(last4)?,
        expiry,
    })
}

pub(crate) fn bank_details(
    bank_name: Option<&str>,
    last4: Option<&str>,
) -> ProcessorResult<MethodDetails> {
    Ok(MethodDetails::BankAccount {
        bank_name: bank_name.and_then(MethodDetails::clean_bank_name),
        last4: last4_of(last4.unwrap_or_default())?,
    })
}

fn last4_of(text: &str) -> ProcessorResult<Last4> {
    Last4::parse(text)
        .map_err(|_| ProcessorError::Rejected("a method without its last four digits".into()))
}

pub(crate) fn reference(id: &str) -> ProcessorResult<ProcessorRef> {
    ProcessorRef::parse(id)
        .map_err(|_| ProcessorError::Rejected("an identifier the portal cannot keep".into()))
}
