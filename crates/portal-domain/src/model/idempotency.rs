//! Idempotent operator requests: a request sent again with the same
//! `Idempotency-Key` gets the first one's answer instead of doing the work
//! twice.

use std::fmt;

use chrono::{DateTime, Duration, Utc};
use sha2::{Digest, Sha256};

use super::ids::AccountId;
use super::text::ValidationError;

/// How long an answer is kept for replay.
pub const IDEMPOTENCY_RETENTION: Duration = Duration::hours(24);

/// How long a request may hold its key before another may take it over
/// (the first one's process died mid-request).
pub const IDEMPOTENCY_LEASE: Duration = Duration::minutes(5);

/// A client-chosen key naming one logical request: 1 to 255 visible ASCII
/// characters (a UUID is the usual choice).
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct IdempotencyKey(String);

impl IdempotencyKey {
    pub const MAX_LEN: usize = 255;
    /// The pattern a key matches (for the API description).
    pub const PATTERN: &'static str = "^[\\x21-\\x7E]{1,255}$";

    /// # Errors
    /// Empty, longer than 255 characters, or not visible ASCII.
    pub fn parse(field: &str, text: &str) -> Result<Self, ValidationError> {
        if text.is_empty()
            || text.len() > Self::MAX_LEN
            || !text.bytes().all(|b| b.is_ascii_graphic())
        {
            return Err(ValidationError::new(
                field,
                "must be 1 to 255 visible ASCII characters, such as a UUID",
            ));
        }
        Ok(Self(text.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for IdempotencyKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "IdempotencyKey({})", self.0)
    }
}

/// What makes two requests "the same": method, path and body, hashed.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Fingerprint([u8; 32]);

impl Fingerprint {
    pub fn of(method: &str, path: &str, body: &[u8]) -> Self {
        let mut hash = Sha256::new();
        for part in [method.as_bytes(), path.as_bytes()] {
            hash.update((part.len() as u64).to_be_bytes());
            hash.update(part);
        }
        hash.update(body);
        Self(hash.finalize().into())
    }

    pub fn to_hex(&self) -> String {
        self.0.iter().map(|b| format!("{b:02x}")).collect()
    }

    pub fn from_hex(hex: &str) -> Option<Self> {
        if hex.len() != 64 || !hex.is_ascii() {
            return None;
        }
        let mut out = [0u8; 32];
        for (i, byte) in out.iter_mut().enumerate() {
            *byte = u8::from_str_radix(&hex[2 * i..2 * i + 2], 16).ok()?;
        }
        Some(Self(out))
    }
}

impl fmt::Debug for Fingerprint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Fingerprint({}…)", &self.to_hex()[..8])
    }
}

/// An answer kept for replay. Its body may hold a secret shown once (a
/// new API key, a session link), so the store keeps it sealed.
#[derive(Clone, PartialEq, Eq)]
pub struct StoredResponse {
    pub status: u16,
    pub content_type: String,
    /// Sealed with the server key; opened only to replay it.
    pub sealed_body: Vec<u8>,
}

impl fmt::Debug for StoredResponse {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StoredResponse")
            .field("status", &self.status)
            .finish_non_exhaustive()
    }
}

/// Where a request under a key stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IdempotencyState {
    /// Being handled, by the holder of `claim`, until `lease_until` at the
    /// latest.
    InProgress {
        claim: uuid::Uuid,
        lease_until: DateTime<Utc>,
    },
    Completed(StoredResponse),
}

/// A key's record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdempotencyRecord {
    pub account_id: AccountId,
    pub key: IdempotencyKey,
    pub fingerprint: Fingerprint,
    pub state: IdempotencyState,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
}

impl IdempotencyRecord {
    /// Whether a new request may take this key over at `now`: the record
    /// expired, or its request's holder stopped without finishing.
    pub fn is_stale(&self, now: DateTime<Utc>) -> bool {
        now >= self.expires_at
            || matches!(self.state, IdempotencyState::InProgress { lease_until, .. } if now >= lease_until)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_visible_ascii_of_bounded_length() {
        assert!(IdempotencyKey::parse("k", "3f1c6f1e-2b8a-4c55-9d2e-0f6b8f1a9c77").is_ok());
        for bad in ["", " ", "a b", "é", "x\n", &"a".repeat(256)] {
            assert!(IdempotencyKey::parse("k", bad).is_err(), "{bad:?}");
        }
        assert!(IdempotencyKey::parse("k", &"a".repeat(255)).is_ok());
    }

    #[test]
    fn fingerprints_tell_method_path_and_body_apart() {
        let a = Fingerprint::of("POST", "/api/crm/clients", b"{}");
        assert_eq!(a, Fingerprint::of("POST", "/api/crm/clients", b"{}"));
        assert_ne!(a, Fingerprint::of("POST", "/api/crm/clients", b"{ }"));
        assert_ne!(a, Fingerprint::of("POST", "/api/crm/contacts", b"{}"));
        // The boundary between path and body is not ambiguous.
        assert_ne!(
            Fingerprint::of("POST", "/a", b"b"),
            Fingerprint::of("POST", "/ab", b"")
        );
        assert_eq!(Fingerprint::from_hex(&a.to_hex()), Some(a));
    }
}
