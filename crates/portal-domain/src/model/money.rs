//! Money: integer minor units of an ISO 4217 currency. Never floats.

use std::fmt;

use super::text::ValidationError;

/// Active ISO 4217 currencies and their number of minor-unit digits.
/// Funds, precious metals and testing codes are left out on purpose.
#[rustfmt::skip]
const CURRENCIES: &[(&str, u8)] = &[
    ("AED", 2), ("AFN", 2), ("ALL", 2), ("AMD", 2), ("AOA", 2), ("ARS", 2), ("AUD", 2),
    ("AWG", 2), ("AZN", 2), ("BAM", 2), ("BBD", 2), ("BDT", 2), ("BGN", 2), ("BHD", 3),
    ("BIF", 0), ("BMD", 2), ("BND", 2), ("BOB", 2), ("BRL", 2), ("BSD", 2), ("BTN", 2),
    ("BWP", 2), ("BYN", 2), ("BZD", 2), ("CAD", 2), ("CDF", 2), ("CHF", 2), ("CLP", 0),
    ("CNY", 2), ("COP", 2), ("CRC", 2), ("CUP", 2), ("CVE", 2), ("CZK", 2), ("DJF", 0),
    ("DKK", 2), ("DOP", 2), ("DZD", 2), ("EGP", 2), ("ERN", 2), ("ETB", 2), ("EUR", 2),
    ("FJD", 2), ("FKP", 2), ("GBP", 2), ("GEL", 2), ("GHS", 2), ("GIP", 2), ("GMD", 2),
    ("GNF", 0), ("GTQ", 2), ("GYD", 2), ("HKD", 2), ("HNL", 2), ("HTG", 2), ("HUF", 2),
    ("IDR", 2), ("ILS", 2), ("INR", 2), ("IQD", 3), ("IRR", 2), ("ISK", 0), ("JMD", 2),
    ("JOD", 3), ("JPY", 0), ("KES", 2), ("KGS", 2), ("KHR", 2), ("KMF", 0), ("KPW", 2),
    ("KRW", 0), ("KWD", 3), ("KYD", 2), ("KZT", 2), ("LAK", 2), ("LBP", 2), ("LKR", 2),
    ("LRD", 2), ("LSL", 2), ("LYD", 3), ("MAD", 2), ("MDL", 2), ("MGA", 2), ("MKD", 2),
    ("MMK", 2), ("MNT", 2), ("MOP", 2), ("MRU", 2), ("MUR", 2), ("MVR", 2), ("MWK", 2),
    ("MXN", 2), ("MYR", 2), ("MZN", 2), ("NAD", 2), ("NGN", 2), ("NIO", 2), ("NOK", 2),
    ("NPR", 2), ("NZD", 2), ("OMR", 3), ("PAB", 2), ("PEN", 2), ("PGK", 2), ("PHP", 2),
    ("PKR", 2), ("PLN", 2), ("PYG", 0), ("QAR", 2), ("RON", 2), ("RSD", 2), ("RUB", 2),
    ("RWF", 0), ("SAR", 2), ("SBD", 2), ("SCR", 2), ("SDG", 2), ("SEK", 2), ("SGD", 2),
    ("SHP", 2), ("SLE", 2), ("SOS", 2), ("SRD", 2), ("SSP", 2), ("STN", 2), ("SVC", 2),
    ("SYP", 2), ("SZL", 2), ("THB", 2), ("TJS", 2), ("TMT", 2), ("TND", 3), ("TOP", 2),
    ("TRY", 2), ("TTD", 2), ("TWD", 2), ("TZS", 2), ("UAH", 2), ("UGX", 0), ("USD", 2),
    ("UYU", 2), ("UZS", 2), ("VES", 2), ("VND", 0), ("VUV", 0), ("WST", 2), ("XAF", 0),
    ("XCD", 2), ("XCG", 2), ("XOF", 0), ("XPF", 0), ("YER", 2), ("ZAR", 2), ("ZMW", 2),
    ("ZWG", 2),
];

/// Largest absolute amount the portal accepts, in minor units. Far above
/// any real invoice, far below where `i64` arithmetic could overflow.
pub const MAX_MINOR_AMOUNT: i64 = 100_000_000_000_000;

/// An ISO 4217 currency the portal can bill in.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Currency {
    code: &'static str,
    minor_digits: u8,
}

