//! One render: sheet to inputs, compile, export as PDF/A-2b.

use portal_domain::model::{Logo, Sheet};
use portal_domain::ports::RenderError;
use typst::diag::SourceDiagnostic;
use typst::foundations::Smart;
use typst_layout::PagedDocument;
use typst_pdf::{PdfOptions, PdfStandard, PdfStandards, Timestamp};

use crate::inputs::{inputs, logo_path};
use crate::world::{SheetWorld, Template, datetime};

/// Renders `sheet` on this thread. The memoization cache is emptied after
/// every compile, failed ones too, so a long-running server does not grow.
///
/// A logo that fails the render (an SVG whose text needs glyphs the
/// embedded fonts lack fails PDF/A) must not stop every document of the
/// account: the sheet is then rendered without it.
pub(crate) fn render(sheet: &Sheet) -> Result<Vec<u8>, RenderError> {
    let logo = sheet.letterhead().logo.as_ref();
    let mut result = compile(sheet, logo);
    typst::comemo::evict(0);
    if let (Err(error), Some(_)) = (&result, logo) {
        tracing::warn!(%error, "rendering the document without its logo");
        result = compile(sheet, None);
        typst::comemo::evict(0);
    }
    result
}

fn compile(sheet: &Sheet, logo: Option<&Logo>) -> Result<Vec<u8>, RenderError> {
    let template = match sheet {
        Sheet::Invoice(_) => Template::Invoice,
        Sheet::Receipt(_) => Template::Receipt,
        Sheet::Statement(_) => Template::Statement,
    };
    let inputs = inputs(sheet, logo.map(Logo::format)).map_err(RenderError::Failed)?;
    let logo = logo.map(|logo| (logo_path(logo.format()), logo.bytes()));
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

#[cfg(test)]
mod tests {
    use chrono::{TimeZone as _, Utc};
    use portal_domain::model::{InvoiceSheet, Letterhead, SheetLine, SheetMeta};

    use super::*;
    use crate::fonts::FONTS;

    fn invoice(descriptions: Vec<String>) -> Sheet {
        let created = Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap();
        Sheet::Invoice(InvoiceSheet {
            meta: SheetMeta::new("Invoice 1".into(), "Acme".into(), created),
            letterhead: Letterhead {
                business: "Acme".into(),
                address: Vec::new(),
                accent: "#000000".into(),
                logo: None,
            },
            heading: "Invoice".into(),
            number: "1".into(),
            status: "Open".into(),
            title: None,
            bill_to: Vec::new(),
            facts: Vec::new(),
            lines: descriptions
                .into_iter()
                .map(|description| SheetLine {
                    description,
                    quantity: "1".into(),
                    unit_price: "1".into(),
                    amount: "1".into(),
                })
                .collect(),
            totals: Vec::new(),
            payments: Vec::new(),
            instructions: None,
            note: None,
        })
    }

    /// The coverage set agrees with typst's font fallback: every
    /// character it admits prints under PDF/A.
    #[test]
    fn every_covered_character_renders() {
        let covered: Vec<char> = (0..=0x10_FFFF)
            .filter_map(char::from_u32)
            .filter(|&c| FONTS.covers(c))
            .collect();
        assert!(covered.len() > 5000, "{}", covered.len());
        let lines = covered.chunks(400).map(|c| c.iter().collect()).collect();
        render(&invoice(lines)).unwrap();
    }

    /// Arbitrary code points, emoji sequences and stacked marks never fail
    /// a render.
    #[test]
    fn any_text_renders() {
        let mut state: u64 = 0x9E37_79B9_7F4A_7C15;
        let mut next = move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        let mut lines: Vec<String> = (0..20)
            .map(|_| {
                (0..300)
                    .filter_map(|_| {
                        let r = next();
                        let range = [0x80, 0x3000, 0x1_0000, 0x11_0000][(r % 4) as usize];
                        char::from_u32(u32::try_from((r >> 8) % range).unwrap())
                    })
                    .collect()
            })
            .collect();
        lines.push(
            "1\u{FE0F}\u{20E3} 🇬🇧 👍🏽 ☺\u{FE0F} 🏳\u{FE0F}\u{200D}🌈 👨\u{200D}👩\u{200D}👧 \
             a\u{301}\u{302}\u{303} Ж\u{20DD} ب\u{64B} א\u{5B8} \u{FDFD} \u{0}\u{1B}[31m"
                .into(),
        );
        render(&invoice(lines)).unwrap();
    }
}
