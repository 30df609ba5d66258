//! Wire types for values with rules, each described with exactly the
//! rules the domain applies: lengths counted in characters as sent, the
//! domain's own patterns, bounds and lists. They carry the value as sent;
//! handlers parse it into the domain type, which reports the field.

use std::borrow::Cow;

use portal_domain::{
    Currency, Cursor, Description, DocumentNumber, EmailAddress, IdempotencyKey, MAX_MINOR_AMOUNT,
    Name, PAGE_LIMITS, Reference, TimeZone, ValidationError,
};
use serde::Deserialize;
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
    ($(#[$meta:meta])* $name:ident($inner:ty) as $schema_name:literal => $schema:expr) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Deserialize)]
        #[serde(transparent)]
        pub(crate) struct $name(pub(crate) $inner);

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
    /// An email address.
    EmailText(String) as "EmailAddress" => text(
        "An address of the form local@domain.tld (no quoted local parts or IP-literal domains); stored in lower case.",
        3,
        EmailAddress::MAX_LEN,
        Some(r"^\s*[A-Za-z0-9!#$%&'*+/=?^_`{|}~.-]{1,64}@[A-Za-z0-9-]{1,63}(\.[A-Za-z0-9-]{1,63})+\s*$".to_owned()),
    )
    .format(Some(SchemaFormat::KnownFormat(KnownFormat::Email)))
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
    Amount(i64) as "Amount" => ObjectBuilder::new()
        .schema_type(Type::Integer)
        .format(Some(SchemaFormat::KnownFormat(KnownFormat::Int64)))
        .description(Some("A positive amount in minor units of the currency (cents for USD)."))
        .minimum(Some(1))
        .maximum(Some(MAX_MINOR_AMOUNT))
);
wire_type!(
    /// A line's unit price in minor units; negative for a discount.
    UnitAmount(i64) as "UnitAmount" => ObjectBuilder::new()
        .schema_type(Type::Integer)
        .format(Some(SchemaFormat::KnownFormat(KnownFormat::Int64)))
        .description(Some("The unit price in minor units of the document's currency; negative for a discount line. A document's lines must not add up to less than zero."))
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
        .item(text(
            "A plain decimal: digits, optionally a point and decimals (trailing zeros aside, at most 3).",
            1,
            64,
            Some(r"^[0-9]{1,7}(\.[0-9]{0,3}0*)?$".to_owned()),
        ))
);
wire_type!(
    /// The base URL of the account's portal.
    PublicUrlText(String) as "PublicUrl" => text(
        "http(s)://host[:port], with no path, query, fragment or credentials; up to 200 characters.",
        8,
        200,
        Some(r"^\s*https?://[^/?#@\\\s]+/*\s*$".to_owned()),
    )
    .format(Some(SchemaFormat::Custom("uri".to_owned())))
);

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
        .min_length(Some(1))
        .max_length(Some(Cursor::MAX_LEN))
        .pattern(Some("^[A-Za-z0-9_-]+$"))
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

/// An RFC 3339 time.
pub(crate) fn time(
    field: &str,
    text: &str,
) -> Result<chrono::DateTime<chrono::Utc>, ValidationError> {
    chrono::DateTime::parse_from_rfc3339(text)
        .map(|t| t.with_timezone(&chrono::Utc))
        .map_err(|_| {
            ValidationError::new(field, "must be an RFC 3339 time like 2026-11-25T10:00:00Z")
        })
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
}
