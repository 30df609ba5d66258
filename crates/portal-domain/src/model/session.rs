//! Portal sessions: the `crm_client_portal_sessions` records a redeemed
//! magic link creates, with their absolute and idle timeouts.

use std::net::IpAddr;

use chrono::{DateTime, Duration, Utc};

use super::ids::{AccountId, ClientId, ContactId, LinkId, SessionId};
use super::link::MagicLink;
use super::request::ClientInfo;

/// A session of one contact in their company's portal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PortalSession {
    pub id: SessionId,
    pub account_id: AccountId,
    pub client_id: ClientId,
    pub contact_id: ContactId,
    /// The magic link that created (or will activate) this session.
    pub link_id: LinkId,
    pub created_at: DateTime<Utc>,
    /// When its link was redeemed; `None` while an API-created session
    /// waits for its link.
    pub activated_at: Option<DateTime<Utc>>,
    /// The absolute end. Before activation: when the activating link
    /// expires.
    pub expires_at: DateTime<Utc>,
    pub last_seen_at: Option<DateTime<Utc>>,
    pub revoked_at: Option<DateTime<Utc>>,
    pub revoke_reason: Option<RevokeReason>,
    pub ip: Option<IpAddr>,
    pub user_agent: Option<String>,
}

/// Where a session stands, as the operator API reports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SessionStatus {
    /// Created through the API; its link has not been used yet.
    Pending,
    Active,
    /// Past its absolute end or its idle timeout (or, while pending, its
    /// link expired).
    Expired,
    Revoked,
}

impl SessionStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Active => "active",
            Self::Expired => "expired",
            Self::Revoked => "revoked",
        }
    }
}

/// Why a session was ended early.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RevokeReason {
    /// The client signed out.
    SignedOut,
    /// An operator ended it.
    Operator,
    /// The client's portal access was turned off.
    PortalDisabled,
    /// The same browser redeemed another link.
    Replaced,
    /// The contact was deactivated, or its email changed.
    ContactChanged,
}

impl RevokeReason {
    pub const ALL: [Self; 5] = [
        Self::SignedOut,
        Self::Operator,
        Self::PortalDisabled,
        Self::Replaced,
        Self::ContactChanged,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::SignedOut => "signed_out",
            Self::Operator => "operator",
            Self::PortalDisabled => "portal_disabled",
            Self::Replaced => "replaced",
            Self::ContactChanged => "contact_changed",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|r| r.as_str() == text)
    }
}

/// How often a live session's last-seen time is written: idle timeouts
/// are minutes to days, so a minute of slack saves a write per request.
pub const TOUCH_INTERVAL: Duration = Duration::minutes(1);

impl PortalSession {
    /// A session that `link` will start, created at `created_at` and
    /// waiting for the link until the link expires.
    pub fn pending(id: SessionId, link: &MagicLink, created_at: DateTime<Utc>) -> Self {
        Self {
            id,
            account_id: link.account_id,
            client_id: link.client_id,
            contact_id: link.contact_id,
            link_id: link.id,
            created_at,
            activated_at: None,
            expires_at: link.expires_at,
            last_seen_at: None,
            revoked_at: None,
            revoke_reason: None,
            ip: None,
            user_agent: None,
        }
    }

    /// This session, started at `now` for `lifetime` by the browser `info`.
    #[must_use]
    pub fn activate(self, now: DateTime<Utc>, lifetime: Duration, info: &ClientInfo) -> Self {
        Self {
            activated_at: Some(now),
            expires_at: now + lifetime,
            last_seen_at: Some(now),
            ip: info.ip,
            user_agent: info.user_agent.clone(),
            ..self
        }
    }

    /// The session's status at `now` under an account's `idle_timeout`.
    pub fn status(&self, now: DateTime<Utc>, idle_timeout: Duration) -> SessionStatus {
        if self.revoked_at.is_some() {
            return SessionStatus::Revoked;
        }
        if now >= self.expires_at {
            return SessionStatus::Expired;
        }
        let Some(activated_at) = self.activated_at else {
            return SessionStatus::Pending;
        };
        let last_activity = self.last_seen_at.unwrap_or(activated_at);
        if now >= last_activity + idle_timeout {
            SessionStatus::Expired
        } else {
            SessionStatus::Active
        }
    }

