//! The fake gateway's state and its customer profile requests: profiles,
//! payment profiles saved from nonces, the default mark.

use std::collections::{BTreeMap, HashSet};

use chrono::{DateTime, Utc};
use serde_json::{Value, json};

use super::{Scenario, Settlement};

/// What a saved or charged method is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Method {
    Card {
        scenario: Scenario,
        last4: &'static str,
    },
    Bank,
}

/// Every test card expires then.
pub(super) const CARD_EXPIRY: &str = "2030-12";
pub(super) const BANK_ROUTING_MASKED: &str = "XXXX2882";
pub(super) const BANK_ACCOUNT_MASKED: &str = "XXXX6789";
pub(super) const BANK_NAME_ON_ACCOUNT: &str = "Test Account Holder";

impl Method {
    pub(super) fn of(scenario: Scenario) -> Self {
        match scenario {
            Scenario::Approve | Scenario::Held => Self::Card {
                scenario,
                last4: "4242",
            },
            Scenario::Decline => Self::Card {
                scenario,
                last4: "0341",
            },
            Scenario::AuthenticationRequired => Self::Card {
                scenario,
                last4: "3184",
            },
            Scenario::Echeck => Self::Bank,
        }
    }

    pub(super) fn scenario(&self) -> Scenario {
        match self {
            Self::Card { scenario, .. } => *scenario,
            Self::Bank => Scenario::Echeck,
        }
    }

    /// `accountNumber` and `accountType` as transaction answers show them.
    pub(super) fn account(&self) -> (String, &'static str) {
        match self {
            Self::Card { last4, .. } => (format!("XXXX{last4}"), "Visa"),
            Self::Bank => (BANK_ACCOUNT_MASKED.to_owned(), "eCheck"),
        }
    }

    /// The `payment` element of a profile or transaction answer.
    pub(super) fn payment(&self, unmask_expiry: bool) -> Value {
        match self {
            Self::Card { last4, .. } => json!({"creditCard": {
                "cardNumber": format!("XXXX{last4}"),
                "expirationDate": if unmask_expiry { CARD_EXPIRY } else { "XXXX" },
                "cardType": "Visa",
            }}),
            Self::Bank => json!({"bankAccount": {
                "accountType": "checking",
                "routingNumber": BANK_ROUTING_MASKED,
                "accountNumber": BANK_ACCOUNT_MASKED,
                "nameOnAccount": BANK_NAME_ON_ACCOUNT,
                "echeckType": "WEB",
            }}),
        }
    }
}

#[derive(Debug)]
pub(super) struct Profile {
    pub(super) id: String,
    merchant_customer_id: Option<String>,
    description: Option<String>,
    email: Option<String>,
    pub(super) payment_profiles: Vec<PaymentProfile>,
}

#[derive(Debug)]
pub(super) struct PaymentProfile {
    pub(super) id: String,
    customer_type: Option<String>,
    bill_to: Option<Value>,
    pub(super) method: Method,
    is_default: bool,
}

/// One transaction: a charge, a refund, or a declined attempt.
#[derive(Debug, Clone)]
pub(super) struct Transaction {
    pub(super) trans_id: String,
    pub(super) kind: &'static str,
    pub(super) status: String,
    pub(super) response_code: u8,
    pub(super) amount_minor: i64,
    pub(super) invoice_number: Option<String>,
    pub(super) description: Option<String>,
    pub(super) customer_profile_id: Option<String>,
    pub(super) payment_profile_id: Option<String>,
    pub(super) method: Method,
    pub(super) ref_trans_id: Option<String>,
    pub(super) submitted: DateTime<Utc>,
    pub(super) batch: Option<u64>,
}

#[derive(Debug)]
pub(super) struct Batch {
    pub(super) id: u64,
    pub(super) settled: DateTime<Utc>,
}

/// The whole fake gateway.
#[derive(Debug)]
pub(super) struct Gateway {
    pub(super) settlement: Settlement,
    next_id: u64,
    pub(super) profiles: BTreeMap<String, Profile>,
    pub(super) used_nonces: HashSet<String>,
    pub(super) transactions: Vec<Transaction>,
    pub(super) batches: Vec<Batch>,
}

impl Gateway {
    pub(super) fn new(settlement: Settlement) -> Self {
        Self {
            settlement,
            next_id: 1,
            profiles: BTreeMap::new(),
            used_nonces: HashSet::new(),
            transactions: Vec::new(),
            batches: Vec::new(),
        }
    }

