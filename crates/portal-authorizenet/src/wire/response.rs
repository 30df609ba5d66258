//! Response types: read by name, unknown fields ignored, key order
//! irrelevant. The gateway answers numbers where the schema says string
//! and the reverse, and may wrap lists; the readers here accept either.

use std::collections::BTreeMap;

use serde::de::{DeserializeOwned, Error as _};
use serde::{Deserialize, Deserializer};
use serde_json::value::RawValue;

use super::request::Address;

/// `messagesType`: resultCode `Ok` or `Error`, and the messages.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Messages {
    #[serde(default)]
    pub(crate) result_code: String,
    #[serde(default, deserialize_with = "list")]
    pub(crate) message: Vec<Message>,
}

#[derive(Debug, Clone, Deserialize)]
pub(crate) struct Message {
    #[serde(default, deserialize_with = "text")]
    pub(crate) code: Option<String>,
    #[serde(default, deserialize_with = "text")]
    pub(crate) text: Option<String>,
}

impl Messages {
    pub(crate) fn is_ok(&self) -> bool {
        self.result_code.eq_ignore_ascii_case("Ok")
    }

    pub(crate) fn has(&self, code: &str) -> bool {
        self.message.iter().any(|m| m.code.as_deref() == Some(code))
    }

    /// The text of the first message with `code`.
    pub(crate) fn text_of(&self, code: &str) -> Option<&str> {
        self.message
            .iter()
            .find(|m| m.code.as_deref() == Some(code))
            .and_then(|m| m.text.as_deref())
    }

    /// "E00003: The element …", for operators.
    pub(crate) fn summary(&self) -> String {
        let parts: Vec<String> = self
            .message
            .iter()
            .map(|m| {
                format!(
                    "{}: {}",
                    m.code.as_deref().unwrap_or("?"),
                    m.text.as_deref().unwrap_or("")
                )
            })
            .collect();
        if parts.is_empty() {
            format!("result {}", self.result_code)
        } else {
            parts.join("; ")
        }
    }
}

/// Any response, read for its messages only.
#[derive(Debug, Deserialize)]
pub(crate) struct Basic {
    #[serde(default)]
    pub(crate) messages: Messages,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct CreateCustomerProfileResponse {
    #[serde(default)]
    pub(crate) messages: Messages,
    #[serde(default, deserialize_with = "text")]
    pub(crate) customer_profile_id: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct CreateCustomerPaymentProfileResponse {
    #[serde(default)]
    pub(crate) messages: Messages,
    #[serde(default, deserialize_with = "text")]
    pub(crate) customer_payment_profile_id: Option<String>,
}

#[derive(Debug, Deserialize)]
pub(crate) struct GetCustomerProfileResponse {
    #[serde(default)]
    pub(crate) messages: Messages,
    pub(crate) profile: Option<CustomerProfile>,
}

/// `customerProfileMaskedType`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct CustomerProfile {
    #[serde(default, deserialize_with = "text")]
    pub(crate) merchant_customer_id: Option<String>,
    #[serde(default, deserialize_with = "list")]
    pub(crate) payment_profiles: Vec<PaymentProfile>,
}

/// `customerPaymentProfileMaskedType`.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct PaymentProfile {
    #[serde(default, deserialize_with = "text")]
    pub(crate) customer_payment_profile_id: Option<String>,
    #[serde(default, deserialize_with = "flag")]
    pub(crate) default_payment_profile: bool,
    #[serde(default)]
    pub(crate) customer_type: Option<String>,
    pub(crate) bill_to: Option<Address>,
    pub(crate) payment: Option<PaymentMasked>,
}

