//! What the test processor holds for one connection: customers, their
//! methods, charges and refunds, and the rules every operation follows.

use std::collections::HashMap;

use portal_domain::model::{MethodDetails, Money, PaymentId, ProcessorRef, RefundId};
use portal_domain::ports::{
    BrowserToken, ChargeOutcome, ChargeRequest, ChargeSource, ChargeStatus, ProcessorError,
    ProcessorResult, RefundRequest, SavedMethod,
};

use crate::mint;
use crate::token::{Scenario, TestToken};

/// The message of a declined card.
pub const DECLINED: &str = "Your card was declined. Try another card or payment method.";
/// The message of a failed 3-D Secure challenge.
pub const NOT_AUTHENTICATED: &str =
    "Your card's bank could not confirm it was you. Try again or use another card.";
/// The message of a returned bank debit.
pub const RETURNED: &str = "Your bank returned the debit. Try another payment method.";
/// The message of a browser token used a second time.
pub const TOKEN_USED: &str = "This card entry was already used. Enter the card again.";

#[derive(Debug)]
struct Customer {
    methods: Vec<Method>,
    default: Option<ProcessorRef>,
}

#[derive(Debug, Clone)]
struct Method {
    reference: ProcessorRef,
    scenario: Scenario,
    details: MethodDetails,
}

#[derive(Debug)]
pub(crate) struct Charge {
    pub(crate) reference: ProcessorRef,
    pub(crate) payment: PaymentId,
    customer: ProcessorRef,
    source: ChargeSource,
    amount: Money,
    pub(crate) scenario: Scenario,
    details: MethodDetails,
    /// The answer to the charge, replayed to a repeated request.
    first: ChargeOutcome,
    pub(crate) status: ChargeStatus,
    /// The 3-D Secure challenge's secret, for a card that asked for one.
    client_secret: Option<String>,
    /// The order charges were made in.
    sequence: u64,
    refunds: HashMap<RefundId, (ProcessorRef, Money)>,
    refunded: Money,
}

impl Charge {
    fn outcome(&self) -> ChargeOutcome {
        ChargeOutcome {
            status: self.status.clone(),
            reference: Some(self.reference.clone()),
            method: Some(self.details.clone()),
        }
    }
}

/// One connection's customers and charges.
#[derive(Debug, Default)]
pub(crate) struct Books {
    customers: HashMap<ProcessorRef, Customer>,
    charges: HashMap<PaymentId, Charge>,
    /// Setup tokens already used, and the method each saved.
    setups: HashMap<String, (ProcessorRef, ProcessorRef)>,
    /// One-time tokens already charged.
    charged_tokens: HashMap<String, PaymentId>,
    charged: u64,
}

impl Books {
    pub(crate) fn create_customer(&mut self) -> ProcessorRef {
        let reference = mint::reference("cus");
        self.customers.insert(
            reference.clone(),
            Customer {
                methods: Vec::new(),
                default: None,
            },
        );
        reference
    }

    fn customer(&self, reference: &ProcessorRef) -> ProcessorResult<&Customer> {
        self.customers
            .get(reference)
            .ok_or(ProcessorError::NotFound)
    }

    fn customer_mut(&mut self, reference: &ProcessorRef) -> ProcessorResult<&mut Customer> {
        self.customers
            .get_mut(reference)
            .ok_or(ProcessorError::NotFound)
    }

    pub(crate) fn has_customer(&self, reference: &ProcessorRef) -> bool {
        self.customers.contains_key(reference)
    }

    pub(crate) fn finish_setup(
        &mut self,
        customer: &ProcessorRef,
        token: &BrowserToken,
        make_default: bool,
    ) -> ProcessorResult<SavedMethod> {
        self.customer(customer)?;
        let parsed = TestToken::parse(token)?;
        if let Some((owner, method)) = self.setups.get(token.as_str()) {
            // A retried setup answers what the first one saved.
            if owner != customer {
                return Err(ProcessorError::Declined(TOKEN_USED.into()));
            }
            let method = method.clone();
            return self
                .methods(customer)?
                .into_iter()
                .find(|m| m.reference == method)
                .ok_or_else(|| ProcessorError::Declined(TOKEN_USED.into()));
        }
        let method = Method {
            reference: mint::reference("pm"),
            scenario: parsed.scenario,
            details: parsed.scenario.details(parsed.expiry_or_default()),
        };
        let saved = self.customer_mut(customer)?;
        if make_default {
            saved.default = Some(method.reference.clone());
        }
        saved.methods.push(method.clone());
        self.setups.insert(
            token.as_str().to_owned(),
            (customer.clone(), method.reference.clone()),
        );
        Ok(SavedMethod {
            reference: method.reference,
            details: method.details,
            is_default: make_default,
        })
    }

