//! Wire types of payments, their allocations and refunds.

use portal_domain::{
    Allocation, CardBrand, Last4, ManualKind, Payment, PaymentMethod, PaymentStatus,
    ProcessorCharge, ProcessorKind, Refund,
};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa::openapi::schema::{ObjectBuilder, SchemaType, Type};

use super::time;
use crate::api::schema::{Amount, CurrencyCode, DescriptionText, ReferenceText, TimeText};

/// How money recorded by hand arrived.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
#[schema(as = ManualKind)]
pub(crate) enum ManualKindWire {
    BankTransfer,
    Check,
    Cash,
    Other,
}

impl ManualKindWire {
    pub(crate) fn domain(self) -> ManualKind {
        match self {
            Self::BankTransfer => ManualKind::BankTransfer,
            Self::Check => ManualKind::Check,
            Self::Cash => ManualKind::Cash,
            Self::Other => ManualKind::Other,
        }
    }

    fn of(kind: ManualKind) -> Self {
        match kind {
            ManualKind::BankTransfer => Self::BankTransfer,
            ManualKind::Check => Self::Check,
            ManualKind::Cash => Self::Cash,
            ManualKind::Other => Self::Other,
        }
    }
}

/// The one family of methods an operator records: money received
/// outside the portal.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub(crate) enum ManualType {
    Manual,
}

/// How money recorded by hand came. Cards and bank debits are recorded
/// by the processor they went through, never by hand.
#[derive(Debug, Clone, Copy, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = ManualMethod)]
pub(crate) struct ManualMethodIn {
    #[serde(rename = "type")]
    pub(crate) method_type: ManualType,
    pub(crate) kind: ManualKindWire,
}

impl ManualMethodIn {
    pub(crate) fn domain(self) -> PaymentMethod {
        match self.method_type {
            ManualType::Manual => PaymentMethod::Manual(self.kind.domain()),
        }
    }
}

/// A card network, as the processor reported it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "lowercase")]
#[schema(as = CardBrand)]
pub(crate) enum CardBrandOut {
    Visa,
    Mastercard,
    Amex,
    Discover,
    Diners,
    Jcb,
    Unionpay,
    /// A network the portal has no name for.
    Other,
}

impl From<CardBrand> for CardBrandOut {
    fn from(brand: CardBrand) -> Self {
        match brand {
            CardBrand::Visa => Self::Visa,
            CardBrand::Mastercard => Self::Mastercard,
            CardBrand::Amex => Self::Amex,
            CardBrand::Discover => Self::Discover,
            CardBrand::DinersClub => Self::Diners,
            CardBrand::Jcb => Self::Jcb,
            CardBrand::UnionPay => Self::Unionpay,
            CardBrand::Other => Self::Other,
        }
    }
}

/// The last four digits of a card or account number: all the portal
/// keeps of it.
pub(crate) fn last4_schema() -> ObjectBuilder {
    ObjectBuilder::new()
        .schema_type(Type::String)
        .pattern(Some("^[0-9]{4}$"))
}

/// [`last4_schema`], or `null` while a charge with a fresh card is in
/// flight.
fn optional_last4_schema() -> ObjectBuilder {
    last4_schema()
        .schema_type(SchemaType::from_iter([Type::String, Type::Null]))
        .description(Some(
            "The last four digits; `null` only while the processor has not answered yet.",
        ))
}

/// How the money came: recorded by hand (`manual`), or charged through
/// the processor to a card (`card`) or a bank account (`bank_debit`).
#[derive(Debug, Clone, Copy, Serialize, ToSchema)]
#[serde(tag = "type", rename_all = "snake_case")]
#[schema(as = PaymentMethod)]
pub(crate) enum MethodOut {
    /// Received outside the portal and recorded by an operator.
    Manual { kind: ManualKindWire },
    /// A card charged through the processor.
    Card {
        brand: CardBrandOut,
        #[schema(schema_with = optional_last4_schema)]
        last4: Option<Last4Text>,
    },
    /// A bank account debited through the processor (ACH, eCheck).
    BankDebit {
        #[schema(schema_with = optional_last4_schema)]
        last4: Option<Last4Text>,
    },
}

