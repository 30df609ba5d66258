//! An invoice's payment ledger: the parts of payments applied to it and
//! the parts of refunds that took them back. What an invoice has been paid
//! and still owes is derived from this, never stored beside it.

use chrono::{DateTime, Utc};

use super::ids::{PaymentId, RefundId};
use super::money::{Currency, Money, MoneyError};
use super::payment::{PaymentMethod, PaymentStatus};
use super::text::Reference;

/// One movement on an invoice's ledger.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LedgerEntry {
    /// Part of a payment, applied to this invoice.
    Payment {
        payment: PaymentId,
        amount: Money,
        status: PaymentStatus,
        received_at: DateTime<Utc>,
        method: PaymentMethod,
        reference: Option<Reference>,
    },
    /// Part of a refund, taken back from what this invoice was paid.
    Refund {
        refund: RefundId,
        payment: PaymentId,
        amount: Money,
        refunded_at: DateTime<Utc>,
    },
}

impl LedgerEntry {
    pub fn amount(&self) -> Money {
        match self {
            Self::Payment { amount, .. } | Self::Refund { amount, .. } => *amount,
        }
    }

    pub fn payment(&self) -> PaymentId {
        match self {
            Self::Payment { payment, .. } | Self::Refund { payment, .. } => *payment,
        }
    }

    /// When the money moved.
    pub fn at(&self) -> DateTime<Utc> {
        match self {
            Self::Payment { received_at, .. } => *received_at,
            Self::Refund { refunded_at, .. } => *refunded_at,
        }
    }
}

/// A payment as it bears on one invoice: what it applied, net of refunds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AppliedPayment {
    pub payment: PaymentId,
    pub status: PaymentStatus,
    pub received_at: DateTime<Utc>,
    pub method: PaymentMethod,
    pub reference: Option<Reference>,
    /// What the payment applied to the invoice.
    pub applied: Money,
    /// What refunds took back of it.
    pub refunded: Money,
}

/// The entries of one invoice, in the order they happened.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Ledger {
    entries: Vec<LedgerEntry>,
}

impl Ledger {
    pub fn new(entries: Vec<LedgerEntry>) -> Self {
        Self { entries }
    }

    pub fn entries(&self) -> &[LedgerEntry] {
        &self.entries
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    pub(crate) fn entries_mut(&mut self) -> &mut [LedgerEntry] {
        &mut self.entries
    }

    pub(crate) fn push(&mut self, entry: LedgerEntry) {
        self.entries.push(entry);
    }

    /// Succeeded payments applied, less refunds.
    ///
    /// # Errors
    /// An entry in another currency, or a sum out of range.
    pub fn net_paid(&self, currency: Currency) -> Result<Money, MoneyError> {
        let paid = Money::sum(
            currency,
            self.entries.iter().filter_map(|e| match e {
                LedgerEntry::Payment {
                    amount,
                    status: PaymentStatus::Succeeded,
                    ..
                } => Some(*amount),
                _ => None,
            }),
        )?;
        let refunded = Money::sum(
            currency,
            self.entries.iter().filter_map(|e| match e {
                LedgerEntry::Refund { amount, .. } => Some(*amount),
                LedgerEntry::Payment { .. } => None,
            }),
        )?;
        paid.checked_sub(refunded)
    }

    /// Applied by payments still in flight (a bank debit not yet settled):
    /// not paid yet, but not open to another payment either.
    ///
    /// # Errors
    /// As for [`Ledger::net_paid`].
    pub fn pending(&self, currency: Currency) -> Result<Money, MoneyError> {
        Money::sum(
            currency,
            self.entries.iter().filter_map(|e| match e {
                LedgerEntry::Payment {
                    amount,
                    status: PaymentStatus::Pending,
                    ..
                } => Some(*amount),
                _ => None,
            }),
        )
    }

    /// The payments that touched this invoice, oldest first, each with
    /// what it applied and what was refunded of it. Failed payments are
    /// left out: they never counted.
    ///
    /// # Errors
    /// As for [`Ledger::net_paid`].
    pub fn applied_payments(&self, currency: Currency) -> Result<Vec<AppliedPayment>, MoneyError> {
        let mut applied: Vec<AppliedPayment> = Vec::new();
        for entry in &self.entries {
            if let LedgerEntry::Payment {
                payment,
                amount,
                status,
                received_at,
                method,
                reference,
            } = entry
            {
                if *status == PaymentStatus::Failed {
                    continue;
                }
                match applied.iter_mut().find(|a| a.payment == *payment) {
                    Some(a) => a.applied = a.applied.checked_add(*amount)?,
                    None => applied.push(AppliedPayment {
                        payment: *payment,
                        status: *status,
                        received_at: *received_at,
                        method: *method,
                        reference: reference.clone(),
                        applied: *amount,
                        refunded: Money::zero(currency),
                    }),
                }
            }
        }
        for entry in &self.entries {
            if let LedgerEntry::Refund {
                payment, amount, ..
            } = entry
                && let Some(a) = applied.iter_mut().find(|a| a.payment == *payment)
            {
                a.refunded = a.refunded.checked_add(*amount)?;
            }
        }
        applied.sort_by_key(|a| (a.received_at, a.payment));
        Ok(applied)
    }
}
