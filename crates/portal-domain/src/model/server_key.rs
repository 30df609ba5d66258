//! The server key: one 256-bit secret the deployment holds outside its
//! database, from which the portal derives magic-link tokens and the key
//! that seals stored secrets. A dump of the database alone reveals no
//! usable link and no sealed secret.

use std::fmt;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chacha20poly1305::aead::{Aead, Payload};
use chacha20poly1305::{KeyInit, XChaCha20Poly1305};
use hmac::{Hmac, Mac};
use sha2::Sha256;

use super::ids::LinkId;
use super::token::Token;
use crate::ports::RandomSource;

type HmacSha256 = Hmac<Sha256>;

/// Length of a sealed value's nonce (XChaCha20-Poly1305).
const NONCE_BYTES: usize = 24;

/// The deployment's secret. Never printed by `Debug`.
#[derive(Clone)]
pub struct ServerKey {
    links: [u8; 32],
    seal: [u8; 32],
}

/// A sealed value that does not open: tampered with, truncated, or sealed
/// under another key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("the sealed value cannot be opened with this server key")]
pub struct SealError;

impl ServerKey {
    /// The key in its text form: 32 bytes in unpadded base64url.
    pub const TEXT_LEN: usize = 43;

    /// A key from 32 secret bytes. Each use gets a subkey of its own.
    pub fn from_bytes(secret: [u8; 32]) -> Self {
        let derive = |label: &[u8]| -> [u8; 32] {
            let mut mac = <HmacSha256 as hmac::KeyInit>::new_from_slice(&secret)
                .unwrap_or_else(|_| unreachable!("HMAC takes keys of any length"));
            mac.update(label);
            mac.finalize().into_bytes().into()
        };
        Self {
            links: derive(b"portal magic-link tokens v1"),
            seal: derive(b"portal sealed values v1"),
        }
    }

    /// A fresh random key.
    pub fn generate(random: &dyn RandomSource) -> ([u8; 32], Self) {
        let mut bytes = [0u8; 32];
        random.fill(&mut bytes);
        (bytes, Self::from_bytes(bytes))
    }

    /// Reads the text form (what `PORTAL_SECRET_KEY` and the key file hold).
    pub fn parse(text: &str) -> Option<Self> {
        let bytes = URL_SAFE_NO_PAD.decode(text.trim()).ok()?;
        let bytes: [u8; 32] = bytes.try_into().ok()?;
        Some(Self::from_bytes(bytes))
    }

    /// The text form of 32 key bytes.
    pub fn encode(secret: &[u8; 32]) -> String {
        URL_SAFE_NO_PAD.encode(secret)
    }

    /// The token of link `link`: the same every time it is asked for, so an
    /// email delivered again carries the same working link, and only the
    /// holder of this key can make it.
    pub fn link_token(&self, link: LinkId) -> Token {
        let mut mac = <HmacSha256 as hmac::KeyInit>::new_from_slice(&self.links)
            .unwrap_or_else(|_| unreachable!("HMAC takes keys of any length"));
        mac.update(link.as_uuid().as_bytes());
        Token::from_bytes(mac.finalize().into_bytes().into())
    }

    /// A public name for this key: the stores keep it so that a process
    /// started with another key is refused instead of minting links that
    /// open nowhere. It reveals nothing of the key.
    pub fn fingerprint(&self) -> String {
        let mut mac = <HmacSha256 as hmac::KeyInit>::new_from_slice(&self.links)
            .unwrap_or_else(|_| unreachable!("HMAC takes keys of any length"));
        mac.update(b"portal server key fingerprint v1");
        let digest: [u8; 32] = mac.finalize().into_bytes().into();
        digest[..16].iter().map(|b| format!("{b:02x}")).collect()
    }

    /// Seals `plaintext` so it can be stored: confidential and
    /// tamper-evident, bound to `context` (what the value is for), opened
    /// only with [`ServerKey::open`] and the same context.
    pub fn seal(&self, random: &dyn RandomSource, context: &[u8], plaintext: &[u8]) -> Vec<u8> {
        let mut nonce = [0u8; NONCE_BYTES];
        random.fill(&mut nonce);
        let cipher = XChaCha20Poly1305::new(&self.seal.into());
        let sealed = cipher
            .encrypt(
                &nonce.into(),
                Payload {
                    msg: plaintext,
                    aad: context,
                },
            )
            .unwrap_or_else(|_| unreachable!("encryption has no failure for in-memory buffers"));
        let mut out = nonce.to_vec();
        out.extend_from_slice(&sealed);
        out
    }

    /// # Errors
    /// [`SealError`] when the value was not sealed by this key for
    /// `context`, or was changed since.
    pub fn open(&self, context: &[u8], sealed: &[u8]) -> Result<Vec<u8>, SealError> {
        if sealed.len() < NONCE_BYTES {
            return Err(SealError);
        }
        let (nonce, ciphertext) = sealed.split_at(NONCE_BYTES);
        let nonce: [u8; NONCE_BYTES] = nonce.try_into().map_err(|_| SealError)?;
        let cipher = XChaCha20Poly1305::new(&self.seal.into());
        cipher
            .decrypt(
                &nonce.into(),
                Payload {
                    msg: ciphertext,
                    aad: context,
                },
            )
            .map_err(|_| SealError)
    }
}

impl fmt::Debug for ServerKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ServerKey(<redacted>)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::SeededRandom;

    #[test]
    fn link_tokens_are_stable_per_link_and_key() {
        let random = SeededRandom::new(5);
        let (bytes, key) = ServerKey::generate(&random);
        let (_, other) = ServerKey::generate(&random);
        let link = LinkId::generate(&random);
        let token = key.link_token(link);
        assert_eq!(token.hash(), key.link_token(link).hash());
        assert!(Token::parse(token.expose()).is_some());
        assert_ne!(token.hash(), other.link_token(link).hash());
        assert_ne!(
            token.hash(),
            key.link_token(LinkId::generate(&random)).hash()
        );
        assert_eq!(key.fingerprint().len(), 32);
        assert_eq!(
            key.fingerprint(),
            ServerKey::parse(&ServerKey::encode(&bytes))
                .unwrap()
                .fingerprint()
        );
        assert_ne!(key.fingerprint(), other.fingerprint());
    }

    #[test]
    fn sealed_values_open_only_with_their_key_and_context() {
        let random = SeededRandom::new(6);
        let (bytes, key) = ServerKey::generate(&random);
        let sealed = key.seal(&random, b"idempotency", b"{\"api_key\":\"psk_x\"}");
        assert!(!sealed.windows(5).any(|w| w == b"psk_x"));
        assert_eq!(
            key.open(b"idempotency", &sealed).unwrap(),
            b"{\"api_key\":\"psk_x\"}"
        );
        assert_eq!(key.open(b"other", &sealed), Err(SealError));
        let mut tampered = sealed.clone();
        *tampered.last_mut().unwrap() ^= 1;
        assert_eq!(key.open(b"idempotency", &tampered), Err(SealError));
        assert_eq!(key.open(b"idempotency", &sealed[..10]), Err(SealError));
        let (_, other) = ServerKey::generate(&random);
        assert_eq!(other.open(b"idempotency", &sealed), Err(SealError));
        // The text form round-trips.
        let text = ServerKey::encode(&bytes);
        assert_eq!(text.len(), ServerKey::TEXT_LEN);
        let again = ServerKey::parse(&text).unwrap();
        assert_eq!(again.open(b"idempotency", &sealed).unwrap().len(), 19);
        assert!(ServerKey::parse("short").is_none());
        assert!(!format!("{key:?}").contains(&text));
    }
}
