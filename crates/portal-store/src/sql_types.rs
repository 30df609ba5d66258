//! Column types that map to each backend's natural type: `uuid` and
//! `timestamptz` on PostgreSQL, text in one fixed, sortable form on SQLite.
//! One diesel schema then serves both backends.

use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::deserialize::{self, FromSql, FromSqlRow};
use diesel::expression::AsExpression;
use diesel::pg::{Pg, PgValue};
use diesel::serialize::{self, IsNull, Output, ToSql};
use diesel::sql_types::{Text, Timestamptz};
use diesel::sqlite::{Sqlite, SqliteValue};
use uuid::Uuid;

/// A UUID column.
#[derive(
    Debug, Clone, Copy, Default, diesel::sql_types::SqlType, diesel::query_builder::QueryId,
)]
#[diesel(postgres_type(oid = 2950, array_oid = 2951))]
#[diesel(sqlite_type(name = "Text"))]
pub struct DbUuid;

/// A UTC instant column, kept to the microsecond.
#[derive(
    Debug, Clone, Copy, Default, diesel::sql_types::SqlType, diesel::query_builder::QueryId,
)]
#[diesel(postgres_type(oid = 1184, array_oid = 1185))]
#[diesel(sqlite_type(name = "Text"))]
pub struct UtcTime;

/// A value of a [`DbUuid`] column.
#[derive(Debug, Clone, Copy, PartialEq, Eq, AsExpression, FromSqlRow)]
#[diesel(sql_type = DbUuid)]
pub struct Id(pub Uuid);

/// A value of a [`UtcTime`] column.
#[derive(Debug, Clone, Copy, PartialEq, Eq, AsExpression, FromSqlRow)]
#[diesel(sql_type = UtcTime)]
pub struct Time(pub DateTime<Utc>);

/// The SQLite text form: fixed width, so text order is time order.
const SQLITE_TIME_FORMAT: &str = "%Y-%m-%dT%H:%M:%S%.6fZ";

impl ToSql<DbUuid, Pg> for Id {
    fn to_sql<'b>(&'b self, out: &mut Output<'b, '_, Pg>) -> serialize::Result {
        <Uuid as ToSql<diesel::sql_types::Uuid, Pg>>::to_sql(&self.0, out)
    }
}

impl FromSql<DbUuid, Pg> for Id {
    fn from_sql(bytes: PgValue<'_>) -> deserialize::Result<Self> {
        <Uuid as FromSql<diesel::sql_types::Uuid, Pg>>::from_sql(bytes).map(Self)
    }
}

impl ToSql<DbUuid, Sqlite> for Id {
    fn to_sql<'b>(&'b self, out: &mut Output<'b, '_, Sqlite>) -> serialize::Result {
        out.set_value(self.0.hyphenated().to_string());
        Ok(IsNull::No)
    }
}

impl FromSql<DbUuid, Sqlite> for Id {
    fn from_sql(value: SqliteValue<'_, '_, '_>) -> deserialize::Result<Self> {
        let text = <String as FromSql<Text, Sqlite>>::from_sql(value)?;
        Ok(Self(Uuid::try_parse(&text)?))
    }
}

impl ToSql<UtcTime, Pg> for Time {
    fn to_sql<'b>(&'b self, out: &mut Output<'b, '_, Pg>) -> serialize::Result {
        <DateTime<Utc> as ToSql<Timestamptz, Pg>>::to_sql(&self.0, out)
    }
}

impl FromSql<UtcTime, Pg> for Time {
    fn from_sql(bytes: PgValue<'_>) -> deserialize::Result<Self> {
        <DateTime<Utc> as FromSql<Timestamptz, Pg>>::from_sql(bytes).map(Self)
    }
}

impl ToSql<UtcTime, Sqlite> for Time {
    fn to_sql<'b>(&'b self, out: &mut Output<'b, '_, Sqlite>) -> serialize::Result {
        out.set_value(self.0.format(SQLITE_TIME_FORMAT).to_string());
        Ok(IsNull::No)
    }
}

