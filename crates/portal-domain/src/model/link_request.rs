//! Requests for a fresh link from the "email me a new link" page, and the
//! limits that keep that page from being used to flood inboxes.

use std::net::IpAddr;

use chrono::{DateTime, Duration, Utc};

use super::email::EmailAddress;
use super::ids::LinkRequestId;

/// One request, kept (for a day) only to count.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LinkRequest {
    pub id: LinkRequestId,
    pub email: EmailAddress,
    pub ip: Option<IpAddr>,
    pub requested_at: DateTime<Utc>,
}

/// How many requests the store saw in the policy's window, this one
/// included.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct LinkRequestCounts {
    pub from_ip: u64,
    pub for_email: u64,
}

/// Limits on link requests, counted over a sliding window in the shared
/// store so they hold across server processes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LinkRequestPolicy {
    pub window: Duration,
    pub per_ip: u64,
    pub per_email: u64,
}

impl Default for LinkRequestPolicy {
    /// Ten requests an hour from one address, three an hour for one email.
    fn default() -> Self {
        Self {
            window: Duration::hours(1),
            per_ip: 10,
            per_email: 3,
        }
    }
}

impl LinkRequestPolicy {
    pub fn allows(&self, counts: LinkRequestCounts) -> bool {
        counts.from_ip <= self.per_ip && counts.for_email <= self.per_email
    }
}

/// How long request records are kept: long enough for any window.
pub const LINK_REQUEST_RETENTION: Duration = Duration::days(1);
