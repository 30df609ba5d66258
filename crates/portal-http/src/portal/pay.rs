//! Pay Now. `POST /portal/pay` (form: `invoice=…[&invoice=…][&amount=…]`,
//! from an invoice's "Pay now" button or the overview's "Pay selected
//! invoices") starts a one-time checkout and answers the pay form for some
//! of the company's outstanding invoices: what is paid, the saved methods
//! (the default chosen), a new card through the processor's own element,
//! and the checkout id in the form's address. It is a `POST` because it
//! writes (the checkout, the processor's customer): a `GET` never changes
//! state. `POST /portal/pay/{checkout}` pays it once, however often it
//! is posted (double clicks, the back button, two tabs): the domain marks
//! the checkout submitted by compare-and-set before any charge. The
//! answer redirects to the payment's page, except a 3-D Secure step,
//! which is shown at once (its client secret never goes into an address).

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use maud::{Markup, html};
use portal_domain::ports::{BrowserToken, SessionContext};
use portal_domain::service::{CheckoutError, CheckoutForm, PayOutcome, PayRequest, PayWith};
use portal_domain::{CheckoutId, Currency, DocumentId, Money, PaymentMethodId};

use super::assets;
use super::card_entry::{ProcessorParams, method_label, new_card_fields, payment_page, scripts};
use super::error::PageError;
use super::fields::Fields;
use super::home::bar;
use super::layout::{page_with_scripts, test_mode_banner};
use super::payment::{challenge, payment_path};
use super::session::SignedIn;
use crate::extract::Browser;
use crate::state::AppState;

/// Where a client starts paying `invoices` again: the invoice's page for
/// one (its "Pay now" button), the overview for several.
pub(crate) fn restart_path<I: IntoIterator<Item = DocumentId>>(invoices: I) -> String {
    let ids: Vec<DocumentId> = invoices.into_iter().collect();
    match ids.as_slice() {
        [one] => format!("/portal/documents/{one}"),
        _ => "/portal".to_owned(),
    }
}

/// The invoice ids a query or form names; one that does not parse names
/// nothing the session may see.
fn invoice_ids(fields: &Fields) -> Result<Vec<DocumentId>, PageError> {
    fields
        .all("invoice")
        .filter(|id| !id.is_empty())
        .map(|id| id.parse().map_err(|_| PageError::NotFound))
        .collect()
}

pub(crate) async fn pay_page(
    State(state): State<AppState>,
    SignedIn(ctx): SignedIn,
    body: Bytes,
) -> Result<Response, PageError> {
    let fields = Fields::parse(&body);
    let invoices = invoice_ids(&fields)?;
    let again = (!invoices.is_empty()).then(|| restart_path(invoices.iter().copied()));
    let amount =
        match fields.get("amount") {
            None => None,
            Some(text) => {
                let currency = fields
                    .get("currency")
                    .and_then(|code| Currency::parse("currency", code).ok());
                let digits = currency.map_or(2, |c| c.minor_digits());
                Some(minor_units(text, digits).filter(|m| *m > 0).ok_or_else(|| {
                PageError::bad_form(
                    "Enter the amount to pay as a number greater than zero, like 125.00.",
                    (
                        again.clone().unwrap_or_else(|| "/portal".to_owned()),
                        "Start again",
                    ),
                )
            })?)
            }
        };
    let form = state
        .services
        .checkouts
        .prepare(&ctx, PayRequest { invoices, amount })
        .await
        .map_err(|e| match e {
            // The back button after paying lands here: say so, the same
            // for an id that was never the company's.
            CheckoutError::InvoiceNotFound => PageError::nothing_to_pay(),
            other => PageError::checkout(other, again),
        })?;
    let title = match form.invoices.as_slice() {
        [one] => format!("Pay invoice {}", one.number()),
        many => format!("Pay {} invoices", many.len()),
    };
    let scripts = scripts(&form.connected, &form.assets, assets::PAY);
    let markup = page_with_scripts(
        &title,
        Some(bar(&ctx)),
        pay_form(&ctx, &form, &title),
        &scripts,
    );
    Ok(payment_page(markup, &form.assets))
}

