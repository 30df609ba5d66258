//! The fake gateway's transactions: charges (with the duplicate window),
//! refunds, voids, settlement, and the reporting requests that find them.

use chrono::{DateTime, Duration, Utc};
use serde_json::{Value, json};

use super::gateway::{
    Batch, Gateway, Method, Transaction, echo_ref_id, error, flag, no_records, not_found, ok, text,
};
use super::{Scenario, Settlement, amount_value};

/// The gateway's default duplicate window, in seconds.
const DEFAULT_WINDOW: i64 = 120;

/// Statuses a void can cancel.
const VOIDABLE: &[&str] = &[
    "capturedPendingSettlement",
    "authorizedPendingCapture",
    "FDSPendingReview",
    "FDSAuthorizedPendingReview",
    "refundPendingSettlement",
];

impl Gateway {
    pub(super) fn create_transaction(&mut self, body: &Value, now: DateTime<Utc>) -> Value {
        let request = &body["transactionRequest"];
        let mut answer = match text(request, "transactionType").as_deref() {
            Some("authCaptureTransaction") => self.auth_capture(request, now),
            Some("refundTransaction") => self.refund(request, now),
            Some("voidTransaction") => self.void(request),
            _ => error(
                "E00013",
                "The fake gateway processes authCapture, refund and void transactions only.",
            ),
        };
        echo_ref_id(body, &mut answer);
        answer
    }

    fn auth_capture(&mut self, request: &Value, now: DateTime<Utc>) -> Value {
        let Some(amount) = text(request, "amount").and_then(|a| parse_amount(&a)) else {
            return refused("5", "A valid amount is required.");
        };
        let (method, customer, payment_profile) = if let Some(profile) = request.get("profile") {
            let customer = text(profile, "customerProfileId").unwrap_or_default();
            let payment_profile =
                text(&profile["paymentProfile"], "paymentProfileId").unwrap_or_default();
            let Some(method) = self.saved(&customer, &payment_profile) else {
                return not_found();
            };
            (method, Some(customer), Some(payment_profile))
        } else if let Some(nonce) = text(&request["payment"]["opaqueData"], "dataValue") {
            let Some(scenario) = self.redeem(&nonce) else {
                return error("E00114", "Invalid OTS Token.");
            };
            (Method::of(scenario), None, None)
        } else {
            return error(
                "E00013",
                "The fake gateway charges saved profiles and Accept.js nonces only.",
            );
        };
        let invoice = text(&request["order"], "invoiceNumber");
        let window = duplicate_window(request);
        let duplicate = self.transactions.iter().any(|t| {
            t.kind == "authCaptureTransaction"
                && t.amount_minor == amount
                && t.method == method
                && t.payment_profile_id == payment_profile
                && t.customer_profile_id == customer
                && t.invoice_number == invoice
                && now.signed_duration_since(t.submitted) < Duration::seconds(window)
        });
        if duplicate {
            return refused("11", "A duplicate transaction has been submitted.");
        }
        let (code, status, reason) = match method.scenario() {
            Scenario::Approve | Scenario::Echeck => (
                1,
                "capturedPendingSettlement",
                "This transaction has been approved.",
            ),
            Scenario::Held => (
                4,
                "FDSPendingReview",
                "This transaction is being held for review.",
            ),
            Scenario::Decline => (2, "declined", "This transaction has been declined."),
            Scenario::AuthenticationRequired => (
                2,
                "declined",
                "This transaction has been declined: authentication required.",
            ),
        };
        let trans_id = self.mint(60_000_000_000).to_string();
        let transaction = Transaction {
            trans_id: trans_id.clone(),
            kind: "authCaptureTransaction",
            status: status.to_owned(),
            response_code: code,
            amount_minor: amount,
            invoice_number: invoice,
            description: text(&request["order"], "description"),
            customer_profile_id: customer,
            payment_profile_id: payment_profile,
            method,
            ref_trans_id: None,
            submitted: now,
            batch: None,
        };
        let answer = transaction_answer(&transaction, reason);
        self.transactions.push(transaction);
        if self.settlement == Settlement::Immediate {
            self.settle_one(&trans_id, now);
        }
        answer
    }

