//! Row types as diesel reads and writes them, and their conversions to and
//! from the domain's types, one file per area. A row that does not convert
//! back is corrupt data and surfaces as a backend error, never as a panic.

mod access;
mod accounts;
mod documents;
mod idempotency;
mod outbox;
mod overview;
mod payments;
mod processor;
mod statements;

use std::fmt::Display;

use portal_domain::ports::StoreError;

pub(crate) use access::{ActivationRow, AuditRow, LinkRequestRow, LinkRow, SessionRow};
pub(crate) use accounts::{AccountRow, ApiKeyRow, ClientRow, ContactRow, LogoRow};
pub(crate) use documents::{
    DocumentPartRow, DocumentRow, DocumentStatusRow, LineRow, PaymentEntryRow, RecipientRow,
    RefundEntryRow, document, document_from_parts,
};
pub(crate) use idempotency::IdempotencyRow;
pub(crate) use outbox::{
    AttachmentRow, EmailRow, OutboxParts, OutboxRow, PayloadRows, RequestRow, outbox_message,
};
pub(crate) use overview::{OverviewRow, overview};
pub(crate) use payments::{
    AllocationRow, PaymentRow, RefundAllocationRow, RefundRow, SettlementRow, payment, refund_rows,
};
pub(crate) use processor::{
    CheckoutAllocationRow, CheckoutRow, ConnectionRow, CustomerRow, MethodRow, ProcessorEventRow,
    checkout, checkout_rows,
};
pub(crate) use statements::{StatementInvoiceRow, StatementPaymentRow, StatementRefundRow};

pub(crate) fn corrupt(what: impl Display) -> StoreError {
    StoreError::Backend(format!("corrupt data in the store: {what}").into())
}

fn parsed<T, E: Display>(column: &str, result: Result<T, E>) -> Result<T, StoreError> {
    result.map_err(|e| corrupt(format_args!("{column}: {e}")))
}

fn known<T>(column: &str, text: &str, value: Option<T>) -> Result<T, StoreError> {
    value.ok_or_else(|| corrupt(format_args!("{column}: unknown value {text:?}")))
}

/// A column the row's kind requires.
fn required<T>(column: &str, value: Option<T>) -> Result<T, StoreError> {
    value.ok_or_else(|| corrupt(format_args!("{column}: missing")))
}

fn ip(column: &str, text: Option<String>) -> Result<Option<std::net::IpAddr>, StoreError> {
    text.map(|t| parsed(column, t.parse())).transpose()
}

/// A count or version as the domain keeps it.
fn unsigned<T: TryFrom<i64>>(column: &str, value: i64) -> Result<T, StoreError> {
    T::try_from(value).map_err(|_| corrupt(format_args!("{column}: {value} is out of range")))
}

/// A version or count as a column keeps it.
pub(crate) fn signed(value: u64) -> i64 {
    i64::try_from(value).unwrap_or(i64::MAX)
}

/// Converts each row, failing on the first corrupt one.
pub(crate) fn convert<R, T>(rows: Vec<R>) -> Result<Vec<T>, StoreError>
where
    T: TryFrom<R, Error = StoreError>,
{
    rows.into_iter().map(T::try_from).collect()
}
