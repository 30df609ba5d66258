//! Validated free-text values (names, document numbers, line descriptions)
//! and the [`ValidationError`] every parser in the domain returns.

use std::fmt;

/// An input value that breaks a rule. `field` names the input as the
/// operator sent it, so the HTTP layer can point at it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {message}")]
pub struct ValidationError {
    pub field: String,
    pub message: String,
}

impl ValidationError {
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            message: message.into(),
        }
    }

    /// The same error, reported under `prefix.field` (for nested inputs).
    #[must_use]
    pub fn within(self, prefix: &str) -> Self {
        Self {
            field: format!("{prefix}.{}", self.field),
            message: self.message,
        }
    }
}

/// Characters that change how text around them is shown without being
/// seen themselves: bidirectional overrides, embeddings and isolates,
/// zero-width spaces and marks, line and paragraph separators, the byte
/// order mark. In a name they can make "Acme" look like another company
/// on a page or in an email, so they are refused.
fn is_invisible_format(c: char, multiline: bool) -> bool {
    match c {
        // Zero-width non-joiner and joiner shape scripts and emoji
        // sequences in free text; names have no use for them.
        '\u{200C}' | '\u{200D}' => !multiline,
        '\u{061C}' | '\u{180E}' | '\u{200B}'..='\u{200F}' | '\u{2028}'..='\u{202E}' => true,
        '\u{2060}'..='\u{2064}' | '\u{2066}'..='\u{2069}' | '\u{FEFF}' => true,
        _ => false,
    }
}

/// The characters a single-line text value refuses, as a regular
/// expression character class (for the API description).
const SINGLE_LINE_FORBIDDEN: &str = "\\u0000-\\u001F\\u007F-\\u009F\\u061C\\u180E\\u200B-\\u200F\\u2028-\\u202E\\u2060-\\u2064\\u2066-\\u2069\\uFEFF";
/// The same for multi-line text, which allows tabs, line feeds and the
/// zero-width joiners.
const MULTI_LINE_FORBIDDEN: &str = "\\u0000-\\u0008\\u000B-\\u001F\\u007F-\\u009F\\u061C\\u180E\\u200B\\u200E\\u200F\\u2028-\\u202E\\u2060-\\u2064\\u2066-\\u2069\\uFEFF";

/// Checks `value` is at most `max_chars` long, holds something besides
/// whitespace, and is free of control characters (newlines and tabs only
/// where `multiline`) and invisible formatting characters; returns it
/// trimmed. The length counts the value as sent, so a limit stated to API
/// clients is exactly the one applied.
pub(crate) fn clean_text(
    field: &str,
    value: &str,
    max_chars: usize,
    multiline: bool,
) -> Result<String, ValidationError> {
    if value.chars().count() > max_chars {
        return Err(ValidationError::new(
            field,
            format!("must be at most {max_chars} characters"),
        ));
    }
    let trimmed = value.trim();
    if trimmed.is_empty() {
        return Err(ValidationError::new(field, "must not be empty"));
    }
    let allowed = |c: char| multiline && (c == '\n' || c == '\t');
    if value.chars().any(|c| c.is_control() && !allowed(c)) {
        return Err(ValidationError::new(
            field,
            "must not contain control characters",
        ));
    }
    if value.chars().any(|c| is_invisible_format(c, multiline)) {
        return Err(ValidationError::new(
            field,
            "must not contain invisible formatting characters (direction overrides, zero-width characters, line separators)",
        ));
    }
    Ok(trimmed.to_owned())
}

/// The regular expression (ECMA-262 and Python alike) that a text value of
/// this kind matches exactly when [`clean_text`] accepts it, length aside.
fn text_pattern(multiline: bool) -> String {
    let forbidden = if multiline {
        MULTI_LINE_FORBIDDEN
    } else {
        SINGLE_LINE_FORBIDDEN
    };
    format!("^[^{forbidden}]*[^{forbidden}\\s][^{forbidden}]*$")
}

