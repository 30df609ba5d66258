//! After Pay Now. `GET /portal/payments/{id}` says how a payment of the
//! company went: received, processing (a bank debit), declined (with the
//! processor's message and a way to try again), or not confirmed yet. The
//! 3-D Secure step is shown in answer to a post (the pay form's, or
//! `POST /portal/payments/{id}/confirm`), so its client secret never goes
//! into an address: the processor's script runs the challenge, then the
//! confirm form asks the server, which asks the processor. The test
//! processor's challenge box posts to
//! `POST /portal/payments/{id}/test-challenge`. Nothing is marked paid on
//! the browser's word.

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use maud::html;
use portal_domain::ports::SessionContext;
use portal_domain::service::PayOutcome;
use portal_domain::{Payment, PaymentId, PaymentMethod, PaymentStatus, ProcessorKind};

use super::assets;
use super::card_entry::{ProcessorParams, online, payment_page};
use super::error::PageError;
use super::fields::Fields;
use super::home::bar;
use super::layout::{local_date, page, page_with_scripts, test_mode_banner};
use super::session::SignedIn;
use crate::extract::Browser;
use crate::state::AppState;

/// The page of a payment.
pub(crate) fn payment_path(id: PaymentId) -> String {
    format!("/portal/payments/{id}")
}

fn payment_id(text: &str) -> Result<PaymentId, PageError> {
    text.parse().map_err(|_| PageError::NotFound)
}

/// `GET /portal/payments/{id}`: reads only.
pub(crate) async fn payment(
    State(state): State<AppState>,
    SignedIn(ctx): SignedIn,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    let id = payment_id(&id)?;
    let payment = state
        .services
        .checkouts
        .payment(&ctx, id)
        .await
        .map_err(|e| PageError::checkout(e, None))?;
    let test_mode = online(&state, &ctx).unwrap_or(false);
    let zone = ctx.account.settings.time_zone;
    let bank = matches!(payment.method(), PaymentMethod::BankDebit { .. });
    let (title, state_class) = match payment.status() {
        PaymentStatus::Succeeded => ("Payment received", "succeeded"),
        PaymentStatus::Failed => ("The payment did not go through", "failed"),
        PaymentStatus::Pending if bank => ("Payment processing", "processing"),
        PaymentStatus::Pending => ("Payment not confirmed yet", "unconfirmed"),
    };
    let body = html! {
        a.back href="/portal" { "← All invoices and documents" }
        h1 #payment-title { (title) }
        @if test_mode {
            (test_mode_banner())
        }
        section #payment-result .result data-status=(state_class) {
            @match payment.status() {
                PaymentStatus::Succeeded => {
                    p #payment-succeeded {
                        "Thank you: your payment of " (payment.amount()) " went through, and "
                        @match payment.allocations() {
                            [one] => {
                                a href=(format!("/portal/documents/{}", one.document_id)) { "the invoice" }
                                " is paid."
                            }
                            [] => "it is recorded.",
                            many => { "the " (many.len()) " invoices are paid." }
                        }
                    }
                    p { "A receipt is on its way to you by email." }
                }
                PaymentStatus::Failed => {
                    p #payment-failed .error role="alert" {
                        (payment.failure().unwrap_or("The payment was declined."))
                    }
                    p { "Nothing was charged, and your invoice is unchanged." }
                    // A fresh pay form for the same invoices.
                    form.try-again method="post" action="/portal/pay" {
                        @for allocation in payment.allocations() {
                            input type="hidden" name="invoice" value=(allocation.document_id);
                        }
                        button #try-again type="submit" { "Try again" }
                    }
                }
                PaymentStatus::Pending if bank => {
                    p #payment-processing {
                        "Your bank payment of " (payment.amount()) " is on its way. Bank payments take "
                        "a few business days to clear; the invoice shows as paid once it has."
                    }
                }
                PaymentStatus::Pending => {
                    p #payment-unconfirmed {
                        "We are checking this payment of " (payment.amount()) " with the payment "
                        "processor. Nothing is marked paid until the processor confirms it, and "
                        "nothing is charged twice."
                    }
                    form #confirm-form method="post" action=(format!("{}/confirm", payment_path(id))) {
                        button #check-again type="submit" { "Check again" }
                    }
                }
            }
            dl.meta {
                div { dt { "Amount" } dd #payment-amount { (payment.amount()) } }
                div { dt { "Method" } dd { (payment.method()) } }
                div { dt { "Date" } dd { (local_date(zone, payment.received_at())) } }
            }
        }
        p { a href="/portal" { "Back to your invoices" } }
    };
    Ok(page(title, Some(bar(&ctx)), body).into_response())
}

