//! Saved payment methods: added, made default and removed by a client in
//! the portal, always at the processor first. A method is recorded only
//! once the processor confirmed it, and every method id is checked against
//! the session's client before any processor call.

use std::sync::Arc;

use crate::model::{
    Account, AuditAction, ClientId, ClientInfo, PaymentMethodId, ProcessorCustomer, ProcessorRef,
    StoredMethod,
};
use crate::ports::{
    Batch, BatchStore, BrowserAssets, BrowserToken, CrmStore, CustomerInfo, ProcessorError,
    ProcessorStore, SessionContext, SetupStart, Store, StoreError, Write,
};

use super::processors::{Connected, ProcessorSettings, ProcessorSettingsError};
use super::{Env, UPDATE_ATTEMPTS};

#[derive(Debug, thiserror::Error)]
pub enum MethodError {
    /// Unknown, removed, or another client's: the same answer for all.
    #[error("no such payment method")]
    NotFound,
    #[error("no processor is connected, so payment methods cannot be changed now")]
    NotConnected,
    /// The processor is unreachable or refuses the connection.
    #[error("the processor cannot be reached, so payment methods cannot be changed now")]
    Unavailable(#[source] ProcessorError),
    /// The processor refused the method; the message is fit to show.
    #[error("{0}")]
    Declined(String),
    #[error("the client was not found")]
    ClientNotFound,
    #[error(transparent)]
    Settings(#[from] ProcessorSettingsError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl MethodError {
    fn from_processor(error: ProcessorError) -> Self {
        match error {
            ProcessorError::NotFound => Self::NotFound,
            ProcessorError::Declined(message) => Self::Declined(message),
            other => Self::Unavailable(other),
        }
    }
}

/// The saved-methods page.
#[derive(Debug, Clone)]
pub struct MethodsPage {
    /// The connected processor, if any.
    pub connected: Option<Connected>,
    /// The client's methods under the current connection, default first.
    pub methods: Vec<StoredMethod>,
    /// Whether methods can be changed now: a processor is connected and
    /// its last contact did not fail.
    pub can_change: bool,
}

/// What the browser needs to add a method.
#[derive(Debug, Clone)]
pub struct AddMethod {
    pub connected: Connected,
    pub setup: SetupStart,
    pub assets: BrowserAssets,
}

/// Saved payment methods.
#[derive(Clone)]
pub struct PaymentMethods {
    store: Arc<dyn ProcessorStore>,
    crm: Arc<dyn CrmStore>,
    batches: Arc<dyn BatchStore>,
    settings: ProcessorSettings,
    env: Env,
}

impl std::fmt::Debug for PaymentMethods {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PaymentMethods").finish_non_exhaustive()
    }
}

impl PaymentMethods {
    pub(crate) fn new(store: &Arc<dyn Store>, settings: ProcessorSettings, env: Env) -> Self {
        Self {
            store: store.clone(),
            crm: store.clone(),
            batches: store.clone(),
            settings,
            env,
        }
    }

    /// The client's saved methods, as the portal page shows them.
    ///
    /// # Errors
    /// A store failure, or credentials that no longer open.
    pub async fn page(&self, ctx: &SessionContext) -> Result<MethodsPage, MethodError> {
        let connected = self.settings.connected(ctx.account.id).await?;
        let methods = match &connected {
            Some(c) => {
                self.store
                    .methods(ctx.account.id, c.connection.id, ctx.client.id)
                    .await?
            }
            None => Vec::new(),
        };
        let can_change = connected
            .as_ref()
            .is_some_and(|c| !c.connection.health.is_failing());
        Ok(MethodsPage {
            connected,
            methods,
            can_change,
        })
    }

    /// A client's methods under the current connection, for operators
    /// (display data only).
    ///
    /// # Errors
    /// [`MethodError::ClientNotFound`].
    pub async fn client_methods(
        &self,
        account: &Account,
        client: ClientId,
    ) -> Result<Vec<StoredMethod>, MethodError> {
        self.crm
            .client(account.id, client)
            .await?
            .ok_or(MethodError::ClientNotFound)?;
        match self.settings.connection_id(account.id).await? {
            Some(connection) => Ok(self.store.methods(account.id, connection, client).await?),
            None => Ok(Vec::new()),
        }
    }

