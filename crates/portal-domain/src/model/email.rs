//! Email addresses as the portal stores and compares them.

use std::fmt;

use super::text::ValidationError;

/// A syntactically valid email address, lower-cased so that a contact is
/// found whatever case a client types. Quoted local parts, comments and
/// IP-literal domains are refused: billing contacts do not need them and
/// they are a classic source of header-injection bugs.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct EmailAddress(String);

impl EmailAddress {
    pub const MAX_LEN: usize = 254;
    /// What an address matches once trimmed (ECMA-262 and Python alike):
    /// the rules of [`EmailAddress::parse`] but the length of the whole,
    /// which is [`EmailAddress::MAX_LEN`]. A local part without dots is
    /// bounded by counting; only one with dots needs the lookahead (which
    /// is slow for generators of matching text).
    pub const PATTERN: &'static str = concat!(
        "^(?:[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]{1,64}",
        "|(?=[^@]{1,64}@)[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)+)",
        "@(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\\.)+",
        "(?:[A-Za-z]{1,63}|xn--[A-Za-z0-9-]{0,58}[A-Za-z0-9])$",
    );

    /// # Errors
    /// When `value` is not an address of the form `local@domain.tld`.
    pub fn parse(field: &str, value: &str) -> Result<Self, ValidationError> {
        let invalid =
            || ValidationError::new(field, "must be an email address like name@example.com");
        let value = value.trim();
        if value.is_empty() || value.len() > Self::MAX_LEN {
            return Err(invalid());
        }
        let (local, domain) = value.rsplit_once('@').ok_or_else(invalid)?;
        if !valid_local(local) || !valid_domain(domain) {
            return Err(invalid());
        }
        Ok(Self(value.to_ascii_lowercase()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

fn valid_local(local: &str) -> bool {
    const SPECIALS: &str = "!#$%&'*+-/=?^_`{|}~.";
    !local.is_empty()
        && local.len() <= 64
        && !local.starts_with('.')
        && !local.ends_with('.')
        && !local.contains("..")
        && local
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || SPECIALS.contains(c))
}

fn valid_domain(domain: &str) -> bool {
    let labels: Vec<&str> = domain.split('.').collect();
    labels.len() >= 2
        && domain.len() <= 253
        && labels.iter().all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && !label.starts_with('-')
                && !label.ends_with('-')
                && label.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        })
        && labels.last().is_some_and(|tld| {
            tld.chars().all(|c| c.is_ascii_alphabetic()) || tld.starts_with("xn--")
        })
}

impl fmt::Display for EmailAddress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_ordinary_addresses_and_lowercases_them() {
        let email = EmailAddress::parse("email", " Pay.Ables+ap@Acme.Example.COM ").unwrap();
        assert_eq!(email.as_str(), "pay.ables+ap@acme.example.com");
    }

    #[test]
    fn refuses_hostile_or_malformed_addresses() {
        for bad in [
            "",
            "plain",
            "@example.com",
            "a@",
            "a@localhost",
            "a@b@example.com",
            "a b@example.com",
            "a@example.com\r\nBcc: victim@example.com",
            "\"quoted\"@example.com",
            "a..b@example.com",
            ".a@example.com",
            "a@-example.com",
            "a@example.123",
            "a@[127.0.0.1]",
        ] {
            assert!(EmailAddress::parse("email", bad).is_err(), "{bad:?}");
        }
        let long = format!("{}@example.com", "a".repeat(300));
        assert!(EmailAddress::parse("email", &long).is_err());
    }

    /// The edges [`EmailAddress::PATTERN`] states, one by one.
    #[test]
    fn the_pattern_states_each_rule() {
        let local = |n: usize| format!("{}@example.com", "a".repeat(n));
        let label = |n: usize| format!("a@{}.com", "b".repeat(n));
        let tld = |t: &str| format!("a@example.{t}");
        for good in [
            local(64),
            "a.b.c@example.com".to_owned(),
            "!#$%&'*+/=?^_`{|}~-@example.com".to_owned(),
            label(63),
            "a@a-b.example".to_owned(),
            "a@1.example".to_owned(),
            tld("xn--p1ai"),
            tld(&"z".repeat(63)),
            format!("a@{}.{}", "b".repeat(63), "c".repeat(63)),
        ] {
            assert!(EmailAddress::parse("email", &good).is_ok(), "{good}");
        }
        for bad in [
            local(65),
            "a.@example.com".to_owned(),
            "a@example.com.".to_owned(),
            label(64),
            "a@b-.example".to_owned(),
            "a@b_c.example".to_owned(),
            tld("c0m"),
            tld("xn--"),
            tld("XN--p1ai"),
            tld("xn--p1ai-"),
            tld(&"z".repeat(64)),
            "a@b".to_owned(),
            "a@é.example".to_owned(),
        ] {
            assert!(EmailAddress::parse("email", &bad).is_err(), "{bad}");
        }
        // 254 characters in all.
        let domain = ["b", "c", "d"].map(|c| c.repeat(63)).join(".") + "." + &"e".repeat(60);
        assert_eq!(format!("a@{domain}").len(), EmailAddress::MAX_LEN);
        assert!(EmailAddress::parse("email", &format!("a@{domain}")).is_ok());
        assert!(EmailAddress::parse("email", &format!("ab@{domain}")).is_err());
    }
}
