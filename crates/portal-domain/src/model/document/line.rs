//! Document lines: an exact decimal quantity times a unit price.

use std::fmt;

use super::super::money::{Currency, MAX_MINOR_AMOUNT, Money};
use super::super::text::{Description, ValidationError};

/// A line quantity in thousandths, so `1.5` hours is exact.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Quantity(i64);

impl Quantity {
    const SCALE: i64 = 1000;
    /// One million units.
    const MAX: i64 = 1_000_000 * Self::SCALE;
    /// What the text of a quantity matches (ECMA-262 and Python alike), and
    /// every text matching it is one: up to 7 digits, then optionally a
    /// point and decimals that are zeros after the third; more than zero,
    /// at most one million.
    pub const PATTERN: &'static str = concat!(
        r"^(?:(?:0{0,6}[1-9]|0{0,5}[1-9][0-9]|0{0,4}[1-9][0-9]{2}|0{0,3}[1-9][0-9]{3}|0{0,2}[1-9][0-9]{4}|0?[1-9][0-9]{5})(?:\.[0-9]{0,3}0*)?",
        r"|0{1,7}\.[0-9]{0,2}[1-9]0*",
        r"|1000000(?:\.0*)?)$",
    );

    /// Parses a plain decimal such as `2`, `1.5` or `0.125`.
    ///
    /// # Errors
    /// Not a plain decimal, more than three decimal places, zero, negative
    /// or above one million.
    pub fn parse(field: &str, text: &str) -> Result<Self, ValidationError> {
        let invalid = || {
            ValidationError::new(
                field,
                "must be a positive number with at most 3 decimal places, up to 1000000",
            )
        };
        let (whole, fraction) = text.split_once('.').unwrap_or((text, ""));
        let fraction = fraction.trim_end_matches('0');
        if whole.is_empty()
            || whole.len() > 7
            || fraction.len() > 3
            || !whole.bytes().all(|b| b.is_ascii_digit())
            || !fraction.bytes().all(|b| b.is_ascii_digit())
        {
            return Err(invalid());
        }
        let whole: i64 = whole.parse().map_err(|_| invalid())?;
        let fraction: i64 = format!("{fraction:0<3}").parse().map_err(|_| invalid())?;
        let thousandths = whole * Self::SCALE + fraction;
        if thousandths <= 0 || thousandths > Self::MAX {
            return Err(invalid());
        }
        Ok(Self(thousandths))
    }

    /// # Errors
    /// Outside `0.001..=1000000`.
    pub fn from_thousandths(field: &str, thousandths: i64) -> Result<Self, ValidationError> {
        if thousandths <= 0 || thousandths > Self::MAX {
            return Err(ValidationError::new(field, "is out of range"));
        }
        Ok(Self(thousandths))
    }

    pub const fn thousandths(self) -> i64 {
        self.0
    }
}

/// `2`, `1.5`, `0.125`: the shortest exact decimal.
impl fmt::Display for Quantity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let whole = self.0 / Self::SCALE;
        let fraction = self.0 % Self::SCALE;
        if fraction == 0 {
            write!(f, "{whole}")
        } else {
            let digits = format!("{fraction:03}");
            write!(f, "{whole}.{}", digits.trim_end_matches('0'))
        }
    }
}

/// One line of a document. Its amount is `quantity × unit_price`, rounded
/// half away from zero to a whole minor unit, and always in the unit
/// price's currency.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LineItem {
    description: Description,
    quantity: Quantity,
    unit_price: Money,
    amount: Money,
}

impl LineItem {
    /// # Errors
    /// When the unit price or the line amount is out of range.
    pub fn new(
        description: Description,
        quantity: Quantity,
        unit_price: Money,
    ) -> Result<Self, ValidationError> {
        let unit = unit_price.minor();
        if unit.unsigned_abs() > MAX_MINOR_AMOUNT.unsigned_abs() {
            return Err(ValidationError::new("unit_amount", "is too large"));
        }
        let product = i128::from(quantity.thousandths()) * i128::from(unit);
        let scale = i128::from(Quantity::SCALE);
        let rounded = (product.abs() + scale / 2) / scale * product.signum();
        let amount = i64::try_from(rounded)
            .ok()
            .filter(|a| a.unsigned_abs() <= MAX_MINOR_AMOUNT.unsigned_abs())
            .ok_or_else(|| ValidationError::new("quantity", "makes the line amount too large"))?;
        Ok(Self {
            description,
            quantity,
            unit_price,
            amount: Money::new(amount, unit_price.currency()),
        })
    }

    /// A line as a store kept it: the stored amount must be what the
    /// quantity and unit price give.
    ///
    /// # Errors
    /// When the values are out of range or the amount does not match.
    pub fn restore(
        description: Description,
        quantity: Quantity,
        unit_price: Money,
        stored_amount: i64,
    ) -> Result<Self, ValidationError> {
        let line = Self::new(description, quantity, unit_price)?;
        if line.amount.minor() != stored_amount {
            return Err(ValidationError::new(
                "amount",
                format!(
                    "is {stored_amount} but quantity × unit price is {}",
                    line.amount.minor()
                ),
            ));
        }
        Ok(line)
    }

    pub fn description(&self) -> &Description {
        &self.description
    }

    pub fn quantity(&self) -> Quantity {
        self.quantity
    }

    pub fn unit_price(&self) -> Money {
        self.unit_price
    }

    pub fn amount(&self) -> Money {
        self.amount
    }

    pub fn currency(&self) -> Currency {
        self.amount.currency()
    }
}
