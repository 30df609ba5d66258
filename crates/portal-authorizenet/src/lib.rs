#![doc = include_str!("../README.md")]

mod charges;
mod client;
mod compact;
mod config;
mod profiles;
mod webhook;
mod wire;

use async_trait::async_trait;
use portal_domain::model::{
    AnetEnvironment, ProcessorCredentials, ProcessorKind, ProcessorRef, Secret,
};
use portal_domain::ports::{
    BrowserToken, ChargeLookup, ChargeOutcome, ChargeRequest, CustomerInfo, Processor,
    ProcessorError, ProcessorEvent, ProcessorResult, RefundRequest, SavedMethod, SetupStart,
    WebhookError, WebhookRequest,
};

pub use config::{
    AnetOptions, DEFAULT_TIMEOUT, DEFAULT_WEBHOOK_MAX_AGE, DUPLICATE_WINDOW_SECS,
    PRODUCTION_ACCEPT_JS_URL, PRODUCTION_API_URL, SANDBOX_ACCEPT_JS_URL, SANDBOX_API_URL,
    browser_assets,
};
pub use webhook::signature;

use client::{Gateway, refusal};
use wire::request::{AuthenticateTest, MerchantAuthentication, Request};
use wire::response::Basic;

/// One merchant's Authorize.Net account, as a [`Processor`].
pub struct AuthorizeNetProcessor {
    gateway: Gateway,
    environment: AnetEnvironment,
    signature_key: Secret,
    options: AnetOptions,
}

impl std::fmt::Debug for AuthorizeNetProcessor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AuthorizeNetProcessor")
            .field("gateway", &self.gateway)
            .field("environment", &self.environment)
            .finish_non_exhaustive()
    }
}

impl AuthorizeNetProcessor {
    /// A processor for Authorize.Net `credentials`.
    ///
    /// # Errors
    /// [`ProcessorError::Rejected`] for credentials of another processor,
    /// or when no HTTP client can be built.
    pub fn new(credentials: &ProcessorCredentials, options: &AnetOptions) -> ProcessorResult<Self> {
        let ProcessorCredentials::AuthorizeNet {
            api_login_id,
            transaction_key,
            signature_key,
            environment,
            ..
        } = credentials
        else {
            return Err(ProcessorError::Rejected(
                "these are not Authorize.Net credentials".into(),
            ));
        };
        let gateway = Gateway::new(
            options.api_url_for(*environment),
            options.timeout,
            MerchantAuthentication {
                name: api_login_id.clone(),
                transaction_key: transaction_key.expose().to_owned(),
            },
        )?;
        Ok(Self {
            gateway,
            environment: *environment,
            signature_key: signature_key.clone(),
            options: options.clone(),
        })
    }

    /// How a new payment profile is checked: a real zero-amount
    /// authorization in production, field checks only in the sandbox.
    fn validation_mode(&self) -> &'static str {
        match self.environment {
            AnetEnvironment::Production => "liveMode",
            AnetEnvironment::Sandbox => "testMode",
        }
    }
}

#[async_trait]
impl Processor for AuthorizeNetProcessor {
    fn kind(&self) -> ProcessorKind {
        ProcessorKind::AuthorizeNet
    }

    async fn check(&self) -> ProcessorResult<()> {
        let request = Request::AuthenticateTest(AuthenticateTest {
            merchant_authentication: self.gateway.auth(),
        });
        let answer: Basic = self.gateway.call(&request).await?;
        if answer.messages.is_ok() {
            Ok(())
        } else {
            Err(refusal(&answer.messages))
        }
    }

    async fn create_customer(&self, customer: CustomerInfo<'_>) -> ProcessorResult<ProcessorRef> {
        self.create_profile(customer).await
    }

    /// Accept.js needs nothing from the server: the page has the public
    /// client key and login id.
    async fn start_setup(&self, _customer: &ProcessorRef) -> ProcessorResult<SetupStart> {
        Ok(SetupStart::default())
    }

    async fn finish_setup(
        &self,
        customer: &ProcessorRef,
        token: &BrowserToken,
        make_default: bool,
    ) -> ProcessorResult<SavedMethod> {
        self.save_method(customer, token, make_default).await
    }

    async fn methods(&self, customer: &ProcessorRef) -> ProcessorResult<Vec<SavedMethod>> {
        self.saved_methods(customer).await
    }

    async fn set_default(
        &self,
        customer: &ProcessorRef,
        method: &ProcessorRef,
    ) -> ProcessorResult<()> {
        self.make_default(customer, method).await
    }

    async fn remove_method(
        &self,
        customer: &ProcessorRef,
        method: &ProcessorRef,
    ) -> ProcessorResult<()> {
        self.delete_method(customer, method).await
    }

    async fn charge(&self, request: &ChargeRequest) -> ProcessorResult<ChargeOutcome> {
        self.charge_once(request).await
    }

    async fn lookup_charge(&self, lookup: &ChargeLookup) -> ProcessorResult<Option<ChargeOutcome>> {
        self.find_charge(
            lookup.payment,
            &lookup.customer,
            lookup.reference.as_ref(),
            lookup.attempted_at,
        )
        .await
    }

    async fn refund(&self, request: &RefundRequest) -> ProcessorResult<ProcessorRef> {
        self.refund_charge(request).await
    }

    fn parse_webhook(
        &self,
        request: &WebhookRequest<'_>,
    ) -> Result<Vec<ProcessorEvent>, WebhookError> {
        webhook::parse(
            self.signature_key.expose(),
            self.options.webhook_max_age,
            request,
        )
    }
}
