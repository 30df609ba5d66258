//! Pay Now, saved methods, webhooks and reconciliation, over a scripted
//! processor that records every call: what the portal asks, in which
//! order, and what it records of each answer.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use chrono::Duration;

use super::{World, browser};
use crate::model::{
    AuditAction, CardBrand, ConnectionHealth, DocumentStatus, Expiry, Last4, MethodDetails,
    OutboxTopic, PaymentStatus, ProcessorConnection, ProcessorCredentials, ProcessorKind,
    ProcessorRef, Secret,
};
use crate::ports::{
    BrowserAssets, BrowserToken, ChargeLookup, ChargeOutcome, ChargeRequest, ChargeSource,
    ChargeStatus, CustomerInfo, EventEffect, Processor, ProcessorConnector, ProcessorError,
    ProcessorEvent, ProcessorResult, ProcessorStore, RefundRequest, SavedMethod, SessionContext,
    SetupStart, WebhookError, WebhookRequest,
};
use crate::service::{CheckoutError, MethodError, PayOutcome, PayRequest, PayWith};
use crate::testing::block_on;

/// Every call the portal made, in order.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Call {
    CreateCustomer,
    StartSetup,
    FinishSetup,
    SetDefault(String),
    Remove(String),
    Charge { payment: String, source: String },
    Lookup,
    Refund(String),
}

#[derive(Default)]
struct Script {
    calls: Vec<Call>,
    charges: VecDeque<ProcessorResult<ChargeOutcome>>,
    lookup: Option<ChargeOutcome>,
    methods: u32,
    refund_failures: u32,
}

/// A processor whose answers a test scripts.
#[derive(Clone, Default)]
struct Scripted(Arc<Mutex<Script>>);

impl Scripted {
    fn calls(&self) -> Vec<Call> {
        self.0.lock().unwrap().calls.clone()
    }

    fn charges(&self) -> usize {
        self.calls()
            .iter()
            .filter(|c| matches!(c, Call::Charge { .. }))
            .count()
    }

    fn answer(&self, outcome: ProcessorResult<ChargeOutcome>) {
        self.0.lock().unwrap().charges.push_back(outcome);
    }

    fn on_lookup(&self, outcome: Option<ChargeOutcome>) {
        self.0.lock().unwrap().lookup = outcome;
    }

    fn call(&self, call: Call) {
        self.0.lock().unwrap().calls.push(call);
    }
}

fn visa() -> MethodDetails {
    MethodDetails::Card {
        brand: CardBrand::Visa,
        last4: Last4::parse("4242").unwrap(),
        expiry: Some(Expiry::new(12, 2030).unwrap()),
    }
}

fn reference(text: &str) -> ProcessorRef {
    ProcessorRef::parse(text).unwrap()
}

fn outcome(status: ChargeStatus) -> ChargeOutcome {
    ChargeOutcome {
        status,
        reference: Some(reference("ch_1")),
        method: Some(visa()),
    }
}

#[async_trait]
impl Processor for Scripted {
    fn kind(&self) -> ProcessorKind {
        ProcessorKind::Test
    }

    async fn check(&self) -> ProcessorResult<()> {
        Ok(())
    }

    async fn create_customer(&self, _: CustomerInfo<'_>) -> ProcessorResult<ProcessorRef> {
        self.call(Call::CreateCustomer);
        Ok(reference("cus_1"))
    }

    async fn start_setup(&self, _: &ProcessorRef) -> ProcessorResult<SetupStart> {
        self.call(Call::StartSetup);
        Ok(SetupStart::default())
    }

    async fn finish_setup(
        &self,
        _: &ProcessorRef,
        token: &BrowserToken,
        make_default: bool,
    ) -> ProcessorResult<SavedMethod> {
        self.call(Call::FinishSetup);
        if token.as_str() == "tok_refused" {
            return Err(ProcessorError::Declined("Your card was declined.".into()));
        }
        let n = {
            let mut script = self.0.lock().unwrap();
            script.methods += 1;
            script.methods
        };
        Ok(SavedMethod {
            reference: reference(&format!("pm_{n}")),
            details: visa(),
            is_default: make_default,
        })
    }

