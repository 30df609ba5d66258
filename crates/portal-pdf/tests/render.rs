//! Renders each kind of sheet and reads the text back with poppler.

mod common;

use common::{
    HOSTILE, created, images_of, info_of, invoice, long_statement, png_logo, receipt, row, section,
    squeeze, statement, svg_logo, text_of,
};
use portal_domain::model::{Logo, LogoFormat, Sheet, SheetMeta};
use portal_domain::ports::{RenderError, Renderer as _};
use portal_pdf::TypstRenderer;

fn render(sheet: &Sheet) -> Vec<u8> {
    TypstRenderer::new(1)
        .render_blocking(sheet)
        .unwrap_or_else(|e| panic!("render failed: {e}"))
}

fn assert_contains(text: &str, expected: &str) {
    assert!(
        squeeze(text).contains(&squeeze(expected)),
        "{expected:?} not found in:\n{text}"
    );
}

#[test]
fn an_invoice_prints_its_lines_totals_and_hostile_text_literally() {
    let pdf = render(&Sheet::Invoice(invoice(&HOSTILE, None)));
    assert!(pdf.starts_with(b"%PDF-"));
    let text = text_of(&pdf);
    for expected in [
        "Acme Design Studio",
        "12 Harbour Street",
        "Invoice",
        "INV-0042",
        "Open",
        "Website redesign, phase 2",
        "Globex Corporation",
        "Due 1 Dec 2026",
        "Description",
        "Unit price",
        "$120.00",
        "$1,200.00",
        "Total $6,600.00",
        "Amount due $5,600.00",
        "5 Nov 2026, card $1,000.00",
        "IBAN GB33 BUKB 2020 1555 5555 55",
        "Reference: INV-0042",
        "Thank you for your business.",
        "Page 1 of 1",
    ] {
        assert_contains(&text, expected);
    }
    for hostile in HOSTILE {
        assert_contains(&text, hostile);
    }
}

#[test]
fn a_receipt_prints_the_amount_and_the_invoices_paid() {
    let text = text_of(&render(&Sheet::Receipt(receipt())));
    for expected in [
        "Receipt",
        "R-1A2B3C4D",
        "€1,234.50",
        "Visa •••• 4242",
        "INV-0041 €500.00 €234.50 €265.50",
        "Remaining balance €265.50",
        "has received your payment.",
    ] {
        assert_contains(&text, expected);
    }
}

#[test]
fn a_statement_prints_each_currency_with_its_summary_and_aging() {
    let usd = section("USD", (0..3).map(|i| row(i, HOSTILE[i])).collect());
    let eur = section("EUR", vec![row(7, "Retainer, €")]);
    let text = text_of(&render(&Sheet::Statement(statement(vec![usd, eur]))));
    for expected in [
        "Statement",
        "1 Jan 2026 – 26 Nov 2026",
        "USD",
        "EUR",
        "Date Type Reference Description Debit Credit Balance",
        "INV-00000",
        "$1,000.50",
        "$5.25",
        "Opening balance on 1 Jan 2026 $0.00",
        "Closing balance on 26 Nov 2026 $86,519.76",
        "Over 90 days",
        "$15,000.00",
        "Generated 26 Nov 2026 10:15 UTC",
    ] {
        assert_contains(&text, expected);
    }
    for hostile in &HOSTILE[..3] {
        assert_contains(&text, hostile);
    }
}

#[test]
fn an_empty_statement_says_so() {
    let text = text_of(&render(&Sheet::Statement(statement(Vec::new()))));
    assert_contains(
        &text,
        "No invoices or payments up to the end of this period.",
    );
}

