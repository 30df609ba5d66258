//! Rows of documents, their lines and recipients, and the ledger entries a
//! document is read back with: the allocations of payments and refunds.

use chrono::NaiveDate;
use diesel::prelude::*;
use portal_domain::ports::StoreError;
use portal_domain::{
    AccountId, ClientId, Currency, Description, Document, DocumentId, DocumentKind, DocumentNumber,
    DocumentRecord, DocumentStatus, LedgerEntry, LineItem, Money, PaymentId, PaymentStatus,
    Quantity, RefundId,
};

use super::payments::method;
use super::{corrupt, known, parsed, signed, unsigned};
use crate::schema::{document_lines, document_recipients, documents};
use crate::sql_types::{Id, Time};

#[derive(Debug, Queryable, Selectable, Insertable)]
#[diesel(table_name = documents)]
#[diesel(check_for_backend(diesel::pg::Pg, diesel::sqlite::Sqlite))]
pub(crate) struct DocumentRow {
    pub(crate) id: Id,
    account_id: Id,
    client_id: Id,
    kind: String,
    number: String,
    title: Option<String>,
    status: String,
    currency: String,
    total_minor: i64,
    issue_date: NaiveDate,
    due_date: Option<NaiveDate>,
    created_at: Time,
    sent_at: Option<Time>,
    paid_at: Option<Time>,
    voided_at: Option<Time>,
    version: i64,
}

impl From<&Document> for DocumentRow {
    fn from(d: &Document) -> Self {
        Self {
            id: Id(d.id().as_uuid()),
            account_id: Id(d.account_id().as_uuid()),
            client_id: Id(d.client_id().as_uuid()),
            kind: d.kind().as_str().to_owned(),
            number: d.number().to_string(),
            title: d.title().map(ToString::to_string),
            status: d.status().as_str().to_owned(),
            currency: d.currency().code().to_owned(),
            total_minor: d.total().minor(),
            issue_date: d.issue_date(),
            due_date: d.due_date(),
            created_at: Time(d.created_at()),
            sent_at: d.sent_at().map(Time),
            paid_at: d.paid_at().map(Time),
            voided_at: d.voided_at().map(Time),
            version: signed(d.version()),
        }
    }
}

/// The status columns of a document, as one status write sets them (the
/// version is counted up beside them).
#[derive(Debug, AsChangeset)]
#[diesel(table_name = documents, treat_none_as_null = true)]
pub(crate) struct DocumentStatusRow {
    status: String,
    sent_at: Option<Time>,
    paid_at: Option<Time>,
    voided_at: Option<Time>,
}

impl From<&Document> for DocumentStatusRow {
    fn from(d: &Document) -> Self {
        Self {
            status: d.status().as_str().to_owned(),
            sent_at: d.sent_at().map(Time),
            paid_at: d.paid_at().map(Time),
            voided_at: d.voided_at().map(Time),
        }
    }
}

#[derive(Debug, Queryable, Selectable, Insertable)]
#[diesel(table_name = document_lines)]
#[diesel(check_for_backend(diesel::pg::Pg, diesel::sqlite::Sqlite))]
pub(crate) struct LineRow {
    pub(crate) document_id: Id,
    position: i32,
    description: String,
    quantity_thousandths: i64,
    unit_amount_minor: i64,
    amount_minor: i64,
}

impl LineRow {
    pub(crate) fn all(d: &Document) -> Vec<Self> {
        d.lines()
            .iter()
            .zip(0..)
            .map(|(l, position)| Self {
                document_id: Id(d.id().as_uuid()),
                position,
                description: l.description().to_string(),
                quantity_thousandths: l.quantity().thousandths(),
                unit_amount_minor: l.unit_price().minor(),
                amount_minor: l.amount().minor(),
            })
            .collect()
    }

    fn restore(self, currency: Currency) -> Result<LineItem, StoreError> {
        let description = parsed(
            "document_lines.description",
            Description::parse("description", &self.description),
        )?;
        let quantity = parsed(
            "document_lines.quantity_thousandths",
            Quantity::from_thousandths("quantity", self.quantity_thousandths),
        )?;
        parsed(
            "document_lines",
            LineItem::restore(
                description,
                quantity,
                Money::new(self.unit_amount_minor, currency),
                self.amount_minor,
            ),
        )
    }
}

/// Part of a payment applied to a document, with what the ledger shows of
/// its payment.
#[derive(Debug, Queryable)]
pub(crate) struct PaymentEntryRow {
    pub(crate) document_id: Id,
    payment_id: Id,
    amount_minor: i64,
    currency: String,
    status: String,
    received_at: Time,
    method: String,
    manual_kind: Option<String>,
    card_brand: Option<String>,
    method_last4: Option<String>,
    reference: Option<String>,
}

/// Part of a refund taken back from a document.
#[derive(Debug, Queryable)]
pub(crate) struct RefundEntryRow {
    pub(crate) document_id: Id,
    refund_id: Id,
    payment_id: Id,
    amount_minor: i64,
    currency: String,
    created_at: Time,
}

