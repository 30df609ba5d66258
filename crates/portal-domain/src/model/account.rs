//! The account (the business that bills) and its portal settings.

use std::fmt;

use chrono::{DateTime, Duration, Utc};

use super::branding::AccentColour;
use super::ids::{AccountId, ApiKeyId};
use super::text::{Address, Name, PaymentInstructions, ValidationError};
use super::token::TokenHash;

/// A business using the portal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Account {
    pub id: AccountId,
    pub name: Name,
    pub settings: AccountSettings,
    /// Seeded demo data, re-linked on every start of a development server.
    pub demo: bool,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// An operator API key as stored: its hash, never the key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiKeyRecord {
    pub id: ApiKeyId,
    pub account_id: AccountId,
    /// What the operator calls it ("Accounting sync").
    pub name: Name,
    /// The key's first characters (`psk_AbCd1234`), enough to recognise it
    /// and far too few to use it. Unknown for keys made before prefixes
    /// were kept.
    pub prefix: Option<String>,
    pub key_hash: TokenHash,
    pub created_at: DateTime<Utc>,
    pub revoked_at: Option<DateTime<Utc>>,
}

impl ApiKeyRecord {
    pub fn is_active(&self) -> bool {
        self.revoked_at.is_none()
    }
}

/// An IANA time zone (`Europe/Paris`). Every date a client sees, and
/// whether an invoice is overdue, is reckoned in the account's zone.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct TimeZone(chrono_tz::Tz);

impl TimeZone {
    pub const UTC: Self = Self(chrono_tz::Tz::UTC);

    /// # Errors
    /// When `name` is not an IANA time zone name.
    pub fn parse(field: &str, name: &str) -> Result<Self, ValidationError> {
        name.parse::<chrono_tz::Tz>().map(Self).map_err(|_| {
            ValidationError::new(
                field,
                "must be an IANA time zone such as Europe/Paris or UTC",
            )
        })
    }

    pub fn name(&self) -> &'static str {
        self.0.name()
    }

    /// The calendar day it is at `now` in this zone.
    pub fn today(&self, now: DateTime<Utc>) -> chrono::NaiveDate {
        now.with_timezone(&self.0).date_naive()
    }

    /// The first instant of `date` in this zone (the first instant after
    /// midnight where a clock change skips it).
    pub fn start_of(&self, date: chrono::NaiveDate) -> DateTime<Utc> {
        use chrono::TimeZone as _;
        let mut at = date.and_time(chrono::NaiveTime::MIN);
        for _ in 0..24 {
            if let Some(local) = self.0.from_local_datetime(&at).earliest() {
                return local.with_timezone(&Utc);
            }
            at += Duration::hours(1);
        }
        at.and_utc()
    }

    /// The date of `at` in this zone.
    pub fn date_of(&self, at: DateTime<Utc>) -> chrono::NaiveDate {
        at.with_timezone(&self.0).date_naive()
    }

    /// `now` in this zone, for showing a time.
    pub fn local(&self, at: DateTime<Utc>) -> chrono::NaiveDateTime {
        at.with_timezone(&self.0).naive_local()
    }

    /// The zone's abbreviation at `at` (`CET`, `EST`, `UTC`), or its offset.
    pub fn abbreviation(&self, at: DateTime<Utc>) -> String {
        at.with_timezone(&self.0).format("%Z").to_string()
    }

    /// Every zone name, for API descriptions.
    pub fn names() -> impl Iterator<Item = &'static str> {
        chrono_tz::TZ_VARIANTS.iter().map(|tz| tz.name())
    }
}

