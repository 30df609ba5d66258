//! Payments received from clients, their allocations to invoices, and
//! refunds. One payment may settle several invoices of its client; a
//! refund takes money back from a payment and reopens what it reduces.

use std::fmt;

use chrono::{DateTime, Utc};

use super::ids::{AccountId, ClientId, ConnectionId, DocumentId, PaymentId, RefundId};
use super::ledger::LedgerEntry;
use super::money::{Currency, Money, MoneyError};
use super::processor::{CardBrand, Last4, ProcessorKind, ProcessorRef};
use super::text::{Description, Reference, ValidationError};

/// Where a payment stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PaymentStatus {
    /// Submitted and not settled yet (a bank debit in flight).
    Pending,
    Succeeded,
    Failed,
}

impl PaymentStatus {
    pub const ALL: [Self; 3] = [Self::Pending, Self::Succeeded, Self::Failed];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Succeeded => "succeeded",
            Self::Failed => "failed",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.as_str() == text)
    }
}

/// How a payment recorded by hand arrived.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ManualKind {
    BankTransfer,
    Check,
    Cash,
    Other,
}

impl ManualKind {
    pub const ALL: [Self; 4] = [Self::BankTransfer, Self::Check, Self::Cash, Self::Other];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::BankTransfer => "bank_transfer",
            Self::Check => "check",
            Self::Cash => "cash",
            Self::Other => "other",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == text)
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::BankTransfer => "Bank transfer",
            Self::Check => "Check",
            Self::Cash => "Cash",
            Self::Other => "Other",
        }
    }
}

/// How the money came.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PaymentMethod {
    /// Received outside the portal and recorded by an operator.
    Manual(ManualKind),
    /// A card charged through a processor. The last four digits are
    /// unknown only while a charge with a fresh card is in flight.
    Card {
        brand: CardBrand,
        last4: Option<Last4>,
    },
    /// A bank account debited through a processor (ACH, eCheck).
    BankDebit { last4: Option<Last4> },
}

impl PaymentMethod {
    /// The method's family: `manual`, `card` or `bank_debit`.
    pub fn type_str(self) -> &'static str {
        match self {
            Self::Manual(_) => "manual",
            Self::Card { .. } => "card",
            Self::BankDebit { .. } => "bank_debit",
        }
    }
}

/// "Bank transfer", "Visa •••• 4242": what a client reads on a receipt.
impl fmt::Display for PaymentMethod {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Manual(kind) => f.write_str(kind.label()),
            Self::Card {
                brand,
                last4: Some(last4),
            } => write!(f, "{} •••• {last4}", brand.label()),
            Self::Card { brand, last4: None } => f.write_str(brand.label()),
            Self::BankDebit { last4: Some(last4) } => write!(f, "Bank account •••• {last4}"),
            Self::BankDebit { last4: None } => f.write_str("Bank account"),
        }
    }
}

/// Where a payment made through a processor went there.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProcessorCharge {
    pub kind: ProcessorKind,
    pub connection_id: ConnectionId,
    /// The processor's id of the charge, once it answered.
    pub reference: Option<ProcessorRef>,
}

/// Part of a payment or refund, on one invoice.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Allocation {
    pub document_id: DocumentId,
    pub amount: Money,
}

/// Money given back from a payment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refund {
    pub id: RefundId,
    pub payment_id: PaymentId,
    pub amount: Money,
    pub reason: Option<Description>,
    pub created_at: DateTime<Utc>,
    /// What it took back from each invoice; the rest came from the part of
    /// the payment that was applied to no invoice.
    pub allocations: Vec<Allocation>,
}

impl Refund {
    /// The refund as entries on the ledgers of the invoices it reduces.
    pub fn ledger_entries(&self) -> impl Iterator<Item = (DocumentId, LedgerEntry)> + '_ {
        self.allocations.iter().map(|a| {
            (
                a.document_id,
                LedgerEntry::Refund {
                    refund: self.id,
                    payment: self.payment_id,
                    amount: a.amount,
                    refunded_at: self.created_at,
                },
            )
        })
    }
}

/// A payment received from a client.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Payment {
    id: PaymentId,
    account_id: AccountId,
    client_id: ClientId,
    amount: Money,
    method: PaymentMethod,
    reference: Option<Reference>,
    received_at: DateTime<Utc>,
    status: PaymentStatus,
    allocations: Vec<Allocation>,
    refunds: Vec<Refund>,
    created_at: DateTime<Utc>,
    version: u64,
    processor: Option<ProcessorCharge>,
    failure: Option<String>,
}

