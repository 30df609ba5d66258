//! Saved payment methods. `GET /portal/methods` lists the company's
//! methods (brand, last four, expiry or bank, the default); a client makes
//! one the default (`POST /portal/methods/{id}/default`), removes one
//! (`POST /portal/methods/{id}/remove`), or adds one: `POST
//! /portal/methods/new` (it starts a setup at the processor, so it is no
//! `GET`) shows the processor's element, `POST
//! /portal/methods` saves the token it answered. Every change happens at
//! the processor first, and a method is listed only once the processor
//! confirmed it; another client's method id is not found. When the
//! processor is disconnected or failing the page says so and offers no
//! change.

use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::response::{IntoResponse, Redirect, Response};
use maud::{Markup, html};
use portal_domain::PaymentMethodId;
use portal_domain::ports::BrowserToken;
use portal_domain::service::MethodsPage;

use super::assets;
use super::card_entry::{ProcessorParams, method_label, new_card_fields, payment_page, scripts};
use super::error::PageError;
use super::fields::Fields;
use super::home::bar;
use super::layout::{page, page_with_scripts, test_mode_banner};
use super::session::SignedIn;
use crate::extract::Browser;
use crate::state::AppState;

const METHODS: &str = "/portal/methods";

pub(crate) async fn list(
    State(state): State<AppState>,
    SignedIn(ctx): SignedIn,
    RawQuery(query): RawQuery,
) -> Result<Response, PageError> {
    let view = state
        .services
        .methods
        .page(&ctx)
        .await
        .map_err(PageError::methods)?;
    let fields = Fields::parse(query.unwrap_or_default().as_bytes());
    let notice = if fields.ticked("added") {
        Some("Your payment method was saved.")
    } else if fields.ticked("defaulted") {
        Some("Your default payment method was changed.")
    } else if fields.ticked("removed") {
        Some("The payment method was removed.")
    } else {
        None
    };
    let title = "Payment methods";
    let body = html! {
        a.back href="/portal" { "← All invoices and documents" }
        h1 { (title) }
        @if view.connected.as_ref().is_some_and(|c| c.test_mode()) {
            (test_mode_banner())
        }
        @if let Some(notice) = notice {
            p #notice .notice role="status" { (notice) }
        }
        @if !view.can_change {
            p #methods-locked .notice role="note" {
                @if view.connected.is_none() {
                    "Payment methods cannot be changed now: " (ctx.account.name)
                    " does not take payments online at the moment."
                } @else {
                    "Payment methods cannot be changed now: the payment processor cannot be "
                    "reached. Please try again later."
                }
            }
        }
        (methods_list(&view))
        @if view.can_change {
            form.add-method method="post" action="/portal/methods/new" {
                button #add-method type="submit" { "Add a payment method" }
            }
        }
    };
    Ok(page(title, Some(bar(&ctx)), body).into_response())
}

fn methods_list(view: &MethodsPage) -> Markup {
    if view.methods.is_empty() {
        return html! { p.empty #no-methods { "No saved payment methods." } };
    }
    html! {
        ul #methods .methods {
            @for method in &view.methods {
                li.method id=(format!("method-{}", method.id)) {
                    div {
                        (method_label(method))
                        @if method.is_default { " " span.badge.default { "Default" } }
                    }
                    @if view.can_change {
                        div.actions {
                            @if !method.is_default {
                                form method="post" action=(format!("{METHODS}/{}/default", method.id)) {
                                    button.secondary.make-default type="submit" { "Make default" }
                                }
                            }
                            form method="post" action=(format!("{METHODS}/{}/remove", method.id)) {
                                button.secondary.remove type="submit" { "Remove" }
                            }
                        }
                    }
                }
            }
        }
    }
}

/// `POST /portal/methods/new`: the processor's element for a new method.
pub(crate) async fn new(
    State(state): State<AppState>,
    SignedIn(ctx): SignedIn,
) -> Result<Response, PageError> {
    let add = state
        .services
        .methods
        .start_add(&ctx)
        .await
        .map_err(PageError::methods)?;
    let params = ProcessorParams::of(&add.connected, Some(&add.setup));
    let title = "Add a payment method";
    let body = html! {
        a.back href=(METHODS) { "← Payment methods" }
        h1 { (title) }
        @if add.connected.test_mode() {
            (test_mode_banner())
        }
        form #add-method-form .pay method="post" action=(METHODS)
            data-pay-form
            data-processor=(params.processor)
            data-publishable-key=[params.publishable_key.as_deref()]
            data-client-secret=[params.client_secret.as_deref()]
            data-api-login-id=[params.api_login_id.as_deref()]
            data-client-key=[params.client_key.as_deref()] {
            input type="hidden" name="token" value="";
            div #new-card .new-card {
                (new_card_fields(add.connected.kind()))
                label.check {
                    input #make-default type="checkbox" name="make_default" value="1";
                    "Make this my default payment method"
                }
            }
            noscript { p.error { "Entering a card needs JavaScript, which is turned off in this browser." } }
            button #add-submit type="submit" { "Save card" }
        }
    };
    let scripts = scripts(&add.connected, &add.assets, assets::PAY);
    let markup = page_with_scripts(title, Some(bar(&ctx)), body, &scripts);
    Ok(payment_page(markup, &add.assets))
}

/// `POST /portal/methods`: saves the method the processor's script
/// tokenized, once the processor confirms it.
pub(crate) async fn add(
    State(state): State<AppState>,
    SignedIn(ctx): SignedIn,
    Browser(info): Browser,
    body: Bytes,
) -> Result<Response, PageError> {
    let fields = Fields::parse(&body);
    let token = fields
        .get("token")
        .and_then(|t| BrowserToken::parse(t).ok())
        .ok_or_else(|| {
            PageError::bad_form(
                "The card details did not come through. Please enter the card again.",
                (METHODS.to_owned(), "Back to payment methods"),
            )
        })?;
    state
        .services
        .methods
        .finish_add(&ctx, &token, fields.ticked("make_default"), &info)
        .await
        .map_err(PageError::methods)?;
    Ok(Redirect::to("/portal/methods?added=1").into_response())
}

fn method_id(text: &str) -> Result<PaymentMethodId, PageError> {
    text.parse().map_err(|_| PageError::NotFound)
}

/// `POST /portal/methods/{id}/default`.
pub(crate) async fn make_default(
    State(state): State<AppState>,
    SignedIn(ctx): SignedIn,
    Browser(info): Browser,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    let id = method_id(&id)?;
    state
        .services
        .methods
        .set_default(&ctx, id, &info)
        .await
        .map_err(PageError::methods)?;
    Ok(Redirect::to("/portal/methods?defaulted=1").into_response())
}

/// `POST /portal/methods/{id}/remove`.
pub(crate) async fn remove(
    State(state): State<AppState>,
    SignedIn(ctx): SignedIn,
    Browser(info): Browser,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    let id = method_id(&id)?;
    state
        .services
        .methods
        .remove(&ctx, id, &info)
        .await
        .map_err(PageError::methods)?;
    Ok(Redirect::to("/portal/methods?removed=1").into_response())
}
