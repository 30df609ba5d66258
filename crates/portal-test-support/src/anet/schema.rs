//! The element order of `AnetApiSchema.xsd`, for the request types the
//! portal sends: the fake refuses keys out of this order (or unknown to
//! it) the way the gateway does, with E00003.
//!
//! Each type lists its elements in schema order as groups; the elements of
//! one group are the alternatives of an `xs:choice` and share a place.
//! Element types the table does not list are not looked into.

use super::json::Node;

const NAMESPACE: &str = "AnetApi/xml/v1/schema/AnetApiSchema.xsd";

/// `(element, type)`; a type of "" is simple.
type Element = (&'static str, &'static str);

const BASE: &[&[Element]] = &[
    &[("merchantAuthentication", "merchantAuthenticationType")],
    &[("clientId", "")],
    &[("refId", "")],
];

fn request(name: &str) -> Option<&'static [&'static [Element]]> {
    Some(match name {
        "authenticateTestRequest" => &[],
        "createCustomerProfileRequest" => &[
            &[("profile", "customerProfileType")],
            &[("validationMode", "")],
        ],
        "createCustomerPaymentProfileRequest" => &[
            &[("customerProfileId", "")],
            &[("paymentProfile", "customerPaymentProfileType")],
            &[("validationMode", "")],
        ],
        "getCustomerProfileRequest" => &[
            &[("customerProfileId", "")],
            &[("merchantCustomerId", "")],
            &[("email", "")],
            &[("unmaskExpirationDate", "")],
            &[("includeIssuerInfo", "")],
        ],
        "updateCustomerPaymentProfileRequest" => &[
            &[("customerProfileId", "")],
            &[("paymentProfile", "customerPaymentProfileExType")],
            &[("validationMode", "")],
        ],
        "deleteCustomerPaymentProfileRequest" => &[
            &[("customerProfileId", "")],
            &[("customerPaymentProfileId", "")],
        ],
        "createTransactionRequest" => &[&[("transactionRequest", "transactionRequestType")]],
        "getTransactionDetailsRequest" => &[&[("transId", "")]],
        "getTransactionListForCustomerRequest" => &[
            &[("customerProfileId", "")],
            &[("customerPaymentProfileId", "")],
            &[("sorting", "TransactionListSorting")],
            &[("paging", "Paging")],
        ],
        "getUnsettledTransactionListRequest" => &[
            &[("status", "")],
            &[("sorting", "TransactionListSorting")],
            &[("paging", "Paging")],
        ],
        "getSettledBatchListRequest" => &[
            &[("includeStatistics", "")],
            &[("firstSettlementDate", "")],
            &[("lastSettlementDate", "")],
        ],
        "getTransactionListRequest" => &[
            &[("batchId", "")],
            &[("sorting", "TransactionListSorting")],
            &[("paging", "Paging")],
        ],
        _ => return None,
    })
}

const NAME_AND_ADDRESS: &[&[Element]] = &[
    &[("firstName", "")],
    &[("lastName", "")],
    &[("company", "")],
    &[("address", "")],
    &[("city", "")],
    &[("state", "")],
    &[("zip", "")],
    &[("country", "")],
];

const CUSTOMER_ADDRESS: &[&[Element]] = &[
    &[("firstName", "")],
    &[("lastName", "")],
    &[("company", "")],
    &[("address", "")],
    &[("city", "")],
    &[("state", "")],
    &[("zip", "")],
    &[("country", "")],
    &[("phoneNumber", "")],
    &[("faxNumber", "")],
    &[("email", "")],
];

const PAYMENT_PROFILE: &[&[Element]] = &[
    &[("customerType", "")],
    &[("billTo", "customerAddressType")],
    &[("payment", "paymentType")],
    &[("driversLicense", "driversLicenseType")],
    &[("taxId", "")],
    &[("defaultPaymentProfile", "")],
];

const PAYMENT_PROFILE_EX: &[&[Element]] = &[
    &[("customerType", "")],
    &[("billTo", "customerAddressType")],
    &[("payment", "paymentType")],
    &[("driversLicense", "driversLicenseType")],
    &[("taxId", "")],
    &[("defaultPaymentProfile", "")],
    &[("customerPaymentProfileId", "")],
];