impl fmt::Debug for TimeZone {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl fmt::Display for TimeZone {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// How long links and sessions last, and where the portal is reached.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccountSettings {
    /// Absolute lifetime of a session from the moment its link is redeemed.
    pub session_lifetime: Duration,
    /// A session unused for this long ends, even within its lifetime.
    pub idle_timeout: Duration,
    /// How long an unused magic link stays redeemable.
    pub link_lifetime: Duration,
    /// The portal's address for this account's clients; the server's own
    /// public URL when unset.
    pub public_url: Option<PublicUrl>,
    /// The zone the account's dates are in.
    pub time_zone: TimeZone,
    /// Whether clients may pay less than an invoice's whole balance in
    /// the portal.
    pub allow_partial_payments: bool,
    /// The business's postal address, under its name on every document.
    pub address: Option<Address>,
    /// The colour of headings and rules on documents.
    pub accent_colour: AccentColour,
    /// How to pay without the portal: printed on invoice PDFs, and sent
    /// instead of a link to clients whose portal is off.
    pub payment_instructions: Option<PaymentInstructions>,
}

/// Inclusive bounds of each duration setting.
pub const SESSION_LIFETIME_BOUNDS: (Duration, Duration) = (Duration::hours(1), Duration::days(90));
pub const IDLE_TIMEOUT_BOUNDS: (Duration, Duration) = (Duration::minutes(5), Duration::days(90));
pub const LINK_LIFETIME_BOUNDS: (Duration, Duration) = (Duration::minutes(15), Duration::days(30));

impl Default for AccountSettings {
    /// Seven-day sessions that end after two idle days; links valid for
    /// fourteen days, long enough for an invoice that waits in an inbox.
    fn default() -> Self {
        Self {
            session_lifetime: Duration::days(7),
            idle_timeout: Duration::days(2),
            link_lifetime: Duration::days(14),
            public_url: None,
            time_zone: TimeZone::UTC,
            allow_partial_payments: false,
            address: None,
            accent_colour: AccentColour::DEFAULT,
            payment_instructions: None,
        }
    }
}

/// A partial update of [`AccountSettings`]; `None` keeps a value.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SettingsPatch {
    pub session_lifetime: Option<Duration>,
    pub idle_timeout: Option<Duration>,
    pub link_lifetime: Option<Duration>,
    /// `Some(None)` clears the account's own URL.
    pub public_url: Option<Option<PublicUrl>>,
    pub time_zone: Option<TimeZone>,
    pub allow_partial_payments: Option<bool>,
    /// `Some(None)` clears the address.
    pub address: Option<Option<Address>>,
    pub accent_colour: Option<AccentColour>,
    /// `Some(None)` clears the instructions.
    pub payment_instructions: Option<Option<PaymentInstructions>>,
}

impl AccountSettings {
    /// Applies `patch` and checks the result as a whole.
    ///
    /// # Errors
    /// A duration outside its bounds, or an idle timeout longer than the
    /// session lifetime.
    pub fn apply(&self, patch: SettingsPatch) -> Result<Self, ValidationError> {
        let next = Self {
            session_lifetime: patch.session_lifetime.unwrap_or(self.session_lifetime),
            idle_timeout: patch.idle_timeout.unwrap_or(self.idle_timeout),
            link_lifetime: patch.link_lifetime.unwrap_or(self.link_lifetime),
            public_url: patch.public_url.unwrap_or_else(|| self.public_url.clone()),
            time_zone: patch.time_zone.unwrap_or(self.time_zone),
            allow_partial_payments: patch
                .allow_partial_payments
                .unwrap_or(self.allow_partial_payments),
            address: patch.address.unwrap_or_else(|| self.address.clone()),
            accent_colour: patch.accent_colour.unwrap_or(self.accent_colour),
            payment_instructions: patch
                .payment_instructions
                .unwrap_or_else(|| self.payment_instructions.clone()),
        };
        next.validate()?;
        Ok(next)
    }

    /// # Errors
    /// As for [`AccountSettings::apply`].
    pub fn validate(&self) -> Result<(), ValidationError> {
        check_bounds(
            "session_lifetime_seconds",
            self.session_lifetime,
            SESSION_LIFETIME_BOUNDS,
        )?;
        check_bounds(
            "idle_timeout_seconds",
            self.idle_timeout,
            IDLE_TIMEOUT_BOUNDS,
        )?;
        check_bounds(
            "link_lifetime_seconds",
            self.link_lifetime,
            LINK_LIFETIME_BOUNDS,
        )?;
        if self.idle_timeout > self.session_lifetime {
            return Err(ValidationError::new(
                "idle_timeout_seconds",
                "must not be longer than the session lifetime",
            ));
        }
        Ok(())
    }
}

fn check_bounds(
    field: &str,
    value: Duration,
    (min, max): (Duration, Duration),
) -> Result<(), ValidationError> {
    if value < min || value > max {
        return Err(ValidationError::new(
            field,
            format!(
                "must be between {} and {} seconds",
                min.num_seconds(),
                max.num_seconds()
            ),
        ));
    }
    Ok(())
}