/// `POST /portal/payments/{id}/confirm`: asks the processor how the
/// charge stands (after a challenge, or to check again) and shows that.
pub(crate) async fn confirm(
    State(state): State<AppState>,
    SignedIn(ctx): SignedIn,
    Browser(info): Browser,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    let id = payment_id(&id)?;
    let outcome = state
        .services
        .checkouts
        .confirm(&ctx, id, &info)
        .await
        .map_err(|e| PageError::checkout(e, Some(payment_path(id))))?;
    match outcome {
        PayOutcome::RequiresAction {
            payment,
            client_secret,
        } => challenge(&state, &ctx, &payment, &client_secret).await,
        other => Ok(Redirect::to(&payment_path(other.payment().id())).into_response()),
    }
}

/// `POST /portal/payments/{id}/test-challenge`: the test processor's
/// challenge box, `outcome=complete` or `outcome=fail`. The challenge
/// answered is the one the processor reports for this payment, never one
/// the form names.
pub(crate) async fn test_challenge(
    State(state): State<AppState>,
    SignedIn(ctx): SignedIn,
    Browser(info): Browser,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Response, PageError> {
    let challenges = state.test_challenges.clone().ok_or(PageError::NotFound)?;
    let id = payment_id(&id)?;
    let checkouts = &state.services.checkouts;
    let payment = checkouts
        .payment(&ctx, id)
        .await
        .map_err(|e| PageError::checkout(e, None))?;
    if payment.processor().map(|p| p.kind) != Some(ProcessorKind::Test) {
        return Err(PageError::NotFound);
    }
    let succeed = match Fields::parse(&body).get("outcome") {
        Some("complete") => true,
        Some("fail") => false,
        _ => {
            return Err(PageError::bad_form(
                "Choose to complete or fail the authentication.",
                (payment_path(id), "Back to the payment"),
            ));
        }
    };
    let again = || Some(payment_path(id));
    let outcome = checkouts
        .confirm(&ctx, id, &info)
        .await
        .map_err(|e| PageError::checkout(e, again()))?;
    if let PayOutcome::RequiresAction { client_secret, .. } = outcome {
        if !challenges.authenticate(&client_secret, succeed) {
            tracing::warn!("the test processor knew no such challenge");
        }
        checkouts
            .confirm(&ctx, id, &info)
            .await
            .map_err(|e| PageError::checkout(e, again()))?;
    }
    Ok(Redirect::to(&payment_path(id)).into_response())
}

/// The 3-D Secure step of `payment`, under the payment pages' policy.
pub(crate) async fn challenge(
    state: &AppState,
    ctx: &SessionContext,
    payment: &Payment,
    client_secret: &str,
) -> Result<Response, PageError> {
    let connected = state
        .services
        .processors
        .connected(ctx.account.id)
        .await
        .map_err(|e| PageError::checkout(e.into(), None))?
        .ok_or_else(|| {
            PageError::checkout(portal_domain::service::CheckoutError::NotConnected, None)
        })?;
    let assets = state.services.processors.browser_assets(&connected);
    let params = ProcessorParams::of(&connected, None);
    let kind = connected.kind();
    let path = payment_path(payment.id());
    let title = "Confirm the payment with your bank";
    let body = html! {
        h1 { (title) }
        @if connected.test_mode() {
            (test_mode_banner())
        }
        p {
            "Your card's bank asks you to confirm this payment of " (payment.amount())
            " (3-D Secure). Nothing is paid until it is confirmed."
        }
        @match kind {
            ProcessorKind::Test => {
                section #test-challenge .challenge {
                    h2 { "Test 3-D Secure challenge" }
                    p.muted { "A real card's bank would ask for a code or an app confirmation here." }
                    form method="post" action=(format!("{path}/test-challenge")) {
                        button #complete-authentication type="submit" name="outcome" value="complete" {
                            "Complete authentication"
                        }
                        " "
                        button #fail-authentication .secondary type="submit" name="outcome" value="fail" {
                            "Fail authentication"
                        }
                    }
                }
            }
            _ => {
                div #challenge .challenge
                    data-challenge
                    data-processor=(params.processor)
                    data-publishable-key=[params.publishable_key.as_deref()]
                    data-client-secret=(client_secret) {
                    p #challenge-status .muted { "Follow your bank's instructions in the window that opens." }
                }
            }
        }
        form #confirm-form method="post" action=(format!("{path}/confirm")) {
            button #confirm-payment .secondary type="submit" {
                @if kind == ProcessorKind::Test { "Check the payment again" } @else { "Continue" }
            }
        }
    };
    let scripts = match kind {
        ProcessorKind::Test => Vec::new(),
        _ => {
            let mut scripts = Vec::new();
            if !assets.script_url.is_empty() {
                scripts.push(assets.script_url.clone());
            }
            scripts.push(assets::CHALLENGE.src());
            scripts
        }
    };
    let markup = page_with_scripts(title, Some(bar(ctx)), body, &scripts);
    Ok(payment_page(markup, &assets))
}
