//! Documents as operators manage them: create, read, list, send, void.
//! Sending writes the status change, the link, the audit event and the
//! email (an outbox row) in one unit; the email goes out afterwards.

use std::sync::Arc;

use chrono::{DateTime, Utc};

use crate::model::{
    Account, Attachment, AuditAction, ClientId, ContactId, Cursor, Document, DocumentAction,
    DocumentId, DocumentInput, DocumentKind, EmailAddress, InvalidTransition, LinkPurpose,
    OutboxId, OutboxTopic, Page, PageRequest, ValidationError,
};
use crate::notify;
use crate::ports::{
    Batch, BatchStore, Conflict, CrmStore, DocumentFilter, DocumentStore, Store, StoreError, Write,
};

use super::downloads::{DownloadError, Downloads};
use super::links::Links;
use super::{Env, UPDATE_ATTEMPTS};

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
    #[error("the contact is deactivated; reactivate it or send to another contact")]
    ContactInactive,
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
    #[error(
        "the client's portal was turned off, or the contact changed, while the document was being sent; send it again"
    )]
    PortalClosedMeanwhile,
    /// The PDF that goes with the email could not be rendered; nothing
    /// was sent.
    #[error("{0}")]
    Render(String),
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

/// A document after it was sent.
#[derive(Debug, Clone)]
pub struct SentDocument {
    pub document: Document,
    pub sent_to: EmailAddress,
    /// When the emailed portal link expires; `None` when the client's
    /// portal is off and the email carries no link.
    pub link_expires_at: Option<DateTime<Utc>>,
    /// The outbox item delivering the email.
    pub queued: OutboxId,
}

/// Invoices, estimates and contracts.
#[derive(Clone)]
pub struct Documents {
    store: Arc<dyn DocumentStore>,
    crm: Arc<dyn CrmStore>,
    batches: Arc<dyn BatchStore>,
    links: Links,
    downloads: Downloads,
    env: Env,
}

impl std::fmt::Debug for Documents {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Documents").finish_non_exhaustive()
    }
}

impl Documents {
    pub(crate) fn new(
        store: &Arc<dyn Store>,
        links: Links,
        downloads: Downloads,
        env: Env,
    ) -> Self {
        Self {
            downloads,
            store: store.clone(),
            crm: store.clone(),
            batches: store.clone(),
            links,
            env,
        }
    }

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
        self.crm
            .client(account.id, input.client_id)
            .await?
            .ok_or(DocumentError::ClientNotFound)?;
        let document = Document::draft(
            DocumentId::generate(self.env.random()),
            account.id,
            input,
            self.env.now(),
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
            .filter(|d| d.kind() == kind)
            .ok_or(DocumentError::NotFound)
    }

    /// Documents of one kind, for one client or all, newest first.
    ///
    /// # Errors
    /// [`DocumentError::ClientNotFound`] for an unknown client filter.
    pub async fn documents(
        &self,
        account: &Account,
        kind: DocumentKind,
        client: Option<ClientId>,
        page: PageRequest,
    ) -> Result<Page<Document>, DocumentError> {
        if let Some(client) = client {
            self.crm
                .client(account.id, client)
                .await?
                .ok_or(DocumentError::ClientNotFound)?;
        }
        let filter = DocumentFilter {
            client,
            kind: Some(kind),
        };
        let rows = self.store.documents(account.id, filter, &page).await?;
        Ok(Page::from_rows(rows, &page, |d| {
            Cursor::new(d.created_at(), d.id().as_uuid())
        }))
    }