/// The base URL the portal is reached at: `http(s)://host[:port]`, no path
/// (the portal's routes are at the root of its host), no query, no
/// fragment.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct PublicUrl(String);

impl PublicUrl {
    /// The longest URL taken, in characters as sent.
    pub const MAX_CHARS: usize = 200;

    /// # Errors
    /// When `value` is not an absolute http(s) URL of that shape.
    pub fn parse(field: &str, value: &str) -> Result<Self, ValidationError> {
        let invalid = |why: &str| ValidationError::new(field, why.to_owned());
        if value.chars().count() > Self::MAX_CHARS {
            return Err(invalid("must be at most 200 characters"));
        }
        let value = value.trim().trim_end_matches('/');
        let rest = value
            .strip_prefix("https://")
            .or_else(|| value.strip_prefix("http://"))
            .ok_or_else(|| invalid("must start with https:// or http://"))?;
        if value.chars().any(|c| c.is_control() || c.is_whitespace()) {
            return Err(invalid("must not contain spaces or control characters"));
        }
        if value.contains(['?', '#', '@', '\\']) {
            return Err(invalid("must not contain a query, fragment or credentials"));
        }
        let (host_port, path) = rest.split_once('/').unwrap_or((rest, ""));
        if !path.is_empty() {
            return Err(invalid(
                "must not have a path: the portal is served at the root of its host",
            ));
        }
        let (host, port) = match host_port.rfind(':') {
            Some(i) if !host_port[i..].contains(']') => {
                (&host_port[..i], Some(&host_port[i + 1..]))
            }
            _ => (host_port, None),
        };
        if port.is_some_and(|port| port.parse::<u16>().is_err()) {
            return Err(invalid("has an invalid port"));
        }
        if host.is_empty() {
            return Err(invalid("must name a host"));
        }
        Ok(Self(value.to_owned()))
    }