    /// Starts adding a method: the processor customer exists after it,
    /// and the browser gets what its script needs.
    ///
    /// # Errors
    /// [`MethodError::NotConnected`], [`MethodError::Unavailable`].
    pub async fn start_add(&self, ctx: &SessionContext) -> Result<AddMethod, MethodError> {
        let connected = self.require(ctx).await?;
        let customer = self.customer(&connected, ctx).await?;
        let setup = connected.processor.start_setup(&customer.reference).await;
        self.settings.record(&connected, setup.as_ref().err()).await;
        let setup = setup.map_err(MethodError::from_processor)?;
        let assets = self.settings.browser_assets(&connected);
        Ok(AddMethod {
            connected,
            setup,
            assets,
        })
    }

    /// Saves the method the browser tokenized, once the processor
    /// confirms it. The client's first method becomes the default.
    ///
    /// # Errors
    /// [`MethodError::Declined`] when the processor refuses it;
    /// [`MethodError::NotConnected`], [`MethodError::Unavailable`].
    pub async fn finish_add(
        &self,
        ctx: &SessionContext,
        token: &BrowserToken,
        make_default: bool,
        info: &ClientInfo,
    ) -> Result<StoredMethod, MethodError> {
        let connected = self.require(ctx).await?;
        self.save(&connected, ctx, token, make_default, info).await
    }

    /// Saves a tokenized method at the processor and records it (used by
    /// checkout too, for "save this card").
    pub(crate) async fn save(
        &self,
        connected: &Connected,
        ctx: &SessionContext,
        token: &BrowserToken,
        make_default: bool,
        info: &ClientInfo,
    ) -> Result<StoredMethod, MethodError> {
        let customer = self.customer(connected, ctx).await?;
        let existing = self
            .store
            .methods(ctx.account.id, connected.connection.id, ctx.client.id)
            .await?;
        let make_default = make_default || existing.is_empty();
        let saved = connected
            .processor
            .finish_setup(&customer.reference, token, make_default)
            .await;
        self.settings.record(connected, saved.as_ref().err()).await;
        let saved = saved.map_err(MethodError::from_processor)?;
        let method = StoredMethod {
            id: existing
                .iter()
                .find(|m| m.reference == saved.reference)
                .map_or_else(|| PaymentMethodId::generate(self.env.random()), |m| m.id),
            account_id: ctx.account.id,
            client_id: ctx.client.id,
            connection_id: connected.connection.id,
            reference: saved.reference,
            details: saved.details,
            is_default: make_default || saved.is_default,
            added_by: Some(ctx.contact.id),
            created_at: self.env.now(),
        };
        let batch = Batch::new()
            .with(Write::InsertMethod(method.clone()))
            .with(Write::Audit(self.event(
                ctx,
                info,
                AuditAction::PaymentMethodAdded,
            )));
        self.batches.commit(&batch).await?;
        Ok(method)
    }

    /// Makes one of the client's methods the default, at the processor
    /// first.
    ///
    /// # Errors
    /// [`MethodError::NotFound`] for an unknown or another client's
    /// method, before any processor call.
    pub async fn set_default(
        &self,
        ctx: &SessionContext,
        id: PaymentMethodId,
        info: &ClientInfo,
    ) -> Result<StoredMethod, MethodError> {
        let connected = self.require(ctx).await?;
        let method = self.own_method(&connected, ctx, id).await?;
        let customer = self.customer(&connected, ctx).await?;
        let outcome = connected
            .processor
            .set_default(&customer.reference, &method.reference)
            .await;
        self.settings
            .record(&connected, outcome.as_ref().err())
            .await;
        outcome.map_err(MethodError::from_processor)?;
        let batch = Batch::new()
            .with(Write::SetDefaultMethod {
                account: ctx.account.id,
                id,
            })
            .with(Write::Audit(self.event(
                ctx,
                info,
                AuditAction::PaymentMethodDefaulted,
            )));
        if !self.batches.commit(&batch).await? {
            return Err(MethodError::NotFound);
        }
        Ok(StoredMethod {
            is_default: true,
            ..method
        })
    }

