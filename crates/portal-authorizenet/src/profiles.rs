//! Customer profiles and their payment profiles: a client is a customer
//! profile, each saved card or bank account a payment profile in it.
//!
//! Every change to a payment profile first reads the customer profile, so
//! a method that is not this customer's is refused with
//! [`ProcessorError::NotFound`] before anything changes.

use portal_domain::model::{CardBrand, Expiry, Last4, MethodDetails, ProcessorRef};
use portal_domain::ports::{
    BrowserToken, CustomerInfo, ProcessorError, ProcessorResult, SavedMethod,
};

use crate::AuthorizeNetProcessor;
use crate::client::refusal;
use crate::compact::{clip, compact_id};
use crate::wire::request::{
    BankAccount, CreateCustomerPaymentProfile, CreateCustomerProfile, CreditCard,
    DeleteCustomerPaymentProfile, GetCustomerProfile, NewCustomerProfile, OpaqueData, Payment,
    PaymentProfile, Request, UpdateCustomerPaymentProfile,
};
use crate::wire::response::{
    self, Basic, CreateCustomerPaymentProfileResponse, CreateCustomerProfileResponse,
    GetCustomerProfileResponse,
};

/// What Accept.js calls its nonces.
pub(crate) const ACCEPT_DESCRIPTOR: &str = "COMMON.ACCEPT.INAPP.PAYMENT";

/// The portal's clients are companies.
const CUSTOMER_TYPE: &str = "business";

impl AuthorizeNetProcessor {
    /// Creates the client's customer profile, or finds the one an earlier
    /// attempt (or an earlier connection to the same account) created.
    pub(crate) async fn create_profile(
        &self,
        customer: CustomerInfo<'_>,
    ) -> ProcessorResult<ProcessorRef> {
        let merchant_customer_id = compact_id(customer.client.as_uuid().as_u128());
        let description = clip(customer.name, 255);
        let request = Request::CreateCustomerProfile(CreateCustomerProfile {
            merchant_authentication: self.gateway.auth(),
            ref_id: Some(merchant_customer_id.clone()),
            profile: NewCustomerProfile {
                merchant_customer_id: merchant_customer_id.clone(),
                description: (!description.trim().is_empty()).then_some(description),
                email: customer.email.map(|e| e.as_str().to_owned()),
            },
        });
        let answer: CreateCustomerProfileResponse = self.gateway.call(&request).await?;
        if answer.messages.is_ok() {
            return reference(answer.customer_profile_id.as_deref());
        }
        // "A duplicate record with ID 500123 already exists."
        let Some(text) = answer.messages.text_of("E00039") else {
            return Err(refusal(&answer.messages));
        };
        let existing = duplicate_id(text).ok_or_else(|| {
            ProcessorError::Rejected(format!("unreadable duplicate answer: {text}"))
        })?;
        // The gateway also calls a profile a duplicate when only its
        // description and email match: make sure it is this client's.
        let profile = self.profile(&existing).await?;
        if profile.merchant_customer_id.as_deref() == Some(merchant_customer_id.as_str()) {
            Ok(existing)
        } else {
            Err(ProcessorError::Rejected(
                "Authorize.Net already has a customer profile with this name and email for \
                 another customer"
                    .into(),
            ))
        }
    }

    /// Saves the method behind an Accept.js nonce to the customer's
    /// profile and reads back what the gateway kept.
    pub(crate) async fn save_method(
        &self,
        customer: &ProcessorRef,
        token: &BrowserToken,
        make_default: bool,
    ) -> ProcessorResult<SavedMethod> {
        check_numeric(customer)?;
        let request = Request::CreateCustomerPaymentProfile(CreateCustomerPaymentProfile {
            merchant_authentication: self.gateway.auth(),
            customer_profile_id: customer.as_str().to_owned(),
            payment_profile: PaymentProfile {
                customer_type: Some(CUSTOMER_TYPE.into()),
                bill_to: None,
                payment: Payment::OpaqueData(OpaqueData {
                    data_descriptor: ACCEPT_DESCRIPTOR.into(),
                    data_value: token.as_str().to_owned(),
                }),
                default_payment_profile: make_default.then_some(true),
                customer_payment_profile_id: None,
            },
            validation_mode: Some(self.validation_mode()),
        });
        let answer: CreateCustomerPaymentProfileResponse = self.gateway.call(&request).await?;
        let messages = &answer.messages;
        // E00039: the same card is already saved; the answer names it.
        let duplicate = messages.has("E00039");
        if !messages.is_ok() && !duplicate {
            return Err(setup_refusal(messages));
        }
        let method = reference(answer.customer_payment_profile_id.as_deref())?;
        let saved = self
            .saved_methods(customer)
            .await?
            .into_iter()
            .find(|m| m.reference == method)
            .ok_or_else(|| {
                ProcessorError::Rejected("the saved method is missing from the profile".into())
            })?;
        if make_default && !saved.is_default {
            self.make_default(customer, &method).await?;
            return Ok(SavedMethod {
                is_default: true,
                ..saved
            });
        }
        Ok(saved)
    }