fn complex(type_name: &str) -> Option<&'static [&'static [Element]]> {
    Some(match type_name {
        "merchantAuthenticationType" => &[
            &[("name", "")],
            &[
                ("transactionKey", ""),
                ("sessionToken", ""),
                ("password", ""),
                ("impersonationAuthentication", ""),
                ("fingerPrint", ""),
                ("clientKey", ""),
                ("accessToken", ""),
            ],
            &[("mobileDeviceId", "")],
        ],
        "customerProfileType" => &[
            &[("merchantCustomerId", "")],
            &[("description", "")],
            &[("email", "")],
            &[("paymentProfiles", "customerPaymentProfileType")],
            &[("shipToList", "customerAddressType")],
            &[("profileType", "")],
        ],
        "customerPaymentProfileType" => PAYMENT_PROFILE,
        "customerPaymentProfileExType" => PAYMENT_PROFILE_EX,
        "customerAddressType" => CUSTOMER_ADDRESS,
        "nameAndAddressType" => NAME_AND_ADDRESS,
        "driversLicenseType" => &[&[("number", "")], &[("state", "")], &[("dateOfBirth", "")]],
        "paymentType" => &[&[
            ("creditCard", "creditCardType"),
            ("bankAccount", "bankAccountType"),
            ("trackData", ""),
            ("encryptedTrackData", ""),
            ("payPal", ""),
            ("opaqueData", "opaqueDataType"),
            ("emv", ""),
        ]],
        "creditCardType" => &[
            &[("cardNumber", "")],
            &[("expirationDate", "")],
            &[("cardCode", "")],
            &[("isPaymentToken", "")],
            &[("cryptogram", "")],
        ],
        "bankAccountType" => &[
            &[("accountType", "")],
            &[("routingNumber", "")],
            &[("accountNumber", "")],
            &[("nameOnAccount", "")],
            &[("echeckType", "")],
            &[("bankName", "")],
            &[("checkNumber", "")],
        ],
        "opaqueDataType" => &[
            &[("dataDescriptor", "")],
            &[("dataValue", "")],
            &[("dataKey", "")],
        ],
        "transactionRequestType" => &[
            &[("transactionType", "")],
            &[("amount", "")],
            &[("currencyCode", "")],
            &[("payment", "paymentType")],
            &[("profile", "customerProfilePaymentType")],
            &[("solution", "")],
            &[("callId", "")],
            &[("terminalNumber", "")],
            &[("authCode", "")],
            &[("refTransId", "")],
            &[("splitTenderId", "")],
            &[("order", "orderType")],
            &[("lineItems", "")],
            &[("tax", "")],
            &[("duty", "")],
            &[("shipping", "")],
            &[("taxExempt", "")],
            &[("poNumber", "")],
            &[("customer", "customerDataType")],
            &[("billTo", "customerAddressType")],
            &[("shipTo", "nameAndAddressType")],
            &[("customerIP", "")],
            &[("cardholderAuthentication", "")],
            &[("retail", "")],
            &[("employeeId", "")],
            &[("transactionSettings", "ArrayOfSetting")],
            &[("userFields", "")],
            &[("surcharge", "")],
            &[("merchantDescriptor", "")],
            &[("subMerchant", "")],
            &[("tip", "")],
            &[("processingOptions", "")],
            &[("subsequentAuthInformation", "")],
            &[("otherTax", "")],
            &[("shipFrom", "nameAndAddressType")],
        ],
        "customerProfilePaymentType" => &[
            &[("createProfile", "")],
            &[("customerProfileId", "")],
            &[("paymentProfile", "paymentProfile")],
            &[("shippingProfileId", "")],
        ],
        "paymentProfile" => &[&[("paymentProfileId", "")], &[("cardCode", "")]],
        "orderType" => &[&[("invoiceNumber", "")], &[("description", "")]],
        "customerDataType" => &[
            &[("type", "")],
            &[("id", "")],
            &[("email", "")],
            &[("driversLicense", "driversLicenseType")],
            &[("taxId", "")],
        ],
        "ArrayOfSetting" => &[&[("setting", "settingType")]],
        "settingType" => &[&[("settingName", "")], &[("settingValue", "")]],
        "TransactionListSorting" => &[&[("orderBy", "")], &[("orderDescending", "")]],
        "Paging" => &[&[("limit", "")], &[("offset", "")]],
        _ => return None,
    })
}

