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
    /// The longest text a cursor has.
    pub const MAX_LEN: usize = 80;

    pub fn new(at: DateTime<Utc>, id: Uuid) -> Self {
        Self { at, id }
    }

    pub fn encode(&self) -> String {
        URL_SAFE_NO_PAD.encode(format!(
            "1:{}:{}",
            self.at.timestamp_micros(),
            self.id.hyphenated()
        ))
    }

    /// # Errors
    /// When `text` is not a cursor this API handed out.
    pub fn parse(field: &str, text: &str) -> Result<Self, ValidationError> {
        let invalid = || {
            ValidationError::new(
                field,
                "must be a cursor from the `next_cursor` of an earlier page",
            )
        };
        if text.len() > Self::MAX_LEN {
            return Err(invalid());
        }
        let decoded = URL_SAFE_NO_PAD.decode(text).map_err(|_| invalid())?;
        let decoded = String::from_utf8(decoded).map_err(|_| invalid())?;
        let mut parts = decoded.split(':');
        let (Some("1"), Some(micros), Some(id), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(invalid());
        };
        let micros: i64 = micros.parse().map_err(|_| invalid())?;
        let at = DateTime::from_timestamp_micros(micros).ok_or_else(invalid)?;
        let id = Uuid::try_parse(id).map_err(|_| invalid())?;
        Ok(Self { at, id })
    }
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
        assert!(cursor.encode().len() <= Cursor::MAX_LEN);
        for bad in ["", "abc", "MTp4Ong", &"A".repeat(200), "1:2:3"] {
            assert!(Cursor::parse("cursor", bad).is_err(), "{bad}");
        }
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