    fn refund(&mut self, request: &Value, now: DateTime<Utc>) -> Value {
        let Some(amount) = text(request, "amount").and_then(|a| parse_amount(&a)) else {
            return refused("5", "A valid amount is required.");
        };
        let reference = text(request, "refTransId").unwrap_or_default();
        let Some(original) = self
            .transactions
            .iter()
            .find(|t| t.trans_id == reference && t.kind == "authCaptureTransaction")
            .cloned()
        else {
            return refused("16", "The transaction cannot be found.");
        };
        let criteria =
            "The referenced transaction does not meet the criteria for issuing a credit.";
        if original.status != "settledSuccessfully" {
            return refused("54", criteria);
        }
        let (masked, _) = original.method.account();
        let named = text(&request["payment"]["creditCard"], "cardNumber")
            .or_else(|| text(&request["payment"]["bankAccount"], "accountNumber"))
            .unwrap_or_default();
        if named.len() < 4 || !masked.ends_with(&named[named.len() - 4..]) {
            return refused("54", criteria);
        }
        let refunded: i64 = self
            .transactions
            .iter()
            .filter(|t| {
                t.kind == "refundTransaction"
                    && t.ref_trans_id.as_deref() == Some(reference.as_str())
                    && t.status != "voided"
            })
            .map(|t| t.amount_minor)
            .sum();
        if amount > original.amount_minor - refunded {
            return refused(
                "55",
                "The sum of credits against the referenced transaction would exceed original debit amount.",
            );
        }
        let invoice = text(&request["order"], "invoiceNumber");
        let window = duplicate_window(request);
        if self.transactions.iter().any(|t| {
            t.kind == "refundTransaction"
                && t.amount_minor == amount
                && t.ref_trans_id.as_deref() == Some(reference.as_str())
                && t.invoice_number == invoice
                && now.signed_duration_since(t.submitted) < Duration::seconds(window)
        }) {
            return refused("11", "A duplicate transaction has been submitted.");
        }
        let trans_id = self.mint(60_000_000_000).to_string();
        let transaction = Transaction {
            trans_id: trans_id.clone(),
            kind: "refundTransaction",
            status: "refundPendingSettlement".into(),
            response_code: 1,
            amount_minor: amount,
            invoice_number: invoice,
            description: None,
            customer_profile_id: original.customer_profile_id,
            payment_profile_id: original.payment_profile_id,
            method: original.method,
            ref_trans_id: Some(reference),
            submitted: now,
            batch: None,
        };
        let answer = transaction_answer(&transaction, "This transaction has been approved.");
        self.transactions.push(transaction);
        if self.settlement == Settlement::Immediate {
            self.settle_one(&trans_id, now);
        }
        answer
    }

    fn void(&mut self, request: &Value) -> Value {
        let reference = text(request, "refTransId").unwrap_or_default();
        let Some(original) = self
            .transactions
            .iter_mut()
            .find(|t| t.trans_id == reference)
        else {
            return refused("16", "The transaction cannot be found.");
        };
        if original.status == "voided" {
            return transaction_answer(original, "This transaction has already been voided.");
        }
        if !VOIDABLE.contains(&original.status.as_str()) {
            return refused(
                "54",
                "The referenced transaction does not meet the criteria for a void.",
            );
        }
        original.status = "voided".into();
        let shown = Transaction {
            response_code: 1,
            ..original.clone()
        };
        transaction_answer(&shown, "This transaction has been approved.")
    }

    /// Settles everything settleable into one new batch.
    pub(super) fn settle_all(&mut self, now: DateTime<Utc>) {
        let id = self.mint(9_000_000);
        self.batches.push(Batch { id, settled: now });
        for t in &mut self.transactions {
            if t.batch.is_none() && settle_status(t).is_some() {
                t.status = settle_status(t).unwrap_or_default();
                t.batch = Some(id);
            }
        }
    }

    /// Settles one transaction into the batch of the current minute.
    fn settle_one(&mut self, trans_id: &str, now: DateTime<Utc>) {
        let minute = now.timestamp().div_euclid(60);
        let batch = match self
            .batches
            .iter()
            .find(|b| b.settled.timestamp().div_euclid(60) == minute)
        {
            Some(batch) => batch.id,
            None => {
                let id = self.mint(9_000_000);
                self.batches.push(Batch { id, settled: now });
                id
            }
        };
        if let Some(t) = self
            .transactions
            .iter_mut()
            .find(|t| t.trans_id == trans_id)
            && let Some(status) = settle_status(t)
        {
            t.status = status;
            t.batch = Some(batch);
        }
    }

