//! Charges and refunds, and finding them again.
//!
//! Authorize.Net has no idempotency key. A charge carries our payment id's
//! compact form as its invoice number, and the gateway's duplicate window
//! (8 hours) refuses the same amount, method and invoice number twice; a
//! charge whose last attempt ended without an answer is looked up by that
//! invoice number before it is sent again. A duplicate answer is resolved
//! by the same lookup, so a retry returns the first attempt's outcome.
//!
//! Approved bank debits (eCheck) answer [`ChargeStatus::Processing`]: they
//! settle later, and the `authcapture.created` webhook or a lookup after
//! settlement settles them.

use chrono::{DateTime, Duration, Utc};
use portal_domain::model::{MethodDetails, PaymentId, ProcessorRef};
use portal_domain::ports::{
    ChargeOutcome, ChargeRequest, ChargeSource, ChargeStatus, ProcessorError, ProcessorResult,
    RefundRequest,
};

use crate::AuthorizeNetProcessor;
use crate::client::refusal;
use crate::compact::{clip, compact_id, decimal, minor_units};
use crate::config::DUPLICATE_WINDOW_SECS;
use crate::profiles::{ACCEPT_DESCRIPTOR, method_details};
use crate::wire::request::{
    BankAccount, CreateTransaction, CreditCard, GetSettledBatchList, GetTransactionDetails,
    GetTransactionList, GetTransactionListForCustomer, GetUnsettledTransactionList, OpaqueData,
    Order, Paging, Payment, PaymentProfileId, ProfilePayment, Request, Setting, Settings, Sorting,
    TransactionRequest,
};
use crate::wire::response::{
    CreateTransactionResponse, Messages, SettledBatchListResponse, TransactionDetails,
    TransactionDetailsResponse, TransactionListResponse, TransactionResponse, TransactionSummary,
};

/// Transactions read per list page (the gateway's maximum).
const PAGE: u32 = 1000;
/// Pages read per list at most.
const MAX_PAGES: u32 = 5;

const DECLINED: &str = "The card was declined. Please use another card.";
const NOT_PROCESSED: &str =
    "The payment could not be processed. Please try again or use another payment method.";
const TOKEN_EXPIRED: &str = "The card details expired before the payment. Please enter them again.";

/// Gateway error codes whose text describes the card, fit for the client.
const CARD_ERRORS: &[&str] = &["6", "7", "8", "17", "28", "37", "78", "315", "316", "317"];

impl AuthorizeNetProcessor {
    pub(crate) async fn charge_once(
        &self,
        request: &ChargeRequest,
    ) -> ProcessorResult<ChargeOutcome> {
        let in_doubt = self.options.in_doubt.contains(request.payment);
        if in_doubt {
            let since = now() - Duration::hours(9);
            match self
                .find_charge(request.payment, &request.customer, None, since)
                .await
            {
                Ok(Some(outcome)) => {
                    self.options.in_doubt.remove(request.payment);
                    return Ok(outcome);
                }
                Ok(None) => {}
                Err(e) if e.is_retryable() => return Err(e),
                // The lookup is refused (the merchant did not enable the
                // transaction details API): the duplicate window still
                // keeps the retry from charging twice.
                Err(_) => {}
            }
        }
        let result = self.send_charge(request, in_doubt).await;
        match &result {
            Err(e) if e.is_retryable() => self.options.in_doubt.insert(request.payment),
            _ => self.options.in_doubt.remove(request.payment),
        }
        result
    }