/// Everything a store keeps of a payment, for [`Payment::restore`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PaymentRecord {
    pub id: PaymentId,
    pub account_id: AccountId,
    pub client_id: ClientId,
    pub amount: Money,
    pub method: PaymentMethod,
    pub reference: Option<Reference>,
    pub received_at: DateTime<Utc>,
    pub status: PaymentStatus,
    pub allocations: Vec<Allocation>,
    pub refunds: Vec<Refund>,
    pub created_at: DateTime<Utc>,
    /// How many changes the store has seen (0 for a new payment).
    pub version: u64,
    /// Set for a payment made through a processor.
    pub processor: Option<ProcessorCharge>,
    /// Why a failed payment failed, fit to show the client.
    pub failure: Option<String>,
}

/// The most invoices one payment may settle.
pub const MAX_ALLOCATIONS: usize = 100;

/// A refund the payment's rules refuse.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RefundRefusal {
    #[error("a {} payment cannot be refunded", .0.as_str())]
    NotSucceeded(PaymentStatus),
    #[error("only {refundable} of this payment is left to refund")]
    TooMuch { refundable: Money },
    #[error("the refund is in {refund}, the payment in {payment}")]
    CurrencyMismatch { payment: Currency, refund: Currency },
    /// The payment's own amounts do not add up (a corrupt record).
    #[error(transparent)]
    Money(#[from] MoneyError),
}

/// Whether `at` lies in the years 1900 to 2999 of the time zone it was
/// written in: in UTC that reaches as far beyond as the largest offset
/// (23:59), so a time written `1900-01-01T00:00:00+23:59` holds and one
/// that no time zone places in those years does not.
fn check_received_at(at: DateTime<Utc>) -> Result<(), ValidationError> {
    let largest_offset = chrono::Duration::minutes(23 * 60 + 59);
    let year = |y| {
        chrono::NaiveDate::from_ymd_opt(y, 1, 1)
            .and_then(|d| d.and_hms_opt(0, 0, 0))
            .map(|t| t.and_utc())
    };
    let (Some(first), Some(end)) = (year(1900), year(3000)) else {
        return Err(ValidationError::new("received_at", "is out of range"));
    };
    if at >= first - largest_offset && at < end + largest_offset {
        Ok(())
    } else {
        Err(ValidationError::new(
            "received_at",
            "must be a time in the years 1900 to 2999",
        ))
    }
}

impl Payment {
    /// A payment as recorded, checked: a positive amount, allocations and
    /// refunds in its currency that fit within it.
    ///
    /// # Errors
    /// The field that does not hold.
    pub fn restore(record: PaymentRecord) -> Result<Self, ValidationError> {
        let payment = Self {
            id: record.id,
            account_id: record.account_id,
            client_id: record.client_id,
            amount: record.amount,
            method: record.method,
            reference: record.reference,
            received_at: record.received_at,
            status: record.status,
            allocations: record.allocations,
            refunds: record.refunds,
            created_at: record.created_at,
            version: record.version,
            processor: record.processor,
            failure: record.failure,
        };
        payment.check()?;
        Ok(payment)
    }

    /// A new payment: what [`Payment::restore`] checks, plus that it was
    /// received in the years 1900 to 2999 and not in the future.
    ///
    /// # Errors
    /// As for [`Payment::restore`].
    pub fn new(record: PaymentRecord, now: DateTime<Utc>) -> Result<Self, ValidationError> {
        check_received_at(record.received_at)?;
        if record.received_at > now + chrono::Duration::days(1) {
            return Err(ValidationError::new(
                "received_at",
                "must not be in the future",
            ));
        }
        if !record.refunds.is_empty() {
            return Err(ValidationError::new("refunds", "a new payment has none"));
        }
        Self::restore(record)
    }