impl Currency {
    /// # Errors
    /// When `code` is not an active ISO 4217 code (upper or lower case).
    pub fn parse(field: &str, code: &str) -> Result<Self, ValidationError> {
        // Every code is three ASCII letters: upper-case them on the stack
        // and search the sorted table (byte order is the codes' order),
        // with no allocation; stored rows parse a currency per amount.
        let key: Option<[u8; 3]> = code
            .trim()
            .as_bytes()
            .try_into()
            .ok()
            .map(|k: [u8; 3]| k.map(|b| b.to_ascii_uppercase()));
        key.and_then(|key| {
            CURRENCIES
                .binary_search_by(|(c, _)| c.as_bytes().cmp(key.as_slice()))
                .ok()
        })
        .map(|at| {
            let (code, minor_digits) = CURRENCIES[at];
            Self { code, minor_digits }
        })
        .ok_or_else(|| {
            ValidationError::new(
                field,
                "must be an ISO 4217 currency code such as USD or EUR",
            )
        })
    }

    pub fn code(&self) -> &'static str {
        self.code
    }

    /// Every code [`Currency::parse`] accepts, upper case (for API
    /// descriptions).
    pub fn codes() -> impl Iterator<Item = &'static str> {
        CURRENCIES.iter().map(|(code, _)| *code)
    }

    /// How many digits follow the decimal point (2 for USD, 0 for JPY).
    pub fn minor_digits(&self) -> u8 {
        self.minor_digits
    }

    fn symbol(&self) -> Option<&'static str> {
        Some(match self.code {
            "USD" => "$",
            "EUR" => "€",
            "GBP" => "£",
            "JPY" => "¥",
            "INR" => "₹",
            "CAD" => "CA$",
            "AUD" => "A$",
            "NZD" => "NZ$",
            _ => return None,
        })
    }
}

impl fmt::Debug for Currency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code)
    }
}

impl fmt::Display for Currency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code)
    }
}

/// An amount in minor units of a currency (cents for USD).
///
/// Arithmetic is checked: adding or subtracting amounts of different
/// currencies, or leaving the range the portal accepts
/// ([`MAX_MINOR_AMOUNT`] either way), is an error, never a wrong number.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Money {
    minor: i64,
    currency: Currency,
}

/// Why two amounts could not be combined.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum MoneyError {
    #[error("amounts in {0} and {1} cannot be combined")]
    CurrencyMismatch(Currency, Currency),
    #[error("the amount is out of range")]
    OutOfRange,
}

impl Money {
    /// An amount as stored or computed. Constructors that take input from
    /// outside use [`Money::try_new`] or [`Money::parse_positive`].
    pub const fn new(minor: i64, currency: Currency) -> Self {
        Self { minor, currency }
    }

    /// # Errors
    /// [`MoneyError::OutOfRange`] beyond [`MAX_MINOR_AMOUNT`] either way.
    pub fn try_new(minor: i64, currency: Currency) -> Result<Self, MoneyError> {
        if minor.unsigned_abs() > MAX_MINOR_AMOUNT.unsigned_abs() {
            return Err(MoneyError::OutOfRange);
        }
        Ok(Self { minor, currency })
    }

    /// A strictly positive amount an operator typed, as the input field
    /// `field`.
    ///
    /// # Errors
    /// Zero, negative, or above [`MAX_MINOR_AMOUNT`].
    pub fn parse_positive(
        field: &str,
        minor: i64,
        currency: Currency,
    ) -> Result<Self, ValidationError> {
        if minor <= 0 || minor > MAX_MINOR_AMOUNT {
            return Err(ValidationError::new(
                field,
                format!("must be a whole number of minor units between 1 and {MAX_MINOR_AMOUNT}"),
            ));
        }
        Ok(Self { minor, currency })
    }

    pub const fn zero(currency: Currency) -> Self {
        Self { minor: 0, currency }
    }

    pub const fn minor(&self) -> i64 {
        self.minor
    }

    pub const fn currency(&self) -> Currency {
        self.currency
    }

    pub const fn is_zero(&self) -> bool {
        self.minor == 0
    }

    pub const fn is_positive(&self) -> bool {
        self.minor > 0
    }

    pub const fn is_negative(&self) -> bool {
        self.minor < 0
    }

    fn same_currency(&self, other: &Self) -> Result<(), MoneyError> {
        if self.currency == other.currency {
            Ok(())
        } else {
            Err(MoneyError::CurrencyMismatch(self.currency, other.currency))
        }
    }

