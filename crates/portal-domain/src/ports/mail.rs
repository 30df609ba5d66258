//! The mail port: hands a composed email to a mail system.

use async_trait::async_trait;

use crate::model::Email;

/// A failure to hand an email to the mail system.
#[derive(Debug, thiserror::Error)]
#[error("the email could not be sent")]
pub struct MailError(#[source] pub Box<dyn std::error::Error + Send + Sync>);

#[async_trait]
pub trait Mailer: Send + Sync {
    /// Hands `email` to the mail system. The same email (same
    /// `message_key`) handed over twice goes out with the same
    /// `Message-ID`.
    ///
    /// # Errors
    /// [`MailError`] when it was not accepted; the outbox tries again.
    async fn send(&self, email: &Email) -> Result<(), MailError>;
}
