//! What every handler can reach: the portal's services, the HTTP settings
//! and the metrics the HTTP layer keeps.

use std::sync::Arc;
use std::time::Duration;

use portal_domain::Services;

use crate::metrics::Metrics;

/// Settings of the HTTP layer itself.
#[derive(Debug, Clone)]
pub struct HttpConfig {
    /// Mark cookies `Secure` and name the session cookie with the
    /// `__Host-` prefix (the public URL is https).
    pub secure_cookies: bool,
    /// Take the client's IP from the last `X-Forwarded-For` entry (only
    /// behind a reverse proxy that sets it).
    pub trust_forwarded_for: bool,
    /// The largest request body accepted, in bytes.
    pub body_limit: usize,
    /// The public URL's origin (`https://billing.example.com`): form posts
    /// from it are accepted even when a proxy rewrites the `Host` header.
    pub public_origin: Option<String>,
    /// How long a request waits for another one with the same
    /// `Idempotency-Key` to finish before answering `409
    /// request_in_progress`.
    pub idempotency_wait: Duration,
}

impl Default for HttpConfig {
    fn default() -> Self {
        Self {
            secure_cookies: false,
            trust_forwarded_for: false,
            body_limit: 64 * 1024,
            public_origin: None,
            idempotency_wait: Duration::from_secs(5),
        }
    }
}

/// Shared state of the router.
#[derive(Debug, Clone)]
pub struct AppState {
    pub services: Services,
    pub config: Arc<HttpConfig>,
    pub metrics: Arc<Metrics>,
}

impl AppState {
    /// The state for `services` with fresh metrics.
    pub fn new(services: Services, config: HttpConfig) -> Self {
        Self {
            services,
            config: Arc::new(config),
            metrics: Arc::new(Metrics::default()),
        }
    }

    /// The session cookie's name: `__Host-` prefixed when served over TLS,
    /// so no subdomain or plain-HTTP page can set or shadow it.
    pub fn cookie_name(&self) -> &'static str {
        if self.config.secure_cookies {
            "__Host-portal_session"
        } else {
            "portal_session"
        }
    }
}
