//! What clients and operators download: document and receipt PDFs, and
//! statements as PDF or as a stream of rows (for CSV and JSON).
//!
//! Portal downloads are scoped to the session's company (another
//! company's id is not found, exactly like an unknown one) and each leaves
//! an audit event naming the contact, the session and what was pulled.

use std::collections::VecDeque;
use std::sync::Arc;

use crate::model::{
    Account, AccountId, AuditAction, Client, ClientId, ClientInfo, Currency, Document, DocumentId,
    Logo, Payment, PaymentId, PaymentStatus, SectionStatement, SectionStep, SectionSummary, Sheet,
    Statement, StatementEntry, StatementError, StatementRange, StatementSection, TimeZone,
};
use crate::ports::{Pdf, RenderError, Renderer, SessionContext, StatementScope, Store, StoreError};
use crate::sheets;

use super::Env;

/// How many invoices or payments a statement reads at a time.
pub const STATEMENT_PAGE: usize = 500;

/// Why a download is refused or failed.
#[derive(Debug, thiserror::Error)]
pub enum DownloadError {
    /// Unknown, not visible to the requester, or (for a receipt) a
    /// payment that has not succeeded: the same answer for all.
    #[error("not found")]
    NotFound,
    #[error(transparent)]
    Render(#[from] RenderError),
    #[error("the statement could not be computed: {0}")]
    Statement(#[from] StatementError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// A rendered PDF and the name to offer it under.
#[derive(Debug, Clone)]
pub struct RenderedPdf {
    pub filename: String,
    pub bytes: Pdf,
}

/// A statement's formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum StatementFormat {
    Pdf,
    Csv,
    Json,
}

impl StatementFormat {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pdf => "pdf",
            Self::Csv => "csv",
            Self::Json => "json",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        [Self::Pdf, Self::Csv, Self::Json]
            .into_iter()
            .find(|f| f.as_str() == text)
    }
}

/// Who downloads: an operator of the account (through the API), or a
/// contact through a portal session.
#[derive(Debug, Clone, Copy)]
pub enum Requester<'a> {
    Operator(&'a Account),
    Portal {
        ctx: &'a SessionContext,
        info: &'a ClientInfo,
    },
}

impl Requester<'_> {
    fn account(&self) -> &Account {
        match self {
            Self::Operator(account) => account,
            Self::Portal { ctx, .. } => &ctx.account,
        }
    }

    /// The one client a portal session may see.
    fn scope(&self) -> Option<ClientId> {
        match self {
            Self::Operator(_) => None,
            Self::Portal { ctx, .. } => Some(ctx.client.id),
        }
    }
}

/// One step of a streamed statement.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StatementEvent {
    /// A row (the opening and closing rows included).
    Entry(StatementEntry),
    /// A currency's figures, after its closing row.
    Section(SectionSummary),
}

/// A statement read a page at a time: memory stays flat however long the
/// client's history is. Sections come one currency after another, by
/// currency code.
pub struct StatementStream {
    store: Arc<dyn Store>,
    account: AccountId,
    client: Client,
    range: StatementRange,
    zone: TimeZone,
    currencies: VecDeque<Currency>,
    current: Option<SectionStatement>,
    generated_at: chrono::DateTime<chrono::Utc>,
}

impl std::fmt::Debug for StatementStream {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StatementStream")
            .field("client", &self.client.id)
            .field("range", &self.range)
            .finish_non_exhaustive()
    }
}

impl StatementStream {
    pub fn client(&self) -> &Client {
        &self.client
    }

    pub fn range(&self) -> StatementRange {
        self.range
    }

    pub fn time_zone(&self) -> TimeZone {
        self.zone
    }

    pub fn generated_at(&self) -> chrono::DateTime<chrono::Utc> {
        self.generated_at
    }

    /// The next row or section summary; `None` at the end.
    ///
    /// # Errors
    /// A store failure, or stored data that breaks the statement's rules.
    pub async fn next(&mut self) -> Result<Option<StatementEvent>, DownloadError> {
        loop {
            let Some(section) = self.current.as_mut() else {
                let Some(currency) = self.currencies.pop_front() else {
                    return Ok(None);
                };
                self.current = Some(SectionStatement::new(
                    currency,
                    self.range,
                    self.zone,
                    STATEMENT_PAGE,
                ));
                continue;
            };
            let scope = StatementScope {
                account: self.account,
                client: self.client.id,
                currency: section.currency(),
                limit: section.page_size(),
            };
            match section.step()? {
                SectionStep::NeedInvoices(after) => {
                    let page = self
                        .store
                        .statement_invoices(scope, section.invoices_through(), after)
                        .await?;
                    section.feed_invoices(page);
                }
                SectionStep::NeedPayments(after) => {
                    let page = self
                        .store
                        .statement_payments(scope, section.payments_before(), after)
                        .await?;
                    section.feed_payments(page);
                }
                SectionStep::Entry(entry) => return Ok(Some(StatementEvent::Entry(entry))),
                SectionStep::End(summary) => {
                    self.current = None;
                    return Ok(Some(StatementEvent::Section(summary)));
                }
                SectionStep::Done => self.current = None,
            }
        }
    }