impl PaymentEntryRow {
    fn entry(self) -> Result<LedgerEntry, StoreError> {
        let currency = parsed(
            "payments.currency",
            Currency::parse("currency", &self.currency),
        )?;
        Ok(LedgerEntry::Payment {
            payment: PaymentId::from_uuid(self.payment_id.0),
            amount: Money::new(self.amount_minor, currency),
            status: known(
                "payments.status",
                &self.status,
                PaymentStatus::parse(&self.status),
            )?,
            received_at: self.received_at.0,
            method: method(
                &self.method,
                self.manual_kind.as_deref(),
                self.card_brand.as_deref(),
                self.method_last4.as_deref(),
            )?,
            reference: self
                .reference
                .map(|r| {
                    parsed(
                        "payments.reference",
                        portal_domain::Reference::parse("reference", &r),
                    )
                })
                .transpose()?,
        })
    }
}

impl RefundEntryRow {
    fn entry(self) -> Result<LedgerEntry, StoreError> {
        let currency = parsed(
            "payments.currency",
            Currency::parse("currency", &self.currency),
        )?;
        Ok(LedgerEntry::Refund {
            refund: RefundId::from_uuid(self.refund_id.0),
            payment: PaymentId::from_uuid(self.payment_id.0),
            amount: Money::new(self.amount_minor, currency),
            refunded_at: self.created_at.0,
        })
    }
}

/// A document's ledger in the order its money moved: by time, a payment
/// before a refund at the same instant, then by payment; refunds of one
/// payment at one instant in the order they were made. `refunds` must come
/// in (payment, version) order.
pub(super) fn ledger(
    payments: Vec<PaymentEntryRow>,
    refunds: Vec<RefundEntryRow>,
) -> Result<Vec<LedgerEntry>, StoreError> {
    let mut entries = payments
        .into_iter()
        .map(PaymentEntryRow::entry)
        .chain(refunds.into_iter().map(RefundEntryRow::entry))
        .collect::<Result<Vec<_>, _>>()?;
    entries.sort_by_key(|e| (e.at(), matches!(e, LedgerEntry::Refund { .. }), e.payment()));
    Ok(entries)
}

/// A document from its row, its lines (in position order) and the ledger
/// entries of its payments and refunds.
pub(crate) fn document(
    r: DocumentRow,
    lines: Vec<LineRow>,
    payments: Vec<PaymentEntryRow>,
    refunds: Vec<RefundEntryRow>,
) -> Result<Document, StoreError> {
    let currency = parsed(
        "documents.currency",
        Currency::parse("currency", &r.currency),
    )?;
    let lines = lines
        .into_iter()
        .map(|l| l.restore(currency))
        .collect::<Result<Vec<_>, StoreError>>()?;
    let record = DocumentRecord {
        id: DocumentId::from_uuid(r.id.0),
        account_id: AccountId::from_uuid(r.account_id.0),
        client_id: ClientId::from_uuid(r.client_id.0),
        kind: known("documents.kind", &r.kind, DocumentKind::parse(&r.kind))?,
        number: parsed(
            "documents.number",
            DocumentNumber::parse("number", &r.number),
        )?,
        title: r
            .title
            .map(|t| parsed("documents.title", Description::parse("title", &t)))
            .transpose()?,
        status: known(
            "documents.status",
            &r.status,
            DocumentStatus::parse(&r.status),
        )?,
        currency,
        lines,
        total_minor: r.total_minor,
        issue_date: r.issue_date,
        due_date: r.due_date,
        ledger: ledger(payments, refunds)?,
        created_at: r.created_at.0,
        sent_at: r.sent_at.map(|t| t.0),
        paid_at: r.paid_at.map(|t| t.0),
        voided_at: r.voided_at.map(|t| t.0),
        version: unsigned("documents.version", r.version)?,
    };
    Document::restore(record).map_err(|e| corrupt(format_args!("document {}: {e}", r.id.0)))
}

/// One send of a document to a contact.
#[derive(Debug, Insertable)]
#[diesel(table_name = document_recipients)]
pub(crate) struct RecipientRow {
    document_id: Id,
    contact_id: Id,
    first_sent_at: Time,
    last_sent_at: Time,
}

impl RecipientRow {
    pub(crate) fn new(
        document: DocumentId,
        contact: portal_domain::ContactId,
        at: chrono::DateTime<chrono::Utc>,
    ) -> Self {
        Self {
            document_id: Id(document.as_uuid()),
            contact_id: Id(contact.as_uuid()),
            first_sent_at: Time(at),
            last_sent_at: Time(at),
        }
    }
}

