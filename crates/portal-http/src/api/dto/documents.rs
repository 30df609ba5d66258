//! Wire types of requests about invoices, estimates and contracts: one
//! create type per kind, so each kind's description lists exactly the
//! fields it takes, and their checking into domain input. The answers are
//! in `document_answers.rs`.

use portal_domain::{
    ClientId, Currency, Description, DocumentInput, DocumentKind, DocumentNumber, LineItem, Money,
    Quantity, ValidationError,
};
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};

use super::account::present;
use crate::api::schema::{
    self, CurrencyCode, DateText, DescriptionText, NumberText, QuantityValue, UnitAmount,
    cursor_schema, limit_schema,
};

/// One line of a document.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct LineInput {
    pub(crate) description: DescriptionText,
    pub(crate) quantity: QuantityValue,
    pub(crate) unit_amount: UnitAmount,
}

/// A field another kind of document has: refused when present, with a
/// message saying which kind it belongs to.
type Foreign = Option<Option<serde_json::Value>>;

/// A draft invoice.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct CreateInvoice {
    #[schema(format = "uuid")]
    pub(crate) client_id: String,
    pub(crate) number: NumberText,
    pub(crate) title: Option<DescriptionText>,
    pub(crate) currency: CurrencyCode,
    pub(crate) issue_date: DateText,
    /// When payment is due; not before `issue_date`.
    #[schema(value_type = DateText, required = true)]
    pub(crate) due_date: Option<DateText>,
    #[serde(default)]
    #[schema(required = true, min_items = 1, max_items = 500)]
    pub(crate) lines: Vec<LineInput>,
    #[serde(default, deserialize_with = "present")]
    #[schema(ignore)]
    pub(crate) valid_until: Foreign,
}

/// A draft estimate.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct CreateEstimate {
    #[schema(format = "uuid")]
    pub(crate) client_id: String,
    pub(crate) number: NumberText,
    pub(crate) title: Option<DescriptionText>,
    pub(crate) currency: CurrencyCode,
    pub(crate) issue_date: DateText,
    /// Until when the estimate holds; not before `issue_date`.
    pub(crate) valid_until: Option<DateText>,
    #[serde(default)]
    #[schema(required = true, min_items = 1, max_items = 500)]
    pub(crate) lines: Vec<LineInput>,
    #[serde(default, deserialize_with = "present")]
    #[schema(ignore)]
    pub(crate) due_date: Foreign,
}

/// A draft contract; lines are optional.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct CreateContract {
    #[schema(format = "uuid")]
    pub(crate) client_id: String,
    pub(crate) number: NumberText,
    pub(crate) title: Option<DescriptionText>,
    pub(crate) currency: CurrencyCode,
    pub(crate) issue_date: DateText,
    #[serde(default)]
    #[schema(max_items = 500)]
    pub(crate) lines: Vec<LineInput>,
    #[serde(default, deserialize_with = "present")]
    #[schema(ignore)]
    pub(crate) due_date: Foreign,
    #[serde(default, deserialize_with = "present")]
    #[schema(ignore)]
    pub(crate) valid_until: Foreign,
}

/// The fields every kind shares, checked into domain values.
struct Common<'a> {
    client_id: &'a str,
    number: &'a NumberText,
    title: Option<&'a DescriptionText>,
    currency: &'a CurrencyCode,
    issue_date: &'a str,
    lines: &'a [LineInput],
}

fn refuse_foreign(field: &str, value: &Foreign, why: &str) -> Result<(), ValidationError> {
    match value {
        Some(_) => Err(ValidationError::new(field, why)),
        None => Ok(()),
    }
}

fn input(
    kind: DocumentKind,
    c: &Common<'_>,
    due: Option<&str>,
) -> Result<DocumentInput, ValidationError> {
    let client_id: ClientId = schema::id("client_id", c.client_id)?;
    let currency = schema::currency("currency", c.currency)?;
    let lines = c
        .lines
        .iter()
        .enumerate()
        .map(|(i, line)| line_item(i, line, currency))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(DocumentInput {
        kind,
        client_id,
        number: DocumentNumber::parse("number", &c.number.0)?,
        title: c
            .title
            .map(|t| Description::parse("title", &t.0))
            .transpose()?,
        currency,
        issue_date: schema::date("issue_date", c.issue_date)?,
        due_date: due.map(|d| schema::date(kind.due_field(), d)).transpose()?,
        lines,
    })
}

fn line_item(i: usize, line: &LineInput, currency: Currency) -> Result<LineItem, ValidationError> {
    let at = format!("lines[{i}]");
    let description = Description::parse(&format!("{at}.description"), &line.description.0)?;
    let field = format!("{at}.quantity");
    let quantity = match &line.quantity.0 {
        serde_json::Value::Number(n) => Quantity::parse(&field, &n.to_string()),
        serde_json::Value::String(s) => Quantity::parse(&field, s),
        _ => Err(ValidationError::new(field, "must be a number")),
    }?;
    // The line checks the range of the unit price itself.
    LineItem::new(
        description,
        quantity,
        Money::new(line.unit_amount.0, currency),
    )
    .map_err(|e| e.within(&at))
}

impl CreateInvoice {
    pub(crate) fn input(&self) -> Result<DocumentInput, ValidationError> {
        refuse_foreign(
            "valid_until",
            &self.valid_until,
            "applies to estimates; invoices have a due_date",
        )?;
        input(
            DocumentKind::Invoice,
            &self.common(),
            self.due_date.as_ref().map(|d| d.0.as_str()),
        )
    }

    fn common(&self) -> Common<'_> {
        Common {
            client_id: &self.client_id,
            number: &self.number,
            title: self.title.as_ref(),
            currency: &self.currency,
            issue_date: &self.issue_date.0,
            lines: &self.lines,
        }
    }
}

impl CreateEstimate {
    pub(crate) fn input(&self) -> Result<DocumentInput, ValidationError> {
        refuse_foreign(
            "due_date",
            &self.due_date,
            "applies to invoices; estimates have valid_until",
        )?;
        let common = Common {
            client_id: &self.client_id,
            number: &self.number,
            title: self.title.as_ref(),
            currency: &self.currency,
            issue_date: &self.issue_date.0,
            lines: &self.lines,
        };
        let valid_until = self.valid_until.as_ref().map(|d| d.0.as_str());
        input(DocumentKind::Estimate, &common, valid_until)
    }
}

impl CreateContract {
    pub(crate) fn input(&self) -> Result<DocumentInput, ValidationError> {
        refuse_foreign("due_date", &self.due_date, "does not apply to a contract")?;
        refuse_foreign(
            "valid_until",
            &self.valid_until,
            "does not apply to a contract",
        )?;
        let common = Common {
            client_id: &self.client_id,
            number: &self.number,
            title: self.title.as_ref(),
            currency: &self.currency,
            issue_date: &self.issue_date.0,
            lines: &self.lines,
        };
        input(DocumentKind::Contract, &common, None)
    }
}

/// Which page of a list to read, optionally of one client's items
/// (documents, payments).
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub(crate) struct ClientListQuery {
    /// Only this client's items.
    #[param(format = "uuid")]
    pub(crate) client_id: Option<String>,
    /// Items per page.
    #[param(schema_with = limit_schema)]
    pub(crate) limit: Option<u32>,
    /// The `next_cursor` of the previous page.
    #[param(schema_with = cursor_schema)]
    pub(crate) cursor: Option<String>,
}

/// Sending a document to one of its client's contacts.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct SendDocument {
    #[schema(format = "uuid")]
    pub(crate) contact_id: String,
}
