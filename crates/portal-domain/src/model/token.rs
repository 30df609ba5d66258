//! Bearer secrets: magic-link tokens, session secrets and API keys.
//!
//! A secret is 256 random bits, shown to its holder once and stored only as
//! its SHA-256 ([`TokenHash`]). Because the secret is uniformly random, an
//! unsalted hash is enough: there is nothing to guess or precompute.

use std::fmt;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use secrecy::{ExposeSecret, SecretString};
use sha2::{Digest, Sha256};

use crate::ports::RandomSource;

const SECRET_BYTES: usize = 32;
/// Length of a secret's base64url text (32 bytes, no padding).
const SECRET_CHARS: usize = 43;

/// A random bearer secret in URL-safe text. Its `Debug` output is redacted.
pub struct Token(SecretString);

impl Token {
    pub fn generate(random: &dyn RandomSource) -> Self {
        let mut bytes = [0u8; SECRET_BYTES];
        random.fill(&mut bytes);
        Self::from_bytes(bytes)
    }

    /// The token of 32 secret bytes (random, or derived from the server
    /// key).
    pub(crate) fn from_bytes(bytes: [u8; SECRET_BYTES]) -> Self {
        Self(SecretString::from(URL_SAFE_NO_PAD.encode(bytes)))
    }

    /// Accepts exactly the text form [`Token::generate`] produces; anything
    /// else (wrong length, padding, other alphabets) is not a token.
    pub fn parse(text: &str) -> Option<Self> {
        if text.len() != SECRET_CHARS {
            return None;
        }
        let bytes = URL_SAFE_NO_PAD.decode(text).ok()?;
        // Canonical form only: the last character carries 2 spare bits.
        (URL_SAFE_NO_PAD.encode(&bytes) == text).then(|| Self(SecretString::from(text)))
    }

    /// The secret itself, for the one place that must show it (a URL, a
    /// cookie, a CLI's output).
    pub fn expose(&self) -> &str {
        self.0.expose_secret()
    }

    pub fn hash(&self) -> TokenHash {
        TokenHash(Sha256::digest(self.expose().as_bytes()).into())
    }
}

impl fmt::Debug for Token {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Token(<redacted>)")
    }
}

/// The SHA-256 of a [`Token`]: what the database keeps instead of it.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct TokenHash([u8; 32]);

impl TokenHash {
    /// Lower-case hexadecimal, as stored.
    pub fn to_hex(&self) -> String {
        use fmt::Write as _;
        self.0.iter().fold(String::with_capacity(64), |mut s, b| {
            let _ = write!(s, "{b:02x}");
            s
        })
    }

    pub fn from_hex(hex: &str) -> Option<Self> {
        if hex.len() != 64 || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
            return None;
        }
        let mut out = [0u8; 32];
        for (i, byte) in out.iter_mut().enumerate() {
            *byte = u8::from_str_radix(&hex[2 * i..2 * i + 2], 16).ok()?;
        }
        Some(Self(out))
    }
}

impl fmt::Debug for TokenHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "TokenHash({}…)", &self.to_hex()[..8])
    }
}

/// An operator API key: `psk_` followed by a [`Token`].
#[derive(Debug)]
pub struct ApiKey(Token);

impl ApiKey {
    const PREFIX: &'static str = "psk_";

    pub fn generate(random: &dyn RandomSource) -> Self {
        Self(Token::generate(random))
    }

    /// The first characters of the key, for telling keys apart in a list:
    /// the prefix and 8 of the 43 secret characters.
    pub fn display_prefix(&self) -> String {
        format!("{}{}", Self::PREFIX, &self.0.expose()[..8])
    }

    pub fn parse(text: &str) -> Option<Self> {
        text.strip_prefix(Self::PREFIX)
            .and_then(Token::parse)
            .map(Self)
    }

    /// The full key, prefix included: shown once, when it is created.
    pub fn reveal(&self) -> String {
        format!("{}{}", Self::PREFIX, self.0.expose())
    }

    pub fn hash(&self) -> TokenHash {
        self.0.hash()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::SeededRandom;
    use proptest::prelude::*;

    #[test]
    fn generated_tokens_parse_back_and_hash_stably() {
        let random = SeededRandom::new(1);
        let token = Token::generate(&random);
        assert_eq!(token.expose().len(), SECRET_CHARS);
        let parsed = Token::parse(token.expose()).unwrap();
        assert_eq!(parsed.hash(), token.hash());
        assert_eq!(
            TokenHash::from_hex(&token.hash().to_hex()),
            Some(token.hash())
        );
    }

    #[test]
    fn debug_output_never_shows_the_secret() {
        let random = SeededRandom::new(2);
        let token = Token::generate(&random);
        assert!(!format!("{token:?}").contains(token.expose()));
        let key = ApiKey::generate(&random);
        assert!(!format!("{key:?}").contains(&key.reveal()[4..]));
    }

    #[test]
    fn api_keys_carry_their_prefix() {
        let random = SeededRandom::new(3);
        let key = ApiKey::generate(&random);
        assert!(key.reveal().starts_with("psk_"));
        assert_eq!(ApiKey::parse(&key.reveal()).unwrap().hash(), key.hash());
        assert!(ApiKey::parse(&key.reveal()[4..]).is_none());
    }

    proptest! {
        #[test]
        fn arbitrary_text_is_never_mistaken_for_a_token(text in ".{0,64}") {
            if let Some(token) = Token::parse(&text) {
                prop_assert_eq!(token.expose(), text.as_str());
                prop_assert_eq!(text.len(), SECRET_CHARS);
            }
        }

        #[test]
        fn distinct_seeds_give_distinct_tokens(a in any::<u64>(), b in any::<u64>()) {
            prop_assume!(a != b);
            let ta = Token::generate(&SeededRandom::new(a));
            let tb = Token::generate(&SeededRandom::new(b));
            prop_assert_ne!(ta.hash(), tb.hash());
        }
    }
}