    async fn send_charge(
        &self,
        request: &ChargeRequest,
        in_doubt: bool,
    ) -> ProcessorResult<ChargeOutcome> {
        let invoice = compact_id(request.payment.as_uuid().as_u128());
        let (payment, profile) = match &request.source {
            ChargeSource::Saved(method) => (
                None,
                Some(ProfilePayment {
                    customer_profile_id: request.customer.as_str().to_owned(),
                    payment_profile: PaymentProfileId {
                        payment_profile_id: method.as_str().to_owned(),
                    },
                }),
            ),
            ChargeSource::Token(token) => (
                Some(Payment::OpaqueData(OpaqueData {
                    data_descriptor: ACCEPT_DESCRIPTOR.into(),
                    data_value: token.as_str().to_owned(),
                })),
                None,
            ),
        };
        let description = clip(&request.description, 255);
        let call = Request::CreateTransaction(CreateTransaction {
            merchant_authentication: self.gateway.auth(),
            ref_id: Some(invoice.clone()),
            transaction_request: TransactionRequest {
                transaction_type: "authCaptureTransaction",
                amount: Some(decimal(request.amount)),
                payment,
                profile,
                ref_trans_id: None,
                order: Some(Order {
                    invoice_number: invoice,
                    description: (!description.trim().is_empty()).then_some(description),
                }),
                transaction_settings: Some(duplicate_window()),
            },
        });
        let answer: CreateTransactionResponse = self.gateway.call(&call).await?;
        let code = answer
            .transaction_response
            .as_ref()
            .and_then(|t| t.response_code.as_deref());
        match (code, answer.transaction_response.as_ref()) {
            (Some("1"), Some(response)) => Ok(approved(response)),
            (Some("4"), Some(response)) => Ok(ChargeOutcome {
                status: ChargeStatus::Processing,
                reference: transaction_ref(response.trans_id.as_deref()),
                method: response_method(response),
            }),
            (Some("2"), Some(response)) => Ok(failed(response, decline_text(response))),
            (Some("3"), Some(response)) if has_error(response, "11") => {
                self.original_of_duplicate(request).await
            }
            (Some("3"), Some(response)) => Ok(failed(response, error_text(response))),
            _ => {
                self.charge_refused(request, &answer.messages, in_doubt)
                    .await
            }
        }
    }

    /// The gateway refused the request itself (no transaction response).
    async fn charge_refused(
        &self,
        request: &ChargeRequest,
        messages: &Messages,
        in_doubt: bool,
    ) -> ProcessorResult<ChargeOutcome> {
        if messages.has("E00114") {
            // A nonce is used once: after an unanswered attempt, a
            // refused nonce may mean that attempt charged it.
            if in_doubt {
                return self.original_of_duplicate(request).await;
            }
            return Ok(ChargeOutcome {
                status: ChargeStatus::Failed {
                    message: TOKEN_EXPIRED.into(),
                },
                reference: None,
                method: None,
            });
        }
        Err(refusal(messages))
    }

    /// The charge an earlier attempt made, which the gateway's answer
    /// says exists; until a lookup shows it, its outcome is unknown.
    async fn original_of_duplicate(
        &self,
        request: &ChargeRequest,
    ) -> ProcessorResult<ChargeOutcome> {
        let since = now() - Duration::seconds(i64::from(DUPLICATE_WINDOW_SECS) + 3600);
        self.find_charge(request.payment, &request.customer, None, since)
            .await?
            .ok_or_else(|| {
                ProcessorError::Unavailable(
                    "Authorize.Net reports an earlier attempt of this charge that it does not \
                     list yet"
                        .into(),
                )
            })
    }

    /// Finds the charge made for `payment`: by its reference when known,
    /// then by invoice number among the customer's transactions, the
    /// unsettled ones, and those settled since `since`.
    pub(crate) async fn find_charge(
        &self,
        payment: PaymentId,
        customer: &ProcessorRef,
        reference: Option<&ProcessorRef>,
        since: DateTime<Utc>,
    ) -> ProcessorResult<Option<ChargeOutcome>> {
        let invoice = compact_id(payment.as_uuid().as_u128());
        if let Some(reference) = reference
            && let Some(details) = self.details(reference).await?
            && details
                .order
                .as_ref()
                .and_then(|o| o.invoice_number.as_deref())
                == Some(invoice.as_str())
        {
            return Ok(Some(details_outcome(&details)));
        }
        Ok(self
            .find_transaction(&invoice, Some(customer), since)
            .await?
            .map(|summary| summary_outcome(&summary)))
    }

