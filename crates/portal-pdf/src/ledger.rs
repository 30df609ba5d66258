//! The geometry of a statement's rows table, decided before typst runs.
//!
//! A table cell costs typst a full layout pass and a few kilobytes kept
//! until the compile ends, so a statement of thousands of rows with a cell
//! per value is slow and large (typst issue 4560). Most rows print on one
//! line, so the template stacks runs of such rows: one cell per column
//! holds up to [`RUN`] values, one per line, and since every line has the
//! same height the columns stay aligned. Only a row that might wrap gets
//! cells of its own.
//!
//! Whether a value fits on one line is estimated here from the fonts'
//! advance widths, with a safety margin, and only for characters whose
//! width shaping does not change (no marks, no joining scripts); anything
//! else takes the one-row path, which is always correct. Column widths
//! are computed the same way, from the widest value of each column.

use serde_json::{Value, json};

use crate::fonts::FONTS;

/// The most rows stacked in one run: long enough to save most cells, short
/// enough that splitting a run across pages stays cheap.
const RUN: usize = 100;
/// Type size of the rows, in points.
const SIZE: f64 = 8.5;
/// Width of the table: A4 less the template's 16 mm margins, in points.
const WIDTH: f64 = 595.2756 - 2.0 * 16.0 * 72.0 / 25.4;
/// Space between columns, and at the table's outer edges, in points.
const GAP: f64 = 7.0;
/// The description's least share of the width.
const DESCRIPTION_SHARE: f64 = 0.25;
/// Added to every estimate: kerning and shaping rarely widen text, but
/// a value that wrapped inside a run would shift its column.
const SLACK: f64 = 1.06;

/// A column: its heading, the row field it shows, whether it is money
/// (aligned right), and the most it may take, in points.
struct Column {
    label: &'static str,
    key: &'static str,
    numeric: bool,
    max: f64,
}

const COLUMNS: [Column; 7] = [
    Column {
        label: "Date",
        key: "date",
        numeric: false,
        max: 80.0,
    },
    Column {
        label: "Type",
        key: "kind",
        numeric: false,
        max: 90.0,
    },
    Column {
        label: "Reference",
        key: "reference",
        numeric: false,
        max: 110.0,
    },
    Column {
        label: "Description",
        key: "description",
        numeric: false,
        max: WIDTH,
    },
    Column {
        label: "Debit",
        key: "debit",
        numeric: true,
        max: 90.0,
    },
    Column {
        label: "Credit",
        key: "credit",
        numeric: true,
        max: 90.0,
    },
    Column {
        label: "Balance",
        key: "balance",
        numeric: true,
        max: 100.0,
    },
];
const DESCRIPTION: usize = 3;

/// Adds `layout` to every section of a statement's inputs: `size` (pt),
/// `outer` (the padding at the table's edges, pt), `columns` (`label`,
/// `key`, `width` in pt, together the page's text width; `numeric`) and
/// `runs` (`start`, `len`, `stacked`: whether the rows are stacked one
/// per line or the single row gets cells of its own).
pub(crate) fn add_layouts(statement: &mut Value) {
    let Some(sections) = statement.get_mut("sections").and_then(Value::as_array_mut) else {
        return;
    };
    for section in sections {
        let rows = section
            .get("rows")
            .and_then(Value::as_array)
            .map(|rows| rows.iter().map(cells_of).collect::<Vec<_>>())
            .unwrap_or_default();
        let layout = layout(&rows);
        if let Some(section) = section.as_object_mut() {
            section.insert("layout".into(), layout);
        }
    }
}

fn cells_of(row: &Value) -> [&str; 7] {
    COLUMNS.map(|c| row.get(c.key).and_then(Value::as_str).unwrap_or_default())
}

