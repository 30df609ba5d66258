//! Hand-built sheets and a text extractor for the rendering tests.

#![allow(dead_code, unreachable_pub)]

use std::io::Write as _;
use std::process::{Command, Stdio};

use chrono::{DateTime, TimeZone as _, Utc};
use portal_domain::model::{
    Fact, InvoiceSheet, Letterhead, Logo, LogoFormat, ReceiptLine, ReceiptSheet, Sheet, SheetLine,
    SheetMeta, SheetRow, SheetSection, StatementSheet,
};

/// Descriptions that would be markup, code, HTML or tricky text if they
/// were parsed: each must print as it is.
pub const HOSTILE: [&str; 10] = [
    r#"#read("/etc/passwd")"#,
    "*bold* and _emph_",
    "$x^2$ math",
    "closing ] bracket [",
    "<b>html</b> & <script>",
    "שלום עולם",
    "مرحبا بالعالم",
    "Ωμέγα Кириллица",
    "`raw` @ref <label> // comment",
    "back\\slash #{1 + 1}",
];

pub fn created() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 26, 10, 15, 30).unwrap()
}

pub fn letterhead(logo: Option<Logo>) -> Letterhead {
    Letterhead {
        business: "Acme Design Studio".into(),
        address: vec!["12 Harbour Street".into(), "Bristol BS1 4RN".into()],
        accent: "#1f4e79".into(),
        logo,
    }
}

pub fn invoice(descriptions: &[&str], logo: Option<Logo>) -> InvoiceSheet {
    let lines = descriptions
        .iter()
        .enumerate()
        .map(|(i, d)| SheetLine {
            description: (*d).to_owned(),
            quantity: format!("{}", i + 1),
            unit_price: "$120.00".into(),
            amount: format!("${}.00", 120 * (i + 1)).replace("$1200", "$1,200"),
        })
        .collect();
    InvoiceSheet {
        meta: SheetMeta::new(
            "Invoice INV-0042".into(),
            "Acme Design Studio".into(),
            created(),
        ),
        letterhead: letterhead(logo),
        heading: "Invoice".into(),
        number: "INV-0042".into(),
        status: "Open".into(),
        title: Some("Website redesign, phase 2".into()),
        bill_to: vec!["Globex Corporation".into(), "Attn: Accounts".into()],
        facts: vec![
            Fact::new("Issued", "1 Nov 2026"),
            Fact::new("Due", "1 Dec 2026"),
            Fact::new("Currency", "USD"),
        ],
        lines,
        totals: vec![
            Fact::new("Total", "$6,600.00"),
            Fact::new("Amount paid", "$1,000.00"),
            Fact::new("Amount due", "$5,600.00"),
        ],
        payments: vec![Fact::new("5 Nov 2026, card", "$1,000.00")],
        instructions: Some(
            "Bank transfer to IBAN GB33 BUKB 2020 1555 5555 55\nReference: INV-0042".into(),
        ),
        note: Some("Thank you for your business.".into()),
    }
}

pub fn receipt() -> ReceiptSheet {
    ReceiptSheet {
        meta: SheetMeta::new(
            "Receipt R-1A2B3C4D".into(),
            "Acme Design Studio".into(),
            created(),
        ),
        letterhead: letterhead(None),
        number: "R-1A2B3C4D".into(),
        bill_to: vec!["Globex Corporation".into()],
        amount: "€1,234.50".into(),
        facts: vec![
            Fact::new("Date", "26 Nov 2026"),
            Fact::new("Method", "Visa •••• 4242"),
        ],
        invoices: vec![
            ReceiptLine {
                number: "INV-0040".into(),
                total: "€1,000.00".into(),
                applied: "€1,000.00".into(),
                still_due: "€0.00".into(),
            },
            ReceiptLine {
                number: "INV-0041".into(),
                total: "€500.00".into(),
                applied: "€234.50".into(),
                still_due: "€265.50".into(),
            },
        ],
        totals: vec![
            Fact::new("Applied to invoices", "€1,234.50"),
            Fact::new("Remaining balance", "€265.50"),
        ],
        note: Some("Thank you: Acme Design Studio has received your payment.".into()),
    }
}

pub fn row(i: usize, description: &str) -> SheetRow {
    let debit = i % 3 != 2;
    SheetRow {
        date: format!("{} Jan 2026", i % 28 + 1),
        kind: if debit { "Invoice" } else { "Payment" }.into(),
        reference: format!("INV-{i:05}"),
        description: description.to_owned(),
        debit: if debit {
            format!("${},{:03}.50", i / 1000 + 1, i % 1000)
        } else {
            String::new()
        },
        credit: if debit {
            String::new()
        } else {
            format!("${}.25", i % 997 + 3)
        },
        balance: format!("${},{:03}.75", i / 100 + 10, i % 1000),
    }
}

pub fn section(currency: &str, rows: Vec<SheetRow>) -> SheetSection {
    SheetSection {
        currency: currency.into(),
        rows,
        summary: vec![
            Fact::new("Opening balance on 1 Jan 2026", "$0.00"),
            Fact::new("Invoiced", "$98,765.43"),
            Fact::new("Paid", "$12,345.67"),
            Fact::new("Refunded", "$100.00"),
            Fact::new("Closing balance on 26 Nov 2026", "$86,519.76"),
        ],
        aging: vec![
            Fact::new("Current", "$1,000.00"),
            Fact::new("1–30 days", "$2,000.00"),
            Fact::new("31–60 days", "$3,000.00"),
            Fact::new("61–90 days", "$4,000.00"),
            Fact::new("Over 90 days", "$5,000.00"),
            Fact::new("Total due", "$15,000.00"),
        ],
    }
}

