#![doc = include_str!("../README.md")]

mod file;
mod message;
mod smtp;

pub use file::FileMailer;
pub use smtp::SmtpMailer;

/// A mailer that cannot be set up from its configuration. No message
/// repeats the SMTP URL, so credentials in it stay out of logs.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    #[error("the SMTP URL is not a valid URL")]
    InvalidUrl(#[source] url::ParseError),
    #[error("the SMTP URL scheme must be smtp or smtps, not {0:?}")]
    UnknownScheme(String),
    #[error("the SMTP URL has no host")]
    MissingHost,
    #[error("the SMTP URL has an unknown parameter {0:?}: only tls is understood")]
    UnknownParameter(String),
    #[error("the SMTP URL gives tls more than once")]
    RepeatedParameter,
    #[error("the SMTP URL has tls={0:?}: use tls=starttls (the default) or tls=none")]
    UnknownTls(String),
    #[error("an smtps URL always uses TLS from the start: tls= applies to smtp URLs only")]
    TlsOnSmtps,
    #[error("the SMTP URL must not have a path or fragment")]
    PathOrFragment,
    #[error("the SMTP URL has a user name but no password")]
    MissingPassword,
    #[error("the SMTP URL's user name or password is not valid percent-encoded UTF-8")]
    BadCredentialEncoding,
    #[error("the SMTP URL would send credentials without TLS to a host that is not this machine")]
    CredentialsInClear,
    #[error("TLS could not be set up for the SMTP server")]
    Tls(#[source] lettre::transport::smtp::Error),
    #[error("the sender address is not usable")]
    Sender(#[source] lettre::address::AddressError),
    #[error("the SMTP mailer must be created inside a Tokio runtime")]
    NoRuntime,
}