    pub(crate) async fn saved_methods(
        &self,
        customer: &ProcessorRef,
    ) -> ProcessorResult<Vec<SavedMethod>> {
        let profile = self.profile(customer).await?;
        Ok(profile
            .payment_profiles
            .iter()
            .filter_map(saved_method)
            .collect())
    }

    /// Makes `method` the default: the gateway clears whatever an update
    /// leaves out, so the billing address and masked payment it answered
    /// are sent back as they were.
    pub(crate) async fn make_default(
        &self,
        customer: &ProcessorRef,
        method: &ProcessorRef,
    ) -> ProcessorResult<()> {
        let profile = self.profile(customer).await?;
        let current = find(&profile, method)?;
        if current.default_payment_profile {
            return Ok(());
        }
        let payment = masked_payment(current).ok_or_else(|| {
            ProcessorError::Rejected("the method has no card or bank account to keep".into())
        })?;
        let request = Request::UpdateCustomerPaymentProfile(UpdateCustomerPaymentProfile {
            merchant_authentication: self.gateway.auth(),
            customer_profile_id: customer.as_str().to_owned(),
            payment_profile: PaymentProfile {
                customer_type: current.customer_type.clone(),
                bill_to: current.bill_to.clone(),
                payment,
                default_payment_profile: Some(true),
                customer_payment_profile_id: Some(method.as_str().to_owned()),
            },
        });
        let answer: Basic = self.gateway.call(&request).await?;
        if answer.messages.is_ok() {
            Ok(())
        } else {
            Err(refusal(&answer.messages))
        }
    }

    pub(crate) async fn delete_method(
        &self,
        customer: &ProcessorRef,
        method: &ProcessorRef,
    ) -> ProcessorResult<()> {
        let profile = self.profile(customer).await?;
        find(&profile, method)?;
        let request = Request::DeleteCustomerPaymentProfile(DeleteCustomerPaymentProfile {
            merchant_authentication: self.gateway.auth(),
            customer_profile_id: customer.as_str().to_owned(),
            customer_payment_profile_id: method.as_str().to_owned(),
        });
        let answer: Basic = self.gateway.call(&request).await?;
        if answer.messages.is_ok() {
            Ok(())
        } else {
            Err(refusal(&answer.messages))
        }
    }

    /// The customer profile, expiry dates unmasked.
    pub(crate) async fn profile(
        &self,
        customer: &ProcessorRef,
    ) -> ProcessorResult<response::CustomerProfile> {
        check_numeric(customer)?;
        let request = Request::GetCustomerProfile(GetCustomerProfile {
            merchant_authentication: self.gateway.auth(),
            customer_profile_id: customer.as_str().to_owned(),
            unmask_expiration_date: Some(true),
        });
        let answer: GetCustomerProfileResponse = self.gateway.call(&request).await?;
        if !answer.messages.is_ok() {
            return Err(refusal(&answer.messages));
        }
        answer
            .profile
            .ok_or_else(|| ProcessorError::Rejected("the answer holds no profile".into()))
    }
}

/// The gateway's ids are numbers: anything else is no id of it.
fn check_numeric(reference: &ProcessorRef) -> ProcessorResult<()> {
    if reference.as_str().bytes().all(|b| b.is_ascii_digit()) {
        Ok(())
    } else {
        Err(ProcessorError::NotFound)
    }
}

fn reference(id: Option<&str>) -> ProcessorResult<ProcessorRef> {
    id.and_then(|id| ProcessorRef::parse(id).ok())
        .ok_or_else(|| ProcessorError::Rejected("the answer holds no id".into()))
}

/// The id in "A duplicate record with ID 500123 already exists.".
fn duplicate_id(text: &str) -> Option<ProcessorRef> {
    let digits: String = text
        .split(|c: char| !c.is_ascii_digit())
        .find(|run| !run.is_empty())?
        .to_owned();
    ProcessorRef::parse(&digits).ok()
}

fn find<'a>(
    profile: &'a response::CustomerProfile,
    method: &ProcessorRef,
) -> ProcessorResult<&'a response::PaymentProfile> {
    profile
        .payment_profiles
        .iter()
        .find(|p| p.customer_payment_profile_id.as_deref() == Some(method.as_str()))
        .ok_or(ProcessorError::NotFound)
}

/// Why a method could not be saved, in words fit for the client where
/// the card or token is at fault.
fn setup_refusal(messages: &response::Messages) -> ProcessorError {
    // E00114: "Invalid OTS Token." — expired, used, or not a nonce.
    if messages.has("E00114") {
        return ProcessorError::Declined(
            "The card details expired before they were saved. Please enter them again.".into(),
        );
    }
    // E00027: the validation transaction was declined.
    if messages.has("E00027") {
        return ProcessorError::Declined(
            "The card was declined. Please check the details or use another card.".into(),
        );
    }
    refusal(messages)
}