impl FromSql<UtcTime, Sqlite> for Time {
    fn from_sql(value: SqliteValue<'_, '_, '_>) -> deserialize::Result<Self> {
        let text = <String as FromSql<Text, Sqlite>>::from_sql(value)?;
        Ok(Self(parse_sqlite_time(&text)?))
    }
}

/// Reads the SQLite text form of an instant. Every instant the store
/// writes has exactly [`SQLITE_TIME_FORMAT`]'s fixed width, which is read
/// digit by digit (a list page reads thousands of them); anything else
/// falls back to the general parser, so a hand-edited value still reads.
pub(crate) fn parse_sqlite_time(text: &str) -> Result<DateTime<Utc>, chrono::ParseError> {
    fixed_width_time(text.as_bytes()).map_or_else(
        || NaiveDateTime::parse_from_str(text, SQLITE_TIME_FORMAT).map(|t| t.and_utc()),
        Ok,
    )
}

/// `YYYY-MM-DDTHH:MM:SS.ffffffZ`, or `None` when `b` has another shape.
fn fixed_width_time(b: &[u8]) -> Option<DateTime<Utc>> {
    let separators = [
        (4, b'-'),
        (7, b'-'),
        (10, b'T'),
        (13, b':'),
        (16, b':'),
        (19, b'.'),
        (26, b'Z'),
    ];
    if b.len() != 27 || separators.iter().any(|(i, c)| b[*i] != *c) {
        return None;
    }
    let number = |from: usize, to: usize| -> Option<u32> {
        b[from..to].iter().try_fold(0u32, |n, d| {
            d.is_ascii_digit().then(|| n * 10 + u32::from(d - b'0'))
        })
    };
    let date = chrono::NaiveDate::from_ymd_opt(
        i32::try_from(number(0, 4)?).ok()?,
        number(5, 7)?,
        number(8, 10)?,
    )?;
    let time = chrono::NaiveTime::from_hms_micro_opt(
        number(11, 13)?,
        number(14, 16)?,
        number(17, 19)?,
        number(20, 26)?,
    )?;
    Some(date.and_time(time).and_utc())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sqlite_times_read_back_exactly() {
        for text in [
            "2026-11-26T12:34:56.123456Z",
            "0001-01-01T00:00:00.000000Z",
            "9999-12-31T23:59:59.999999Z",
            "2024-02-29T00:00:00.000001Z",
        ] {
            let fast = parse_sqlite_time(text).unwrap();
            let general = NaiveDateTime::parse_from_str(text, SQLITE_TIME_FORMAT)
                .unwrap()
                .and_utc();
            assert_eq!(fast, general, "{text}");
            assert_eq!(fast.format(SQLITE_TIME_FORMAT).to_string(), text);
        }
        // Not the fixed form: the general parser decides.
        assert!(parse_sqlite_time("2023-02-29T00:00:00.000000Z").is_err());
        assert!(parse_sqlite_time("2026-11-26T12:34:5x.123456Z").is_err());
        assert!(parse_sqlite_time("").is_err());
    }

    #[test]
    fn sqlite_times_sort_as_text_in_time_order() {
        let times = [
            "2026-11-25T10:00:00Z",
            "2026-11-25T10:00:00.000001Z",
            "2026-11-25T10:00:00.5Z",
            "2026-11-25T10:00:01Z",
            "2099-01-01T00:00:00Z",
        ];
        let texts: Vec<String> = times
            .iter()
            .map(|t| {
                DateTime::parse_from_rfc3339(t)
                    .unwrap()
                    .with_timezone(&Utc)
                    .format(SQLITE_TIME_FORMAT)
                    .to_string()
            })
            .collect();
        let mut sorted = texts.clone();
        sorted.sort();
        assert_eq!(sorted, texts);
        assert_eq!(texts[2], "2026-11-25T10:00:00.500000Z");
    }
}
