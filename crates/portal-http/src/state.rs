//! What every handler can reach: the portal's services, the HTTP settings,
//! the metrics the HTTP layer keeps, and the test processor's 3-D Secure
//! challenges where the deployment offers that processor.

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

/// Finishes a 3-D Secure challenge of the in-process test processor, as
/// its challenge box in the portal does when the cardholder presses
/// "Complete authentication" or "Fail authentication". Only the test
/// processor has one; a deployment without it leaves
/// [`AppState::test_challenges`] empty and the box answers "not found".
pub trait TestChallenges: Send + Sync {
    /// Passes (`succeed`) or fails the challenge of the charge waiting
    /// with `client_secret`; answers whether the test processor knew it.
    fn authenticate(&self, client_secret: &str, succeed: bool) -> bool;
}

impl<F> TestChallenges for F
where
    F: Fn(&str, bool) -> bool + Send + Sync,
{
    fn authenticate(&self, client_secret: &str, succeed: bool) -> bool {
        self(client_secret, succeed)
    }
}

/// Shared state of the router. Every extractor of a request clones it, so
/// each part is behind an `Arc`: a clone is a few counter increments.
#[derive(Clone)]
pub struct AppState {
    pub services: Arc<Services>,
    pub config: Arc<HttpConfig>,
    pub metrics: Arc<Metrics>,
    /// The test processor's challenges, where the deployment offers it.
    pub test_challenges: Option<Arc<dyn TestChallenges>>,
}

impl std::fmt::Debug for AppState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AppState")
            .field("services", &self.services)
            .field("config", &self.config)
            .field("test_challenges", &self.test_challenges.is_some())
            .finish_non_exhaustive()
    }
}

impl AppState {
    /// The state for `services` with fresh metrics.
    pub fn new(services: Services, config: HttpConfig) -> Self {
        Self {
            services: Arc::new(services),
            config: Arc::new(config),
            metrics: Arc::new(Metrics::default()),
            test_challenges: None,
        }
    }

    /// The same state, exposing the store's SQL statement count on
    /// `/metrics` (as `portal_sql_statements_total`).
    #[must_use]
    pub fn with_statement_count(mut self, statements: crate::metrics::StatementCount) -> Self {
        self.metrics = Arc::new(Metrics::with_statements(statements));
        self
    }

    /// The same state, with the test processor's challenges.
    #[must_use]
    pub fn with_test_challenges(mut self, challenges: Arc<dyn TestChallenges>) -> Self {
        self.test_challenges = Some(challenges);
        self
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
