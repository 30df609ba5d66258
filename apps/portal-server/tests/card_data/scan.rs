//! Reading everything back to scan it: every row of every table, through
//! the database's own command-line client (`sqlite3`, `psql`), and the
//! scan itself.

use std::collections::BTreeMap;
use std::process::{Command, Stdio};

use portal_test_support::cards::assert_no_card_numbers;

/// Hash-like runs of hexadecimal digits at least this long are blanked
/// before a scan.
const HEX_RUN: usize = 32;

/// Fails when `text` holds something that could be a card number.
///
/// SHA-256 hashes (of link tokens, session secrets, API keys, idempotent
/// requests) are stored and logged as 64 hexadecimal digits, and about one
/// random hash in a few hundred holds a Luhn-valid run of 13 to 19 decimal
/// digits: runs of 32 or more hexadecimal digits are blanked first. A
/// card number is never one, nor part of one unless letters a to f stand
/// right against it.
pub(crate) fn scan(what: &str, text: &str) {
    assert_no_card_numbers(what, &blank_hex_runs(text));
}

/// Fails when one of `numbers` stands in `bytes` as a run of digits. For
/// a database file, free pages and all: a record holds its values back
/// to back, after header bytes that may be digits too, so the digits of
/// neighbouring values (a migration's version after a header byte, a
/// UUID ending in digits before a year) run together, and any run of 13
/// to 19 digits would be a guess. The numbers that were entered are
/// known.
pub(crate) fn assert_absent(what: &str, bytes: &[u8], numbers: &[String]) {
    for number in numbers {
        let found = bytes
            .windows(number.len())
            .filter(|w| *w == number.as_bytes())
            .count();
        assert!(
            found == 0,
            "{what} holds the card number {}…{} {found} time(s)",
            &number[..6],
            &number[number.len() - 4..]
        );
    }
}

fn blank_hex_runs(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut run = String::new();
    let flush = |run: &mut String, out: &mut String| {
        if run.len() >= HEX_RUN {
            out.push_str("<hex>");
        } else {
            out.push_str(run);
        }
        run.clear();
    };
    for c in text.chars() {
        if c.is_ascii_hexdigit() {
            run.push(c);
        } else {
            flush(&mut run, &mut out);
            out.push(c);
        }
    }
    flush(&mut run, &mut out);
    out
}

/// The migration harness's own table: its versions are 14-digit stamps
/// (`20261127000001`), one in ten of which passes the Luhn check.
const MIGRATIONS: &str = "__diesel_schema_migrations";

/// Every row of every table of the database at `url` (but the migration
/// harness's), as text, by table.
pub(crate) fn database_dump(url: &str) -> BTreeMap<String, Vec<String>> {
    match url.strip_prefix("sqlite://") {
        Some(path) => sqlite_dump(path),
        None => postgres_dump(url),
    }
}

