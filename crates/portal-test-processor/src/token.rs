//! The test processor's browser tokens: which test card or bank account
//! the cardholder entered, never the number itself.

use std::fmt;

use portal_domain::model::{CardBrand, Expiry, Last4, MethodDetails};
use portal_domain::ports::{BrowserToken, ProcessorError};

/// What every test processor token starts with.
pub const TOKEN_PREFIX: &str = "tok_test_";

/// The expiry reported for a card whose token names none.
pub const DEFAULT_EXPIRY: (u32, i32) = (12, 2030);

/// The bank name reported for the test bank accounts.
pub const TEST_BANK_NAME: &str = "Test Bank";

/// Why a token is refused: shown to the cardholder as is.
pub const NOT_A_TEST_CARD: &str = "This card number is not a test card. In test mode, use \
     4242 4242 4242 4242 (succeeds), 4000 0000 0000 0341 (declined) or \
     4000 0027 6000 3184 (3-D Secure), with any future expiry date and any CVC.";

/// What a test card or bank account does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Scenario {
    /// 4242 4242 4242 4242: saves and charges.
    VisaSuccess,
    /// 4000 0000 0000 0341: saves, and every charge is declined.
    VisaDecline,
    /// 4000 0027 6000 3184: every charge asks for 3-D Secure.
    Visa3ds,
    /// Routing 110000000, account 000123456789: a bank debit that
    /// answers `processing` and settles as paid.
    BankSuccess,
    /// Routing 110000000, account 000111111116: a bank debit that
    /// answers `processing` and is returned.
    BankFailure,
}

impl Scenario {
    pub const ALL: [Self; 5] = [
        Self::VisaSuccess,
        Self::VisaDecline,
        Self::Visa3ds,
        Self::BankSuccess,
        Self::BankFailure,
    ];

    /// Its name in a token.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::VisaSuccess => "visa_success",
            Self::VisaDecline => "visa_decline",
            Self::Visa3ds => "visa_3ds",
            Self::BankSuccess => "bank_success",
            Self::BankFailure => "bank_failure",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.as_str() == text)
    }

    /// The last four digits of its number.
    pub fn last4(self) -> Last4 {
        let digits = match self {
            Self::VisaSuccess => "4242",
            Self::VisaDecline => "0341",
            Self::Visa3ds => "3184",
            Self::BankSuccess => "6789",
            Self::BankFailure => "1116",
        };
        Last4::parse(digits).unwrap_or_else(|_| unreachable!("four digits"))
    }

    pub fn is_bank_account(self) -> bool {
        matches!(self, Self::BankSuccess | Self::BankFailure)
    }

    /// What the processor reports of it.
    pub fn details(self, expiry: Expiry) -> MethodDetails {
        if self.is_bank_account() {
            MethodDetails::BankAccount {
                bank_name: Some(TEST_BANK_NAME.to_owned()),
                last4: self.last4(),
            }
        } else {
            MethodDetails::Card {
                brand: CardBrand::Visa,
                last4: self.last4(),
                expiry: Some(expiry),
            }
        }
    }
}

impl fmt::Display for Scenario {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A token as the test processor's browser script answers it:
/// `tok_test_<scenario>_<nonce>`, or `tok_test_<scenario>_exp<MM><YYYY>_<nonce>`
/// when the script passes on the expiry the cardholder typed. The nonce is
/// 8 to 64 ASCII letters and digits, fresh for every token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TestToken {
    pub scenario: Scenario,
    pub expiry: Option<Expiry>,
    pub nonce: String,
}

impl TestToken {
    /// A fresh token for `scenario`, as the browser script makes one.
    pub fn fresh(scenario: Scenario) -> Self {
        Self {
            scenario,
            expiry: None,
            nonce: crate::mint::letters(12),
        }
    }

    #[must_use]
    pub fn with_expiry(mut self, expiry: Expiry) -> Self {
        self.expiry = Some(expiry);
        self
    }

    /// Reads a browser token.
    ///
    /// # Errors
    /// [`ProcessorError::Declined`] with [`NOT_A_TEST_CARD`] for anything
    /// but a well-formed token of a known scenario.
    pub fn parse(token: &BrowserToken) -> Result<Self, ProcessorError> {
        Self::read(token.as_str()).ok_or_else(|| ProcessorError::Declined(NOT_A_TEST_CARD.into()))
    }

