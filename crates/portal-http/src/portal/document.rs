//! `GET /portal/documents/{id}`: one document of the session's company,
//! and for an invoice what is paid on it, by which payments, and what is
//! still due, with "Pay now" when the business takes payments online.
//! Anything else, another company's document included, is not found.

use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use maud::{Markup, html};
use portal_domain::{Document, DocumentId, DocumentKind, TimeZone};

use super::card_entry::online;
use super::error::PageError;
use super::home::bar;
use super::layout::{date, local_date, page, status_badge, test_mode_banner};
use super::session::SignedIn;
use crate::extract::Browser;
use crate::state::AppState;

pub(crate) async fn document(
    State(state): State<AppState>,
    SignedIn(ctx): SignedIn,
    Browser(info): Browser,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    let id = id.parse::<DocumentId>().map_err(|_| PageError::NotFound)?;
    let view = state
        .services
        .views
        .portal_document(&ctx, id, &info)
        .await?;
    let doc = &view.document;
    let invoice = doc.kind() == DocumentKind::Invoice;
    let online = online(&state, &ctx);
    let payable = invoice && doc.is_outstanding() && doc.amount_open().is_positive();
    let title = format!("{} {}", doc.kind().label(), doc.number());
    let body = html! {
        a.back href="/portal" { "← All invoices and documents" }
        h1 { (title) " " (status_badge(doc.status(), doc.is_overdue(view.today))) }
        @if online == Some(true) {
            (test_mode_banner())
        }
        dl.meta {
            div { dt { "From" } dd { (ctx.account.name) } }
            div { dt { "Billed to" } dd { (ctx.client.name) } }
            div { dt { "Issued" } dd { (date(doc.issue_date())) } }
            @if let Some(due) = doc.due_date() {
                div {
                    dt { @if invoice { "Due" } @else { "Valid until" } }
                    dd { (date(due)) }
                }
            }
            @if invoice {
                @if doc.amount_paid().is_positive() {
                    div { dt { "Amount paid" } dd { (doc.amount_paid()) } }
                }
                div { dt { "Amount due" } dd { (doc.amount_due()) } }
            }
        }
        @if payable && online.is_some() {
            p.pay-now {
                form method="post" action="/portal/pay" {
                    input type="hidden" name="invoice" value=(doc.id());
                    button #pay-now type="submit" { "Pay now" }
                }
            }
        }
        p.download {
            a #download-pdf href=(format!("/portal/documents/{}/pdf", doc.id())) download { "Download PDF" }
        }
        @if let Some(text) = doc.title() {
            p.note { (text) }
        }
        @if !doc.lines().is_empty() {
            (lines_table(doc))
        }
        @if invoice {
            (payments(doc, ctx.account.settings.time_zone))
        }
        @if doc.is_outstanding() && online.is_none() {
            p.muted {
                "To pay this invoice, use the payment instructions from " (ctx.account.name)
                " or reply to the email it came with."
            }
        } @else if doc.is_outstanding() && !payable {
            p.muted #payment-in-progress {
                "A payment of this invoice is being processed. It shows here once it clears."
            }
        }
    };
    Ok(page(&title, Some(bar(&ctx)), body).into_response())
}

fn lines_table(doc: &Document) -> Markup {
    html! {
        div.table-wrap { table {
            thead { tr {
                th { "Description" } th.num { "Quantity" } th.num.hide-sm { "Unit price" } th.num { "Amount" }
            } }
            tbody {
                @for line in doc.lines() {
                    tr {
                        td.note { (line.description()) }
                        td.num { (line.quantity()) }
                        td.num.hide-sm { (line.unit_price()) }
                        td.num { (line.amount()) }
                    }
                }
            }
            tfoot { tr {
                td colspan="2" { "Total" }
                td.hide-sm {}
                td.num { (doc.total()) }
            } }
        } }
    }
}

/// The payments applied to an invoice: when (in the account's zone), how,
/// and how much, less what was refunded of each.
fn payments(doc: &Document, zone: TimeZone) -> Markup {
    let applied = doc
        .ledger()
        .applied_payments(doc.currency())
        .unwrap_or_default();
    if applied.is_empty() {
        return html! {};
    }
    html! {
        h2 { "Payments" }
        div.table-wrap { table {
            thead { tr {
                th { "Date" } th { "Method" } th.hide-sm { "Reference" } th.num { "Amount" }
            } }
            tbody {
                @for payment in &applied {
                    tr {
                        td { (local_date(zone, payment.received_at)) }
                        td { (payment.method) }
                        td.hide-sm { (payment.reference.as_ref().map(ToString::to_string).unwrap_or_default()) }
                        td.num {
                            (payment.applied)
                            @if payment.refunded.is_positive() {
                                br;
                                span.muted { (payment.refunded) " refunded" }
                            }
                        }
                    }
                }
            }
            tfoot {
                tr {
                    td colspan="2" { "Amount paid" }
                    td.hide-sm {}
                    td.num { (doc.amount_paid()) }
                }
                tr {
                    td colspan="2" { "Amount due" }
                    td.hide-sm {}
                    td.num { (doc.amount_due()) }
                }
            }
        } }
    }
}
