//! Delivery over SMTP with lettre, configured by one URL.

use std::fmt;
use std::net::Ipv4Addr;
use std::time::Duration;

use async_trait::async_trait;
use lettre::transport::smtp::authentication::Credentials;
use lettre::{Address, AsyncSmtpTransport, AsyncTransport, Tokio1Executor};
use portal_domain::model::EmailAddress;
use portal_domain::ports::{Email, MailError, Mailer};
use url::{Host, Url};

use crate::ConfigError;
use crate::message::{address, build_message};

/// How the connection to the SMTP server is protected.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Security {
    /// TLS from the first byte (`smtps://`).
    ImplicitTls,
    /// Plain connect, then `STARTTLS`, refusing to go on without it.
    StartTls,
    /// No encryption (`?tls=none`).
    None,
}

impl Security {
    fn default_port(self) -> u16 {
        match self {
            Self::ImplicitTls => 465,
            Self::StartTls => 587,
            Self::None => 25,
        }
    }
}

/// Where and how to connect, as read from the SMTP URL.
#[derive(Debug)]
struct Endpoint {
    security: Security,
    host: String,
    port: u16,
    /// lettre's `Debug` of credentials prints nothing of them.
    credentials: Option<Credentials>,
}

impl Endpoint {
    fn parse(url: &str) -> Result<Self, ConfigError> {
        let url = Url::parse(url).map_err(ConfigError::InvalidUrl)?;
        let mut tls = None;
        for (key, value) in url.query_pairs() {
            if key != "tls" {
                return Err(ConfigError::UnknownParameter(key.into_owned()));
            }
            if tls.replace(value.into_owned()).is_some() {
                return Err(ConfigError::RepeatedParameter);
            }
        }
        let security = match (url.scheme(), tls.as_deref()) {
            ("smtp", None | Some("starttls")) => Security::StartTls,
            ("smtp", Some("none")) => Security::None,
            ("smtp", Some(other)) => return Err(ConfigError::UnknownTls(other.to_owned())),
            ("smtps", None) => Security::ImplicitTls,
            ("smtps", Some(_)) => return Err(ConfigError::TlsOnSmtps),
            (scheme, _) => return Err(ConfigError::UnknownScheme(scheme.to_owned())),
        };
        if !matches!(url.path(), "" | "/") || url.fragment().is_some() {
            return Err(ConfigError::PathOrFragment);
        }
        let (host, loopback) = match url.host() {
            // Hosts of `smtp:` URLs are opaque to the URL parser: IPv4
            // addresses arrive as names.
            Some(Host::Domain(name)) if !name.is_empty() => {
                let name = name.to_ascii_lowercase();
                let loopback = match name.parse::<Ipv4Addr>() {
                    Ok(ip) => ip.is_loopback(),
                    Err(_) => name == "localhost" || name.ends_with(".localhost"),
                };
                (name, loopback)
            }
            Some(Host::Ipv4(ip)) => (ip.to_string(), ip.is_loopback()),
            Some(Host::Ipv6(ip)) => (ip.to_string(), ip.is_loopback()),
            _ => return Err(ConfigError::MissingHost),
        };
        let credentials = match (url.username(), url.password()) {
            ("", None) => None,
            (_, None) => return Err(ConfigError::MissingPassword),
            (user, Some(password)) => {
                let decode = |s| percent_decode(s).ok_or(ConfigError::BadCredentialEncoding);
                Some(Credentials::new(decode(user)?, decode(password)?))
            }
        };
        if credentials.is_some() && security == Security::None && !loopback {
            return Err(ConfigError::CredentialsInClear);
        }
        let port = url.port().unwrap_or_else(|| security.default_port());
        Ok(Self {
            security,
            host,
            port,
            credentials,
        })
    }

    fn transport(self) -> Result<AsyncSmtpTransport<Tokio1Executor>, ConfigError> {
        type Transport = AsyncSmtpTransport<Tokio1Executor>;
        let builder = match self.security {
            Security::ImplicitTls => Transport::relay(&self.host),
            Security::StartTls => Transport::starttls_relay(&self.host),
            Security::None => Ok(Transport::builder_dangerous(&self.host)),
        }
        .map_err(ConfigError::Tls)?;
        let builder = builder.port(self.port).timeout(Some(SmtpMailer::TIMEOUT));
        let builder = match self.credentials {
            Some(credentials) => builder.credentials(credentials),
            None => builder,
        };
        Ok(builder.build())
    }
}

/// `%XX` escapes decoded, as URL user names and passwords carry them; `None`
/// when an escape is malformed or the result is not UTF-8.
fn percent_decode(encoded: &str) -> Option<String> {
    let mut bytes = Vec::with_capacity(encoded.len());
    let mut rest = encoded.as_bytes();
    while let Some((&byte, tail)) = rest.split_first() {
        if byte == b'%' {
            let hex = std::str::from_utf8(tail.get(..2)?).ok()?;
            bytes.push(u8::from_str_radix(hex, 16).ok()?);
            rest = &tail[2..];
        } else {
            bytes.push(byte);
            rest = tail;
        }
    }
    String::from_utf8(bytes).ok()
}

/// Sends each email to an SMTP server, over a pool of reused connections.
pub struct SmtpMailer {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Address,
    /// `host:port (security)`, for logs and `Debug`; never the credentials.
    server: String,
}

impl SmtpMailer {
    /// How long any one network step (connect, a command, its answer) may
    /// take before the send fails.
    pub const TIMEOUT: Duration = Duration::from_secs(30);

