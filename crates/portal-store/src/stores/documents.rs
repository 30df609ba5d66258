//! Documents: their lines, their ledgers (derived from payments and
//! refunds on every read) and their recipients.

use std::collections::HashMap;

use async_trait::async_trait;
use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use portal_domain::ports::{Conflict, DocumentFilter, DocumentStore, StoreError, StoreResult};
use portal_domain::{AccountId, ClientId, ContactId, Document, DocumentId, PageRequest};

use super::{IDS_PER_QUERY, is_unique_violation, keyset};
use crate::Database;
use crate::cached_sql::{Bind, CachedSql};
use crate::database::{backend, in_snapshot, with_conn};
use crate::rows::{
    DocumentPartRow, DocumentRow, LineRow, PaymentEntryRow, RefundEntryRow, document,
    document_from_parts,
};
use crate::schema::{contacts, document_lines, document_recipients, documents};
use crate::sql_types::{Id, Time};
use crate::write_transaction::WriteTransaction;

/// The ledger entries of a set of invoices, by invoice.
#[derive(Default)]
pub(super) struct Ledgers {
    payments: HashMap<uuid::Uuid, Vec<PaymentEntryRow>>,
    refunds: HashMap<uuid::Uuid, Vec<RefundEntryRow>>,
}

impl Ledgers {
    /// The entries of the invoice `id`: of its payments, and of its
    /// refunds in the order they were made.
    pub(super) fn take(&mut self, id: uuid::Uuid) -> (Vec<PaymentEntryRow>, Vec<RefundEntryRow>) {
        (
            self.payments.remove(&id).unwrap_or_default(),
            self.refunds.remove(&id).unwrap_or_default(),
        )
    }

    /// Files entries read for some of the invoices under their invoice.
    pub(super) fn extend(&mut self, paid: Vec<PaymentEntryRow>, refunded: Vec<RefundEntryRow>) {
        for entry in paid {
            self.payments
                .entry(entry.document_id.0)
                .or_default()
                .push(entry);
        }
        for entry in refunded {
            self.refunds
                .entry(entry.document_id.0)
                .or_default()
                .push(entry);
        }
    }
}

/// What a set of documents is read back with, by document.
struct Parts {
    lines: HashMap<uuid::Uuid, Vec<LineRow>>,
    ledgers: Ledgers,
}

impl Parts {
    /// The documents of `rows`, in order, with their parts.
    fn assemble(mut self, rows: Vec<DocumentRow>) -> StoreResult<Vec<Document>> {
        rows.into_iter()
            .map(|row| {
                let id = row.id.0;
                let (payments, refunds) = self.ledgers.take(id);
                document(
                    row,
                    self.lines.remove(&id).unwrap_or_default(),
                    payments,
                    refunds,
                )
            })
            .collect()
    }
}

/// Reads on `$c` the ledger entries of the invoices whose ids are in
/// `$ids` (a slice of [`Id`]): the allocations of their payments and of
/// their refunds; evaluates to a [`Ledgers`]. Run inside [`in_snapshot!`],
/// with the read of the invoices, so a payment committed meanwhile is
/// either wholly seen or not at all.
macro_rules! load_ledgers {
    ($c:expr, $ids:expr) => {{
        use $crate::rows::{PaymentEntryRow, RefundEntryRow};
        use $crate::schema::{payment_allocations, payments, refund_allocations, refunds};
        use $crate::stores::IDS_PER_QUERY;
        use $crate::stores::documents::Ledgers;
        let mut ledgers = Ledgers::default();
        for chunk in $ids.chunks(IDS_PER_QUERY) {
            let paid: Vec<PaymentEntryRow> = payment_allocations::table
                .inner_join(payments::table.on(payments::id.eq(payment_allocations::payment_id)))
                .filter(payment_allocations::document_id.eq_any(chunk))
                .select((
                    payment_allocations::document_id,
                    payment_allocations::payment_id,
                    payment_allocations::amount_minor,
                    payments::currency,
                    payments::status,
                    payments::received_at,
                    payments::method,
                    payments::manual_kind,
                    payments::card_brand,
                    payments::method_last4,
                    payments::reference,
                ))
                .load($c)
                .await?;
            // In the order refunds were made: the ledger keeps it for
            // refunds of one payment at one instant.
            let refunded: Vec<RefundEntryRow> = refund_allocations::table
                .inner_join(refunds::table.on(refunds::id.eq(refund_allocations::refund_id)))
                .inner_join(payments::table.on(payments::id.eq(refunds::payment_id)))
                .filter(refund_allocations::document_id.eq_any(chunk))
                .order((
                    refunds::payment_id,
                    refunds::payment_version,
                    refund_allocations::position,
                ))
                .select((
                    refund_allocations::document_id,
                    refund_allocations::refund_id,
                    refunds::payment_id,
                    refund_allocations::amount_minor,
                    payments::currency,
                    refunds::created_at,
                ))
                .load($c)
                .await?;
            ledgers.extend(paid, refunded);
        }
        ledgers
    }};
}
pub(super) use load_ledgers;

