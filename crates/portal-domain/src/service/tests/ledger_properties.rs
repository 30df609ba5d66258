//! The ledger over generated sequences of payments, allocations and
//! refunds, across invoices in two currencies: an invoice's amount due is
//! always its total less what is paid net of refunds, never negative, its
//! status always follows, currencies never mix, and every refusal writes
//! nothing. A plain model of the rules runs beside the services and must
//! agree with them at every step.

use proptest::prelude::*;

use super::World;
use crate::model::{Allocation, Document, DocumentStatus, ManualKind, Money, PaymentMethod};
use crate::service::PaymentInput;
use crate::testing::block_on;

/// What a generated step does.
#[derive(Debug, Clone)]
enum Step {
    /// A payment of `extra` beyond what it allocates, in the currency of
    /// the first invoice it names, with (invoice, amount) allocations.
    Pay {
        extra: i64,
        allocations: Vec<(usize, i64)>,
    },
    /// A refund of `amount` from payment number `payment` (modulo).
    Refund { payment: usize, amount: i64 },
}

fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        (
            0i64..3_000,
            proptest::collection::vec((0usize..4, 1i64..9_000), 1..4)
        )
            .prop_map(|(extra, allocations)| Step::Pay { extra, allocations }),
        (0usize..8, 1i64..12_000).prop_map(|(payment, amount)| Step::Refund { payment, amount }),
    ]
}

/// The model's view of one payment.
#[derive(Debug, Clone)]
struct ModelPayment {
    id: crate::model::PaymentId,
    amount: i64,
    allocations: Vec<(usize, i64)>,
    /// What refunds took back per allocation, in allocation order.
    taken: Vec<i64>,
    refunded: i64,
}

impl ModelPayment {
    fn unapplied(&self) -> i64 {
        let allocated: i64 = self.allocations.iter().map(|a| a.1).sum();
        let to_invoices: i64 = self.taken.iter().sum();
        self.amount - allocated - (self.refunded - to_invoices)
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    #[test]
    fn amounts_due_and_statuses_always_follow_the_ledger(steps in proptest::collection::vec(step(), 1..14)) {
        let w = World::new();
        // Two dollar invoices and two euro invoices, $100.00 / €100.00 each.
        let invoices: Vec<Document> = (0..4)
            .map(|i| {
                let currency = if i < 2 { "USD" } else { "EUR" };
                w.sent(&w.invoice_in(&w.client, &format!("INV-{i}"), currency, 1_000), &w.contact)
            })
            .collect();
        let mut paid = [0i64; 4];
        let mut payments: Vec<ModelPayment> = Vec::new();
        for step in steps {
            match step {
                Step::Pay { extra, mut allocations } => {
                    allocations.dedup_by_key(|a| a.0);
                    let currency = invoices[allocations[0].0].currency();
                    let allocated: i64 = allocations.iter().map(|a| a.1).sum();
                    let input = PaymentInput {
                        client_id: w.client.id,
                        amount: Money::new(allocated + extra, currency),
                        method: PaymentMethod::Manual(ManualKind::Cash),
                        reference: None,
                        received_at: w.now(),
                        allocations: allocations
                            .iter()
                            .map(|(i, a)| Allocation { document_id: invoices[*i].id(), amount: Money::new(*a, currency) })
                            .collect(),
                        notify_contact: None,
                    };
                    let distinct = {
                        let mut ids: Vec<usize> = allocations.iter().map(|a| a.0).collect();
                        ids.sort_unstable();
                        ids.windows(2).all(|w| w[0] != w[1])
                    };
                    let fits = distinct && allocations.iter().all(|(i, a)| {
                        invoices[*i].currency() == currency && *a <= 10_000 - paid[*i]
                    });
                    let outcome = block_on(w.s.payments.record_payment(&w.account, input));
                    prop_assert_eq!(outcome.is_ok(), fits, "{:?}", outcome.as_ref().err());
                    if let Ok(recorded) = outcome {
                        for (i, a) in &allocations {
                            paid[*i] += a;
                        }
                        payments.push(ModelPayment {
                            id: recorded.payment.id(),
                            amount: allocated + extra,
                            taken: vec![0; allocations.len()],
                            allocations,
                            refunded: 0,
                        });
                    }
                }
                Step::Refund { payment, amount } => {
                    if payments.is_empty() {
                        continue;
                    }
                    let n = payment % payments.len();
                    let model = &mut payments[n];
                    let outcome = block_on(w.s.payments.refund(&w.account, model.id, amount, None));
                    let fits = amount <= model.amount - model.refunded;
                    prop_assert_eq!(outcome.is_ok(), fits, "{:?}", outcome.as_ref().err());
                    if outcome.is_ok() {
                        let mut left = amount - model.unapplied().min(amount);
                        for k in (0..model.allocations.len()).rev() {
                            let holds = model.allocations[k].1 - model.taken[k];
                            let take = holds.min(left);
                            model.taken[k] += take;
                            paid[model.allocations[k].0] -= take;
                            left -= take;
                        }
                        prop_assert_eq!(left, 0);
                        model.refunded += amount;
                    }
                }
            }
            for (i, invoice) in invoices.iter().enumerate() {
                let now = w.reload(invoice);
                let total = now.total().minor();
                let net = now.amount_paid().minor();
                prop_assert_eq!(net, paid[i], "invoice {} paid", i);
                prop_assert!(net >= 0 && net <= total);
                prop_assert_eq!(now.amount_due().minor(), total - net);
                let expected = if net == total {
                    DocumentStatus::Paid
                } else if net == 0 {
                    DocumentStatus::Open
                } else {
                    DocumentStatus::PartiallyPaid
                };
                prop_assert_eq!(now.status(), expected);
                prop_assert!(now.ledger().entries().iter().all(|e| e.amount().currency() == now.currency()));
            }
        }
    }
}
