//! Invoices, estimates and contracts: one set of handlers, parameterised by
//! the document kind each route serves.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use portal_domain::{
    Account, ClientId, ContactId, Currency, Description, DocumentId, DocumentInput, DocumentKind,
    DocumentNumber, LineItem, ValidationError,
};
use serde::Serialize;

use super::clients::path_id;
use super::dto::{
    self, ClientFilter, CreateDocument, DocumentOut, List, SendDocument, id, optional_id, time,
};
use crate::error::ApiError;
use crate::extract::{ApiJson, ApiQuery, Operator};
use crate::state::AppState;

/// The routes of one document kind under `/api/crm/{kind}s`.
pub(crate) fn routes(kind: DocumentKind) -> Router<AppState> {
    let base = format!("/api/crm/{}s", kind.as_str());
    let router = Router::new()
        .route(
            &base,
            get(move |s, o, q| list(kind, s, o, q)).post(move |s, o, b| create(kind, s, o, b)),
        )
        .route(
            &format!("{base}/{{id}}"),
            get(move |s, o, p| show(kind, s, o, p)),
        )
        .route(
            &format!("{base}/{{id}}/send"),
            post(move |s, o, p, b| send(kind, s, o, p, b)),
        )
        .route(
            &format!("{base}/{{id}}/void"),
            post(move |s, o, p| void(kind, s, o, p)),
        );
    if kind == DocumentKind::Invoice {
        router.route(&format!("{base}/{{id}}/mark-paid"), post(mark_paid))
    } else {
        router
    }
}

fn input(kind: DocumentKind, body: CreateDocument) -> Result<DocumentInput, ValidationError> {
    let client_id: ClientId = id("client_id", &body.client_id)?;
    let due_date = match (kind, body.due_date, body.valid_until) {
        (DocumentKind::Invoice, due, None) => due,
        (DocumentKind::Estimate, None, until) => until,
        (DocumentKind::Contract, None, None) => None,
        (DocumentKind::Invoice, _, Some(_)) => {
            return Err(ValidationError::new(
                "valid_until",
                "applies to estimates; invoices have a due_date",
            ));
        }
        (DocumentKind::Estimate, Some(_), _) => {
            return Err(ValidationError::new(
                "due_date",
                "applies to invoices; estimates have valid_until",
            ));
        }
        (DocumentKind::Contract, due, _) => {
            let field = if due.is_some() {
                "due_date"
            } else {
                "valid_until"
            };
            return Err(ValidationError::new(field, "does not apply to a contract"));
        }
    };
    let date_field = kind.due_field();
    let lines = body
        .lines
        .iter()
        .enumerate()
        .map(|(i, line)| {
            let at = format!("lines[{i}]");
            let description = Description::parse(&format!("{at}.description"), &line.description)?;
            let quantity = line.quantity(&format!("{at}.quantity"))?;
            LineItem::new(description, quantity, line.unit_amount).map_err(|e| e.within(&at))
        })
        .collect::<Result<Vec<_>, _>>()?;
    Ok(DocumentInput {
        kind,
        client_id,
        number: DocumentNumber::parse("number", &body.number)?,
        title: body
            .title
            .as_deref()
            .map(|t| Description::parse("title", t))
            .transpose()?,
        currency: Currency::parse("currency", &body.currency)?,
        issue_date: dto::date("issue_date", &body.issue_date)?,
        due_date: due_date.map(|d| dto::date(date_field, &d)).transpose()?,
        lines,
    })
}

async fn create(
    kind: DocumentKind,
    State(state): State<AppState>,
    Operator(account): Operator,
    ApiJson(body): ApiJson<CreateDocument>,
) -> Result<(StatusCode, Json<DocumentOut>), ApiError> {
    let input = input(kind, body)?;
    let document = state
        .portal
        .create_document(&account, input)
        .await
        .map_err(ApiError::from)?;
    Ok((StatusCode::CREATED, Json(DocumentOut::from(&document))))
}

