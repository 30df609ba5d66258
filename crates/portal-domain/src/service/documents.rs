//! Documents as operators manage them: create, read, send, void, mark paid.

use chrono::{DateTime, Utc};

use crate::model::{
    Account, AuditAction, ClientId, ContactId, Document, DocumentAction, DocumentId, DocumentInput,
    DocumentKind, EmailAddress, InvalidTransition, LinkPurpose, ValidationError,
};
use crate::notify;
use crate::ports::{Conflict, DocumentFilter, MailError, StoreError};

use super::Portal;

#[derive(Debug, thiserror::Error)]
pub enum DocumentError {
    #[error("no document with this id")]
    NotFound,
    #[error("no client with this id")]
    ClientNotFound,
    #[error("no contact with this id")]
    ContactNotFound,
    #[error("this contact belongs to another client than the document")]
    ContactOfAnotherClient,
    #[error("the client is inactive; reactivate it before sending")]
    ClientInactive,
    #[error("a document of this kind with this number already exists")]
    DuplicateNumber,
    #[error(transparent)]
    Invalid(#[from] ValidationError),
    #[error(transparent)]
    Transition(#[from] InvalidTransition),
    #[error("the document changed while this request was handled; read it again")]
    ChangedConcurrently,
    #[error("the client's portal was turned off while the document was being sent; send it again")]
    PortalClosedMeanwhile,
    #[error(transparent)]
    Mail(#[from] MailError),
    #[error(transparent)]
    Store(StoreError),
}

impl From<StoreError> for DocumentError {
    fn from(err: StoreError) -> Self {
        match err {
            StoreError::Conflict(Conflict::PortalClosed) => Self::PortalClosedMeanwhile,
            other => Self::Store(other),
        }
    }
}

/// A document after it was emailed.
#[derive(Debug, Clone)]
pub struct SentDocument {
    pub document: Document,
    pub sent_to: EmailAddress,
    /// When the emailed portal link expires; `None` when the client's
    /// portal is off and the email carried no link.
    pub link_expires_at: Option<DateTime<Utc>>,
}

impl Portal {
    /// Creates a draft document for one of the account's clients.
    ///
    /// # Errors
    /// [`DocumentError::ClientNotFound`], [`DocumentError::Invalid`],
    /// [`DocumentError::DuplicateNumber`].
    pub async fn create_document(
        &self,
        account: &Account,
        input: DocumentInput,
    ) -> Result<Document, DocumentError> {
        self.store
            .client(account.id, input.client_id)
            .await?
            .ok_or(DocumentError::ClientNotFound)?;
        let document = Document::draft(
            DocumentId::generate(self.random.as_ref()),
            account.id,
            input,
            self.clock.now(),
        )?;
        match self.store.insert_document(&document).await {
            Ok(()) => Ok(document),
            Err(StoreError::Conflict(Conflict::DocumentNumber)) => {
                Err(DocumentError::DuplicateNumber)
            }
            Err(other) => Err(other.into()),
        }
    }

    /// A document of the account, of the given kind.
    ///
    /// # Errors
    /// [`DocumentError::NotFound`], also for another account's document or
    /// a document of another kind.
    pub async fn document(
        &self,
        account: &Account,
        kind: DocumentKind,
        id: DocumentId,
    ) -> Result<Document, DocumentError> {
        self.store
            .document(account.id, id)
            .await?
            .filter(|d| d.kind == kind)
            .ok_or(DocumentError::NotFound)
    }

    /// Documents of one kind, for one client or all.
    ///
    /// # Errors
    /// [`DocumentError::ClientNotFound`] for an unknown client filter.
    pub async fn documents(
        &self,
        account: &Account,
        kind: DocumentKind,
        client: Option<ClientId>,
    ) -> Result<Vec<Document>, DocumentError> {
        if let Some(client) = client {
            self.store
                .client(account.id, client)
                .await?
                .ok_or(DocumentError::ClientNotFound)?;
        }
        let filter = DocumentFilter {
            client,
            kind: Some(kind),
            sent_only: false,
        };
        Ok(self.store.documents(account.id, filter).await?)
    }

    /// Emails a document to one of its client's contacts, with a magic
    /// link scoped to that contact and document when the client's portal is
    /// on. A draft becomes sent; sending again re-sends the email.
    ///
    /// The email goes first: if it fails, the link is revoked and the
    /// document is left as it was.
    ///
    /// # Errors
    /// [`DocumentError::ContactOfAnotherClient`], [`DocumentError::ClientInactive`],
    /// [`DocumentError::Transition`] for a void document,
    /// [`DocumentError::Mail`] when the email was not accepted.
    pub async fn send_document(
        &self,
        account: &Account,
        kind: DocumentKind,
        id: DocumentId,
        contact: ContactId,
    ) -> Result<SentDocument, DocumentError> {
        let document = self.document(account, kind, id).await?;
        let contact = self
            .store
            .contact(account.id, contact)
            .await?
            .ok_or(DocumentError::ContactNotFound)?;
        if contact.client_id != document.client_id {
            return Err(DocumentError::ContactOfAnotherClient);
        }
        let client = self
            .store
            .client(account.id, document.client_id)
            .await?
            .ok_or(DocumentError::ClientNotFound)?;
        if !client.active {
            return Err(DocumentError::ClientInactive);
        }
        let sent = document.apply(DocumentAction::Send, self.clock.now())?;

        let link = if client.portal_enabled {
            Some(
                self.issue_link(
                    account,
                    &contact,
                    Some(document.id),
                    LinkPurpose::DocumentSent,
                )
                .await?,
            )
        } else {
            None
        };
        let email = notify::document_email(
            account,
            &contact,
            &sent,
            link.as_ref().map(|l| l.email_link()),
        );
        self.mail_link(&email, link.as_ref()).await?;
        if sent.status != document.status
            && !self
                .store
                .update_document_status(&sent, document.status)
                .await?
        {
            return Err(DocumentError::ChangedConcurrently);
        }
        let event = self
            .audit_event(account, client.id, AuditAction::DocumentSent)
            .contact(contact.id)
            .document(Some(document.id))
            .build();
        self.store.record(&event).await?;
        Ok(SentDocument {
            document: sent,
            sent_to: contact.email,
            link_expires_at: link.map(|l| l.link.expires_at),
        })
    }

    /// Voids a draft or sent document. The client still sees a void
    /// document that was sent, marked as void.
    ///
    /// # Errors
    /// [`DocumentError::Transition`] for a paid or already void document.
    pub async fn void_document(
        &self,
        account: &Account,
        kind: DocumentKind,
        id: DocumentId,
    ) -> Result<Document, DocumentError> {
        self.change_status(account, kind, id, DocumentAction::Void)
            .await
    }

    /// Marks a sent invoice paid, for a payment received outside the
    /// portal (a cheque, a bank transfer).
    ///
    /// # Errors
    /// [`DocumentError::Transition`] unless it is a sent invoice.
    pub async fn mark_document_paid(
        &self,
        account: &Account,
        kind: DocumentKind,
        id: DocumentId,
    ) -> Result<Document, DocumentError> {
        self.change_status(account, kind, id, DocumentAction::MarkPaid)
            .await
    }

    async fn change_status(
        &self,
        account: &Account,
        kind: DocumentKind,
        id: DocumentId,
        action: DocumentAction,
    ) -> Result<Document, DocumentError> {
        let document = self.document(account, kind, id).await?;
        let next = document.apply(action, self.clock.now())?;
        if next.status != document.status
            && !self
                .store
                .update_document_status(&next, document.status)
                .await?
        {
            return Err(DocumentError::ChangedConcurrently);
        }
        Ok(next)
    }
}
