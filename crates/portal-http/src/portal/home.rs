//! `GET /portal`: the overview of what the company owes (partially paid
//! invoices with what remains, and, when the business takes payments
//! online, a form to pay several of one currency at once), every other
//! document sent to it, and its payment history. Dates are the account's,
//! in its time zone.

use axum::extract::State;
use axum::response::{IntoResponse, Response};
use maud::{Markup, html};
use portal_domain::ports::SessionContext;
use portal_domain::service::PortalHome;
use portal_domain::{Document, DocumentKind, Payment, PaymentStatus};

use super::card_entry::online;
use super::error::PageError;
use super::layout::{
    amounts, date, local_date, page, signed_in_bar, status_badge, test_mode_banner,
};
use super::session::SignedIn;
use crate::extract::Browser;
use crate::state::AppState;

/// The signed-in bar of a page.
pub(crate) fn bar(ctx: &SessionContext) -> Markup {
    signed_in_bar(
        ctx.account.name.as_str(),
        ctx.contact.name.as_str(),
        ctx.client.name.as_str(),
    )
}

pub(crate) async fn home(
    State(state): State<AppState>,
    SignedIn(ctx): SignedIn,
    Browser(info): Browser,
) -> Result<Response, PageError> {
    let home = state.services.views.portal_home(&ctx, &info).await?;
    let online = online(&state, &ctx).await?;
    let body = html! {
        h1 { (ctx.client.name) }
        @if online == Some(true) {
            (test_mode_banner())
        }
        p.muted { "Invoices and documents from " (ctx.account.name) "." }
        h2 { "Outstanding invoices" }
        (outstanding(&home, online.is_some()))
        h2 { "Documents" }
        (documents(&home))
        h2 { "Payment history" }
        (payments(&ctx, &home))
    };
    Ok(page(
        &format!("{} · Billing portal", ctx.account.name),
        Some(bar(&ctx)),
        body,
    )
    .into_response())
}

/// The form an outstanding invoice's checkbox belongs to: one per
/// currency, since a charge is in one currency.
fn pay_form_id(doc: &Document) -> String {
    format!("pay-{}", doc.currency().code().to_ascii_lowercase())
}

fn outstanding(home: &PortalHome, pay_online: bool) -> Markup {
    if home.outstanding.is_empty() {
        return html! { p.empty { "Nothing to pay right now." } };
    }
    let payable = |doc: &Document| pay_online && doc.amount_open().is_positive();
    let mut currencies: Vec<&'static str> = Vec::new();
    for doc in home.outstanding.iter().filter(|d| payable(d)) {
        if !currencies.contains(&doc.currency().code()) {
            currencies.push(doc.currency().code());
        }
    }
    let several = currencies.len() > 1;
    html! {
        div.summary {
            div.figure {
                span.muted { "Total due" }
                strong { (amounts(&home.total_due)) }
            }
            div.figure {
                span.muted { "Open invoices" }
                strong { (home.outstanding.len()) }
            }
        }
        div.table-wrap { table {
            thead { tr {
                @if !currencies.is_empty() { th { span.visually-hidden { "Select" } } }
                th { "Invoice" } th.hide-sm { "Issued" } th { "Due" } th { "Status" } th.num { "Amount due" }
            } }
            tbody {
                @for doc in &home.outstanding {
                    tr {
                        @if !currencies.is_empty() {
                            td {
                                @if payable(doc) {
                                    input.select type="checkbox" name="invoice" value=(doc.id())
                                        form=(pay_form_id(doc))
                                        aria-label=(format!("Select {}", doc.number()));
                                }
                            }
                        }
                        td { a href=(format!("/portal/documents/{}", doc.id())) { (doc.number()) } }
                        td.hide-sm { (date(doc.issue_date())) }
                        td { (doc.due_date().map(date).unwrap_or_default()) }
                        td { (status_badge(doc, home.today)) }
                        td.num {
                            (doc.amount_due())
                            @if doc.amount_paid().is_positive() {
                                br;
                                span.muted { "of " (doc.total()) }
                            }
                        }
                    }
                }
            }
        } }
        @if !currencies.is_empty() {
            div.pay-several {
                @for code in &currencies {
                    form.pay-selected id=(format!("pay-{}", code.to_ascii_lowercase()))
                        method="post" action="/portal/pay" {
                        button type="submit" {
                            "Pay selected invoices"
                            @if several { " (" (code) ")" }
                        }
                    }
                }
            }
        }
    }
}

fn documents(home: &PortalHome) -> Markup {
    if home.documents.is_empty() {
        return html! { p.empty { "No other documents yet." } };
    }
    html! {
        div.table-wrap { table {
            thead { tr {
                th { "Document" } th.hide-sm { "Type" } th.hide-sm { "Date" } th { "Status" } th.num { "Total" }
            } }
            tbody {
                @for doc in &home.documents {
                    tr {
                        td { a href=(format!("/portal/documents/{}", doc.id())) { (doc.number()) } }
                        td.hide-sm { (doc.kind().label()) }
                        td.hide-sm { (date(doc.issue_date())) }
                        td { (status_badge(doc, home.today)) }
                        td.num { (total_cell(doc)) }
                    }
                }
            }
        } }
    }
}

fn total_cell(doc: &Document) -> String {
    if doc.kind() == DocumentKind::Contract && doc.lines().is_empty() {
        String::new()
    } else {
        doc.total().to_string()
    }
}

fn payments(ctx: &SessionContext, home: &PortalHome) -> Markup {
    if home.payments.is_empty() {
        return html! { p.empty { "No payments recorded yet." } };
    }
    let zone = ctx.account.settings.time_zone;
    html! {
        div.table-wrap { table {
            thead { tr {
                th { "Date" } th.hide-sm { "Method" } th { "Invoices paid" } th.num { "Amount" } th { span.visually-hidden { "Receipt" } }
            } }
            tbody {
                @for payment in &home.payments {
                    tr {
                        td { (local_date(zone, payment.received_at())) }
                        td.hide-sm { (payment.method()) }
                        td { (invoices_paid(home, payment)) }
                        td.num {
                            (payment.amount())
                            @if let Ok(refunded) = payment.refunded() && refunded.is_positive() {
                                br;
                                span.muted { (refunded) " refunded" }
                            }
                        }
                        td {
                            @if payment.status() == PaymentStatus::Succeeded {
                                a.receipt href=(format!("/portal/payments/{}/receipt.pdf", payment.id())) download { "Receipt (PDF)" }
                            } @else {
                                span.muted { "Processing" }
                            }
                        }
                    }
                }
            }
        } }
    }
}

/// Links to the invoices a payment paid, by number.
fn invoices_paid(home: &PortalHome, payment: &Payment) -> Markup {
    html! {
        @for (i, allocation) in payment.allocations().iter().enumerate() {
            @if i > 0 { ", " }
            @match home.invoice_number(allocation.document_id) {
                Some(number) => a href=(format!("/portal/documents/{}", allocation.document_id)) { (number) },
                None => span.muted { "an invoice" },
            }
        }
    }
}
