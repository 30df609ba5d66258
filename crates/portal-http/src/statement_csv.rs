//! Statements as CSV, for the portal and the operator API alike: one
//! header row, then one row per entry, written a chunk at a time while the
//! statement is read from the store, so a statement of any length streams
//! in flat memory. Quoting is the `csv` crate's; a text cell a spreadsheet
//! would take for a formula is neutralised.

use std::borrow::Cow;
use std::io;

use axum::body::{Body, Bytes};
use futures_util::stream::{self, Stream};
use portal_domain::StatementEntry;
use portal_domain::service::{StatementEvent, StatementStream};

use crate::error::chain;

/// The columns, in order.
pub(crate) const HEADER: [&str; 8] = [
    "date",
    "type",
    "reference",
    "description",
    "currency",
    "debit",
    "credit",
    "balance",
];

/// How many rows go out in one chunk of the body.
pub(crate) const ROWS_PER_CHUNK: usize = 200;

/// The first characters that make a spreadsheet read a cell as a formula
/// (or, for tab and carriage return, hide one behind them).
const FORMULA_STARTS: [char; 6] = ['=', '+', '-', '@', '\t', '\r'];

/// The statement as a streamed CSV body. A failure partway is logged and
/// ends the body with an error, so the download breaks off visibly
/// instead of looking like a complete, shorter statement.
pub(crate) fn body(statement: StatementStream) -> Body {
    Body::from_stream(chunks(statement))
}

/// Where the body is.
enum State {
    /// Nothing written yet: the first chunk starts with the header.
    Start(StatementStream),
    /// Rows follow as the statement is read.
    Rows(StatementStream),
    Done,
}

/// The body's chunks: the header with the first rows, then
/// [`ROWS_PER_CHUNK`] rows at a time, each written through a writer of
/// its own.
fn chunks(statement: StatementStream) -> impl Stream<Item = io::Result<Bytes>> + Send + 'static {
    stream::try_unfold(State::Start(statement), |state| async move {
        let mut writer = csv::Writer::from_writer(Vec::new());
        let mut statement = match state {
            State::Start(statement) => {
                writer.write_record(HEADER).map_err(io::Error::other)?;
                statement
            }
            State::Rows(statement) => statement,
            State::Done => return Ok(None),
        };
        let mut written = 0;
        let mut ended = false;
        while written < ROWS_PER_CHUNK && !ended {
            match statement.next().await {
                Ok(Some(StatementEvent::Entry(entry))) => {
                    write_entry(&mut writer, &entry).map_err(io::Error::other)?;
                    written += 1;
                }
                Ok(Some(StatementEvent::Section(_))) => {}
                Ok(None) => ended = true,
                Err(err) => {
                    tracing::error!(
                        error = %chain(&err),
                        client = %statement.client().id,
                        "a CSV statement broke off partway"
                    );
                    return Err(io::Error::other(
                        "the statement could not be read to its end",
                    ));
                }
            }
        }
        let chunk = writer
            .into_inner()
            .map_err(|e| io::Error::other(e.to_string()))?;
        let next = if ended {
            State::Done
        } else {
            State::Rows(statement)
        };
        Ok(Some((Bytes::from(chunk), next)))
    })
}

/// One entry as a row.
///
/// # Errors
/// When the writer fails.
pub(crate) fn write_entry<W: io::Write>(
    writer: &mut csv::Writer<W>,
    entry: &StatementEntry,
) -> csv::Result<()> {
    let amount = |m: Option<portal_domain::Money>| m.map(|m| m.decimal()).unwrap_or_default();
    writer.write_record(
        [
            Cow::Owned(entry.date.to_string()),
            Cow::Borrowed(entry.kind.as_str()),
            text(&entry.reference),
            text(&entry.description),
            Cow::Borrowed(entry.currency.code()),
            Cow::Owned(amount(entry.debit)),
            Cow::Owned(amount(entry.credit)),
            Cow::Owned(entry.balance.decimal()),
        ]
        .iter()
        .map(|c| c.as_bytes()),
    )
}

/// A text cell, with a `'` before it when a spreadsheet would otherwise
/// read it as a formula. Amounts never go through here: `-12.50` is a
/// number, and stays one.
pub(crate) fn text(value: &str) -> Cow<'_, str> {
    if value.starts_with(FORMULA_STARTS) {
        Cow::Owned(format!("'{value}"))
    } else {
        Cow::Borrowed(value)
    }
}

#[cfg(test)]
mod tests {
    use chrono::NaiveDate;
    use portal_domain::{Currency, EntryKind, Money};

    use super::*;

    fn entry(
        reference: &str,
        description: &str,
        debit: Option<i64>,
        credit: Option<i64>,
        balance: i64,
    ) -> StatementEntry {
        let usd = Currency::parse("currency", "USD").unwrap();
        StatementEntry {
            date: NaiveDate::from_ymd_opt(2026, 11, 2).unwrap(),
            kind: EntryKind::Invoice,
            reference: reference.to_owned(),
            description: description.to_owned(),
            currency: usd,
            debit: debit.map(|m| Money::new(m, usd)),
            credit: credit.map(|m| Money::new(m, usd)),
            balance: Money::new(balance, usd),
        }
    }

    fn csv_of(entries: &[StatementEntry]) -> String {
        let mut writer = csv::Writer::from_writer(Vec::new());
        writer.write_record(HEADER).unwrap();
        for e in entries {
            write_entry(&mut writer, e).unwrap();
        }
        String::from_utf8(writer.into_inner().unwrap()).unwrap()
    }

    #[test]
    fn formula_starts_are_neutralised_in_text_cells_only() {
        for hostile in ["=1+1", "+1", "-2", "@SUM(A1)", "\tx", "\rx"] {
            assert_eq!(text(hostile), format!("'{hostile}"), "{hostile:?}");
        }
        for fine in ["INV-1", "a=b", " =x", "", "'quoted"] {
            assert_eq!(text(fine), fine);
        }
        let out = csv_of(&[entry(
            "=HYPERLINK(\"x\")",
            "-rebate, \"net\"",
            None,
            Some(1250),
            -1250,
        )]);
        assert_eq!(
            out,
            "date,type,reference,description,currency,debit,credit,balance\n\
             2026-11-02,invoice,\"'=HYPERLINK(\"\"x\"\")\",\"'-rebate, \"\"net\"\"\",USD,,12.50,-12.50\n"
        );
    }

    #[test]
    fn amounts_are_plain_decimals_and_empty_when_absent() {
        let out = csv_of(&[entry("INV-1", "Line\nbreak", Some(123_456), None, 5)]);
        let mut reader = csv::Reader::from_reader(out.as_bytes());
        let row = reader.records().next().unwrap().unwrap();
        assert_eq!(
            row.iter().collect::<Vec<_>>(),
            [
                "2026-11-02",
                "invoice",
                "INV-1",
                "Line\nbreak",
                "USD",
                "1234.56",
                "",
                "0.05"
            ]
        );
    }
}
