//! The portal's overview in one statement: every outstanding invoice, a
//! page of the client's other documents and a page of its payments with
//! the invoices they paid, as rows of one `UNION ALL`. Amounts paid and in
//! flight are summed by the database (in one grouped pass over the shown
//! documents' allocations), so no line and no ledger entry leaves it; one statement sees one snapshot on both backends, so the
//! sums agree with the rows.

use async_trait::async_trait;
use chrono::{DateTime, NaiveDate, Utc};
use diesel_async::RunQueryDsl;
use portal_domain::ports::{Overview, OverviewStore, StoreResult};
use portal_domain::{AccountId, ClientId, PageRequest};

use crate::Database;
use crate::cached_sql::{Bind, CachedSql};
use crate::database::{backend, with_conn};
use crate::rows::{OverviewRow, overview};
use crate::sql_types::{Id, Time};

/// The rows of the overview, by `section`: 0 an outstanding invoice, 1 a
/// document of the page, 2 a payment of the page, 3 what a listed payment
/// applied to one invoice. Columns a section does not use are NULL or 0.
/// What each applied comes first: PostgreSQL types a column of a `UNION`
/// from its first typed branch, and only those rows have a `doc`.
///
/// Binds, in order: account, client, cursor time twice, cursor id, limit
/// (the payments); account, client (the outstanding invoices); account,
/// client, cursor time twice, cursor id, limit (the other documents). The
/// limits are written in as literals (see [`Bind::Limit`]).
const OVERVIEW: &str = "\
WITH listed AS (
  SELECT * FROM (
    SELECT p.id, p.currency, p.amount_minor, p.method, p.manual_kind, p.card_brand,
           p.method_last4, p.received_at, p.status
    FROM payments p
    WHERE p.account_id = ? AND p.client_id = ? AND p.status <> 'failed'
      AND p.received_at <= ? AND (p.received_at < ? OR p.id < ?)
    ORDER BY p.received_at DESC, p.id DESC
    LIMIT ?
  ) AS page
),
shown AS (
  SELECT d.id, d.kind, d.number, d.status, d.currency, d.total_minor, d.issue_date,
         d.due_date, d.created_at, 0 AS section
  FROM documents d
  WHERE d.account_id = ? AND d.client_id = ? AND d.sent_at IS NOT NULL
    AND d.kind = 'invoice' AND d.status IN ('open', 'partially_paid')
  UNION ALL
  SELECT * FROM (
    SELECT d.id, d.kind, d.number, d.status, d.currency, d.total_minor, d.issue_date,
           d.due_date, d.created_at, 1 AS section
    FROM documents d
    WHERE d.account_id = ? AND d.client_id = ? AND d.sent_at IS NOT NULL
      AND NOT (d.kind = 'invoice' AND d.status IN ('open', 'partially_paid'))
      AND d.created_at <= ? AND (d.created_at < ? OR d.id < ?)
    ORDER BY d.created_at DESC, d.id DESC
    LIMIT ?
  ) AS page
),
paid AS (
  SELECT a.document_id,
         SUM(CASE WHEN p.status = 'succeeded' THEN a.amount_minor ELSE 0 END) AS paid,
         SUM(CASE WHEN p.status = 'pending' THEN a.amount_minor ELSE 0 END) AS pending
  FROM payment_allocations a
  JOIN payments p ON p.id = a.payment_id
  WHERE a.document_id IN (SELECT id FROM shown)
  GROUP BY a.document_id
),
refunded AS (
  SELECT r.document_id, SUM(r.amount_minor) AS amount
  FROM refund_allocations r
  WHERE r.document_id IN (SELECT id FROM shown)
  GROUP BY r.document_id
)
SELECT 3 AS section, l.id AS id, a.document_id AS doc, NULL AS kind, d.number AS number,
       NULL AS status, l.currency AS currency, a.amount_minor AS amount, CAST(0 AS BIGINT) AS paid,
       CAST(0 AS BIGINT) AS pending, NULL AS issue_date, NULL AS due_date,
       l.received_at AS at, NULL AS manual_kind, NULL AS card_brand, NULL AS last4,
       FALSE AS has_lines, a.position AS position
FROM listed l
JOIN payment_allocations a ON a.payment_id = l.id
JOIN documents d ON d.id = a.document_id
UNION ALL
SELECT s.section, s.id, NULL, s.kind, s.number, s.status, s.currency, s.total_minor,
       CAST(COALESCE(pd.paid, 0) - COALESCE(rf.amount, 0) AS BIGINT),
       CAST(COALESCE(pd.pending, 0) AS BIGINT),
       s.issue_date, s.due_date, s.created_at, NULL, NULL, NULL,
       (s.kind <> 'contract'
        OR EXISTS (SELECT 1 FROM document_lines n WHERE n.document_id = s.id)),
       0
FROM shown s
LEFT JOIN paid pd ON pd.document_id = s.id
LEFT JOIN refunded rf ON rf.document_id = s.id
UNION ALL
SELECT 2, l.id, NULL, l.method, NULL, l.status, l.currency, l.amount_minor,
       CAST(COALESCE((SELECT SUM(f.amount_minor) FROM refunds f WHERE f.payment_id = l.id), 0)
            AS BIGINT),
       CAST(0 AS BIGINT), NULL, NULL, l.received_at, l.manual_kind, l.card_brand,
       l.method_last4, FALSE, 0
FROM listed l";

/// The first instant and id after every stored one: the cursor of a first
/// page, so one statement text serves every page.
fn start() -> (Time, Id) {
    let end = NaiveDate::from_ymd_opt(9999, 12, 31)
        .and_then(|d| d.and_hms_micro_opt(23, 59, 59, 999_999))
        .map_or(DateTime::<Utc>::MAX_UTC, |t| t.and_utc());
    (Time(end), Id(uuid::Uuid::max()))
}

/// The binds that select the page `page` asks for: after its cursor, at
/// most [`PageRequest::fetch`] rows.
fn page_binds(page: &PageRequest) -> [Bind; 4] {
    let (at, id) = page.after.map_or_else(start, |c| (Time(c.at), Id(c.id)));
    [
        Bind::Time(at),
        Bind::Time(at),
        Bind::Id(id),
        Bind::Limit(u32::try_from(page.fetch()).unwrap_or(u32::MAX)),
    ]
}

/// The overview's statement for a client and the pages asked for.
pub(crate) fn overview_query(
    account: AccountId,
    client: ClientId,
    documents: &PageRequest,
    payments: &PageRequest,
) -> CachedSql {
    let scope = || {
        [
            Bind::Id(Id(account.as_uuid())),
            Bind::Id(Id(client.as_uuid())),
        ]
    };
    let binds = scope()
        .into_iter()
        .chain(page_binds(payments))
        .chain(scope())
        .chain(scope())
        .chain(page_binds(documents))
        .collect();
    CachedSql::new(OVERVIEW, binds)
}

#[async_trait]
impl OverviewStore for Database {
    async fn overview(
        &self,
        account: AccountId,
        client: ClientId,
        documents: &PageRequest,
        payments: &PageRequest,
    ) -> StoreResult<Overview> {
        let query = overview_query(account, client, documents, payments);
        let mut conn = self.read().await?;
        let rows: Vec<OverviewRow> =
            with_conn!(conn, |c| query.clone().load(c).await).map_err(backend)?;
        overview(rows)
    }
}
