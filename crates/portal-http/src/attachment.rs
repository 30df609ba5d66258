//! Files the portal and the API hand out (PDFs, CSV statements, logos
//! aside): always as attachments to save, never shown inline, sniffed or
//! kept in a cache.

use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use portal_domain::service::RenderedPdf;

/// `body` as a file named `filename`.
pub(crate) fn attachment(
    content_type: &'static str,
    filename: &str,
    body: impl IntoResponse,
) -> Response {
    let mut response = body.into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    // File names are made of letters, digits, `-`, `_` and `.` only.
    let disposition = HeaderValue::from_str(&format!("attachment; filename=\"{filename}\""))
        .unwrap_or_else(|_| HeaderValue::from_static("attachment"));
    headers.insert(header::CONTENT_DISPOSITION, disposition);
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    response
}

/// A rendered PDF as an answer.
pub(crate) fn pdf(rendered: RenderedPdf) -> Response {
    attachment("application/pdf", &rendered.filename, rendered.bytes)
}
