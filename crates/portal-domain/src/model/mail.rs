//! An email as the domain composes it, before any transport touches it.

use std::fmt;

use super::email::EmailAddress;

/// Stands where an email's magic-link token goes until the moment it is
/// delivered: the token is derived from the server key then, so no stored
/// message ever holds a usable link. Control characters cannot appear in
/// any text the portal accepts, so this cannot collide with content.
pub const LINK_TOKEN_PLACEHOLDER: &str = "\u{1}link-token\u{1}";

/// A file sent with an email (a PDF invoice or receipt).
#[derive(Clone, PartialEq, Eq)]
pub struct Attachment {
    pub filename: String,
    pub content_type: String,
    pub content: Vec<u8>,
}

impl fmt::Debug for Attachment {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Attachment")
            .field("filename", &self.filename)
            .field("content_type", &self.content_type)
            .field("bytes", &self.content.len())
            .finish()
    }
}

/// An email ready to go, as plain text and HTML. Its text may carry a
/// magic link, so `Debug` shows only where it goes and what it is about.
#[derive(Clone, PartialEq, Eq)]
pub struct Email {
    pub to: EmailAddress,
    pub to_name: String,
    /// The sender's display name (the account's name); the address is the
    /// mail adapter's.
    pub from_name: String,
    pub subject: String,
    pub text: String,
    pub html: String,
    pub attachments: Vec<Attachment>,
    /// Names the message for good: the transport makes its `Message-ID`
    /// from it, so delivering the same message twice is recognisable.
    /// `None`: the transport makes one up.
    pub message_key: Option<String>,
}

impl Email {
    /// Whether a magic-link token still has to be put in.
    pub fn awaits_link_token(&self) -> bool {
        self.text.contains(LINK_TOKEN_PLACEHOLDER) || self.html.contains(LINK_TOKEN_PLACEHOLDER)
    }

    /// The email with `token` where the link's token goes. A token is
    /// URL-safe base64, so it needs no escaping in text or HTML.
    #[must_use]
    pub fn with_link_token(mut self, token: &str) -> Self {
        self.text = self.text.replace(LINK_TOKEN_PLACEHOLDER, token);
        self.html = self.html.replace(LINK_TOKEN_PLACEHOLDER, token);
        self
    }
}

impl fmt::Debug for Email {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Email")
            .field("to", &self.to)
            .field("subject", &self.subject)
            .field("attachments", &self.attachments)
            .finish_non_exhaustive()
    }
}
