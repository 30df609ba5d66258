//! Our identifiers and amounts in the forms the gateway takes.
//!
//! The gateway's `invoiceNumber`, `refId` and `merchantCustomerId` hold at
//! most 20 characters; our ids are UUIDs (36 characters). The compact form
//! is the UUID's first 100 bits in Crockford base32 (digits and upper-case
//! letters without I, L, O, U): 20 characters, no symbols, the same in any
//! letter case, and unique among a customer's charges by a margin of many
//! orders of magnitude (a version 4 UUID keeps 94 random bits there). It
//! is one-way: charges are found by computing it again, never by reading
//! it back.

use portal_domain::model::Money;

const ALPHABET: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";

/// The compact form of a UUID: 20 characters.
pub(crate) fn compact_id(uuid: u128) -> String {
    let top = uuid >> 28; // the first 100 bits
    (0..20)
        .rev()
        .map(|i| char::from(ALPHABET[((top >> (i * 5)) & 0x1F) as usize]))
        .collect()
}

/// An amount as the gateway's decimal text: 4900 cents → "49.00".
pub(crate) fn decimal(amount: Money) -> String {
    let digits = u32::from(amount.currency().minor_digits());
    let minor = amount.minor();
    if digits == 0 {
        return minor.to_string();
    }
    let unit = 10_u64.pow(digits);
    let sign = if minor < 0 { "-" } else { "" };
    let magnitude = minor.unsigned_abs();
    format!(
        "{sign}{}.{:0width$}",
        magnitude / unit,
        magnitude % unit,
        width = digits as usize
    )
}

/// Reads the gateway's decimal text ("49.00", "49", "12.5") as minor
/// units with `digits` decimals; `None` when it is not such a number or
/// has more decimals than the currency.
pub(crate) fn minor_units(text: &str, digits: u8) -> Option<i64> {
    let (whole, fraction) = text.trim().split_once('.').unwrap_or((text.trim(), ""));
    if whole.is_empty() || !whole.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    if !fraction.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let significant = fraction.trim_end_matches('0');
    if significant.len() > usize::from(digits) {
        return None;
    }
    let unit = 10_i64.checked_pow(u32::from(digits))?;
    let mut cents: i64 = 0;
    for (i, b) in significant.bytes().enumerate() {
        let place = 10_i64.checked_pow(u32::from(digits) - 1 - i as u32)?;
        cents = cents.checked_add(i64::from(b - b'0').checked_mul(place)?)?;
    }
    whole
        .parse::<i64>()
        .ok()?
        .checked_mul(unit)?
        .checked_add(cents)
}

/// `text` cut to at most `max` characters, without control characters.
pub(crate) fn clip(text: &str, max: usize) -> String {
    text.chars().filter(|c| !c.is_control()).take(max).collect()
}

#[cfg(test)]
mod tests {
    use portal_domain::model::Currency;

    use super::*;

    fn usd(minor: i64) -> Money {
        Money::new(minor, Currency::parse("currency", "USD").unwrap())
    }

    #[test]
    fn amounts_are_written_with_integer_arithmetic() {
        assert_eq!(decimal(usd(4900)), "49.00");
        assert_eq!(decimal(usd(5)), "0.05");
        assert_eq!(decimal(usd(123_456_789)), "1234567.89");
        let yen = Money::new(4900, Currency::parse("currency", "JPY").unwrap());
        assert_eq!(decimal(yen), "4900");
    }

    #[test]
    fn amounts_are_read_back_exactly() {
        assert_eq!(minor_units("49.00", 2), Some(4900));
        assert_eq!(minor_units("49", 2), Some(4900));
        assert_eq!(minor_units("12.5", 2), Some(1250));
        assert_eq!(minor_units("0.05", 2), Some(5));
        assert_eq!(minor_units("1.005", 2), None);
        assert_eq!(minor_units("abc", 2), None);
        assert_eq!(minor_units("4900", 0), Some(4900));
    }

    #[test]
    fn compact_ids_are_twenty_plain_characters_and_tell_ids_apart() {
        let a = compact_id(0x1234_5678_9abc_4def_8123_4567_89ab_cdef);
        let b = compact_id(0x1234_5678_9abc_4def_8123_4567_89ab_cdee);
        assert_eq!(a.len(), 20);
        assert!(
            a.bytes()
                .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit())
        );
        // Only the last 28 bits differ: both are the same compact id, by
        // design; ids differing in their first 100 bits never collide.
        assert_eq!(a, b);
        assert_ne!(a, compact_id(0x1234_5678_9abc_4def_8123_4567_99ab_cdef));
        assert_eq!(compact_id(0), "00000000000000000000");
        assert_eq!(compact_id(u128::MAX), "ZZZZZZZZZZZZZZZZZZZZ");
    }

    #[test]
    fn clipping_counts_characters_and_drops_controls() {
        assert_eq!(clip("Invoices\nINV-1", 255), "InvoicesINV-1");
        assert_eq!(clip("ééé", 2), "éé");
    }
}