    /// Removes one of the client's methods, at the processor first (a
    /// method the processor no longer has is forgotten here too).
    ///
    /// # Errors
    /// [`MethodError::NotFound`] for an unknown or another client's
    /// method, before any processor call.
    pub async fn remove(
        &self,
        ctx: &SessionContext,
        id: PaymentMethodId,
        info: &ClientInfo,
    ) -> Result<(), MethodError> {
        let connected = self.require(ctx).await?;
        let method = self.own_method(&connected, ctx, id).await?;
        let customer = self.customer(&connected, ctx).await?;
        let outcome = connected
            .processor
            .remove_method(&customer.reference, &method.reference)
            .await;
        self.settings
            .record(&connected, outcome.as_ref().err())
            .await;
        match outcome {
            Ok(()) | Err(ProcessorError::NotFound) => {}
            Err(other) => return Err(MethodError::from_processor(other)),
        }
        let remove = Batch::new()
            .with(Write::RemoveMethod {
                account: ctx.account.id,
                id,
            })
            .with(Write::Audit(self.event(
                ctx,
                info,
                AuditAction::PaymentMethodRemoved,
            )));
        // The default gone, the oldest method left takes its place, at the
        // processor first; if the processor refuses, the client simply
        // has no default until choosing one.
        let successor = match method.is_default {
            true => self.successor(&connected, ctx, &customer, id).await?,
            false => None,
        };
        if let Some(next) = successor {
            let with_default = remove.clone().with(Write::SetDefaultMethod {
                account: ctx.account.id,
                id: next,
            });
            if self.batches.commit(&with_default).await? {
                return Ok(());
            }
        }
        if !self.batches.commit(&remove).await? {
            return Err(MethodError::NotFound);
        }
        Ok(())
    }

    /// The method that becomes the default when `removed` (the default)
    /// goes: the oldest of the others, made the default at the processor.
    async fn successor(
        &self,
        connected: &Connected,
        ctx: &SessionContext,
        customer: &ProcessorCustomer,
        removed: PaymentMethodId,
    ) -> Result<Option<PaymentMethodId>, MethodError> {
        let others = self
            .store
            .methods(ctx.account.id, connected.connection.id, ctx.client.id)
            .await?;
        let Some(next) = others.into_iter().find(|m| m.id != removed) else {
            return Ok(None);
        };
        let outcome = connected
            .processor
            .set_default(&customer.reference, &next.reference)
            .await;
        self.settings
            .record(connected, outcome.as_ref().err())
            .await;
        Ok(outcome.is_ok().then_some(next.id))
    }

    /// The session client's method with this id under the current
    /// connection; [`MethodError::NotFound`] for anything else.
    pub(crate) async fn own_method(
        &self,
        connected: &Connected,
        ctx: &SessionContext,
        id: PaymentMethodId,
    ) -> Result<StoredMethod, MethodError> {
        self.store
            .method(ctx.account.id, id)
            .await?
            .filter(|m| m.client_id == ctx.client.id && m.connection_id == connected.connection.id)
            .ok_or(MethodError::NotFound)
    }

    /// The client's customer at the processor, created on first use.
    pub(crate) async fn customer(
        &self,
        connected: &Connected,
        ctx: &SessionContext,
    ) -> Result<ProcessorCustomer, MethodError> {
        let account = ctx.account.id;
        let connection = connected.connection.id;
        if let Some(customer) = self
            .store
            .processor_customer(account, connection, ctx.client.id)
            .await?
        {
            return Ok(customer);
        }
        let mut last = None;
        for _ in 0..UPDATE_ATTEMPTS {
            let created = connected
                .processor
                .create_customer(CustomerInfo {
                    client: ctx.client.id,
                    name: ctx.client.name.as_str(),
                    email: Some(&ctx.contact.email),
                })
                .await;
            self.settings
                .record(connected, created.as_ref().err())
                .await;
            match created {
                Ok(reference) => {
                    return Ok(self.store_customer(ctx, connection, reference).await?);
                }
                Err(e) if e.is_retryable() => last = Some(e),
                Err(e) => return Err(MethodError::from_processor(e)),
            }
        }
        Err(MethodError::Unavailable(last.unwrap_or_else(|| {
            ProcessorError::Unavailable("no answer".to_owned())
        })))
    }

    async fn store_customer(
        &self,
        ctx: &SessionContext,
        connection: crate::model::ConnectionId,
        reference: ProcessorRef,
    ) -> Result<ProcessorCustomer, StoreError> {
        self.store
            .insert_processor_customer(&ProcessorCustomer {
                account_id: ctx.account.id,
                client_id: ctx.client.id,
                connection_id: connection,
                reference,
                created_at: self.env.now(),
            })
            .await
    }

    async fn require(&self, ctx: &SessionContext) -> Result<Connected, MethodError> {
        self.settings
            .connected(ctx.account.id)
            .await?
            .ok_or(MethodError::NotConnected)
    }

    fn event(
        &self,
        ctx: &SessionContext,
        info: &ClientInfo,
        action: AuditAction,
    ) -> crate::model::AuditEvent {
        self.env
            .audit(ctx.account.id, ctx.client.id, action)
            .contact(ctx.contact.id)
            .session(ctx.session.id)
            .from(info)
            .build()
    }
}