macro_rules! text_type {
    ($(#[$meta:meta])* $name:ident, max = $max:expr, multiline = $multi:expr) => {
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash)]
        pub struct $name(String);

        impl $name {
            /// Maximum length in characters.
            pub const MAX_CHARS: usize = $max;

            /// Validates `value` as the input field named `field`.
            ///
            /// # Errors
            /// Empty, over-long, or containing control characters.
            pub fn parse(field: &str, value: &str) -> Result<Self, ValidationError> {
                clean_text(field, value, $max, $multi).map(Self)
            }

            pub fn as_str(&self) -> &str {
                &self.0
            }

            /// The pattern an accepted value matches (for API schemas).
            pub fn pattern() -> String {
                text_pattern($multi)
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl AsRef<str> for $name {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }
    };
}

text_type!(
    /// The name of an account, a client company or a contact.
    Name, max = 200, multiline = false
);
text_type!(
    /// A document's number as the business assigns it (`INV-1001`).
    DocumentNumber, max = 64, multiline = false
);
text_type!(
    /// A document line's description or a document's title.
    Description, max = 2000, multiline = true
);
text_type!(
    /// What identifies a payment for the business: a cheque number, a bank
    /// transfer's reference.
    Reference, max = 200, multiline = false
);
text_type!(
    /// A business's postal address as it heads its documents, one line
    /// per line.
    Address, max = 500, multiline = true
);
text_type!(
    /// How a client pays without the portal (bank details, a postal
    /// address for cheques), printed on invoices and in invoice emails.
    PaymentInstructions, max = 2000, multiline = true
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_trimmed_and_bounded() {
        assert_eq!(Name::parse("name", "  Acme  ").unwrap().as_str(), "Acme");
        assert!(Name::parse("name", "   ").is_err());
        assert!(Name::parse("name", &"a".repeat(201)).is_err());
        assert!(Name::parse("name", &"é".repeat(200)).is_ok());
    }

    #[test]
    fn control_characters_are_refused_except_newlines_in_descriptions() {
        let err = Name::parse("name", "Acme\r\nBcc: x@evil.test").unwrap_err();
        assert_eq!(err.field, "name");
        assert!(Description::parse("d", "line one\nline two").is_ok());
        assert!(Description::parse("d", "bell\u{7}").is_err());
    }

    #[test]
    fn invisible_formatting_cannot_spoof_a_name() {
        for hostile in [
            "Acme\u{202E}proC",
            "Ac\u{200B}me",
            "Acme\u{2028}Corp",
            "\u{FEFF}Acme",
            "Acme\u{2066}x\u{2069}",
            "Ac\u{200D}me",
        ] {
            assert!(Name::parse("name", hostile).is_err(), "{hostile:?}");
        }
        assert!(Description::parse("d", "Family 👨\u{200D}👩\u{200D}👧 plan").is_ok());
        assert!(Description::parse("d", "x\u{202E}y").is_err());
        assert!(Name::parse("name", "Zoë Ødegård – مؤسسة").is_ok());
    }

    #[test]
    fn length_is_counted_as_sent_and_blank_is_refused() {
        assert!(Name::parse("name", &format!(" {} ", "a".repeat(199))).is_err());
        assert!(Name::parse("name", &format!(" {}", "a".repeat(199))).is_ok());
        assert!(Name::parse("name", "\u{3000}").is_err());
    }

    #[test]
    fn patterns_name_the_same_characters_as_the_rules() {
        let single = Name::pattern();
        assert!(single.starts_with("^[^\\u0000-\\u001F"));
        assert!(single.contains("\\u202E"));
        assert!(Description::pattern().contains("\\u000B-\\u001F"));
        for c in [
            '\u{200B}', '\u{202E}', '\u{2028}', '\u{FEFF}', '\u{7f}', '\u{85}',
        ] {
            assert!(is_invisible_format(c, true) || c.is_control(), "{c:?}");
        }
    }

    #[test]
    fn markup_is_kept_verbatim_for_the_renderer_to_escape() {
        let name = Name::parse("name", "<script>alert(1)</script>").unwrap();
        assert_eq!(name.as_str(), "<script>alert(1)</script>");
    }
}