    async fn methods(&self, _: &ProcessorRef) -> ProcessorResult<Vec<SavedMethod>> {
        Ok(Vec::new())
    }

    async fn set_default(&self, _: &ProcessorRef, method: &ProcessorRef) -> ProcessorResult<()> {
        self.call(Call::SetDefault(method.to_string()));
        Ok(())
    }

    async fn remove_method(&self, _: &ProcessorRef, method: &ProcessorRef) -> ProcessorResult<()> {
        self.call(Call::Remove(method.to_string()));
        Ok(())
    }

    async fn charge(&self, request: &ChargeRequest) -> ProcessorResult<ChargeOutcome> {
        self.call(Call::Charge {
            payment: request.payment.to_string(),
            source: match &request.source {
                ChargeSource::Saved(r) => r.to_string(),
                ChargeSource::Token(t) => t.as_str().to_owned(),
            },
        });
        self.0
            .lock()
            .unwrap()
            .charges
            .pop_front()
            .unwrap_or_else(|| Ok(outcome(ChargeStatus::Succeeded)))
    }

    async fn lookup_charge(&self, _: &ChargeLookup) -> ProcessorResult<Option<ChargeOutcome>> {
        self.call(Call::Lookup);
        Ok(self.0.lock().unwrap().lookup.clone())
    }

    async fn refund(&self, request: &RefundRequest) -> ProcessorResult<ProcessorRef> {
        self.call(Call::Refund(request.refund.to_string()));
        let mut script = self.0.lock().unwrap();
        if script.refund_failures > 0 {
            script.refund_failures -= 1;
            return Err(ProcessorError::Unavailable("timed out".into()));
        }
        Ok(reference("re_1"))
    }

    /// A body `id:effect:reference`, signed by a header `sig: ok`.
    fn parse_webhook(
        &self,
        request: &WebhookRequest<'_>,
    ) -> Result<Vec<ProcessorEvent>, WebhookError> {
        if request.header("sig") != Some("ok") {
            return Err(WebhookError::BadSignature);
        }
        let body = std::str::from_utf8(request.body)
            .map_err(|_| WebhookError::Malformed("utf-8".into()))?;
        let mut parts = body.split(':');
        let (Some(id), Some(effect), Some(charge)) = (parts.next(), parts.next(), parts.next())
        else {
            return Err(WebhookError::Malformed(body.into()));
        };
        let effect = match effect {
            "succeeded" => EventEffect::ChargeSucceeded {
                reference: reference(charge),
                payment: None,
                method: None,
            },
            "failed" => EventEffect::ChargeFailed {
                reference: reference(charge),
                payment: None,
                message: "The bank returned the debit.".into(),
            },
            _ => EventEffect::Ignored,
        };
        Ok(vec![ProcessorEvent {
            id: reference(id),
            event_type: effect_name(effect.clone()).into(),
            effect,
        }])
    }
}

fn effect_name(effect: EventEffect) -> &'static str {
    match effect {
        EventEffect::ChargeSucceeded { .. } => "charge.succeeded",
        EventEffect::ChargeFailed { .. } => "charge.failed",
        EventEffect::Ignored => "other",
    }
}

struct Connector(Scripted);

impl ProcessorConnector for Connector {
    fn connect(&self, _: &ProcessorConnection) -> ProcessorResult<Arc<dyn Processor>> {
        Ok(Arc::new(self.0.clone()))
    }

    fn browser_assets(&self, _: &ProcessorConnection) -> BrowserAssets {
        BrowserAssets {
            script_url: "/portal/assets/test-processor.js".into(),
            script_origins: Vec::new(),
            frame_origins: Vec::new(),
            connect_origins: Vec::new(),
        }
    }
}

struct Pay {
    w: World,
    processor: Scripted,
    ctx: SessionContext,
}

const SECRET: &str = "whsec_test_0123456789abcdef";

fn pay_world() -> Pay {
    let processor = Scripted::default();
    let w = World::with_connector(Arc::new(Connector(processor.clone())));
    block_on(w.s.processors.connect(
        &w.account,
        ProcessorCredentials::Test {
            webhook_secret: Secret::new(SECRET),
        },
    ))
    .unwrap();
    let ctx = w.sign_in(&w.contact);
    Pay { w, processor, ctx }
}

