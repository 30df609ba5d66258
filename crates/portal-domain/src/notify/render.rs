//! One email body, two renderings: the blocks an email is made of become
//! its plain-text part and its HTML part, so the two always say the same.
//! Every value is escaped in the HTML; the text part is never parsed.

use std::fmt::Write as _;

/// A piece of an email body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Block {
    Paragraph(String),
    /// A prominent link: a button in HTML, the bare URL in text.
    Action {
        label: String,
        url: String,
    },
    /// Label and value pairs ("Due: 2 Dec 2026").
    Facts(Vec<(String, String)>),
    /// A small table; the last column is right-aligned (amounts).
    Table {
        head: Vec<String>,
        rows: Vec<Vec<String>>,
    },
    /// The small print under everything else.
    Note(String),
}

/// The plain-text part.
pub(crate) fn text(greeting: &str, blocks: &[Block]) -> String {
    let mut out = format!("{greeting}\n");
    for block in blocks {
        out.push('\n');
        match block {
            Block::Paragraph(p) | Block::Note(p) => {
                out.push_str(p);
                out.push('\n');
            }
            Block::Action { label, url } => {
                let _ = writeln!(out, "{label}:\n{url}");
            }
            Block::Facts(facts) => {
                for (label, value) in facts {
                    let _ = writeln!(out, "{label}: {value}");
                }
            }
            Block::Table { head, rows } => {
                let widths: Vec<usize> = (0..head.len())
                    .map(|i| {
                        rows.iter()
                            .filter_map(|r| r.get(i))
                            .chain(std::iter::once(&head[i]))
                            .map(|c| c.chars().count())
                            .max()
                            .unwrap_or(0)
                    })
                    .collect();
                for row in std::iter::once(head).chain(rows) {
                    let cells: Vec<String> = row
                        .iter()
                        .enumerate()
                        .map(|(i, cell)| {
                            let pad = widths[i].saturating_sub(cell.chars().count());
                            if i + 1 == row.len() {
                                format!("{}{cell}", " ".repeat(pad))
                            } else {
                                format!("{cell}{}", " ".repeat(pad))
                            }
                        })
                        .collect();
                    let _ = writeln!(out, "{}", cells.join("  ").trim_end());
                }
            }
        }
    }
    out
}

/// The HTML part: a plain, narrow, single-column message with inline
/// styles (mail clients ignore style sheets).
pub(crate) fn html(title: &str, greeting: &str, blocks: &[Block]) -> String {
    let mut out = String::with_capacity(2048);
    let _ = write!(
        out,
        "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>{}</title></head>\
         <body style=\"margin:0;padding:24px;background:#f4f5f7;font-family:-apple-system,Segoe UI,Helvetica,Arial,sans-serif;color:#1f2933;\">\
         <div style=\"max-width:560px;margin:0 auto;background:#ffffff;border-radius:8px;padding:28px;\">\
         <p style=\"margin:0 0 16px;\">{}</p>",
        escape(title),
        escape(greeting)
    );
    for block in blocks {
        match block {
            Block::Paragraph(p) => {
                let _ = write!(
                    out,
                    "<p style=\"margin:0 0 16px;line-height:1.5;\">{}</p>",
                    lines(p)
                );
            }
            Block::Action { label, url } => {
                let _ = write!(
                    out,
                    "<p style=\"margin:24px 0;\"><a href=\"{}\" style=\"display:inline-block;background:#2457c5;color:#ffffff;text-decoration:none;padding:12px 20px;border-radius:6px;font-weight:600;\">{}</a></p>",
                    escape(url),
                    escape(label)
                );
            }
            Block::Facts(facts) => {
                out.push_str("<table role=\"presentation\" style=\"margin:0 0 16px;border-collapse:collapse;\">");
                for (label, value) in facts {
                    let _ = write!(
                        out,
                        "<tr><td style=\"padding:2px 16px 2px 0;color:#52606d;\">{}</td><td style=\"padding:2px 0;\">{}</td></tr>",
                        escape(label),
                        escape(value)
                    );
                }
                out.push_str("</table>");
            }
            Block::Table { head, rows } => {
                out.push_str("<table style=\"width:100%;margin:0 0 16px;border-collapse:collapse;\"><thead><tr>");
                for (i, cell) in head.iter().enumerate() {
                    let align = if i + 1 == head.len() { "right" } else { "left" };
                    let _ = write!(
                        out,
                        "<th style=\"text-align:{align};border-bottom:1px solid #d9dee3;padding:6px 4px;font-weight:600;\">{}</th>",
                        escape(cell)
                    );
                }
                out.push_str("</tr></thead><tbody>");
                for row in rows {
                    out.push_str("<tr>");
                    for (i, cell) in row.iter().enumerate() {
                        let align = if i + 1 == row.len() { "right" } else { "left" };
                        let _ = write!(
                            out,
                            "<td style=\"text-align:{align};border-bottom:1px solid #eef1f4;padding:6px 4px;\">{}</td>",
                            escape(cell)
                        );
                    }
                    out.push_str("</tr>");
                }
                out.push_str("</tbody></table>");
            }
            Block::Note(p) => {
                let _ = write!(
                    out,
                    "<p style=\"margin:24px 0 0;font-size:13px;line-height:1.5;color:#52606d;\">{}</p>",
                    lines(p)
                );
            }
        }
    }
    out.push_str("</div></body></html>");
    out
}

/// `text` with `& < > " '` escaped: safe in element content and in
/// quoted attribute values.
pub(crate) fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
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

/// Escaped text whose line breaks become `<br>`.
fn lines(text: &str) -> String {
    text.split('\n')
        .map(escape)
        .collect::<Vec<_>>()
        .join("<br>")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markup_in_values_is_escaped_in_html_and_kept_in_text() {
        let blocks = vec![
            Block::Paragraph("<script>alert('x')</script> & \"quotes\"".into()),
            Block::Action {
                label: "Open".into(),
                url: "https://x.example/l/a\"onmouseover=\"x".into(),
            },
            Block::Facts(vec![("<b>".into(), "</td>".into())]),
        ];
        let html = html("T<", "Hi <you>", &blocks);
        assert!(!html.contains("<script>"));
        assert!(
            html.contains(
                "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; &quot;quotes&quot;"
            )
        );
        assert!(html.contains("href=\"https://x.example/l/a&quot;onmouseover=&quot;x\""));
        assert!(!html.contains("<b>") && !html.contains("Hi <you>"));
        let text = text("Hi <you>", &blocks);
        assert!(text.contains("<script>alert('x')</script>"));
    }

    #[test]
    fn text_tables_align_their_columns() {
        let blocks = vec![Block::Table {
            head: vec!["Invoice".into(), "Amount".into()],
            rows: vec![
                vec!["INV-1".into(), "$1.00".into()],
                vec!["INV-1000".into(), "$1,000.00".into()],
            ],
        }];
        assert_eq!(
            text("Hi", &blocks),
            "Hi\n\nInvoice      Amount\nINV-1         $1.00\nINV-1000  $1,000.00\n"
        );
    }
}
