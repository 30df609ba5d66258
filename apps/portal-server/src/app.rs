//! Wiring: adapters built from the configuration, handed to the domain's
//! services, the HTTP router over them, and the outbox worker beside it.

use std::net::SocketAddr;
use std::sync::Arc;

use anyhow::Context;
use portal_domain::ports::{Clock, Mailer, RandomSource};
use portal_domain::service::PortalConfig;
use portal_domain::{LinkRequestPolicy, Services};
use portal_http::{AppState, HttpConfig};
use portal_mail::{FileMailer, SmtpMailer};
use portal_pdf::TypstRenderer;
use portal_store::Database;
use secrecy::ExposeSecret;
use tokio::net::TcpListener;
use tokio::sync::watch;

use crate::config::{Config, MailConfig, OutboxConfig};
use crate::processors::Connector;
use crate::system::{OsRandom, SystemClock};
use crate::{secret_key, worker};

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
    pub services: Services,
    /// The database the services use (its statement count, for tests and
    /// the benchmark's round-trip figures).
    pub database: Database,
    pub router: axum::Router,
    pub outbox: OutboxConfig,
    pub reconcile_every: std::time::Duration,
}

/// Opens the database (applying migrations), loads the server key, builds
/// the mailer and the services, and the router over them.
///
/// # Errors
/// When the database cannot be opened, the key cannot be loaded, or the
/// mail settings are invalid.
pub async fn build(config: &Config, ports: Ports) -> anyhow::Result<App> {
    let database = Database::open(&config.database_url)
        .await
        .with_context(|| format!("opening the database {}", config.database_url))?;
    let server_key = secret_key::load(&config.secret_key)?;
    let mailer: Arc<dyn Mailer> = match (ports.mailer, &config.mail) {
        (Some(mailer), _) => mailer,
        (None, MailConfig::Smtp(url)) => Arc::new(
            SmtpMailer::new(url.expose_secret(), &config.mail_from).context("PORTAL_SMTP_URL")?,
        ),
        (None, MailConfig::Folder(dir)) => {
            Arc::new(FileMailer::new(dir, &config.mail_from).context("PORTAL_MAIL_DIR")?)
        }
    };
    let connector = Connector::new(config.processors.clone(), config.test_processor);
    let test_processor = connector.test_state().clone();
    let services = Services::new(
        Arc::new(database.clone()),
        mailer,
        Arc::new(connector),
        Arc::new(TypstRenderer::new(config.render_concurrency)),
        ports.clock,
        ports.random,
        PortalConfig {
            public_url: config.public_url.clone(),
            link_requests: LinkRequestPolicy::default(),
            outbox: config.outbox.policy,
            server_key,
        },
    );
    services
        .check_server_key()
        .await
        .context("checking the server key against the database")?;
    let http = HttpConfig {
        secure_cookies: config.public_url.is_https(),
        public_origin: Some(config.public_url.origin().to_owned()),
        trust_forwarded_for: config.trust_forwarded_for,
        ..HttpConfig::default()
    };
    // The test processor's 3-D Secure challenges are finished in the
    // portal, by its challenge box.
    let challenges = move |client_secret: &str, succeed: bool| {
        test_processor.authenticate(client_secret, succeed).is_ok()
    };
    let router = portal_http::router(
        AppState::new(services.clone(), http)
            .with_test_challenges(Arc::new(challenges))
            .with_statement_count({
                let database = database.clone();
                Box::new(move || database.statements())
            }),
    );
    Ok(App {
        services,
        database,
        router,
        outbox: config.outbox,
        reconcile_every: config.reconcile_every,
    })
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

/// Serves the app on `listener` and runs its outbox worker until
/// `shutdown` completes; then finishes the requests in flight, lets the
/// worker finish the deliveries in flight (for at most the configured
/// drain time), and returns.
///
/// # Errors
/// When the server fails.
pub async fn serve(
    listener: TcpListener,
    app: App,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    let (stop, stopped) = watch::channel(false);
    let worker = tokio::spawn(worker::run(
        app.services.clone(),
        app.outbox,
        app.reconcile_every,
        stopped,
    ));
    let stop_worker = stop.clone();
    let served = axum::serve(
        listener,
        app.router
            .into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(async move {
        shutdown.await;
        tracing::info!("shutting down: finishing requests and deliveries in flight");
        let _ = stop_worker.send(true);
    })
    .await
    .context("serving HTTP");
    let _ = stop.send(true);
    match tokio::time::timeout(app.outbox.drain, worker).await {
        Ok(_) => tracing::info!("deliveries drained"),
        Err(_) => tracing::warn!(
            "deliveries still in flight after the drain time; another worker takes them over when their lease ends"
        ),
    }
    served
}
