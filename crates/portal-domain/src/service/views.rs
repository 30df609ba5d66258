//! What a client sees in the portal, and the audit entry every view leaves.

use crate::model::{AuditAction, ClientInfo, Document, DocumentId, Money};
use crate::ports::{DocumentFilter, SessionContext, StoreError};

use super::Portal;

#[derive(Debug, thiserror::Error)]
pub enum ViewError {
    /// Unknown, a draft, or another company's: the same answer for all.
    #[error("no such document")]
    NotFound,
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// The portal's overview page.
#[derive(Debug, Clone)]
pub struct PortalHome {
    /// Sent, unpaid invoices, oldest due date first.
    pub outstanding: Vec<Document>,
    /// What is owed, one amount per currency.
    pub total_due: Vec<Money>,
    /// Every other document the client may see, newest first.
    pub documents: Vec<Document>,
}

impl Portal {
    /// The overview of the session's company: what is owed and every
    /// document sent to it. Records a `portal_viewed` audit event.
    ///
    /// # Errors
    /// When the store fails.
    pub async fn portal_home(
        &self,
        ctx: &SessionContext,
        info: &ClientInfo,
    ) -> Result<PortalHome, StoreError> {
        let filter = DocumentFilter {
            client: Some(ctx.client.id),
            kind: None,
            sent_only: true,
        };
        let all = self.store.documents(ctx.account.id, filter).await?;
        let (mut outstanding, documents): (Vec<_>, Vec<_>) =
            all.into_iter().partition(Document::is_outstanding);
        outstanding.sort_by_key(|d| (d.due_date, d.issue_date));
        let mut total_due: Vec<Money> = Vec::new();
        for doc in &outstanding {
            match total_due.iter_mut().find(|m| m.currency() == doc.currency) {
                Some(sum) => *sum = Money::new(sum.minor() + doc.total, doc.currency),
                None => total_due.push(doc.total_money()),
            }
        }
        self.record_view(ctx, info, AuditAction::PortalViewed, None)
            .await?;
        Ok(PortalHome {
            outstanding,
            total_due,
            documents,
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
    ) -> Result<Document, ViewError> {
        let document = self
            .store
            .document(ctx.account.id, id)
            .await?
            .filter(|d| d.client_id == ctx.client.id && d.visible_in_portal())
            .ok_or(ViewError::NotFound)?;
        self.record_view(ctx, info, AuditAction::DocumentViewed, Some(document.id))
            .await?;
        Ok(document)
    }

    async fn record_view(
        &self,
        ctx: &SessionContext,
        info: &ClientInfo,
        action: AuditAction,
        document: Option<DocumentId>,
    ) -> Result<(), StoreError> {
        let event = self
            .audit_event(&ctx.account, ctx.client.id, action)
            .contact(ctx.contact.id)
            .session(ctx.session.id)
            .document(document)
            .from(info)
            .build();
        self.store.record(&event).await
    }
}
