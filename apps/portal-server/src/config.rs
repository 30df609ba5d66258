//! Configuration from `PORTAL_*` environment variables, checked at start.
//! Values that hold secrets (the SMTP URL with its password, the server
//! key) are kept in `secrecy` types, so no `Debug` output shows them; the
//! database URL prints without its password.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration as StdDuration;

use anyhow::{Context, bail};
use portal_domain::{EmailAddress, OutboxPolicy, PublicUrl};
use portal_store::DatabaseUrl;
use secrecy::SecretString;

/// The SQLite file a fresh checkout uses.
pub const DEFAULT_DATABASE_URL: &str = "sqlite://./data/portal.db";
pub const DEFAULT_BIND: &str = "127.0.0.1:8080";
/// Where the development mail transport writes messages.
pub const DEFAULT_MAIL_DIR: &str = "./data/mail";
/// Where the server key is kept when `PORTAL_SECRET_KEY` is not set.
pub const DEFAULT_SECRET_KEY_FILE: &str = "./data/secret.key";
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
    /// Where the server key comes from.
    pub secret_key: SecretKeySource,
    /// How the outbox worker delivers and retries.
    pub outbox: OutboxConfig,
    /// Where the processors are reached (overridden only for local
    /// stand-ins).
    pub processors: ProcessorEndpoints,
    /// `PORTAL_RECONCILE_SECONDS` (default 300): how often processor
    /// payments left pending are checked with their processor.
    pub reconcile_every: StdDuration,
    /// `PORTAL_TEST_PROCESSOR` (default: on with SQLite, off with
    /// PostgreSQL): whether accounts may connect the test processor, which
    /// marks invoices paid for test cards without moving money.
    pub test_processor: bool,
    /// `PORTAL_RENDER_CONCURRENCY` (default: the number of CPUs, at most
    /// 4): how many PDFs render at once. Each takes a core and, for a
    /// long statement, up to a few hundred megabytes while it runs.
    pub render_concurrency: usize,
}

/// Processor endpoints. Each is the processor's own unless overridden,
/// which only local stand-ins (localstripe, an Authorize.Net fake) need.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ProcessorEndpoints {
    /// `PORTAL_STRIPE_API_URL`: Stripe's API (`https://api.stripe.com`).
    pub stripe_api: Option<String>,
    /// `PORTAL_STRIPE_JS_URL`: Stripe.js (`https://js.stripe.com/v3/`).
    pub stripe_js: Option<String>,
    /// `PORTAL_AUTHORIZENET_API_URL`: the gateway's JSON endpoint (by
    /// default the sandbox or production one, per account).
    pub authorizenet_api: Option<String>,
    /// `PORTAL_ACCEPT_JS_URL`: Accept.js (by default the sandbox or
    /// production one, per account).
    pub accept_js: Option<String>,
}

/// How email leaves the server.
#[derive(Debug, Clone)]
pub enum MailConfig {
    /// `PORTAL_SMTP_URL` set: deliver through that SMTP server.
    Smtp(SecretString),
    /// Otherwise: write each message to `PORTAL_MAIL_DIR` (development).
    Folder(PathBuf),
}

/// Where the 256-bit server key (link tokens, sealed values) comes from.
#[derive(Debug, Clone)]
pub enum SecretKeySource {
    /// `PORTAL_SECRET_KEY`: the key itself (43 characters of base64url, as
    /// `portal-server secret-key` prints). Every process sharing a
    /// database must have the same.
    Env(SecretString),
    /// `PORTAL_SECRET_KEY_FILE` (default `./data/secret.key`): read, or
    /// created owner-only on first start.
    File(PathBuf),
}

/// The outbox worker's settings.
#[derive(Debug, Clone, Copy)]
pub struct OutboxConfig {
    /// Retries, backoff and leases (`PORTAL_OUTBOX_MAX_ATTEMPTS`,
    /// `PORTAL_OUTBOX_RETRY_SECONDS` (the first wait),
    /// `PORTAL_OUTBOX_LEASE_SECONDS`).
    pub policy: OutboxPolicy,
    /// `PORTAL_OUTBOX_POLL_MS`: how long an idle worker sleeps before it
    /// looks for due items again.
    pub poll: StdDuration,
    /// `PORTAL_OUTBOX_DRAIN_SECONDS`: how long a stopping server waits for
    /// deliveries in flight.
    pub drain: StdDuration,
}