impl Pay {
    fn invoice(&self, number: &str) -> crate::model::Document {
        self.w
            .sent(&self.w.invoice(&self.w.client, number), &self.w.contact)
    }

    fn form(&self, invoices: &[&crate::model::Document]) -> crate::service::CheckoutForm {
        block_on(self.w.s.checkouts.prepare(
            &self.ctx,
            PayRequest {
                invoices: invoices.iter().map(|d| d.id()).collect(),
                amount: None,
            },
        ))
        .unwrap()
    }

    fn new_card(&self, form: &crate::service::CheckoutForm, save: bool) -> PayOutcome {
        block_on(self.w.s.checkouts.submit(
            &self.ctx,
            form.checkout.id,
            PayWith::New {
                token: BrowserToken::parse("tok_visa").unwrap(),
                save,
            },
            &browser(),
        ))
        .unwrap()
    }

    fn actions(&self) -> Vec<AuditAction> {
        block_on(crate::ports::AuditStore::client_events(
            self.w.store.as_ref(),
            self.w.account.id,
            self.w.client.id,
            &super::page(),
        ))
        .unwrap()
        .into_iter()
        .map(|e| e.action)
        .collect()
    }
}

#[test]
fn paying_with_a_new_card_settles_the_invoice_at_once_and_queues_a_receipt() {
    let p = pay_world();
    let invoice = p.invoice("INV-1");
    let form = p.form(&[&invoice]);
    assert_eq!(form.checkout.amount.minor(), 150_000);
    let PayOutcome::Succeeded(payment) = p.new_card(&form, false) else {
        panic!("the charge succeeded");
    };
    assert_eq!(payment.status(), PaymentStatus::Succeeded);
    assert_eq!(payment.id(), form.checkout.payment_id);
    assert_eq!(payment.method().to_string(), "Visa •••• 4242");
    assert_eq!(
        payment.processor().and_then(|c| c.reference.clone()),
        Some(reference("ch_1"))
    );
    assert_eq!(p.w.reload(&invoice).status(), DocumentStatus::Paid);
    // The charge was keyed by the payment id, with the browser's token.
    assert_eq!(
        p.processor.calls().last(),
        Some(&Call::Charge {
            payment: payment.id().to_string(),
            source: "tok_visa".into()
        })
    );
    let receipts = block_on(p.w.s.outbox.messages(&p.w.account, None, super::page()))
        .unwrap()
        .items
        .into_iter()
        .filter(|m| m.topic == OutboxTopic::Receipt)
        .count();
    assert_eq!(receipts, 1);
    let actions = p.actions();
    assert!(actions.contains(&AuditAction::PaymentSubmitted));
    assert!(actions.contains(&AuditAction::PaymentRecorded));
}

#[test]
fn a_form_submitted_twice_charges_once() {
    let p = pay_world();
    let invoice = p.invoice("INV-1");
    let form = p.form(&[&invoice]);
    let first = p.new_card(&form, false);
    let second = p.new_card(&form, false);
    assert!(matches!(first, PayOutcome::Succeeded(_)));
    let PayOutcome::AlreadySubmitted(again) = second else {
        panic!("the second submission is refused");
    };
    assert_eq!(again.id(), first.payment().id());
    assert_eq!(p.processor.charges(), 1);
}

#[test]
fn a_decline_pays_nothing_and_leaves_the_invoice_open() {
    let p = pay_world();
    let invoice = p.invoice("INV-1");
    p.processor.answer(Ok(outcome(ChargeStatus::Failed {
        message: "Your card was declined.".into(),
    })));
    let form = p.form(&[&invoice]);
    let PayOutcome::Failed { payment, message } = p.new_card(&form, false) else {
        panic!("declined");
    };
    assert_eq!(message, "Your card was declined.");
    assert_eq!(payment.status(), PaymentStatus::Failed);
    let invoice = p.w.reload(&invoice);
    assert_eq!(invoice.status(), DocumentStatus::Open);
    assert_eq!(invoice.amount_open().minor(), 150_000);
    assert!(p.actions().contains(&AuditAction::PaymentFailed));
    // A new form pays it.
    let form = p.form(&[&invoice]);
    assert!(matches!(p.new_card(&form, false), PayOutcome::Succeeded(_)));
}

