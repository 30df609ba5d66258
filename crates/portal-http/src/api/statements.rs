//! `GET /api/crm/clients/{id}/statement`: a client's statement of account
//! for any range of days, as JSON, as a CSV streamed row by row, or as a
//! PDF.

use axum::Json;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use portal_domain::service::{DownloadError, Requester, StatementFormat, statement_filename};
use portal_domain::{Account, ClientId, StatementError, StatementRange, ValidationError};

use super::dto::statements::{StatementOut, StatementQuery};
use super::schema::Binary;
use crate::attachment::{attachment, pdf};
use crate::error::{ApiError, ErrorBody, download_error};
use crate::extract::{ApiQuery, Operator, path_id};
use crate::state::AppState;

/// A query value the statement cannot use: 400 `invalid_query`, naming
/// it.
fn refused(err: ValidationError) -> ApiError {
    let field = err.field.clone();
    ApiError::invalid_query(format!("The query string does not fit: {err}.")).at(field)
}

/// The days asked for: the start of this year and today, in the
/// account's time zone, stand in for a day left out.
fn range(
    state: &AppState,
    account: &Account,
    query: &StatementQuery,
) -> Result<StatementRange, ApiError> {
    let today = account.settings.time_zone.today(state.services.now());
    let default = StatementRange::year_to_date(today);
    let from = query
        .from
        .clone()
        .unwrap_or_else(|| default.from().to_string());
    let to = query.to.clone().unwrap_or_else(|| default.to().to_string());
    StatementRange::parse(&from, &to).map_err(refused)
}

fn format(query: &StatementQuery) -> Result<StatementFormat, ApiError> {
    match query.format.as_deref() {
        None => Ok(StatementFormat::Json),
        Some(text) => StatementFormat::parse(text).ok_or_else(|| {
            refused(ValidationError::new(
                "format",
                "must be one of pdf, csv and json",
            ))
        }),
    }
}

/// The client's statement from `from` to `to`, both inclusive, in the
/// account's time zone: per currency, the opening balance, every invoice
/// issued (drafts and void ones never), payment received and refund made
/// in date order with the running balance, the closing balance, and the
/// aging of what is still due at the end.
#[utoipa::path(
    get,
    path = "/api/crm/clients/{id}/statement",
    tag = "clients",
    operation_id = "get_client_statement",
    params(
        ("id" = String, Path, format = "uuid", description = "The client's id."),
        StatementQuery,
    ),
    responses(
        (status = 200, description = "The statement: as data (`json`), as a CSV with one header row `date,type,reference,description,currency,debit,credit,balance` and one row per entry, amounts as plain decimals and text cells that start like a formula prefixed with `'` (`csv`), or as a PDF (`pdf`). CSV and PDF come as attachments.", content(
            (StatementOut = "application/json"),
            (Binary = "text/csv"),
            (Binary = "application/pdf"),
        ), headers(
            ("Content-Disposition" = String, description = "For CSV and PDF: `attachment; filename=\"statement-<client>-<from>-<to>.<format>\"`."),
        )),
        (status = 400, description = "A range or format the statement cannot use (`invalid_query`), `field` naming `from`, `to` or `format`: a date that is no real day written YYYY-MM-DD, `from` after `to`, `to` 10 years or more after `from`, or a format other than `json`, `csv` and `pdf`.", body = ErrorBody),
        (status = 500, description = "The PDF could not be rendered (`render_failed`).", body = ErrorBody),
    )
)]
pub(crate) async fn statement(
    State(state): State<AppState>,
    Operator(account): Operator,
    Path(client): Path<String>,
    ApiQuery(query): ApiQuery<StatementQuery>,
) -> Result<Response, ApiError> {
    let client = path_id::<ClientId>(&client, "client")?;
    // What the path names comes first: an unknown client is not found,
    // whatever the query asks.
    state.services.crm.client(&account, client).await?;
    let format = format(&query)?;
    let range = range(&state, &account, &query)?;
    let by = Requester::Operator(&account);
    let downloads = &state.services.downloads;
    let failed = |e: DownloadError| download_error("client", e);
    match format {
        StatementFormat::Pdf => Ok(pdf(downloads
            .statement_pdf(by, client, range)
            .await
            .map_err(failed)?)),
        StatementFormat::Csv => {
            let stream = downloads
                .statement(by, client, range, format)
                .await
                .map_err(failed)?;
            let filename = statement_filename(stream.client(), range, format);
            Ok(attachment(
                "text/csv; charset=utf-8",
                &filename,
                crate::statement_csv::body(stream),
            ))
        }
        StatementFormat::Json => {
            let statement = downloads
                .statement(by, client, range, format)
                .await
                .map_err(failed)?
                .collect()
                .await
                .map_err(failed)?;
            let out = StatementOut::new(&statement)
                .map_err(|e| failed(DownloadError::Statement(StatementError::from(e))))?;
            Ok(Json(out).into_response())
        }
    }
}
