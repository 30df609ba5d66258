//! [`StripeProcessor`]: the processor port on one Stripe account.

use async_trait::async_trait;
use portal_domain::model::{ProcessorKind, ProcessorRef};
use portal_domain::ports::{
    BrowserToken, ChargeLookup, ChargeOutcome, ChargeRequest, CustomerInfo, Processor,
    ProcessorEvent, ProcessorResult, RefundRequest, SavedMethod, SetupStart, WebhookError,
    WebhookRequest,
};

use crate::client::Api;
use crate::{StripeConfig, charges, methods, refunds, webhook};

/// One Stripe account, reached through async-stripe.
#[derive(Debug, Clone)]
pub struct StripeProcessor {
    config: StripeConfig,
    api: Api,
}

impl StripeProcessor {
    /// # Errors
    /// [`ProcessorError::Rejected`](portal_domain::ports::ProcessorError::Rejected)
    /// when the settings cannot make a client (a malformed base URL or key).
    pub fn new(config: StripeConfig) -> ProcessorResult<Self> {
        let api = Api::new(&config)?;
        Ok(Self { config, api })
    }

    pub fn config(&self) -> &StripeConfig {
        &self.config
    }
}

#[async_trait]
impl Processor for StripeProcessor {
    fn kind(&self) -> ProcessorKind {
        ProcessorKind::Stripe
    }

    async fn check(&self) -> ProcessorResult<()> {
        methods::check(&self.api).await
    }

    async fn create_customer(&self, customer: CustomerInfo<'_>) -> ProcessorResult<ProcessorRef> {
        methods::create_customer(&self.api, customer).await
    }

    async fn start_setup(&self, customer: &ProcessorRef) -> ProcessorResult<SetupStart> {
        methods::start_setup(&self.api, customer).await
    }

    async fn finish_setup(
        &self,
        customer: &ProcessorRef,
        token: &BrowserToken,
        make_default: bool,
    ) -> ProcessorResult<SavedMethod> {
        methods::finish_setup(&self.api, customer, token, make_default).await
    }

    async fn methods(&self, customer: &ProcessorRef) -> ProcessorResult<Vec<SavedMethod>> {
        methods::methods(&self.api, customer).await
    }

    async fn set_default(
        &self,
        customer: &ProcessorRef,
        method: &ProcessorRef,
    ) -> ProcessorResult<()> {
        methods::set_default(&self.api, customer, method).await
    }

    async fn remove_method(
        &self,
        customer: &ProcessorRef,
        method: &ProcessorRef,
    ) -> ProcessorResult<()> {
        methods::remove_method(&self.api, customer, method).await
    }

    async fn charge(&self, request: &ChargeRequest) -> ProcessorResult<ChargeOutcome> {
        charges::charge(&self.api, request).await
    }

    async fn lookup_charge(&self, lookup: &ChargeLookup) -> ProcessorResult<Option<ChargeOutcome>> {
        charges::lookup(&self.api, lookup).await
    }

    async fn refund(&self, request: &RefundRequest) -> ProcessorResult<ProcessorRef> {
        refunds::refund(&self.api, request).await
    }

    fn parse_webhook(
        &self,
        request: &WebhookRequest<'_>,
    ) -> Result<Vec<ProcessorEvent>, WebhookError> {
        webhook::parse(self.config.webhook_secret.expose(), request)
    }
}

#[cfg(test)]
mod tests {
    use portal_domain::model::{ProcessorCredentials, Secret};

    use super::*;

    #[test]
    fn a_processor_for_stripe_itself_builds_its_tls_client() {
        // rustls picks its one compiled-in provider (aws-lc-rs); with two
        // it would panic here.
        let config = StripeConfig::from_credentials(&ProcessorCredentials::Stripe {
            secret_key: Secret::new("sk_live_123456789"),
            publishable_key: "pk_live_123456789".into(),
            webhook_secret: Secret::new("whsec_123456789"),
        })
        .unwrap();
        let processor = StripeProcessor::new(config).unwrap();
        assert_eq!(processor.kind(), ProcessorKind::Stripe);
        assert!(!format!("{processor:?}").contains("sk_live_123456789"));
    }
}