    pub(super) fn details(&self, body: &Value) -> Value {
        let id = text(body, "transId").unwrap_or_default();
        let Some(t) = self.transactions.iter().find(|t| t.trans_id == id) else {
            return not_found();
        };
        let mut shown = json!({
            "transId": t.trans_id,
            "submitTimeUTC": utc(t.submitted),
            "submitTimeLocal": local(t.submitted),
            "transactionType": t.kind,
            "transactionStatus": t.status,
            "responseCode": t.response_code,
            "responseReasonCode": t.response_code,
            "responseReasonDescription": if t.response_code == 1 { "Approval" } else { "Declined" },
            "authCode": if t.response_code == 1 { "QWX20S" } else { "" },
            "AVSResponse": "Y",
            "order": {},
            "authAmount": amount_value(t.amount_minor),
            "settleAmount": amount_value(settled_amount(t)),
            "taxExempt": false,
            "payment": t.method.payment(false),
            "recurringBilling": false,
            "product": "Card Not Present",
            "marketType": "eCommerce",
        });
        if let Some(invoice) = &t.invoice_number {
            shown["order"]["invoiceNumber"] = Value::String(invoice.clone());
        }
        if let Some(description) = &t.description {
            shown["order"]["description"] = Value::String(description.clone());
        }
        if let Some(reference) = &t.ref_trans_id {
            shown["refTransId"] = Value::String(reference.clone());
        }
        if let Some(batch) = t
            .batch
            .and_then(|id| self.batches.iter().find(|b| b.id == id))
        {
            shown["batch"] = json!({
                "batchId": batch.id.to_string(),
                "settlementTimeUTC": utc(batch.settled),
                "settlementTimeLocal": local(batch.settled),
                "settlementState": "settledSuccessfully",
            });
        }
        if let Some(profile) = profile_of(t) {
            shown["profile"] = profile;
        }
        ok(json!({ "transaction": shown }))
    }

    pub(super) fn list_for_customer(&self, body: &Value) -> Value {
        let customer = text(body, "customerProfileId").unwrap_or_default();
        if !self.profiles.contains_key(&customer) {
            return not_found();
        }
        let payment_profile = text(body, "customerPaymentProfileId");
        self.list(body, |t| {
            t.customer_profile_id.as_deref() == Some(customer.as_str())
                && (payment_profile.is_none() || t.payment_profile_id == payment_profile)
        })
    }

    pub(super) fn list_unsettled(&self, body: &Value) -> Value {
        self.list(body, |t| t.batch.is_none())
    }

    pub(super) fn list_batch(&self, body: &Value) -> Value {
        let batch = text(body, "batchId").and_then(|b| b.parse::<u64>().ok());
        self.list(body, |t| t.batch.is_some() && t.batch == batch)
    }

    pub(super) fn settled_batches(&self, body: &Value, now: DateTime<Utc>) -> Value {
        let date = |key: &str| {
            text(body, key).and_then(|t| {
                DateTime::parse_from_rfc3339(&t)
                    .ok()
                    .map(|d| d.with_timezone(&Utc))
            })
        };
        let first = date("firstSettlementDate").unwrap_or(now - Duration::days(1));
        let last = date("lastSettlementDate").unwrap_or(now);
        if last < first || last - first > Duration::days(31) {
            return error(
                "E00019",
                "The date range is invalid: at most 31 days, the last after the first.",
            );
        }
        let batches: Vec<Value> = self
            .batches
            .iter()
            .filter(|b| b.settled >= first && b.settled <= last)
            .map(|b| {
                json!({
                    "batchId": b.id.to_string(),
                    "settlementTimeUTC": utc(b.settled),
                    "settlementTimeLocal": local(b.settled),
                    "settlementState": "settledSuccessfully",
                    "paymentMethod": "creditCard",
                    "marketType": "eCommerce",
                    "product": "Card Not Present",
                })
            })
            .collect();
        if batches.is_empty() {
            no_records(json!({}))
        } else {
            ok(json!({ "batchList": batches }))
        }
    }

    fn list(&self, body: &Value, keep: impl Fn(&Transaction) -> bool) -> Value {
        let mut chosen: Vec<&Transaction> = self.transactions.iter().filter(|t| keep(t)).collect();
        if flag(&body["sorting"], "orderDescending") {
            chosen.reverse();
        }
        let limit = text(&body["paging"], "limit")
            .and_then(|l| l.parse::<usize>().ok())
            .unwrap_or(1000)
            .clamp(1, 1000);
        let page = text(&body["paging"], "offset")
            .and_then(|o| o.parse::<usize>().ok())
            .unwrap_or(1)
            .max(1);
        let total = chosen.len();
        let shown: Vec<Value> = chosen
            .into_iter()
            .skip((page - 1) * limit)
            .take(limit)
            .map(summary)
            .collect();
        if shown.is_empty() {
            return no_records(json!({ "totalNumInResultSet": total }));
        }
        ok(json!({ "transactions": shown, "totalNumInResultSet": total }))
    }
}

/// What settling makes of a transaction's status; `None` when it does not
/// settle (held for review).
fn settle_status(t: &Transaction) -> Option<String> {
    Some(
        match t.status.as_str() {
            "capturedPendingSettlement" => "settledSuccessfully",
            "refundPendingSettlement" => "refundSettledSuccessfully",
            "declined" | "voided" => t.status.as_str(),
            _ => return None,
        }
        .to_owned(),
    )
}

fn settled_amount(t: &Transaction) -> i64 {
    match t.status.as_str() {
        "declined" | "voided" => 0,
        _ => t.amount_minor,
    }
}