/// Runs a database client; answers its standard output.
fn client(command: &mut Command) -> String {
    let program = command.get_program().to_string_lossy().into_owned();
    let output = command
        .stdin(Stdio::null())
        .output()
        .unwrap_or_else(|e| panic!("cannot run {program} (is it installed?): {e}"));
    assert!(
        output.status.success(),
        "{program} failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn quoted(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// SQLite: every column of every row, each value cast to text (a blob's
/// bytes as they are).
fn sqlite_dump(path: &str) -> BTreeMap<String, Vec<String>> {
    let sqlite = |sql: &str| {
        client(
            Command::new("sqlite3")
                .args([
                    "-readonly",
                    "-batch",
                    "-separator",
                    "\u{1f}",
                    "-newline",
                    "\u{1e}",
                ])
                .arg(path)
                .arg(sql),
        )
    };
    let tables = sqlite("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name");
    let mut dump = BTreeMap::new();
    for table in tables
        .split('\u{1e}')
        .filter(|t| !t.is_empty() && *t != MIGRATIONS)
    {
        let columns = sqlite(&format!(
            "SELECT name FROM pragma_table_info('{}')",
            table.replace('\'', "''")
        ));
        let select: Vec<String> = columns
            .split('\u{1e}')
            .filter(|c| !c.is_empty())
            .map(|c| format!("CAST({} AS TEXT)", quoted(c)))
            .collect();
        let rows = sqlite(&format!(
            "SELECT {} FROM {}",
            select.join(", "),
            quoted(table)
        ));
        let mut rows: Vec<String> = rows
            .split('\u{1e}')
            .filter(|r| !r.is_empty())
            .map(str::to_owned)
            .collect();
        if table == ATTACHMENTS {
            rows = sqlite(&format!(
                "SELECT outbox_id || ' ' || filename || ' ' || content_type || ' ' || hex(content) FROM {ATTACHMENTS}"
            ))
            .split('\u{1e}')
            .filter(|r| !r.is_empty())
            .map(attachment_row)
            .collect();
        }
        dump.insert(table.to_owned(), rows);
    }
    dump
}

/// The table that keeps emails' attachments: PDFs, whose bytes hold runs
/// of digits of their own (offsets, object numbers). What a PDF says is
/// its text, so a row is scanned with its PDF read as text.
const ATTACHMENTS: &str = "outbox_attachments";

/// `id filename type HEX` → the same with the PDF's text for the hex.
fn attachment_row(row: &str) -> String {
    let (head, hex) = row.rsplit_once(' ').unwrap_or((row, ""));
    let bytes: Vec<u8> = (0..hex.len() / 2)
        .map(|i| u8::from_str_radix(&hex[2 * i..2 * i + 2], 16).expect("hex content"))
        .collect();
    format!("{head} {}", pdf_text(&bytes))
}

/// The text of a PDF, as `pdftotext` reads it.
pub(crate) fn pdf_text(bytes: &[u8]) -> String {
    assert!(
        bytes.starts_with(b"%PDF-"),
        "an attachment that is not a PDF"
    );
    let path = std::env::temp_dir().join(format!(
        "card-scan-{}-{:x}.pdf",
        std::process::id(),
        bytes.len() ^ bytes.iter().map(|b| usize::from(*b)).sum::<usize>()
    ));
    std::fs::write(&path, bytes).expect("a temporary file");
    let out = Command::new("pdftotext")
        .args(["-enc", "UTF-8"])
        .arg(&path)
        .arg("-")
        .output()
        .expect("pdftotext (poppler-utils) is installed");
    let _ = std::fs::remove_file(&path);
    assert!(out.status.success(), "pdftotext failed");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// PostgreSQL: every row of every table of the schema as JSON, with
/// `bytea` written in the escape format (printable bytes as they are).
fn postgres_dump(url: &str) -> BTreeMap<String, Vec<String>> {
    let psql = |sql: &str| {
        client(
            Command::new("psql")
                .arg(url)
                .args(["-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1"])
                .args(["-c", "SET bytea_output = 'escape'", "-c", sql])
                .env("PGCONNECT_TIMEOUT", "10"),
        )
    };
    let tables =
        psql("SELECT tablename FROM pg_tables WHERE schemaname = current_schema() ORDER BY 1");
    let mut dump = BTreeMap::new();
    for table in tables.lines().filter(|t| !t.is_empty() && *t != MIGRATIONS) {
        if table == ATTACHMENTS {
            let rows = psql(&format!(
                "SELECT outbox_id || ' ' || filename || ' ' || content_type || ' ' || encode(content, 'hex') FROM {ATTACHMENTS}"
            ));
            dump.insert(
                table.to_owned(),
                rows.lines()
                    .filter(|r| !r.is_empty())
                    .map(attachment_row)
                    .collect(),
            );
            continue;
        }
        let rows = psql(&format!(
            "SELECT row_to_json(t)::text FROM {} t",
            quoted(table)
        ));
        dump.insert(
            table.to_owned(),
            rows.lines()
                .filter(|r| !r.is_empty())
                .map(str::to_owned)
                .collect(),
        );
    }
    dump
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_numbers_are_found_among_bytes() {
        let number = ["4000", "0027", "6000", "3184"].concat();
        assert_absent(
            "a file",
            b"\x003202611270000012026-11-26",
            std::slice::from_ref(&number),
        );
        let file = [b"\x01\x02".as_slice(), number.as_bytes(), b"\xff"].concat();
        assert!(std::panic::catch_unwind(|| assert_absent("a file", &file, &[number])).is_err());
    }

    #[test]
    fn hashes_are_blanked_and_card_numbers_are_not() {
        let hash = "9a4b1e3c".repeat(8);
        assert_eq!(
            blank_hex_runs(&format!("token_hash={hash};")),
            "token_hash=<hex>;"
        );
        let number = ["4000", "0000", "0000", "0341"].concat();
        assert_eq!(
            blank_hex_runs(&format!("x={number}")),
            format!("x={number}")
        );
        assert!(
            std::panic::catch_unwind(|| scan("a row", &format!("{{\"pan\":\"{number}\"}}")))
                .is_err()
        );
    }
}