    fn read(text: &str) -> Option<Self> {
        let rest = text.strip_prefix(TOKEN_PREFIX)?;
        let (scenario, rest) = Scenario::ALL.into_iter().find_map(|s| {
            let after = rest.strip_prefix(s.as_str())?.strip_prefix('_')?;
            Some((s, after))
        })?;
        let (expiry, nonce) = match rest.split_once('_') {
            Some((expiry, nonce)) => (Some(read_expiry(expiry)?), nonce),
            None => (None, rest),
        };
        let nonce_ok =
            (8..=64).contains(&nonce.len()) && nonce.bytes().all(|b| b.is_ascii_alphanumeric());
        nonce_ok.then(|| Self {
            scenario,
            expiry,
            nonce: nonce.to_owned(),
        })
    }

    /// The expiry to report: the one typed, or [`DEFAULT_EXPIRY`].
    pub fn expiry_or_default(&self) -> Expiry {
        self.expiry.unwrap_or_else(|| {
            let (month, year) = DEFAULT_EXPIRY;
            Expiry::new(month, year).unwrap_or_else(|_| unreachable!("a valid expiry"))
        })
    }

    pub fn to_browser_token(&self) -> BrowserToken {
        BrowserToken::parse(&self.to_string())
            .unwrap_or_else(|_| unreachable!("a token is short printable ASCII"))
    }
}

/// `exp<MM><YYYY>`.
fn read_expiry(text: &str) -> Option<Expiry> {
    let digits = text.strip_prefix("exp")?;
    if digits.len() != 6 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let month = digits[..2].parse().ok()?;
    let year = digits[2..].parse().ok()?;
    Expiry::new(month, year).ok()
}

impl fmt::Display for TestToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{TOKEN_PREFIX}{}_", self.scenario)?;
        if let Some(expiry) = self.expiry {
            write!(f, "exp{:02}{}_", expiry.month(), expiry.year())?;
        }
        f.write_str(&self.nonce)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn token(text: &str) -> Result<TestToken, ProcessorError> {
        TestToken::parse(&BrowserToken::parse(text).unwrap())
    }

    #[test]
    fn tokens_name_their_scenario_and_maybe_an_expiry() {
        let plain = token("tok_test_visa_success_a1b2c3d4").unwrap();
        assert_eq!(plain.scenario, Scenario::VisaSuccess);
        assert_eq!(plain.expiry, None);
        assert_eq!(plain.expiry_or_default(), Expiry::new(12, 2030).unwrap());
        let dated = token("tok_test_bank_failure_exp072031_ZZZZ9999").unwrap();
        assert_eq!(dated.scenario, Scenario::BankFailure);
        assert_eq!(dated.expiry, Some(Expiry::new(7, 2031).unwrap()));
        assert_eq!(
            dated.to_string(),
            "tok_test_bank_failure_exp072031_ZZZZ9999"
        );
        let fresh = TestToken::fresh(Scenario::Visa3ds);
        assert_eq!(token(&fresh.to_string()).unwrap(), fresh);
    }

    #[test]
    fn anything_else_is_not_a_test_card() {
        for text in [
            "tok_test_unknown_a1b2c3d4",
            "tok_test_visa_success_",
            "tok_test_visa_success_short",
            "tok_test_visa_success_exp132030_a1b2c3d4",
            "tok_test_visa_success_a1b2-c3d4",
            "tok_test_visa_successa1b2c3d4",
            "pm_card_visa",
        ] {
            let refused = token(text).unwrap_err();
            assert_eq!(
                refused,
                ProcessorError::Declined(NOT_A_TEST_CARD.into()),
                "{text}"
            );
        }
    }

    #[test]
    fn bank_accounts_report_the_test_bank() {
        let details = Scenario::BankSuccess.details(Expiry::new(1, 2030).unwrap());
        assert_eq!(details.to_string(), "Test Bank •••• 6789");
        assert_eq!(
            Scenario::VisaDecline
                .details(Expiry::new(1, 2030).unwrap())
                .to_string(),
            "Visa •••• 0341"
        );
    }
}
