//! The renderer port: lays a [`Sheet`] out as a PDF.

use async_trait::async_trait;

use crate::model::Sheet;

/// A rendered PDF's bytes.
pub type Pdf = Vec<u8>;

/// Why a sheet could not be rendered.
#[derive(Debug, thiserror::Error)]
pub enum RenderError {
    /// The engine refused the sheet or failed laying it out; retrying the
    /// same sheet fails the same way.
    #[error("the document could not be rendered: {0}")]
    Failed(String),
    /// The renderer could not run now (shutting down).
    #[error("the renderer is not available")]
    Unavailable,
}

/// Renders sheets as PDF/A documents. The same sheet gives the same
/// bytes. Rendering is heavy: implementations bound how many run at once
/// and keep them off the caller's async runtime.
#[async_trait]
pub trait Renderer: Send + Sync {
    /// # Errors
    /// See [`RenderError`].
    async fn render(&self, sheet: Sheet) -> Result<Pdf, RenderError>;
}