    /// Emails a document to one of its client's contacts, with a magic
    /// link scoped to that contact and document when the client's portal is
    /// on. A draft becomes sent; sending again re-sends the email.
    ///
    /// The status change, the link, the audit event and the email are
    /// written together; the email is delivered from the outbox after, so a
    /// mail server that is down delays it but never loses it.
    ///
    /// # Errors
    /// [`DocumentError::ContactOfAnotherClient`],
    /// [`DocumentError::ContactInactive`], [`DocumentError::ClientInactive`],
    /// [`DocumentError::Transition`] for a void document,
    /// [`DocumentError::ChangedConcurrently`].
    pub async fn send_document(
        &self,
        account: &Account,
        kind: DocumentKind,
        id: DocumentId,
        contact: ContactId,
    ) -> Result<SentDocument, DocumentError> {
        for _ in 0..UPDATE_ATTEMPTS {
            // Read afresh each time: the link is stored only while the
            // contact still has the address it was minted for.
            let contact = self
                .crm
                .contact(account.id, contact)
                .await?
                .ok_or(DocumentError::ContactNotFound)?;
            let document = self.document(account, kind, id).await?;
            if contact.client_id != document.client_id() {
                return Err(DocumentError::ContactOfAnotherClient);
            }
            let client = self
                .crm
                .client(account.id, document.client_id())
                .await?
                .ok_or(DocumentError::ClientNotFound)?;
            if !client.active {
                return Err(DocumentError::ClientInactive);
            }
            if !contact.active {
                return Err(DocumentError::ContactInactive);
            }
            let sent = document.apply(DocumentAction::Send, self.env.now())?;
            let link = client.portal_enabled.then(|| {
                self.links.mint(
                    account,
                    &contact,
                    Some(document.id()),
                    LinkPurpose::DocumentSent,
                )
            });
            let mut email = notify::document_email(
                account,
                &contact,
                &sent,
                link.as_ref().map(|l| l.email_link()),
            );
            if link.is_none() && sent.kind() != DocumentKind::Contract {
                // Without a portal the PDF is the document: it goes along.
                let pdf = self
                    .downloads
                    .render_invoice(account, &client, &sent)
                    .await
                    .map_err(|e| match e {
                        DownloadError::Store(e) => DocumentError::from(e),
                        other => DocumentError::Render(other.to_string()),
                    })?;
                email.attachments.push(Attachment {
                    filename: pdf.filename,
                    content_type: "application/pdf".to_owned(),
                    content: pdf.bytes,
                });
            }
            let message = self.env.email(
                account.id,
                OutboxTopic::DocumentSent,
                email,
                link.as_ref().map(|l| l.link.id),
            );
            let queued = message.id;
            let mut batch = Batch::new();
            if let Some(link) = &link {
                batch.push(link.write());
            }
            batch
                .push(Write::UpdateDocument(sent.clone()))
                .push(Write::RecordRecipient {
                    document: document.id(),
                    contact: contact.id,
                    at: self.env.now(),
                })
                .push(Write::Audit(
                    self.env
                        .audit(account.id, client.id, AuditAction::DocumentSent)
                        .contact(contact.id)
                        .document(Some(document.id()))
                        .build(),
                ))
                .push(Write::Enqueue(message));
            if self.batches.commit(&batch).await? {
                return Ok(SentDocument {
                    document: sent.bumped(),
                    sent_to: contact.email,
                    link_expires_at: link.map(|l| l.link.expires_at),
                    queued,
                });
            }
        }
        Err(DocumentError::ChangedConcurrently)
    }

    /// Voids a draft, a sent estimate or contract, or an invoice with
    /// nothing paid on it. The client still sees a void document that was
    /// sent, marked as void.
    ///
    /// # Errors
    /// [`DocumentError::Transition`] for a paid, partially paid or already
    /// void document.
    pub async fn void_document(
        &self,
        account: &Account,
        kind: DocumentKind,
        id: DocumentId,
    ) -> Result<Document, DocumentError> {
        let document = self.document(account, kind, id).await?;
        let next = document.apply(DocumentAction::Void, self.env.now())?;
        if !self
            .batches
            .commit(&Batch::new().with(Write::UpdateDocument(next.clone())))
            .await?
        {
            return Err(DocumentError::ChangedConcurrently);
        }
        Ok(next.bumped())
    }
}
