//! Sheets: what a PDF shows, every value already formatted as text. A
//! renderer lays a sheet out; it decides nothing about amounts, dates or
//! wording, so every renderer prints the same figures.
//!
//! Sheets serialize to JSON for renderers that take data that way. Every
//! value is data, never markup: a description that looks like markup is
//! printed as it is.

use chrono::{DateTime, Datelike as _, Utc};
use serde::Serialize;

use super::account::Account;
use super::branding::Logo;

/// The business at the head of every document.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Letterhead {
    pub business: String,
    /// The postal address, one entry per line.
    pub address: Vec<String>,
    /// `#rrggbb`.
    pub accent: String,
    /// Passed to the renderer beside the data, not inside it.
    #[serde(skip)]
    pub logo: Option<Logo>,
}

impl Letterhead {
    pub fn of(account: &Account, logo: Option<Logo>) -> Self {
        Self {
            business: account.name.to_string(),
            address: account
                .settings
                .address
                .as_ref()
                .map(|a| {
                    a.as_str()
                        .lines()
                        .map(str::trim)
                        .filter(|l| !l.is_empty())
                        .map(str::to_owned)
                        .collect()
                })
                .unwrap_or_default(),
            accent: account.settings.accent_colour.to_string(),
            logo,
        }
    }
}

/// A calendar date as the PDF's metadata takes it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct SheetDate {
    pub year: i32,
    pub month: u32,
    pub day: u32,
}

/// The PDF's own metadata: title, author (the business) and date. The
/// same sheet with the same `created` gives the same file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SheetMeta {
    pub title: String,
    pub author: String,
    pub date: SheetDate,
    #[serde(skip)]
    pub created: DateTime<Utc>,
}

impl SheetMeta {
    pub fn new(title: String, author: String, created: DateTime<Utc>) -> Self {
        Self {
            title,
            author,
            date: SheetDate {
                year: created.year(),
                month: created.month(),
                day: created.day(),
            },
            created,
        }
    }
}

/// A label and its value (`Due`, `30 Nov 2026`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Fact {
    pub label: String,
    pub value: String,
}

impl Fact {
    pub fn new(label: impl Into<String>, value: impl Into<String>) -> Self {
        Self {
            label: label.into(),
            value: value.into(),
        }
    }
}

/// A document line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SheetLine {
    pub description: String,
    pub quantity: String,
    pub unit_price: String,
    pub amount: String,
}

/// An invoice or estimate.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct InvoiceSheet {
    pub meta: SheetMeta,
    pub letterhead: Letterhead,
    /// `Invoice` or `Estimate`.
    pub heading: String,
    pub number: String,
    /// `Open`, `Paid`, `Void`…
    pub status: String,
    pub title: Option<String>,
    /// The client, one entry per line.
    pub bill_to: Vec<String>,
    /// Issue date, due date, currency.
    pub facts: Vec<Fact>,
    pub lines: Vec<SheetLine>,
    /// Total, amount paid, amount due.
    pub totals: Vec<Fact>,
    /// Payments applied to it: date, method, amount.
    pub payments: Vec<Fact>,
    /// How to pay, as the business wrote it.
    pub instructions: Option<String>,
    /// A closing remark (`Paid in full, thank you.`).
    pub note: Option<String>,
}

/// An invoice a receipt's payment went to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ReceiptLine {
    pub number: String,
    pub total: String,
    /// What this payment applied to it.
    pub applied: String,
    /// What it still owed right after this payment.
    pub still_due: String,
}

/// The receipt of a succeeded payment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ReceiptSheet {
    pub meta: SheetMeta,
    pub letterhead: Letterhead,
    pub number: String,
    pub bill_to: Vec<String>,
    /// The amount paid, in large type.
    pub amount: String,
    /// Date, method, reference.
    pub facts: Vec<Fact>,
    pub invoices: Vec<ReceiptLine>,
    /// Applied, unapplied credit, refunded, remaining balance.
    pub totals: Vec<Fact>,
    pub note: Option<String>,
}

/// A statement row.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SheetRow {
    pub date: String,
    pub kind: String,
    pub reference: String,
    pub description: String,
    /// Empty when the row has none.
    pub debit: String,
    pub credit: String,
    pub balance: String,
}

/// One currency of a statement.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SheetSection {
    pub currency: String,
    pub rows: Vec<SheetRow>,
    /// Opening, invoiced, paid, refunded, closing.
    pub summary: Vec<Fact>,
    /// Current, 1–30, 31–60, 61–90, over 90 days, total.
    pub aging: Vec<Fact>,
}

/// A statement of account.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StatementSheet {
    pub meta: SheetMeta,
    pub letterhead: Letterhead,
    pub bill_to: Vec<String>,
    /// `1 Jan 2026 – 26 Nov 2026`.
    pub period: String,
    /// Generated on, time zone.
    pub facts: Vec<Fact>,
    pub sections: Vec<SheetSection>,
    /// Said when there are no sections.
    pub empty: Option<String>,
}

/// Anything a renderer renders.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "sheet", rename_all = "snake_case")]
pub enum Sheet {
    Invoice(InvoiceSheet),
    Receipt(ReceiptSheet),
    Statement(StatementSheet),
}

impl Sheet {
    pub fn meta(&self) -> &SheetMeta {
        match self {
            Self::Invoice(s) => &s.meta,
            Self::Receipt(s) => &s.meta,
            Self::Statement(s) => &s.meta,
        }
    }

    pub fn letterhead(&self) -> &Letterhead {
        match self {
            Self::Invoice(s) => &s.letterhead,
            Self::Receipt(s) => &s.letterhead,
            Self::Statement(s) => &s.letterhead,
        }
    }
}