/// Four digits, written as text.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Last4Text(Last4);

impl Serialize for Last4Text {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.0.as_str())
    }
}

impl From<Last4> for Last4Text {
    fn from(last4: Last4) -> Self {
        Self(last4)
    }
}

impl From<PaymentMethod> for MethodOut {
    fn from(method: PaymentMethod) -> Self {
        match method {
            PaymentMethod::Manual(kind) => Self::Manual {
                kind: ManualKindWire::of(kind),
            },
            PaymentMethod::Card { brand, last4 } => Self::Card {
                brand: brand.into(),
                last4: last4.map(Into::into),
            },
            PaymentMethod::BankDebit { last4 } => Self::BankDebit {
                last4: last4.map(Into::into),
            },
        }
    }
}

/// The processor a payment went through.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
#[schema(as = ProcessorKind)]
pub(crate) enum ProcessorKindOut {
    /// The in-process test processor: test mode, no money moves.
    Test,
    Stripe,
    AuthorizeNet,
}

impl From<ProcessorKind> for ProcessorKindOut {
    fn from(kind: ProcessorKind) -> Self {
        match kind {
            ProcessorKind::Test => Self::Test,
            ProcessorKind::Stripe => Self::Stripe,
            ProcessorKind::AuthorizeNet => Self::AuthorizeNet,
        }
    }
}

/// Where a payment made through the processor went.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = ProcessorCharge)]
pub(crate) struct ProcessorChargeOut {
    kind: ProcessorKindOut,
    /// The processor's id of the charge (`pi_…` at Stripe, a transaction
    /// id at Authorize.Net); `null` until the processor answered.
    reference: Option<String>,
}

impl From<&ProcessorCharge> for ProcessorChargeOut {
    fn from(charge: &ProcessorCharge) -> Self {
        Self {
            kind: charge.kind.into(),
            reference: charge.reference.as_ref().map(ToString::to_string),
        }
    }
}

/// Part of a payment applied to one invoice.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct AllocationIn {
    /// A sent invoice of the payment's client, in its currency.
    #[schema(format = "uuid")]
    pub(crate) invoice_id: String,
    /// At most what the invoice still has open.
    pub(crate) amount: Amount,
}

/// A payment received outside the portal. Refused with nothing written
/// when an allocation names an unknown, draft, void, paid or other
/// client's invoice, is in another currency, exceeds what its invoice has
/// open, or when the allocations add up to more than the payment.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct CreatePayment {
    #[schema(format = "uuid")]
    pub(crate) client_id: String,
    pub(crate) amount: Amount,
    pub(crate) currency: CurrencyCode,
    pub(crate) method: ManualMethodIn,
    pub(crate) reference: Option<ReferenceText>,
    /// When the money arrived; not more than a day ahead.
    pub(crate) received_at: TimeText,
    /// The invoices it pays, each at most once; whatever is left over is
    /// kept as unapplied credit.
    #[schema(min_items = 1, max_items = 100)]
    pub(crate) allocations: Vec<AllocationIn>,
    /// Who gets the receipt; by default the contacts the paid invoices
    /// were sent to.
    #[schema(format = "uuid")]
    pub(crate) notify_contact_id: Option<String>,
}

/// Marking an invoice paid: a manual payment of all it still has open.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct MarkPaid {
    /// How the money came; `other` when left out.
    pub(crate) kind: Option<ManualKindWire>,
    pub(crate) reference: Option<ReferenceText>,
    /// When the money arrived; now when left out.
    pub(crate) received_at: Option<TimeText>,
    /// Who gets the receipt; by default the contacts the invoice was sent
    /// to.
    #[schema(format = "uuid")]
    pub(crate) notify_contact_id: Option<String>,
}

/// A refund of (part of) a payment.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct CreateRefund {
    /// In the payment's currency; at most its `refundable`.
    pub(crate) amount: Amount,
    pub(crate) reason: Option<DescriptionText>,
}