pub fn statement(sections: Vec<SheetSection>) -> StatementSheet {
    let empty = sections
        .is_empty()
        .then(|| "No invoices or payments up to the end of this period.".to_owned());
    StatementSheet {
        meta: SheetMeta::new(
            "Statement for Globex Corporation, 1 Jan 2026 – 26 Nov 2026".into(),
            "Acme Design Studio".into(),
            created(),
        ),
        letterhead: letterhead(None),
        bill_to: vec!["Globex Corporation".into()],
        period: "1 Jan 2026 – 26 Nov 2026".into(),
        facts: vec![
            Fact::new("Generated", "26 Nov 2026 10:15 UTC"),
            Fact::new("Time zone", "UTC"),
        ],
        sections,
        empty,
    }
}

/// A statement of `rows` rows in one currency.
pub fn long_statement(rows: usize) -> Sheet {
    let rows = (0..rows)
        .map(|i| row(i, &format!("Monthly retainer, item {i}")))
        .collect();
    Sheet::Statement(statement(vec![section("USD", rows)]))
}

/// A 2×1 PNG, built here: signature, IHDR, one IDAT (stored deflate) and
/// IEND, with real CRCs.
pub fn png_logo() -> Logo {
    fn crc32(bytes: &[u8]) -> u32 {
        let mut crc = 0xffff_ffff_u32;
        for &b in bytes {
            crc ^= u32::from(b);
            for _ in 0..8 {
                crc = if crc & 1 == 1 {
                    (crc >> 1) ^ 0xedb8_8320
                } else {
                    crc >> 1
                };
            }
        }
        !crc
    }
    fn adler32(bytes: &[u8]) -> u32 {
        let (mut a, mut b) = (1u32, 0u32);
        for &x in bytes {
            a = (a + u32::from(x)) % 65521;
            b = (b + a) % 65521;
        }
        (b << 16) | a
    }
    fn chunk(out: &mut Vec<u8>, kind: &[u8; 4], data: &[u8]) {
        out.extend_from_slice(&u32::try_from(data.len()).unwrap().to_be_bytes());
        let mut body = kind.to_vec();
        body.extend_from_slice(data);
        out.extend_from_slice(&body);
        out.extend_from_slice(&crc32(&body).to_be_bytes());
    }
    // Two RGB pixels, each scanline led by filter byte 0.
    let raw = [0u8, 0x1f, 0x4e, 0x79, 0xff, 0xa5, 0x00];
    let mut deflate = vec![0x78, 0x01, 0x01];
    let len = u16::try_from(raw.len()).unwrap();
    deflate.extend_from_slice(&len.to_le_bytes());
    deflate.extend_from_slice(&(!len).to_le_bytes());
    deflate.extend_from_slice(&raw);
    deflate.extend_from_slice(&adler32(&raw).to_be_bytes());
    let mut png = b"\x89PNG\r\n\x1a\n".to_vec();
    let mut ihdr = Vec::new();
    ihdr.extend_from_slice(&2u32.to_be_bytes());
    ihdr.extend_from_slice(&1u32.to_be_bytes());
    ihdr.extend_from_slice(&[8, 2, 0, 0, 0]);
    chunk(&mut png, b"IHDR", &ihdr);
    chunk(&mut png, b"IDAT", &deflate);
    chunk(&mut png, b"IEND", &[]);
    Logo::new(LogoFormat::Png, png).expect("a valid PNG")
}

pub fn svg_logo() -> Logo {
    let svg = r##"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 120 40" width="120" height="40"><rect width="120" height="40" rx="6" fill="#1f4e79"/><circle cx="20" cy="20" r="12" fill="#ffa500"/></svg>"##;
    Logo::new(LogoFormat::Svg, svg.into()).expect("a valid SVG")
}

/// The PDF's text as `pdftotext -layout` reads it.
pub fn text_of(pdf: &[u8]) -> String {
    run_poppler("pdftotext", &["-layout", "-enc", "UTF-8", "-", "-"], pdf)
}

/// `pdfimages -list`: the PDF's raster images.
pub fn images_of(pdf: &[u8]) -> String {
    run_poppler("pdfimages", &["-list", "-"], pdf)
}

/// `pdfinfo`'s report on the PDF.
pub fn info_of(pdf: &[u8]) -> String {
    run_poppler("pdfinfo", &["-"], pdf)
}

fn run_poppler(tool: &str, args: &[&str], pdf: &[u8]) -> String {
    let mut child = Command::new(tool)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("{tool} (poppler-utils) must be installed: {e}"));
    child.stdin.take().unwrap().write_all(pdf).unwrap();
    let output = child.wait_with_output().unwrap();
    assert!(
        output.status.success(),
        "{tool} failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).unwrap()
}

/// `text` with runs of whitespace made single spaces and the direction
/// marks poppler wraps right-to-left runs in taken out.
pub fn squeeze(text: &str) -> String {
    text.replace(
        [
            '\u{200E}', '\u{200F}', '\u{202A}', '\u{202B}', '\u{202C}', '\u{202D}', '\u{202E}',
        ],
        "",
    )
    .split_whitespace()
    .collect::<Vec<_>>()
    .join(" ")
}
