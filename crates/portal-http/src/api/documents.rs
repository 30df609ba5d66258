//! Invoices, estimates and contracts: the same five operations for each
//! kind (list, create, read, send, void), each kind under its own path with
//! its own request and answer types. Sending queues the email in the
//! outbox and answers at once.

use axum::Json;
use axum::http::StatusCode;
use portal_domain::service::DocumentError;
use portal_domain::{Account, ClientId, ContactId, Document, DocumentId, DocumentKind};
use utoipa::ToSchema;

use super::dto::document_answers::Sent;
use super::dto::documents::{ClientListQuery, SendDocument};
use super::dto::{Paged, page, query_id, time};
use super::schema::id;
use crate::error::ApiError;
use crate::extract::path_id;
use crate::state::AppState;

/// "No invoice with this id", rather than "no document".
fn not_found_as(kind: DocumentKind, err: DocumentError) -> ApiError {
    match err {
        DocumentError::NotFound => ApiError::not_found(kind.as_str()),
        other => other.into(),
    }
}

async fn list<T: ToSchema + for<'a> From<&'a Document>>(
    kind: DocumentKind,
    state: AppState,
    account: Account,
    query: ClientListQuery,
) -> Result<Json<Paged<T>>, ApiError> {
    let client = query_id::<ClientId>("client_id", query.client_id.as_deref())?;
    let request = page(query.limit, query.cursor.as_deref())?;
    let documents = state
        .services
        .documents
        .documents(&account, kind, client, request)
        .await?;
    Ok(Json(Paged::of(documents, |d| T::from(&d))))
}

async fn create<T: for<'a> From<&'a Document>>(
    state: AppState,
    account: Account,
    input: Result<portal_domain::DocumentInput, portal_domain::ValidationError>,
) -> Result<(StatusCode, Json<T>), ApiError> {
    let document = state
        .services
        .documents
        .create_document(&account, input?)
        .await?;
    Ok((StatusCode::CREATED, Json(T::from(&document))))
}

async fn show<T: for<'a> From<&'a Document>>(
    kind: DocumentKind,
    state: AppState,
    account: Account,
    document: String,
) -> Result<Json<T>, ApiError> {
    let id = path_id::<DocumentId>(&document, kind.as_str())?;
    let document = state
        .services
        .documents
        .document(&account, kind, id)
        .await
        .map_err(|e| not_found_as(kind, e))?;
    Ok(Json(T::from(&document)))
}

async fn send<T: ToSchema + for<'a> From<&'a Document>>(
    kind: DocumentKind,
    state: AppState,
    account: Account,
    document: String,
    body: SendDocument,
) -> Result<Json<Sent<T>>, ApiError> {
    let document = path_id::<DocumentId>(&document, kind.as_str())?;
    let contact: ContactId = id("contact_id", &body.contact_id)?;
    let sent = state
        .services
        .documents
        .send_document(&account, kind, document, contact)
        .await
        .map_err(|e| not_found_as(kind, e))?;
    let included = sent.link_expires_at.is_some();
    Ok(Json(Sent {
        document: T::from(&sent.document),
        sent_to: sent.sent_to.to_string(),
        delivery: "queued",
        outbox_item_id: sent.queued.to_string(),
        portal_link_included: included,
        link_expires_at: sent.link_expires_at.map(time),
        notice: (!included).then(|| without_portal(kind, &account)),
    }))
}

/// What the email of a document sent to a client without a portal
/// carries instead of a link.
fn without_portal(kind: DocumentKind, account: &Account) -> &'static str {
    let instructions = account.settings.payment_instructions.is_some();
    match kind {
        DocumentKind::Invoice if instructions => {
            "Portal access is off for this client, so the email carries no portal link: the invoice goes as a PDF attachment, with the account's payment instructions."
        }
        DocumentKind::Invoice => {
            "Portal access is off for this client, so the email carries no portal link: the invoice goes as a PDF attachment, and the email asks the client to reply for payment instructions (set the account's payment_instructions to include them)."
        }
        DocumentKind::Estimate => {
            "Portal access is off for this client, so the email carries no portal link: the estimate goes as a PDF attachment."
        }
        DocumentKind::Contract => {
            "Portal access is off for this client, so the email carries no portal link; it asks the client to reply with any questions."
        }
    }
}

async fn void<T: for<'a> From<&'a Document>>(
    kind: DocumentKind,
    state: AppState,
    account: Account,
    document: String,
) -> Result<Json<T>, ApiError> {
    let id = path_id::<DocumentId>(&document, kind.as_str())?;
    let document = state
        .services
        .documents
        .void_document(&account, kind, id)
        .await
        .map_err(|e| not_found_as(kind, e))?;
    Ok(Json(T::from(&document)))
}