/// Reads the documents `$query` selects on `$c`, with their lines and the
/// ledger entries of their payments and refunds; evaluates to the rows
/// and a [`Parts`]. Run inside [`in_snapshot!`], so a payment committed
/// meanwhile is either wholly seen or not at all.
macro_rules! load_documents {
    ($c:expr, $query:expr) => {{
        let rows: Vec<DocumentRow> = $query.select(DocumentRow::as_select()).load($c).await?;
        let ids: Vec<Id> = rows.iter().map(|r| r.id).collect();
        let mut lines_by_document: HashMap<uuid::Uuid, Vec<LineRow>> = HashMap::new();
        for chunk in ids.chunks(IDS_PER_QUERY) {
            let lines: Vec<LineRow> = document_lines::table
                .filter(document_lines::document_id.eq_any(chunk))
                .order((document_lines::document_id, document_lines::position))
                .select(LineRow::as_select())
                .load($c)
                .await?;
            for line in lines {
                lines_by_document
                    .entry(line.document_id.0)
                    .or_default()
                    .push(line);
            }
        }
        let parts = Parts {
            lines: lines_by_document,
            ledgers: load_ledgers!($c, ids),
        };
        (rows, parts)
    }};
}

/// One document whole, in one statement (so in one snapshot): the
/// document, its lines, the payments applied to it and the refunds taken
/// from it, as rows of one `UNION ALL` (see `DocumentPartRow`). The
/// document's own row comes first: PostgreSQL types a column of a `UNION`
/// from its first typed branch.
///
/// Binds: the document and its account; the document three times more.
const DOCUMENT: &str = "\
SELECT 0 AS section, d.id AS id, d.account_id AS owner, d.client_id AS client,
       d.kind AS t1, d.number AS t2, d.title AS t3, d.status AS t4, d.currency AS t5,
       NULL AS t6, NULL AS t7, d.total_minor AS n1, d.version AS n2, CAST(0 AS BIGINT) AS n3,
       0 AS position, d.issue_date AS d1, d.due_date AS d2, d.created_at AS at1,
       d.sent_at AS at2, d.paid_at AS at3, d.voided_at AS at4
FROM documents d
WHERE d.id = ? AND d.account_id = ?
UNION ALL
SELECT 1, l.document_id, NULL, NULL, l.description, NULL, NULL, NULL, NULL, NULL, NULL,
       l.quantity_thousandths, l.unit_amount_minor, l.amount_minor, l.position,
       NULL, NULL, NULL, NULL, NULL, NULL
FROM document_lines l
WHERE l.document_id = ?
UNION ALL
SELECT 2, a.payment_id, a.document_id, NULL, p.method, p.manual_kind, p.card_brand, p.status,
       p.currency, p.method_last4, p.reference, a.amount_minor, 0, 0, a.position,
       NULL, NULL, p.received_at, NULL, NULL, NULL
FROM payment_allocations a
JOIN payments p ON p.id = a.payment_id
WHERE a.document_id = ?
UNION ALL
SELECT 3, r.id, ra.document_id, r.payment_id, NULL, NULL, NULL, NULL, p.currency, NULL, NULL,
       ra.amount_minor, r.payment_version, 0, ra.position,
       NULL, NULL, r.created_at, NULL, NULL, NULL
