//! What a client sees in the portal, and the audit entry every view leaves.

use std::sync::Arc;

use chrono::NaiveDate;

use crate::model::{
    AuditAction, ClientInfo, Cursor, Document, DocumentId, DocumentSummary, Money, Page,
    PageRequest, PaymentSummary,
};
use crate::ports::{AuditStore, DocumentStore, OverviewStore, SessionContext, Store, StoreError};

use super::Env;

#[derive(Debug, thiserror::Error)]
pub enum ViewError {
    /// Unknown, a draft, or another company's: the same answer for all.
    #[error("no such document")]
    NotFound,
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// How many of the client's other documents the overview lists per page.
pub const DOCUMENTS_PER_PAGE: u32 = 25;
/// How many payments the overview lists per page.
pub const PAYMENTS_PER_PAGE: u32 = 25;

/// Which pages of the overview's two lists to show: the first of each,
/// or the one after a cursor.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct HomePages {
    pub documents: Option<Cursor>,
    pub payments: Option<Cursor>,
}

/// The portal's overview page.
#[derive(Debug, Clone)]
pub struct PortalHome {
    /// Sent invoices with something left to pay, oldest due date first:
    /// all of them, on every page.
    pub outstanding: Vec<DocumentSummary>,
    /// What is owed, one amount per currency.
    pub total_due: Vec<Money>,
    /// A page of every other document the client may see, newest first.
    pub documents: Page<DocumentSummary>,
    /// A page of payments, newest first, with the invoices they paid.
    pub payments: Page<PaymentSummary>,
    /// Today, in the account's time zone (for "overdue").
    pub today: NaiveDate,
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
    overview: Arc<dyn OverviewStore>,
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
            overview: store.clone(),
            audit: store.clone(),
            env,
        }
    }

    /// The overview of the session's company: what is owed, a page of
    /// the other documents sent to it and a page of its payment history,
    /// read at once whatever the history holds. Records a `portal_viewed`
    /// audit event.
    ///
    /// # Errors
    /// When the store fails.
    pub async fn portal_home(
        &self,
        ctx: &SessionContext,
        info: &ClientInfo,
        pages: HomePages,
    ) -> Result<PortalHome, StoreError> {
        let documents = PageRequest::new(pages.documents, Some(DOCUMENTS_PER_PAGE))
            .map_err(|e| StoreError::Backend(Box::new(e)))?;
        let payments = PageRequest::new(pages.payments, Some(PAYMENTS_PER_PAGE))
            .map_err(|e| StoreError::Backend(Box::new(e)))?;
        let overview = self
            .overview
            .overview(ctx.account.id, ctx.client.id, &documents, &payments)
            .await?;
        let mut outstanding: Vec<DocumentSummary> = overview
            .outstanding
            .into_iter()
            .filter(DocumentSummary::is_outstanding)
            .collect();
        outstanding.sort_by_key(|d| (d.due_date, d.issue_date, d.created_at, d.id.as_uuid()));
        let total_due = Money::totals(outstanding.iter().map(DocumentSummary::amount_due))
            .map_err(|e| StoreError::Backend(Box::new(e)))?;
        self.record_view(ctx, info, AuditAction::PortalViewed, None)
            .await?;
        Ok(PortalHome {
            outstanding,
            total_due,
            documents: Page::from_rows(overview.documents, &documents, DocumentSummary::cursor),
            payments: Page::from_rows(overview.payments, &payments, PaymentSummary::cursor),
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