    fn check(&self) -> Result<(), ValidationError> {
        let currency = self.amount.currency();
        fn money(field: &'static str) -> impl Fn(MoneyError) -> ValidationError {
            move |e| ValidationError::new(field, e.to_string())
        }
        if !self.amount.is_positive() {
            return Err(ValidationError::new("amount", "must be positive"));
        }
        if self.allocations.len() > MAX_ALLOCATIONS {
            return Err(ValidationError::new(
                "allocations",
                format!("must settle at most {MAX_ALLOCATIONS} invoices"),
            ));
        }
        for (i, a) in self.allocations.iter().enumerate() {
            if !a.amount.is_positive() {
                return Err(ValidationError::new(
                    format!("allocations[{i}].amount"),
                    "must be positive",
                ));
            }
            if self.allocations[..i]
                .iter()
                .any(|b| b.document_id == a.document_id)
            {
                return Err(ValidationError::new(
                    format!("allocations[{i}].invoice_id"),
                    "names an invoice already allocated to in this payment",
                ));
            }
        }
        let allocated = Money::sum(currency, self.allocations.iter().map(|a| a.amount))
            .map_err(money("allocations"))?;
        if allocated.minor() > self.amount.minor() {
            return Err(ValidationError::new(
                "allocations",
                format!(
                    "add up to {allocated}, more than the payment's {}",
                    self.amount
                ),
            ));
        }
        let refunded = self.refunded().map_err(money("refunds"))?;
        if refunded.minor() > self.amount.minor() {
            return Err(ValidationError::new(
                "refunds",
                format!(
                    "add up to {refunded}, more than the payment's {}",
                    self.amount
                ),
            ));
        }
        for refund in &self.refunds {
            let to_invoices = Money::sum(currency, refund.allocations.iter().map(|a| a.amount))
                .map_err(money("refunds"))?;
            if to_invoices.minor() > refund.amount.minor()
                || refund.allocations.iter().any(|r| {
                    !r.amount.is_positive()
                        || !self
                            .allocations
                            .iter()
                            .any(|a| a.document_id == r.document_id)
                })
            {
                return Err(ValidationError::new(
                    "refunds",
                    "take back from invoices the payment did not pay, or more than the refund",
                ));
            }
        }
        for allocation in &self.allocations {
            let taken = self
                .refunded_from(allocation.document_id)
                .map_err(money("refunds"))?;
            if taken.minor() > allocation.amount.minor() {
                return Err(ValidationError::new(
                    "refunds",
                    "take back more from an invoice than the payment applied to it",
                ));
            }
        }
        Ok(())
    }

    pub fn id(&self) -> PaymentId {
        self.id
    }

    pub fn account_id(&self) -> AccountId {
        self.account_id
    }

    pub fn client_id(&self) -> ClientId {
        self.client_id
    }

    pub fn amount(&self) -> Money {
        self.amount
    }

    pub fn currency(&self) -> Currency {
        self.amount.currency()
    }

    pub fn method(&self) -> PaymentMethod {
        self.method
    }

    pub fn reference(&self) -> Option<&Reference> {
        self.reference.as_ref()
    }

    pub fn received_at(&self) -> DateTime<Utc> {
        self.received_at
    }

    pub fn status(&self) -> PaymentStatus {
        self.status
    }

    pub fn allocations(&self) -> &[Allocation] {
        &self.allocations
    }

    pub fn refunds(&self) -> &[Refund] {
        &self.refunds
    }

    pub fn created_at(&self) -> DateTime<Utc> {
        self.created_at
    }

    /// How many changes the store has seen; a refund compares it, so two
    /// racing refunds cannot both take the same money back.
    pub fn version(&self) -> u64 {
        self.version
    }

    /// The processor charge, for a payment made through one.
    pub fn processor(&self) -> Option<&ProcessorCharge> {
        self.processor.as_ref()
    }

    /// Why it failed, fit to show the client.
    pub fn failure(&self) -> Option<&str> {
        self.failure.as_deref()
    }

    /// The payment after its processor answered: `status`, the charge's
    /// reference, the method the processor reports and, for a failure, its
    /// reason. The store's version counts up, as
    /// [`Write::UpdatePayment`](crate::ports::Write::UpdatePayment) does.
    ///
    /// # Errors
    /// A payment that already settled (succeeded or failed) cannot change
    /// status again; a refunded one never fails.
    pub fn settled(
        &self,
        status: PaymentStatus,
        reference: Option<ProcessorRef>,
        method: Option<PaymentMethod>,
        failure: Option<String>,
    ) -> Result<Self, ValidationError> {
        if self.status != PaymentStatus::Pending && self.status != status {
            return Err(ValidationError::new(
                "status",
                format!(
                    "a {} payment cannot become {}",
                    self.status.as_str(),
                    status.as_str()
                ),
            ));
        }
        let mut next = self.clone();
        next.status = status;
        if let Some(charge) = next.processor.as_mut()
            && reference.is_some()
        {
            charge.reference = reference;
        }
        if let Some(method) = method {
            next.method = method;
        }
        next.failure = match status {
            PaymentStatus::Failed => Some(
                failure
                    .map(|f| f.chars().filter(|c| !c.is_control()).take(500).collect())
                    .unwrap_or_else(|| "The payment did not go through.".to_owned()),
            ),
            _ => None,
        };
        next.version += 1;
        Ok(next)
    }

    /// Everything refunded so far.
    ///
    /// # Errors
    /// A refund in another currency, or a sum out of range.
    pub fn refunded(&self) -> Result<Money, MoneyError> {
        Money::sum(self.currency(), self.refunds.iter().map(|r| r.amount))
    }