#[test]
fn three_d_secure_is_never_paid_before_the_processor_says_so() {
    let p = pay_world();
    let invoice = p.invoice("INV-1");
    p.processor.answer(Ok(outcome(ChargeStatus::RequiresAction {
        client_secret: "pi_1_secret".into(),
    })));
    let form = p.form(&[&invoice]);
    let PayOutcome::RequiresAction {
        payment,
        client_secret,
    } = p.new_card(&form, false)
    else {
        panic!("asks for authentication");
    };
    assert_eq!(client_secret, "pi_1_secret");
    assert_eq!(payment.status(), PaymentStatus::Pending);
    let pending = p.w.reload(&invoice);
    assert_eq!(pending.status(), DocumentStatus::Open);
    assert_eq!(
        pending.amount_open().minor(),
        0,
        "held by the payment in flight"
    );

    // The browser claims success, but the processor still waits.
    p.processor
        .on_lookup(Some(outcome(ChargeStatus::RequiresAction {
            client_secret: "pi_1_secret".into(),
        })));
    let confirmed = block_on(p.w.s.checkouts.confirm(&p.ctx, payment.id(), &browser())).unwrap();
    assert!(matches!(confirmed, PayOutcome::RequiresAction { .. }));
    assert_eq!(p.w.reload(&invoice).status(), DocumentStatus::Open);

    p.processor
        .on_lookup(Some(outcome(ChargeStatus::Succeeded)));
    let confirmed = block_on(p.w.s.checkouts.confirm(&p.ctx, payment.id(), &browser())).unwrap();
    assert!(matches!(confirmed, PayOutcome::Succeeded(_)));
    assert_eq!(p.w.reload(&invoice).status(), DocumentStatus::Paid);
    assert_eq!(p.processor.charges(), 1);
}

#[test]
fn another_clients_method_is_refused_before_any_processor_call() {
    let p = pay_world();
    let invoice = p.invoice("INV-1");
    // Another client saves a method.
    let other = p.w.client_named("Globex");
    let theirs = p.w.contact(&other, "ap@globex.example");
    let their_ctx = p.w.sign_in(&theirs);
    let method = block_on(p.w.s.methods.finish_add(
        &their_ctx,
        &BrowserToken::parse("tok_visa").unwrap(),
        false,
        &browser(),
    ))
    .unwrap();
    let calls = p.processor.calls().len();

    let form = p.form(&[&invoice]);
    let calls_after_form = p.processor.calls().len();
    let refused = block_on(p.w.s.checkouts.submit(
        &p.ctx,
        form.checkout.id,
        PayWith::Saved(method.id),
        &browser(),
    ));
    assert!(matches!(refused, Err(CheckoutError::MethodNotFound)));
    for attempt in [
        block_on(p.w.s.methods.set_default(&p.ctx, method.id, &browser())).map(|_| ()),
        block_on(p.w.s.methods.remove(&p.ctx, method.id, &browser())),
    ] {
        assert!(matches!(attempt, Err(MethodError::NotFound)));
    }
    assert!(calls_after_form >= calls);
    assert_eq!(
        p.processor.calls().len(),
        calls_after_form,
        "no processor call"
    );
    // Theirs is untouched.
    let page = block_on(p.w.s.methods.page(&their_ctx)).unwrap();
    assert_eq!(page.methods.len(), 1);
    assert!(page.methods[0].is_default);
    // And the form can still be paid.
    assert!(matches!(p.new_card(&form, false), PayOutcome::Succeeded(_)));
}