impl Default for OutboxConfig {
    fn default() -> Self {
        Self {
            policy: OutboxPolicy::default(),
            poll: StdDuration::from_millis(1000),
            drain: StdDuration::from_secs(30),
        }
    }
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
            Some(url) => MailConfig::Smtp(SecretString::from(url)),
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
        let secret_key = match var("PORTAL_SECRET_KEY") {
            Some(key) => SecretKeySource::Env(SecretString::from(key)),
            None => SecretKeySource::File(PathBuf::from(
                var("PORTAL_SECRET_KEY_FILE").unwrap_or_else(|| DEFAULT_SECRET_KEY_FILE.to_owned()),
            )),
        };
        let endpoint = |name: &str| -> anyhow::Result<Option<String>> {
            var(name)
                .map(|text| {
                    let url = url::Url::parse(text.trim())
                        .ok()
                        .filter(|u| matches!(u.scheme(), "http" | "https") && u.host().is_some())
                        .with_context(|| format!("{name} must be an http(s) URL, not {text:?}"))?;
                    Ok(url.to_string())
                })
                .transpose()
        };
        let processors = ProcessorEndpoints {
            stripe_api: endpoint("PORTAL_STRIPE_API_URL")?,
            stripe_js: endpoint("PORTAL_STRIPE_JS_URL")?,
            authorizenet_api: endpoint("PORTAL_AUTHORIZENET_API_URL")?,
            accept_js: endpoint("PORTAL_ACCEPT_JS_URL")?,
        };
        let reconcile_every = match var("PORTAL_RECONCILE_SECONDS") {
            None => StdDuration::from_secs(300),
            Some(text) => match text.trim().parse::<u64>() {
                Ok(seconds) if (1..=86_400).contains(&seconds) => StdDuration::from_secs(seconds),
                _ => bail!(
                    "PORTAL_RECONCILE_SECONDS must be a whole number from 1 to 86400, not {text:?}"
                ),
            },
        };
        let render_concurrency = match var("PORTAL_RENDER_CONCURRENCY") {
            None => std::thread::available_parallelism().map_or(2, |n| n.get().min(4)),
            Some(text) => match text.trim().parse::<usize>() {
                Ok(n) if (1..=64).contains(&n) => n,
                _ => bail!(
                    "PORTAL_RENDER_CONCURRENCY must be a whole number from 1 to 64, not {text:?}"
                ),
            },
        };
        let test_processor = match var("PORTAL_TEST_PROCESSOR").as_deref() {
            None => !database_url.is_postgres(),
            Some("true") => true,
            Some("false") => false,
            Some(other) => bail!("PORTAL_TEST_PROCESSOR must be true or false, not {other:?}"),
        };
        Ok(Self {
            database_url,
            bind,
            public_url,
            mail,
            mail_from,
            trust_forwarded_for,
            secret_key,
            outbox: outbox_config(&var)?,
            processors,
            reconcile_every,
            test_processor,
            render_concurrency,
        })
    }
}

