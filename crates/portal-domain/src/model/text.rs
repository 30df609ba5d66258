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

/// Trims `value` and checks it is non-empty, at most `max_chars` long and
/// free of control characters (newlines and tabs only where `multiline`).
pub(crate) fn clean_text(
    field: &str,
    value: &str,
    max_chars: usize,
    multiline: bool,
) -> Result<String, ValidationError> {
    let trimmed = value.trim();
    if trimmed.is_empty() {
        return Err(ValidationError::new(field, "must not be empty"));
    }
    if trimmed.chars().count() > max_chars {
        return Err(ValidationError::new(
            field,
            format!("must be at most {max_chars} characters"),
        ));
    }
    let allowed = |c: char| multiline && (c == '\n' || c == '\t');
    if trimmed.chars().any(|c| c.is_control() && !allowed(c)) {
        return Err(ValidationError::new(
            field,
            "must not contain control characters",
        ));
    }
    Ok(trimmed.to_owned())
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
    fn markup_is_kept_verbatim_for_the_renderer_to_escape() {
        let name = Name::parse("name", "<script>alert(1)</script>").unwrap();
        assert_eq!(name.as_str(), "<script>alert(1)</script>");
    }
}