    /// A fresh id: customer profiles start at 500 001, payment profiles
    /// at 600 001, transactions at 60 000 000 001, batches at 9 000 001.
    pub(super) fn mint(&mut self, base: u64) -> u64 {
        let id = base + self.next_id;
        self.next_id += 1;
        id
    }

    /// Takes a nonce: its scenario, unless it is unknown or used.
    pub(super) fn redeem(&mut self, nonce: &str) -> Option<Scenario> {
        let scenario = Scenario::of_nonce(nonce)?;
        self.used_nonces
            .insert(nonce.to_owned())
            .then_some(scenario)
    }

    pub(super) fn create_profile(&mut self, body: &Value) -> Value {
        let profile = &body["profile"];
        let merchant_customer_id = text(profile, "merchantCustomerId");
        let description = text(profile, "description");
        let email = text(profile, "email");
        if merchant_customer_id.is_none() && description.is_none() && email.is_none() {
            return error(
                "E00041",
                "One or more fields in the profile must contain a value.",
            );
        }
        // The gateway calls a profile a duplicate when its id,
        // description and email all match another's.
        if let Some(existing) = self.profiles.values().find(|p| {
            p.merchant_customer_id == merchant_customer_id
                && p.description == description
                && p.email == email
        }) {
            return error(
                "E00039",
                &format!("A duplicate record with ID {} already exists.", existing.id),
            );
        }
        let id = self.mint(500_000).to_string();
        self.profiles.insert(
            id.clone(),
            Profile {
                id: id.clone(),
                merchant_customer_id,
                description,
                email,
                payment_profiles: Vec::new(),
            },
        );
        let mut answer = ok(json!({
            "customerProfileId": id,
            "customerPaymentProfileIdList": [],
            "customerShippingAddressIdList": [],
            "validationDirectResponseList": [],
        }));
        echo_ref_id(body, &mut answer);
        answer
    }

    pub(super) fn create_payment_profile(&mut self, body: &Value) -> Value {
        let profile_id = text(body, "customerProfileId").unwrap_or_default();
        if !self.profiles.contains_key(&profile_id) {
            return not_found();
        }
        let new = &body["paymentProfile"];
        let Some(nonce) = text(&new["payment"]["opaqueData"], "dataValue") else {
            return error(
                "E00013",
                "The fake gateway saves only Accept.js payment nonces.",
            );
        };
        if self
            .profiles
            .get(&profile_id)
            .is_some_and(|p| p.payment_profiles.len() >= 10)
        {
            return error("E00042", "You cannot add more than 10 payment profiles.");
        }
        let Some(scenario) = self.redeem(&nonce) else {
            return error("E00114", "Invalid OTS Token.");
        };
        let id = self.mint(600_000).to_string();
        let Some(profile) = self.profiles.get_mut(&profile_id) else {
            return not_found();
        };
        let is_default = flag(new, "defaultPaymentProfile");
        if is_default {
            for other in &mut profile.payment_profiles {
                other.is_default = false;
            }
        }
        profile.payment_profiles.push(PaymentProfile {
            id: id.clone(),
            customer_type: text(new, "customerType"),
            bill_to: new.get("billTo").cloned(),
            method: Method::of(scenario),
            is_default,
        });
        let mut answer = json!({
            "customerProfileId": profile_id,
            "customerPaymentProfileId": id,
        });
        if text(body, "validationMode").is_some_and(|m| m != "none") {
            answer["validationDirectResponse"] = Value::String(
                "1,1,1,This transaction has been approved.,000000,Y,0,none,Test transaction for \
                 ValidateCustomerPaymentProfile.,0.00,CC,auth_only"
                    .into(),
            );
        }
        ok(answer)
    }

