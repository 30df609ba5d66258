//! The processors a test world offers: the in-process test processor,
//! counted, so a test can say how many charges reached it.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use async_trait::async_trait;
use portal_domain::ProcessorConnection;
use portal_domain::ports::{
    BrowserAssets, BrowserToken, ChargeLookup, ChargeOutcome, ChargeRequest, CustomerInfo,
    Processor, ProcessorConnector, ProcessorError, ProcessorEvent, ProcessorResult, RefundRequest,
    SavedMethod, SetupStart, WebhookError, WebhookRequest,
};
use portal_domain::{ProcessorKind, ProcessorRef};
use portal_test_processor::{TestProcessor, TestProcessorState};

/// The origins the test connector says its browser script needs, so tests
/// can see them in a payment page's Content-Security-Policy.
pub const SCRIPT_ORIGIN: &str = "https://js.processor.example";
pub const FRAME_ORIGIN: &str = "https://frames.processor.example";
pub const CONNECT_ORIGIN: &str = "https://api.processor.example";

/// Builds test processors over one shared state, and counts the charges
/// sent to any of them.
#[derive(Debug, Clone, Default)]
pub struct TestConnector {
    pub state: TestProcessorState,
    charges: Arc<AtomicUsize>,
}

impl TestConnector {
    /// Charge requests that reached the processor, retries included.
    pub fn charges(&self) -> usize {
        self.charges.load(Ordering::SeqCst)
    }
}

impl ProcessorConnector for TestConnector {
    fn connect(&self, connection: &ProcessorConnection) -> ProcessorResult<Arc<dyn Processor>> {
        if connection.kind() != ProcessorKind::Test {
            return Err(ProcessorError::Rejected(format!(
                "this deployment offers no {} processor",
                connection.kind().label()
            )));
        }
        Ok(Arc::new(Counted {
            inner: TestProcessor::new(self.state.clone(), connection)?,
            charges: self.charges.clone(),
        }))
    }

    fn browser_assets(&self, _: &ProcessorConnection) -> BrowserAssets {
        BrowserAssets {
            script_url: format!("{SCRIPT_ORIGIN}/v1/processor.js"),
            script_origins: vec![SCRIPT_ORIGIN.to_owned()],
            frame_origins: vec![FRAME_ORIGIN.to_owned()],
            connect_origins: vec![CONNECT_ORIGIN.to_owned()],
        }
    }
}

/// The test processor, counting charges.
struct Counted {
    inner: TestProcessor,
    charges: Arc<AtomicUsize>,
}

#[async_trait]
impl Processor for Counted {
    fn kind(&self) -> ProcessorKind {
        self.inner.kind()
    }

    async fn check(&self) -> ProcessorResult<()> {
        self.inner.check().await
    }

    async fn create_customer(&self, customer: CustomerInfo<'_>) -> ProcessorResult<ProcessorRef> {
        self.inner.create_customer(customer).await
    }

    async fn start_setup(&self, customer: &ProcessorRef) -> ProcessorResult<SetupStart> {
        self.inner.start_setup(customer).await
    }

    async fn finish_setup(
        &self,
        customer: &ProcessorRef,
        token: &BrowserToken,
        make_default: bool,
    ) -> ProcessorResult<SavedMethod> {
        self.inner.finish_setup(customer, token, make_default).await
    }

    async fn methods(&self, customer: &ProcessorRef) -> ProcessorResult<Vec<SavedMethod>> {
        self.inner.methods(customer).await
    }

    async fn set_default(
        &self,
        customer: &ProcessorRef,
        method: &ProcessorRef,
    ) -> ProcessorResult<()> {
        self.inner.set_default(customer, method).await
    }

    async fn remove_method(
        &self,
        customer: &ProcessorRef,
        method: &ProcessorRef,
    ) -> ProcessorResult<()> {
        self.inner.remove_method(customer, method).await
    }

    async fn charge(&self, request: &ChargeRequest) -> ProcessorResult<ChargeOutcome> {
        self.charges.fetch_add(1, Ordering::SeqCst);
        self.inner.charge(request).await
    }

    async fn lookup_charge(&self, lookup: &ChargeLookup) -> ProcessorResult<Option<ChargeOutcome>> {
        self.inner.lookup_charge(lookup).await
    }

    async fn refund(&self, request: &RefundRequest) -> ProcessorResult<ProcessorRef> {
        self.inner.refund(request).await
    }

    fn parse_webhook(
        &self,
        request: &WebhookRequest<'_>,
    ) -> Result<Vec<ProcessorEvent>, WebhookError> {
        self.inner.parse_webhook(request)
    }
}
