//! Request types, as `AnetApiSchema.xsd` declares them.
//!
//! The gateway turns JSON into XML and validates it against the schema, so
//! the keys of every object must come in the schema's element order. Serde
//! writes struct fields in declaration order: each struct below declares
//! its fields in that order, and nothing here is built from a map.

use serde::Serialize;

/// One API call: serialized as `{"<name>Request": {...}}`.
#[derive(Debug, Serialize)]
pub(crate) enum Request {
    #[serde(rename = "authenticateTestRequest")]
    AuthenticateTest(AuthenticateTest),
    #[serde(rename = "createCustomerProfileRequest")]
    CreateCustomerProfile(CreateCustomerProfile),
    #[serde(rename = "createCustomerPaymentProfileRequest")]
    CreateCustomerPaymentProfile(CreateCustomerPaymentProfile),
    #[serde(rename = "getCustomerProfileRequest")]
    GetCustomerProfile(GetCustomerProfile),
    #[serde(rename = "updateCustomerPaymentProfileRequest")]
    UpdateCustomerPaymentProfile(UpdateCustomerPaymentProfile),
    #[serde(rename = "deleteCustomerPaymentProfileRequest")]
    DeleteCustomerPaymentProfile(DeleteCustomerPaymentProfile),
    #[serde(rename = "createTransactionRequest")]
    CreateTransaction(CreateTransaction),
    #[serde(rename = "getTransactionDetailsRequest")]
    GetTransactionDetails(GetTransactionDetails),
    #[serde(rename = "getTransactionListForCustomerRequest")]
    GetTransactionListForCustomer(GetTransactionListForCustomer),
    #[serde(rename = "getUnsettledTransactionListRequest")]
    GetUnsettledTransactionList(GetUnsettledTransactionList),
    #[serde(rename = "getSettledBatchListRequest")]
    GetSettledBatchList(GetSettledBatchList),
    #[serde(rename = "getTransactionListRequest")]
    GetTransactionList(GetTransactionList),
}

impl Request {
    /// The request's element name, for error messages.
    pub(crate) fn name(&self) -> &'static str {
        match self {
            Self::AuthenticateTest(_) => "authenticateTestRequest",
            Self::CreateCustomerProfile(_) => "createCustomerProfileRequest",
            Self::CreateCustomerPaymentProfile(_) => "createCustomerPaymentProfileRequest",
            Self::GetCustomerProfile(_) => "getCustomerProfileRequest",
            Self::UpdateCustomerPaymentProfile(_) => "updateCustomerPaymentProfileRequest",
            Self::DeleteCustomerPaymentProfile(_) => "deleteCustomerPaymentProfileRequest",
            Self::CreateTransaction(_) => "createTransactionRequest",
            Self::GetTransactionDetails(_) => "getTransactionDetailsRequest",
            Self::GetTransactionListForCustomer(_) => "getTransactionListForCustomerRequest",
            Self::GetUnsettledTransactionList(_) => "getUnsettledTransactionListRequest",
            Self::GetSettledBatchList(_) => "getSettledBatchListRequest",
            Self::GetTransactionList(_) => "getTransactionListRequest",
        }
    }
}

/// `merchantAuthenticationType`: name, then the transaction key.
#[derive(Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct MerchantAuthentication {
    pub(crate) name: String,
    pub(crate) transaction_key: String,
}

impl std::fmt::Debug for MerchantAuthentication {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MerchantAuthentication")
            .field("name", &self.name)
            .finish_non_exhaustive()
    }
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct AuthenticateTest {
    pub(crate) merchant_authentication: MerchantAuthentication,
}

/// `createCustomerProfileRequest`: `ANetApiRequest` (merchantAuthentication,
/// clientId, refId), then profile, validationMode.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct CreateCustomerProfile {
    pub(crate) merchant_authentication: MerchantAuthentication,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) ref_id: Option<String>,
    pub(crate) profile: NewCustomerProfile,
}

/// `customerProfileType`: merchantCustomerId, description, email,
/// paymentProfiles, shipToList, profileType.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct NewCustomerProfile {
    pub(crate) merchant_customer_id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) description: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) email: Option<String>,
}

/// `createCustomerPaymentProfileRequest`: customerProfileId,
/// paymentProfile, validationMode.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct CreateCustomerPaymentProfile {
    pub(crate) merchant_authentication: MerchantAuthentication,
    pub(crate) customer_profile_id: String,
    pub(crate) payment_profile: PaymentProfile,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) validation_mode: Option<&'static str>,
}

/// `customerPaymentProfileExType`: customerType, billTo (from
/// `customerPaymentProfileBaseType`), payment, driversLicense, taxId,
/// defaultPaymentProfile (from `customerPaymentProfileType`), then
/// customerPaymentProfileId. A new profile leaves the id out.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct PaymentProfile {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) customer_type: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) bill_to: Option<Address>,
    pub(crate) payment: Payment,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) default_payment_profile: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) customer_payment_profile_id: Option<String>,
}

/// `customerAddressType`: `nameAndAddressType` (firstName, lastName,
/// company, address, city, state, zip, country), then phoneNumber,
/// faxNumber, email. Read back from a profile and sent back unchanged.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Address {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) first_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) last_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) company: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) address: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) city: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) state: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) zip: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) country: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) phone_number: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) fax_number: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) email: Option<String>,
}

/// `paymentType`: a choice of one element.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) enum Payment {
    CreditCard(CreditCard),
    BankAccount(BankAccount),
    OpaqueData(OpaqueData),
}

/// `creditCardSimpleType`: cardNumber, expirationDate. Only ever the
/// masked form the gateway answered ("XXXX1111", "XXXX"), or the last
/// four digits a refund asks for.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct CreditCard {
    pub(crate) card_number: String,
    pub(crate) expiration_date: String,
}