    /// The whole statement, in memory (for a PDF or a JSON answer).
    ///
    /// # Errors
    /// As for [`StatementStream::next`].
    pub async fn collect(mut self) -> Result<Statement, DownloadError> {
        let mut sections = Vec::new();
        let mut entries = Vec::new();
        while let Some(event) = self.next().await? {
            match event {
                StatementEvent::Entry(entry) => entries.push(entry),
                StatementEvent::Section(summary) => sections.push(StatementSection {
                    entries: std::mem::take(&mut entries),
                    summary,
                }),
            }
        }
        Ok(Statement {
            client: self.client.id,
            range: self.range,
            time_zone: self.zone,
            generated_at: self.generated_at,
            sections,
        })
    }
}

/// Document, receipt and statement downloads.
#[derive(Clone)]
pub struct Downloads {
    store: Arc<dyn Store>,
    renderer: Arc<dyn Renderer>,
    env: Env,
}

impl std::fmt::Debug for Downloads {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Downloads").finish_non_exhaustive()
    }
}

impl Downloads {
    pub(crate) fn new(store: Arc<dyn Store>, renderer: Arc<dyn Renderer>, env: Env) -> Self {
        Self {
            store,
            renderer,
            env,
        }
    }

    async fn client(&self, by: &Requester<'_>, id: ClientId) -> Result<Client, DownloadError> {
        match by {
            Requester::Portal { ctx, .. } if ctx.client.id == id => Ok(ctx.client.clone()),
            Requester::Portal { .. } => Err(DownloadError::NotFound),
            Requester::Operator(account) => self
                .store
                .client(account.id, id)
                .await?
                .ok_or(DownloadError::NotFound),
        }
    }

    async fn logo(&self, account: &Account) -> Result<Option<Logo>, StoreError> {
        self.store.logo(account.id).await
    }

    async fn audit(
        &self,
        by: &Requester<'_>,
        action: AuditAction,
        document: Option<DocumentId>,
        payment: Option<PaymentId>,
        detail: Option<String>,
    ) -> Result<(), StoreError> {
        let Requester::Portal { ctx, info } = by else {
            return Ok(());
        };
        let mut event = self
            .env
            .audit(ctx.account.id, ctx.client.id, action)
            .contact(ctx.contact.id)
            .session(ctx.session.id)
            .document(document)
            .from(info);
        if let Some(payment) = payment {
            event = event.payment(payment);
        }
        if let Some(detail) = detail {
            event = event.detail(detail);
        }
        self.store.record(&event.build()).await
    }

    /// A document's PDF. Portal sessions see only their company's sent
    /// documents; operators see drafts too.
    ///
    /// # Errors
    /// [`DownloadError::NotFound`], a render or store failure.
    pub async fn document_pdf(
        &self,
        by: Requester<'_>,
        id: DocumentId,
    ) -> Result<RenderedPdf, DownloadError> {
        let account = by.account();
        let document = self
            .store
            .document(account.id, id)
            .await?
            .filter(|d| {
                by.scope()
                    .is_none_or(|client| d.client_id() == client && d.visible_in_portal())
            })
            .ok_or(DownloadError::NotFound)?;
        let client = self.client(&by, document.client_id()).await?;
        let logo = self.logo(account).await?;
        let sheet = sheets::invoice_sheet(account, logo, &client, &document);
        let bytes = self.renderer.render(Sheet::Invoice(sheet)).await?;
        self.audit(
            &by,
            AuditAction::DocumentDownloaded,
            Some(document.id()),
            None,
            None,
        )
        .await?;
        Ok(RenderedPdf {
            filename: sheets::document_filename(&document),
            bytes,
        })
    }

    /// A succeeded payment's receipt.
    ///
    /// # Errors
    /// [`DownloadError::NotFound`] (also for payments pending or failed),
    /// a render or store failure.
    pub async fn receipt_pdf(
        &self,
        by: Requester<'_>,
        id: PaymentId,
    ) -> Result<RenderedPdf, DownloadError> {
        let account = by.account();
        let payment = self
            .store
            .payment(account.id, id)
            .await?
            .filter(|p| p.status() == PaymentStatus::Succeeded)
            .filter(|p| by.scope().is_none_or(|client| p.client_id() == client))
            .ok_or(DownloadError::NotFound)?;
        let client = self.client(&by, payment.client_id()).await?;
        let bytes = self.render_receipt(account, &client, &payment).await?;
        self.audit(
            &by,
            AuditAction::ReceiptDownloaded,
            None,
            Some(payment.id()),
            None,
        )
        .await?;
        Ok(RenderedPdf {
            filename: sheets::receipt_filename(&payment),
            bytes,
        })
    }