/// A payment profile as the portal shows it; `None` when the gateway
/// answered neither a readable card nor a bank account.
pub(crate) fn saved_method(profile: &response::PaymentProfile) -> Option<SavedMethod> {
    let reference = ProcessorRef::parse(profile.customer_payment_profile_id.as_deref()?).ok()?;
    let details = method_details(profile.payment.as_ref()?)?;
    Some(SavedMethod {
        reference,
        details,
        is_default: profile.default_payment_profile,
    })
}

pub(crate) fn method_details(payment: &response::PaymentMasked) -> Option<MethodDetails> {
    if let Some(card) = &payment.credit_card {
        return Some(MethodDetails::Card {
            brand: CardBrand::from_processor(card.card_type.as_deref().unwrap_or("")),
            last4: Last4::from_masked(card.card_number.as_deref()?)?,
            expiry: card.expiration_date.as_deref().and_then(expiry),
        });
    }
    let bank = payment.bank_account.as_ref()?;
    Some(MethodDetails::BankAccount {
        bank_name: bank
            .bank_name
            .as_deref()
            .and_then(MethodDetails::clean_bank_name),
        last4: Last4::from_masked(bank.account_number.as_deref()?)?,
    })
}

/// "2030-12" (unmasked); "XXXX" reads as unknown.
fn expiry(text: &str) -> Option<Expiry> {
    let (year, month) = text.split_once('-')?;
    Expiry::new(month.parse().ok()?, year.parse().ok()?).ok()
}

/// The masked payment an update sends back to keep it unchanged.
fn masked_payment(profile: &response::PaymentProfile) -> Option<Payment> {
    let payment = profile.payment.as_ref()?;
    if let Some(card) = &payment.credit_card {
        return Some(Payment::CreditCard(CreditCard {
            card_number: card.card_number.clone()?,
            expiration_date: "XXXX".into(),
        }));
    }
    let bank = payment.bank_account.as_ref()?;
    Some(Payment::BankAccount(BankAccount {
        account_type: bank.account_type.clone(),
        routing_number: bank.routing_number.clone()?,
        account_number: bank.account_number.clone()?,
        name_on_account: bank.name_on_account.clone().unwrap_or_default(),
        echeck_type: bank.echeck_type.clone(),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::client::read_answer;

    #[test]
    fn the_duplicate_profile_id_is_read_from_the_message() {
        assert_eq!(
            duplicate_id("A duplicate record with ID 500123 already exists.")
                .unwrap()
                .as_str(),
            "500123"
        );
        assert_eq!(duplicate_id("A duplicate record already exists."), None);
    }

    #[test]
    fn the_documented_profile_reads_as_a_saved_card() {
        let text = r#"{"profile":{"paymentProfiles":[{"defaultPaymentProfile":true,"customerPaymentProfileId":"600456","payment":{"creditCard":{"cardNumber":"XXXX1111","expirationDate":"2030-12","cardType":"Visa"}},"customerTypeSpecified":false,"customerType":"business","billTo":{"firstName":"Ada","lastName":"Lovelace","zip":"98004","country":"US"}}],"profileType":"regular","customerProfileId":"500123","merchantCustomerId":"42","email":"billing@acme.test"},"messages":{"resultCode":"Ok","message":[{"code":"I00001","text":"Successful."}]}}"#;
        let bytes = [b"\xEF\xBB\xBF".as_slice(), text.as_bytes()].concat();
        let answer: GetCustomerProfileResponse = read_answer(&bytes).unwrap();
        let profile = answer.profile.unwrap();
        assert_eq!(profile.merchant_customer_id.as_deref(), Some("42"));
        let methods: Vec<SavedMethod> = profile
            .payment_profiles
            .iter()
            .filter_map(saved_method)
            .collect();
        assert_eq!(
            methods,
            [SavedMethod {
                reference: ProcessorRef::parse("600456").unwrap(),
                details: MethodDetails::Card {
                    brand: CardBrand::Visa,
                    last4: Last4::parse("1111").unwrap(),
                    expiry: Some(Expiry::new(12, 2030).unwrap()),
                },
                is_default: true,
            }]
        );
        let bill_to = profile.payment_profiles[0].bill_to.clone().unwrap();
        assert_eq!(bill_to.zip.as_deref(), Some("98004"));
    }

    #[test]
    fn a_saved_bank_account_reads_as_one() {
        let text = r#"{"customerPaymentProfileId":"600457","payment":{"bankAccount":{"accountType":"checking","routingNumber":"XXXX2882","accountNumber":"XXXX6789","nameOnAccount":"Ada Lovelace","echeckType":"WEB","bankName":"First Test Bank"}}}"#;
        let profile: response::PaymentProfile = serde_json::from_str(text).unwrap();
        let method = saved_method(&profile).unwrap();
        assert_eq!(
            method.details,
            MethodDetails::BankAccount {
                bank_name: Some("First Test Bank".into()),
                last4: Last4::parse("6789").unwrap(),
            }
        );
        assert!(!method.is_default);
        assert!(matches!(
            masked_payment(&profile),
            Some(Payment::BankAccount(BankAccount { ref routing_number, .. })) if routing_number == "XXXX2882"
        ));
    }
}