FROM refund_allocations ra
JOIN refunds r ON r.id = ra.refund_id
JOIN payments p ON p.id = r.payment_id
WHERE ra.document_id = ?";

/// The statement that reads one document whole.
pub(crate) fn document_query(account: AccountId, id: DocumentId) -> CachedSql {
    let document = Bind::Id(Id(id.as_uuid()));
    CachedSql::new(
        DOCUMENT,
        vec![
            document.clone(),
            Bind::Id(Id(account.as_uuid())),
            document.clone(),
            document.clone(),
            document,
        ],
    )
}

#[async_trait]
impl DocumentStore for Database {
    async fn insert_document(&self, doc: &Document) -> StoreResult<()> {
        let row = DocumentRow::from(doc);
        let lines = LineRow::all(doc);
        let mut conn = self.write().await?;
        let outcome = with_conn!(conn, |c| {
            c.write_transaction::<_, diesel::result::Error, _>(async |c| {
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
        let query = document_query(account, id);
        let mut conn = self.read().await?;
        let parts: Vec<DocumentPartRow> =
            with_conn!(conn, |c| query.clone().load(c).await).map_err(backend)?;
        document_from_parts(parts)
    }

    async fn documents(
        &self,
        account: AccountId,
        filter: DocumentFilter,
        page: &PageRequest,
    ) -> StoreResult<Vec<Document>> {
        let mut conn = self.read().await?;
        let (rows, parts) = in_snapshot!(conn, |c| {
            // Boxed queries are tied to one backend: built once per arm.
            let mut query = documents::table
                .filter(documents::account_id.eq(Id(account.as_uuid())))
                .into_boxed();
            if let Some(client) = filter.client {
                query = query.filter(documents::client_id.eq(Id(client.as_uuid())));
            }
            if let Some(kind) = filter.kind {
                query = query.filter(documents::kind.eq(kind.as_str()));
            }
            let read = load_documents!(
                c,
                keyset!(query, page, documents::created_at, documents::id, desc)
            );
            Ok::<_, diesel::result::Error>(read)
        })
        .map_err(backend)?;
        parts.assemble(rows)
    }

    async fn client_documents(
        &self,
        account: AccountId,
        client: ClientId,
    ) -> StoreResult<Vec<Document>> {
        let mut conn = self.read().await?;
        let (rows, parts) = in_snapshot!(conn, |c| {
            let read = load_documents!(
                c,
                documents::table
                    .filter(documents::account_id.eq(Id(account.as_uuid())))
                    .filter(documents::client_id.eq(Id(client.as_uuid())))
                    .filter(documents::sent_at.is_not_null())
                    .order((
                        documents::issue_date.desc(),
                        documents::created_at.desc(),
                        documents::id.desc(),
                    ))
            );
            Ok::<_, diesel::result::Error>(read)
        })
        .map_err(backend)?;
        parts.assemble(rows)
    }

    async fn recipients(
        &self,
        account: AccountId,
        documents: &[DocumentId],
    ) -> StoreResult<Vec<ContactId>> {
        let ids: Vec<Id> = documents.iter().map(|d| Id(d.as_uuid())).collect();
        let mut sent: Vec<(Time, Id)> = Vec::new();
        let mut conn = self.read().await?;
        for chunk in ids.chunks(IDS_PER_QUERY) {
            let rows: Vec<(Time, Id)> = with_conn!(conn, |c| document_recipients::table
                .inner_join(contacts::table.on(contacts::id.eq(document_recipients::contact_id)))
                .filter(document_recipients::document_id.eq_any(chunk))
                .filter(contacts::account_id.eq(Id(account.as_uuid())))
                .select((
                    document_recipients::first_sent_at,
                    document_recipients::contact_id
                ))
                .load(c)
                .await)
            .map_err(backend)?;
            sent.extend(rows);
        }
        // Each contact once, at the first time any of the documents went
        // to them; the id breaks ties.
        sent.sort_by_key(|(at, contact)| (at.0, contact.0));
        let mut contacts: Vec<ContactId> = Vec::new();
        for (_, contact) in sent {
            let contact = ContactId::from_uuid(contact.0);
            if !contacts.contains(&contact) {
                contacts.push(contact);
            }
        }
        Ok(contacts)
    }
}
