//! Hand-written SQL that the connection prepares once and reuses.
//!
//! The hot paths read in one statement what diesel's query builder would
//! need several for (a page of one list beside a page of another, with
//! sums from other tables). diesel's own `sql_query` would do, but is never
//! cached: every run would prepare the statement again, and on PostgreSQL
//! that is one more round trip. A [`CachedSql`] is SQL text with `?` where
//! each bind parameter goes; diesel writes each backend's placeholder, and
//! caches the prepared statement by its text like any built query.

use diesel::QueryResult;
use diesel::backend::Backend;
use diesel::query_builder::{AstPass, Query, QueryFragment, QueryId};
use diesel::serialize::ToSql;
use diesel::sql_types::{HasSqlType, Nullable, Text, Untyped};

use crate::sql_types::{DbUuid, Id, Time, UtcTime};

/// One bind parameter's value.
#[derive(Debug, Clone)]
pub(crate) enum Bind {
    Id(Id),
    Time(Time),
    /// A row limit, written into the text as an integer literal rather
    /// than bound: SQLite prepares a statement again every time a `LIMIT`
    /// parameter is bound (its planner reads the value), which for the
    /// overview costs more than running it. Each distinct limit is its own
    /// cached statement; limits come from page sizes, so there are few.
    Limit(u32),
    Text(String),
    OptionalId(Option<Id>),
    OptionalTime(Option<Time>),
    OptionalText(Option<String>),
}

/// A statement's text and its bind parameters, in order.
#[derive(Debug, Clone)]
pub(crate) struct CachedSql {
    /// The text between bind parameters: one more piece than binds.
    pieces: Vec<&'static str>,
    binds: Vec<Bind>,
}

impl CachedSql {
    /// `sql` with one `?` per bind, in order; `sql` must hold no other
    /// question mark.
    ///
    /// # Panics
    /// When the number of `?` differs from the number of binds: a
    /// programming error every test of the statement would show.
    pub(crate) fn new(sql: &'static str, binds: Vec<Bind>) -> Self {
        let pieces: Vec<&'static str> = sql.split('?').collect();
        assert_eq!(
            pieces.len(),
            binds.len() + 1,
            "a CachedSql has one bind per placeholder"
        );
        Self { pieces, binds }
    }

    /// The statement as PostgreSQL text with every bind written in as a
    /// literal: what a load generator (pgbench) runs to measure the
    /// database's own ceiling for it.
    pub(crate) fn postgres_literal(&self) -> String {
        let mut sql = String::new();
        for (i, piece) in self.pieces.iter().enumerate() {
            sql.push_str(piece);
            if let Some(bind) = self.binds.get(i) {
                sql.push_str(&bind.postgres_literal());
            }
        }
        sql
    }
}

impl Bind {
    /// The value as a PostgreSQL literal of its type.
    fn postgres_literal(&self) -> String {
        let id = |id: &Id| format!("'{}'::uuid", id.0);
        let time = |at: &Time| format!("'{}'::timestamptz", at.0.format("%Y-%m-%dT%H:%M:%S%.6fZ"));
        let text = |text: &str| format!("'{}'", text.replace('\'', "''"));
        match self {
            Self::Id(value) => id(value),
            Self::Time(value) => time(value),
            Self::Limit(n) => n.to_string(),
            Self::Text(value) => text(value),
            Self::OptionalId(value) => value.as_ref().map_or_else(|| "NULL::uuid".into(), id),
            Self::OptionalTime(value) => value
                .as_ref()
                .map_or_else(|| "NULL::timestamptz".into(), time),
            Self::OptionalText(value) => value.as_deref().map_or_else(|| "NULL::text".into(), text),
        }
    }
}

impl<DB> QueryFragment<DB> for CachedSql
where
    DB: Backend + HasSqlType<DbUuid> + HasSqlType<UtcTime> + HasSqlType<Text>,
    Id: ToSql<DbUuid, DB>,
    Time: ToSql<UtcTime, DB>,
    String: ToSql<Text, DB>,
{
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, DB>) -> QueryResult<()> {
        for (i, piece) in self.pieces.iter().enumerate() {
            out.push_sql(piece);
            match self.binds.get(i) {
                Some(Bind::Id(value)) => out.push_bind_param::<DbUuid, _>(value)?,
                Some(Bind::Time(value)) => out.push_bind_param::<UtcTime, _>(value)?,
                Some(Bind::Limit(n)) => out.push_sql(&n.to_string()),
                Some(Bind::Text(value)) => out.push_bind_param::<Text, _>(value)?,
                Some(Bind::OptionalId(value)) => {
                    out.push_bind_param::<Nullable<DbUuid>, _>(value)?;
                }
                Some(Bind::OptionalTime(value)) => {
                    out.push_bind_param::<Nullable<UtcTime>, _>(value)?;
                }
                Some(Bind::OptionalText(value)) => {
                    out.push_bind_param::<Nullable<Text>, _>(value)?;
                }
                None => {}
            }
        }
        Ok(())
    }
}

/// No static id: diesel caches the statement by its SQL text.
impl QueryId for CachedSql {
    type QueryId = ();
    const HAS_STATIC_QUERY_ID: bool = false;
}

/// Rows come back by column name (`QueryableByName`).
impl Query for CachedSql {
    type SqlType = Untyped;
}

#[cfg(test)]
mod tests {
    use diesel::pg::Pg;
    use diesel::sqlite::Sqlite;

    use super::{Bind, CachedSql};
    use crate::sql_types::Id;

    #[test]
    fn limits_are_written_into_the_text_and_other_values_bound() {
        let id = Id(uuid::Uuid::nil());
        let query = CachedSql::new(
            "SELECT id FROM t WHERE id = ? LIMIT ?",
            vec![Bind::Id(id), Bind::Limit(26)],
        );
        let sqlite = diesel::debug_query::<Sqlite, _>(&query).to_string();
        assert!(
            sqlite.starts_with("SELECT id FROM t WHERE id = ? LIMIT 26 -- binds: ["),
            "{sqlite}"
        );
        let binds = sqlite.split("-- binds:").nth(1).unwrap_or_default();
        assert!(!binds.contains("26"), "the limit is not a bind: {sqlite}");
        let postgres = diesel::debug_query::<Pg, _>(&query).to_string();
        assert!(
            postgres.starts_with("SELECT id FROM t WHERE id = $1 LIMIT 26 -- binds: ["),
            "{postgres}"
        );
        assert!(
            query.postgres_literal().ends_with("'::uuid LIMIT 26"),
            "{}",
            query.postgres_literal()
        );
    }
}
