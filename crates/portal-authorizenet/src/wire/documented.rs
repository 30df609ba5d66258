//! Every request type, serialized and compared byte for byte with the
//! documented request (or, for types the notes do not show, with the
//! schema's element order): key order is what the gateway validates.

use super::request::*;

fn auth() -> MerchantAuthentication {
    MerchantAuthentication {
        name: "LOGIN".into(),
        transaction_key: "TXKEY".into(),
    }
}

const AUTH: &str = r#""merchantAuthentication":{"name":"LOGIN","transactionKey":"TXKEY"}"#;

fn json(request: &Request) -> String {
    serde_json::to_string(request).unwrap()
}

fn ada() -> Address {
    Address {
        first_name: Some("Ada".into()),
        last_name: Some("Lovelace".into()),
        zip: Some("98004".into()),
        country: Some("US".into()),
        ..Address::default()
    }
}

#[test]
fn create_customer_profile() {
    let request = Request::CreateCustomerProfile(CreateCustomerProfile {
        merchant_authentication: auth(),
        ref_id: Some("cust-42".into()),
        profile: NewCustomerProfile {
            merchant_customer_id: "42".into(),
            description: Some("Acme Inc".into()),
            email: Some("billing@acme.test".into()),
        },
    });
    assert_eq!(
        json(&request),
        r#"{"createCustomerProfileRequest":{"merchantAuthentication":{"name":"LOGIN","transactionKey":"TXKEY"},"refId":"cust-42","profile":{"merchantCustomerId":"42","description":"Acme Inc","email":"billing@acme.test"}}}"#
    );
}

#[test]
fn create_customer_payment_profile() {
    let request = Request::CreateCustomerPaymentProfile(CreateCustomerPaymentProfile {
        merchant_authentication: auth(),
        customer_profile_id: "500123".into(),
        payment_profile: PaymentProfile {
            customer_type: Some("business".into()),
            bill_to: Some(ada()),
            payment: Payment::OpaqueData(OpaqueData {
                data_descriptor: "COMMON.ACCEPT.INAPP.PAYMENT".into(),
                data_value: "eyJjb2RlIjoi...NONCE".into(),
            }),
            default_payment_profile: Some(true),
            customer_payment_profile_id: None,
        },
        validation_mode: Some("liveMode"),
    });
    assert_eq!(
        json(&request),
        r#"{"createCustomerPaymentProfileRequest":{"merchantAuthentication":{"name":"LOGIN","transactionKey":"TXKEY"},"customerProfileId":"500123","paymentProfile":{"customerType":"business","billTo":{"firstName":"Ada","lastName":"Lovelace","zip":"98004","country":"US"},"payment":{"opaqueData":{"dataDescriptor":"COMMON.ACCEPT.INAPP.PAYMENT","dataValue":"eyJjb2RlIjoi...NONCE"}},"defaultPaymentProfile":true},"validationMode":"liveMode"}}"#
    );
}

#[test]
fn get_customer_profile() {
    let request = Request::GetCustomerProfile(GetCustomerProfile {
        merchant_authentication: auth(),
        customer_profile_id: "500123".into(),
        unmask_expiration_date: Some(true),
    });
    assert_eq!(
        json(&request),
        r#"{"getCustomerProfileRequest":{"merchantAuthentication":{"name":"LOGIN","transactionKey":"TXKEY"},"customerProfileId":"500123","unmaskExpirationDate":true}}"#
    );
}

#[test]
fn delete_customer_payment_profile() {
    let request = Request::DeleteCustomerPaymentProfile(DeleteCustomerPaymentProfile {
        merchant_authentication: auth(),
        customer_profile_id: "500123".into(),
        customer_payment_profile_id: "600456".into(),
    });
    assert_eq!(
        json(&request),
        r#"{"deleteCustomerPaymentProfileRequest":{"merchantAuthentication":{"name":"LOGIN","transactionKey":"TXKEY"},"customerProfileId":"500123","customerPaymentProfileId":"600456"}}"#
    );
}

#[test]
fn update_customer_payment_profile() {
    let request = Request::UpdateCustomerPaymentProfile(UpdateCustomerPaymentProfile {
        merchant_authentication: auth(),
        customer_profile_id: "500123".into(),
        payment_profile: PaymentProfile {
            customer_type: None,
            bill_to: Some(ada()),
            payment: Payment::CreditCard(CreditCard {
                card_number: "XXXX1111".into(),
                expiration_date: "XXXX".into(),
            }),
            default_payment_profile: Some(true),
            customer_payment_profile_id: Some("600456".into()),
        },
    });
    assert_eq!(
        json(&request),
        r#"{"updateCustomerPaymentProfileRequest":{"merchantAuthentication":{"name":"LOGIN","transactionKey":"TXKEY"},"customerProfileId":"500123","paymentProfile":{"billTo":{"firstName":"Ada","lastName":"Lovelace","zip":"98004","country":"US"},"payment":{"creditCard":{"cardNumber":"XXXX1111","expirationDate":"XXXX"}},"defaultPaymentProfile":true,"customerPaymentProfileId":"600456"}}}"#
    );
}