/// `bankAccountType`: accountType, routingNumber, accountNumber,
/// nameOnAccount, echeckType, bankName, checkNumber. Only ever the masked
/// form the gateway answered.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct BankAccount {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) account_type: Option<String>,
    pub(crate) routing_number: String,
    pub(crate) account_number: String,
    pub(crate) name_on_account: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) echeck_type: Option<String>,
}

/// `opaqueDataType`: dataDescriptor, dataValue (an Accept.js nonce).
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct OpaqueData {
    pub(crate) data_descriptor: String,
    pub(crate) data_value: String,
}

impl std::fmt::Debug for OpaqueData {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OpaqueData")
            .field("data_descriptor", &self.data_descriptor)
            .finish_non_exhaustive()
    }
}

/// `getCustomerProfileRequest`: customerProfileId, merchantCustomerId,
/// email, unmaskExpirationDate, includeIssuerInfo.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct GetCustomerProfile {
    pub(crate) merchant_authentication: MerchantAuthentication,
    pub(crate) customer_profile_id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) unmask_expiration_date: Option<bool>,
}

/// `updateCustomerPaymentProfileRequest`: customerProfileId,
/// paymentProfile, validationMode.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct UpdateCustomerPaymentProfile {
    pub(crate) merchant_authentication: MerchantAuthentication,
    pub(crate) customer_profile_id: String,
    pub(crate) payment_profile: PaymentProfile,
}

/// `deleteCustomerPaymentProfileRequest`: customerProfileId,
/// customerPaymentProfileId.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct DeleteCustomerPaymentProfile {
    pub(crate) merchant_authentication: MerchantAuthentication,
    pub(crate) customer_profile_id: String,
    pub(crate) customer_payment_profile_id: String,
}

/// `createTransactionRequest`: refId, then transactionRequest.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct CreateTransaction {
    pub(crate) merchant_authentication: MerchantAuthentication,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) ref_id: Option<String>,
    pub(crate) transaction_request: TransactionRequest,
}

/// `transactionRequestType`: transactionType, amount, currencyCode,
/// payment, profile, solution, callId, terminalNumber, authCode,
/// refTransId, splitTenderId, order, lineItems, tax, duty, shipping,
/// taxExempt, poNumber, customer, billTo, shipTo, customerIP,
/// cardholderAuthentication, retail, employeeId, transactionSettings, …
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct TransactionRequest {
    pub(crate) transaction_type: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) amount: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) payment: Option<Payment>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) profile: Option<ProfilePayment>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) ref_trans_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) order: Option<Order>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) transaction_settings: Option<Settings>,
}

/// `customerProfilePaymentType`: createProfile, customerProfileId,
/// paymentProfile, shippingProfileId.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct ProfilePayment {
    pub(crate) customer_profile_id: String,
    pub(crate) payment_profile: PaymentProfileId,
}

/// `paymentProfile`: paymentProfileId, cardCode.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct PaymentProfileId {
    pub(crate) payment_profile_id: String,
}

/// `orderType`: invoiceNumber (≤ 20), description (≤ 255).
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Order {
    pub(crate) invoice_number: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) description: Option<String>,
}

/// `ArrayOfSetting`: setting*.
#[derive(Debug, Serialize)]
pub(crate) struct Settings {
    pub(crate) setting: Vec<Setting>,
}

/// `settingType`: settingName, settingValue.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Setting {
    pub(crate) setting_name: &'static str,
    pub(crate) setting_value: String,
}

/// `getTransactionDetailsRequest`: transId.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct GetTransactionDetails {
    pub(crate) merchant_authentication: MerchantAuthentication,
    pub(crate) trans_id: String,
}

/// `getTransactionListForCustomerRequest`: customerProfileId,
/// customerPaymentProfileId, sorting, paging.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct GetTransactionListForCustomer {
    pub(crate) merchant_authentication: MerchantAuthentication,
    pub(crate) customer_profile_id: String,
    pub(crate) sorting: Sorting,
    pub(crate) paging: Paging,
}

/// `getUnsettledTransactionListRequest`: status, sorting, paging.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct GetUnsettledTransactionList {
    pub(crate) merchant_authentication: MerchantAuthentication,
    pub(crate) sorting: Sorting,
    pub(crate) paging: Paging,
}

/// `getSettledBatchListRequest`: includeStatistics, firstSettlementDate,
/// lastSettlementDate.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct GetSettledBatchList {
    pub(crate) merchant_authentication: MerchantAuthentication,
    pub(crate) first_settlement_date: String,
    pub(crate) last_settlement_date: String,
}

/// `getTransactionListRequest`: batchId, sorting, paging.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct GetTransactionList {
    pub(crate) merchant_authentication: MerchantAuthentication,
    pub(crate) batch_id: String,
    pub(crate) sorting: Sorting,
    pub(crate) paging: Paging,
}

/// `TransactionListSorting`: orderBy, orderDescending.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Sorting {
    pub(crate) order_by: &'static str,
    pub(crate) order_descending: bool,
}

impl Sorting {
    /// Newest first.
    pub(crate) fn newest_first() -> Self {
        Self {
            order_by: "submitTimeUTC",
            order_descending: true,
        }
    }
}

/// `Paging`: limit (1–1000), offset (the page number, from 1).
#[derive(Debug, Serialize)]
pub(crate) struct Paging {
    pub(crate) limit: String,
    pub(crate) offset: String,
}

impl Paging {
    pub(crate) fn page(limit: u32, page: u32) -> Self {
        Self {
            limit: limit.to_string(),
            offset: page.to_string(),
        }
    }
}
