//! The signed-in portal: the overview of what the company owes and every
//! document sent to it, one document's detail, and signing out.

use axum::extract::{Path, State};
use axum::http::header;
use axum::response::{IntoResponse, Redirect, Response};
use maud::{Markup, html};
use portal_domain::ports::SessionContext;
use portal_domain::service::ViewError;
use portal_domain::{Document, DocumentId, DocumentKind, Money};

use super::layout::{amounts, card, date, page, signed_in_bar, status_badge};
use super::session::{SignedIn, not_found, server_error, session_cookie};
use crate::extract::Browser;
use crate::state::AppState;

fn bar(ctx: &SessionContext) -> Markup {
    signed_in_bar(
        ctx.account.name.as_str(),
        ctx.contact.name.as_str(),
        ctx.client.name.as_str(),
    )
}

/// `GET /portal`: outstanding invoices first, then everything else.
pub(crate) async fn home(
    State(state): State<AppState>,
    SignedIn(ctx): SignedIn,
    Browser(info): Browser,
) -> Response {
    let home = match state.portal.portal_home(&ctx, &info).await {
        Ok(home) => home,
        Err(err) => return server_error(&err),
    };
    let today = state.portal.now().date_naive();
    let body = html! {
        h1 { (ctx.client.name) }
        p.muted { "Invoices and documents from " (ctx.account.name) "." }
        h2 { "Outstanding invoices" }
        @if home.outstanding.is_empty() {
            p.empty { "Nothing to pay right now." }
        } @else {
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
                    th { "Invoice" } th.hide-sm { "Issued" } th { "Due" } th { "Status" } th.num { "Amount due" }
                } }
                tbody {
                    @for doc in &home.outstanding {
                        tr {
                            td { a href=(format!("/portal/documents/{}", doc.id)) { (doc.number) } }
                            td.hide-sm { (date(doc.issue_date)) }
                            td { (doc.due_date.map(date).unwrap_or_default()) }
                            td { (status_badge(doc, today)) }
                            td.num { (doc.amount_due()) }
                        }
                    }
                }
            } }
        }
        h2 { "Documents" }
        @if home.documents.is_empty() {
            p.empty { "No other documents yet." }
        } @else {
            div.table-wrap { table {
                thead { tr {
                    th { "Document" } th.hide-sm { "Type" } th.hide-sm { "Date" } th { "Status" } th.num { "Total" }
                } }
                tbody {
                    @for doc in &home.documents {
                        tr {
                            td { a href=(format!("/portal/documents/{}", doc.id)) { (doc.number) } }
                            td.hide-sm { (doc.kind.label()) }
                            td.hide-sm { (date(doc.issue_date)) }
                            td { (status_badge(doc, today)) }
                            td.num { (total_cell(doc)) }
                        }
                    }
                }
            } }
        }
    };
    page(
        &format!("{} · Billing portal", ctx.account.name),
        Some(bar(&ctx)),
        body,
    )
    .into_response()
}

fn total_cell(doc: &Document) -> String {
    if doc.kind == DocumentKind::Contract && doc.lines.is_empty() {
        String::new()
    } else {
        doc.total_money().to_string()
    }
}

/// `GET /portal/documents/{id}`: one document of the session's company.
/// Anything else, including another company's document, is not found.
pub(crate) async fn document(
    State(state): State<AppState>,
    SignedIn(ctx): SignedIn,
    Browser(info): Browser,
    Path(id): Path<String>,
) -> Response {
    let Ok(id) = id.parse::<DocumentId>() else {
        return not_found();
    };
    let doc = match state.portal.portal_document(&ctx, id, &info).await {
        Ok(doc) => doc,
        Err(ViewError::NotFound) => return not_found(),
        Err(ViewError::Store(err)) => return server_error(&err),
    };
    let today = state.portal.now().date_naive();
    let title = format!("{} {}", doc.kind.label(), doc.number);
    let body = html! {
        a.back href="/portal" { "← All invoices and documents" }
        h1 { (title) " " (status_badge(&doc, today)) }
        dl.meta {
            div { dt { "From" } dd { (ctx.account.name) } }
            div { dt { "Billed to" } dd { (ctx.client.name) } }
            div { dt { "Issued" } dd { (date(doc.issue_date)) } }
            @if let Some(due) = doc.due_date {
                div {
                    dt { @if doc.kind == DocumentKind::Invoice { "Due" } @else { "Valid until" } }
                    dd { (date(due)) }
                }
            }
            @if doc.kind == DocumentKind::Invoice {
                div { dt { "Amount due" } dd { (doc.amount_due()) } }
            }
        }
        @if let Some(text) = &doc.title {
            p.note { (text) }
        }
        @if !doc.lines.is_empty() {
            (lines_table(&doc))
        }
        @if doc.is_outstanding() {
            p.muted {
                "To pay this invoice, use the payment instructions from " (ctx.account.name)
                " or reply to the email it came with."
            }
        }
    };
    page(&title, Some(bar(&ctx)), body).into_response()
}

fn lines_table(doc: &Document) -> Markup {
    html! {
        div.table-wrap { table {
            thead { tr {
                th { "Description" } th.num { "Quantity" } th.num.hide-sm { "Unit price" } th.num { "Amount" }
            } }
            tbody {
                @for line in &doc.lines {
                    tr {
                        td.note { (line.description) }
                        td.num { (line.quantity) }
                        td.num.hide-sm { (Money::new(line.unit_amount, doc.currency)) }
                        td.num { (Money::new(line.amount, doc.currency)) }
                    }
                }
            }
            tfoot { tr {
                td colspan="2" { "Total" }
                td.hide-sm {}
                td.num { (doc.total_money()) }
            } }
        } }
    }
}

/// `POST /portal/logout`: ends the session on the server and drops the
/// cookie.
pub(crate) async fn logout(
    State(state): State<AppState>,
    SignedIn(ctx): SignedIn,
    Browser(info): Browser,
) -> Response {
    if let Err(err) = state.portal.sign_out(&ctx, &info).await {
        return server_error(&err);
    }
    let mut response = Redirect::to("/portal/signed-out").into_response();
    response
        .headers_mut()
        .insert(header::SET_COOKIE, session_cookie(&state, "", 0));
    response
}

/// `GET /portal/signed-out`.
pub(crate) async fn signed_out() -> Response {
    let body = html! {
        h1 { "You have signed out" }
        p { "To come back, open the link in your latest invoice or portal email." }
    };
    card("Signed out", body).into_response()
}