    /// # Errors
    /// Different currencies, or a sum out of range.
    pub fn checked_add(self, other: Self) -> Result<Self, MoneyError> {
        self.same_currency(&other)?;
        let sum = self
            .minor
            .checked_add(other.minor)
            .ok_or(MoneyError::OutOfRange)?;
        Self::try_new(sum, self.currency)
    }

    /// # Errors
    /// Different currencies, or a difference out of range.
    pub fn checked_sub(self, other: Self) -> Result<Self, MoneyError> {
        self.same_currency(&other)?;
        let difference = self
            .minor
            .checked_sub(other.minor)
            .ok_or(MoneyError::OutOfRange)?;
        Self::try_new(difference, self.currency)
    }

    /// The smaller of two amounts of one currency.
    ///
    /// # Errors
    /// Different currencies.
    pub fn checked_min(self, other: Self) -> Result<Self, MoneyError> {
        self.same_currency(&other)?;
        Ok(if other.minor < self.minor {
            other
        } else {
            self
        })
    }

    /// One sum per currency, in the order the currencies first appear:
    /// amounts of different currencies are never added together.
    ///
    /// # Errors
    /// A sum out of range.
    pub fn totals<I>(amounts: I) -> Result<Vec<Self>, MoneyError>
    where
        I: IntoIterator<Item = Self>,
    {
        let mut totals: Vec<Self> = Vec::new();
        for amount in amounts {
            match totals.iter_mut().find(|t| t.currency == amount.currency) {
                Some(total) => *total = total.checked_add(amount)?,
                None => totals.push(amount),
            }
        }
        Ok(totals)
    }

    /// The sum of `amounts`, all in `currency`; zero for none.
    ///
    /// # Errors
    /// An amount in another currency, or a sum out of range.
    pub fn sum<I>(currency: Currency, amounts: I) -> Result<Self, MoneyError>
    where
        I: IntoIterator<Item = Self>,
    {
        amounts
            .into_iter()
            .try_fold(Self::zero(currency), Self::checked_add)
    }
}

impl Money {
    /// The amount, or zero when it is negative.
    pub const fn max_zero(self) -> Self {
        if self.minor < 0 {
            Self::zero(self.currency)
        } else {
            self
        }
    }

    /// The amount as a plain decimal with a dot and no grouping, as
    /// spreadsheets read it: `1234.50`, `-0.05`, `300`.
    pub fn decimal(&self) -> String {
        let sign = if self.minor < 0 { "-" } else { "" };
        let digits = u32::from(self.currency.minor_digits);
        let scale = 10u64.pow(digits);
        let abs = self.minor.unsigned_abs();
        if digits == 0 {
            format!("{sign}{abs}")
        } else {
            format!(
                "{sign}{}.{:0width$}",
                abs / scale,
                abs % scale,
                width = digits as usize
            )
        }
    }
}

/// Formats for people: `$1,234.56`, `€0.50`, `KWD 1.250`, `-¥300`.
impl fmt::Display for Money {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.minor < 0 {
            f.write_str("-")?;
        }
        match self.currency.symbol() {
            Some(symbol) => f.write_str(symbol)?,
            None => write!(f, "{} ", self.currency.code)?,
        }
        let digits = u32::from(self.currency.minor_digits);
        let scale = 10u64.pow(digits);
        let abs = self.minor.unsigned_abs();
        write_thousands(f, abs / scale)?;
        if digits > 0 {
            write!(f, ".{:0width$}", abs % scale, width = digits as usize)?;
        }
        Ok(())
    }
}

