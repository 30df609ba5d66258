//! [`TestProcessor`]: the processor port over the shared in-memory state,
//! for one connection.

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use portal_domain::model::{
    ConnectionId, ProcessorConnection, ProcessorCredentials, ProcessorKind, ProcessorRef, Secret,
};
use portal_domain::ports::{
    BrowserToken, ChargeLookup, ChargeOutcome, ChargeRequest, ChargeStatus, CustomerInfo,
    Processor, ProcessorError, ProcessorEvent, ProcessorResult, RefundRequest, SavedMethod,
    SetupStart, WebhookError, WebhookRequest,
};

use crate::books::Books;
use crate::state::{TestFault, TestProcessorState};
use crate::webhook::{self, CHARGE_FAILED, CHARGE_SUCCEEDED, EventBody, SignedWebhook};

/// The test processor for one connection. Cheap to make: one per request
/// is fine, since everything lives in the shared [`TestProcessorState`].
#[derive(Debug, Clone)]
pub struct TestProcessor {
    state: TestProcessorState,
    connection: ConnectionId,
    webhook_secret: Secret,
}

impl TestProcessor {
    /// The test processor of `connection`, over `state`.
    ///
    /// # Errors
    /// [`ProcessorError::Rejected`] when `connection` is not a test
    /// processor connection.
    pub fn new(
        state: TestProcessorState,
        connection: &ProcessorConnection,
    ) -> ProcessorResult<Self> {
        match &connection.credentials {
            ProcessorCredentials::Test { webhook_secret } => Ok(Self {
                state,
                connection: connection.id,
                webhook_secret: webhook_secret.clone(),
            }),
            other => Err(ProcessorError::Rejected(format!(
                "a {} connection is not the test processor's",
                other.kind().label()
            ))),
        }
    }

    pub fn connection(&self) -> ConnectionId {
        self.connection
    }

    pub fn state(&self) -> &TestProcessorState {
        &self.state
    }

    /// Makes the next `times` requests to this connection fail with
    /// `fault`.
    pub fn inject(&self, fault: TestFault, times: u32) {
        self.state.inject(self.connection, fault, times);
    }

    /// Runs `op` on this connection's books as one request: a pending
    /// fault answers instead (after doing the work, for a timeout).
    fn request<T>(&self, op: impl FnOnce(&mut Books) -> ProcessorResult<T>) -> ProcessorResult<T> {
        let mut inner = self.state.lock();
        let fault = inner.take_fault(self.connection);
        let books = inner.books(self.connection);
        match fault {
            None => op(books),
            Some(TestFault::ServerError) => Err(TestFault::ServerError.error()),
            Some(TestFault::Timeout) => {
                // The work is done; only the answer is lost.
                let _ = op(books);
                Err(TestFault::Timeout.error())
            }
        }
    }

    /// Finishes a 3-D Secure challenge of this connection's charge: the
    /// cardholder passed it when `succeed`, failed it otherwise. Answers
    /// the charge as it now stands.
    ///
    /// # Errors
    /// [`ProcessorError::NotFound`] for an unknown client secret;
    /// [`ProcessorError::Rejected`] for a charge no longer waiting.
    pub fn authenticate(
        &self,
        client_secret: &str,
        succeed: bool,
    ) -> ProcessorResult<ChargeOutcome> {
        self.state
            .lock()
            .books(self.connection)
            .authenticate(client_secret, succeed)
            .unwrap_or(Err(ProcessorError::NotFound))
    }

    /// The bank debits still processing, oldest first.
    pub fn processing_charges(&self) -> Vec<ProcessorRef> {
        self.state.lock().books(self.connection).processing()
    }

    /// Settles a bank debit that is processing, as the bank would days
    /// later (paid for the account that succeeds, returned for the one
    /// that fails), and answers the webhook announcing it, signed with
    /// the connection's secret at `now`.
    ///
    /// # Errors
    /// [`ProcessorError::NotFound`] for an unknown charge;
    /// [`ProcessorError::Rejected`] for one not processing.
    pub fn settle(
        &self,
        charge: &ProcessorRef,
        now: DateTime<Utc>,
    ) -> ProcessorResult<SignedWebhook> {
        let mut inner = self.state.lock();
        let settled = inner.books(self.connection).settle(charge)?;
        let event = match &settled.status {
            ChargeStatus::Failed { message } => EventBody::charge(
                CHARGE_FAILED,
                &settled.reference,
                settled.payment,
                Some(message.clone()),
            ),
            _ => EventBody::charge(CHARGE_SUCCEEDED, &settled.reference, settled.payment, None),
        };
        Ok(self.sign(now, event.to_json()))
    }

    /// `body` signed with the connection's webhook secret at `now`.
    pub fn sign(&self, now: DateTime<Utc>, body: Vec<u8>) -> SignedWebhook {
        SignedWebhook::new(self.webhook_secret.expose(), now, body)
    }
}

#[async_trait]
impl Processor for TestProcessor {
    fn kind(&self) -> ProcessorKind {
        ProcessorKind::Test
    }

    async fn check(&self) -> ProcessorResult<()> {
        self.request(|_| Ok(()))
    }

    async fn create_customer(&self, _: CustomerInfo<'_>) -> ProcessorResult<ProcessorRef> {
        self.request(|books| Ok(books.create_customer()))
    }

    async fn start_setup(&self, customer: &ProcessorRef) -> ProcessorResult<SetupStart> {
        self.request(|books| {
            if books.has_customer(customer) {
                Ok(SetupStart::default())
            } else {
                Err(ProcessorError::NotFound)
            }
        })
    }

    async fn finish_setup(
        &self,
        customer: &ProcessorRef,
        token: &BrowserToken,
        make_default: bool,
    ) -> ProcessorResult<SavedMethod> {
        self.request(|books| books.finish_setup(customer, token, make_default))
    }

    async fn methods(&self, customer: &ProcessorRef) -> ProcessorResult<Vec<SavedMethod>> {
        self.request(|books| books.methods(customer))
    }

    async fn set_default(
        &self,
        customer: &ProcessorRef,
        method: &ProcessorRef,
    ) -> ProcessorResult<()> {
        self.request(|books| books.set_default(customer, method))
    }

    async fn remove_method(
        &self,
        customer: &ProcessorRef,
        method: &ProcessorRef,
    ) -> ProcessorResult<()> {
        self.request(|books| books.remove_method(customer, method))
    }

    async fn charge(&self, request: &ChargeRequest) -> ProcessorResult<ChargeOutcome> {
        self.request(|books| books.charge(request))
    }

    async fn lookup_charge(&self, lookup: &ChargeLookup) -> ProcessorResult<Option<ChargeOutcome>> {
        self.request(|books| Ok(books.lookup(lookup.payment, &lookup.customer)))
    }

    async fn refund(&self, request: &RefundRequest) -> ProcessorResult<ProcessorRef> {
        self.request(|books| books.refund(request))
    }

    fn parse_webhook(
        &self,
        request: &WebhookRequest<'_>,
    ) -> Result<Vec<ProcessorEvent>, WebhookError> {
        webhook::verify(self.webhook_secret.expose(), request)?;
        webhook::parse(request.body)
    }
}