    async fn find_transaction(
        &self,
        invoice: &str,
        customer: Option<&ProcessorRef>,
        since: DateTime<Utc>,
    ) -> ProcessorResult<Option<TransactionSummary>> {
        if let Some(customer) = customer.filter(|c| c.as_str().bytes().all(|b| b.is_ascii_digit()))
        {
            let found = self
                .search(invoice, |page| {
                    Request::GetTransactionListForCustomer(GetTransactionListForCustomer {
                        merchant_authentication: self.gateway.auth(),
                        customer_profile_id: customer.as_str().to_owned(),
                        sorting: Sorting::newest_first(),
                        paging: Paging::page(PAGE, page),
                    })
                })
                .await;
            match found {
                Ok(Some(summary)) => return Ok(Some(summary)),
                Ok(None) | Err(ProcessorError::NotFound) => {}
                Err(e) => return Err(e),
            }
        }
        let unsettled = self
            .search(invoice, |page| {
                Request::GetUnsettledTransactionList(GetUnsettledTransactionList {
                    merchant_authentication: self.gateway.auth(),
                    sorting: Sorting::newest_first(),
                    paging: Paging::page(PAGE, page),
                })
            })
            .await?;
        if unsettled.is_some() {
            return Ok(unsettled);
        }
        self.search_settled(invoice, since).await
    }

    /// Batches settled from `since` on (at most 31 days: the gateway's
    /// limit for one request).
    async fn search_settled(
        &self,
        invoice: &str,
        since: DateTime<Utc>,
    ) -> ProcessorResult<Option<TransactionSummary>> {
        // An hour either side: the gateway's clock is not ours, and the
        // dates are whole seconds.
        let first = since - Duration::hours(1);
        let last = (first + Duration::days(31)).min(now() + Duration::hours(1));
        if last <= first {
            return Ok(None);
        }
        let format = |t: DateTime<Utc>| t.format("%Y-%m-%dT%H:%M:%SZ").to_string();
        let request = Request::GetSettledBatchList(GetSettledBatchList {
            merchant_authentication: self.gateway.auth(),
            first_settlement_date: format(first),
            last_settlement_date: format(last),
        });
        let answer: SettledBatchListResponse = self.gateway.call(&request).await?;
        if !answer.messages.is_ok() {
            return Err(refusal(&answer.messages));
        }
        for batch in answer
            .batch_list
            .iter()
            .filter_map(|b| b.batch_id.as_deref())
        {
            let found = self
                .search(invoice, |page| {
                    Request::GetTransactionList(GetTransactionList {
                        merchant_authentication: self.gateway.auth(),
                        batch_id: batch.to_owned(),
                        sorting: Sorting::newest_first(),
                        paging: Paging::page(PAGE, page),
                    })
                })
                .await?;
            if found.is_some() {
                return Ok(found);
            }
        }
        Ok(None)
    }

    /// Pages through one list for the transaction with `invoice`.
    async fn search(
        &self,
        invoice: &str,
        request: impl Fn(u32) -> Request,
    ) -> ProcessorResult<Option<TransactionSummary>> {
        for page in 1..=MAX_PAGES {
            let answer: TransactionListResponse = self.gateway.call(&request(page)).await?;
            if !answer.messages.is_ok() {
                return Err(refusal(&answer.messages));
            }
            if let Some(found) = answer
                .transactions
                .iter()
                .find(|t| t.invoice_number.as_deref() == Some(invoice))
            {
                return Ok(Some(found.clone()));
            }
            if answer.transactions.len() < PAGE as usize {
                return Ok(None);
            }
        }
        // Every page was full: the search gave up, it did not find that
        // there is none. Reconciliation must not read this as "never
        // charged".
        Err(ProcessorError::Unavailable(format!(
            "more than {} transactions to search for invoice number {invoice}",
            MAX_PAGES * PAGE
        )))
    }

    /// A transaction's details; `None` when the gateway has no such one.
    async fn details(
        &self,
        reference: &ProcessorRef,
    ) -> ProcessorResult<Option<TransactionDetails>> {
        if !reference.as_str().bytes().all(|b| b.is_ascii_digit()) {
            return Ok(None);
        }
        let request = Request::GetTransactionDetails(GetTransactionDetails {
            merchant_authentication: self.gateway.auth(),
            trans_id: reference.as_str().to_owned(),
        });
        let answer: TransactionDetailsResponse = self.gateway.call(&request).await?;
        if answer.messages.is_ok() {
            return Ok(answer.transaction);
        }
        match refusal(&answer.messages) {
            ProcessorError::NotFound => Ok(None),
            other => Err(other),
        }
    }

