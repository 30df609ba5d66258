//! Downloads from the portal: a document's PDF, a payment's receipt, and
//! the Statements page with its PDF and CSV statements. Each is scoped to
//! the session's company (anything else is not found) and each download
//! leaves an audit event naming the contact.

use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use maud::html;
use portal_domain::ports::SessionContext;
use portal_domain::service::{DownloadError, Requester, StatementFormat, statement_filename};
use portal_domain::{DocumentId, PaymentId, StatementRange, ValidationError};

use super::error::PageError;
use super::home::bar;
use super::layout::page;
use super::session::SignedIn;
use crate::attachment::{attachment, pdf};
use crate::extract::Browser;
use crate::state::AppState;

impl From<DownloadError> for PageError {
    fn from(err: DownloadError) -> Self {
        match err {
            DownloadError::NotFound => Self::NotFound,
            other => Self::Internal(Box::new(other)),
        }
    }
}

/// `GET /portal/documents/{id}/pdf`.
pub(crate) async fn document_pdf(
    State(state): State<AppState>,
    SignedIn(ctx): SignedIn,
    Browser(info): Browser,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    let id = id.parse::<DocumentId>().map_err(|_| PageError::NotFound)?;
    let rendered = state
        .services
        .downloads
        .document_pdf(
            Requester::Portal {
                ctx: &ctx,
                info: &info,
            },
            id,
        )
        .await?;
    Ok(pdf(rendered))
}

/// `GET /portal/payments/{id}/receipt.pdf`.
pub(crate) async fn receipt_pdf(
    State(state): State<AppState>,
    SignedIn(ctx): SignedIn,
    Browser(info): Browser,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    let id = id.parse::<PaymentId>().map_err(|_| PageError::NotFound)?;
    let rendered = state
        .services
        .downloads
        .receipt_pdf(
            Requester::Portal {
                ctx: &ctx,
                info: &info,
            },
            id,
        )
        .await?;
    Ok(pdf(rendered))
}

/// What the statement form sent, as typed.
#[derive(Debug, Default)]
struct StatementQuery {
    from: Option<String>,
    to: Option<String>,
    format: Option<String>,
}

impl StatementQuery {
    fn parse(query: Option<&str>) -> Self {
        let mut out = Self::default();
        for (key, value) in form_urlencoded::parse(query.unwrap_or_default().as_bytes()) {
            let slot = match key.as_ref() {
                "from" => &mut out.from,
                "to" => &mut out.to,
                "format" => &mut out.format,
                _ => continue,
            };
            slot.get_or_insert_with(|| value.chars().take(32).collect());
        }
        out
    }
}

/// The range the form asks for: year to date where a date is left out.
fn range_of(
    ctx: &SessionContext,
    state: &AppState,
    query: &StatementQuery,
) -> Result<StatementRange, ValidationError> {
    let today = ctx.account.settings.time_zone.today(state.services.now());
    let default = StatementRange::year_to_date(today);
    let from = query
        .from
        .clone()
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| default.from().to_string());
    let to = query
        .to
        .clone()
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| default.to().to_string());
    StatementRange::parse(&from, &to)
}

/// `GET /portal/statements`: the form.
pub(crate) async fn statements_page(
    State(state): State<AppState>,
    SignedIn(ctx): SignedIn,
) -> Result<Response, PageError> {
    let today = ctx.account.settings.time_zone.today(state.services.now());
    let range = StatementRange::year_to_date(today);
    Ok(statements_form(
        &ctx,
        &range.from().to_string(),
        &range.to().to_string(),
        StatementFormat::Pdf,
        None,
    )
    .into_response())
}

fn statements_form(
    ctx: &SessionContext,
    from: &str,
    to: &str,
    format: StatementFormat,
    error: Option<&str>,
) -> maud::Markup {
    let body = html! {
        h1 { "Statements" }
        p.muted {
            "A statement lists every invoice, payment and refund between two dates, with the balance before, after and at each step, and what is still due by age. "
            "Dates are in " (ctx.account.settings.time_zone) " time."
        }
        form.statement method="get" action="/portal/statement" {
            div.range {
                div {
                    label for="from" { "From" }
                    input #from type="date" name="from" value=(from) required
                        aria-invalid=[error.map(|_| "true")];
                }
                div {
                    label for="to" { "To" }
                    input #to type="date" name="to" value=(to) required
                        aria-invalid=[error.map(|_| "true")];
                }
            }
            fieldset {
                legend { "Format" }
                label.choice {
                    input type="radio" name="format" value="pdf" checked[format == StatementFormat::Pdf];
                    "PDF, to read and print"
                }
                label.choice {
                    input type="radio" name="format" value="csv" checked[format == StatementFormat::Csv];
                    "CSV, for a spreadsheet or accounting software"
                }
            }
            @if let Some(error) = error {
                p.error #statement-error role="alert" { (error) }
            }
            button #download-statement type="submit" { "Download statement" }
        }
    };
    page(
        &format!("Statements · {}", ctx.account.name),
        Some(bar(ctx)),
        body,
    )
}

/// `GET /portal/statement?from=…&to=…&format=pdf|csv`. A bad range or
/// format answers 400 with the form and what to fix.
pub(crate) async fn statement(
    State(state): State<AppState>,
    SignedIn(ctx): SignedIn,
    Browser(info): Browser,
    RawQuery(query): RawQuery,
) -> Result<Response, PageError> {
    let query = StatementQuery::parse(query.as_deref());
    let format = match query.format.as_deref() {
        None | Some("") => Some(StatementFormat::Pdf),
        Some(text) => StatementFormat::parse(text).filter(|f| *f != StatementFormat::Json),
    };
    let range = range_of(&ctx, &state, &query);
    let (range, format) = match (range, format) {
        (Ok(range), Some(format)) => (range, format),
        (range, format) => {
            let message = match (range, format) {
                (Err(e), _) => statement_message(&e),
                _ => "Choose PDF or CSV.".to_owned(),
            };
            let form = statements_form(
                &ctx,
                query.from.as_deref().unwrap_or_default(),
                query.to.as_deref().unwrap_or_default(),
                format.unwrap_or(StatementFormat::Pdf),
                Some(&message),
            );
            return Ok((StatusCode::BAD_REQUEST, form).into_response());
        }
    };
    let by = Requester::Portal {
        ctx: &ctx,
        info: &info,
    };
    let downloads = &state.services.downloads;
    match format {
        StatementFormat::Csv => {
            let stream = downloads
                .statement(by, ctx.client.id, range, StatementFormat::Csv)
                .await?;
            let filename = statement_filename(&ctx.client, range, StatementFormat::Csv);
            Ok(attachment(
                "text/csv; charset=utf-8",
                &filename,
                crate::statement_csv::body(stream),
            ))
        }
        _ => Ok(pdf(downloads
            .statement_pdf(by, ctx.client.id, range)
            .await?)),
    }
}

/// What the form says about a range it cannot use.
fn statement_message(err: &ValidationError) -> String {
    let which = if err.field == "from" { "start" } else { "end" };
    if err.message.contains("YYYY-MM-DD") {
        format!("Enter the {which} date as a date, YYYY-MM-DD.")
    } else if err.message.contains("after to") {
        "The start date must be on or before the end date.".to_owned()
    } else if err.message.contains("years after") {
        format!(
            "A statement covers less than {} years: choose a later start date or an earlier end date.",
            portal_domain::MAX_STATEMENT_YEARS
        )
    } else {
        format!("The {which} date {}.", err.message)
    }
}