#[test]
fn characters_no_font_has_become_replacement_characters() {
    let odd = [
        "Thumbs 👍🏽 up 🦀 crab",
        "family 👨‍👩‍👧 zwj",
        "private \u{E000} use",
        "bell \u{7} and tab\tend",
        "marks \u{200F}rtl\u{200E} \u{2067}isolate\u{2069}",
        "combining e\u{301} a\u{20DD}",
        "cjk 漢字 and hangul 한국어",
        "devanagari नमस्ते",
    ];
    let pdf = render(&Sheet::Invoice(invoice(&odd, None)));
    let text = text_of(&pdf);
    assert_contains(&text, "Thumbs");
    assert_contains(&text, "crab");
    // Emoji print as themselves; scripts no font has become U+FFFD.
    assert_contains(&text, "🦀");
    assert_contains(&text, "👍");
    assert!(text.contains('\u{FFFD}'), "{text}");
    assert_contains(&text, "tab end");
    assert_contains(&text, "cjk");
}

#[test]
fn a_pdf_is_pdf_a_2b_with_title_author_and_date() {
    let pdf = render(&Sheet::Receipt(receipt()));
    let raw = String::from_utf8_lossy(&pdf);
    assert!(
        raw.contains("<pdfaid:part>2</pdfaid:part>"),
        "no PDF/A part"
    );
    assert!(
        raw.contains("<pdfaid:conformance>B</pdfaid:conformance>"),
        "no PDF/A conformance"
    );
    let info = info_of(&pdf);
    assert!(info.contains("Receipt R-1A2B3C4D"), "{info}");
    assert!(info.contains("Acme Design Studio"), "{info}");
    assert!(info.contains("2026"), "{info}");
    assert!(info.contains("595.276 x 841.89 pts (A4)"), "{info}");
}

#[test]
fn the_same_sheet_gives_the_same_bytes() {
    let sheet = Sheet::Invoice(invoice(&HOSTILE, Some(png_logo())));
    let first = render(&sheet);
    let second = TypstRenderer::new(2).render_blocking(&sheet).unwrap();
    assert_eq!(first, second);

    let mut later = sheet;
    if let Sheet::Invoice(s) = &mut later {
        s.meta = SheetMeta::new(
            s.meta.title.clone(),
            s.meta.author.clone(),
            created() + chrono::Duration::days(1),
        );
    }
    assert_ne!(render(&later), first, "the date is in the file");
}

#[test]
fn png_and_svg_logos_render() {
    let without = render(&Sheet::Invoice(invoice(&["Work"], None)));
    assert!(!images_of(&without).contains("image"));

    let png = render(&Sheet::Invoice(invoice(&["Work"], Some(png_logo()))));
    let images = images_of(&png);
    assert!(
        images.lines().any(|l| l
            .split_whitespace()
            .take(5)
            .eq(["1", "0", "image", "2", "1"])),
        "the 2×1 logo is missing:\n{images}"
    );
    assert_contains(&text_of(&png), "Acme Design Studio");

    // An SVG logo is drawn as vector paths, not embedded as an image.
    let svg = render(&Sheet::Invoice(invoice(&["Work"], Some(svg_logo()))));
    assert!(svg.len() > without.len() + 100, "the SVG logo adds nothing");
    assert_contains(&text_of(&svg), "Acme Design Studio");
}

#[test]
fn a_long_statement_keeps_its_rows_aligned_and_its_header_on_every_page() {
    let sheet = long_statement(500);
    let pdf = render(&sheet);
    let text = text_of(&pdf);
    let pages: Vec<&str> = text
        .split('\u{c}')
        .filter(|p| !p.trim().is_empty())
        .collect();
    assert!(pages.len() > 5, "{} pages", pages.len());
    let total = pages.len();
    for (i, page) in pages.iter().enumerate() {
        if page.contains("INV-") {
            assert_contains(page, "Date Type Reference Description Debit Credit Balance");
        }
        assert_contains(page, &format!("Page {} of {total}", i + 1));
    }
    // Each row reads as one line: the stacked columns stay aligned.
    let lines: std::collections::HashSet<String> = text.lines().map(squeeze).collect();
    let Sheet::Statement(statement) = &sheet else {
        unreachable!()
    };
    for row in &statement.sections[0].rows {
        let expected = [
            &row.date,
            &row.kind,
            &row.reference,
            &row.description,
            &row.debit,
            &row.credit,
            &row.balance,
        ]
        .iter()
        .filter(|v| !v.is_empty())
        .map(|v| v.as_str())
        .collect::<Vec<_>>()
        .join(" ");
        assert!(lines.contains(&expected), "no line reads {expected:?}");
    }
}