    /// Refunds a settled charge; a charge not settled yet can only be
    /// cancelled whole (voided), which is what a refund of its full
    /// amount does.
    pub(crate) async fn refund_charge(
        &self,
        request: &RefundRequest,
    ) -> ProcessorResult<ProcessorRef> {
        let details = self
            .details(&request.charge)
            .await?
            .ok_or(ProcessorError::NotFound)?;
        let digits = request.amount.currency().minor_digits();
        let charged = details
            .settle_amount
            .as_deref()
            .filter(|a| minor_units(a, digits).is_some_and(|m| m > 0))
            .or(details.auth_amount.as_deref())
            .and_then(|a| minor_units(a, digits));
        let whole = charged == Some(request.amount.minor());
        let status = details.transaction_status.as_deref().unwrap_or("");
        match status {
            "settledSuccessfully" => self.refund_settled(request, &details).await,
            "capturedPendingSettlement"
            | "authorizedPendingCapture"
            | "FDSPendingReview"
            | "FDSAuthorizedPendingReview"
            | "underReview"
            | "pendingSettlement"
                if whole =>
            {
                self.void(request).await
            }
            "capturedPendingSettlement"
            | "authorizedPendingCapture"
            | "FDSPendingReview"
            | "FDSAuthorizedPendingReview"
            | "underReview"
            | "pendingSettlement" => Err(ProcessorError::Rejected(
                "Authorize.Net refunds part of a charge only once it has settled (usually \
                     within a day); until then only the whole amount can be refunded"
                    .into(),
            )),
            // Voided by an earlier attempt of this same whole refund.
            "voided" if whole => Ok(request.charge.clone()),
            other => Err(ProcessorError::Rejected(format!(
                "a charge in state `{other}` cannot be refunded"
            ))),
        }
    }

    async fn refund_settled(
        &self,
        request: &RefundRequest,
        details: &TransactionDetails,
    ) -> ProcessorResult<ProcessorRef> {
        let invoice = compact_id(request.refund.as_uuid().as_u128());
        let payment = refund_payment(details).ok_or_else(|| {
            ProcessorError::Rejected("the charge shows no card or bank account to refund".into())
        })?;
        let call = Request::CreateTransaction(CreateTransaction {
            merchant_authentication: self.gateway.auth(),
            ref_id: Some(invoice.clone()),
            transaction_request: TransactionRequest {
                transaction_type: "refundTransaction",
                amount: Some(decimal(request.amount)),
                payment: Some(payment),
                profile: None,
                ref_trans_id: Some(request.charge.as_str().to_owned()),
                order: Some(Order {
                    invoice_number: invoice.clone(),
                    description: None,
                }),
                transaction_settings: Some(duplicate_window()),
            },
        });
        let answer: CreateTransactionResponse = self.gateway.call(&call).await?;
        let Some(response) = answer.transaction_response.as_ref() else {
            return Err(refusal(&answer.messages));
        };
        match response.response_code.as_deref() {
            Some("1" | "4") => transaction_ref(response.trans_id.as_deref())
                .ok_or_else(|| ProcessorError::Rejected("the refund has no id".into())),
            Some("3") if has_error(response, "11") => {
                let since = now() - Duration::seconds(i64::from(DUPLICATE_WINDOW_SECS) + 3600);
                self.find_transaction(&invoice, None, since)
                    .await?
                    .and_then(|t| transaction_ref(t.trans_id.as_deref()))
                    .ok_or_else(|| {
                        ProcessorError::Unavailable(
                            "Authorize.Net reports an earlier attempt of this refund that it \
                             does not list yet"
                                .into(),
                        )
                    })
            }
            _ => Err(ProcessorError::Rejected(
                response
                    .errors
                    .first()
                    .and_then(|e| e.error_text.clone())
                    .unwrap_or_else(|| answer.messages.summary()),
            )),
        }
    }

