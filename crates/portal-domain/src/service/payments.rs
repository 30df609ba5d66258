//! Payments as operators record them, refunds, and the receipts a
//! succeeded payment sends. A payment, the invoices it changes, its audit
//! event and its receipts are written in one unit; the invoices are
//! compared-and-set, so two payments racing for one invoice's last dollar
//! cannot both take it.

use std::collections::HashMap;
use std::sync::Arc;

use chrono::{DateTime, Utc};

use crate::model::{
    Account, Allocation, Attachment, AuditAction, Client, ClientId, ClientInfo, Contact, ContactId,
    Currency, Cursor, Description, Document, DocumentId, DocumentKind, DocumentStatus,
    EmailAddress, LedgerError, ManualKind, MethodDetails, Money, OutboxTopic, Page, PageRequest,
    Payment, PaymentId, PaymentMethod, PaymentRecord, PaymentStatus, ProcessorCharge, ProcessorRef,
    Reference, Refund, RefundId, RefundRefusal, SessionId, ValidationError,
};
use crate::notify::{self, Settled};
use crate::ports::{
    Batch, BatchStore, CrmStore, DocumentStore, PaymentFilter, PaymentStore, ProcessorError,
    RefundRequest, Store, StoreError, Write,
};

use super::downloads::Downloads;
use super::processors::{ProcessorSettings, ProcessorSettingsError};
use super::{Env, UPDATE_ATTEMPTS};

/// A payment an operator records.
#[derive(Debug, Clone)]
pub struct PaymentInput {
    pub client_id: ClientId,
    pub amount: Money,
    pub method: PaymentMethod,
    pub reference: Option<Reference>,
    pub received_at: DateTime<Utc>,
    pub allocations: Vec<Allocation>,
    /// Who gets the receipt; the settled invoices' recipients when `None`.
    pub notify_contact: Option<ContactId>,
}

/// Marking an invoice paid: a manual payment of everything it still owes.
#[derive(Debug, Clone, Default)]
pub struct MarkPaid {
    /// How the money came; `other` when the operator does not say.
    pub kind: Option<ManualKind>,
    pub reference: Option<Reference>,
    /// When the money arrived; now when `None`.
    pub received_at: Option<DateTime<Utc>>,
    pub notify_contact: Option<ContactId>,
}

/// Why one allocation of a payment is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AllocationProblem {
    #[error("no invoice with this id")]
    NotFound,
    #[error("this document is not an invoice")]
    NotAnInvoice,
    #[error("this invoice belongs to another client than the payment")]
    OfAnotherClient,
    #[error("the invoice is in {invoice}, the payment in {payment}")]
    CurrencyMismatch {
        invoice: Currency,
        payment: Currency,
    },
    #[error("a {} invoice cannot take payments", .0.label().to_lowercase())]
    NotPayable(DocumentStatus),
    #[error("only {open} of this invoice is open to payment")]
    OverAllocated { open: Money },
}

