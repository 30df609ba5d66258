//! What a client sees in the portal, and the audit entry every view leaves.

use std::sync::Arc;

use chrono::NaiveDate;

use crate::model::{
    AuditAction, ClientInfo, Document, DocumentId, Money, PageRequest, Payment, PaymentStatus,
};
use crate::ports::{
    AuditStore, DocumentStore, PaymentFilter, PaymentStore, SessionContext, Store, StoreError,
};

use super::Env;

#[derive(Debug, thiserror::Error)]
pub enum ViewError {
    /// Unknown, a draft, or another company's: the same answer for all.
    #[error("no such document")]
    NotFound,
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// How many payments the overview lists.
pub const PAYMENT_HISTORY: u32 = 50;

/// The portal's overview page.
#[derive(Debug, Clone)]
pub struct PortalHome {
    /// Sent invoices with something left to pay, oldest due date first.
    pub outstanding: Vec<Document>,
    /// What is owed, one amount per currency.
    pub total_due: Vec<Money>,
    /// Every other document the client may see, newest first.
    pub documents: Vec<Document>,
    /// The latest payments, newest first, with the invoices they paid.
    pub payments: Vec<Payment>,
    /// Numbers of the invoices the listed payments paid.
    pub invoice_numbers: Vec<(DocumentId, String)>,
    /// Today, in the account's time zone (for "overdue").
    pub today: NaiveDate,
}

impl PortalHome {
    /// The number of an invoice a listed payment paid.
    pub fn invoice_number(&self, id: DocumentId) -> Option<&str> {
        self.invoice_numbers
            .iter()
            .find(|(doc, _)| *doc == id)
            .map(|(_, number)| number.as_str())
    }
}

/// One document, as its page shows it.
#[derive(Debug, Clone)]
pub struct PortalDocument {
    pub document: Document,
    /// Today, in the account's time zone.
    pub today: NaiveDate,
}

/// The pages a signed-in client sees.
#[derive(Clone)]
pub struct PortalViews {
    documents: Arc<dyn DocumentStore>,
    payments: Arc<dyn PaymentStore>,
    audit: Arc<dyn AuditStore>,
    env: Env,
}

impl std::fmt::Debug for PortalViews {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PortalViews").finish_non_exhaustive()
    }
}

impl PortalViews {
    pub(crate) fn new(store: &Arc<dyn Store>, env: Env) -> Self {
        Self {
            documents: store.clone(),
            payments: store.clone(),
            audit: store.clone(),
            env,
        }
    }

    /// The overview of the session's company: what is owed, every document
    /// sent to it and its payment history. Records a `portal_viewed` audit
    /// event.
    ///
    /// # Errors
    /// When the store fails.
    pub async fn portal_home(
        &self,
        ctx: &SessionContext,
        info: &ClientInfo,
    ) -> Result<PortalHome, StoreError> {
        let all = self
            .documents
            .client_documents(ctx.account.id, ctx.client.id)
            .await?;
        let invoice_numbers = all
            .iter()
            .map(|d| (d.id(), d.number().to_string()))
            .collect();
        let (mut outstanding, documents): (Vec<_>, Vec<_>) =
            all.into_iter().partition(Document::is_outstanding);
        outstanding.sort_by_key(|d| (d.due_date(), d.issue_date()));
        let total_due = Money::totals(outstanding.iter().map(Document::amount_due))
            .map_err(|e| StoreError::Backend(Box::new(e)))?;
        let payments = self
            .payments
            .payments(
                ctx.account.id,
                PaymentFilter {
                    client: Some(ctx.client.id),
                },
                &PageRequest::first(PAYMENT_HISTORY),
            )
            .await?
            .into_iter()
            .take(PAYMENT_HISTORY as usize)
            .filter(|p| p.status() != PaymentStatus::Failed)
            .collect();
        self.record_view(ctx, info, AuditAction::PortalViewed, None)
            .await?;
        Ok(PortalHome {
            outstanding,
            total_due,
            documents,
            payments,
            invoice_numbers,
            today: ctx.account.settings.time_zone.today(self.env.now()),
        })
    }

    /// One document of the session's company. Drafts and other companies'
    /// documents are not found, exactly like ids that do not exist. Records
    /// a `document_viewed` audit event.
    ///
    /// # Errors
    /// [`ViewError::NotFound`].
    pub async fn portal_document(
        &self,
        ctx: &SessionContext,
        id: DocumentId,
        info: &ClientInfo,
    ) -> Result<PortalDocument, ViewError> {
        let document = self
            .documents
            .document(ctx.account.id, id)
            .await?
            .filter(|d| d.client_id() == ctx.client.id && d.visible_in_portal())
            .ok_or(ViewError::NotFound)?;
        self.record_view(ctx, info, AuditAction::DocumentViewed, Some(document.id()))
            .await?;
        Ok(PortalDocument {
            document,
            today: ctx.account.settings.time_zone.today(self.env.now()),
        })
    }

    async fn record_view(
        &self,
        ctx: &SessionContext,
        info: &ClientInfo,
        action: AuditAction,
        document: Option<DocumentId>,
    ) -> Result<(), StoreError> {
        let event = self
            .env
            .audit(ctx.account.id, ctx.client.id, action)
            .contact(ctx.contact.id)
            .session(ctx.session.id)
            .document(document)
            .from(info)
            .build();
        self.audit.record(&event).await
    }
}
