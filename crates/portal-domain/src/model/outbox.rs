//! The outbox: every side effect of a change (an email, a request for a
//! new link to fulfil) is written as a row in the same transaction as the
//! change, and delivered afterwards by a worker that retries with backoff
//! and survives restarts.

use std::net::IpAddr;

use chrono::{DateTime, Duration, Utc};

use super::email::EmailAddress;
use super::ids::{AccountId, ContactId, DocumentId, LinkId, OutboxId};
use super::mail::Email;

/// Where an outbox item stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum OutboxStatus {
    /// Waiting for its first delivery.
    Pending,
    /// Claimed by a worker, which is delivering it now.
    Sending,
    /// The last delivery failed; it is tried again at `next_attempt_at`.
    Failed,
    Sent,
    /// Given up after the last allowed attempt; an operator may retry it.
    Dead,
}

impl OutboxStatus {
    pub const ALL: [Self; 5] = [
        Self::Pending,
        Self::Sending,
        Self::Failed,
        Self::Sent,
        Self::Dead,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Sending => "sending",
            Self::Failed => "failed",
            Self::Sent => "sent",
            Self::Dead => "dead",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.as_str() == text)
    }
}

/// What caused an outbox item, for operators reading the outbox.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum OutboxTopic {
    /// A document emailed to a contact.
    DocumentSent,
    /// A fresh portal link emailed to a contact.
    PortalLink,
    /// A receipt for a payment.
    Receipt,
    /// A client asked for a new link: find their contacts and email them.
    LinkRequest,
}

impl OutboxTopic {
    pub const ALL: [Self; 4] = [
        Self::DocumentSent,
        Self::PortalLink,
        Self::Receipt,
        Self::LinkRequest,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::DocumentSent => "document_sent",
            Self::PortalLink => "portal_link",
            Self::Receipt => "receipt",
            Self::LinkRequest => "link_request",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|t| t.as_str() == text)
    }
}

/// A client's request for a new link, fulfilled by the outbox worker so
/// the page that took it answers the same whether or not the address is on
/// file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LinkRequestJob {
    pub email: EmailAddress,
    /// The contact and document of the dead link the request came from: a
    /// new link for that contact opens on that document again.
    pub previous: Option<(ContactId, DocumentId)>,
    pub ip: Option<IpAddr>,
    pub user_agent: Option<String>,
}

/// What an outbox item does when delivered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OutboxPayload {
    /// Send an email. With `link`, the email awaits that link's token,
    /// derived at delivery; if the email is given up on, the link is
    /// revoked with it.
    Email {
        email: Email,
        link: Option<LinkId>,
    },
    LinkRequest(LinkRequestJob),
}

/// One side effect waiting for (or done with) delivery.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutboxMessage {
    pub id: OutboxId,
    pub account_id: AccountId,
    pub topic: OutboxTopic,
    pub payload: OutboxPayload,
    pub status: OutboxStatus,
    /// Deliveries started so far (a claim counts, even if the worker died).
    pub attempts: u32,
    pub next_attempt_at: DateTime<Utc>,
    pub last_error: Option<String>,
    pub created_at: DateTime<Utc>,
    pub sent_at: Option<DateTime<Utc>>,
}

impl OutboxMessage {
    /// A new item, due at once.
    pub fn new(
        id: OutboxId,
        account_id: AccountId,
        topic: OutboxTopic,
        payload: OutboxPayload,
        now: DateTime<Utc>,
    ) -> Self {
        Self {
            id,
            account_id,
            topic,
            payload,
            status: OutboxStatus::Pending,
            attempts: 0,
            next_attempt_at: now,
            last_error: None,
            created_at: now,
            sent_at: None,
        }
    }

    /// The address the item is about: the email's recipient, or the
    /// address a new link was asked for.
    pub fn recipient(&self) -> &EmailAddress {
        match &self.payload {
            OutboxPayload::Email { email, .. } => &email.to,
            OutboxPayload::LinkRequest(job) => &job.email,
        }
    }

    /// The email's subject, if it is an email.
    pub fn subject(&self) -> Option<&str> {
        match &self.payload {
            OutboxPayload::Email { email, .. } => Some(&email.subject),
            OutboxPayload::LinkRequest(_) => None,
        }
    }
}

/// A worker's hold on the items it claimed. Settling an item needs the
/// claim it was taken with, so a worker whose lease ran out (and whose
/// items another worker took over) cannot overwrite the newer outcome.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ClaimToken(pub uuid::Uuid);