/// `paymentMaskedType`.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct PaymentMasked {
    pub(crate) credit_card: Option<CreditCardMasked>,
    pub(crate) bank_account: Option<BankAccountMasked>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct CreditCardMasked {
    #[serde(default, deserialize_with = "text")]
    pub(crate) card_number: Option<String>,
    #[serde(default, deserialize_with = "text")]
    pub(crate) expiration_date: Option<String>,
    #[serde(default, deserialize_with = "text")]
    pub(crate) card_type: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct BankAccountMasked {
    #[serde(default, deserialize_with = "text")]
    pub(crate) account_type: Option<String>,
    #[serde(default, deserialize_with = "text")]
    pub(crate) routing_number: Option<String>,
    #[serde(default, deserialize_with = "text")]
    pub(crate) account_number: Option<String>,
    #[serde(default, deserialize_with = "text")]
    pub(crate) name_on_account: Option<String>,
    #[serde(default, deserialize_with = "text")]
    pub(crate) echeck_type: Option<String>,
    #[serde(default, deserialize_with = "text")]
    pub(crate) bank_name: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct CreateTransactionResponse {
    #[serde(default)]
    pub(crate) messages: Messages,
    pub(crate) transaction_response: Option<TransactionResponse>,
}

/// `transactionResponse`: responseCode 1 approved, 2 declined, 3 error,
/// 4 held for review.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct TransactionResponse {
    #[serde(default, deserialize_with = "text")]
    pub(crate) response_code: Option<String>,
    #[serde(default, deserialize_with = "text")]
    pub(crate) trans_id: Option<String>,
    #[serde(default, deserialize_with = "text")]
    pub(crate) account_number: Option<String>,
    #[serde(default, deserialize_with = "text")]
    pub(crate) account_type: Option<String>,
    #[serde(default, deserialize_with = "list")]
    pub(crate) errors: Vec<TransactionError>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct TransactionError {
    #[serde(default, deserialize_with = "text")]
    pub(crate) error_code: Option<String>,
    #[serde(default, deserialize_with = "text")]
    pub(crate) error_text: Option<String>,
}

#[derive(Debug, Deserialize)]
pub(crate) struct TransactionDetailsResponse {
    #[serde(default)]
    pub(crate) messages: Messages,
    pub(crate) transaction: Option<TransactionDetails>,
}

/// `transactionDetailsType`, the parts the portal reads.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct TransactionDetails {
    #[serde(default, deserialize_with = "text")]
    pub(crate) trans_id: Option<String>,
    #[serde(default, deserialize_with = "text")]
    pub(crate) transaction_status: Option<String>,
    pub(crate) order: Option<OrderRead>,
    #[serde(default, deserialize_with = "text")]
    pub(crate) auth_amount: Option<String>,
    #[serde(default, deserialize_with = "text")]
    pub(crate) settle_amount: Option<String>,
    pub(crate) payment: Option<PaymentMasked>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct OrderRead {
    #[serde(default, deserialize_with = "text")]
    pub(crate) invoice_number: Option<String>,
}

/// The answer of every transaction list request.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct TransactionListResponse {
    #[serde(default)]
    pub(crate) messages: Messages,
    #[serde(default, deserialize_with = "list")]
    pub(crate) transactions: Vec<TransactionSummary>,
}

/// `transactionSummaryType`, the parts the portal reads.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct TransactionSummary {
    #[serde(default, deserialize_with = "text")]
    pub(crate) trans_id: Option<String>,
    #[serde(default, deserialize_with = "text")]
    pub(crate) transaction_status: Option<String>,
    #[serde(default, deserialize_with = "text")]
    pub(crate) invoice_number: Option<String>,
    #[serde(default, deserialize_with = "text")]
    pub(crate) account_type: Option<String>,
    #[serde(default, deserialize_with = "text")]
    pub(crate) account_number: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct SettledBatchListResponse {
    #[serde(default)]
    pub(crate) messages: Messages,
    #[serde(default, deserialize_with = "list")]
    pub(crate) batch_list: Vec<Batch>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Batch {
    #[serde(default, deserialize_with = "text")]
    pub(crate) batch_id: Option<String>,
}

/// A scalar as text: `"1"` and `1` both read as "1"; numbers keep their
/// exact digits ("49.00"), never passing through a float.
fn text<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<String>, D::Error> {
    let raw: Option<Box<RawValue>> = Option::deserialize(deserializer)?;
    let Some(raw) = raw else { return Ok(None) };
    let trimmed = raw.get().trim();
    if trimmed == "null" {
        Ok(None)
    } else if trimmed.starts_with('"') {
        serde_json::from_str::<String>(trimmed)
            .map(Some)
            .map_err(D::Error::custom)
    } else if trimmed.starts_with('{') || trimmed.starts_with('[') {
        Err(D::Error::custom("expected a scalar"))
    } else {
        Ok(Some(trimmed.to_owned()))
    }
}

/// A boolean as `true` or `"true"`.
fn flag<'de, D: Deserializer<'de>>(deserializer: D) -> Result<bool, D::Error> {
    Ok(text(deserializer)?.is_some_and(|t| t.eq_ignore_ascii_case("true")))
}

/// A list as `[..]`, one bare object, or `{"item": [..]}`.
fn list<'de, D, T>(deserializer: D) -> Result<Vec<T>, D::Error>
where
    D: Deserializer<'de>,
    T: DeserializeOwned,
{
    let raw: Option<Box<RawValue>> = Option::deserialize(deserializer)?;
    let Some(raw) = raw else {
        return Ok(Vec::new());
    };
    read_list(raw.get()).map_err(D::Error::custom)
}

fn read_list<T: DeserializeOwned>(text: &str) -> Result<Vec<T>, serde_json::Error> {
    let trimmed = text.trim();
    if trimmed == "null" {
        return Ok(Vec::new());
    }
    if trimmed.starts_with('[') {
        return serde_json::from_str(trimmed);
    }
    if let Ok(map) = serde_json::from_str::<BTreeMap<String, Box<RawValue>>>(trimmed)
        && let [(_, inner)] = map.iter().collect::<Vec<_>>().as_slice()
        && inner.get().trim_start().starts_with('[')
    {
        return serde_json::from_str(inner.get());
    }
    serde_json::from_str::<T>(trimmed).map(|one| vec![one])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scalars_read_as_text_whatever_their_json_type() {
        let response: TransactionSummary = serde_json::from_str(
            r#"{"transId":40000000001,"invoiceNumber":"ABC","accountNumber":null,"settleAmount":49.00}"#,
        )
        .unwrap();
        assert_eq!(response.trans_id.as_deref(), Some("40000000001"));
        assert_eq!(response.invoice_number.as_deref(), Some("ABC"));
        assert_eq!(response.account_number, None);
    }

    #[test]
    fn amounts_keep_their_digits() {
        let details: TransactionDetails =
            serde_json::from_str(r#"{"settleAmount":49.00,"authAmount":"12.5"}"#).unwrap();
        assert_eq!(details.settle_amount.as_deref(), Some("49.00"));
        assert_eq!(details.auth_amount.as_deref(), Some("12.5"));
    }

    #[test]
    fn lists_come_bare_wrapped_or_single() {
        for text in [
            r#"{"transactions":[{"transId":"1"},{"transId":"2"}]}"#,
            r#"{"transactions":{"transaction":[{"transId":"1"},{"transId":"2"}]}}"#,
        ] {
            let list: TransactionListResponse = serde_json::from_str(text).unwrap();
            assert_eq!(list.transactions.len(), 2, "{text}");
        }
        let one: TransactionListResponse =
            serde_json::from_str(r#"{"transactions":{"transId":"1"}}"#).unwrap();
        assert_eq!(one.transactions.len(), 1);
        let none: TransactionListResponse =
            serde_json::from_str(r#"{"messages":{"resultCode":"Ok","message":[{"code":"I00004","text":"No records found."}]}}"#)
                .unwrap();
        assert!(none.transactions.is_empty());
        assert!(none.messages.is_ok());
        assert!(none.messages.has("I00004"));
    }
}