#[test]
fn update_keeps_a_bank_account_in_schema_order() {
    let request = Request::UpdateCustomerPaymentProfile(UpdateCustomerPaymentProfile {
        merchant_authentication: auth(),
        customer_profile_id: "500123".into(),
        payment_profile: PaymentProfile {
            customer_type: Some("business".into()),
            bill_to: None,
            payment: Payment::BankAccount(BankAccount {
                account_type: Some("checking".into()),
                routing_number: "XXXX2882".into(),
                account_number: "XXXX6789".into(),
                name_on_account: "Ada Lovelace".into(),
                echeck_type: Some("WEB".into()),
            }),
            default_payment_profile: Some(true),
            customer_payment_profile_id: Some("600457".into()),
        },
    });
    assert_eq!(
        json(&request),
        format!(
            r#"{{"updateCustomerPaymentProfileRequest":{{{AUTH},"customerProfileId":"500123","paymentProfile":{{"customerType":"business","payment":{{"bankAccount":{{"accountType":"checking","routingNumber":"XXXX2882","accountNumber":"XXXX6789","nameOnAccount":"Ada Lovelace","echeckType":"WEB"}}}},"defaultPaymentProfile":true,"customerPaymentProfileId":"600457"}}}}}}"#
        )
    );
}

#[test]
fn create_transaction_charging_a_stored_profile() {
    let request = Request::CreateTransaction(CreateTransaction {
        merchant_authentication: auth(),
        ref_id: Some("inv-0001".into()),
        transaction_request: TransactionRequest {
            transaction_type: "authCaptureTransaction",
            amount: Some("49.00".into()),
            payment: None,
            profile: Some(ProfilePayment {
                customer_profile_id: "500123".into(),
                payment_profile: PaymentProfileId {
                    payment_profile_id: "600456".into(),
                },
            }),
            ref_trans_id: None,
            order: Some(Order {
                invoice_number: "INV-0001".into(),
                description: Some("Pro plan, May".into()),
            }),
            transaction_settings: Some(Settings {
                setting: vec![Setting {
                    setting_name: "duplicateWindow",
                    setting_value: "600".into(),
                }],
            }),
        },
    });
    assert_eq!(
        json(&request),
        r#"{"createTransactionRequest":{"merchantAuthentication":{"name":"LOGIN","transactionKey":"TXKEY"},"refId":"inv-0001","transactionRequest":{"transactionType":"authCaptureTransaction","amount":"49.00","profile":{"customerProfileId":"500123","paymentProfile":{"paymentProfileId":"600456"}},"order":{"invoiceNumber":"INV-0001","description":"Pro plan, May"},"transactionSettings":{"setting":[{"settingName":"duplicateWindow","settingValue":"600"}]}}}}"#
    );
}

#[test]
fn create_transaction_charging_a_nonce() {
    let request = Request::CreateTransaction(CreateTransaction {
        merchant_authentication: auth(),
        ref_id: None,
        transaction_request: TransactionRequest {
            transaction_type: "authCaptureTransaction",
            amount: Some("49.00".into()),
            payment: Some(Payment::OpaqueData(OpaqueData {
                data_descriptor: "COMMON.ACCEPT.INAPP.PAYMENT".into(),
                data_value: "NONCE".into(),
            })),
            profile: None,
            ref_trans_id: None,
            order: Some(Order {
                invoice_number: "INV-0001".into(),
                description: None,
            }),
            transaction_settings: None,
        },
    });
    assert_eq!(
        json(&request),
        format!(
            r#"{{"createTransactionRequest":{{{AUTH},"transactionRequest":{{"transactionType":"authCaptureTransaction","amount":"49.00","payment":{{"opaqueData":{{"dataDescriptor":"COMMON.ACCEPT.INAPP.PAYMENT","dataValue":"NONCE"}}}},"order":{{"invoiceNumber":"INV-0001"}}}}}}}}"#
        )
    );
}