    /// A customer's methods, oldest first.
    pub(crate) fn methods(&self, customer: &ProcessorRef) -> ProcessorResult<Vec<SavedMethod>> {
        let customer = self.customer(customer)?;
        Ok(customer
            .methods
            .iter()
            .map(|m| SavedMethod {
                reference: m.reference.clone(),
                details: m.details.clone(),
                is_default: customer.default.as_ref() == Some(&m.reference),
            })
            .collect())
    }

    fn method(&self, customer: &ProcessorRef, method: &ProcessorRef) -> ProcessorResult<&Method> {
        self.customer(customer)?
            .methods
            .iter()
            .find(|m| &m.reference == method)
            .ok_or(ProcessorError::NotFound)
    }

    pub(crate) fn set_default(
        &mut self,
        customer: &ProcessorRef,
        method: &ProcessorRef,
    ) -> ProcessorResult<()> {
        self.method(customer, method)?;
        self.customer_mut(customer)?.default = Some(method.clone());
        Ok(())
    }

    pub(crate) fn remove_method(
        &mut self,
        customer: &ProcessorRef,
        method: &ProcessorRef,
    ) -> ProcessorResult<()> {
        self.method(customer, method)?;
        let customer = self.customer_mut(customer)?;
        customer.methods.retain(|m| &m.reference != method);
        if customer.default.as_ref() == Some(method) {
            customer.default = None;
        }
        Ok(())
    }

    /// Charges once per payment id: a repeated request answers what the
    /// first one did.
    pub(crate) fn charge(&mut self, request: &ChargeRequest) -> ProcessorResult<ChargeOutcome> {
        if let Some(charge) = self.charges.get(&request.payment) {
            let same = charge.customer == request.customer
                && charge.source == request.source
                && charge.amount == request.amount;
            if !same {
                return Err(ProcessorError::Rejected(
                    "the payment id was already used for another charge".into(),
                ));
            }
            return Ok(charge.first.clone());
        }
        if request.amount.minor() <= 0 {
            return Err(ProcessorError::Rejected(
                "the amount must be positive".into(),
            ));
        }
        self.customer(&request.customer)?;
        let (scenario, details) = match &request.source {
            ChargeSource::Saved(method) => {
                let method = self.method(&request.customer, method)?;
                (method.scenario, method.details.clone())
            }
            ChargeSource::Token(token) => {
                let parsed = TestToken::parse(token)?;
                if self.charged_tokens.contains_key(token.as_str()) {
                    return Err(ProcessorError::Declined(TOKEN_USED.into()));
                }
                self.charged_tokens
                    .insert(token.as_str().to_owned(), request.payment);
                (
                    parsed.scenario,
                    parsed.scenario.details(parsed.expiry_or_default()),
                )
            }
        };
        let reference = mint::reference("ch");
        let client_secret = (scenario == Scenario::Visa3ds)
            .then(|| format!("{reference}_secret_{}", mint::letters(16)));
        let status = match (scenario, &client_secret) {
            (Scenario::VisaSuccess, _) => ChargeStatus::Succeeded,
            (Scenario::VisaDecline, _) => ChargeStatus::Failed {
                message: DECLINED.into(),
            },
            (Scenario::Visa3ds, Some(secret)) => ChargeStatus::RequiresAction {
                client_secret: secret.clone(),
            },
            _ => ChargeStatus::Processing,
        };
        let outcome = ChargeOutcome {
            status: status.clone(),
            reference: Some(reference.clone()),
            method: Some(details.clone()),
        };
        self.charged += 1;
        self.charges.insert(
            request.payment,
            Charge {
                reference,
                payment: request.payment,
                customer: request.customer.clone(),
                source: request.source.clone(),
                amount: request.amount,
                scenario,
                details,
                first: outcome.clone(),
                status,
                client_secret,
                sequence: self.charged,
                refunds: HashMap::new(),
                refunded: Money::new(0, request.amount.currency()),
            },
        );
        Ok(outcome)
    }