#[test]
fn saved_methods_are_added_made_default_and_removed_at_the_processor_first() {
    let p = pay_world();
    let add = |token: &str| {
        block_on(p.w.s.methods.finish_add(
            &p.ctx,
            &BrowserToken::parse(token).unwrap(),
            false,
            &browser(),
        ))
    };
    let first = add("tok_a").unwrap();
    assert!(first.is_default, "the first method becomes the default");
    let second = add("tok_b").unwrap();
    assert!(!second.is_default);
    assert!(matches!(
        add("tok_refused"),
        Err(MethodError::Declined(message)) if message == "Your card was declined."
    ));
    let page = block_on(p.w.s.methods.page(&p.ctx)).unwrap();
    assert_eq!(page.methods.len(), 2, "a refused card is not saved");
    assert!(page.can_change);

    block_on(p.w.s.methods.set_default(&p.ctx, second.id, &browser())).unwrap();
    let page = block_on(p.w.s.methods.page(&p.ctx)).unwrap();
    assert_eq!(page.methods[0].id, second.id, "the default comes first");
    assert!(page.methods[0].is_default && !page.methods[1].is_default);

    block_on(p.w.s.methods.remove(&p.ctx, first.id, &browser())).unwrap();
    let page = block_on(p.w.s.methods.page(&p.ctx)).unwrap();
    assert_eq!(page.methods.len(), 1);
    // Removing the default makes the oldest method left the default, at
    // the processor too.
    let third = add("tok_c").unwrap();
    block_on(p.w.s.methods.remove(&p.ctx, second.id, &browser())).unwrap();
    let page = block_on(p.w.s.methods.page(&p.ctx)).unwrap();
    assert_eq!(page.methods.len(), 1);
    assert_eq!(page.methods[0].id, third.id);
    assert!(page.methods[0].is_default);
    assert_eq!(
        p.processor.calls().last(),
        Some(&Call::SetDefault(third.reference.to_string()))
    );
    let second = third;
    assert!(
        p.processor
            .calls()
            .contains(&Call::Remove(first.reference.to_string()))
    );
    assert!(matches!(
        block_on(p.w.s.methods.remove(&p.ctx, first.id, &browser())),
        Err(MethodError::NotFound)
    ));
    let actions = p.actions();
    for action in [
        AuditAction::PaymentMethodAdded,
        AuditAction::PaymentMethodDefaulted,
        AuditAction::PaymentMethodRemoved,
    ] {
        assert!(actions.contains(&action), "{action:?}");
    }
    // Operators see the same display data.
    let listed = block_on(p.w.s.methods.client_methods(&p.w.account, p.w.client.id)).unwrap();
    assert_eq!(listed.len(), 1);

    // Paying with the saved method charges its processor reference.
    let invoice = p.invoice("INV-1");
    let form = p.form(&[&invoice]);
    let paid = block_on(p.w.s.checkouts.submit(
        &p.ctx,
        form.checkout.id,
        PayWith::Saved(second.id),
        &browser(),
    ))
    .unwrap();
    assert!(matches!(paid, PayOutcome::Succeeded(_)));
    assert!(matches!(
        p.processor.calls().last(),
        Some(Call::Charge { source, .. }) if *source == second.reference.to_string()
    ));
}

#[test]
fn a_failing_processor_says_methods_cannot_change_and_saves_nothing() {
    let p = pay_world();
    let status = block_on(p.w.s.processors.status(&p.w.account)).unwrap();
    let crate::service::ProcessorStatus::Connected { connection, .. } = status else {
        panic!("connected");
    };
    block_on(p.w.store.record_connection_health(
        p.w.account.id,
        connection,
        Some("the processor could not be reached"),
        p.w.now(),
    ))
    .unwrap();
    let page = block_on(p.w.s.methods.page(&p.ctx)).unwrap();
    assert!(!page.can_change);

    block_on(p.w.s.processors.disconnect(&p.w.account)).unwrap();
    let page = block_on(p.w.s.methods.page(&p.ctx)).unwrap();
    assert!(!page.can_change && page.connected.is_none());
    assert!(matches!(
        block_on(p.w.s.methods.finish_add(
            &p.ctx,
            &BrowserToken::parse("tok_a").unwrap(),
            false,
            &browser()
        )),
        Err(MethodError::NotConnected)
    ));
    assert!(!p.processor.calls().contains(&Call::FinishSetup));
}

