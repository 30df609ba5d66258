//! A renderer for tests that check what a document says, not how it is
//! laid out.

use std::sync::atomic::{AtomicUsize, Ordering};

use async_trait::async_trait;

use crate::model::Sheet;
use crate::ports::{Pdf, RenderError, Renderer};

/// "Renders" a sheet as its debug text behind a `%PDF-echo` line, so a
/// test can read every value the sheet carries. Counts its renders; can be
/// told to fail.
#[derive(Debug, Default)]
pub struct SheetEcho {
    renders: AtomicUsize,
    failing: std::sync::atomic::AtomicBool,
}

impl SheetEcho {
    /// How many sheets it rendered.
    pub fn renders(&self) -> usize {
        self.renders.load(Ordering::SeqCst)
    }

    /// Makes every later render fail (or succeed again).
    pub fn fail(&self, failing: bool) {
        self.failing.store(failing, Ordering::SeqCst);
    }
}

#[async_trait]
impl Renderer for SheetEcho {
    async fn render(&self, sheet: Sheet) -> Result<Pdf, RenderError> {
        if self.failing.load(Ordering::SeqCst) {
            return Err(RenderError::Failed("told to fail".into()));
        }
        self.renders.fetch_add(1, Ordering::SeqCst);
        Ok(format!("%PDF-echo\n{sheet:#?}").into_bytes())
    }
}