/// One row of the statement that reads a document whole: what `section`
/// says it is (0 the document, 1 a line, 2 a payment applied to it, 3 a
/// refund taken from it) decides what the generic columns hold; see
/// `stores/documents.rs` for the statement.
#[derive(QueryableByName)]
pub(crate) struct DocumentPartRow {
    #[diesel(sql_type = diesel::sql_types::Integer)]
    section: i32,
    #[diesel(sql_type = crate::sql_types::DbUuid)]
    id: Id,
    #[diesel(sql_type = diesel::sql_types::Nullable<crate::sql_types::DbUuid>)]
    owner: Option<Id>,
    #[diesel(sql_type = diesel::sql_types::Nullable<crate::sql_types::DbUuid>)]
    client: Option<Id>,
    #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::Text>)]
    t1: Option<String>,
    #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::Text>)]
    t2: Option<String>,
    #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::Text>)]
    t3: Option<String>,
    #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::Text>)]
    t4: Option<String>,
    #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::Text>)]
    t5: Option<String>,
    #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::Text>)]
    t6: Option<String>,
    #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::Text>)]
    t7: Option<String>,
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    n1: i64,
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    n2: i64,
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    n3: i64,
    #[diesel(sql_type = diesel::sql_types::Integer)]
    position: i32,
    #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::Date>)]
    d1: Option<NaiveDate>,
    #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::Date>)]
    d2: Option<NaiveDate>,
    #[diesel(sql_type = diesel::sql_types::Nullable<crate::sql_types::UtcTime>)]
    at1: Option<Time>,
    #[diesel(sql_type = diesel::sql_types::Nullable<crate::sql_types::UtcTime>)]
    at2: Option<Time>,
    #[diesel(sql_type = diesel::sql_types::Nullable<crate::sql_types::UtcTime>)]
    at3: Option<Time>,
    #[diesel(sql_type = diesel::sql_types::Nullable<crate::sql_types::UtcTime>)]
    at4: Option<Time>,
}

/// The document the rows of its one-statement read make, or `None` when
/// no row is the document itself (unknown, or another account's).
pub(crate) fn document_from_parts(
    parts: Vec<DocumentPartRow>,
) -> Result<Option<Document>, StoreError> {
    let missing = |column: &str| corrupt(format_args!("{column}: missing"));
    let mut row = None;
    let mut lines = Vec::new();
    let mut payments = Vec::new();
    let mut refunds = Vec::new();
    for p in parts {
        match p.section {
            0 => {
                row = Some(DocumentRow {
                    id: p.id,
                    account_id: p.owner.ok_or_else(|| missing("documents.account_id"))?,
                    client_id: p.client.ok_or_else(|| missing("documents.client_id"))?,
                    kind: p.t1.ok_or_else(|| missing("documents.kind"))?,
                    number: p.t2.ok_or_else(|| missing("documents.number"))?,
                    title: p.t3,
                    status: p.t4.ok_or_else(|| missing("documents.status"))?,
                    currency: p.t5.ok_or_else(|| missing("documents.currency"))?,
                    total_minor: p.n1,
                    issue_date: p.d1.ok_or_else(|| missing("documents.issue_date"))?,
                    due_date: p.d2,
                    created_at: p.at1.ok_or_else(|| missing("documents.created_at"))?,
                    sent_at: p.at2,
                    paid_at: p.at3,
                    voided_at: p.at4,
                    version: p.n2,
                });
            }
            1 => lines.push(LineRow {
                document_id: p.id,
                position: p.position,
                description: p.t1.ok_or_else(|| missing("document_lines.description"))?,
                quantity_thousandths: p.n1,
                unit_amount_minor: p.n2,
                amount_minor: p.n3,
            }),
            2 => payments.push(PaymentEntryRow {
                document_id: p
                    .owner
                    .ok_or_else(|| missing("payment_allocations.document_id"))?,
                payment_id: p.id,
                amount_minor: p.n1,
                currency: p.t5.ok_or_else(|| missing("payments.currency"))?,
                status: p.t4.ok_or_else(|| missing("payments.status"))?,
                received_at: p.at1.ok_or_else(|| missing("payments.received_at"))?,
                method: p.t1.ok_or_else(|| missing("payments.method"))?,
                manual_kind: p.t2,
                card_brand: p.t3,
                method_last4: p.t6,
                reference: p.t7,
            }),
            3 => refunds.push((
                (p.client, p.n2, p.position),
                RefundEntryRow {
                    document_id: p
                        .owner
                        .ok_or_else(|| missing("refund_allocations.document_id"))?,
                    refund_id: p.id,
                    payment_id: p.client.ok_or_else(|| missing("refunds.payment_id"))?,
                    amount_minor: p.n1,
                    currency: p.t5.ok_or_else(|| missing("payments.currency"))?,
                    created_at: p.at1.ok_or_else(|| missing("refunds.created_at"))?,
                },
            )),
            other => return Err(corrupt(format_args!("document read: section {other}"))),
        }
    }
    let Some(row) = row else {
        return Ok(None);
    };
    lines.sort_by_key(|l| l.position);
    // In the order refunds were made, as the ledger keeps them.
    refunds.sort_by_key(|((payment, version, position), _)| {
        (payment.map(|p| p.0), *version, *position)
    });
    let refunds = refunds.into_iter().map(|(_, r)| r).collect();
    document(row, lines, payments, refunds).map(Some)
}