/// The outcome of one delivery.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Delivery {
    Sent {
        at: DateTime<Utc>,
    },
    /// Failed; try again at `retry_at`.
    Failed {
        at: DateTime<Utc>,
        error: String,
        retry_at: DateTime<Utc>,
    },
    /// Failed for the last time. The link it carried is revoked with it: no
    /// unused link outlives an email that never went.
    Dead {
        at: DateTime<Utc>,
        error: String,
        revoke_link: Option<LinkId>,
    },
}

/// How the outbox retries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OutboxPolicy {
    /// Deliveries tried before an item is dead.
    pub max_attempts: u32,
    /// The wait after the first failure; it doubles after each one.
    pub base_delay: Duration,
    /// The longest wait between two attempts.
    pub max_delay: Duration,
    /// How long a claim holds. A worker that dies mid-delivery loses its
    /// items to another worker once this runs out; it must exceed the
    /// longest delivery (the SMTP client gives up on a step after 30 s).
    pub lease: Duration,
    /// Items one worker claims at a time.
    pub batch: u32,
}

impl Default for OutboxPolicy {
    /// Eight attempts, 30 s doubling up to an hour (about four hours in
    /// all), two-minute leases.
    fn default() -> Self {
        Self {
            max_attempts: 8,
            base_delay: Duration::seconds(30),
            max_delay: Duration::hours(1),
            lease: Duration::minutes(2),
            batch: 10,
        }
    }
}

impl OutboxPolicy {
    /// The wait after failed attempt number `attempt` (1 for the first):
    /// exponential, capped, with "equal jitter" (half fixed, half random,
    /// from `random`), so workers that failed together do not retry
    /// together.
    pub fn backoff(&self, attempt: u32, random: u64) -> Duration {
        let base = self.base_delay.num_milliseconds().max(1);
        let cap = self.max_delay.num_milliseconds().max(base);
        let exponent = attempt.saturating_sub(1).min(40);
        let full = base.saturating_mul(1_i64 << exponent).min(cap);
        let half = full / 2;
        let jitter = i64::try_from(random % (u64::try_from(half).unwrap_or(0) + 1)).unwrap_or(0);
        Duration::milliseconds(full - half + jitter)
    }

    /// What to record after failed attempt number `attempt` at `now`.
    pub fn after_failure(
        &self,
        attempt: u32,
        now: DateTime<Utc>,
        error: String,
        link: Option<LinkId>,
        random: u64,
    ) -> Delivery {
        if attempt >= self.max_attempts {
            Delivery::Dead {
                at: now,
                error,
                revoke_link: link,
            }
        } else {
            Delivery::Failed {
                at: now,
                error,
                retry_at: now + self.backoff(attempt, random),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn backoff_doubles_and_stops_at_the_cap() {
        let policy = OutboxPolicy::default();
        // With no jitter the wait is half the full delay.
        assert_eq!(policy.backoff(1, 0), Duration::seconds(15));
        assert_eq!(policy.backoff(2, 0), Duration::seconds(30));
        assert_eq!(policy.backoff(3, 0), Duration::seconds(60));
        assert_eq!(policy.backoff(30, 0), Duration::minutes(30));
        assert_eq!(
            policy.backoff(30, u64::MAX - 7),
            policy.backoff(30, u64::MAX - 7)
        );
    }

    #[test]
    fn the_last_attempt_is_dead_and_revokes_its_link() {
        let policy = OutboxPolicy::default();
        let now = crate::testing::ts("2026-11-25T10:00:00Z");
        assert!(matches!(
            policy.after_failure(7, now, "x".into(), None, 1),
            Delivery::Failed { retry_at, .. } if retry_at > now
        ));
        let link = LinkId::from_uuid(uuid::Uuid::nil());
        assert_eq!(
            policy.after_failure(8, now, "x".into(), Some(link), 1),
            Delivery::Dead {
                at: now,
                error: "x".into(),
                revoke_link: Some(link)
            }
        );
    }

    proptest! {
        #[test]
        fn every_wait_is_between_half_and_all_of_the_capped_delay(attempt in 1u32..200, random in any::<u64>()) {
            let policy = OutboxPolicy::default();
            let wait = policy.backoff(attempt, random);
            let full = (policy.base_delay * 2_i32.pow(attempt.saturating_sub(1).min(20))).min(policy.max_delay);
            prop_assert!(wait >= full / 2 && wait <= full, "{wait} for {full}");
        }
    }
}
