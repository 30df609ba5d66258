//! The statement sheet as one HTML page, for the browser engines: the same
//! rows, summary and aging as the PDF, a plain table with the PDF's fixed
//! column widths, a repeated header, striped rows, A4 pages with the same
//! margins. The text is
//! escaped, so hostile descriptions print as they are. The font is DejaVu
//! Sans from the system (the engines load no embedded font).

use std::fmt::Write as _;

use portal_domain::model::{Fact, StatementSheet};

const STYLE: &str = r"
@page { size: A4; margin: 18mm 16mm 20mm 16mm;
  @bottom-right { content: 'Page ' counter(page) ' of ' counter(pages); font-size: 8pt; color: #555; } }
html { font-family: 'DejaVu Sans', sans-serif; font-size: 9pt; color: #1a1a1a; }
body { margin: 0; }
header { display: flex; justify-content: space-between; border-bottom: 2px solid var(--accent); padding-bottom: 6pt; }
header .business { font-size: 13pt; font-weight: bold; color: var(--accent); }
header .address, .bill-to { white-space: pre-line; color: #444; }
h1 { font-size: 16pt; margin: 12pt 0 2pt; }
h2 { font-size: 12pt; margin: 14pt 0 4pt; color: var(--accent); }
.facts td { padding: 0 12pt 0 0; }
table { border-collapse: collapse; }
table.rows { width: 100%; table-layout: fixed; font-size: 8pt; }
table.rows thead { display: table-header-group; }
table.rows th { text-align: left; border-bottom: 1px solid #888; padding: 3pt 4pt; font-size: 8pt; }
table.rows td { padding: 2pt 4pt; vertical-align: top; }
table.rows tr { break-inside: avoid; }
table.rows tbody tr:nth-child(even) { background: #f1f5f6; }
td.num, th.num { text-align: right; white-space: nowrap; }
table.rows td { overflow-wrap: anywhere; }
td.desc { white-space: pre-line; }
td.date { white-space: nowrap; }
.boxes { display: flex; gap: 24pt; margin-top: 8pt; break-inside: avoid; }
.boxes table td { padding: 1pt 8pt 1pt 0; }
.boxes table tr:last-child td { font-weight: bold; border-top: 1px solid #888; }
";

/// Escapes text for an element or an attribute.
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

fn facts_table(out: &mut String, class: &str, facts: &[Fact]) {
    let _ = write!(out, "<table class=\"{class}\">");
    for fact in facts {
        let _ = write!(
            out,
            "<tr><td>{}</td><td class=\"num\">{}</td></tr>",
            escape(&fact.label),
            escape(&fact.value)
        );
    }
    out.push_str("</table>");
}

/// The whole page. `logo_svg` is inlined when the letterhead has one.
pub(crate) fn statement_html(sheet: &StatementSheet, logo_svg: Option<&str>) -> String {
    let rows: usize = sheet.sections.iter().map(|s| s.rows.len()).sum();
    let mut out = String::with_capacity(1_024 + rows * 330);
    let accent = escape(&sheet.letterhead.accent);
    let _ = write!(
        out,
        "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>{}</title>\
         <meta name=\"author\" content=\"{}\"><style>:root {{ --accent: {accent}; }}{STYLE}</style>\
         </head><body><header><div><div class=\"business\">{}</div><div class=\"address\">{}</div></div>",
        escape(&sheet.meta.title),
        escape(&sheet.meta.author),
        escape(&sheet.letterhead.business),
        escape(&sheet.letterhead.address.join("\n")),
    );
    if let Some(svg) = logo_svg {
        let _ = write!(out, "<div class=\"logo\">{svg}</div>");
    }
    let _ = write!(
        out,
        "</header><h1>Statement of account</h1><div class=\"bill-to\">{}</div>\
         <p>{}</p><table class=\"facts\">",
        escape(&sheet.bill_to.join("\n")),
        escape(&sheet.period),
    );
    for fact in &sheet.facts {
        let _ = write!(
            out,
            "<tr><td>{}</td><td>{}</td></tr>",
            escape(&fact.label),
            escape(&fact.value)
        );
    }
    out.push_str("</table>");
    if let Some(empty) = &sheet.empty {
        let _ = write!(out, "<p>{}</p>", escape(empty));
    }
    for section in &sheet.sections {
        let _ = write!(
            out,
            "<h2>{}</h2><table class=\"rows\"><colgroup><col style=\"width: 20mm\">\
             <col style=\"width: 19mm\"><col style=\"width: 22mm\"><col>\
             <col style=\"width: 22mm\"><col style=\"width: 20mm\"><col style=\"width: 23mm\">\
             </colgroup><thead><tr><th>Date</th><th>Type</th>\
             <th>Reference</th><th>Description</th><th class=\"num\">Debit</th>\
             <th class=\"num\">Credit</th><th class=\"num\">Balance</th></tr></thead><tbody>",
            escape(&section.currency)
        );
        for row in &section.rows {
            let _ = write!(
                out,
                "<tr><td class=\"date\">{}</td><td>{}</td><td>{}</td><td class=\"desc\">{}</td>\
                 <td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td></tr>",
                escape(&row.date),
                escape(&row.kind),
                escape(&row.reference),
                escape(&row.description),
                escape(&row.debit),
                escape(&row.credit),
                escape(&row.balance),
            );
        }
        out.push_str("</tbody></table><div class=\"boxes\"><div><h3>Summary</h3>");
        facts_table(&mut out, "summary", &section.summary);
        out.push_str("</div><div><h3>Aging at the end of the period</h3>");
        facts_table(&mut out, "aging", &section.aging);
        out.push_str("</div></div>");
    }
    out.push_str("</body></html>\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markup_in_text_is_escaped() {
        assert_eq!(
            escape("<script>\"a\" & 'b'</script>"),
            "&lt;script&gt;&quot;a&quot; &amp; &#39;b&#39;&lt;/script&gt;"
        );
    }
}