#[test]
fn an_unanswered_charge_stays_pending_until_reconciliation_asks_the_processor() {
    let p = pay_world();
    let invoice = p.invoice("INV-1");
    for _ in 0..3 {
        p.processor
            .answer(Err(ProcessorError::Unavailable("timed out".into())));
    }
    let form = p.form(&[&invoice]);
    let PayOutcome::Unconfirmed(payment) = p.new_card(&form, false) else {
        panic!("unconfirmed");
    };
    assert_eq!(p.processor.charges(), 3, "retried with the same key");
    assert!(p.processor.calls().iter().all(|c| match c {
        Call::Charge { payment: id, .. } => *id == payment.id().to_string(),
        _ => true,
    }));
    assert_eq!(p.w.reload(&invoice).status(), DocumentStatus::Open);

    // Too recent: reconciliation leaves it alone.
    let report = block_on(p.w.s.checkouts.reconcile(Duration::minutes(2), None, 10)).unwrap();
    assert_eq!(report.checked, 0);

    p.w.clock.advance(Duration::minutes(5));
    p.processor
        .on_lookup(Some(outcome(ChargeStatus::Succeeded)));
    let report = block_on(p.w.s.checkouts.reconcile(Duration::minutes(2), None, 10)).unwrap();
    assert_eq!(report.succeeded, 1);
    assert_eq!(p.w.reload(&invoice).status(), DocumentStatus::Paid);
    let again = block_on(p.w.s.checkouts.reconcile(Duration::minutes(2), None, 10)).unwrap();
    assert_eq!(again.checked, 0, "nothing left pending");
}

#[test]
fn a_charge_the_processor_never_made_fails_after_an_hour() {
    let p = pay_world();
    let invoice = p.invoice("INV-1");
    for _ in 0..3 {
        p.processor
            .answer(Err(ProcessorError::Unavailable("timed out".into())));
    }
    let form = p.form(&[&invoice]);
    p.new_card(&form, false);
    p.w.clock.advance(Duration::minutes(10));
    let report = block_on(p.w.s.checkouts.reconcile(Duration::minutes(2), None, 10)).unwrap();
    assert_eq!(report.pending, 1, "the processor may still record it");
    p.w.clock.advance(Duration::hours(1));
    let report = block_on(p.w.s.checkouts.reconcile(Duration::minutes(2), None, 10)).unwrap();
    assert_eq!(report.failed, 1);
    assert_eq!(p.w.reload(&invoice).amount_open().minor(), 150_000);
}

#[test]
fn a_bank_debit_settles_by_webhook_once() {
    let p = pay_world();
    let invoice = p.invoice("INV-1");
    p.processor.answer(Ok(outcome(ChargeStatus::Processing)));
    let form = p.form(&[&invoice]);
    let PayOutcome::Processing(payment) = p.new_card(&form, false) else {
        panic!("processing");
    };
    assert_eq!(p.w.reload(&invoice).status(), DocumentStatus::Open);
    let headers = vec![("sig".to_owned(), "ok".to_owned())];
    let hook = |body: &str| {
        block_on(p.w.s.checkouts.apply_webhook(
            p.w.account.id,
            ProcessorKind::Test,
            &WebhookRequest {
                headers: &headers,
                body: body.as_bytes(),
                now: p.w.now(),
            },
        ))
    };
    let report = hook("evt_1:succeeded:ch_1").unwrap();
    assert_eq!(report.applied, 1);
    assert_eq!(p.w.reload(&invoice).status(), DocumentStatus::Paid);
    let paid = block_on(p.w.s.payments.payment(&p.w.account, payment.id())).unwrap();
    assert_eq!(paid.status(), PaymentStatus::Succeeded);

    // A redelivery, a later contradicting event, an unknown charge.
    assert_eq!(hook("evt_1:succeeded:ch_1").unwrap().duplicates, 1);
    hook("evt_2:failed:ch_1").unwrap();
    let still = block_on(p.w.s.payments.payment(&p.w.account, payment.id())).unwrap();
    assert_eq!(still.status(), PaymentStatus::Succeeded, "settled for good");
    assert!(
        p.actions().contains(&AuditAction::PaymentOutcomeDisputed),
        "the contradiction is left for an operator"
    );
    assert_eq!(hook("evt_3:succeeded:ch_unknown").unwrap().ignored, 1);

    // Forged, or for a processor the account does not use: nothing.
    let forged = block_on(p.w.s.checkouts.apply_webhook(
        p.w.account.id,
        ProcessorKind::Test,
        &WebhookRequest {
            headers: &[],
            body: b"evt_4:succeeded:ch_1",
            now: p.w.now(),
        },
    ));
    assert!(matches!(
        forged,
        Err(crate::service::WebhookApplyError::Refused(
            WebhookError::BadSignature
        ))
    ));
    let elsewhere = block_on(p.w.s.checkouts.apply_webhook(
        p.w.account.id,
        ProcessorKind::Stripe,
        &WebhookRequest {
            headers: &headers,
            body: b"evt_5:succeeded:ch_1",
            now: p.w.now(),
        },
    ));
    assert!(matches!(
        elsewhere,
        Err(crate::service::WebhookApplyError::UnknownEndpoint)
    ));
}

