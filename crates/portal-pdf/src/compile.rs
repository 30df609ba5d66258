//! One render: sheet to inputs, compile, export as PDF/A-2b.

use portal_domain::model::Sheet;
use portal_domain::ports::RenderError;
use typst::diag::SourceDiagnostic;
use typst::foundations::Smart;
use typst_layout::PagedDocument;
use typst_pdf::{PdfOptions, PdfStandard, PdfStandards, Timestamp};

use crate::inputs::{inputs, logo_path};
use crate::world::{SheetWorld, Template, datetime};

/// Renders `sheet` on this thread. The memoization cache is emptied after
/// every compile, failed ones too, so a long-running server does not grow.
pub(crate) fn render(sheet: &Sheet) -> Result<Vec<u8>, RenderError> {
    let result = compile(sheet);
    typst::comemo::evict(0);
    result
}

fn compile(sheet: &Sheet) -> Result<Vec<u8>, RenderError> {
    let template = match sheet {
        Sheet::Invoice(_) => Template::Invoice,
        Sheet::Receipt(_) => Template::Receipt,
        Sheet::Statement(_) => Template::Statement,
    };
    let inputs = inputs(sheet).map_err(RenderError::Failed)?;
    let logo = sheet
        .letterhead()
        .logo
        .as_ref()
        .map(|logo| (logo_path(logo.format()), logo.bytes()));
    let created = sheet.meta().created;
    let world = SheetWorld::new(template, inputs, logo, created);
    let document = typst::compile::<PagedDocument>(&world)
        .output
        .map_err(|errors| failed("layout", &errors))?;
    let standards = PdfStandards::new(&[PdfStandard::A_2b])
        .map_err(|e| RenderError::Failed(format!("PDF standards: {}", e.message())))?;
    let options = PdfOptions {
        ident: Smart::Custom(ident(sheet)),
        timestamp: Some(Timestamp::new_utc(datetime(created, true))),
        standards,
        // A tagged statement of a thousand rows is four times the size
        // (every cell becomes a structure element); PDF/A-2b does not ask
        // for tags.
        tagged: false,
        ..PdfOptions::default()
    };
    typst_pdf::pdf(&document, &options).map_err(|errors| failed("PDF export", &errors))
}

/// A stable identifier of the document a sheet shows, hashed into the
/// PDF's file identifier: the same document keeps it across renders.
fn ident(sheet: &Sheet) -> String {
    let author = &sheet.meta().author;
    match sheet {
        Sheet::Invoice(s) => format!("invoice\u{1f}{author}\u{1f}{}\u{1f}{}", s.heading, s.number),
        Sheet::Receipt(s) => format!("receipt\u{1f}{author}\u{1f}{}", s.number),
        Sheet::Statement(s) => format!(
            "statement\u{1f}{author}\u{1f}{}\u{1f}{}",
            s.bill_to.join("\n"),
            s.period
        ),
    }
}

fn failed(stage: &str, errors: &[SourceDiagnostic]) -> RenderError {
    let messages: Vec<&str> = errors.iter().map(|e| e.message.as_str()).collect();
    RenderError::Failed(format!("{stage}: {}", messages.join("; ")))
}
