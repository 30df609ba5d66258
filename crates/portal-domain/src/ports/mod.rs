//! The ports: what the domain needs from the outside world. Adapters
//! implement them; the domain never names an adapter.
//!
//! Every store method is one atomic unit: it either happens completely or
//! not at all, and the methods that resolve a race (redeeming a link,
//! committing a [`Batch`]) say how they decide it.

mod batch;
mod mail;
mod processor;
mod render;
mod store;

use chrono::{DateTime, Utc};

pub use crate::model::Email;
pub use batch::{Batch, Write};
pub use mail::{MailError, Mailer};
pub use processor::*;
pub use render::{Pdf, RenderError, Renderer};
pub use store::*;

/// The current time. Behind a port so expiry rules are testable.
pub trait Clock: Send + Sync {
    /// Now, in UTC, with at most microsecond precision (what every store
    /// keeps), so a value read back compares equal to the one written.
    fn now(&self) -> DateTime<Utc>;
}

/// Cryptographically secure random bytes, for tokens and identifiers.
pub trait RandomSource: Send + Sync {
    fn fill(&self, dest: &mut [u8]);

    /// A random number, for jitter.
    fn next_u64(&self) -> u64 {
        let mut bytes = [0u8; 8];
        self.fill(&mut bytes);
        u64::from_le_bytes(bytes)
    }
}

/// A failure of the store, in the domain's terms.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// A uniqueness rule the caller can act on.
    #[error("{0}")]
    Conflict(Conflict),
    /// The store could not do the work (unreachable, broken, corrupt).
    #[error("the store failed")]
    Backend(#[source] Box<dyn std::error::Error + Send + Sync>),
}

/// Which rule a write broke.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum Conflict {
    #[error("a document of this kind with this number already exists")]
    DocumentNumber,
    #[error("this client already has a contact with this email")]
    ContactEmail,
    #[error("the client's portal is closed")]
    PortalClosed,
}

pub type StoreResult<T> = Result<T, StoreError>;