    async fn void(&self, request: &RefundRequest) -> ProcessorResult<ProcessorRef> {
        let call = Request::CreateTransaction(CreateTransaction {
            merchant_authentication: self.gateway.auth(),
            ref_id: Some(compact_id(request.refund.as_uuid().as_u128())),
            transaction_request: TransactionRequest {
                transaction_type: "voidTransaction",
                amount: None,
                payment: None,
                profile: None,
                ref_trans_id: Some(request.charge.as_str().to_owned()),
                order: None,
                transaction_settings: None,
            },
        });
        let answer: CreateTransactionResponse = self.gateway.call(&call).await?;
        match answer.transaction_response.as_ref() {
            Some(response) if response.response_code.as_deref() == Some("1") => {
                Ok(transaction_ref(response.trans_id.as_deref())
                    .unwrap_or_else(|| request.charge.clone()))
            }
            Some(response) => Err(ProcessorError::Rejected(
                response
                    .errors
                    .first()
                    .and_then(|e| e.error_text.clone())
                    .unwrap_or_else(|| answer.messages.summary()),
            )),
            None => Err(refusal(&answer.messages)),
        }
    }
}

/// The time now (the domain's clock does not reach adapters).
fn now() -> DateTime<Utc> {
    std::time::SystemTime::now().into()
}

fn duplicate_window() -> Settings {
    Settings {
        setting: vec![Setting {
            setting_name: "duplicateWindow",
            setting_value: DUPLICATE_WINDOW_SECS.to_string(),
        }],
    }
}

/// A transaction id; the gateway answers "0" when it made none.
fn transaction_ref(id: Option<&str>) -> Option<ProcessorRef> {
    id.filter(|id| !id.is_empty() && *id != "0")
        .and_then(|id| ProcessorRef::parse(id).ok())
}

fn has_error(response: &TransactionResponse, code: &str) -> bool {
    response
        .errors
        .iter()
        .any(|e| e.error_code.as_deref() == Some(code))
}

fn is_bank(account_type: Option<&str>) -> bool {
    account_type.is_some_and(|t| t.eq_ignore_ascii_case("eCheck"))
}

fn summary_method(
    account_type: Option<&str>,
    account_number: Option<&str>,
) -> Option<MethodDetails> {
    let payment = if is_bank(account_type) {
        crate::wire::response::PaymentMasked {
            credit_card: None,
            bank_account: Some(crate::wire::response::BankAccountMasked {
                account_type: None,
                routing_number: None,
                account_number: account_number.map(str::to_owned),
                name_on_account: None,
                echeck_type: None,
                bank_name: None,
            }),
        }
    } else {
        crate::wire::response::PaymentMasked {
            credit_card: Some(crate::wire::response::CreditCardMasked {
                card_number: account_number.map(str::to_owned),
                expiration_date: None,
                card_type: account_type.map(str::to_owned),
            }),
            bank_account: None,
        }
    };
    method_details(&payment)
}

fn response_method(response: &TransactionResponse) -> Option<MethodDetails> {
    summary_method(
        response.account_type.as_deref(),
        response.account_number.as_deref(),
    )
}

fn approved(response: &TransactionResponse) -> ChargeOutcome {
    ChargeOutcome {
        status: if is_bank(response.account_type.as_deref()) {
            ChargeStatus::Processing
        } else {
            ChargeStatus::Succeeded
        },
        reference: transaction_ref(response.trans_id.as_deref()),
        method: response_method(response),
    }
}

fn failed(response: &TransactionResponse, message: String) -> ChargeOutcome {
    ChargeOutcome {
        status: ChargeStatus::Failed { message },
        reference: transaction_ref(response.trans_id.as_deref()),
        method: response_method(response),
    }
}

/// A decline's reason: the gateway's texts for declines are written for
/// cardholders ("This transaction has been declined.").
fn decline_text(response: &TransactionResponse) -> String {
    response
        .errors
        .iter()
        .find_map(|e| e.error_text.as_deref())
        .map(|t| clip(t, 255))
        .filter(|t| !t.trim().is_empty())
        .unwrap_or_else(|| DECLINED.into())
}

