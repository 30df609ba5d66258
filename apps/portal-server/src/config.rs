//! Configuration from `PORTAL_*` environment variables, checked at start.

use std::net::SocketAddr;
use std::path::PathBuf;

use anyhow::{Context, bail};
use portal_domain::{EmailAddress, PublicUrl};
use portal_store::DatabaseUrl;

/// The SQLite file a fresh checkout uses.
pub const DEFAULT_DATABASE_URL: &str = "sqlite://./data/portal.db";
pub const DEFAULT_BIND: &str = "127.0.0.1:8080";
/// Where the development mail transport writes messages.
pub const DEFAULT_MAIL_DIR: &str = "./data/mail";
const DEFAULT_MAIL_FROM: &str = "billing@portal.test";

/// Everything the server reads from its environment.
#[derive(Debug, Clone)]
pub struct Config {
    /// `PORTAL_DATABASE_URL`: `postgres://…` or `sqlite://path`.
    pub database_url: DatabaseUrl,
    /// `PORTAL_BIND`: the address to listen on.
    pub bind: SocketAddr,
    /// `PORTAL_PUBLIC_URL`: where clients reach the portal; links use it.
    pub public_url: PublicUrl,
    /// How email leaves the server.
    pub mail: MailConfig,
    /// `PORTAL_MAIL_FROM`: the sender address of every email.
    pub mail_from: EmailAddress,
    /// `PORTAL_TRUST_FORWARDED_FOR`: take client IPs from the proxy's
    /// `X-Forwarded-For` (only behind a proxy that sets it).
    pub trust_forwarded_for: bool,
}

/// How email leaves the server.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MailConfig {
    /// `PORTAL_SMTP_URL` set: deliver through that SMTP server.
    Smtp(String),
    /// Otherwise: write each message to `PORTAL_MAIL_DIR` (development).
    Folder(PathBuf),
}

impl Config {
    /// Reads the process environment.
    ///
    /// # Errors
    /// A variable that is set but malformed; the message names it.
    pub fn from_env() -> anyhow::Result<Self> {
        Self::from_lookup(|name| std::env::var(name).ok().filter(|v| !v.trim().is_empty()))
    }

    /// Reads configuration through `var`, for tests.
    ///
    /// # Errors
    /// As for [`Config::from_env`].
    pub fn from_lookup(var: impl Fn(&str) -> Option<String>) -> anyhow::Result<Self> {
        let database =
            var("PORTAL_DATABASE_URL").unwrap_or_else(|| DEFAULT_DATABASE_URL.to_owned());
        let database_url = DatabaseUrl::parse(&database).context("PORTAL_DATABASE_URL")?;
        let bind_text = var("PORTAL_BIND").unwrap_or_else(|| DEFAULT_BIND.to_owned());
        let bind: SocketAddr = bind_text.parse().with_context(|| {
            format!("PORTAL_BIND must be an address like 127.0.0.1:8080, not {bind_text:?}")
        })?;
        let public_url = match var("PORTAL_PUBLIC_URL") {
            Some(url) => PublicUrl::parse("PORTAL_PUBLIC_URL", &url)?,
            None => default_public_url(bind)?,
        };
        let mail = match var("PORTAL_SMTP_URL") {
            Some(url) => MailConfig::Smtp(url),
            None => MailConfig::Folder(PathBuf::from(
                var("PORTAL_MAIL_DIR").unwrap_or_else(|| DEFAULT_MAIL_DIR.to_owned()),
            )),
        };
        let mail_from = match var("PORTAL_MAIL_FROM") {
            Some(from) => EmailAddress::parse("PORTAL_MAIL_FROM", &from)?,
            None if matches!(mail, MailConfig::Smtp(_)) => {
                bail!(
                    "PORTAL_MAIL_FROM must be set when PORTAL_SMTP_URL is: it is the sender address of every email"
                )
            }
            None => EmailAddress::parse("PORTAL_MAIL_FROM", DEFAULT_MAIL_FROM)?,
        };
        let trust_forwarded_for = match var("PORTAL_TRUST_FORWARDED_FOR").as_deref() {
            None | Some("false" | "0" | "no") => false,
            Some("true" | "1" | "yes") => true,
            Some(other) => bail!("PORTAL_TRUST_FORWARDED_FOR must be true or false, not {other:?}"),
        };
        Ok(Self {
            database_url,
            bind,
            public_url,
            mail,
            mail_from,
            trust_forwarded_for,
        })
    }
}

/// `http://` plus the bind address; a wildcard address becomes
/// `localhost`, which a browser on the same machine can open.
fn default_public_url(bind: SocketAddr) -> anyhow::Result<PublicUrl> {
    let host = if bind.ip().is_unspecified() {
        format!("localhost:{}", bind.port())
    } else {
        bind.to_string()
    };
    Ok(PublicUrl::parse(
        "PORTAL_PUBLIC_URL",
        &format!("http://{host}"),
    )?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn config(vars: &[(&str, &str)]) -> anyhow::Result<Config> {
        let vars: HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        Config::from_lookup(|name| vars.get(name).cloned())
    }

    #[test]
    fn a_bare_environment_runs_on_sqlite_with_mail_to_a_folder() {
        let c = config(&[]).unwrap();
        assert_eq!(
            c.database_url,
            DatabaseUrl::Sqlite("./data/portal.db".into())
        );
        assert_eq!(c.bind.to_string(), "127.0.0.1:8080");
        assert_eq!(c.public_url.as_str(), "http://127.0.0.1:8080");
        assert_eq!(c.mail, MailConfig::Folder("./data/mail".into()));
        assert!(!c.trust_forwarded_for);
    }

    #[test]
    fn every_variable_is_read_and_checked() {
        let c = config(&[
            ("PORTAL_DATABASE_URL", "postgres://portal@db/portal"),
            ("PORTAL_BIND", "0.0.0.0:9000"),
            ("PORTAL_SMTP_URL", "smtp://mail.internal:587"),
            ("PORTAL_MAIL_FROM", "billing@example.com"),
            ("PORTAL_TRUST_FORWARDED_FOR", "true"),
        ])
        .unwrap();
        assert!(c.database_url.is_postgres());
        assert_eq!(c.public_url.as_str(), "http://localhost:9000");
        assert_eq!(c.mail, MailConfig::Smtp("smtp://mail.internal:587".into()));
        assert!(c.trust_forwarded_for);

        for (vars, needle) in [
            (vec![("PORTAL_BIND", "nowhere")], "PORTAL_BIND"),
            (vec![("PORTAL_PUBLIC_URL", "ftp://x")], "PORTAL_PUBLIC_URL"),
            (
                vec![("PORTAL_DATABASE_URL", "mysql://x/y")],
                "PORTAL_DATABASE_URL",
            ),
            (vec![("PORTAL_SMTP_URL", "smtp://x")], "PORTAL_MAIL_FROM"),
            (
                vec![("PORTAL_TRUST_FORWARDED_FOR", "maybe")],
                "PORTAL_TRUST_FORWARDED_FOR",
            ),
        ] {
            let err = format!("{:#}", config(&vars).unwrap_err());
            assert!(err.contains(needle), "{err}");
        }
    }
}