/// `n` with a comma between groups of three digits, written straight to
/// `f` (amounts are formatted on every page: no allocation).
fn write_thousands(f: &mut fmt::Formatter<'_>, n: u64) -> fmt::Result {
    if n < 1000 {
        return write!(f, "{n}");
    }
    write_thousands(f, n / 1000)?;
    write!(f, ",{:03}", n % 1000)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cur(code: &str) -> Currency {
        Currency::parse("currency", code).unwrap()
    }

    #[test]
    fn decimals_are_plain_with_a_dot() {
        assert_eq!(Money::new(123_450, cur("USD")).decimal(), "1234.50");
        assert_eq!(Money::new(-5, cur("EUR")).decimal(), "-0.05");
        assert_eq!(Money::new(300, cur("JPY")).decimal(), "300");
        assert_eq!(Money::new(1250, cur("KWD")).decimal(), "1.250");
        assert_eq!(Money::new(0, cur("USD")).decimal(), "0.00");
    }

    #[test]
    fn currencies_are_case_insensitive_and_known() {
        assert_eq!(cur("usd").code(), "USD");
        assert_eq!(cur("JPY").minor_digits(), 0);
        assert_eq!(cur("KWD").minor_digits(), 3);
        for bad in ["", "US", "USDX", "XAU", "ZZZ", "<b>", "\u{e9}u", " u s"] {
            assert!(Currency::parse("currency", bad).is_err(), "{bad}");
        }
        assert_eq!(cur(" eur ").code(), "EUR");
    }

    #[test]
    fn every_listed_code_parses_to_itself() {
        // The lookup is a binary search: the table must stay sorted.
        assert!(CURRENCIES.windows(2).all(|w| w[0].0 < w[1].0));
        for &(code, digits) in CURRENCIES {
            assert_eq!(cur(code).code(), code);
            assert_eq!(cur(&code.to_ascii_lowercase()).minor_digits(), digits);
        }
    }

    #[test]
    fn amounts_format_with_their_minor_digits() {
        assert_eq!(Money::new(123_456, cur("USD")).to_string(), "$1,234.56");
        assert_eq!(Money::new(5, cur("EUR")).to_string(), "€0.05");
        assert_eq!(Money::new(-300, cur("JPY")).to_string(), "-¥300");
        assert_eq!(Money::new(1250, cur("KWD")).to_string(), "KWD 1.250");
        assert_eq!(
            Money::new(100_000_000, cur("CHF")).to_string(),
            "CHF 1,000,000.00"
        );
        assert_eq!(Money::zero(cur("USD")).to_string(), "$0.00");
        assert_eq!(Money::new(99_999, cur("USD")).to_string(), "$999.99");
        assert_eq!(Money::new(100_000, cur("USD")).to_string(), "$1,000.00");
        assert_eq!(
            Money::new(-100_000_507, cur("JPY")).to_string(),
            "-¥100,000,507"
        );
        assert_eq!(
            Money::new(i64::MIN, cur("EUR")).to_string(),
            "-€92,233,720,368,547,758.08"
        );
    }

    #[test]
    fn arithmetic_is_checked_for_currency_and_range() {
        let usd = cur("USD");
        let eur = cur("EUR");
        let a = Money::new(1_000, usd);
        assert_eq!(
            a.checked_add(Money::new(250, usd)),
            Ok(Money::new(1_250, usd))
        );
        assert_eq!(
            a.checked_sub(Money::new(1_500, usd)),
            Ok(Money::new(-500, usd))
        );
        assert_eq!(
            a.checked_add(Money::new(1, eur)),
            Err(MoneyError::CurrencyMismatch(usd, eur))
        );
        assert_eq!(
            Money::new(MAX_MINOR_AMOUNT, usd).checked_add(Money::new(1, usd)),
            Err(MoneyError::OutOfRange)
        );
        assert_eq!(
            Money::new(i64::MIN, usd).checked_sub(Money::new(1, usd)),
            Err(MoneyError::OutOfRange)
        );
        assert_eq!(Money::sum(usd, []), Ok(Money::zero(usd)));
        assert_eq!(
            Money::sum(usd, [a, a, Money::new(-1, usd)]),
            Ok(Money::new(1_999, usd))
        );
        assert!(Money::sum(usd, [a, Money::new(1, eur)]).is_err());
        assert_eq!(
            Money::totals([a, Money::new(5, eur), a]),
            Ok(vec![Money::new(2_000, usd), Money::new(5, eur)])
        );
        assert_eq!(a.checked_min(Money::new(7, usd)), Ok(Money::new(7, usd)));
    }

    #[test]
    fn typed_amounts_must_be_positive_and_in_range() {
        let usd = cur("USD");
        assert!(Money::parse_positive("amount", 1, usd).is_ok());
        for bad in [0, -1, MAX_MINOR_AMOUNT + 1, i64::MIN, i64::MAX] {
            assert_eq!(
                Money::parse_positive("amount", bad, usd).unwrap_err().field,
                "amount"
            );
        }
    }

    #[test]
    fn the_table_has_no_duplicates_and_only_upper_case_codes() {
        let mut codes: Vec<&str> = CURRENCIES.iter().map(|(c, _)| *c).collect();
        codes.sort_unstable();
        codes.dedup();
        assert_eq!(codes.len(), CURRENCIES.len());
        assert!(
            codes
                .iter()
                .all(|c| c.len() == 3 && c.chars().all(|ch| ch.is_ascii_uppercase()))
        );
    }
}
