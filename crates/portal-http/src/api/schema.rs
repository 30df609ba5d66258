//! Wire types for values with rules, each described with exactly the
//! rules the domain applies: lengths counted in characters as sent, the
//! domain's own patterns, bounds and lists. They carry the value as sent;
//! handlers parse it into the domain type, which reports the field.

use std::borrow::Cow;
use std::fmt;

use portal_domain::{
    AccentColour, Address, Currency, Cursor, Description, DocumentNumber, EmailAddress,
    IdempotencyKey, MAX_MINOR_AMOUNT, Name, PAGE_LIMITS, PaymentInstructions, PublicUrl, Quantity,
    Reference, TimeZone, ValidationError,
};
use serde::de::{self, Unexpected, Visitor};
use serde::{Deserialize, Deserializer};
use utoipa::openapi::schema::{KnownFormat, ObjectBuilder, OneOfBuilder, SchemaFormat, Type};
use utoipa::openapi::{RefOr, Schema};
use utoipa::{PartialSchema, ToSchema};

/// A string schema with `min`..=`max` characters matching `pattern`.
fn text(description: &str, min: usize, max: usize, pattern: Option<String>) -> ObjectBuilder {
    ObjectBuilder::new()
        .schema_type(Type::String)
        .description(Some(description))
        .min_length(Some(min))
        .max_length(Some(max))
        .pattern(pattern)
}

