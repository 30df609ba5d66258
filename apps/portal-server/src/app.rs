//! Wiring: adapters built from the configuration, handed to the domain,
//! and the HTTP router served on a listener.

use std::net::SocketAddr;
use std::sync::Arc;

use anyhow::Context;
use portal_domain::ports::{Clock, Mailer, RandomSource};
use portal_domain::service::PortalConfig;
use portal_domain::{LinkRequestPolicy, Portal};
use portal_http::{AppState, HttpConfig};
use portal_mail::{FileMailer, SmtpMailer};
use portal_store::Database;
use tokio::net::TcpListener;

use crate::config::{Config, MailConfig};
use crate::system::{OsRandom, SystemClock};

/// The ports that are not chosen by configuration: tests replace them.
#[derive(Clone)]
pub struct Ports {
    pub clock: Arc<dyn Clock>,
    pub random: Arc<dyn RandomSource>,
    /// `None`: the mailer `Config::mail` describes.
    pub mailer: Option<Arc<dyn Mailer>>,
}

impl Default for Ports {
    fn default() -> Self {
        Self {
            clock: Arc::new(SystemClock),
            random: Arc::new(OsRandom),
            mailer: None,
        }
    }
}

impl std::fmt::Debug for Ports {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Ports").finish_non_exhaustive()
    }
}

/// A wired portal, ready to serve.
#[derive(Debug, Clone)]
pub struct App {
    pub portal: Portal,
    pub router: axum::Router,
}

/// Opens the database (applying migrations), builds the mailer and the
/// portal, and the router over them.
///
/// # Errors
/// When the database cannot be opened or the mail settings are invalid.
pub async fn build(config: &Config, ports: Ports) -> anyhow::Result<App> {
    let database = Database::open(&config.database_url)
        .await
        .with_context(|| format!("opening the database {}", config.database_url))?;
    let mailer: Arc<dyn Mailer> = match (ports.mailer, &config.mail) {
        (Some(mailer), _) => mailer,
        (None, MailConfig::Smtp(url)) => {
            Arc::new(SmtpMailer::new(url, &config.mail_from).context("PORTAL_SMTP_URL")?)
        }
        (None, MailConfig::Folder(dir)) => {
            Arc::new(FileMailer::new(dir, &config.mail_from).context("PORTAL_MAIL_DIR")?)
        }
    };
    let portal = Portal::new(
        Arc::new(database),
        mailer,
        ports.clock,
        ports.random,
        PortalConfig {
            public_url: config.public_url.clone(),
            link_requests: LinkRequestPolicy::default(),
        },
    );
    let http = HttpConfig {
        secure_cookies: config.public_url.is_https(),
        public_origin: Some(config.public_url.origin().to_owned()),
        trust_forwarded_for: config.trust_forwarded_for,
        ..HttpConfig::default()
    };
    let router = portal_http::router(AppState {
        portal: portal.clone(),
        config: Arc::new(http),
    });
    Ok(App { portal, router })
}

/// Binds `addr` (port 0 picks a free port).
///
/// # Errors
/// When the address cannot be bound.
pub async fn bind(addr: SocketAddr) -> anyhow::Result<TcpListener> {
    TcpListener::bind(addr)
        .await
        .with_context(|| format!("cannot listen on {addr}; set PORTAL_BIND to a free address"))
}

/// Serves `router` on `listener` until `shutdown` completes, then finishes
/// the requests in flight.
///
/// # Errors
/// When the server fails.
pub async fn serve(
    listener: TcpListener,
    router: axum::Router,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    axum::serve(
        listener,
        router.into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown)
    .await
    .context("serving HTTP")
}