    /// A mailer for the server named by `url` (grammar in the crate
    /// documentation), sending as `from`. The URL is not kept, and no
    /// error repeats it, so credentials in it stay out of logs.
    ///
    /// Connections are opened on the first send, not here.
    ///
    /// # Errors
    /// When the URL does not follow the grammar, `from` is not usable as a
    /// sender, or this is called outside a Tokio runtime (the connection
    /// pool needs one for its housekeeping).
    pub fn new(url: &str, from: &EmailAddress) -> Result<Self, ConfigError> {
        let endpoint = Endpoint::parse(url)?;
        let from = address(from).map_err(ConfigError::Sender)?;
        if tokio::runtime::Handle::try_current().is_err() {
            return Err(ConfigError::NoRuntime);
        }
        let server = format!(
            "{}:{} ({:?}{})",
            endpoint.host,
            endpoint.port,
            endpoint.security,
            if endpoint.credentials.is_some() {
                ", authenticated"
            } else {
                ""
            }
        );
        Ok(Self {
            transport: endpoint.transport()?,
            from,
            server,
        })
    }
}

impl fmt::Debug for SmtpMailer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SmtpMailer")
            .field("server", &self.server)
            .field("from", &self.from)
            .finish_non_exhaustive()
    }
}

#[async_trait]
impl Mailer for SmtpMailer {
    async fn send(&self, email: &Email) -> Result<(), MailError> {
        let message = build_message(&self.from, email).map_err(|e| MailError(Box::new(e)))?;
        match self.transport.send(message).await {
            Ok(_) => {
                tracing::debug!(server = %self.server, to = %email.to, "email accepted by SMTP server");
                Ok(())
            }
            Err(error) => {
                tracing::warn!(server = %self.server, error = %error, "SMTP delivery failed");
                Err(MailError(Box::new(error)))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_url_grammar_picks_security_and_default_ports() {
        let cases = [
            ("smtp://mail.example.com", Security::StartTls, 587),
            (
                "smtp://mail.example.com:2525?tls=starttls",
                Security::StartTls,
                2525,
            ),
            ("smtps://mail.example.com", Security::ImplicitTls, 465),
            (
                "smtps://mail.example.com:4650/",
                Security::ImplicitTls,
                4650,
            ),
            ("smtp://127.0.0.1?tls=none", Security::None, 25),
            ("SMTP://Relay.Local:1025?tls=none", Security::None, 1025),
        ];
        for (url, security, port) in cases {
            let endpoint = Endpoint::parse(url).unwrap();
            assert_eq!(
                (endpoint.security, endpoint.port),
                (security, port),
                "{url}"
            );
            assert!(endpoint.credentials.is_none());
        }
        assert_eq!(
            Endpoint::parse("smtp://[::1]:25?tls=none").unwrap().host,
            "::1"
        );
        assert_eq!(
            Endpoint::parse("SMTP://Relay.Local:1025?tls=none")
                .unwrap()
                .host,
            "relay.local"
        );
    }

    #[test]
    fn credentials_are_percent_decoded() {
        let endpoint =
            Endpoint::parse("smtps://apikey:p%40ss%2Fw%C3%B6rd@smtp.example.com").unwrap();
        assert_eq!(
            endpoint.credentials,
            Some(Credentials::new(
                "apikey".to_owned(),
                "p@ss/wörd".to_owned()
            ))
        );
        assert_eq!(percent_decode("a%2"), None);
        assert_eq!(percent_decode("%zz"), None);
        assert_eq!(percent_decode("%ff"), None);
        assert_eq!(percent_decode("plain"), Some("plain".to_owned()));
    }

    #[test]
    fn bad_urls_are_refused_without_repeating_secrets() {
        let bad = [
            ("not a url", "not a valid URL"),
            ("http://mail.example.com", "scheme"),
            ("smtp://mail.example.com?tls=opportunistic", "tls"),
            (
                "smtp://mail.example.com?tls=none&tls=starttls",
                "more than once",
            ),
            ("smtp://mail.example.com?timeout=5", "timeout"),
            ("smtps://mail.example.com?tls=none", "smtps"),
            ("smtp://mail.example.com/helo", "path"),
            ("smtp://mail.example.com#x", "path"),
            ("smtp://user@mail.example.com", "password"),
            ("smtp://u:%ZZsecret@mail.example.com", "percent"),
            ("smtp://u:secret@mail.example.com?tls=none", "TLS"),
        ];
        for (url, expected) in bad {
            let message = Endpoint::parse(url).unwrap_err().to_string();
            assert!(message.contains(expected), "{url}: {message}");
            assert!(!message.contains("secret"), "{url}: {message}");
        }
        for loopback in ["localhost:2525", "127.0.0.1", "[::1]"] {
            let url = format!("smtp://u:secret@{loopback}?tls=none");
            assert!(Endpoint::parse(&url).is_ok(), "{url}");
        }
    }

    #[tokio::test]
    async fn debug_output_names_the_server_but_not_the_credentials() {
        let from = EmailAddress::parse("from", "billing@portal.example").unwrap();
        let mailer = SmtpMailer::new("smtps://apikey42:hunter2@smtp.example.com", &from).unwrap();
        let debug = format!("{mailer:?}");
        assert!(debug.contains("smtp.example.com:465"), "{debug}");
        assert!(
            !debug.contains("hunter2") && !debug.contains("apikey42"),
            "{debug}"
        );
    }

    #[test]
    fn outside_a_runtime_construction_fails_cleanly() {
        let from = EmailAddress::parse("from", "billing@portal.example").unwrap();
        let error = SmtpMailer::new("smtp://127.0.0.1?tls=none", &from).unwrap_err();
        assert!(matches!(error, ConfigError::NoRuntime));
    }
}