    /// Renders a payment's receipt (also for the receipt email).
    pub(crate) async fn render_receipt(
        &self,
        account: &Account,
        client: &Client,
        payment: &Payment,
    ) -> Result<Pdf, DownloadError> {
        let mut invoices: Vec<Document> = Vec::new();
        for allocation in payment.allocations() {
            if let Some(document) = self
                .store
                .document(account.id, allocation.document_id)
                .await?
            {
                invoices.push(document);
            }
        }
        self.render_receipt_of(account, client, payment, &invoices)
            .await
    }

    /// Renders a payment's receipt from the invoices it went to, as they
    /// stand after it.
    pub(crate) async fn render_receipt_of(
        &self,
        account: &Account,
        client: &Client,
        payment: &Payment,
        invoices: &[Document],
    ) -> Result<Pdf, DownloadError> {
        let logo = self.logo(account).await?;
        let sheet = sheets::receipt_sheet(account, logo, client, payment, invoices)
            .map_err(StatementError::from)?;
        Ok(self.renderer.render(Sheet::Receipt(sheet)).await?)
    }

    /// Renders an invoice as its email attachment.
    pub(crate) async fn render_invoice(
        &self,
        account: &Account,
        client: &Client,
        document: &Document,
    ) -> Result<RenderedPdf, DownloadError> {
        let logo = self.logo(account).await?;
        let sheet = sheets::invoice_sheet(account, logo, client, document);
        Ok(RenderedPdf {
            filename: sheets::document_filename(document),
            bytes: self.renderer.render(Sheet::Invoice(sheet)).await?,
        })
    }

    /// A client's statement for `range`, to be read row by row (CSV,
    /// JSON) or collected. A portal download is recorded in the audit
    /// trail with the range and `format`.
    ///
    /// # Errors
    /// [`DownloadError::NotFound`] for an unknown client or another
    /// company's; a store failure.
    pub async fn statement(
        &self,
        by: Requester<'_>,
        client: ClientId,
        range: StatementRange,
        format: StatementFormat,
    ) -> Result<StatementStream, DownloadError> {
        let account = by.account();
        let client = self.client(&by, client).await?;
        let currencies = self
            .store
            .statement_currencies(account.id, client.id)
            .await?;
        if format != StatementFormat::Pdf {
            self.record_statement(&by, range, format).await?;
        }
        Ok(StatementStream {
            store: self.store.clone(),
            account: account.id,
            client,
            range,
            zone: account.settings.time_zone,
            currencies: currencies.into(),
            current: None,
            generated_at: self.env.now(),
        })
    }

    async fn record_statement(
        &self,
        by: &Requester<'_>,
        range: StatementRange,
        format: StatementFormat,
    ) -> Result<(), StoreError> {
        self.audit(
            by,
            AuditAction::StatementDownloaded,
            None,
            None,
            Some(format!("{range} {}", format.as_str())),
        )
        .await
    }

    /// A client's statement for `range` as a PDF.
    ///
    /// # Errors
    /// As for [`Downloads::statement`], and a render failure.
    pub async fn statement_pdf(
        &self,
        by: Requester<'_>,
        client: ClientId,
        range: StatementRange,
    ) -> Result<RenderedPdf, DownloadError> {
        let account = by.account();
        let stream = self
            .statement(by, client, range, StatementFormat::Pdf)
            .await?;
        let client = stream.client().clone();
        let statement = stream.collect().await?;
        let logo = self.logo(account).await?;
        let sheet = sheets::statement_sheet(account, logo, &client, &statement)
            .map_err(StatementError::from)?;
        let bytes = self.renderer.render(Sheet::Statement(sheet)).await?;
        self.record_statement(&by, range, StatementFormat::Pdf)
            .await?;
        Ok(RenderedPdf {
            filename: statement_filename(&client, range, StatementFormat::Pdf),
            bytes,
        })
    }
}

/// The file name a statement is offered under.
pub fn statement_filename(
    client: &Client,
    range: StatementRange,
    format: StatementFormat,
) -> String {
    sheets::safe_filename(&format!(
        "statement-{}-{}-{}.{}",
        client.name.as_str().to_lowercase().replace(' ', "-"),
        range.from(),
        range.to(),
        format.as_str()
    ))
}
