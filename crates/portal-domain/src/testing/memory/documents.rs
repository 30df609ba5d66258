//! Documents, their ledgers and payments, in memory.

use std::cmp::Reverse;

use async_trait::async_trait;

use super::{DocumentRow, InMemoryStore, State, corrupt, paged};
use crate::model::{
    AccountId, ClientId, ContactId, Document, DocumentId, DocumentSummary, LedgerEntry,
    PageRequest, Payment, PaymentId, PaymentStatus, PaymentSummary,
};
use crate::ports::{
    Conflict, DocumentFilter, DocumentStore, Overview, OverviewStore, PaymentFilter, PaymentStore,
    StoreError, StoreResult,
};

impl State {
    /// The ledger of one document, from the payments that touch it: what
    /// each applied, then what each refund took back, in time order.
    pub(super) fn ledger(&self, document: DocumentId) -> Vec<LedgerEntry> {
        let mut entries: Vec<LedgerEntry> = Vec::new();
        for payment in &self.payments {
            for (doc, entry) in payment.ledger_entries() {
                if doc == document {
                    entries.push(entry);
                }
            }
            for refund in payment.refunds() {
                for (doc, entry) in refund.ledger_entries() {
                    if doc == document {
                        entries.push(entry);
                    }
                }
            }
        }
        entries.sort_by_key(|e| (e.at(), matches!(e, LedgerEntry::Refund { .. }), e.payment()));
        entries
    }

    pub(super) fn load_document(&self, row: &DocumentRow) -> Result<Document, StoreError> {
        let mut record = row.record.clone();
        record.ledger = self.ledger(record.id);
        Document::restore(record).map_err(corrupt)
    }
}

#[async_trait]
impl DocumentStore for InMemoryStore {
    async fn insert_document(&self, document: &Document) -> StoreResult<()> {
        let mut state = self.state();
        if state.documents.iter().any(|d| {
            d.record.account_id == document.account_id()
                && d.record.kind == document.kind()
                && d.record.number == *document.number()
        }) {
            return Err(StoreError::Conflict(Conflict::DocumentNumber));
        }
        let mut record = document.record();
        record.ledger.clear();
        state.documents.push(DocumentRow { record });
        Ok(())
    }

    async fn document(&self, account: AccountId, id: DocumentId) -> StoreResult<Option<Document>> {
        let state = self.state();
        state
            .documents
            .iter()
            .find(|d| d.record.id == id && d.record.account_id == account)
            .map(|row| state.load_document(row))
            .transpose()
    }

    async fn documents(
        &self,
        account: AccountId,
        filter: DocumentFilter,
        page: &PageRequest,
    ) -> StoreResult<Vec<Document>> {
        let state = self.state();
        let rows: Vec<&DocumentRow> = state
            .documents
            .iter()
            .filter(|d| {
                d.record.account_id == account
                    && filter.client.is_none_or(|c| d.record.client_id == c)
                    && filter.kind.is_none_or(|k| d.record.kind == k)
            })
            .collect();
        paged(rows, page, false, |d| {
            (d.record.created_at, d.record.id.as_uuid())
        })
        .into_iter()
        .map(|row| state.load_document(row))
        .collect()
    }

    async fn client_documents(
        &self,
        account: AccountId,
        client: ClientId,
    ) -> StoreResult<Vec<Document>> {
        let state = self.state();
        let mut rows: Vec<&DocumentRow> = state
            .documents
            .iter()
            .filter(|d| {
                d.record.account_id == account
                    && d.record.client_id == client
                    && d.record.sent_at.is_some()
            })
            .collect();
        rows.sort_by_key(|d| Reverse((d.record.issue_date, d.record.created_at, d.record.id)));
        rows.into_iter()
            .map(|row| state.load_document(row))
            .collect()
    }

    async fn recipients(
        &self,
        account: AccountId,
        documents: &[DocumentId],
    ) -> StoreResult<Vec<ContactId>> {
        let state = self.state();
        let mut sent: Vec<_> = state
            .recipients
            .iter()
            .filter(|(doc, contact, _, _)| {
                documents.contains(doc)
                    && state
                        .contacts
                        .iter()
                        .any(|c| c.id == *contact && c.account_id == account)
            })
            .collect();
        sent.sort_by_key(|(_, contact, first, _)| (*first, *contact));
        let mut contacts: Vec<ContactId> = Vec::new();
        for (_, contact, _, _) in sent {
            if !contacts.contains(contact) {
                contacts.push(*contact);
            }
        }
        Ok(contacts)
    }
}

#[async_trait]
impl PaymentStore for InMemoryStore {
    async fn payment(&self, account: AccountId, id: PaymentId) -> StoreResult<Option<Payment>> {
        Ok(self
            .state()
            .payments
            .iter()
            .find(|p| p.id() == id && p.account_id() == account)
            .cloned())
    }

    async fn payments(
        &self,
        account: AccountId,
        filter: PaymentFilter,
        page: &PageRequest,
    ) -> StoreResult<Vec<Payment>> {
        let payments: Vec<Payment> = self
            .state()
            .payments
            .iter()
            .filter(|p| {
                p.account_id() == account && filter.client.is_none_or(|c| p.client_id() == c)
            })
            .cloned()
            .collect();
        Ok(paged(payments, page, false, |p| {
            (p.received_at(), p.id().as_uuid())
        }))
    }
}

#[async_trait]
impl OverviewStore for InMemoryStore {
    async fn overview(
        &self,
        account: AccountId,
        client: ClientId,
        documents: &PageRequest,
        payments: &PageRequest,
    ) -> StoreResult<Overview> {
        let state = self.state();
        let sent: Vec<Document> = state
            .documents
            .iter()
            .filter(|d| {
                d.record.account_id == account
                    && d.record.client_id == client
                    && d.record.sent_at.is_some()
            })
            .map(|row| state.load_document(row))
            .collect::<Result<_, _>>()?;
        let (outstanding, others): (Vec<_>, Vec<_>) = sent
            .iter()
            .map(DocumentSummary::of)
            .partition(DocumentSummary::is_outstanding);
        let number = |id: DocumentId| {
            sent.iter()
                .find(|d| d.id() == id)
                .map(|d| d.number().clone())
        };
        let listed: Vec<&Payment> = state
            .payments
            .iter()
            .filter(|p| {
                p.account_id() == account
                    && p.client_id() == client
                    && p.status() != PaymentStatus::Failed
            })
            .collect();
        let summaries = paged(listed, payments, false, |p| {
            (p.received_at(), p.id().as_uuid())
        })
        .into_iter()
        .map(|payment| {
            PaymentSummary::of(payment, number).ok_or_else(|| {
                corrupt(format_args!(
                    "payment {} went to a document not sent to its client",
                    payment.id()
                ))
            })
        })
        .collect::<Result<_, _>>()?;
        Ok(Overview {
            outstanding,
            documents: paged(others, documents, false, |d| (d.created_at, d.id.as_uuid())),
            payments: summaries,
        })
    }
}
