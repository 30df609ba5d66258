//! `GET /portal`: the overview of what the company owes (partially paid
//! invoices with what remains, and, when the business takes payments
//! online, a form to pay several of one currency at once), every other
//! document sent to it, and its payment history. Dates are the account's,
//! in its time zone.

use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use maud::{Markup, html};
use portal_domain::ports::SessionContext;
use portal_domain::service::{HomePages, PortalHome};
use portal_domain::{Cursor, DocumentKind, DocumentSummary, PaymentStatus, PaymentSummary};
use serde::Deserialize;

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

/// Which page of each list to show: `?documents=<cursor>` and
/// `?payments=<cursor>`, as the "Older" links write them.
#[derive(Debug, Default, Deserialize)]
pub(crate) struct HomeQuery {
    documents: Option<String>,
    payments: Option<String>,
}

impl HomeQuery {
    fn pages(&self) -> Result<HomePages, PageError> {
        let cursor = |text: &Option<String>| {
            text.as_deref()
                .map(|t| Cursor::parse("cursor", t))
                .transpose()
                .map_err(|_| PageError::Refused {
                    status: StatusCode::BAD_REQUEST,
                    title: "This page link is not valid",
                    message: "The link to an older page of your documents or payments is \
                              damaged. Start again from the overview."
                        .into(),
                    next: ("/portal".into(), "Back to the overview"),
                })
        };
        Ok(HomePages {
            documents: cursor(&self.documents)?,
            payments: cursor(&self.payments)?,
        })
    }

    /// The address of this page with `list` moved to the page after
    /// `cursor`, or back to its first page.
    fn with(&self, list: &str, cursor: Option<&Cursor>) -> String {
        let mut href = String::from("/portal?");
        let mut first = true;
        for (name, value) in [
            ("documents", self.documents.clone()),
            ("payments", self.payments.clone()),
        ] {
            let value = if name == list {
                cursor.map(Cursor::encode)
            } else {
                value
            };
            if let Some(value) = value {
                if !first {
                    href.push('&');
                }
                first = false;
                // Cursors are base64url: nothing to escape.
                href.push_str(name);
                href.push('=');
                href.push_str(&value);
            }
        }
        if first {
            href.pop();
        }
        href
    }
}

pub(crate) async fn home(
    State(state): State<AppState>,
    SignedIn(ctx): SignedIn,
    Browser(info): Browser,
    Query(query): Query<HomeQuery>,
) -> Result<Response, PageError> {
    let pages = query.pages()?;
    let home = state.services.views.portal_home(&ctx, &info, pages).await?;
    let online = online(&state, &ctx);
    let body = html! {
        h1 { (ctx.client.name) }
        @if online == Some(true) {
            (test_mode_banner())
        }
        p.muted { "Invoices and documents from " (ctx.account.name) "." }
        h2 { "Outstanding invoices" }
        (outstanding(&home, online.is_some()))
        h2 { "Documents" }
        (documents(&home, &query))
        h2 { "Payment history" }
        (payments(&ctx, &home, &query))
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
fn pay_form_id(doc: &DocumentSummary) -> String {
    format!("pay-{}", doc.currency().code().to_ascii_lowercase())
}

fn outstanding(home: &PortalHome, pay_online: bool) -> Markup {
    if home.outstanding.is_empty() {
        return html! { p.empty { "Nothing to pay right now." } };
    }
    let payable = |doc: &DocumentSummary| pay_online && doc.amount_open().is_positive();
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
                                    input.select type="checkbox" name="invoice" value=(doc.id)
                                        form=(pay_form_id(doc))
                                        aria-label=(format!("Select {}", doc.number));
                                }
                            }
                        }
                        td { a href=(format!("/portal/documents/{}", doc.id)) { (doc.number) } }
                        td.hide-sm { (date(doc.issue_date)) }
                        td { (doc.due_date.map(date).unwrap_or_default()) }
                        td { (status_badge(doc.status, doc.is_overdue(home.today))) }
                        td.num {
                            (doc.amount_due())
                            @if doc.paid.is_positive() {
                                br;
                                span.muted { "of " (doc.total) }
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

fn documents(home: &PortalHome, query: &HomeQuery) -> Markup {
    if home.documents.items.is_empty() {
        return html! { p.empty { "No other documents yet." } };
    }
    html! {
        div.table-wrap { table {
            thead { tr {
                th { "Document" } th.hide-sm { "Type" } th.hide-sm { "Date" } th { "Status" } th.num { "Total" }
            } }
            tbody {
                @for doc in &home.documents.items {
                    tr {
                        td { a href=(format!("/portal/documents/{}", doc.id)) { (doc.number) } }
                        td.hide-sm { (doc.kind.label()) }
                        td.hide-sm { (date(doc.issue_date)) }
                        td { (status_badge(doc.status, doc.is_overdue(home.today))) }
                        td.num { (total_cell(doc)) }
                    }
                }
            }
        } }
        (older(query, "documents", home.documents.next.as_ref(), "Older documents"))
    }
}

/// The link to the next page of a list, when there is one; "Newest" goes
/// back to the start.
fn older(query: &HomeQuery, list: &str, next: Option<&Cursor>, text: &str) -> Markup {
    let paged = match list {
        "documents" => query.documents.is_some(),
        _ => query.payments.is_some(),
    };
    html! {
        @if next.is_some() || paged {
            nav.pager aria-label=(text) {
                @if paged {
                    a href=(query.with(list, None)) { "Newest" }
                }
                @if let Some(next) = next {
                    a rel="next" href=(query.with(list, Some(next))) { (text) " →" }
                }
            }
        }
    }
}

fn total_cell(doc: &DocumentSummary) -> String {
    if doc.kind == DocumentKind::Contract && !doc.has_lines {
        String::new()
    } else {
        doc.total.to_string()
    }
}

fn payments(ctx: &SessionContext, home: &PortalHome, query: &HomeQuery) -> Markup {
    if home.payments.items.is_empty() {
        return html! { p.empty { "No payments recorded yet." } };
    }
    let zone = ctx.account.settings.time_zone;
    html! {
        div.table-wrap { table {
            thead { tr {
                th { "Date" } th.hide-sm { "Method" } th { "Invoices paid" } th.num { "Amount" } th { span.visually-hidden { "Receipt" } }
            } }
            tbody {
                @for payment in &home.payments.items {
                    tr {
                        td { (local_date(zone, payment.received_at)) }
                        td.hide-sm { (payment.method) }
                        td { (invoices_paid(payment)) }
                        td.num {
                            (payment.amount)
                            @if payment.refunded.is_positive() {
                                br;
                                span.muted { (payment.refunded) " refunded" }
                            }
                        }
                        td {
                            @if payment.status == PaymentStatus::Succeeded {
                                a.receipt href=(format!("/portal/payments/{}/receipt.pdf", payment.id)) download { "Receipt (PDF)" }
                            } @else {
                                span.muted { "Processing" }
                            }
                        }
                    }
                }
            }
        } }
        (older(query, "payments", home.payments.next.as_ref(), "Older payments"))
    }
}

/// Links to the invoices a payment paid, by number.
fn invoices_paid(payment: &PaymentSummary) -> Markup {
    html! {
        @for (i, invoice) in payment.invoices.iter().enumerate() {
            @if i > 0 { ", " }
            a href=(format!("/portal/documents/{}", invoice.document_id)) { (invoice.number) }
        }
    }
}
