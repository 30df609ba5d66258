//! Pay Now: a client pays one or several outstanding invoices through the
//! account's processor, with a saved method or a card the processor's
//! script tokenized in the browser.
//!
//! A pay form carries a one-time [`Checkout`]. Submitting it marks it
//! submitted and records the payment as pending on its invoices, in one
//! unit decided by compare-and-set, so double clicks, a resubmitted form,
//! the back button or two tabs charge once. The charge runs with the
//! payment's id as the processor's idempotency key; only the processor's
//! answer (now, after a 3-D Secure challenge, by webhook or by
//! reconciliation) ever marks the payment succeeded.

use std::sync::Arc;

use chrono::{DateTime, Utc};

use crate::model::{
    Account, AccountId, Allocation, AuditAction, CHECKOUT_LIFETIME, CardBrand, Checkout,
    CheckoutId, CheckoutState, ClientInfo, Document, DocumentId, DocumentKind, Money, Payment,
    PaymentId, PaymentMethod, PaymentMethodId, PaymentRecord, PaymentStatus, ProcessorCharge,
    ProcessorKind, StoredMethod, ValidationError,
};
use crate::ports::{
    AccountStore, Batch, BatchStore, BrowserAssets, BrowserToken, ChargeLookup, ChargeOutcome,
    ChargeRequest, ChargeSource, ChargeStatus, DocumentStore, EventEffect, PaymentStore,
    ProcessorError, ProcessorStore, SessionContext, SetupStart, Store, StoreError, WebhookError,
    WebhookRequest, Write,
};

use super::methods::{MethodError, PaymentMethods};
use super::payments::{PaymentError, Payments, Settlement};
use super::processors::{Connected, ProcessorSettings, ProcessorSettingsError};
use super::{Env, UPDATE_ATTEMPTS};

/// How often a charge is sent again, with the same idempotency key, when
/// the processor could not be reached.
const CHARGE_ATTEMPTS: u32 = 3;

/// What a client asks to pay.
#[derive(Debug, Clone)]
pub struct PayRequest {
    /// One or more of the client's outstanding invoices.
    pub invoices: Vec<DocumentId>,
    /// Less than the whole balance, for a single invoice, where the
    /// account allows partial payments (minor units).
    pub amount: Option<i64>,
}

/// How a checkout is paid.
#[derive(Debug, Clone)]
pub enum PayWith {
    Saved(PaymentMethodId),
    /// A method the processor's script tokenized; kept at the processor
    /// (and listed) when `save`.
    New {
        token: BrowserToken,
        save: bool,
    },
}

