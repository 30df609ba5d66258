//! Documents and their lines.

use std::collections::HashMap;

use async_trait::async_trait;
use diesel::prelude::*;
use diesel_async::{AsyncConnection, RunQueryDsl};
use portal_domain::ports::{Conflict, DocumentFilter, DocumentStore, StoreError, StoreResult};
use portal_domain::{AccountId, Document, DocumentId, DocumentStatus};

use super::is_unique_violation;
use crate::Database;
use crate::database::{Conn, backend, with_conn};
use crate::rows::{DocumentRow, DocumentStatusRow, LineRow, document};
use crate::schema::{document_lines, documents};
use crate::sql_types::Id;

/// Ids per `IN (…)` list, well under SQLite's bound-parameter limit.
const IDS_PER_QUERY: usize = 500;

impl Database {
    /// Reads the lines of `rows` and assembles the documents, in order.
    async fn with_lines(conn: &mut Conn, rows: Vec<DocumentRow>) -> StoreResult<Vec<Document>> {
        let ids: Vec<Id> = rows.iter().map(|r| r.id).collect();
        let mut lines: HashMap<uuid::Uuid, Vec<LineRow>> = HashMap::new();
        for chunk in ids.chunks(IDS_PER_QUERY) {
            let loaded: Vec<LineRow> = with_conn!(*conn, |c| document_lines::table
                .filter(document_lines::document_id.eq_any(chunk))
                .order((document_lines::document_id, document_lines::position))
                .select(LineRow::as_select())
                .load(c)
                .await)
            .map_err(backend)?;
            for line in loaded {
                lines.entry(line.document_id.0).or_default().push(line);
            }
        }
        rows.into_iter()
            .map(|row| {
                let own = lines.remove(&row.id.0).unwrap_or_default();
                document(row, own)
            })
            .collect()
    }
}

#[async_trait]
impl DocumentStore for Database {
    async fn insert_document(&self, doc: &Document) -> StoreResult<()> {
        let row = DocumentRow::from(doc);
        let lines = LineRow::all(doc);
        let mut conn = self.conn().await?;
        let outcome = with_conn!(conn, |c| {
            c.transaction::<_, diesel::result::Error, _>(async |c| {
                diesel::insert_into(documents::table)
                    .values(&row)
                    .execute(c)
                    .await?;
                // One statement per line: diesel-async cannot batch inserts
                // on SQLite, and one code path serves both backends.
                for line in &lines {
                    diesel::insert_into(document_lines::table)
                        .values(line)
                        .execute(c)
                        .await?;
                }
                Ok(())
            })
            .await
        });
        match outcome {
            Ok(()) => Ok(()),
            Err(e) if is_unique_violation(&e) => {
                Err(StoreError::Conflict(Conflict::DocumentNumber))
            }
            Err(e) => Err(backend(e)),
        }
    }

    async fn document(&self, account: AccountId, id: DocumentId) -> StoreResult<Option<Document>> {
        let mut conn = self.conn().await?;
        let rows: Vec<DocumentRow> = with_conn!(conn, |c| documents::table
            .filter(documents::id.eq(Id(id.as_uuid())))
            .filter(documents::account_id.eq(Id(account.as_uuid())))
            .select(DocumentRow::as_select())
            .load(c)
            .await)
        .map_err(backend)?;
        Ok(Self::with_lines(&mut conn, rows).await?.pop())
    }

    async fn documents(
        &self,
        account: AccountId,
        filter: DocumentFilter,
    ) -> StoreResult<Vec<Document>> {
        let mut conn = self.conn().await?;
        let rows: Vec<DocumentRow> = with_conn!(conn, |c| {
            // Boxed queries are tied to one backend: build one per arm.
            let mut query = documents::table
                .filter(documents::account_id.eq(Id(account.as_uuid())))
                .into_boxed();
            if let Some(client) = filter.client {
                query = query.filter(documents::client_id.eq(Id(client.as_uuid())));
            }
            if let Some(kind) = filter.kind {
                query = query.filter(documents::kind.eq(kind.as_str()));
            }
            if filter.sent_only {
                query = query.filter(documents::sent_at.is_not_null());
            }
            query
                .order((
                    documents::issue_date.desc(),
                    documents::created_at.desc(),
                    documents::id.desc(),
                ))
                .select(DocumentRow::as_select())
                .load(c)
                .await
        })
        .map_err(backend)?;
        Self::with_lines(&mut conn, rows).await
    }

    async fn update_document_status(
        &self,
        doc: &Document,
        expected: DocumentStatus,
    ) -> StoreResult<bool> {
        let changes = DocumentStatusRow::from(doc);
        let mut conn = self.conn().await?;
        let updated = with_conn!(conn, |c| diesel::update(
            documents::table
                .filter(documents::id.eq(Id(doc.id.as_uuid())))
                .filter(documents::account_id.eq(Id(doc.account_id.as_uuid())))
                .filter(documents::status.eq(expected.as_str()))
        )
        .set(&changes)
        .execute(c)
        .await)
        .map_err(backend)?;
        Ok(updated == 1)
    }
}
