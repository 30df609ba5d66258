//! Paging through lists: a bounded page size and an opaque cursor that
//! names the last item seen, so every list reads in a stable order however
//! rows are added meanwhile.

use std::fmt;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::text::ValidationError;

/// The smallest and largest page a list serves.
pub const PAGE_LIMITS: (u32, u32) = (1, 100);
/// The page size when none is asked for.
pub const DEFAULT_PAGE_LIMIT: u32 = 50;

/// Where the last page ended: the sort key of its last item (a time and an
/// id, the id breaking ties). Opaque to API clients.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Cursor {
    pub at: DateTime<Utc>,
    pub id: Uuid,
}

impl Cursor {
    /// The length of every cursor's text: 24 bytes (the time in
    /// microseconds, then the id) in unpadded base64url.
    pub const LEN: usize = 32;
    /// The pattern a cursor's text matches, and every text matching it is
    /// a cursor.
    pub const PATTERN: &'static str = "^[A-Za-z0-9_-]{32}$";

    pub fn new(at: DateTime<Utc>, id: Uuid) -> Self {
        Self { at, id }
    }

    pub fn encode(&self) -> String {
        let mut bytes = [0u8; 24];
        bytes[..8].copy_from_slice(&self.at.timestamp_micros().to_be_bytes());
        bytes[8..].copy_from_slice(self.id.as_bytes());
        URL_SAFE_NO_PAD.encode(bytes)
    }

    /// Any text of the cursor's shape names a position in a list, so a
    /// client cannot send a well-formed cursor that is refused. A time
    /// outside the years 0 to 9999, which no store holds, reads as the
    /// nearest end of that range: the page after it is the same.
    ///
    /// # Errors
    /// When `text` does not match [`Cursor::PATTERN`].
    pub fn parse(field: &str, text: &str) -> Result<Self, ValidationError> {
        let invalid = || {
            ValidationError::new(
                field,
                "must be a cursor from the `next_cursor` of an earlier page",
            )
        };
        let shaped = text.len() == Self::LEN
            && text
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
        if !shaped {
            return Err(invalid());
        }
        let bytes = URL_SAFE_NO_PAD.decode(text).map_err(|_| invalid())?;
        let (micros, id) = bytes.split_at_checked(8).ok_or_else(invalid)?;
        let micros = i64::from_be_bytes(micros.try_into().map_err(|_| invalid())?);
        let id = Uuid::from_slice(id).map_err(|_| invalid())?;
        let (first, last) = Self::TIMES;
        let at = DateTime::from_timestamp_micros(micros.clamp(first, last)).ok_or_else(invalid)?;
        Ok(Self { at, id })
    }

    /// The first and last microsecond of the years 0 to 9999.
    const TIMES: (i64, i64) = (-62_167_219_200_000_000, 253_402_300_799_999_999);
}

impl fmt::Debug for Cursor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Cursor({}, {})", self.at.to_rfc3339(), self.id)
    }
}

/// Which page of a list to read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PageRequest {
    /// Items after this one, in the list's order; from the start when
    /// `None`.
    pub after: Option<Cursor>,
    limit: u32,
}

impl PageRequest {
    /// # Errors
    /// A limit outside [`PAGE_LIMITS`].
    pub fn new(after: Option<Cursor>, limit: Option<u32>) -> Result<Self, ValidationError> {
        let limit = limit.unwrap_or(DEFAULT_PAGE_LIMIT);
        let (min, max) = PAGE_LIMITS;
        if !(min..=max).contains(&limit) {
            return Err(ValidationError::new(
                "limit",
                format!("must be between {min} and {max}"),
            ));
        }
        Ok(Self { after, limit })
    }

    /// The first page of `limit` items.
    ///
    /// # Panics
    /// When `limit` is outside [`PAGE_LIMITS`]: a programming error.
    pub fn first(limit: u32) -> Self {
        Self::new(None, Some(limit)).unwrap_or_else(|e| panic!("{e}"))
    }

    pub fn limit(&self) -> u32 {
        self.limit
    }

    /// How many rows a store reads: one more than the page, to tell
    /// whether another page follows.
    pub fn fetch(&self) -> i64 {
        i64::from(self.limit) + 1
    }
}