fn layout(rows: &[[&str; 7]]) -> Value {
    // Estimated widths, or `None` where a value's width is not reliable.
    let estimates: Vec<[Option<f64>; 7]> = rows
        .iter()
        .map(|cells| cells.map(|text| FONTS.estimate(text, false).map(|w| w * SIZE * SLACK)))
        .collect();
    let mut widths: [f64; 7] = std::array::from_fn(|i| {
        let column = &COLUMNS[i];
        let label = FONTS.estimate(column.label, true).unwrap_or(0.0) * SIZE * SLACK;
        let widest = estimates
            .iter()
            .filter_map(|e| e[i])
            .filter(|&w| w <= column.max)
            .fold(label, f64::max);
        widest.min(column.max) + GAP
    });
    // The first and last columns also hold the table's outer padding.
    widths[0] += GAP / 2.0;
    widths[6] += GAP / 2.0;
    let others: f64 = (0..7)
        .filter(|&i| i != DESCRIPTION)
        .map(|i| widths[i])
        .sum();
    let room = WIDTH * (1.0 - DESCRIPTION_SHARE);
    if others > room {
        let scale = room / others;
        for (i, width) in widths.iter_mut().enumerate() {
            if i != DESCRIPTION {
                *width *= scale;
            }
        }
    }
    widths[DESCRIPTION] = WIDTH - others.min(room);
    let usable: [f64; 7] = std::array::from_fn(|i| {
        let outer = if i == 0 || i == 6 { GAP / 2.0 } else { 0.0 };
        widths[i] - GAP - outer
    });

    let one_line = |estimate: &[Option<f64>; 7], cells: &[&str; 7]| {
        (0..7).all(|i| cells[i].is_empty() || estimate[i].is_some_and(|w| w <= usable[i] + 0.01))
    };
    let mut runs = Vec::new();
    let mut start = 0;
    while start < rows.len() {
        let mut end = start;
        while end < rows.len() && end - start < RUN && one_line(&estimates[end], &rows[end]) {
            end += 1;
        }
        if end == start {
            runs.push(json!({ "start": start, "len": 1, "stacked": false }));
            start += 1;
        } else {
            runs.push(json!({ "start": start, "len": end - start, "stacked": true }));
            start = end;
        }
    }
    let columns: Vec<Value> = COLUMNS
        .iter()
        .zip(widths)
        .map(|(c, width)| {
            json!({ "label": c.label, "key": c.key, "width": width, "numeric": c.numeric })
        })
        .collect();
    json!({ "size": SIZE, "outer": GAP / 2.0, "columns": columns, "runs": runs })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(description: &str) -> [&str; 7] {
        [
            "1 Mar 2026",
            "Invoice",
            "INV-0001",
            description,
            "$1,000.00",
            "",
            "$1,000.00",
        ]
    }

    #[test]
    fn short_rows_are_stacked_in_runs_and_long_or_complex_rows_stand_alone() {
        let long = "word ".repeat(60);
        let rows: Vec<[&str; 7]> = (0..120)
            .map(|i| match i {
                10 => row(&long),
                11 => row("مرحبا"),
                12 => row("two\nlines"),
                _ => row("Consulting"),
            })
            .collect();
        let layout = layout(&rows);
        let runs: Vec<(u64, u64, bool)> = layout["runs"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| {
                (
                    r["start"].as_u64().unwrap(),
                    r["len"].as_u64().unwrap(),
                    r["stacked"].as_bool().unwrap(),
                )
            })
            .collect();
        assert_eq!(
            runs,
            [
                (0, 10, true),
                (10, 1, false),
                (11, 1, false),
                (12, 1, false),
                (13, 100, true),
                (113, 7, true),
            ]
        );
        let total: f64 = layout["columns"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["width"].as_f64().unwrap())
            .sum();
        assert!((total - WIDTH).abs() < 0.01, "{total}");
    }

    #[test]
    fn columns_fit_their_widest_value() {
        let rows = [
            row("x"),
            [
                "28 Nov 2026",
                "Opening balance",
                "INV-000123",
                "",
                "",
                "",
                "$1,234,567.89",
            ],
        ];
        let layout = layout(&rows);
        let width = |i: usize| layout["columns"][i]["width"].as_f64().unwrap();
        let estimate = |t: &str| FONTS.estimate(t, false).unwrap() * SIZE;
        assert!(width(1) > estimate("Opening balance") + GAP, "{layout}");
        assert!(width(6) > estimate("$1,234,567.89") + GAP);
        assert!(width(DESCRIPTION) > WIDTH * DESCRIPTION_SHARE);
    }
}
