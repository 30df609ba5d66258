//! Wire types of a client's statement: the query that picks its range and
//! format, and the statement as JSON. Amounts are in minor units of their
//! section's currency, as everywhere in the API; a balance below zero is
//! credit in the client's favour.

use portal_domain::service::StatementFormat;
use portal_domain::{
    Aging, EntryKind, MoneyError, SectionSummary, Statement, StatementEntry, StatementSection,
};
use serde::{Deserialize, Serialize};
use utoipa::openapi::schema::{ObjectBuilder, Type};
use utoipa::{IntoParams, ToSchema};

use super::time;
use crate::api::schema::date_schema;

fn from_schema() -> ObjectBuilder {
    date_schema().description(Some(
        "The first day, in the account's time zone; the first of January of this year when left out.",
    ))
}

fn to_schema() -> ObjectBuilder {
    date_schema().description(Some(
        "The last day, in the account's time zone; today when left out. Not before `from`, and less than 10 years after it.",
    ))
}

fn format_schema() -> ObjectBuilder {
    ObjectBuilder::new()
        .schema_type(Type::String)
        .description(Some(
            "`json` (the default) for the statement as data, `csv` for a spreadsheet, `pdf` to read and print.",
        ))
        .enum_values(Some(
            [
                StatementFormat::Json,
                StatementFormat::Csv,
                StatementFormat::Pdf,
            ]
            .map(StatementFormat::as_str),
        ))
        .default(Some(StatementFormat::Json.as_str().into()))
}

/// Which days a statement covers, both inclusive, and in which format.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub(crate) struct StatementQuery {
    #[param(schema_with = from_schema)]
    pub(crate) from: Option<String>,
    #[param(schema_with = to_schema)]
    pub(crate) to: Option<String>,
    #[param(schema_with = format_schema)]
    pub(crate) format: Option<String>,
}

/// A client's statement for a range of days: one section per currency.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct StatementOut {
    #[schema(format = "uuid")]
    client_id: String,
    #[schema(format = Date)]
    from: String,
    #[schema(format = Date)]
    to: String,
    /// The IANA zone the days are reckoned in: the account's.
    time_zone: String,
    #[schema(format = DateTime)]
    generated_at: String,
    /// One per currency the client was billed or paid in, by currency
    /// code; currencies are never added together. None when the client
    /// has no invoices or payments at all.
    sections: Vec<SectionOut>,
}

/// One currency's part of a statement: `opening + invoiced - paid +
/// refunded = closing`.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct SectionOut {
    currency: &'static str,
    /// The balance before the first day.
    opening: i64,
    /// Invoices issued in the range.
    invoiced: i64,
    /// Payments received in the range.
    paid: i64,
    /// Refunds made in the range.
    refunded: i64,
    /// The balance at the end of the last day.
    closing: i64,
    aging: AgingOut,
    /// The opening row, every invoice, payment and refund of the range
    /// in date order with the balance after it, and the closing row.
    entries: Vec<EntryOut>,
}

/// What invoices still owed at the end of the range, by how long past
/// due it was then. It can differ from the closing balance by credit not
/// applied to any invoice.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct AgingOut {
    /// Not yet due.
    current: i64,
    days_1_30: i64,
    days_31_60: i64,
    days_61_90: i64,
    over_90: i64,
    total: i64,
}

/// What a statement row records.
#[derive(Debug, Clone, Copy, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub(crate) enum EntryType {
    OpeningBalance,
    Invoice,
    Payment,
    Refund,
    ClosingBalance,
}

impl From<EntryKind> for EntryType {
    fn from(kind: EntryKind) -> Self {
        match kind {
            EntryKind::OpeningBalance => Self::OpeningBalance,
            EntryKind::Invoice => Self::Invoice,
            EntryKind::Payment => Self::Payment,
            EntryKind::Refund => Self::Refund,
            EntryKind::ClosingBalance => Self::ClosingBalance,
        }
    }
}

/// One row of a statement.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct EntryOut {
    #[schema(format = Date)]
    date: String,
    #[serde(rename = "type")]
    kind: EntryType,
    /// The invoice's number, or the payment's reference (its id when it
    /// has none); empty on the balance rows.
    reference: String,
    description: String,
    /// What the row adds to the balance (invoices, refunds).
    debit: Option<i64>,
    /// What the row takes off the balance (payments).
    credit: Option<i64>,
    /// The balance after the row.
    balance: i64,
}

impl From<&StatementEntry> for EntryOut {
    fn from(e: &StatementEntry) -> Self {
        Self {
            date: e.date.to_string(),
            kind: e.kind.into(),
            reference: e.reference.clone(),
            description: e.description.clone(),
            debit: e.debit.map(|m| m.minor()),
            credit: e.credit.map(|m| m.minor()),
            balance: e.balance.minor(),
        }
    }
}

impl AgingOut {
    fn new(aging: &Aging) -> Result<Self, MoneyError> {
        Ok(Self {
            current: aging.current.minor(),
            days_1_30: aging.days_1_30.minor(),
            days_31_60: aging.days_31_60.minor(),
            days_61_90: aging.days_61_90.minor(),
            over_90: aging.over_90.minor(),
            total: aging.total()?.minor(),
        })
    }
}

impl SectionOut {
    fn new(section: &StatementSection) -> Result<Self, MoneyError> {
        let SectionSummary {
            currency,
            opening,
            invoiced,
            paid,
            refunded,
            closing,
            aging,
        } = &section.summary;
        Ok(Self {
            currency: currency.code(),
            opening: opening.minor(),
            invoiced: invoiced.minor(),
            paid: paid.minor(),
            refunded: refunded.minor(),
            closing: closing.minor(),
            aging: AgingOut::new(aging)?,
            entries: section.entries.iter().map(EntryOut::from).collect(),
        })
    }
}

impl StatementOut {
    /// # Errors
    /// An aging total out of range.
    pub(crate) fn new(statement: &Statement) -> Result<Self, MoneyError> {
        Ok(Self {
            client_id: statement.client.to_string(),
            from: statement.range.from().to_string(),
            to: statement.range.to().to_string(),
            time_zone: statement.time_zone.name().to_owned(),
            generated_at: time(statement.generated_at),
            sections: statement
                .sections
                .iter()
                .map(SectionOut::new)
                .collect::<Result<_, _>>()?,
        })
    }
}