#[derive(Debug, thiserror::Error)]
pub enum PaymentError {
    #[error("no client with this id")]
    ClientNotFound,
    #[error("no payment with this id")]
    PaymentNotFound,
    #[error("no invoice with this id")]
    InvoiceNotFound,
    #[error("no contact with this id for the payment's client")]
    ContactNotFound,
    #[error("the contact is deactivated")]
    ContactInactive,
    #[error(
        "the client is inactive and gets no emails; record the payment without notify_contact_id"
    )]
    ClientInactive,
    #[error(transparent)]
    Invalid(#[from] ValidationError),
    #[error("allocations[{index}]: {problem}")]
    Allocation {
        index: usize,
        problem: AllocationProblem,
    },
    #[error(transparent)]
    Refund(#[from] RefundRefusal),
    #[error("the invoices or the payment kept changing while this request was handled; try again")]
    ChangedConcurrently,
    /// The payment went through a processor that is no longer connected.
    #[error("the processor this payment was made through is no longer connected")]
    ProcessorDisconnected,
    /// The processor refused or could not be reached; nothing was
    /// recorded.
    #[error("the processor did not refund: {0}")]
    Processor(#[from] ProcessorError),
    #[error(transparent)]
    Settings(#[from] ProcessorSettingsError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// How a processor payment in flight ended, and who or what said so.
#[derive(Debug, Clone)]
pub(crate) struct Settlement {
    pub(crate) status: PaymentStatus,
    pub(crate) reference: Option<ProcessorRef>,
    pub(crate) method: Option<MethodDetails>,
    pub(crate) failure: Option<String>,
    /// The contact who paid, in the portal, with where from.
    pub(crate) payer: Option<(ContactId, SessionId, ClientInfo)>,
    /// The webhook event that settled it, recorded in the same unit.
    pub(crate) event: Option<Write>,
}

/// A recorded payment, the invoices as it left them, and where its
/// receipt went.
#[derive(Debug, Clone)]
pub struct RecordedPayment {
    pub payment: Payment,
    pub invoices: Vec<Document>,
    pub receipts_to: Vec<EmailAddress>,
}

/// A refund, the payment and the invoices after it.
#[derive(Debug, Clone)]
pub struct RefundOutcome {
    pub refund: Refund,
    pub payment: Payment,
    pub invoices: Vec<Document>,
}

/// The payment ledger.
#[derive(Clone)]
pub struct Payments {
    payments: Arc<dyn PaymentStore>,
    documents: Arc<dyn DocumentStore>,
    crm: Arc<dyn CrmStore>,
    batches: Arc<dyn BatchStore>,
    processors: ProcessorSettings,
    downloads: Downloads,
    env: Env,
}

impl std::fmt::Debug for Payments {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Payments").finish_non_exhaustive()
    }
}

impl Payments {
    pub(crate) fn new(
        store: &Arc<dyn Store>,
        processors: ProcessorSettings,
        downloads: Downloads,
        env: Env,
    ) -> Self {
        Self {
            downloads,
            payments: store.clone(),
            documents: store.clone(),
            crm: store.clone(),
            batches: store.clone(),
            processors,
            env,
        }
    }

    /// The receipt PDF for a receipt email, rendered once for all its
    /// recipients. A receipt that cannot be rendered does not hold the
    /// payment back: the email still carries every figure, and the PDF
    /// stays downloadable from the portal.
    async fn receipt_attachment(
        &self,
        account: &Account,
        client: &Client,
        payment: &Payment,
        invoices: &[Document],
        recipients: &[Contact],
    ) -> Option<Attachment> {
        if recipients.is_empty() {
            return None;
        }
        let bytes = self
            .downloads
            .render_receipt_of(account, client, payment, invoices)
            .await
            .ok()?;
        Some(Attachment {
            filename: crate::sheets::receipt_filename(payment),
            content_type: "application/pdf".to_owned(),
            content: bytes,
        })
    }

    /// # Errors
    /// [`PaymentError::PaymentNotFound`], also for another account's.
    pub async fn payment(&self, account: &Account, id: PaymentId) -> Result<Payment, PaymentError> {
        self.payments
            .payment(account.id, id)
            .await?
            .ok_or(PaymentError::PaymentNotFound)
    }

    /// Payments of the account (or one client), newest first.
    ///
    /// # Errors
    /// [`PaymentError::ClientNotFound`] for an unknown client filter.
    pub async fn payments(
        &self,
        account: &Account,
        client: Option<ClientId>,
        page: PageRequest,
    ) -> Result<Page<Payment>, PaymentError> {
        if let Some(client) = client {
            self.crm
                .client(account.id, client)
                .await?
                .ok_or(PaymentError::ClientNotFound)?;
        }
        let rows = self
            .payments
            .payments(account.id, PaymentFilter { client }, &page)
            .await?;
        Ok(Page::from_rows(rows, &page, |p| {
            Cursor::new(p.received_at(), p.id().as_uuid())
        }))
    }

    /// Records a payment received outside the portal and applies it to the
    /// client's invoices. Refused, with nothing written, when an allocation
    /// names an unknown, draft, void or other client's invoice, is in
    /// another currency, exceeds what the invoice has open, or when the
    /// allocations add up to more than the payment.
    ///
    /// # Errors
    /// [`PaymentError::ClientNotFound`], [`PaymentError::Invalid`],
    /// [`PaymentError::Allocation`], [`PaymentError::ContactNotFound`].
    pub async fn record_payment(
        &self,
        account: &Account,
        input: PaymentInput,
    ) -> Result<RecordedPayment, PaymentError> {
        let client = self
            .crm
            .client(account.id, input.client_id)
            .await?
            .ok_or(PaymentError::ClientNotFound)?;
        if input.allocations.is_empty() {
            return Err(ValidationError::new(
                "allocations",
                "must apply the payment to at least one invoice",
            )
            .into());
        }
        let notify = self
            .notify_contact(account, &client, input.notify_contact)
            .await?;
        let id = PaymentId::generate(self.env.random());
        for _ in 0..UPDATE_ATTEMPTS {
            let now = self.env.now();
            let payment = Payment::new(
                PaymentRecord {
                    id,
                    account_id: account.id,
                    client_id: client.id,
                    amount: input.amount,
                    method: input.method,
                    reference: input.reference.clone(),
                    received_at: input.received_at,
                    status: PaymentStatus::Succeeded,
                    allocations: input.allocations.clone(),
                    refunds: Vec::new(),
                    created_at: now,
                    version: 0,
                    processor: None,
                    failure: None,
                },
                now,
            )?;
            let mut invoices = Vec::new();
            for (index, allocation) in payment.allocations().iter().enumerate() {
                let refuse = |problem| PaymentError::Allocation { index, problem };
                let invoice = self
                    .documents
                    .document(account.id, allocation.document_id)
                    .await?
                    .ok_or_else(|| refuse(AllocationProblem::NotFound))?;
                if invoice.kind() != DocumentKind::Invoice {
                    return Err(refuse(AllocationProblem::NotAnInvoice));
                }
                if invoice.client_id() != client.id {
                    return Err(refuse(AllocationProblem::OfAnotherClient));
                }
                invoices.push(invoice);
            }
            let entries = payment.ledger_entries().map(|(_, e)| e);
            let updated = invoices
                .iter()
                .zip(entries)
                .enumerate()
                .map(|(index, (invoice, entry))| {
                    invoice
                        .with_entries([entry], now)
                        .map_err(|e| PaymentError::Allocation {
                            index,
                            problem: problem(invoice, e),
                        })
                })
                .collect::<Result<Vec<_>, _>>()?;
            let recipients = match &notify {
                Some(contact) => vec![contact.clone()],
                None => self.receipt_recipients(account, &client, &updated).await?,
            };
            let still_due = self.still_due(account, &client, &updated).await?;
            let settled: Vec<Settled<'_>> = updated
                .iter()
                .zip(payment.allocations())
                .map(|(invoice, a)| Settled {
                    invoice,
                    applied: a.amount,
                })
                .collect();
            let mut batch = Batch::new();
            batch.push(Write::InsertPayment(payment.clone()));
            push_invoice_updates(&mut batch, &updated);
            batch.push(Write::Audit(
                self.env
                    .audit(account.id, client.id, AuditAction::PaymentRecorded)
                    .payment(payment.id())
                    .build(),
            ));
            let receipt = self
                .receipt_attachment(account, &client, &payment, &updated, &recipients)
                .await;
            for contact in &recipients {
                let mut email =
                    notify::receipt_email(account, contact, &payment, &settled, &still_due);
                email.attachments.extend(receipt.clone());
                batch.push(Write::Enqueue(self.env.email(
                    account.id,
                    OutboxTopic::Receipt,
                    email,
                    None,
                )));
            }
            if self.batches.commit(&batch).await? {
                return Ok(RecordedPayment {
                    invoices: updated.iter().map(Document::bumped).collect(),
                    receipts_to: recipients.into_iter().map(|c| c.email).collect(),
                    payment,
                });
            }
        }
        Err(PaymentError::ChangedConcurrently)
    }

    /// Marks a sent invoice paid: records a manual payment of all it still
    /// has open.
    ///
    /// # Errors
    /// [`PaymentError::InvoiceNotFound`], and as for
    /// [`Payments::record_payment`].
    pub async fn mark_paid(
        &self,
        account: &Account,
        invoice: DocumentId,
        how: MarkPaid,
    ) -> Result<RecordedPayment, PaymentError> {
        let document = self
            .documents
            .document(account.id, invoice)
            .await?
            .filter(|d| d.kind() == DocumentKind::Invoice)
            .ok_or(PaymentError::InvoiceNotFound)?;
        let open = document.amount_open();
        if !open.is_positive() {
            return Err(PaymentError::Allocation {
                index: 0,
                problem: if document.amount_due().is_positive() {
                    AllocationProblem::OverAllocated { open }
                } else {
                    AllocationProblem::NotPayable(document.status())
                },
            });
        }
        self.record_payment(
            account,
            PaymentInput {
                client_id: document.client_id(),
                amount: open,
                method: PaymentMethod::Manual(how.kind.unwrap_or(ManualKind::Other)),
                reference: how.reference,
                received_at: how.received_at.unwrap_or_else(|| self.env.now()),
                allocations: vec![Allocation {
                    document_id: document.id(),
                    amount: open,
                }],
                notify_contact: how.notify_contact,
            },
        )
        .await
    }

    /// Refunds (part of) a payment. The refund takes first from what the
    /// payment applied to no invoice, then from its invoices, the last
    /// allocated first; each invoice it reduces reopens.
    ///
    /// # Errors
    /// [`PaymentError::PaymentNotFound`], [`PaymentError::Refund`] for more
    /// than is left to refund or a payment that did not succeed.
    pub async fn refund(
        &self,
        account: &Account,
        id: PaymentId,
        amount: i64,
        reason: Option<Description>,
    ) -> Result<RefundOutcome, PaymentError> {
        let mut refund_id = None;
        let mut refunded_at_processor = false;
        for _ in 0..UPDATE_ATTEMPTS {
            let payment = self.payment(account, id).await?;
            let amount = Money::parse_positive("amount", amount, payment.currency())?;
            // Derived from what the refund is asked of, as the payment
            // stood: a request retried after the processor timed out asks
            // the processor again under the same idempotency key (and so
            // refunds once), and one that lost a race to its own duplicate
            // finds that refund recorded.
            let refund_id = *refund_id.get_or_insert_with(|| derive_refund_id(&payment, amount));
            if let Some(done) = payment.refunds().iter().find(|r| r.id == refund_id) {
                let mut invoices = Vec::new();
                for allocation in &done.allocations {
                    if let Some(invoice) = self
                        .documents
                        .document(account.id, allocation.document_id)
                        .await?
                    {
                        invoices.push(invoice);
                    }
                }
                return Ok(RefundOutcome {
                    refund: done.clone(),
                    payment,
                    invoices,
                });
            }
            let now = self.env.now();
            let refund = payment.refund(refund_id, amount, reason.clone(), now)?;
            if !refunded_at_processor && let Some(charge) = payment.processor() {
                self.refund_at_processor(account, &payment, charge, &refund)
                    .await?;
                refunded_at_processor = true;
            }
            let mut invoices = Vec::new();
            let mut stale = false;
            for (document, entry) in refund.ledger_entries() {
                // The payment's own records say this much was applied, so
                // a refusal means another refund of it committed after the
                // payment was read: read both again.
                match self.documents.document(account.id, document).await? {
                    Some(invoice) => match invoice.with_entries([entry], now) {
                        Ok(updated) => invoices.push(updated),
                        Err(_) => stale = true,
                    },
                    None => return Err(PaymentError::ChangedConcurrently),
                }
            }
            if stale {
                continue;
            }
            let mut batch = Batch::new();
            batch.push(Write::InsertRefund {
                refund: refund.clone(),
                payment_version: payment.version(),
            });
            push_invoice_updates(&mut batch, &invoices);
            batch.push(Write::Audit(
                self.env
                    .audit(
                        account.id,
                        payment.client_id(),
                        AuditAction::PaymentRefunded,
                    )
                    .payment(payment.id())
                    .build(),
            ));
            if self.batches.commit(&batch).await? {
                return Ok(RefundOutcome {
                    payment: payment.with_refund(refund.clone()),
                    refund,
                    invoices: invoices.iter().map(Document::bumped).collect(),
                });
            }
        }
        Err(PaymentError::ChangedConcurrently)
    }

    /// Takes the money back at the processor the payment went through,
    /// with the refund's id as idempotency key (a retry refunds once).
    async fn refund_at_processor(
        &self,
        account: &Account,
        payment: &Payment,
        charge: &ProcessorCharge,
        refund: &Refund,
    ) -> Result<(), PaymentError> {
        // Another connection (or none) cannot refund it, whatever it is.
        if self.processors.connection_id(account.id).await? != Some(charge.connection_id) {
            return Err(PaymentError::ProcessorDisconnected);
        }
        let connected = self
            .processors
            .connected(account.id)
            .await?
            .filter(|c| c.connection.id == charge.connection_id)
            .ok_or(PaymentError::ProcessorDisconnected)?;
        let Some(reference) = charge.reference.clone() else {
            return Err(PaymentError::Processor(ProcessorError::Rejected(
                "the processor never confirmed this charge".to_owned(),
            )));
        };
        let outcome = connected
            .processor
            .refund(&RefundRequest {
                refund: refund.id,
                payment: payment.id(),
                charge: reference,
                amount: refund.amount,
            })
            .await;
        self.processors
            .record(&connected, outcome.as_ref().err())
            .await;
        outcome?;
        Ok(())
    }

    /// Settles a processor payment in flight: its status, the invoices it
    /// touches, the audit event, the receipts (for a success) and the
    /// webhook event that said so, in one unit. Settling again the way it
    /// already settled changes nothing; a settled payment never changes
    /// its outcome.
    pub(crate) async fn settle(
        &self,
        account: &Account,
        id: PaymentId,
        settlement: Settlement,
    ) -> Result<Payment, PaymentError> {
        for _ in 0..UPDATE_ATTEMPTS {
            let payment = self.payment(account, id).await?;
            if payment.status() != PaymentStatus::Pending {
                // Settled before: remember the event, and when the
                // processor now says otherwise, leave that in the audit
                // trail for an operator (the ledger never flips).
                let mut batch = Batch::new();
                if let Some(event) = &settlement.event {
                    batch.push(event.clone());
                }
                if payment.status() != settlement.status {
                    batch.push(Write::Audit(
                        self.env
                            .audit(
                                account.id,
                                payment.client_id(),
                                AuditAction::PaymentOutcomeDisputed,
                            )
                            .payment(payment.id())
                            .build(),
                    ));
                }
                if !batch.is_empty() {
                    self.batches.commit(&batch).await?;
                }
                return Ok(payment);
            }
            let method = settlement
                .method
                .as_ref()
                .map(MethodDetails::payment_method);
            let next = payment.settled(
                settlement.status,
                settlement.reference.clone(),
                method,
                settlement.failure.clone(),
            )?;
            let now = self.env.now();
            let client = self
                .crm
                .client(account.id, payment.client_id())
                .await?
                .ok_or(PaymentError::ClientNotFound)?;
            let mut invoices = Vec::new();
            for allocation in payment.allocations() {
                let invoice = self
                    .documents
                    .document(account.id, allocation.document_id)
                    .await?
                    .ok_or(PaymentError::InvoiceNotFound)?;
                let updated = invoice
                    .with_payment_settled(payment.id(), next.status(), next.method(), now)
                    .map_err(|e| PaymentError::Allocation {
                        index: invoices.len(),
                        problem: problem(&invoice, e),
                    })?;
                invoices.push(updated);
            }
            let mut batch = Batch::new();
            batch.push(Write::UpdatePayment(next.clone()));
            push_invoice_updates(&mut batch, &invoices);
            let action = match next.status() {
                PaymentStatus::Succeeded => AuditAction::PaymentRecorded,
                _ => AuditAction::PaymentFailed,
            };
            let mut event = self
                .env
                .audit(account.id, client.id, action)
                .payment(payment.id());
            if let Some((contact, session, info)) = &settlement.payer {
                event = event.contact(*contact).session(*session).from(info);
            }
            batch.push(Write::Audit(event.build()));
            if next.status() == PaymentStatus::Succeeded {
                let mut recipients = self.receipt_recipients(account, &client, &invoices).await?;
                if let Some((contact, ..)) = &settlement.payer
                    && !recipients.iter().any(|c| c.id == *contact)
                    && client.active
                    && let Some(payer) = self.crm.contact(account.id, *contact).await?
                    && payer.active
                {
                    recipients.insert(0, payer);
                }
                let still_due = self.still_due(account, &client, &invoices).await?;
                let settled: Vec<Settled<'_>> = invoices
                    .iter()
                    .zip(next.allocations())
                    .map(|(invoice, a)| Settled {
                        invoice,
                        applied: a.amount,
                    })
                    .collect();
                let receipt = self
                    .receipt_attachment(account, &client, &next, &invoices, &recipients)
                    .await;
                for contact in &recipients {
                    let mut email =
                        notify::receipt_email(account, contact, &next, &settled, &still_due);
                    email.attachments.extend(receipt.clone());
                    batch.push(Write::Enqueue(self.env.email(
                        account.id,
                        OutboxTopic::Receipt,
                        email,
                        None,
                    )));
                }
            }
            if let Some(event) = &settlement.event {
                batch.push(event.clone());
            }
            if self.batches.commit(&batch).await? {
                return Ok(next);
            }
        }
        Err(PaymentError::ChangedConcurrently)
    }

    /// The contact an operator named for the receipt: one of the client's,
    /// and active.
    async fn notify_contact(
        &self,
        account: &Account,
        client: &Client,
        contact: Option<ContactId>,
    ) -> Result<Option<Contact>, PaymentError> {
        let Some(id) = contact else {
            return Ok(None);
        };
        if !client.active {
            return Err(PaymentError::ClientInactive);
        }
        let contact = self
            .crm
            .contact(account.id, id)
            .await?
            .filter(|c| c.client_id == client.id)
            .ok_or(PaymentError::ContactNotFound)?;
        if !contact.active {
            return Err(PaymentError::ContactInactive);
        }
        Ok(Some(contact))
    }

    /// Who gets a receipt by default: the active contacts the settled
    /// invoices were sent to. An inactive client gets no email at all.
    async fn receipt_recipients(
        &self,
        account: &Account,
        client: &Client,
        invoices: &[Document],
    ) -> Result<Vec<Contact>, StoreError> {
        if !client.active {
            return Ok(Vec::new());
        }
        let ids: Vec<DocumentId> = invoices.iter().map(Document::id).collect();
        let mut contacts = Vec::new();
        for id in self.documents.recipients(account.id, &ids).await? {
            if let Some(contact) = self.crm.contact(account.id, id).await?
                && contact.active
                && contact.client_id == client.id
            {
                contacts.push(contact);
            }
        }
        Ok(contacts)
    }

    /// What the client owes in all once `updated` is written: one amount
    /// per currency, never summed across currencies.
    async fn still_due(
        &self,
        account: &Account,
        client: &Client,
        updated: &[Document],
    ) -> Result<Vec<Money>, StoreError> {
        let latest: HashMap<DocumentId, &Document> = updated.iter().map(|d| (d.id(), d)).collect();
        let documents = self
            .documents
            .client_documents(account.id, client.id)
            .await?;
        let due = documents.iter().filter_map(|document| {
            let document = latest.get(&document.id()).copied().unwrap_or(document);
            document.is_outstanding().then(|| document.amount_due())
        });
        Money::totals(due).map_err(|e| StoreError::Backend(Box::new(e)))
    }
}

/// A refund's id, from the payment as it stood (its id and version) and
/// the amount asked: the same request against the same payment gets the
/// same id, while a second refund after the first was recorded (a new
/// version) gets another.
fn derive_refund_id(payment: &Payment, amount: Money) -> RefundId {
    use sha2::{Digest, Sha256};
    let digest = Sha256::digest(
        format!(
            "refund:{}:{}:{}:{}",
            payment.id(),
            payment.version(),
            amount.minor(),
            amount.currency().code()
        )
        .as_bytes(),
    );
    let mut bytes = [0u8; 16];
    bytes.copy_from_slice(&digest[..16]);
    RefundId::from_uuid(uuid::Builder::from_random_bytes(bytes).into_uuid())
}

/// The invoice writes of a batch, in id order, so concurrent batches take
/// their row locks in one order and cannot deadlock.
fn push_invoice_updates(batch: &mut Batch, invoices: &[Document]) {
    let mut sorted: Vec<&Document> = invoices.iter().collect();
    sorted.sort_by_key(|d| d.id());
    for invoice in sorted {
        batch.push(Write::UpdateDocument(invoice.clone()));
    }
}

/// An invoice's refusal of a ledger entry, as an allocation problem.
fn problem(invoice: &Document, err: LedgerError) -> AllocationProblem {
    match err {
        LedgerError::NotPayable { status, .. } => AllocationProblem::NotPayable(status),
        LedgerError::CurrencyMismatch { invoice, amount } => AllocationProblem::CurrencyMismatch {
            invoice,
            payment: amount,
        },
        LedgerError::OverPaid { open } => AllocationProblem::OverAllocated { open },
        LedgerError::OverRefunded { .. } | LedgerError::Money(_) => {
            AllocationProblem::OverAllocated {
                open: invoice.amount_open(),
            }
        }
    }
}