    /// The charge made for `payment` for `customer`, as it stands now.
    pub(crate) fn lookup(
        &self,
        payment: PaymentId,
        customer: &ProcessorRef,
    ) -> Option<ChargeOutcome> {
        self.charges
            .get(&payment)
            .filter(|c| &c.customer == customer)
            .map(Charge::outcome)
    }

    fn charge_by_reference(&mut self, reference: &ProcessorRef) -> Option<&mut Charge> {
        self.charges
            .values_mut()
            .find(|c| &c.reference == reference)
    }

    pub(crate) fn refund(&mut self, request: &RefundRequest) -> ProcessorResult<ProcessorRef> {
        let charge = self
            .charge_by_reference(&request.charge)
            .filter(|c| c.payment == request.payment)
            .ok_or(ProcessorError::NotFound)?;
        if let Some((reference, amount)) = charge.refunds.get(&request.refund) {
            return if *amount == request.amount {
                Ok(reference.clone())
            } else {
                Err(ProcessorError::Rejected(
                    "the refund id was already used for another amount".into(),
                ))
            };
        }
        if charge.status != ChargeStatus::Succeeded {
            return Err(ProcessorError::Rejected(
                "only a succeeded charge can be refunded".into(),
            ));
        }
        let refunded = charge
            .refunded
            .checked_add(request.amount)
            .ok()
            .filter(|total| request.amount.minor() > 0 && total.minor() <= charge.amount.minor())
            .ok_or_else(|| {
                ProcessorError::Rejected(
                    "the refund must be positive, in the charge's currency and no more than what is left of it"
                        .into(),
                )
            })?;
        let reference = mint::reference("re");
        charge
            .refunds
            .insert(request.refund, (reference.clone(), request.amount));
        charge.refunded = refunded;
        Ok(reference)
    }

    /// Finishes the 3-D Secure challenge whose client secret is
    /// `client_secret`, if it is one of these books'.
    pub(crate) fn authenticate(
        &mut self,
        client_secret: &str,
        succeed: bool,
    ) -> Option<ProcessorResult<ChargeOutcome>> {
        let charge = self
            .charges
            .values_mut()
            .find(|c| c.client_secret.as_deref() == Some(client_secret))?;
        if !matches!(charge.status, ChargeStatus::RequiresAction { .. }) {
            return Some(Err(ProcessorError::Rejected(
                "the charge is not waiting for authentication".into(),
            )));
        }
        charge.status = if succeed {
            ChargeStatus::Succeeded
        } else {
            ChargeStatus::Failed {
                message: NOT_AUTHENTICATED.into(),
            }
        };
        Some(Ok(charge.outcome()))
    }

    /// Settles a bank debit that is processing: paid for the test account
    /// that succeeds, returned for the one that fails.
    pub(crate) fn settle(&mut self, reference: &ProcessorRef) -> ProcessorResult<&Charge> {
        let charge = self
            .charge_by_reference(reference)
            .ok_or(ProcessorError::NotFound)?;
        if charge.status != ChargeStatus::Processing {
            return Err(ProcessorError::Rejected(
                "the charge is not processing".into(),
            ));
        }
        charge.status = match charge.scenario {
            Scenario::BankFailure => ChargeStatus::Failed {
                message: RETURNED.into(),
            },
            _ => ChargeStatus::Succeeded,
        };
        Ok(charge)
    }

    /// The charges still processing, oldest first.
    pub(crate) fn processing(&self) -> Vec<ProcessorRef> {
        let mut charges: Vec<&Charge> = self
            .charges
            .values()
            .filter(|c| c.status == ChargeStatus::Processing)
            .collect();
        charges.sort_by_key(|c| c.sequence);
        charges.into_iter().map(|c| c.reference.clone()).collect()
    }
}