async fn list(
    kind: DocumentKind,
    State(state): State<AppState>,
    Operator(account): Operator,
    ApiQuery(filter): ApiQuery<ClientFilter>,
) -> Result<Json<List<DocumentOut>>, ApiError> {
    let client = optional_id::<ClientId>("client_id", filter.client_id.as_deref())?;
    let documents = state.portal.documents(&account, kind, client).await?;
    Ok(Json(List {
        data: documents.iter().map(DocumentOut::from).collect(),
    }))
}

async fn show(
    kind: DocumentKind,
    State(state): State<AppState>,
    Operator(account): Operator,
    Path(document): Path<String>,
) -> Result<Json<DocumentOut>, ApiError> {
    let id = path_id::<DocumentId>(&document, kind.as_str())?;
    let document = state
        .portal
        .document(&account, kind, id)
        .await
        .map_err(|e| not_found_as(kind, e))?;
    Ok(Json(DocumentOut::from(&document)))
}

/// "No invoice with this id", rather than "no document".
fn not_found_as(kind: DocumentKind, err: portal_domain::service::DocumentError) -> ApiError {
    match err {
        portal_domain::service::DocumentError::NotFound => ApiError::not_found(kind.as_str()),
        other => other.into(),
    }
}

/// What sending answers: the document, who it went to, and whether the
/// email carried a portal link.
#[derive(Debug, Serialize)]
struct Sent {
    document: DocumentOut,
    sent_to: String,
    portal_link_included: bool,
    link_expires_at: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    notice: Option<&'static str>,
}

async fn send(
    kind: DocumentKind,
    State(state): State<AppState>,
    Operator(account): Operator,
    Path(document): Path<String>,
    ApiJson(body): ApiJson<SendDocument>,
) -> Result<Json<Sent>, ApiError> {
    let id = path_id::<DocumentId>(&document, kind.as_str())?;
    let contact: ContactId = dto::id("contact_id", &body.contact_id)?;
    let sent = state
        .portal
        .send_document(&account, kind, id, contact)
        .await
        .map_err(|e| not_found_as(kind, e))?;
    let included = sent.link_expires_at.is_some();
    Ok(Json(Sent {
        document: DocumentOut::from(&sent.document),
        sent_to: sent.sent_to.to_string(),
        portal_link_included: included,
        link_expires_at: sent.link_expires_at.map(time),
        notice: (!included).then_some(
            "Portal access is off for this client, so the email carries no portal link; it asks the client to reply for payment instructions.",
        ),
    }))
}

async fn void(
    kind: DocumentKind,
    State(state): State<AppState>,
    Operator(account): Operator,
    Path(document): Path<String>,
) -> Result<Json<DocumentOut>, ApiError> {
    change_status(&state, &account, kind, &document, Change::Void).await
}

async fn mark_paid(
    State(state): State<AppState>,
    Operator(account): Operator,
    Path(document): Path<String>,
) -> Result<Json<DocumentOut>, ApiError> {
    change_status(
        &state,
        &account,
        DocumentKind::Invoice,
        &document,
        Change::MarkPaid,
    )
    .await
}

/// The status changes an operator asks for directly (sending has its own
/// handler: it emails).
#[derive(Debug, Clone, Copy)]
enum Change {
    Void,
    MarkPaid,
}

async fn change_status(
    state: &AppState,
    account: &Account,
    kind: DocumentKind,
    document: &str,
    change: Change,
) -> Result<Json<DocumentOut>, ApiError> {
    let id = path_id::<DocumentId>(document, kind.as_str())?;
    let changed = match change {
        Change::Void => state.portal.void_document(account, kind, id).await,
        Change::MarkPaid => state.portal.mark_document_paid(account, kind, id).await,
    };
    Ok(Json(DocumentOut::from(
        &changed.map_err(|e| not_found_as(kind, e))?,
    )))
}