#[test]
fn rows_that_may_wrap_stand_alone_and_the_rows_around_them_stay_aligned() {
    let long = "A long description that wraps onto a second line, because it goes on and on \
                well past the width of its column, and then some more.";
    let rows = (0..60)
        .map(|i| match i % 7 {
            2 => row(i, long),
            4 => row(i, HOSTILE[6]),
            5 => row(i, HOSTILE[5]),
            _ => row(i, &format!("Retainer {i}")),
        })
        .collect();
    let text = text_of(&render(&Sheet::Statement(statement(vec![section(
        "USD", rows,
    )]))));
    let lines: Vec<String> = text.lines().map(squeeze).collect();
    for i in (0..60).filter(|i| ![2, 4, 5].contains(&(i % 7))) {
        let r = row(i, &format!("Retainer {i}"));
        let amount = if r.debit.is_empty() {
            &r.credit
        } else {
            &r.debit
        };
        let expected = format!(
            "{} {} {} {} {amount} {}",
            r.date, r.kind, r.reference, r.description, r.balance
        );
        assert!(
            lines.contains(&expected),
            "no line reads {expected:?} in\n{text}"
        );
    }
    assert_contains(&text, "A long description that wraps onto a second line");
    assert_contains(&text, "then some more.");
    assert_contains(&text, HOSTILE[5]);
    assert_contains(&text, HOSTILE[6]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn renders_run_concurrently_through_the_port() {
    let renderer = TypstRenderer::new(2);
    let sheets = [
        Sheet::Invoice(invoice(&HOSTILE, None)),
        Sheet::Receipt(receipt()),
        long_statement(60),
        Sheet::Invoice(invoice(&["One"], Some(svg_logo()))),
    ];
    let tasks: Vec<_> = sheets
        .iter()
        .cloned()
        .map(|sheet| {
            let renderer = renderer.clone();
            tokio::spawn(async move { renderer.render(sheet).await })
        })
        .collect();
    for (task, sheet) in tasks.into_iter().zip(&sheets) {
        let pdf = task.await.unwrap().unwrap();
        assert_eq!(pdf, renderer.render_blocking(sheet).unwrap(), "same bytes");
    }

    renderer.close();
    let refused = renderer.render(Sheet::Receipt(receipt())).await;
    assert!(
        matches!(refused, Err(RenderError::Unavailable)),
        "{refused:?}"
    );
}

#[test]
fn a_logo_that_cannot_be_printed_is_left_out_rather_than_failing_the_document() {
    // SVG text is drawn with the embedded fonts, without fallback: a glyph
    // they lack fails PDF/A.
    let svg = r##"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 200 40"><text x="4" y="30" font-size="24">ACME 漢</text></svg>"##;
    let logo = Logo::new(LogoFormat::Svg, svg.into()).unwrap();
    let with = render(&Sheet::Invoice(invoice(&["Work"], Some(logo))));
    let without = render(&Sheet::Invoice(invoice(&["Work"], None)));
    assert_eq!(with, without);

    let printable = r##"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 200 40"><text x="4" y="30" font-size="24">ACME</text></svg>"##;
    let logo = Logo::new(LogoFormat::Svg, printable.into()).unwrap();
    let with = render(&Sheet::Invoice(invoice(&["Work"], Some(logo))));
    assert_ne!(with, without, "an SVG logo with printable text is kept");
}