    /// What refunds took back from one invoice.
    fn refunded_from(&self, document: DocumentId) -> Result<Money, MoneyError> {
        Money::sum(
            self.currency(),
            self.refunds
                .iter()
                .flat_map(|r| &r.allocations)
                .filter(|a| a.document_id == document)
                .map(|a| a.amount),
        )
    }

    /// What is left to refund.
    pub fn refundable(&self) -> Money {
        self.refunded()
            .and_then(|r| self.amount.checked_sub(r))
            .unwrap_or(Money::zero(self.currency()))
    }

    /// The part of the payment applied to no invoice and not refunded: a
    /// credit the business holds.
    pub fn unapplied(&self) -> Money {
        let currency = self.currency();
        let allocated = Money::sum(currency, self.allocations.iter().map(|a| a.amount));
        let from_credit = Money::sum(
            currency,
            self.refunds.iter().map(|r| {
                let to_invoices = Money::sum(currency, r.allocations.iter().map(|a| a.amount))
                    .unwrap_or(Money::zero(currency));
                r.amount
                    .checked_sub(to_invoices)
                    .unwrap_or(Money::zero(currency))
            }),
        );
        allocated
            .and_then(|a| self.amount.checked_sub(a))
            .and_then(|left| from_credit.and_then(|c| left.checked_sub(c)))
            .unwrap_or(Money::zero(currency))
    }

    /// The payment as entries on the ledgers of the invoices it settles.
    pub fn ledger_entries(&self) -> impl Iterator<Item = (DocumentId, LedgerEntry)> + '_ {
        self.allocations.iter().map(|a| {
            (
                a.document_id,
                LedgerEntry::Payment {
                    payment: self.id,
                    amount: a.amount,
                    status: self.status,
                    received_at: self.received_at,
                    method: self.method,
                    reference: self.reference.clone(),
                },
            )
        })
    }

    /// A refund of `amount` at `now`. It takes first from the part of the
    /// payment applied to no invoice, then from its invoices, the last
    /// allocated first, each no further than what it still holds of this
    /// payment.
    ///
    /// # Errors
    /// [`RefundRefusal`] for a payment that did not succeed, another
    /// currency, or more than is left to refund.
    pub fn refund(
        &self,
        id: RefundId,
        amount: Money,
        reason: Option<Description>,
        now: DateTime<Utc>,
    ) -> Result<Refund, RefundRefusal> {
        if self.status != PaymentStatus::Succeeded {
            return Err(RefundRefusal::NotSucceeded(self.status));
        }
        if amount.currency() != self.currency() {
            return Err(RefundRefusal::CurrencyMismatch {
                payment: self.currency(),
                refund: amount.currency(),
            });
        }
        let refundable = self.refundable();
        if amount.minor() > refundable.minor() || !amount.is_positive() {
            return Err(RefundRefusal::TooMuch { refundable });
        }
        let mut left = amount.checked_sub(self.unapplied().checked_min(amount)?)?;
        let mut allocations = Vec::new();
        for allocation in self.allocations.iter().rev() {
            if left.is_zero() {
                break;
            }
            let holds = allocation
                .amount
                .checked_sub(self.refunded_from(allocation.document_id)?)?;
            let take = holds.checked_min(left)?;
            if take.is_positive() {
                allocations.push(Allocation {
                    document_id: allocation.document_id,
                    amount: take,
                });
                left = left.checked_sub(take)?;
            }
        }
        Ok(Refund {
            id,
            payment_id: self.id,
            amount,
            reason,
            created_at: now,
            allocations,
        })
    }

    /// This payment with `refund` recorded, as the store holds it after.
    #[must_use]
    pub fn with_refund(&self, refund: Refund) -> Self {
        let mut next = self.clone();
        next.refunds.push(refund);
        next.version += 1;
        next
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::ts;

    #[test]
    fn a_payment_is_received_in_the_years_1900_to_2999_of_any_time_zone() {
        for written in [
            "1900-01-01T00:00:00+23:59",
            "1900-01-01T00:00:00Z",
            "2999-12-31T23:59:59.999999-23:59",
        ] {
            let at = DateTime::parse_from_rfc3339(written).unwrap().to_utc();
            assert_eq!(check_received_at(at), Ok(()), "{written}");
        }
        for outside in [
            "1899-12-31T00:00:59Z",
            "3000-01-01T23:59:00Z",
            "0001-01-01T00:00:00Z",
        ] {
            assert_eq!(
                check_received_at(ts(outside)).unwrap_err().field,
                "received_at",
                "{outside}"
            );
        }
    }
}