#[derive(Debug, thiserror::Error)]
pub enum CheckoutError {
    #[error("online payment is not available: no processor is connected")]
    NotConnected,
    /// Unknown, not outstanding, or another company's: the same answer.
    #[error("no outstanding invoice with this id")]
    InvoiceNotFound,
    #[error("choose at least one invoice to pay")]
    NothingToPay,
    #[error("invoices in different currencies are paid separately")]
    MixedCurrencies,
    #[error("this business does not take partial payments online")]
    PartialNotAllowed,
    #[error(transparent)]
    Invalid(#[from] ValidationError),
    /// Unknown, or another session's.
    #[error("this payment form is not known; start again from the invoice")]
    CheckoutNotFound,
    #[error("this payment form has expired; start again from the invoice")]
    CheckoutExpired,
    #[error("the invoices changed since this form was shown; start again from the invoice")]
    InvoicesChanged,
    /// Unknown, or another client's: answered before any processor call.
    #[error("no such payment method")]
    MethodNotFound,
    #[error("the processor cannot be reached now; nothing was charged")]
    Unavailable(#[source] ProcessorError),
    #[error("no such payment")]
    PaymentNotFound,
    #[error(transparent)]
    Methods(#[from] MethodError),
    #[error(transparent)]
    Payments(#[from] PaymentError),
    #[error(transparent)]
    Settings(#[from] ProcessorSettingsError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// A pay form, ready to show.
#[derive(Debug, Clone)]
pub struct CheckoutForm {
    pub checkout: Checkout,
    pub invoices: Vec<Document>,
    pub methods: Vec<StoredMethod>,
    pub connected: Connected,
    pub assets: BrowserAssets,
    /// What the processor's script needs to tokenize a new method; `None`
    /// when the processor cannot start one now (saved methods still work).
    pub setup: Option<SetupStart>,
}

/// How a submitted payment went.
#[derive(Debug, Clone)]
pub enum PayOutcome {
    Succeeded(Payment),
    /// Accepted, settles later (a bank debit).
    Processing(Payment),
    /// The browser finishes a 3-D Secure challenge, then confirms.
    RequiresAction {
        payment: Payment,
        client_secret: String,
    },
    /// Declined; nothing was paid. The message is fit to show.
    Failed {
        payment: Payment,
        message: String,
    },
    /// The processor did not answer; the payment is reconciled with it
    /// later and nothing is marked paid before it says so.
    Unconfirmed(Payment),
    /// The form was submitted before: its payment, as it stands.
    AlreadySubmitted(Payment),
}

impl PayOutcome {
    pub fn payment(&self) -> &Payment {
        match self {
            Self::Succeeded(p)
            | Self::Processing(p)
            | Self::Unconfirmed(p)
            | Self::AlreadySubmitted(p)
            | Self::RequiresAction { payment: p, .. }
            | Self::Failed { payment: p, .. } => p,
        }
    }
}

/// What applying a webhook did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct WebhookReport {
    /// Events applied now.
    pub applied: usize,
    /// Events seen before.
    pub duplicates: usize,
    /// Events for payments the portal does not know, or of no interest:
    /// recorded.
    pub ignored: usize,
}

#[derive(Debug, thiserror::Error)]
pub enum WebhookApplyError {
    /// No such account, or its processor is another (or none).
    #[error("no account takes this processor's webhooks here")]
    UnknownEndpoint,
    #[error(transparent)]
    Refused(#[from] WebhookError),
    #[error(transparent)]
    Payments(#[from] PaymentError),
    #[error(transparent)]
    Settings(#[from] ProcessorSettingsError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// What one reconciliation pass did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ReconcileReport {
    pub checked: usize,
    pub succeeded: usize,
    pub failed: usize,
    /// Still in flight at the processor, or the processor did not answer.
    pub pending: usize,
    /// Where the next pass goes on (the last payment checked), when this
    /// one read a full page; `None` when it reached the end.
    pub next: Option<(DateTime<Utc>, PaymentId)>,
}

/// How long a payment may stay pending with no charge at the processor
/// before reconciliation decides it was never made.
pub const UNCHARGED_AFTER: chrono::Duration = chrono::Duration::hours(1);

/// Pay Now, 3-D Secure confirmation, webhooks and reconciliation.
#[derive(Clone)]
pub struct Checkouts {
    store: Arc<dyn ProcessorStore>,
    documents: Arc<dyn DocumentStore>,
    payments_store: Arc<dyn PaymentStore>,
    accounts: Arc<dyn AccountStore>,
    batches: Arc<dyn BatchStore>,
    settings: ProcessorSettings,
    methods: PaymentMethods,
    payments: Payments,
    env: Env,
}

impl std::fmt::Debug for Checkouts {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Checkouts").finish_non_exhaustive()
    }
}

impl Checkouts {
    pub(crate) fn new(
        store: &Arc<dyn Store>,
        settings: ProcessorSettings,
        methods: PaymentMethods,
        payments: Payments,
        env: Env,
    ) -> Self {
        Self {
            store: store.clone(),
            documents: store.clone(),
            payments_store: store.clone(),
            accounts: store.clone(),
            batches: store.clone(),
            settings,
            methods,
            payments,
            env,
        }
    }

    /// Shows a pay form for some of the client's outstanding invoices: a
    /// new one-time checkout, the saved methods, and what the processor's
    /// script needs for a new card.
    ///
    /// # Errors
    /// [`CheckoutError::NotConnected`], [`CheckoutError::InvoiceNotFound`]
    /// (also for another company's invoice), [`CheckoutError::MixedCurrencies`],
    /// [`CheckoutError::PartialNotAllowed`], [`CheckoutError::Invalid`].
    pub async fn prepare(
        &self,
        ctx: &SessionContext,
        request: PayRequest,
    ) -> Result<CheckoutForm, CheckoutError> {
        let connected = self
            .settings
            .connected(ctx.account.id)
            .await?
            .ok_or(CheckoutError::NotConnected)?;
        let mut ids = request.invoices.clone();
        ids.sort();
        ids.dedup();
        if ids.is_empty() {
            return Err(CheckoutError::NothingToPay);
        }
        if ids.len() > crate::model::MAX_ALLOCATIONS {
            return Err(ValidationError::new(
                "invoices",
                format!("at most {} invoices at once", crate::model::MAX_ALLOCATIONS),
            )
            .into());
        }
        let mut invoices = Vec::new();
        for id in ids {
            let invoice = self
                .documents
                .document(ctx.account.id, id)
                .await?
                .filter(|d| {
                    d.client_id() == ctx.client.id
                        && d.kind() == DocumentKind::Invoice
                        && d.is_outstanding()
                        && d.amount_open().is_positive()
                })
                .ok_or(CheckoutError::InvoiceNotFound)?;
            invoices.push(invoice);
        }
        let currency = invoices[0].currency();
        if invoices.iter().any(|d| d.currency() != currency) {
            return Err(CheckoutError::MixedCurrencies);
        }
        let mut allocations: Vec<Allocation> = invoices
            .iter()
            .map(|d| Allocation {
                document_id: d.id(),
                amount: d.amount_open(),
            })
            .collect();
        if let Some(minor) = request.amount {
            let open = allocations[0].amount;
            if minor != open.minor() || allocations.len() > 1 {
                if !ctx.account.settings.allow_partial_payments {
                    return Err(CheckoutError::PartialNotAllowed);
                }
                if allocations.len() > 1 {
                    return Err(ValidationError::new(
                        "amount",
                        "a partial amount pays one invoice at a time",
                    )
                    .into());
                }
                let amount = Money::parse_positive("amount", minor, currency)?;
                if amount.minor() > open.minor() {
                    return Err(ValidationError::new(
                        "amount",
                        format!("must be at most the {open} still open"),
                    )
                    .into());
                }
                allocations[0].amount = amount;
            }
        }
        let amount = Money::sum(currency, allocations.iter().map(|a| a.amount))
            .map_err(|e| ValidationError::new("amount", e.to_string()))?;
        let now = self.env.now();
        let checkout = Checkout {
            id: CheckoutId::generate(self.env.random()),
            account_id: ctx.account.id,
            client_id: ctx.client.id,
            contact_id: ctx.contact.id,
            session_id: ctx.session.id,
            connection_id: connected.connection.id,
            payment_id: PaymentId::generate(self.env.random()),
            amount,
            allocations,
            created_at: now,
            expires_at: now + CHECKOUT_LIFETIME,
            state: CheckoutState::Open,
        };
        self.batches
            .commit(&Batch::new().with(Write::InsertCheckout(checkout.clone())))
            .await?;
        let methods = self
            .store
            .methods(ctx.account.id, connected.connection.id, ctx.client.id)
            .await?;
        // A new card needs the processor's setup; saved methods do not, so
        // a processor that cannot start one now still takes those.
        let setup = match self.methods.customer(&connected, ctx).await {
            Ok(customer) => {
                let setup = connected.processor.start_setup(&customer.reference).await;
                self.settings.record(&connected, setup.as_ref().err()).await;
                setup.ok()
            }
            Err(_) => None,
        };
        let assets = self.settings.browser_assets(&connected);
        Ok(CheckoutForm {
            checkout,
            invoices,
            methods,
            connected,
            assets,
            setup,
        })
    }

    /// Submits a pay form: charges once, whatever happens around it.
    ///
    /// # Errors
    /// [`CheckoutError::CheckoutNotFound`] (also another session's),
    /// [`CheckoutError::CheckoutExpired`], [`CheckoutError::MethodNotFound`]
    /// (checked before any processor call), [`CheckoutError::InvoicesChanged`].
    pub async fn submit(
        &self,
        ctx: &SessionContext,
        id: CheckoutId,
        with: PayWith,
        info: &ClientInfo,
    ) -> Result<PayOutcome, CheckoutError> {
        let checkout = self.own_checkout(ctx, id).await?;
        if let CheckoutState::Submitted(_) = checkout.state {
            return self.already_submitted(ctx, &checkout).await;
        }
        let now = self.env.now();
        if checkout.is_expired(now) {
            return Err(CheckoutError::CheckoutExpired);
        }
        let connected = self
            .settings
            .connected(ctx.account.id)
            .await?
            .ok_or(CheckoutError::NotConnected)?;
        if connected.connection.id != checkout.connection_id {
            return Err(CheckoutError::CheckoutExpired);
        }
        let saved = match &with {
            PayWith::Saved(method) => Some(
                self.methods
                    .own_method(&connected, ctx, *method)
                    .await
                    .map_err(|_| CheckoutError::MethodNotFound)?,
            ),
            PayWith::New { .. } => None,
        };
        let method = saved.as_ref().map_or(
            PaymentMethod::Card {
                brand: CardBrand::Other,
                last4: None,
            },
            |m| m.details.payment_method(),
        );
        let Some(payment) = self.claim(ctx, &checkout, &connected, method, info).await? else {
            return self.already_submitted(ctx, &checkout).await;
        };
        let payer = Some((ctx.contact.id, ctx.session.id, info.clone()));
        let customer = match self.methods.customer(&connected, ctx).await {
            Ok(c) => c,
            Err(e) => return self.fail_before_charge(ctx, &payment, payer, e).await,
        };
        let source = match with {
            PayWith::Saved(_) => {
                // Checked above; the reference is the processor's.
                ChargeSource::Saved(
                    saved
                        .map(|m| m.reference)
                        .ok_or(CheckoutError::MethodNotFound)?,
                )
            }
            PayWith::New { token, save: true } => {
                match self
                    .methods
                    .save(&connected, ctx, &token, false, info)
                    .await
                {
                    Ok(method) => ChargeSource::Saved(method.reference),
                    Err(e) => return self.fail_before_charge(ctx, &payment, payer, e).await,
                }
            }
            PayWith::New { token, save: false } => ChargeSource::Token(token),
        };
        let request = ChargeRequest {
            payment: payment.id(),
            customer: customer.reference,
            source,
            amount: payment.amount(),
            description: self.description(ctx, &checkout).await?,
        };
        // Each attempt waits out the adapter's own timeout; the same
        // idempotency key makes a retry of a charge that did go through
        // answer that charge.
        for _ in 0..CHARGE_ATTEMPTS {
            let outcome = connected.processor.charge(&request).await;
            self.settings
                .record(&connected, outcome.as_ref().err())
                .await;
            match outcome {
                Ok(outcome) => return self.apply(ctx, &payment, outcome, payer).await,
                Err(e) if e.is_retryable() => {}
                Err(e) => {
                    let message = match &e {
                        ProcessorError::Declined(m) => m.clone(),
                        _ => "The payment could not be processed. Nothing was charged.".to_owned(),
                    };
                    return self
                        .apply(
                            ctx,
                            &payment,
                            ChargeOutcome {
                                status: ChargeStatus::Failed { message },
                                reference: None,
                                method: None,
                            },
                            payer,
                        )
                        .await;
                }
            }
        }
        Ok(PayOutcome::Unconfirmed(payment))
    }

    /// After the browser finished a 3-D Secure challenge (or gave up):
    /// asks the processor how the charge stands and records that.
    ///
    /// # Errors
    /// [`CheckoutError::PaymentNotFound`] for another client's payment;
    /// [`CheckoutError::Unavailable`] when the processor does not answer.
    pub async fn confirm(
        &self,
        ctx: &SessionContext,
        payment: PaymentId,
        info: &ClientInfo,
    ) -> Result<PayOutcome, CheckoutError> {
        let payment = self
            .payments_store
            .payment(ctx.account.id, payment)
            .await?
            .filter(|p| p.client_id() == ctx.client.id && p.processor().is_some())
            .ok_or(CheckoutError::PaymentNotFound)?;
        if payment.status() != PaymentStatus::Pending {
            return Ok(settled_outcome(payment));
        }
        let connected = self
            .settings
            .connected(ctx.account.id)
            .await?
            .ok_or(CheckoutError::NotConnected)?;
        let payer = Some((ctx.contact.id, ctx.session.id, info.clone()));
        match self.look_up(&connected, ctx.account.id, &payment).await {
            Ok(Some(outcome)) => self.apply(ctx, &payment, outcome, payer).await,
            Ok(None) => Ok(PayOutcome::Unconfirmed(payment)),
            Err(e) => Err(CheckoutError::Unavailable(e)),
        }
    }

    /// A payment of the session's client, as it stands (for the result
    /// page).
    ///
    /// # Errors
    /// [`CheckoutError::PaymentNotFound`], also for another client's.
    pub async fn payment(
        &self,
        ctx: &SessionContext,
        payment: PaymentId,
    ) -> Result<Payment, CheckoutError> {
        self.payments_store
            .payment(ctx.account.id, payment)
            .await?
            .filter(|p| p.client_id() == ctx.client.id)
            .ok_or(CheckoutError::PaymentNotFound)
    }

    /// Verifies a processor's webhook for an account and applies its
    /// events, each once.
    ///
    /// # Errors
    /// [`WebhookApplyError::UnknownEndpoint`]; [`WebhookApplyError::Refused`]
    /// for forged, stale or malformed requests (nothing applied).
    pub async fn apply_webhook(
        &self,
        account: AccountId,
        kind: ProcessorKind,
        request: &WebhookRequest<'_>,
    ) -> Result<WebhookReport, WebhookApplyError> {
        let account = self
            .accounts
            .account(account)
            .await?
            .ok_or(WebhookApplyError::UnknownEndpoint)?;
        let connected = self
            .settings
            .connected(account.id)
            .await?
            .filter(|c| c.kind() == kind)
            .ok_or(WebhookApplyError::UnknownEndpoint)?;
        let events = connected.processor.parse_webhook(request)?;
        let mut report = WebhookReport::default();
        for event in events {
            if self
                .store
                .processor_event_seen(account.id, kind, &event.id)
                .await?
            {
                report.duplicates += 1;
                continue;
            }
            let (reference, payment_id, settlement) = match event.effect {
                EventEffect::ChargeSucceeded {
                    reference,
                    payment,
                    method,
                } => (
                    reference.clone(),
                    payment,
                    Settlement {
                        status: PaymentStatus::Succeeded,
                        reference: Some(reference),
                        method,
                        failure: None,
                        payer: None,
                        event: None,
                    },
                ),
                EventEffect::ChargeFailed {
                    reference,
                    payment,
                    message,
                } => (
                    reference.clone(),
                    payment,
                    Settlement {
                        status: PaymentStatus::Failed,
                        reference: Some(reference),
                        method: None,
                        failure: Some(message),
                        payer: None,
                        event: None,
                    },
                ),
                EventEffect::Ignored => {
                    self.record_event(&account, kind, &event.id, &event.event_type, None)
                        .await?;
                    report.ignored += 1;
                    continue;
                }
            };
            let payment = match payment_id {
                Some(id) => self.payments_store.payment(account.id, id).await?,
                None => None,
            };
            let payment = match payment {
                Some(p) => Some(p),
                None => {
                    self.store
                        .payment_by_charge(account.id, kind, &reference)
                        .await?
                }
            };
            let Some(payment) = payment.filter(|p| {
                p.processor()
                    .is_some_and(|c| c.kind == kind && c.connection_id == connected.connection.id)
            }) else {
                self.record_event(&account, kind, &event.id, &event.event_type, None)
                    .await?;
                report.ignored += 1;
                continue;
            };
            let record = Write::RecordProcessorEvent {
                account: account.id,
                processor: kind,
                event_id: event.id.clone(),
                event_type: event.event_type.clone(),
                payment: Some(payment.id()),
                at: self.env.now(),
            };
            match self
                .payments
                .settle(
                    &account,
                    payment.id(),
                    Settlement {
                        event: Some(record),
                        ..settlement
                    },
                )
                .await
            {
                Ok(_) => report.applied += 1,
                // Another delivery of the same event won the race.
                Err(PaymentError::ChangedConcurrently)
                    if self
                        .store
                        .processor_event_seen(account.id, kind, &event.id)
                        .await? =>
                {
                    report.duplicates += 1;
                }
                Err(e) => return Err(e.into()),
            }
        }
        Ok(report)
    }

    /// Asks the processor about processor payments left pending (a server
    /// stopped between charge and record, a processor that timed out, a
    /// challenge never finished) and records what it says. A payment the
    /// processor has no charge for after [`UNCHARGED_AFTER`] failed.
    ///
    /// Checks up to `limit` payments after `after` (the previous pass's
    /// [`ReconcileReport::next`]), so payments that stay pending for days
    /// (bank debits) never keep newer ones from being checked.
    ///
    /// # Errors
    /// A store failure.
    pub async fn reconcile(
        &self,
        older_than: chrono::Duration,
        after: Option<(DateTime<Utc>, PaymentId)>,
        limit: u32,
    ) -> Result<ReconcileReport, StoreError> {
        let now = self.env.now();
        let pending = self
            .store
            .pending_processor_payments(now - older_than, after, limit)
            .await?;
        let mut report = ReconcileReport {
            next: (pending.len() >= limit as usize)
                .then(|| pending.last().map(|p| (p.created_at(), p.id())))
                .flatten(),
            ..ReconcileReport::default()
        };
        for payment in pending {
            report.checked += 1;
            let Ok(Some(account)) = self.accounts.account(payment.account_id()).await else {
                report.pending += 1;
                continue;
            };
            let connected = match self.settings.connected(account.id).await {
                Ok(Some(c))
                    if payment
                        .processor()
                        .is_some_and(|p| p.connection_id == c.connection.id) =>
                {
                    c
                }
                _ => {
                    report.pending += 1;
                    continue;
                }
            };
            let outcome = match self.look_up(&connected, account.id, &payment).await {
                Ok(Some(outcome)) => outcome,
                Ok(None) if now - payment.created_at() >= UNCHARGED_AFTER => ChargeOutcome {
                    status: ChargeStatus::Failed {
                        message: "The payment was not completed. Nothing was charged.".to_owned(),
                    },
                    reference: None,
                    method: None,
                },
                _ => {
                    report.pending += 1;
                    continue;
                }
            };
            let settlement = match outcome.status {
                ChargeStatus::Succeeded => Some(PaymentStatus::Succeeded),
                ChargeStatus::Failed { .. } => Some(PaymentStatus::Failed),
                ChargeStatus::Processing | ChargeStatus::RequiresAction { .. } => None,
            };
            let Some(status) = settlement else {
                report.pending += 1;
                continue;
            };
            let failure = match &outcome.status {
                ChargeStatus::Failed { message } => Some(message.clone()),
                _ => None,
            };
            let result = self
                .payments
                .settle(
                    &account,
                    payment.id(),
                    Settlement {
                        status,
                        reference: outcome.reference,
                        method: outcome.method,
                        failure,
                        payer: None,
                        event: None,
                    },
                )
                .await;
            match (result, status) {
                (Ok(_), PaymentStatus::Succeeded) => report.succeeded += 1,
                (Ok(_), _) => report.failed += 1,
                (Err(_), _) => report.pending += 1,
            }
        }
        Ok(report)
    }

    /// Deletes unsubmitted checkouts that expired before `before`.
    ///
    /// # Errors
    /// A store failure.
    pub async fn forget_expired(&self, before: DateTime<Utc>) -> Result<u64, StoreError> {
        self.store.forget_checkouts(before).await
    }

    /// Remembers an event that changes nothing, so a redelivery is known.
    async fn record_event(
        &self,
        account: &Account,
        kind: ProcessorKind,
        id: &crate::model::ProcessorRef,
        event_type: &str,
        payment: Option<PaymentId>,
    ) -> Result<(), StoreError> {
        self.batches
            .commit(&Batch::new().with(Write::RecordProcessorEvent {
                account: account.id,
                processor: kind,
                event_id: id.clone(),
                event_type: event_type.chars().take(100).collect(),
                payment,
                at: self.env.now(),
            }))
            .await?;
        Ok(())
    }

    async fn own_checkout(
        &self,
        ctx: &SessionContext,
        id: CheckoutId,
    ) -> Result<Checkout, CheckoutError> {
        self.store
            .checkout(ctx.account.id, id)
            .await?
            .filter(|c| c.client_id == ctx.client.id && c.session_id == ctx.session.id)
            .ok_or(CheckoutError::CheckoutNotFound)
    }

    async fn already_submitted(
        &self,
        ctx: &SessionContext,
        checkout: &Checkout,
    ) -> Result<PayOutcome, CheckoutError> {
        let payment = self
            .payments_store
            .payment(ctx.account.id, checkout.payment_id)
            .await?
            .ok_or(CheckoutError::CheckoutNotFound)?;
        Ok(PayOutcome::AlreadySubmitted(payment))
    }

    /// Marks the checkout submitted and records its payment as pending on
    /// its invoices, in one unit; `None` when another submission won.
    async fn claim(
        &self,
        ctx: &SessionContext,
        checkout: &Checkout,
        connected: &Connected,
        method: PaymentMethod,
        info: &ClientInfo,
    ) -> Result<Option<Payment>, CheckoutError> {
        for _ in 0..UPDATE_ATTEMPTS {
            let now = self.env.now();
            let payment = Payment::new(
                PaymentRecord {
                    id: checkout.payment_id,
                    account_id: ctx.account.id,
                    client_id: ctx.client.id,
                    amount: checkout.amount,
                    method,
                    reference: None,
                    received_at: now,
                    status: PaymentStatus::Pending,
                    allocations: checkout.allocations.clone(),
                    refunds: Vec::new(),
                    created_at: now,
                    version: 0,
                    processor: Some(ProcessorCharge {
                        kind: connected.kind(),
                        connection_id: connected.connection.id,
                        reference: None,
                    }),
                    failure: None,
                },
                now,
            )?;
            let mut invoices = Vec::new();
            for (document, entry) in payment.ledger_entries() {
                let updated = self
                    .documents
                    .document(ctx.account.id, document)
                    .await?
                    .and_then(|invoice| invoice.with_entries([entry], now).ok());
                match updated {
                    Some(invoice) => invoices.push(invoice),
                    // A concurrent submission of this very form may be what
                    // took the invoice: then this one is its duplicate.
                    None => {
                        let current = self.own_checkout(ctx, checkout.id).await?;
                        return match current.state {
                            CheckoutState::Submitted(_) => Ok(None),
                            CheckoutState::Open => Err(CheckoutError::InvoicesChanged),
                        };
                    }
                }
            }
            invoices.sort_by_key(Document::id);
            let mut batch = Batch::new();
            batch.push(Write::SubmitCheckout {
                account: ctx.account.id,
                id: checkout.id,
                at: now,
            });
            batch.push(Write::InsertPayment(payment.clone()));
            for invoice in invoices {
                batch.push(Write::UpdateDocument(invoice));
            }
            batch.push(Write::Audit(
                self.env
                    .audit(ctx.account.id, ctx.client.id, AuditAction::PaymentSubmitted)
                    .contact(ctx.contact.id)
                    .session(ctx.session.id)
                    .payment(payment.id())
                    .from(info)
                    .build(),
            ));
            if self.batches.commit(&batch).await? {
                return Ok(Some(payment));
            }
            let current = self.own_checkout(ctx, checkout.id).await?;
            if matches!(current.state, CheckoutState::Submitted(_)) {
                return Ok(None);
            }
        }
        Err(CheckoutError::InvoicesChanged)
    }

    /// Records a payment that failed before any charge was sent (the
    /// method could not be saved, the customer not created).
    async fn fail_before_charge(
        &self,
        ctx: &SessionContext,
        payment: &Payment,
        payer: Option<(crate::model::ContactId, crate::model::SessionId, ClientInfo)>,
        error: MethodError,
    ) -> Result<PayOutcome, CheckoutError> {
        let message = match &error {
            MethodError::Declined(m) => m.clone(),
            MethodError::Unavailable(_) => {
                "The processor cannot be reached now. Nothing was charged; please try again later."
                    .to_owned()
            }
            _ => "The payment could not be processed. Nothing was charged.".to_owned(),
        };
        self.apply(
            ctx,
            payment,
            ChargeOutcome {
                status: ChargeStatus::Failed { message },
                reference: None,
                method: None,
            },
            payer,
        )
        .await
    }

    /// Records what the processor answered about a charge.
    async fn apply(
        &self,
        ctx: &SessionContext,
        payment: &Payment,
        outcome: ChargeOutcome,
        payer: Option<(crate::model::ContactId, crate::model::SessionId, ClientInfo)>,
    ) -> Result<PayOutcome, CheckoutError> {
        let (status, failure) = match &outcome.status {
            ChargeStatus::Succeeded => (PaymentStatus::Succeeded, None),
            ChargeStatus::Failed { message } => (PaymentStatus::Failed, Some(message.clone())),
            ChargeStatus::Processing | ChargeStatus::RequiresAction { .. } => {
                let updated = self.note_reference(ctx, payment, &outcome).await?;
                if updated.status() != PaymentStatus::Pending {
                    // A webhook or another request settled it meanwhile.
                    return Ok(settled_outcome(updated));
                }
                return Ok(match outcome.status {
                    ChargeStatus::RequiresAction { client_secret } => PayOutcome::RequiresAction {
                        payment: updated,
                        client_secret,
                    },
                    _ => PayOutcome::Processing(updated),
                });
            }
        };
        let settled = self
            .payments
            .settle(
                &ctx.account,
                payment.id(),
                Settlement {
                    status,
                    reference: outcome.reference,
                    method: outcome.method,
                    failure,
                    payer,
                    event: None,
                },
            )
            .await?;
        Ok(settled_outcome(settled))
    }

    /// Keeps the processor's reference and method on a payment still in
    /// flight, so webhooks and reconciliation find it.
    async fn note_reference(
        &self,
        ctx: &SessionContext,
        payment: &Payment,
        outcome: &ChargeOutcome,
    ) -> Result<Payment, CheckoutError> {
        for _ in 0..UPDATE_ATTEMPTS {
            let current = self
                .payments_store
                .payment(ctx.account.id, payment.id())
                .await?
                .ok_or(CheckoutError::PaymentNotFound)?;
            if current.status() != PaymentStatus::Pending {
                return Ok(current);
            }
            let next = current.settled(
                PaymentStatus::Pending,
                outcome.reference.clone(),
                outcome
                    .method
                    .as_ref()
                    .map(crate::model::MethodDetails::payment_method),
                None,
            )?;
            if self
                .batches
                .commit(&Batch::new().with(Write::UpdatePayment(next.clone())))
                .await?
            {
                return Ok(next);
            }
        }
        Err(PaymentError::ChangedConcurrently.into())
    }

    async fn look_up(
        &self,
        connected: &Connected,
        account: AccountId,
        payment: &Payment,
    ) -> Result<Option<ChargeOutcome>, ProcessorError> {
        let customer = self
            .store
            .processor_customer(account, connected.connection.id, payment.client_id())
            .await
            .map_err(|e| ProcessorError::Unavailable(e.to_string()))?;
        let Some(customer) = customer else {
            return Ok(None);
        };
        let outcome = connected
            .processor
            .lookup_charge(&ChargeLookup {
                payment: payment.id(),
                customer: customer.reference,
                reference: payment.processor().and_then(|c| c.reference.clone()),
                attempted_at: payment.created_at(),
            })
            .await;
        self.settings
            .record(connected, outcome.as_ref().err())
            .await;
        outcome
    }

    /// "Invoices INV-0001, INV-0002", for the processor's records.
    async fn description(
        &self,
        ctx: &SessionContext,
        checkout: &Checkout,
    ) -> Result<String, CheckoutError> {
        let mut numbers = Vec::new();
        for allocation in &checkout.allocations {
            if let Some(d) = self
                .documents
                .document(ctx.account.id, allocation.document_id)
                .await?
            {
                numbers.push(d.number().as_str().to_owned());
            }
        }
        let noun = if numbers.len() == 1 {
            "Invoice"
        } else {
            "Invoices"
        };
        let mut text = format!("{noun} {}", numbers.join(", "));
        if text.chars().count() > 255 {
            text = text.chars().take(254).collect::<String>() + "…";
        }
        Ok(text)
    }
}

fn settled_outcome(payment: Payment) -> PayOutcome {
    match payment.status() {
        PaymentStatus::Succeeded => PayOutcome::Succeeded(payment),
        PaymentStatus::Failed => PayOutcome::Failed {
            message: payment
                .failure()
                .unwrap_or("The payment did not go through.")
                .to_owned(),
            payment,
        },
        PaymentStatus::Pending => PayOutcome::Processing(payment),
    }
}