macro_rules! wire_type {
    ($(#[$meta:meta])* $name:ident($(#[$field:meta])* $inner:ty) as $schema_name:literal => $schema:expr) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Deserialize)]
        #[serde(transparent)]
        pub(crate) struct $name($(#[$field])* pub(crate) $inner);

        impl PartialSchema for $name {
            fn schema() -> RefOr<Schema> {
                $schema.into()
            }
        }

        impl ToSchema for $name {
            fn name() -> Cow<'static, str> {
                Cow::Borrowed($schema_name)
            }
        }
    };
}

wire_type!(
    /// A name of a client, contact, account or API key.
    NameText(String) as "Name" => text(
        "Up to 200 characters with something besides spaces; no control or invisible formatting characters. Surrounding spaces are trimmed.",
        1,
        Name::MAX_CHARS,
        Some(Name::pattern()),
    )
);
wire_type!(
    /// A document's number.
    NumberText(String) as "DocumentNumber" => text(
        "The business's number for the document (`INV-1001`), unique per kind; up to 64 characters on one line.",
        1,
        DocumentNumber::MAX_CHARS,
        Some(DocumentNumber::pattern()),
    )
);
wire_type!(
    /// A title or line description.
    DescriptionText(String) as "Description" => text(
        "Free text up to 2000 characters; line breaks and tabs allowed, other control and invisible formatting characters not.",
        1,
        Description::MAX_CHARS,
        Some(Description::pattern()),
    )
);
wire_type!(
    /// A payment's reference.
    ReferenceText(String) as "Reference" => text(
        "What identifies the payment for the business (a check number, a transfer reference); up to 200 characters on one line.",
        1,
        Reference::MAX_CHARS,
        Some(Reference::pattern()),
    )
);
wire_type!(
    /// A business's postal address.
    AddressText(String) as "Address" => text(
        "The business's postal address as it heads every document, one line per line; up to 500 characters. Line breaks and tabs allowed, other control and invisible formatting characters not.",
        1,
        Address::MAX_CHARS,
        Some(Address::pattern()),
    )
);
wire_type!(
    /// How clients pay without the portal.
    PaymentInstructionsText(String) as "PaymentInstructions" => text(
        "How a client pays without the portal (bank details, where to send a cheque), printed on invoices and in the email of an invoice sent to a client whose portal is off; up to 2000 characters. Line breaks and tabs allowed, other control and invisible formatting characters not.",
        1,
        PaymentInstructions::MAX_CHARS,
        Some(PaymentInstructions::pattern()),
    )
);
wire_type!(
    /// A colour as `#rrggbb`.
    AccentColourText(String) as "AccentColour" => ObjectBuilder::new()
        .schema_type(Type::String)
        .description(Some("A colour as `#rrggbb` (either case; answers use lower case): headings and rules of the account's documents."))
        .min_length(Some(7))
        .max_length(Some(7))
        .pattern(Some(AccentColour::PATTERN))
);
wire_type!(
    /// An email address.
    // No `format: email`: validators of it differ on the edges the pattern
    // states (an `xn--` top-level domain they cannot decode, for one).
    EmailText(String) as "EmailAddress" => ObjectBuilder::new()
        .schema_type(Type::String)
        .description(Some("An address of the form local@domain.tld, up to 254 characters (no quoted local parts, IP-literal domains or surrounding spaces); stored in lower case."))
        .max_length(Some(EmailAddress::MAX_LEN))
        .pattern(Some(EmailAddress::PATTERN))
);
wire_type!(
    /// An ISO 4217 currency code.
    CurrencyCode(String) as "Currency" => ObjectBuilder::new()
        .schema_type(Type::String)
        .description(Some("An active ISO 4217 currency code, in upper or lower case; answers use upper case."))
        .enum_values(Some(currency_codes()))
);
wire_type!(
    /// An IANA time zone name.
    TimeZoneName(String) as "TimeZone" => ObjectBuilder::new()
        .schema_type(Type::String)
        .description(Some("An IANA time zone name (`Europe/Paris`, `UTC`). Dates clients see, and whether an invoice is overdue, are reckoned in it."))
        .enum_values(Some(TimeZone::names()))
);
wire_type!(
    /// A positive amount in minor units.
    Amount(#[serde(deserialize_with = "whole_number")] i64) as "Amount" => ObjectBuilder::new()
        .schema_type(Type::Integer)
        .format(Some(SchemaFormat::KnownFormat(KnownFormat::Int64)))
        .description(Some("A positive amount in minor units of the currency (cents for USD)."))
        .minimum(Some(1))
        .maximum(Some(MAX_MINOR_AMOUNT))
);
wire_type!(
    /// A line's unit price in minor units; negative for a discount.
    UnitAmount(#[serde(deserialize_with = "whole_number")] i64) as "UnitAmount" => ObjectBuilder::new()
        .schema_type(Type::Integer)
        .format(Some(SchemaFormat::KnownFormat(KnownFormat::Int64)))
        .description(Some("The unit price in minor units of the document's currency; negative for a discount line. A line's amount (quantity × unit price, rounded half away from zero) and the lines' total must each stay within 100000000000000 either way, and the total must not be less than zero."))
        .minimum(Some(-MAX_MINOR_AMOUNT))
        .maximum(Some(MAX_MINOR_AMOUNT))
);
wire_type!(
    /// A line quantity, as a JSON number or a decimal string.
    QuantityValue(serde_json::Value) as "Quantity" => OneOfBuilder::new()
        .description(Some("A positive quantity up to 1000000 with at most 3 decimal places, as a number (`1.5`) or a decimal string (`\"1.5\"`)."))
        .item(
            ObjectBuilder::new()
                .schema_type(Type::Number)
                .exclusive_minimum(Some(0))
                .maximum(Some(1_000_000))
                .multiple_of(Some(0.001)),
        )
        .item(
            ObjectBuilder::new()
                .schema_type(Type::String)
                .description(Some("A plain decimal: up to 7 digits, optionally a point and decimals (trailing zeros aside, at most 3)."))
                .pattern(Some(Quantity::PATTERN)),
        )
);
wire_type!(
    /// The base URL of the account's portal.
    PublicUrlText(String) as "PublicUrl" => text(
        "http(s)://host[:port], with no path, query, fragment, credentials or surrounding spaces; up to 200 characters.",
        8,
        PublicUrl::MAX_CHARS,
        Some(PublicUrl::pattern()),
    )
);
wire_type!(
    /// A calendar day.
    DateText(String) as "Date" => date_schema()
);
wire_type!(
    /// A moment.
    TimeText(String) as "DateTime" => ObjectBuilder::new()
        .schema_type(Type::String)
        .format(Some(SchemaFormat::KnownFormat(KnownFormat::DateTime)))
        .description(Some("An RFC 3339 time of the years 1900 to 2999 as written, to the second or finer, with `Z` or an offset: `2026-11-25T10:00:00Z`. No leap seconds."))
        .pattern(Some(format!("^{DATE}{TIME_OF_DAY}$")))
);

/// A file's bytes, in a body whose content type says what they are (a
/// PDF, a CSV statement, an image).
#[derive(Debug)]
pub(crate) struct Binary;

impl PartialSchema for Binary {
    fn schema() -> RefOr<Schema> {
        ObjectBuilder::new()
            .schema_type(Type::String)
            .format(Some(SchemaFormat::KnownFormat(KnownFormat::Binary)))
            .description(Some("The file's bytes, as the content type says."))
            .into()
    }
}

impl ToSchema for Binary {
    fn name() -> Cow<'static, str> {
        Cow::Borrowed("Binary")
    }
}

/// A day of the years 1900 to 2999 as `YYYY-MM-DD`, exactly as
/// [`date`] takes it.
pub(crate) fn date_schema() -> ObjectBuilder {
    ObjectBuilder::new()
        .schema_type(Type::String)
        .format(Some(SchemaFormat::KnownFormat(KnownFormat::Date)))
        .description(Some(
            "A day of the years 1900 to 2999, written `YYYY-MM-DD`.",
        ))
        .pattern(Some(format!("^{DATE}$")))
}

/// A real day of the years 1900 to 2999 as `YYYY-MM-DD`: days 1 to 28 of
/// every month, the 29th and 30th of all but February, the 31st of the
/// long months, and 29 February of leap years.
const DATE: &str = concat!(
    "(?:(?:19|2[0-9])[0-9]{2}-(?:(?:0[1-9]|1[0-2])-(?:0[1-9]|1[0-9]|2[0-8])",
    "|(?:0[13-9]|1[0-2])-(?:29|30)|(?:0[13578]|1[02])-31)",
    "|(?:(?:19|2[0-9])(?:0[48]|[2468][048]|[13579][26])|2[048]00)-02-29)",
);
/// What follows the day in an RFC 3339 time, as [`time`] takes it.
const TIME_OF_DAY: &str = r"[Tt](?:[01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9](?:\.[0-9]+)?(?:[Zz]|[+-](?:[01][0-9]|2[0-3]):[0-5][0-9])";

/// An integer as JSON Schema counts them: a number with no fractional
/// part, written `3` or `3.0` alike.
pub(crate) fn whole_number<'de, D: Deserializer<'de>>(d: D) -> Result<i64, D::Error> {
    struct Whole;
    impl Visitor<'_> for Whole {
        type Value = i64;

        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("an integer")
        }

        fn visit_i64<E: de::Error>(self, v: i64) -> Result<i64, E> {
            Ok(v)
        }

        fn visit_u64<E: de::Error>(self, v: u64) -> Result<i64, E> {
            i64::try_from(v).map_err(|_| E::invalid_value(Unexpected::Unsigned(v), &self))
        }

        fn visit_f64<E: de::Error>(self, v: f64) -> Result<i64, E> {
            // 2^63, the first float past `i64::MAX`.
            const LIMIT: f64 = 9_223_372_036_854_775_808.0;
            if v.fract() == 0.0 && (-LIMIT..LIMIT).contains(&v) {
                #[allow(clippy::cast_possible_truncation)]
                Ok(v as i64)
            } else {
                Err(E::invalid_value(Unexpected::Float(v), &self))
            }
        }
    }
    d.deserialize_any(Whole)
}

/// [`whole_number`] or `null`.
pub(crate) fn optional_whole_number<'de, D: Deserializer<'de>>(
    d: D,
) -> Result<Option<i64>, D::Error> {
    #[derive(Deserialize)]
    struct Wrapped(#[serde(deserialize_with = "whole_number")] i64);
    Ok(Option::<Wrapped>::deserialize(d)?.map(|Wrapped(n)| n))
}

/// The `limit` of a list: checked, never clamped.
pub(crate) fn limit_schema() -> ObjectBuilder {
    let (min, max) = PAGE_LIMITS;
    ObjectBuilder::new()
        .schema_type(Type::Integer)
        .format(Some(SchemaFormat::KnownFormat(KnownFormat::Int32)))
        .description(Some("Items per page: checked, never clamped."))
        .minimum(Some(min))
        .maximum(Some(max))
        .default(Some(portal_domain::DEFAULT_PAGE_LIMIT.into()))
}

/// The `cursor` of a list: opaque, from the previous page.
pub(crate) fn cursor_schema() -> ObjectBuilder {
    ObjectBuilder::new()
        .schema_type(Type::String)
        .description(Some("The `next_cursor` of the previous page, as it came."))
        .min_length(Some(Cursor::LEN))
        .max_length(Some(Cursor::LEN))
        .pattern(Some(Cursor::PATTERN))
}

/// The `Idempotency-Key` header.
pub(crate) fn idempotency_key_schema() -> ObjectBuilder {
    ObjectBuilder::new()
        .schema_type(Type::String)
        .min_length(Some(1))
        .max_length(Some(IdempotencyKey::MAX_LEN))
        .pattern(Some(IdempotencyKey::PATTERN))
}

/// Every code the API takes: each of [`Currency::codes`] in upper case,
/// then each in lower case.
fn currency_codes() -> Vec<String> {
    Currency::codes()
        .map(str::to_owned)
        .chain(Currency::codes().map(str::to_ascii_lowercase))
        .collect()
}

/// A currency code as sent: one of [`Currency::codes`], in upper or lower
/// case, and nothing else (no spaces, no mixed case).
pub(crate) fn currency(field: &str, code: &CurrencyCode) -> Result<Currency, ValidationError> {
    let text = code.0.as_str();
    if Currency::codes()
        .any(|c| c == text || c.eq_ignore_ascii_case(text) && text == text.to_ascii_lowercase())
    {
        Currency::parse(field, text)
    } else {
        Err(ValidationError::new(
            field,
            "must be an ISO 4217 currency code such as USD or EUR",
        ))
    }
}

/// An address as [`EmailText`] describes it: what the domain takes, sent
/// without surrounding spaces.
pub(crate) fn email(field: &str, text: &EmailText) -> Result<EmailAddress, ValidationError> {
    unpadded(field, &text.0)?;
    EmailAddress::parse(field, &text.0)
}

/// A URL as [`PublicUrlText`] describes it: what the domain takes, sent
/// without surrounding spaces.
pub(crate) fn public_url(field: &str, text: &PublicUrlText) -> Result<PublicUrl, ValidationError> {
    unpadded(field, &text.0)?;
    PublicUrl::parse(field, &text.0)
}

/// Addresses and URLs are machine values: spaces around one are a mistake
/// to report, not to tidy up.
fn unpadded(field: &str, text: &str) -> Result<(), ValidationError> {
    if text.trim() == text {
        Ok(())
    } else {
        Err(ValidationError::new(
            field,
            "must not start or end with spaces",
        ))
    }
}

/// An id sent in a body: malformed is a validation error on that field.
pub(crate) fn id<T: std::str::FromStr>(field: &str, text: &str) -> Result<T, ValidationError> {
    text.parse()
        .map_err(|_| ValidationError::new(field, "must be an id as returned by this API"))
}

/// An optional id sent in a body.
pub(crate) fn optional_id<T: std::str::FromStr>(
    field: &str,
    text: Option<&str>,
) -> Result<Option<T>, ValidationError> {
    text.map(|t| id(field, t)).transpose()
}

/// A `YYYY-MM-DD` date, exactly so.
pub(crate) fn date(field: &str, text: &str) -> Result<chrono::NaiveDate, ValidationError> {
    let shaped = text.len() == 10
        && text.bytes().enumerate().all(|(i, b)| {
            if i == 4 || i == 7 {
                b == b'-'
            } else {
                b.is_ascii_digit()
            }
        });
    shaped
        .then(|| chrono::NaiveDate::parse_from_str(text, "%Y-%m-%d").ok())
        .flatten()
        .ok_or_else(|| ValidationError::new(field, "must be a date like 2026-11-25"))
}

/// An RFC 3339 time as [`TimeText`] describes it: chrono's reading, less
/// what it takes beyond that (a space for `T`, leap seconds) and years
/// outside 1900 to 2999 as written.
pub(crate) fn time(
    field: &str,
    text: &str,
) -> Result<chrono::DateTime<chrono::Utc>, ValidationError> {
    use chrono::Datelike as _;
    let invalid = || {
        ValidationError::new(
            field,
            "must be an RFC 3339 time like 2026-11-25T10:00:00Z, in the years 1900 to 2999",
        )
    };
    let (day, clock) = text.split_at_checked(10).ok_or_else(invalid)?;
    let written = date(field, day).map_err(|_| invalid())?;
    let clock = clock.as_bytes();
    let shaped = (1900..=2999).contains(&written.year())
        && clock.len() >= 9
        && matches!(clock[0], b'T' | b't')
        && clock[7] <= b'5';
    if !shaped {
        return Err(invalid());
    }
    chrono::DateTime::parse_from_rfc3339(text)
        .map(|t| t.with_timezone(&chrono::Utc))
        .map_err(|_| invalid())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_exact_dates_and_single_case_currencies_pass() {
        assert!(date("d", "2026-11-25").is_ok());
        for bad in [
            "2026-1-5",
            "2026-02-30",
            " 2026-11-25",
            "2026/11/25",
            "２０２６-11-25",
        ] {
            assert_eq!(date("d", bad).unwrap_err().field, "d", "{bad}");
        }
        assert!(currency("currency", &CurrencyCode("EUR".into())).is_ok());
        assert!(currency("currency", &CurrencyCode("eur".into())).is_ok());
        for bad in ["Eur", " EUR", "XAU", "xau", ""] {
            assert!(
                currency("currency", &CurrencyCode(bad.into())).is_err(),
                "{bad}"
            );
        }
        assert!(time("t", "2026-11-25T10:00:00+01:00").is_ok());
        assert!(time("t", "yesterday").is_err());
    }

    #[test]
    fn times_are_rfc_3339_in_the_years_1900_to_2999_as_written() {
        for good in [
            "2026-11-25T10:00:00Z",
            "2026-11-25t10:00:00.123456789z",
            "1900-01-01T00:00:00+23:59",
            "2999-12-31T23:59:59-23:59",
            "2000-02-29T00:00:00-00:00",
        ] {
            assert!(time("t", good).is_ok(), "{good}");
        }
        for bad in [
            "2026-11-25 10:00:00Z",
            "2026-11-25T23:59:60Z",
            "2026-11-25T24:00:00Z",
            "2026-11-25T10:00:00+24:00",
            "2026-11-25T10:00Z",
            "2026-11-25T10:00:00.Z",
            "1899-12-31T23:00:00-01:00",
            "3000-01-01T00:00:00+01:00",
            "1900-02-29T00:00:00Z",
            "2026-11-25T10:00:00Z ",
            "2026-11-25\u{e9}10:00:00Z",
        ] {
            assert_eq!(time("t", bad).unwrap_err().field, "t", "{bad}");
        }
    }
}