/// One page of a list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Page<T> {
    pub items: Vec<T>,
    /// Where the next page starts; `None` on the last page.
    pub next: Option<Cursor>,
}

impl<T> Page<T> {
    /// The page from what a store read for `request` (up to one item more
    /// than the page), with `key` giving an item's cursor.
    pub fn from_rows(mut rows: Vec<T>, request: &PageRequest, key: impl Fn(&T) -> Cursor) -> Self {
        let limit = request.limit as usize;
        let more = rows.len() > limit;
        rows.truncate(limit);
        let next = if more { rows.last().map(key) } else { None };
        Self { items: rows, next }
    }

    pub fn map<U>(self, f: impl FnMut(T) -> U) -> Page<U> {
        Page {
            items: self.items.into_iter().map(f).collect(),
            next: self.next,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::ts;

    #[test]
    fn cursors_round_trip_and_refuse_anything_else() {
        let cursor = Cursor::new(ts("2026-11-25T10:15:30.123456Z"), Uuid::nil());
        assert_eq!(Cursor::parse("cursor", &cursor.encode()), Ok(cursor));
        assert_eq!(cursor.encode().len(), Cursor::LEN);
        let early = Cursor::new(ts("1969-07-20T20:17:40Z"), Uuid::from_u128(u128::MAX));
        assert_eq!(Cursor::parse("cursor", &early.encode()), Ok(early));
        for bad in [
            "",
            "abc",
            "MTp4Ong",
            &"A".repeat(33),
            &"A".repeat(31),
            &format!("{}=", "A".repeat(31)),
            &format!("{}+", "A".repeat(31)),
            "1:2:3",
        ] {
            assert!(Cursor::parse("cursor", bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn every_text_of_the_cursor_shape_is_a_position() {
        let (first, last) = Cursor::TIMES;
        assert_eq!(
            DateTime::from_timestamp_micros(first).map(|t| t.to_rfc3339()),
            Some("0000-01-01T00:00:00+00:00".to_owned())
        );
        assert_eq!(
            DateTime::from_timestamp_micros(last + 1).map(|t| t.to_rfc3339()),
            Some("+10000-01-01T00:00:00+00:00".to_owned())
        );
        for text in [
            "A".repeat(32),
            "_".repeat(32),
            "-".repeat(32),
            "z".repeat(32),
        ] {
            let cursor = Cursor::parse("cursor", &text).unwrap();
            let micros = cursor.at.timestamp_micros();
            assert!((first..=last).contains(&micros), "{text}: {cursor:?}");
        }
        // All ones: -1 microsecond, kept as it is.
        let cursor = Cursor::parse("cursor", &"_".repeat(32)).unwrap();
        assert_eq!(cursor.at.timestamp_micros(), -1);
        assert_eq!(cursor.id, Uuid::from_u128(u128::MAX));
        // 0x7f…: far past the year 9999, read as its last microsecond.
        let cursor = Cursor::parse("cursor", &format!("f{}", "_".repeat(31))).unwrap();
        assert_eq!(cursor.at.timestamp_micros(), last);
    }

    #[test]
    fn limits_are_checked_not_clamped() {
        assert_eq!(
            PageRequest::new(None, None).unwrap().limit(),
            DEFAULT_PAGE_LIMIT
        );
        assert_eq!(PageRequest::new(None, Some(0)).unwrap_err().field, "limit");
        assert!(PageRequest::new(None, Some(101)).is_err());
        assert_eq!(PageRequest::new(None, Some(100)).unwrap().fetch(), 101);
    }

    #[test]
    fn a_page_knows_whether_more_follow() {
        let request = PageRequest::first(2);
        let key =
            |n: &u32| Cursor::new(ts("2026-01-01T00:00:00Z"), Uuid::from_u128(u128::from(*n)));
        let page = Page::from_rows(vec![1, 2, 3], &request, key);
        assert_eq!(page.items, vec![1, 2]);
        assert_eq!(page.next, Some(key(&2)));
        let last = Page::from_rows(vec![1, 2], &request, key);
        assert_eq!(last.next, None);
    }
}