/// Part of a payment or refund on one invoice.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct AllocationOut {
    #[schema(format = "uuid")]
    invoice_id: String,
    amount: i64,
}

impl From<&Allocation> for AllocationOut {
    fn from(a: &Allocation) -> Self {
        Self {
            invoice_id: a.document_id.to_string(),
            amount: a.amount.minor(),
        }
    }
}

/// Where a payment stands.
#[derive(Debug, Clone, Copy, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
#[schema(as = PaymentStatus)]
pub(crate) enum PaymentStatusOut {
    Pending,
    Succeeded,
    Failed,
}

impl From<PaymentStatus> for PaymentStatusOut {
    fn from(status: PaymentStatus) -> Self {
        match status {
            PaymentStatus::Pending => Self::Pending,
            PaymentStatus::Succeeded => Self::Succeeded,
            PaymentStatus::Failed => Self::Failed,
        }
    }
}

/// Money given back from a payment.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct RefundOut {
    #[schema(format = "uuid")]
    id: String,
    #[schema(format = "uuid")]
    payment_id: String,
    amount: i64,
    reason: Option<String>,
    /// What it took back from each invoice (which reopen); the rest came
    /// from the payment's unapplied credit.
    allocations: Vec<AllocationOut>,
    #[schema(format = DateTime)]
    created_at: String,
}

impl From<&Refund> for RefundOut {
    fn from(r: &Refund) -> Self {
        Self {
            id: r.id.to_string(),
            payment_id: r.payment_id.to_string(),
            amount: r.amount.minor(),
            reason: r.reason.as_ref().map(ToString::to_string),
            allocations: r.allocations.iter().map(AllocationOut::from).collect(),
            created_at: time(r.created_at),
        }
    }
}

/// A payment received from a client.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct PaymentOut {
    #[schema(format = "uuid")]
    id: String,
    #[schema(format = "uuid")]
    client_id: String,
    amount: i64,
    currency: &'static str,
    method: MethodOut,
    reference: Option<String>,
    #[schema(format = DateTime)]
    received_at: String,
    /// `pending` while the processor has not settled it (a bank debit, a
    /// charge awaiting 3-D Secure), then `succeeded` or `failed`; payments
    /// recorded by hand succeed at once.
    status: PaymentStatusOut,
    /// The processor it went through; `null` for payments recorded by
    /// hand.
    processor: Option<ProcessorChargeOut>,
    /// Why it failed, as the client was told; `null` unless `failed`.
    failure_message: Option<String>,
    allocations: Vec<AllocationOut>,
    refunds: Vec<RefundOut>,
    /// What is left to refund.
    refundable: i64,
    /// What was applied to no invoice and not refunded: credit held.
    unapplied: i64,
    #[schema(format = DateTime)]
    created_at: String,
}

impl From<&Payment> for PaymentOut {
    fn from(p: &Payment) -> Self {
        Self {
            id: p.id().to_string(),
            client_id: p.client_id().to_string(),
            amount: p.amount().minor(),
            currency: p.currency().code(),
            method: p.method().into(),
            reference: p.reference().map(ToString::to_string),
            received_at: time(p.received_at()),
            status: p.status().into(),
            processor: p.processor().map(ProcessorChargeOut::from),
            failure_message: p.failure().map(str::to_owned),
            allocations: p.allocations().iter().map(AllocationOut::from).collect(),
            refunds: p.refunds().iter().map(RefundOut::from).collect(),
            refundable: p.refundable().minor(),
            unapplied: p.unapplied().minor(),
            created_at: time(p.created_at()),
        }
    }
}

/// A recorded payment and where its receipt was queued.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct CreatedPaymentOut {
    #[serde(flatten)]
    pub(crate) payment: PaymentOut,
    /// The addresses a receipt was queued for (delivered by the outbox).
    pub(crate) receipts_queued_to: Vec<String>,
}

/// A refund and the payment after it.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct RefundOutcomeOut {
    pub(crate) refund: RefundOut,
    pub(crate) payment: PaymentOut,
}