/// The pay page's body.
fn pay_form(ctx: &SessionContext, form: &CheckoutForm, title: &str) -> Markup {
    let checkout = &form.checkout;
    let params = ProcessorParams::of(&form.connected, form.setup.as_ref());
    let can_add = form.setup.is_some();
    let preselected = form
        .methods
        .iter()
        .find(|m| m.is_default)
        .or_else(|| form.methods.first())
        .map(|m| m.id);
    let single = form.invoices.len() == 1;
    let partial = ctx.account.settings.allow_partial_payments && single;
    html! {
        a.back href="/portal" { "← All invoices and documents" }
        h1 { (title) }
        @if form.connected.test_mode() {
            (test_mode_banner())
        }
        div.table-wrap { table #pay-invoices {
            thead { tr { th { "Invoice" } th.num { "Amount due" } th.num { "Paying now" } } }
            tbody {
                @for (invoice, allocation) in form.invoices.iter().zip(&checkout.allocations) {
                    tr {
                        td { a href=(format!("/portal/documents/{}", invoice.id())) { (invoice.number()) } }
                        td.num { (invoice.amount_open()) }
                        td.num { (allocation.amount) }
                    }
                }
            }
            tfoot { tr {
                td colspan="2" { "Total" }
                td.num #pay-total { (checkout.amount) }
            } }
        } }
        @if partial {
            @let invoice = &form.invoices[0];
            form.amount #amount-form method="post" action="/portal/pay" {
                input type="hidden" name="invoice" value=(invoice.id());
                input type="hidden" name="currency" value=(checkout.amount.currency().code());
                label for="amount" { "Amount to pay (" (checkout.amount.currency().code()) ")" }
                div.inline {
                    input #amount type="text" name="amount" inputmode="decimal"
                        value=(plain_amount(checkout.amount));
                    button.secondary type="submit" { "Change amount" }
                }
                p.muted.hint { "You can pay part of this invoice now and the rest later." }
            }
        }
        form #pay-form .pay method="post" action=(format!("/portal/pay/{}", checkout.id))
            data-pay-form
            data-processor=(params.processor)
            data-publishable-key=[params.publishable_key.as_deref()]
            data-client-secret=[params.client_secret.as_deref()]
            data-api-login-id=[params.api_login_id.as_deref()]
            data-client-key=[params.client_key.as_deref()] {
            @for allocation in &checkout.allocations {
                input type="hidden" name="invoice" value=(allocation.document_id);
            }
            input type="hidden" name="token" value="";
            fieldset.methods {
                legend { "Pay with" }
                @for method in &form.methods {
                    label.choice {
                        input type="radio" name="method" value=(method.id)
                            checked[preselected == Some(method.id)];
                        (method_label(method))
                        @if method.is_default { " " span.badge.default { "Default" } }
                    }
                }
                @if can_add {
                    label.choice {
                        input #method-new type="radio" name="method" value="new"
                            checked[preselected.is_none()];
                        "New card"
                    }
                } @else if form.methods.is_empty() {
                    p.error role="alert" {
                        "Cards cannot be entered right now. Please try again in a few minutes."
                    }
                } @else {
                    p.muted { "New cards cannot be entered right now; you can pay with a saved method." }
                }
            }
            @if can_add {
                div #new-card .new-card hidden[preselected.is_some()] {
                    (new_card_fields(form.connected.kind()))
                    label.check {
                        input #save-card type="checkbox" name="save" value="1";
                        "Save this card for next time"
                    }
                }
                noscript { p.error { "Entering a card needs JavaScript, which is turned off in this browser." } }
            }
            @if can_add || !form.methods.is_empty() {
                button #pay-submit type="submit" { "Pay " (checkout.amount) }
            }
        }
    }
}