#[test]
fn a_returned_bank_debit_reopens_the_invoice() {
    let p = pay_world();
    let invoice = p.invoice("INV-1");
    p.processor.answer(Ok(outcome(ChargeStatus::Processing)));
    let form = p.form(&[&invoice]);
    p.new_card(&form, false);
    let headers = vec![("sig".to_owned(), "ok".to_owned())];
    block_on(p.w.s.checkouts.apply_webhook(
        p.w.account.id,
        ProcessorKind::Test,
        &WebhookRequest {
            headers: &headers,
            body: b"evt_1:failed:ch_1",
            now: p.w.now(),
        },
    ))
    .unwrap();
    let invoice = p.w.reload(&invoice);
    assert_eq!(invoice.status(), DocumentStatus::Open);
    assert_eq!(invoice.amount_open().minor(), 150_000);
}

#[test]
fn several_invoices_are_paid_in_one_charge_and_partial_amounts_only_when_allowed() {
    let p = pay_world();
    let first = p.invoice("INV-1");
    let second = p.invoice("INV-2");
    let form = p.form(&[&first, &second]);
    assert_eq!(form.checkout.amount.minor(), 300_000);
    assert!(matches!(p.new_card(&form, false), PayOutcome::Succeeded(_)));
    assert_eq!(p.processor.charges(), 1);
    assert_eq!(p.w.reload(&first).status(), DocumentStatus::Paid);
    assert_eq!(p.w.reload(&second).status(), DocumentStatus::Paid);

    let third = p.invoice("INV-3");
    let partial = |amount| {
        block_on(p.w.s.checkouts.prepare(
            &p.ctx,
            PayRequest {
                invoices: vec![third.id()],
                amount: Some(amount),
            },
        ))
    };
    assert!(matches!(
        partial(50_000),
        Err(CheckoutError::PartialNotAllowed)
    ));
    // Nothing to pay twice: a paid invoice is not outstanding.
    assert!(matches!(
        block_on(p.w.s.checkouts.prepare(
            &p.ctx,
            PayRequest {
                invoices: vec![first.id()],
                amount: None
            }
        )),
        Err(CheckoutError::InvoiceNotFound)
    ));
}

#[test]
fn refunds_of_processor_payments_go_to_the_processor() {
    let p = pay_world();
    let invoice = p.invoice("INV-1");
    let form = p.form(&[&invoice]);
    let payment = p.new_card(&form, false).payment().clone();
    let refunded = block_on(
        p.w.s
            .payments
            .refund(&p.w.account, payment.id(), 50_000, None),
    )
    .unwrap();
    assert_eq!(refunded.refund.amount.minor(), 50_000);
    assert!(
        p.processor
            .calls()
            .contains(&Call::Refund(refunded.refund.id.to_string()))
    );
    assert_eq!(p.w.reload(&invoice).status(), DocumentStatus::PartiallyPaid);
}

#[test]
fn credentials_are_sealed_and_never_reported() {
    let p = pay_world();
    let record = block_on(p.w.store.connection(p.w.account.id))
        .unwrap()
        .unwrap();
    assert!(!String::from_utf8_lossy(&record.sealed_secrets).contains(SECRET));
    assert!(!record.public.contains(SECRET));
    let status = block_on(p.w.s.processors.status(&p.w.account)).unwrap();
    assert!(!format!("{status:?}").contains(SECRET));
    assert!(matches!(
        status,
        crate::service::ProcessorStatus::Connected {
            kind: ProcessorKind::Test,
            test_mode: true,
            health: ConnectionHealth {
                last_error: None,
                ..
            },
            ..
        }
    ));
}

