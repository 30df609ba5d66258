//! Identifiers of every entity: UUIDs minted from the [`RandomSource`] port.

use std::fmt;
use std::str::FromStr;

use uuid::Uuid;

use crate::ports::RandomSource;

/// A string that is not a well-formed identifier.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{0}` is not a valid identifier")]
pub struct InvalidId(String);

macro_rules! id_type {
    ($(#[$meta:meta])* $name:ident) => {
        $(#[$meta])*
        #[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $name(Uuid);

        impl $name {
            /// Mints a fresh random (version 4) identifier.
            pub fn generate(random: &dyn RandomSource) -> Self {
                let mut bytes = [0u8; 16];
                random.fill(&mut bytes);
                Self(uuid::Builder::from_random_bytes(bytes).into_uuid())
            }

            /// Wraps an identifier read back from storage.
            pub const fn from_uuid(uuid: Uuid) -> Self {
                Self(uuid)
            }

            /// The identifier as a UUID.
            pub const fn as_uuid(&self) -> Uuid {
                self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                fmt::Display::fmt(&self.0.hyphenated(), f)
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, concat!(stringify!($name), "({})"), self.0.hyphenated())
            }
        }

        impl FromStr for $name {
            type Err = InvalidId;

            /// Accepts the hyphenated form only, so an id has one spelling.
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                if s.len() != 36 {
                    return Err(InvalidId(truncate(s)));
                }
                Uuid::try_parse(s)
                    .map(Self)
                    .map_err(|_| InvalidId(truncate(s)))
            }
        }
    };
}

fn truncate(s: &str) -> String {
    s.chars().take(64).collect()
}

id_type!(
    /// A business using the portal to bill its clients.
    AccountId
);
id_type!(
    /// An operator API key.
    ApiKeyId
);
id_type!(
    /// A client company of an account.
    ClientId
);
id_type!(
    /// A billing contact of a client company.
    ContactId
);
id_type!(
    /// An invoice, estimate or contract.
    DocumentId
);
id_type!(
    /// A single-use magic link.
    LinkId
);
id_type!(
    /// A portal session (a `crm_client_portal_sessions` record).
    SessionId
);
id_type!(
    /// One entry of the audit trail.
    AuditEventId
);
id_type!(
    /// One request for a fresh link, kept for rate limiting.
    LinkRequestId
);
id_type!(
    /// A payment received from a client.
    PaymentId
);
id_type!(
    /// A refund of (part of) a payment.
    RefundId
);
id_type!(
    /// A processor connection of an account (minted anew on every connect).
    ConnectionId
);
id_type!(
    /// A payment method saved at a processor, as the portal records it.
    PaymentMethodId
);
id_type!(
    /// A pay form's one-time token.
    CheckoutId
);
id_type!(
    /// A side effect waiting in the outbox: an email, or a request for a
    /// new link to fulfil.
    OutboxId
);

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::SeededRandom;

    #[test]
    fn ids_round_trip_through_their_text_form() {
        let random = SeededRandom::new(7);
        let id = ClientId::generate(&random);
        assert_eq!(id.to_string().parse::<ClientId>(), Ok(id));
        assert_eq!(id.as_uuid().get_version_num(), 4);
    }

    #[test]
    fn malformed_ids_are_rejected() {
        for bad in ["", "123", "not-a-uuid", "67e5504410b1426f9247bb680e5fe0c8"] {
            assert!(bad.parse::<DocumentId>().is_err(), "{bad}");
        }
        let long = "x".repeat(10_000);
        let err = long.parse::<DocumentId>().unwrap_err();
        assert!(err.to_string().len() < 100);
    }
}