#[test]
fn create_transaction_refunding_and_voiding() {
    let refund = Request::CreateTransaction(CreateTransaction {
        merchant_authentication: auth(),
        ref_id: Some("REF".into()),
        transaction_request: TransactionRequest {
            transaction_type: "refundTransaction",
            amount: Some("10.00".into()),
            payment: Some(Payment::CreditCard(CreditCard {
                card_number: "1111".into(),
                expiration_date: "XXXX".into(),
            })),
            profile: None,
            ref_trans_id: Some("2228446239".into()),
            order: Some(Order {
                invoice_number: "REF".into(),
                description: None,
            }),
            transaction_settings: None,
        },
    });
    assert_eq!(
        json(&refund),
        format!(
            r#"{{"createTransactionRequest":{{{AUTH},"refId":"REF","transactionRequest":{{"transactionType":"refundTransaction","amount":"10.00","payment":{{"creditCard":{{"cardNumber":"1111","expirationDate":"XXXX"}}}},"refTransId":"2228446239","order":{{"invoiceNumber":"REF"}}}}}}}}"#
        )
    );
    let void = Request::CreateTransaction(CreateTransaction {
        merchant_authentication: auth(),
        ref_id: None,
        transaction_request: TransactionRequest {
            transaction_type: "voidTransaction",
            amount: None,
            payment: None,
            profile: None,
            ref_trans_id: Some("2228446239".into()),
            order: None,
            transaction_settings: None,
        },
    });
    assert_eq!(
        json(&void),
        format!(
            r#"{{"createTransactionRequest":{{{AUTH},"transactionRequest":{{"transactionType":"voidTransaction","refTransId":"2228446239"}}}}}}"#
        )
    );
}

#[test]
fn reporting_requests() {
    let cases = [
        (
            Request::AuthenticateTest(AuthenticateTest {
                merchant_authentication: auth(),
            }),
            format!(r#"{{"authenticateTestRequest":{{{AUTH}}}}}"#),
        ),
        (
            Request::GetTransactionDetails(GetTransactionDetails {
                merchant_authentication: auth(),
                trans_id: "2228446239".into(),
            }),
            format!(r#"{{"getTransactionDetailsRequest":{{{AUTH},"transId":"2228446239"}}}}"#),
        ),
        (
            Request::GetTransactionListForCustomer(GetTransactionListForCustomer {
                merchant_authentication: auth(),
                customer_profile_id: "500123".into(),
                sorting: Sorting::newest_first(),
                paging: Paging::page(1000, 1),
            }),
            format!(
                r#"{{"getTransactionListForCustomerRequest":{{{AUTH},"customerProfileId":"500123","sorting":{{"orderBy":"submitTimeUTC","orderDescending":true}},"paging":{{"limit":"1000","offset":"1"}}}}}}"#
            ),
        ),
        (
            Request::GetUnsettledTransactionList(GetUnsettledTransactionList {
                merchant_authentication: auth(),
                sorting: Sorting::newest_first(),
                paging: Paging::page(1000, 2),
            }),
            format!(
                r#"{{"getUnsettledTransactionListRequest":{{{AUTH},"sorting":{{"orderBy":"submitTimeUTC","orderDescending":true}},"paging":{{"limit":"1000","offset":"2"}}}}}}"#
            ),
        ),
        (
            Request::GetSettledBatchList(GetSettledBatchList {
                merchant_authentication: auth(),
                first_settlement_date: "2026-05-01T00:00:00Z".into(),
                last_settlement_date: "2026-05-08T00:00:00Z".into(),
            }),
            format!(
                r#"{{"getSettledBatchListRequest":{{{AUTH},"firstSettlementDate":"2026-05-01T00:00:00Z","lastSettlementDate":"2026-05-08T00:00:00Z"}}}}"#
            ),
        ),
        (
            Request::GetTransactionList(GetTransactionList {
                merchant_authentication: auth(),
                batch_id: "12345".into(),
                sorting: Sorting::newest_first(),
                paging: Paging::page(1000, 1),
            }),
            format!(
                r#"{{"getTransactionListRequest":{{{AUTH},"batchId":"12345","sorting":{{"orderBy":"submitTimeUTC","orderDescending":true}},"paging":{{"limit":"1000","offset":"1"}}}}}}"#
            ),
        ),
    ];
    for (request, expected) in cases {
        assert_eq!(json(&request), expected, "{}", request.name());
    }
}

#[test]
fn debug_output_hides_the_key_and_the_nonce() {
    let request = Request::CreateCustomerPaymentProfile(CreateCustomerPaymentProfile {
        merchant_authentication: auth(),
        customer_profile_id: "500123".into(),
        payment_profile: PaymentProfile {
            customer_type: None,
            bill_to: None,
            payment: Payment::OpaqueData(OpaqueData {
                data_descriptor: "COMMON.ACCEPT.INAPP.PAYMENT".into(),
                data_value: "SECRET-NONCE".into(),
            }),
            default_payment_profile: None,
            customer_payment_profile_id: None,
        },
        validation_mode: None,
    });
    let debug = format!("{request:?}");
    assert!(!debug.contains("TXKEY"));
    assert!(!debug.contains("SECRET-NONCE"));
}