/// `POST /portal/pay/{checkout}`: pays the form once.
pub(crate) async fn submit(
    State(state): State<AppState>,
    SignedIn(ctx): SignedIn,
    Browser(info): Browser,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Response, PageError> {
    let checkout = id.parse::<CheckoutId>().map_err(|_| PageError::NotFound)?;
    let fields = Fields::parse(&body);
    // Only for "start again" links: the checkout itself says what is paid.
    let invoices = invoice_ids(&fields).unwrap_or_default();
    let again = (!invoices.is_empty()).then(|| restart_path(invoices));
    let with = pay_with(&fields, again.as_deref())?;
    let outcome = state
        .services
        .checkouts
        .submit(&ctx, checkout, with, &info)
        .await
        .map_err(|e| PageError::checkout(e, again))?;
    match outcome {
        PayOutcome::RequiresAction {
            payment,
            client_secret,
        } => challenge(&state, &ctx, &payment, &client_secret).await,
        other => Ok(Redirect::to(&payment_path(other.payment().id())).into_response()),
    }
}

/// What the form pays with: a saved method's id, or the processor's token
/// for a new card (`method=new`, or no method at all).
fn pay_with(fields: &Fields, again: Option<&str>) -> Result<PayWith, PageError> {
    let back = || (again.unwrap_or("/portal").to_owned(), "Start again");
    let new = |token: Option<&str>| match token.map(BrowserToken::parse) {
        Some(Ok(token)) => Ok(PayWith::New {
            token,
            save: fields.ticked("save"),
        }),
        Some(Err(_)) | None => Err(PageError::bad_form(
            "The card details did not come through. Please enter the card again.",
            back(),
        )),
    };
    match (fields.get("method"), fields.get("token")) {
        (Some("new"), token) | (None, token @ Some(_)) => new(token),
        (Some(id), _) => id
            .parse::<PaymentMethodId>()
            .map(PayWith::Saved)
            .map_err(|_| PageError::NotFound),
        (None, None) => Err(PageError::bad_form("Choose how to pay.", back())),
    }
}

/// "1250.5" in a currency of `digits` minor digits, as minor units; `None`
/// for anything but digits with at most one point and at most `digits`
/// decimals (thousands separators allowed).
pub(crate) fn minor_units(text: &str, digits: u8) -> Option<i64> {
    let text: String = text.chars().filter(|c| *c != ',' && *c != ' ').collect();
    let (units, fraction) = text.split_once('.').unwrap_or((&text, ""));
    if units.is_empty() && fraction.is_empty() {
        return None;
    }
    let numeric = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    if !numeric(units) || !numeric(fraction) || fraction.len() > usize::from(digits) {
        return None;
    }
    let scale = 10i64.checked_pow(u32::from(digits))?;
    let units: i64 = if units.is_empty() {
        0
    } else {
        units.parse().ok()?
    };
    let padded = format!("{fraction:0<width$}", width = usize::from(digits));
    let fraction: i64 = if padded.is_empty() {
        0
    } else {
        padded.parse().ok()?
    };
    units.checked_mul(scale)?.checked_add(fraction)
}

/// An amount as a client types it: "1250.50", no symbol or separators.
fn plain_amount(amount: Money) -> String {
    let digits = u32::from(amount.currency().minor_digits());
    let scale = 10i64.pow(digits);
    let (units, fraction) = (amount.minor() / scale, amount.minor() % scale);
    if digits == 0 {
        units.to_string()
    } else {
        format!("{units}.{fraction:0width$}", width = digits as usize)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_are_read_with_integer_arithmetic() {
        assert_eq!(minor_units("125", 2), Some(12_500));
        assert_eq!(minor_units("125.5", 2), Some(12_550));
        assert_eq!(minor_units("1,250.05", 2), Some(125_005));
        assert_eq!(minor_units(".5", 2), Some(50));
        assert_eq!(minor_units("300", 0), Some(300));
        for bad in [
            "",
            ".",
            "12.345",
            "-5",
            "1e3",
            "12.5.1",
            "abc",
            "99999999999999999999",
        ] {
            assert_eq!(minor_units(bad, 2), None, "{bad}");
        }
        assert_eq!(minor_units("1.5", 0), None);
    }

    #[test]
    fn amounts_are_written_back_without_symbols() {
        let usd = Currency::parse("c", "USD").unwrap();
        let jpy = Currency::parse("c", "JPY").unwrap();
        assert_eq!(
            plain_amount(Money::try_new(125_005, usd).unwrap()),
            "1250.05"
        );
        assert_eq!(plain_amount(Money::try_new(300, jpy).unwrap()), "300");
    }
}