/// Checks a request `{"<name>": {...}}`; answers the root element's name,
/// or the E00003 text the gateway would answer.
pub(super) fn check(root: &Node) -> Result<String, String> {
    let Node::Object(entries) = root else {
        return Err("Root element is missing.".into());
    };
    let [(name, body)] = entries.as_slice() else {
        return Err("Data at the root level is invalid: one request element is expected.".into());
    };
    let Some(own) = request(name) else {
        return Err(format!("The '{NAMESPACE}:{name}' element is not declared."));
    };
    let groups: Vec<&[Element]> = BASE.iter().chain(own.iter()).copied().collect();
    check_object(name, body, &groups)?;
    Ok(name.clone())
}

fn check_object(element: &str, node: &Node, groups: &[&[Element]]) -> Result<(), String> {
    let Node::Object(entries) = node else {
        return Ok(());
    };
    let mut next = 0; // the first group the next key may come from
    for (key, value) in entries {
        let place = groups
            .iter()
            .enumerate()
            .skip(next)
            .find_map(|(i, group)| group.iter().find(|(n, _)| n == key).map(|e| (i, e)));
        let Some((index, (_, type_name))) = place else {
            return Err(invalid(element, key, &groups[next.min(groups.len())..]));
        };
        // Arrays are repeated elements: one place, several values.
        next = index + 1;
        let children = complex(type_name);
        match (value, children) {
            (Node::Array(items), Some(children)) => {
                for item in items {
                    check_object(key, item, children)?;
                }
            }
            (value, Some(children)) => check_object(key, value, children)?,
            _ => {}
        }
    }
    Ok(())
}

fn invalid(element: &str, child: &str, expected: &[&[Element]]) -> String {
    let names: Vec<&str> = expected
        .iter()
        .flat_map(|group| group.iter().map(|(n, _)| *n))
        .collect();
    let expected = if names.is_empty() {
        String::new()
    } else {
        format!(
            " List of possible elements expected: '{}' in namespace '{NAMESPACE}'.",
            names.join(", ")
        )
    };
    format!(
        "The element '{element}' in namespace '{NAMESPACE}' has invalid child element '{child}' in namespace '{NAMESPACE}'.{expected}"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn checked(text: &str) -> Result<String, String> {
        check(&serde_json::from_str(text).unwrap())
    }

    #[test]
    fn the_documented_charge_is_in_order() {
        assert_eq!(
            checked(
                r#"{"createTransactionRequest":{"merchantAuthentication":{"name":"LOGIN","transactionKey":"TXKEY"},"refId":"inv-0001","transactionRequest":{"transactionType":"authCaptureTransaction","amount":"49.00","profile":{"customerProfileId":"500123","paymentProfile":{"paymentProfileId":"600456"}},"order":{"invoiceNumber":"INV-0001","description":"Pro plan, May"},"transactionSettings":{"setting":[{"settingName":"duplicateWindow","settingValue":"600"}]}}}}"#
            ),
            Ok("createTransactionRequest".into())
        );
    }

    #[test]
    fn keys_out_of_order_are_refused_like_the_gateway_does() {
        let error = checked(
            r#"{"createTransactionRequest":{"merchantAuthentication":{"name":"LOGIN","transactionKey":"TXKEY"},"transactionRequest":{"transactionType":"authCaptureTransaction","order":{"invoiceNumber":"INV-0001"},"amount":"49.00"}}}"#,
        )
        .unwrap_err();
        assert!(
            error.starts_with("The element 'transactionRequest' in namespace 'AnetApi/xml/v1/schema/AnetApiSchema.xsd' has invalid child element 'amount'"),
            "{error}"
        );
        let sorted = checked(
            r#"{"getCustomerProfileRequest":{"customerProfileId":"500123","merchantAuthentication":{"name":"LOGIN","transactionKey":"TXKEY"}}}"#,
        )
        .unwrap_err();
        assert!(
            sorted.contains("invalid child element 'merchantAuthentication'"),
            "{sorted}"
        );
        let nested = checked(
            r#"{"getCustomerProfileRequest":{"merchantAuthentication":{"transactionKey":"TXKEY","name":"LOGIN"},"customerProfileId":"500123"}}"#,
        )
        .unwrap_err();
        assert!(
            nested.contains("The element 'merchantAuthentication'"),
            "{nested}"
        );
    }

    #[test]
    fn unknown_requests_and_elements_are_refused() {
        assert!(
            checked(r#"{"launchRocketRequest":{}}"#)
                .unwrap_err()
                .contains("not declared")
        );
        assert!(
            checked(r#"{"authenticateTestRequest":{"merchantAuthentication":{"name":"L","transactionKey":"K"},"extra":1}}"#)
                .unwrap_err()
                .contains("invalid child element 'extra'")
        );
    }
}