    /// What a URL matches once trimmed (ECMA-262 and Python alike): the
    /// rules of [`PublicUrl::parse`], length aside. A host is anything but
    /// spaces, control characters and `/?#@\`; after its last `:` comes a
    /// port (0 to 65535, as a `u16` is read) unless a `]` does (an IPv6
    /// address).
    pub fn pattern() -> String {
        const NOT_HOST: &str =
            r"\u0000-\u0020\u007F-\u00A0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000/?#@\\";
        const PORT: &str = r"\+?0*(?:[0-9]{1,4}|[1-5][0-9]{4}|6[0-4][0-9]{3}|65[0-4][0-9]{2}|655[0-2][0-9]|6553[0-5])";
        let any = format!("[^{NOT_HOST}]");
        let no_colon = format!("[^{NOT_HOST}:]");
        let no_colon_bracket = format!(r"[^{NOT_HOST}:\]]");
        format!(
            r"^https?://(?:{no_colon}+|{any}*:{no_colon_bracket}*\]{no_colon}*|{any}+:{PORT})/*$"
        )
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Whether the portal is served over TLS (cookies are then `Secure`).
    pub fn is_https(&self) -> bool {
        self.0.starts_with("https://")
    }

    /// `self` joined with an absolute path such as `/l/abc`.
    pub fn join(&self, path: &str) -> String {
        format!("{}{path}", self.0)
    }

    /// Scheme, host and port: what a browser sends as `Origin`. A public
    /// URL has no path, so that is the whole URL.
    pub fn origin(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for PublicUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_valid_and_seven_days() {
        let settings = AccountSettings::default();
        settings.validate().unwrap();
        assert_eq!(settings.session_lifetime, Duration::days(7));
        assert_eq!(settings.time_zone, TimeZone::UTC);
    }

    #[test]
    fn time_zones_are_iana_names_and_set_the_day() {
        let paris = TimeZone::parse("time_zone", "Europe/Paris").unwrap();
        assert_eq!(paris.name(), "Europe/Paris");
        let late = crate::testing::ts("2026-11-25T23:30:00Z");
        assert_eq!(TimeZone::UTC.today(late).to_string(), "2026-11-25");
        assert_eq!(paris.today(late).to_string(), "2026-11-26");
        assert_eq!(paris.abbreviation(late), "CET");
        for bad in [
            "",
            "Mars/Olympus",
            "europe/paris",
            " UTC",
            "<script>",
            "+01:00",
        ] {
            assert!(TimeZone::parse("time_zone", bad).is_err(), "{bad}");
        }
        assert!(TimeZone::names().any(|n| n == "America/New_York"));
    }

    #[test]
    fn patches_are_checked_as_a_whole() {
        let settings = AccountSettings::default();
        let shorter = settings
            .apply(SettingsPatch {
                session_lifetime: Some(Duration::days(1)),
                idle_timeout: Some(Duration::hours(2)),
                ..SettingsPatch::default()
            })
            .unwrap();
        assert_eq!(shorter.session_lifetime, Duration::days(1));
        assert_eq!(shorter.link_lifetime, settings.link_lifetime);

        let err = settings
            .apply(SettingsPatch {
                session_lifetime: Some(Duration::hours(1)),
                ..SettingsPatch::default()
            })
            .unwrap_err();
        assert_eq!(err.field, "idle_timeout_seconds");

        for (patch, field) in [
            (
                SettingsPatch {
                    session_lifetime: Some(Duration::minutes(5)),
                    ..Default::default()
                },
                "session_lifetime_seconds",
            ),
            (
                SettingsPatch {
                    session_lifetime: Some(Duration::days(365)),
                    ..Default::default()
                },
                "session_lifetime_seconds",
            ),
            (
                SettingsPatch {
                    link_lifetime: Some(Duration::seconds(1)),
                    ..Default::default()
                },
                "link_lifetime_seconds",
            ),
            (
                SettingsPatch {
                    idle_timeout: Some(Duration::seconds(-1)),
                    ..Default::default()
                },
                "idle_timeout_seconds",
            ),
        ] {
            assert_eq!(settings.apply(patch).unwrap_err().field, field);
        }
    }

    #[test]
    fn public_urls_are_normalised_and_checked() {
        let url = PublicUrl::parse("public_url", " https://billing.example.com/ ").unwrap();
        assert_eq!(url.as_str(), "https://billing.example.com");
        assert!(url.is_https());
        assert_eq!(url.origin(), "https://billing.example.com");
        assert_eq!(url.join("/l/x"), "https://billing.example.com/l/x");
        assert!(PublicUrl::parse("public_url", "http://[::1]:8080").is_ok());
        let local = PublicUrl::parse("public_url", "http://127.0.0.1:8080").unwrap();
        assert_eq!(local.origin(), "http://127.0.0.1:8080");
        assert!(!local.is_https());
        for bad in [
            "",
            "ftp://example.com",
            "example.com",
            "https://",
            "https://exa mple.com",
            "https://example.com/?q=1",
            "https://user@example.com",
            "https://example.com:99999",
            "https://example.com/portal",
            "javascript:alert(1)",
        ] {
            assert!(PublicUrl::parse("public_url", bad).is_err(), "{bad}");
        }
    }

    /// The edges [`PublicUrl::pattern`] states, one by one.
    #[test]
    fn the_url_pattern_states_each_rule() {
        for good in [
            "http://a",
            "https://h:0",
            "https://h:+443",
            "https://h:0000065535",
            "http://[::1]",
            "http://[::1]:1",
            "http://a:b]c",
            "http://h:1:2",
            "http://b\u{fc}cher.example//",
            "http://<x>",
        ] {
            assert!(PublicUrl::parse("public_url", good).is_ok(), "{good}");
        }
        for bad in [
            "http://h:",
            "http://h:65536",
            "http://h:-1",
            "http://:80",
            "http://a\u{a0}b",
            "http://a\u{3000}b",
            "http://a\u{85}b",
            r"http://a\b",
            "HTTP://a",
            "http:///",
        ] {
            assert!(PublicUrl::parse("public_url", bad).is_err(), "{bad}");
        }
        // Characters as sent, trailing slashes and spaces included.
        let longest = format!("https://{}/", "\u{e9}".repeat(PublicUrl::MAX_CHARS - 9));
        assert!(PublicUrl::parse("public_url", &longest).is_ok());
        assert!(PublicUrl::parse("public_url", &format!("{longest}/")).is_err());
        assert!(PublicUrl::parse("public_url", &format!("{longest} ")).is_err());
        let pattern = PublicUrl::pattern();
        assert!(
            pattern.starts_with(r"^https?://(?:[^\u0000-\u0020"),
            "{pattern}"
        );
        assert!(pattern.ends_with("|6553[0-5]))/*$"), "{pattern}");
    }
}
