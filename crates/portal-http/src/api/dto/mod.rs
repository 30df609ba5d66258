//! The operator API's wire types, one file per area: request bodies as
//! clients send them and the JSON answers, kept apart from the domain's
//! types. Requests refuse unknown fields (`additionalProperties: false`);
//! handlers turn them into domain values, which name the field at fault.

pub(crate) mod account;
pub(crate) mod clients;
pub(crate) mod document_answers;
pub(crate) mod documents;
pub(crate) mod payments;
pub(crate) mod processor;
pub(crate) mod sessions;
pub(crate) mod statements;

use chrono::{DateTime, SecondsFormat, Utc};
use portal_domain::{Cursor, Page, PageRequest};
use serde::Serialize;
use utoipa::ToSchema;

use crate::error::ApiError;

/// RFC 3339 in UTC, as every time in the API is written.
pub(crate) fn time(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::AutoSi, true)
}

/// One page of a list, in the list's stable order.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct Paged<T: ToSchema> {
    pub(crate) data: Vec<T>,
    /// Whether another page follows.
    pub(crate) has_more: bool,
    /// Pass as `cursor` to read the next page; `null` on the last page.
    pub(crate) next_cursor: Option<String>,
}

impl<T: ToSchema> Paged<T> {
    pub(crate) fn of<U>(page: Page<U>, f: impl FnMut(U) -> T) -> Self {
        let next = page.next;
        Self {
            data: page.items.into_iter().map(f).collect(),
            has_more: next.is_some(),
            next_cursor: next.map(|c| c.encode()),
        }
    }
}

/// The page a list's `limit` and `cursor` ask for: a limit outside
/// 1..=100 or a cursor this API did not hand out is `400 invalid_query`,
/// never clamped or ignored.
pub(crate) fn page(limit: Option<u32>, cursor: Option<&str>) -> Result<PageRequest, ApiError> {
    let query = |e: portal_domain::ValidationError| {
        let field = e.field.clone();
        ApiError::invalid_query(format!("The query string does not fit: {e}.")).at(field)
    };
    let after = cursor
        .map(|c| Cursor::parse("cursor", c))
        .transpose()
        .map_err(query)?;
    PageRequest::new(after, limit).map_err(query)
}

/// An id in a query string: malformed is a validation error on it.
pub(crate) fn query_id<T: std::str::FromStr>(
    field: &str,
    text: Option<&str>,
) -> Result<Option<T>, ApiError> {
    Ok(super::schema::optional_id(field, text)?)
}