/// An error's reason: the card's own problems in the gateway's words,
/// anything else (the merchant's configuration) in general ones.
fn error_text(response: &TransactionResponse) -> String {
    response
        .errors
        .iter()
        .find(|e| {
            e.error_code
                .as_deref()
                .is_some_and(|c| CARD_ERRORS.contains(&c))
        })
        .and_then(|e| e.error_text.as_deref())
        .map(|t| clip(t, 255))
        .unwrap_or_else(|| NOT_PROCESSED.into())
}

/// What a transaction status means for a charge.
fn status_outcome(status: &str, bank: bool) -> ChargeStatus {
    match status {
        "settledSuccessfully" | "chargeback" | "chargebackReversal" => ChargeStatus::Succeeded,
        "capturedPendingSettlement"
        | "pendingSettlement"
        | "pendingFinalSettlement"
        | "updatingSettlement"
            if !bank =>
        {
            ChargeStatus::Succeeded
        }
        "declined" => ChargeStatus::Failed {
            message: if bank {
                "The bank account was declined.".into()
            } else {
                DECLINED.into()
            },
        },
        "returnedItem" => ChargeStatus::Failed {
            message: "The bank returned the payment.".into(),
        },
        "voided" => ChargeStatus::Failed {
            message: "The payment was cancelled.".into(),
        },
        "expired" | "generalError" | "failedReview" | "settlementError" | "communicationError"
        | "couldNotVoid" => ChargeStatus::Failed {
            message: NOT_PROCESSED.into(),
        },
        // Held for review, a bank debit not settled yet, or a state this
        // adapter does not know: not paid, not failed.
        _ => ChargeStatus::Processing,
    }
}

fn summary_outcome(summary: &TransactionSummary) -> ChargeOutcome {
    let bank = is_bank(summary.account_type.as_deref());
    ChargeOutcome {
        status: status_outcome(summary.transaction_status.as_deref().unwrap_or(""), bank),
        reference: transaction_ref(summary.trans_id.as_deref()),
        method: summary_method(
            summary.account_type.as_deref(),
            summary.account_number.as_deref(),
        ),
    }
}

fn details_outcome(details: &TransactionDetails) -> ChargeOutcome {
    let bank = details
        .payment
        .as_ref()
        .is_some_and(|p| p.bank_account.is_some());
    ChargeOutcome {
        status: status_outcome(details.transaction_status.as_deref().unwrap_or(""), bank),
        reference: transaction_ref(details.trans_id.as_deref()),
        method: details.payment.as_ref().and_then(method_details),
    }
}