fn summary(t: &Transaction) -> Value {
    let (account_number, account_type) = t.method.account();
    let mut shown = json!({
        "transId": t.trans_id,
        "submitTimeUTC": utc(t.submitted),
        "submitTimeLocal": local(t.submitted),
        "transactionStatus": t.status,
        "accountType": account_type,
        "accountNumber": account_number,
        "settleAmount": amount_value(settled_amount(t)),
        "marketType": "eCommerce",
        "product": "Card Not Present",
        "hasReturnedItemsSpecified": false,
    });
    if let Some(invoice) = &t.invoice_number {
        shown["invoiceNumber"] = Value::String(invoice.clone());
    }
    if let Some(profile) = profile_of(t) {
        shown["profile"] = profile;
    }
    shown
}

fn profile_of(t: &Transaction) -> Option<Value> {
    Some(json!({
        "customerProfileId": t.customer_profile_id.clone()?,
        "customerPaymentProfileId": t.payment_profile_id.clone()?,
    }))
}

/// A transaction answer in the documented shapes.
fn transaction_answer(t: &Transaction, reason: &str) -> Value {
    let (account_number, account_type) = t.method.account();
    let approved = t.response_code == 1 || t.response_code == 4;
    let mut response = json!({
        "responseCode": t.response_code.to_string(),
        "authCode": if t.response_code == 1 { "QWX20S" } else { "" },
        "avsResultCode": "Y",
        "cvvResultCode": "P",
        "cavvResultCode": "2",
        "transId": t.trans_id,
        "refTransID": t.ref_trans_id.clone().unwrap_or_default(),
        "transHash": "",
        "testRequest": "0",
        "accountNumber": account_number,
        "accountType": account_type,
        "transHashSha2": "",
    });
    if approved {
        response["messages"] =
            json!([{"code": t.response_code.to_string(), "description": reason}]);
    } else {
        response["errors"] =
            json!([{"errorCode": t.response_code.to_string(), "errorText": reason}]);
    }
    if let Some(profile) = profile_of(t) {
        response["profile"] = profile;
    }
    let mut answer = json!({ "transactionResponse": response });
    if approved {
        ok(answer)
    } else {
        answer["messages"] = unsuccessful();
        answer
    }
}

/// A transaction the gateway refused (responseCode 3): `errorCode`.
fn refused(code: &str, text: &str) -> Value {
    json!({
        "transactionResponse": {
            "responseCode": "3",
            "authCode": "",
            "avsResultCode": "P",
            "cvvResultCode": "",
            "cavvResultCode": "",
            "transId": "0",
            "refTransID": "",
            "transHash": "",
            "testRequest": "0",
            "accountNumber": "",
            "accountType": "",
            "errors": [{"errorCode": code, "errorText": text}],
            "transHashSha2": "",
        },
        "messages": unsuccessful(),
    })
}

fn unsuccessful() -> Value {
    json!({"resultCode": "Error", "message": [{"code": "E00027", "text": "The transaction was unsuccessful."}]})
}

fn duplicate_window(request: &Value) -> i64 {
    let settings = &request["transactionSettings"]["setting"];
    let list: Vec<&Value> = match settings {
        Value::Array(items) => items.iter().collect(),
        Value::Object(_) => vec![settings],
        _ => Vec::new(),
    };
    list.iter()
        .find(|s| text(s, "settingName").as_deref() == Some("duplicateWindow"))
        .and_then(|s| text(s, "settingValue"))
        .and_then(|v| v.parse::<i64>().ok())
        .map_or(DEFAULT_WINDOW, |w| w.clamp(0, 28_800))
}

/// "49.00" → 4900; two decimals at most, positive.
pub(super) fn parse_amount(text: &str) -> Option<i64> {
    let (whole, fraction) = text.split_once('.').unwrap_or((text, ""));
    if whole.is_empty()
        || fraction.len() > 2
        || !whole
            .bytes()
            .chain(fraction.bytes())
            .all(|b| b.is_ascii_digit())
    {
        return None;
    }
    let cents = format!("{fraction:0<2}").parse::<i64>().ok()?;
    let minor = whole
        .parse::<i64>()
        .ok()?
        .checked_mul(100)?
        .checked_add(cents)?;
    (minor > 0).then_some(minor)
}

fn utc(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string()
}

fn local(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%dT%H:%M:%S%.3f").to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_are_read_as_cents() {
        assert_eq!(parse_amount("49.00"), Some(4900));
        assert_eq!(parse_amount("49"), Some(4900));
        assert_eq!(parse_amount("0.5"), Some(50));
        assert_eq!(parse_amount("0.00"), None);
        assert_eq!(parse_amount("1.005"), None);
        assert_eq!(parse_amount("-1"), None);
    }
}