    /// Whether a request at `now` should record itself as the session's
    /// last activity.
    pub fn needs_touch(&self, now: DateTime<Utc>) -> bool {
        let last = self.last_seen_at.or(self.activated_at);
        last.is_none_or(|last| now - last >= TOUCH_INTERVAL)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{SeededRandom, ts};
    use proptest::prelude::*;

    fn session(activated: bool) -> PortalSession {
        let random = SeededRandom::new(4);
        let start = ts("2026-11-01T00:00:00Z");
        PortalSession {
            id: SessionId::generate(&random),
            account_id: AccountId::generate(&random),
            client_id: ClientId::generate(&random),
            contact_id: ContactId::generate(&random),
            link_id: LinkId::generate(&random),
            created_at: start,
            activated_at: activated.then_some(start),
            expires_at: start + Duration::days(7),
            last_seen_at: None,
            revoked_at: None,
            revoke_reason: None,
            ip: None,
            user_agent: None,
        }
    }

    #[test]
    fn a_session_is_active_until_idle_or_absolute_expiry() {
        let idle = Duration::days(2);
        let mut s = session(true);
        assert_eq!(
            s.status(ts("2026-11-01T12:00:00Z"), idle),
            SessionStatus::Active
        );
        assert_eq!(
            s.status(ts("2026-11-03T00:00:00Z"), idle),
            SessionStatus::Expired
        );
        s.last_seen_at = Some(ts("2026-11-06T00:00:00Z"));
        assert_eq!(
            s.status(ts("2026-11-07T23:59:59Z"), idle),
            SessionStatus::Active
        );
        assert_eq!(
            s.status(ts("2026-11-08T00:00:00Z"), idle),
            SessionStatus::Expired
        );
    }

    #[test]
    fn revocation_wins_and_pending_sessions_wait_for_their_link() {
        let idle = Duration::days(2);
        let mut pending = session(false);
        assert_eq!(
            pending.status(ts("2026-11-05T00:00:00Z"), idle),
            SessionStatus::Pending
        );
        assert_eq!(
            pending.status(ts("2026-11-08T00:00:00Z"), idle),
            SessionStatus::Expired
        );
        pending.revoked_at = Some(ts("2026-11-01T01:00:00Z"));
        assert_eq!(
            pending.status(ts("2026-11-01T02:00:00Z"), idle),
            SessionStatus::Revoked
        );
    }

    #[test]
    fn touches_are_throttled_to_one_a_minute() {
        let mut s = session(true);
        assert!(!s.needs_touch(ts("2026-11-01T00:00:30Z")));
        assert!(s.needs_touch(ts("2026-11-01T00:01:00Z")));
        s.last_seen_at = Some(ts("2026-11-01T00:01:00Z"));
        assert!(!s.needs_touch(ts("2026-11-01T00:01:59Z")));
    }

    proptest! {
        #[test]
        fn no_session_is_active_at_or_after_its_absolute_end(
            idle_minutes in 5i64..=129_600,
            seen_offset in 0i64..=10_080,
            probe_offset in 0i64..=20_000,
        ) {
            let mut s = session(true);
            let start = s.activated_at.unwrap();
            s.last_seen_at = Some(start + Duration::minutes(seen_offset));
            let now = start + Duration::minutes(probe_offset);
            let status = s.status(now, Duration::minutes(idle_minutes));
            if now >= s.expires_at {
                prop_assert_eq!(status, SessionStatus::Expired);
            }
            if status == SessionStatus::Active {
                prop_assert!(now < s.expires_at);
                prop_assert!(now < s.last_seen_at.unwrap() + Duration::minutes(idle_minutes));
            }
        }
    }
}