#[test]
fn a_refund_retried_after_the_processor_timed_out_refunds_once() {
    let p = pay_world();
    let invoice = p.invoice("INV-1");
    let form = p.form(&[&invoice]);
    let payment = p.new_card(&form, false).payment().clone();
    p.processor.0.lock().unwrap().refund_failures = 1;
    let refund = |amount| {
        block_on(
            p.w.s
                .payments
                .refund(&p.w.account, payment.id(), amount, None),
        )
    };
    assert!(matches!(
        refund(50_000),
        Err(crate::service::PaymentError::Processor(
            ProcessorError::Unavailable(_)
        ))
    ));
    let retried = refund(50_000).unwrap();
    let keys: Vec<Call> = p
        .processor
        .calls()
        .into_iter()
        .filter(|c| matches!(c, Call::Refund(_)))
        .collect();
    // Both attempts asked the processor under the same idempotency key,
    // the one the refund is recorded with.
    assert_eq!(keys, vec![Call::Refund(retried.refund.id.to_string()); 2]);
    let recorded = block_on(p.w.s.payments.payment(&p.w.account, payment.id())).unwrap();
    assert_eq!(recorded.refunds().len(), 1);
    // A second refund, asked after the first was recorded, is another one.
    let second = refund(50_000).unwrap();
    assert_ne!(second.refund.id, retried.refund.id);
}

#[test]
fn reconciliation_goes_on_where_the_last_pass_stopped() {
    let p = pay_world();
    let first = p.invoice("INV-1");
    let second = p.invoice("INV-2");
    for invoice in [&first, &second] {
        p.processor.answer(Ok(outcome(ChargeStatus::Processing)));
        let form = p.form(&[invoice]);
        assert!(matches!(
            p.new_card(&form, false),
            PayOutcome::Processing(_)
        ));
        p.w.clock.advance(Duration::seconds(1));
    }
    p.w.clock.advance(Duration::minutes(5));
    // The processor still has both in flight: each pass takes one page.
    p.processor
        .on_lookup(Some(outcome(ChargeStatus::Processing)));
    let one = block_on(p.w.s.checkouts.reconcile(Duration::minutes(2), None, 1)).unwrap();
    assert_eq!((one.checked, one.pending), (1, 1));
    assert!(one.next.is_some(), "a full page: more may follow");
    let two = block_on(p.w.s.checkouts.reconcile(Duration::minutes(2), one.next, 1)).unwrap();
    assert_eq!(two.checked, 1);
    assert_ne!(
        one.next, two.next,
        "the next payment, not the same one again"
    );
    let end = block_on(p.w.s.checkouts.reconcile(Duration::minutes(2), two.next, 1)).unwrap();
    assert_eq!(
        (end.checked, end.next),
        (0, None),
        "back to the start next time"
    );
}

#[test]
fn new_keys_for_the_same_processor_account_keep_its_methods_and_payments() {
    let p = pay_world();
    let method = block_on(p.w.s.methods.finish_add(
        &p.ctx,
        &BrowserToken::parse("tok_a").unwrap(),
        false,
        &browser(),
    ))
    .unwrap();
    let connection = |p: &Pay| match block_on(p.w.s.processors.status(&p.w.account)).unwrap() {
        crate::service::ProcessorStatus::Connected { connection, .. } => connection,
        crate::service::ProcessorStatus::NotConfigured => panic!("connected"),
    };
    let before = connection(&p);
    // A rotated webhook secret: the same (test) processor account.
    block_on(p.w.s.processors.connect(
        &p.w.account,
        ProcessorCredentials::Test {
            webhook_secret: Secret::new("whsec_test_rotated_0123456789"),
        },
    ))
    .unwrap();
    assert_eq!(connection(&p), before);
    let page = block_on(p.w.s.methods.page(&p.ctx)).unwrap();
    assert_eq!(page.methods.len(), 1);
    assert_eq!(page.methods[0].id, method.id);
    let record = block_on(p.w.store.connection(p.w.account.id))
        .unwrap()
        .unwrap();
    assert!(!String::from_utf8_lossy(&record.sealed_secrets).contains("rotated"));
}