/// The handlers of one kind, documented under its own paths.
macro_rules! kind_api {
    (
        $module:ident, $kind:ident, $tag:tt, $create_type:ident, $out:ident,
        paths: $base:tt, $one:tt, $send_path:tt, $void_path:tt,
        operations: $list_op:tt, $create_op:tt, $get_op:tt, $send_op:tt, $void_op:tt $(,)?
    ) => {
        pub(crate) mod $module {
            use axum::Json;
            use axum::extract::{Path, State};
            use axum::http::StatusCode;
            use portal_domain::DocumentKind;

            use crate::api::dto::Paged;
            use crate::api::dto::document_answers::{$out, Sent};
            use crate::api::dto::documents::{$create_type, ClientListQuery, SendDocument};
            use crate::error::{ApiError, ErrorBody};
            use crate::extract::{ApiJson, ApiQuery, Operator};
            use crate::state::AppState;

            const KIND: DocumentKind = DocumentKind::$kind;

            /// The account's documents of this kind (or one client's),
            /// newest first.
            #[utoipa::path(
                get,
                path = $base,
                tag = $tag,
                operation_id = $list_op,
                params(ClientListQuery),
                responses((status = 200, description = "A page of documents.", body = Paged<$out>))
            )]
            pub(crate) async fn list(
                State(state): State<AppState>,
                Operator(account): Operator,
                ApiQuery(query): ApiQuery<ClientListQuery>,
            ) -> Result<Json<Paged<$out>>, ApiError> {
                super::list(KIND, state, account, query).await
            }

            /// Creates a draft. Nothing reaches the client until it is
            /// sent.
            #[utoipa::path(
                post,
                path = $base,
                tag = $tag,
                operation_id = $create_op,
                request_body = $create_type,
                responses(
                    (status = 201, description = "The draft.", body = $out, links(
                        ("client" = (operation_id = "get_client", parameters(("id" = "$response.body#/client_id")), description = "The document's client.")),
                    )),
                    (status = 409, description = "Another document of this kind has this number (`duplicate_number`).", body = ErrorBody),
                )
            )]
            pub(crate) async fn create(
                State(state): State<AppState>,
                Operator(account): Operator,
                ApiJson(body): ApiJson<$create_type>,
            ) -> Result<(StatusCode, Json<$out>), ApiError> {
                super::create(state, account, body.input()).await
            }

            /// One document.
            #[utoipa::path(
                get,
                path = $one,
                tag = $tag,
                operation_id = $get_op,
                params(("id" = String, Path, format = "uuid", description = "The document's id.")),
                responses((status = 200, description = "The document.", body = $out, links(
                    ("client" = (operation_id = "get_client", parameters(("id" = "$response.body#/client_id")), description = "The document's client.")),
                )))
            )]
            pub(crate) async fn show(
                State(state): State<AppState>,
                Operator(account): Operator,
                Path(document): Path<String>,
            ) -> Result<Json<$out>, ApiError> {
                super::show(KIND, state, account, document).await
            }

            /// Emails the document to one of its client's contacts, with a
            /// portal link when the client's portal is on; otherwise with the
            /// document as a PDF attachment (invoices and estimates) and, for
            /// an invoice, the account's payment instructions. A draft becomes
            /// sent; sending again sends the email again. The email is
            /// queued in the outbox, which delivers and retries it.
            #[utoipa::path(
                post,
                path = $send_path,
                tag = $tag,
                operation_id = $send_op,
                params(("id" = String, Path, format = "uuid", description = "The document's id.")),
                request_body = SendDocument,
                responses(
                    (status = 200, description = "The document as sent, and the queued delivery.", body = Sent<$out>, links(
                        ("outbox_item" = (operation_id = "get_outbox_item", parameters(("id" = "$response.body#/outbox_item_id")), description = "The email's delivery.")),
                    )),
                    (status = 409, description = "The document is void (`invalid_status`), the client inactive (`client_inactive`) or the contact deactivated (`contact_inactive`).", body = ErrorBody),
                    (status = 422, description = "The contact belongs to another client (`contact_not_of_client`).", body = ErrorBody),
                    (status = 500, description = "The client has no portal, so the email carries the document as a PDF, and it could not be rendered (`render_failed`); nothing was sent.", body = ErrorBody),
                )
            )]
            pub(crate) async fn send(
                State(state): State<AppState>,
                Operator(account): Operator,
                Path(document): Path<String>,
                ApiJson(body): ApiJson<SendDocument>,
            ) -> Result<Json<Sent<$out>>, ApiError> {
                super::send(KIND, state, account, document, body).await
            }

            /// Voids the document. A sent one stays visible to the client,
            /// marked void.
            #[utoipa::path(
                post,
                path = $void_path,
                tag = $tag,
                operation_id = $void_op,
                params(("id" = String, Path, format = "uuid", description = "The document's id.")),
                responses(
                    (status = 200, description = "The document, void.", body = $out),
                    (status = 409, description = "It cannot be voided: already void, or an invoice with payments (`invalid_status`).", body = ErrorBody),
                )
            )]
            pub(crate) async fn void(
                State(state): State<AppState>,
                Operator(account): Operator,
                Path(document): Path<String>,
            ) -> Result<Json<$out>, ApiError> {
                super::void(KIND, state, account, document).await
            }
        }
    };
}

kind_api!(
    invoices, Invoice, "invoices", CreateInvoice, InvoiceOut,
    paths: "/api/crm/invoices", "/api/crm/invoices/{id}", "/api/crm/invoices/{id}/send", "/api/crm/invoices/{id}/void",
    operations: "list_invoices", "create_invoice", "get_invoice", "send_invoice", "void_invoice",
);
kind_api!(
    estimates, Estimate, "estimates", CreateEstimate, QuoteOut,
    paths: "/api/crm/estimates", "/api/crm/estimates/{id}", "/api/crm/estimates/{id}/send", "/api/crm/estimates/{id}/void",
    operations: "list_estimates", "create_estimate", "get_estimate", "send_estimate", "void_estimate",
);
kind_api!(
    contracts, Contract, "contracts", CreateContract, QuoteOut,
    paths: "/api/crm/contracts", "/api/crm/contracts/{id}", "/api/crm/contracts/{id}/send", "/api/crm/contracts/{id}/void",
    operations: "list_contracts", "create_contract", "get_contract", "send_contract", "void_contract",
);
