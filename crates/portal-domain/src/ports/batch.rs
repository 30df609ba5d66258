//! A batch: writes that happen together or not at all. A use case that
//! changes state and causes side effects puts the change, its audit event
//! and its outbox rows in one batch, so an email is never recorded without
//! the change that caused it, nor the change without its email.

use chrono::{DateTime, Utc};

use super::store::ConnectionRecord;
use crate::model::{
    AccountId, AuditEvent, Checkout, CheckoutId, ClaimToken, ContactId, Document, DocumentId,
    EmailAddress, LinkId, MagicLink, OutboxId, OutboxMessage, Payment, PaymentId, PaymentMethodId,
    PortalSession, ProcessorKind, ProcessorRef, Refund, StoredMethod,
};

/// One write of a batch.
#[derive(Debug, Clone)]
pub enum Write {
    /// Stores a magic link and the pending session it activates. Takes the
    /// link's client row lock first; the whole batch is refused with
    /// [`Conflict::PortalClosed`](super::Conflict::PortalClosed) when the
    /// client's portal is closed, or the contact is inactive or no longer
    /// has the address `email` the link was minted for (an email change
    /// racing the link).
    InsertLink {
        link: MagicLink,
        pending: Option<PortalSession>,
        email: EmailAddress,
    },
    /// Writes the document's status and status times and counts its
    /// version up, if the stored version is still `document.version()`;
    /// otherwise the batch is lost.
    UpdateDocument(Document),
    /// Stores a new payment with its allocations.
    InsertPayment(Payment),
    /// Stores a refund with its allocations and counts its payment's
    /// version up, if the payment's stored version is still
    /// `payment_version`; otherwise the batch is lost.
    InsertRefund {
        refund: Refund,
        payment_version: u64,
    },
    /// Remembers that `document` was sent to `contact`, at `at` (the
    /// latest send wins).
    RecordRecipient {
        document: DocumentId,
        contact: ContactId,
        at: DateTime<Utc>,
    },
    Audit(AuditEvent),
    /// Adds an item to the outbox.
    Enqueue(OutboxMessage),
    /// Makes a failed or dead outbox item of `account` pending again, due
    /// at `at`, with its attempts reset and, with `relink`, its email
    /// pointed at that link instead; if the item is in another status (or
    /// gone), the batch is lost.
    RetryOutbox {
        account: AccountId,
        id: OutboxId,
        at: DateTime<Utc>,
        relink: Option<LinkId>,
    },
    /// Marks a claimed outbox item done at `at`, if `claim` still holds it;
    /// otherwise the batch is lost.
    CompleteOutbox {
        id: OutboxId,
        claim: ClaimToken,
        at: DateTime<Utc>,
    },
    /// Writes a processor payment's status, method, processor reference
    /// and failure, and its version (counted up by
    /// [`Payment::settled`]), if the stored version is still one less;
    /// otherwise the batch is lost.
    UpdatePayment(Payment),
    /// Makes `connection` the account's processor connection, replacing
    /// any other (whose customers and methods stay behind, unused).
    PutConnection(ConnectionRecord),
    /// Removes the account's processor connection, if any.
    DeleteConnection {
        account: AccountId,
    },
    /// Records a method the processor confirmed. A method with the same
    /// processor reference under the same connection is replaced. When it
    /// is the default, the client's other methods under the connection
    /// stop being.
    InsertMethod(StoredMethod),
    /// Makes a method its client's default (and the others not), if it
    /// still exists; otherwise the batch is lost.
    SetDefaultMethod {
        account: AccountId,
        id: PaymentMethodId,
    },
    /// Forgets a method, if it still exists; otherwise the batch is lost.
    RemoveMethod {
        account: AccountId,
        id: PaymentMethodId,
    },
    /// Stores a new checkout (a pay form's one-time token).
    InsertCheckout(Checkout),
    /// Marks an open checkout submitted at `at`. If it is not open (or
    /// gone), the batch is lost: of concurrent submissions exactly one
    /// wins.
    SubmitCheckout {
        account: AccountId,
        id: CheckoutId,
        at: DateTime<Utc>,
    },
    /// Records that a processor's webhook event was applied. If the
    /// account already recorded this event id for this processor, the
    /// batch is lost: each event is applied once.
    RecordProcessorEvent {
        account: AccountId,
        processor: ProcessorKind,
        event_id: ProcessorRef,
        event_type: String,
        payment: Option<PaymentId>,
        at: DateTime<Utc>,
    },
}

/// Writes applied in order, in one transaction.
#[derive(Debug, Clone, Default)]
pub struct Batch {
    writes: Vec<Write>,
}

impl Batch {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn push(&mut self, write: Write) -> &mut Self {
        self.writes.push(write);
        self
    }

    #[must_use]
    pub fn with(mut self, write: Write) -> Self {
        self.writes.push(write);
        self
    }

    pub fn writes(&self) -> &[Write] {
        &self.writes
    }

    pub fn is_empty(&self) -> bool {
        self.writes.is_empty()
    }
}