fn outbox_config(var: &impl Fn(&str) -> Option<String>) -> anyhow::Result<OutboxConfig> {
    let number = |name: &str, min: u64, max: u64| -> anyhow::Result<Option<u64>> {
        var(name)
            .map(|text| {
                text.trim()
                    .parse::<u64>()
                    .ok()
                    .filter(|n| (min..=max).contains(n))
                    .with_context(|| format!("{name} must be a whole number from {min} to {max}"))
            })
            .transpose()
    };
    let mut config = OutboxConfig::default();
    if let Some(attempts) = number("PORTAL_OUTBOX_MAX_ATTEMPTS", 1, 100)? {
        config.policy.max_attempts = u32::try_from(attempts)?;
    }
    if let Some(seconds) = number("PORTAL_OUTBOX_RETRY_SECONDS", 1, 3600)? {
        config.policy.base_delay = chrono::Duration::seconds(i64::try_from(seconds)?);
    }
    if let Some(seconds) = number("PORTAL_OUTBOX_LEASE_SECONDS", 1, 3600)? {
        config.policy.lease = chrono::Duration::seconds(i64::try_from(seconds)?);
    }
    if let Some(ms) = number("PORTAL_OUTBOX_POLL_MS", 10, 60_000)? {
        config.poll = StdDuration::from_millis(ms);
    }
    if let Some(seconds) = number("PORTAL_OUTBOX_DRAIN_SECONDS", 0, 600)? {
        config.drain = StdDuration::from_secs(seconds);
    }
    Ok(config)
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
        assert!(
            matches!(c.mail, MailConfig::Folder(ref dir) if dir == &PathBuf::from("./data/mail"))
        );
        assert!(!c.trust_forwarded_for);
        assert!(
            matches!(c.secret_key, SecretKeySource::File(ref f) if f == &PathBuf::from("./data/secret.key"))
        );
        assert_eq!(c.outbox.policy, OutboxPolicy::default());
    }

    #[test]
    fn every_variable_is_read_and_checked() {
        let c = config(&[
            ("PORTAL_DATABASE_URL", "postgres://portal@db/portal"),
            ("PORTAL_BIND", "0.0.0.0:9000"),
            ("PORTAL_SMTP_URL", "smtp://mail.internal:587"),
            ("PORTAL_MAIL_FROM", "billing@example.com"),
            ("PORTAL_TRUST_FORWARDED_FOR", "true"),
            ("PORTAL_OUTBOX_LEASE_SECONDS", "5"),
            ("PORTAL_OUTBOX_POLL_MS", "50"),
            ("PORTAL_STRIPE_API_URL", "http://127.0.0.1:8420"),
            (
                "PORTAL_STRIPE_JS_URL",
                "http://127.0.0.1:8420/js.stripe.com/v3/",
            ),
            (
                "PORTAL_AUTHORIZENET_API_URL",
                "http://127.0.0.1:9000/xml/v1/request.api",
            ),
            ("PORTAL_ACCEPT_JS_URL", "http://127.0.0.1:9000/v1/Accept.js"),
            ("PORTAL_RECONCILE_SECONDS", "30"),
        ])
        .unwrap();
        assert_eq!(
            c.processors.stripe_api.as_deref(),
            Some("http://127.0.0.1:8420/")
        );
        assert_eq!(
            c.processors.accept_js.as_deref(),
            Some("http://127.0.0.1:9000/v1/Accept.js")
        );
        assert_eq!(c.reconcile_every, StdDuration::from_secs(30));
        assert!(!c.test_processor, "not offered on PostgreSQL unless asked");
        assert!(config(&[]).unwrap().test_processor, "offered on SQLite");
        assert!(c.database_url.is_postgres());
        assert_eq!(c.public_url.as_str(), "http://localhost:9000");
        assert!(matches!(c.mail, MailConfig::Smtp(_)));
        assert!(c.trust_forwarded_for);
        assert_eq!(c.outbox.policy.lease, chrono::Duration::seconds(5));
        assert_eq!(c.outbox.poll, StdDuration::from_millis(50));

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
            (
                vec![("PORTAL_OUTBOX_LEASE_SECONDS", "0")],
                "PORTAL_OUTBOX_LEASE_SECONDS",
            ),
            (
                vec![("PORTAL_OUTBOX_POLL_MS", "fast")],
                "PORTAL_OUTBOX_POLL_MS",
            ),
            (
                vec![("PORTAL_STRIPE_API_URL", "localhost:8420")],
                "PORTAL_STRIPE_API_URL",
            ),
            (
                vec![("PORTAL_RECONCILE_SECONDS", "0")],
                "PORTAL_RECONCILE_SECONDS",
            ),
            (
                vec![("PORTAL_TEST_PROCESSOR", "yes")],
                "PORTAL_TEST_PROCESSOR",
            ),
            (
                vec![("PORTAL_RENDER_CONCURRENCY", "0")],
                "PORTAL_RENDER_CONCURRENCY",
            ),
        ] {
            let err = format!("{:#}", config(&vars).unwrap_err());
            assert!(err.contains(needle), "{err}");
        }
    }

    #[test]
    fn secrets_in_the_configuration_never_print() {
        let c = config(&[
            (
                "PORTAL_DATABASE_URL",
                "postgres://portal:db-hunter2@db/portal",
            ),
            (
                "PORTAL_SMTP_URL",
                "smtps://apikey:smtp-hunter2@smtp.example.com",
            ),
            ("PORTAL_MAIL_FROM", "billing@example.com"),
            ("PORTAL_SECRET_KEY", "key-hunter2"),
        ])
        .unwrap();
        let shown = format!("{c:?}");
        assert!(!shown.contains("hunter2"), "{shown}");
    }
}