    pub(super) fn get_profile(&self, body: &Value) -> Value {
        let id = text(body, "customerProfileId").unwrap_or_default();
        let Some(profile) = self.profiles.get(&id) else {
            return not_found();
        };
        let unmask = flag(body, "unmaskExpirationDate");
        let mut shown = json!({
            "profileType": "regular",
            "customerProfileId": profile.id,
        });
        for (key, value) in [
            ("merchantCustomerId", &profile.merchant_customer_id),
            ("description", &profile.description),
            ("email", &profile.email),
        ] {
            if let Some(value) = value {
                shown[key] = Value::String(value.clone());
            }
        }
        if !profile.payment_profiles.is_empty() {
            let list: Vec<Value> = profile
                .payment_profiles
                .iter()
                .map(|p| {
                    let mut entry = json!({
                        "customerPaymentProfileId": p.id,
                        "payment": p.method.payment(unmask),
                        "customerTypeSpecified": false,
                    });
                    if p.is_default {
                        entry["defaultPaymentProfile"] = Value::Bool(true);
                    }
                    if let Some(customer_type) = &p.customer_type {
                        entry["customerType"] = Value::String(customer_type.clone());
                    }
                    if let Some(bill_to) = &p.bill_to {
                        entry["billTo"] = bill_to.clone();
                    }
                    entry
                })
                .collect();
            shown["paymentProfiles"] = Value::Array(list);
        }
        ok(json!({ "profile": shown }))
    }

    pub(super) fn update_payment_profile(&mut self, body: &Value) -> Value {
        let profile_id = text(body, "customerProfileId").unwrap_or_default();
        let update = &body["paymentProfile"];
        let id = text(update, "customerPaymentProfileId").unwrap_or_default();
        let Some(profile) = self.profiles.get_mut(&profile_id) else {
            return not_found();
        };
        let Some(index) = profile.payment_profiles.iter().position(|p| p.id == id) else {
            return not_found();
        };
        // A masked number must be the saved one's.
        let kept = &profile.payment_profiles[index].method;
        let (masked, _) = kept.account();
        let sent = text(&update["payment"]["creditCard"], "cardNumber")
            .or_else(|| text(&update["payment"]["bankAccount"], "accountNumber"));
        match sent {
            Some(number) if number == masked => {}
            _ => {
                return error(
                    "E00013",
                    "The fake gateway updates a payment profile only with its masked number.",
                );
            }
        }
        let is_default = flag(update, "defaultPaymentProfile");
        if is_default {
            for other in &mut profile.payment_profiles {
                other.is_default = false;
            }
        }
        let entry = &mut profile.payment_profiles[index];
        // Whatever an update leaves out is cleared.
        entry.customer_type = text(update, "customerType");
        entry.bill_to = update.get("billTo").cloned();
        entry.is_default = is_default;
        ok(json!({}))
    }

    pub(super) fn delete_payment_profile(&mut self, body: &Value) -> Value {
        let profile_id = text(body, "customerProfileId").unwrap_or_default();
        let id = text(body, "customerPaymentProfileId").unwrap_or_default();
        let Some(profile) = self.profiles.get_mut(&profile_id) else {
            return not_found();
        };
        let before = profile.payment_profiles.len();
        profile.payment_profiles.retain(|p| p.id != id);
        if profile.payment_profiles.len() == before {
            return not_found();
        }
        ok(json!({}))
    }

    /// The saved method `payment_profile_id` of `profile_id`, if it is
    /// that profile's.
    pub(super) fn saved(&self, profile_id: &str, payment_profile_id: &str) -> Option<Method> {
        self.profiles
            .get(profile_id)?
            .payment_profiles
            .iter()
            .find(|p| p.id == payment_profile_id)
            .map(|p| p.method.clone())
    }
}

/// A string (or number) at `key` of `value`.
pub(super) fn text(value: &Value, key: &str) -> Option<String> {
    match value.get(key)? {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

/// A boolean at `key`: `true` or `"true"`.
pub(super) fn flag(value: &Value, key: &str) -> bool {
    text(value, key).is_some_and(|t| t == "true")
}

/// `body` with the success messages.
pub(super) fn ok(mut body: Value) -> Value {
    body["messages"] = json!({
        "resultCode": "Ok",
        "message": [{"code": "I00001", "text": "Successful."}],
    });
    body
}

/// A success with nothing to list.
pub(super) fn no_records(mut body: Value) -> Value {
    body["messages"] = json!({
        "resultCode": "Ok",
        "message": [{"code": "I00004", "text": "No records found."}],
    });
    body
}

pub(super) fn error(code: &str, text: &str) -> Value {
    json!({"messages": {"resultCode": "Error", "message": [{"code": code, "text": text}]}})
}

pub(super) fn not_found() -> Value {
    error("E00040", "The record cannot be found.")
}

pub(super) fn echo_ref_id(request: &Value, answer: &mut Value) {
    if let Some(ref_id) = text(request, "refId") {
        answer["refId"] = Value::String(ref_id);
    }
}