/// The payment a refund names: the card's last four digits, or the
/// masked bank account the charge showed.
fn refund_payment(details: &TransactionDetails) -> Option<Payment> {
    let payment = details.payment.as_ref()?;
    if let Some(card) = &payment.credit_card {
        let last4 = portal_domain::model::Last4::from_masked(card.card_number.as_deref()?)?;
        return Some(Payment::CreditCard(CreditCard {
            card_number: last4.to_string(),
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
    use portal_domain::model::{CardBrand, Last4};

    use super::*;
    use crate::client::read_answer;

    fn response(text: &str) -> TransactionResponse {
        let answer: CreateTransactionResponse = read_answer(text.as_bytes()).unwrap();
        answer.transaction_response.unwrap()
    }

    #[test]
    fn the_documented_approval_is_a_success_with_the_card_charged() {
        let approved_response = response(
            r#"{"transactionResponse":{"responseCode":"1","authCode":"QWX20S","avsResultCode":"Y","cvvResultCode":"P","cavvResultCode":"2","transId":"2228446239","refTransID":"","transHash":"","testRequest":"0","accountNumber":"XXXX1111","accountType":"Visa","messages":[{"code":"1","description":"This transaction has been approved."}],"transHashSha2":"","profile":{"customerProfileId":"500123","customerPaymentProfileId":"600456"}},"refId":"inv-0001","messages":{"resultCode":"Ok","message":[{"code":"I00001","text":"Successful."}]}}"#,
        );
        assert_eq!(
            approved(&approved_response),
            ChargeOutcome {
                status: ChargeStatus::Succeeded,
                reference: Some(ProcessorRef::parse("2228446239").unwrap()),
                method: Some(MethodDetails::Card {
                    brand: CardBrand::Visa,
                    last4: Last4::parse("1111").unwrap(),
                    expiry: None,
                }),
            }
        );
    }

    #[test]
    fn the_documented_decline_fails_with_the_gateway_text() {
        let declined = response(
            r#"{"transactionResponse":{"responseCode":"2","authCode":"","avsResultCode":"Y","cvvResultCode":"P","transId":"40000000001","refTransID":"","testRequest":"0","accountNumber":"XXXX0027","accountType":"Visa","errors":[{"errorCode":"2","errorText":"This transaction has been declined."}]},"refId":"inv-0001","messages":{"resultCode":"Error","message":[{"code":"E00027","text":"The transaction was unsuccessful."}]}}"#,
        );
        let outcome = failed(&declined, decline_text(&declined));
        assert_eq!(
            outcome.status,
            ChargeStatus::Failed {
                message: "This transaction has been declined.".into()
            }
        );
        assert_eq!(outcome.reference.unwrap().as_str(), "40000000001");
    }

    #[test]
    fn a_duplicate_is_recognised_and_has_no_reference() {
        let duplicate = response(
            r#"{"transactionResponse":{"responseCode":"3","transId":"0","errors":[{"errorCode":"11","errorText":"A duplicate transaction has been submitted."}]},"messages":{"resultCode":"Error","message":[{"code":"E00027","text":"The transaction was unsuccessful."}]}}"#,
        );
        assert!(has_error(&duplicate, "11"));
        assert_eq!(transaction_ref(duplicate.trans_id.as_deref()), None);
    }

    #[test]
    fn merchant_errors_are_not_shown_to_clients() {
        let error = response(
            r#"{"transactionResponse":{"responseCode":"3","transId":"0","errors":[{"errorCode":"13","errorText":"The merchant login ID or password is invalid or the account is inactive."}]},"messages":{"resultCode":"Error","message":[{"code":"E00027","text":"The transaction was unsuccessful."}]}}"#,
        );
        assert_eq!(error_text(&error), NOT_PROCESSED);
        let expired = response(
            r#"{"transactionResponse":{"responseCode":"3","errors":[{"errorCode":"8","errorText":"The credit card has expired."}]},"messages":{"resultCode":"Error","message":[]}}"#,
        );
        assert_eq!(error_text(&expired), "The credit card has expired.");
    }

    #[test]
    fn an_approved_bank_debit_is_processing_until_it_settles() {
        let echeck = response(
            r#"{"transactionResponse":{"responseCode":"1","transId":"2228446240","accountNumber":"XXXX6789","accountType":"eCheck"},"messages":{"resultCode":"Ok","message":[]}}"#,
        );
        let outcome = approved(&echeck);
        assert_eq!(outcome.status, ChargeStatus::Processing);
        assert!(matches!(
            outcome.method,
            Some(MethodDetails::BankAccount { .. })
        ));
        assert_eq!(
            status_outcome("settledSuccessfully", true),
            ChargeStatus::Succeeded
        );
        assert_eq!(
            status_outcome("capturedPendingSettlement", true),
            ChargeStatus::Processing
        );
        assert_eq!(
            status_outcome("capturedPendingSettlement", false),
            ChargeStatus::Succeeded
        );
        assert_eq!(
            status_outcome("FDSPendingReview", false),
            ChargeStatus::Processing
        );
        assert!(matches!(
            status_outcome("voided", false),
            ChargeStatus::Failed { .. }
        ));
    }

    #[test]
    fn a_refund_names_the_card_by_its_last_four_digits() {
        let details: TransactionDetails = serde_json::from_str(
            r#"{"transId":"2228446239","transactionStatus":"settledSuccessfully","settleAmount":49.00,"payment":{"creditCard":{"cardNumber":"XXXX1111","expirationDate":"XXXX","cardType":"Visa"}}}"#,
        )
        .unwrap();
        let payment = serde_json::to_string(&refund_payment(&details).unwrap()).unwrap();
        assert_eq!(
            payment,
            r#"{"creditCard":{"cardNumber":"1111","expirationDate":"XXXX"}}"#
        );
    }
}
