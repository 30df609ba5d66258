#![doc = include_str!("../README.md")]

mod compile;
mod fonts;
mod inputs;
mod ledger;
mod world;

use std::sync::Arc;

use async_trait::async_trait;
use portal_domain::model::Sheet;
use portal_domain::ports::{Pdf, RenderError, Renderer};
use tokio::sync::Semaphore;

/// Renders sheets as PDF/A-2b with typst, in this process. Cheap to clone;
/// clones share the concurrency limit.
#[derive(Debug, Clone)]
pub struct TypstRenderer {
    permits: Arc<Semaphore>,
}

impl TypstRenderer {
    /// A renderer that runs at most `max_concurrent` renders at once (at
    /// least one); the rest wait their turn.
    pub fn new(max_concurrent: usize) -> Self {
        Self {
            permits: Arc::new(Semaphore::new(max_concurrent.max(1))),
        }
    }

    /// Renders `sheet` on the calling thread, outside the concurrency
    /// limit: for benchmarks and tools, not for an async runtime's threads.
    ///
    /// # Errors
    /// [`RenderError::Failed`] when typst refuses the sheet.
    pub fn render_blocking(&self, sheet: &Sheet) -> Result<Vec<u8>, RenderError> {
        compile::render(sheet)
    }

    /// Refuses renders from now on: waiting and later calls get
    /// [`RenderError::Unavailable`]; renders under way finish.
    pub fn close(&self) {
        self.permits.close();
    }
}

#[async_trait]
impl Renderer for TypstRenderer {
    async fn render(&self, sheet: Sheet) -> Result<Pdf, RenderError> {
        let permit = Arc::clone(&self.permits)
            .acquire_owned()
            .await
            .map_err(|_| RenderError::Unavailable)?;
        let task = tokio::task::spawn_blocking(move || {
            let pdf = compile::render(&sheet);
            drop(permit);
            pdf
        });
        match task.await {
            Ok(pdf) => pdf,
            Err(e) if e.is_cancelled() => Err(RenderError::Unavailable),
            Err(_) => Err(RenderError::Failed("the renderer panicked".to_owned())),
        }
    }
}
