//! Payments: a payment settles one or several invoices of its client, is
//! refused whole when any allocation breaks a rule, sends a receipt, and
//! refunds reopen what they reduce.

use chrono::Duration;

use super::{World, page, usd};
use crate::model::{
    Allocation, AuditAction, ContactPatch, DocumentKind, DocumentStatus, ManualKind, Money,
    OutboxTopic, PaymentMethod, Reference,
};
use crate::service::{AllocationProblem, MarkPaid, PaymentError, PaymentInput};
use crate::testing::block_on;

fn payment(w: &World, amount: i64, allocations: &[(&crate::model::Document, i64)]) -> PaymentInput {
    PaymentInput {
        client_id: w.client.id,
        amount: usd(amount),
        method: PaymentMethod::Manual(ManualKind::BankTransfer),
        reference: Some(Reference::parse("reference", "WIRE-118").unwrap()),
        received_at: w.now() - Duration::hours(3),
        allocations: allocations
            .iter()
            .map(|(doc, amount)| Allocation {
                document_id: doc.id(),
                amount: Money::new(*amount, doc.currency()),
            })
            .collect(),
        notify_contact: None,
    }
}

#[test]
fn one_payment_settles_several_invoices_and_emails_a_receipt() {
    let w = World::new();
    let first = w.sent(&w.invoice(&w.client, "INV-1"), &w.contact);
    let second = w.sent(&w.invoice(&w.client, "INV-2"), &w.contact);
    let before = w.mailer.sent().len();
    w.clock.advance(Duration::seconds(1));
    let recorded = block_on(w.s.payments.record_payment(
        &w.account,
        payment(&w, 200_000, &[(&first, 150_000), (&second, 50_000)]),
    ))
    .unwrap();
    assert_eq!(recorded.receipts_to, vec![w.contact.email.clone()]);
    let first = w.reload(&first);
    let second = w.reload(&second);
    assert_eq!(first.status(), DocumentStatus::Paid);
    assert_eq!(first.amount_due().minor(), 0);
    assert_eq!(second.status(), DocumentStatus::PartiallyPaid);
    assert_eq!(second.amount_paid().minor(), 50_000);
    assert_eq!(second.amount_due().minor(), 100_000);
    let applied = second.ledger().applied_payments(second.currency()).unwrap();
    assert_eq!(applied.len(), 1);
    assert_eq!(applied[0].payment, recorded.payment.id());
    assert_eq!(applied[0].applied.minor(), 50_000);

    // The receipt goes through the outbox.
    assert_eq!(w.mailer.sent().len(), before);
    assert_eq!(w.deliver().sent, 1);
    let receipt = w.last_email();
    assert_eq!(receipt.to, w.contact.email);
    assert!(
        receipt
            .subject
            .starts_with("Receipt for your payment of $2,000.00")
    );
    assert!(receipt.text.contains("INV-1"), "{}", receipt.text);
    assert!(
        receipt
            .text
            .contains("Still due on your account: $1,000.00."),
        "{}",
        receipt.text
    );
    assert!(receipt.text.contains("Bank transfer"));
    let events = block_on(w.s.crm.client_audit(&w.account, w.client.id, page()))
        .unwrap()
        .items;
    assert_eq!(events[0].action, AuditAction::PaymentRecorded);
    assert_eq!(events[0].payment_id, Some(recorded.payment.id()));
}

#[test]
fn a_refused_payment_writes_nothing() {
    let w = World::new();
    let open = w.sent(&w.invoice(&w.client, "INV-1"), &w.contact);
    let draft = w.invoice(&w.client, "INV-2");
    let euros = w.sent(&w.invoice_in(&w.client, "INV-3", "EUR", 1_000), &w.contact);
    let other_client = w.client_named("Globex");
    let globex_contact = w.contact(&other_client, "ap@globex.example");
    let theirs = w.sent(&w.invoice(&other_client, "G-1"), &globex_contact);
    let void = w.sent(&w.invoice(&w.client, "INV-4"), &w.contact);
    block_on(
        w.s.documents
            .void_document(&w.account, DocumentKind::Invoice, void.id()),
    )
    .unwrap();
    let outbox_before = block_on(w.s.outbox.messages(&w.account, None, page()))
        .unwrap()
        .items
        .len();

    let refusals: Vec<(PaymentInput, usize, AllocationProblem)> = vec![
        (
            payment(&w, 200_000, &[(&open, 150_001)]),
            0,
            AllocationProblem::OverAllocated { open: usd(150_000) },
        ),
        (
            payment(&w, 100, &[(&open, 50), (&draft, 50)]),
            1,
            AllocationProblem::NotPayable(DocumentStatus::Draft),
        ),
        (
            payment(&w, 100, &[(&open, 50), (&theirs, 50)]),
            1,
            AllocationProblem::OfAnotherClient,
        ),
        (
            payment(&w, 100, &[(&open, 50), (&void, 50)]),
            1,
            AllocationProblem::NotPayable(DocumentStatus::Void),
        ),
    ];
    for (input, index, problem) in refusals {
        match block_on(w.s.payments.record_payment(&w.account, input)) {
            Err(PaymentError::Allocation {
                index: i,
                problem: p,
            }) => {
                assert_eq!((i, p), (index, problem));
            }
            other => panic!("expected a refused allocation, got {other:?}"),
        }
    }
    // A payment in dollars cannot pay a euro invoice.
    let mut mixed = payment(&w, 100, &[(&open, 50)]);
    mixed.allocations.push(Allocation {
        document_id: euros.id(),
        amount: usd(50),
    });
    assert!(matches!(
        block_on(w.s.payments.record_payment(&w.account, mixed)),
        Err(PaymentError::Allocation {
            index: 1,
            problem: AllocationProblem::CurrencyMismatch { .. }
        })
    ));
    // Allocations may not add up to more than the payment.
    assert!(matches!(
        block_on(w.s.payments.record_payment(&w.account, payment(&w, 100, &[(&open, 101)]))),
        Err(PaymentError::Invalid(e)) if e.field == "allocations"
    ));
    // Nor may a payment apply to nothing.
    assert!(matches!(
        block_on(w.s.payments.record_payment(&w.account, payment(&w, 100, &[]))),
        Err(PaymentError::Invalid(e)) if e.field == "allocations"
    ));

    assert_eq!(w.reload(&open), open);
    assert!(
        block_on(w.s.payments.payments(&w.account, None, page()))
            .unwrap()
            .items
            .is_empty()
    );
    let outbox_after = block_on(w.s.outbox.messages(&w.account, None, page()))
        .unwrap()
        .items
        .len();
    assert_eq!(outbox_after, outbox_before, "no receipt was queued");
}

#[test]
fn refunds_take_from_credit_first_then_reopen_invoices_last_first() {
    let w = World::new();
    let first = w.sent(&w.invoice(&w.client, "INV-1"), &w.contact);
    let second = w.sent(&w.invoice(&w.client, "INV-2"), &w.contact);
    // $3,100: both invoices in full and $100 of credit.
    let recorded = block_on(w.s.payments.record_payment(
        &w.account,
        payment(&w, 310_000, &[(&first, 150_000), (&second, 150_000)]),
    ))
    .unwrap();
    assert_eq!(recorded.payment.unapplied().minor(), 10_000);

    let outcome = block_on(
        w.s.payments
            .refund(&w.account, recorded.payment.id(), 30_000, None),
    )
    .unwrap();
    assert_eq!(outcome.payment.unapplied().minor(), 0);
    assert_eq!(outcome.refund.allocations.len(), 1);
    assert_eq!(outcome.refund.allocations[0].document_id, second.id());
    assert_eq!(outcome.refund.allocations[0].amount.minor(), 20_000);
    assert_eq!(w.reload(&first).status(), DocumentStatus::Paid);
    let second_now = w.reload(&second);
    assert_eq!(second_now.status(), DocumentStatus::PartiallyPaid);
    assert_eq!(second_now.amount_due().minor(), 20_000);

    // The rest of the payment, in full: both invoices reopen.
    w.clock.advance(Duration::seconds(1));
    let rest = outcome.payment.refundable().minor();
    let outcome = block_on(
        w.s.payments
            .refund(&w.account, recorded.payment.id(), rest, None),
    )
    .unwrap();
    assert!(outcome.payment.refundable().is_zero());
    assert_eq!(w.reload(&first).status(), DocumentStatus::Open);
    assert_eq!(w.reload(&second).status(), DocumentStatus::Open);
    assert!(matches!(
        block_on(
            w.s.payments
                .refund(&w.account, recorded.payment.id(), 1, None)
        ),
        Err(PaymentError::Refund(_))
    ));
    let events = block_on(w.s.crm.client_audit(&w.account, w.client.id, page()))
        .unwrap()
        .items;
    assert_eq!(events[0].action, AuditAction::PaymentRefunded);
}

#[test]
fn marking_paid_records_a_full_manual_payment() {
    let w = World::new();
    let invoice = w.sent(&w.invoice(&w.client, "INV-1"), &w.contact);
    block_on(
        w.s.payments
            .record_payment(&w.account, payment(&w, 40_000, &[(&invoice, 40_000)])),
    )
    .unwrap();
    let how = MarkPaid {
        kind: Some(ManualKind::Check),
        reference: Some(Reference::parse("reference", "Cheque 2231").unwrap()),
        received_at: None,
        notify_contact: None,
    };
    let recorded = block_on(
        w.s.payments
            .mark_paid(&w.account, invoice.id(), how.clone()),
    )
    .unwrap();
    assert_eq!(recorded.payment.amount().minor(), 110_000);
    assert_eq!(
        recorded.payment.method(),
        PaymentMethod::Manual(ManualKind::Check)
    );
    assert_eq!(w.reload(&invoice).status(), DocumentStatus::Paid);
    assert!(matches!(
        block_on(
            w.s.payments
                .mark_paid(&w.account, invoice.id(), how.clone())
        ),
        Err(PaymentError::Allocation {
            problem: AllocationProblem::NotPayable(DocumentStatus::Paid),
            ..
        })
    ));
    let draft = w.invoice(&w.client, "INV-2");
    assert!(matches!(
        block_on(w.s.payments.mark_paid(&w.account, draft.id(), how)),
        Err(PaymentError::Allocation {
            problem: AllocationProblem::NotPayable(DocumentStatus::Draft),
            ..
        })
    ));
}

#[test]
fn receipts_go_to_the_named_contact_or_the_invoices_recipients() {
    let w = World::new();
    let cfo = w.contact(&w.client, "cfo@acme.example");
    let invoice = w.sent(&w.invoice(&w.client, "INV-1"), &w.contact);
    let mut input = payment(&w, 1_000, &[(&invoice, 1_000)]);
    input.notify_contact = Some(cfo.id);
    let recorded = block_on(w.s.payments.record_payment(&w.account, input)).unwrap();
    assert_eq!(recorded.receipts_to, vec![cfo.email]);

    // Another client's contact cannot be named.
    let other = w.client_named("Globex");
    let stranger = w.contact(&other, "ap@globex.example");
    let mut input = payment(&w, 1_000, &[(&invoice, 1_000)]);
    input.notify_contact = Some(stranger.id);
    assert!(matches!(
        block_on(w.s.payments.record_payment(&w.account, input)),
        Err(PaymentError::ContactNotFound)
    ));

    // A deactivated recipient gets no receipt.
    block_on(w.s.crm.update_contact(
        &w.account,
        w.contact.id,
        ContactPatch {
            active: Some(false),
            ..ContactPatch::default()
        },
    ))
    .unwrap();
    let recorded = block_on(
        w.s.payments
            .record_payment(&w.account, payment(&w, 1_000, &[(&invoice, 1_000)])),
    )
    .unwrap();
    assert!(recorded.receipts_to.is_empty());
    let receipts = block_on(w.s.outbox.messages(&w.account, None, page()))
        .unwrap()
        .items
        .into_iter()
        .filter(|m| m.topic == OutboxTopic::Receipt)
        .count();
    assert_eq!(receipts, 1);
}

#[test]
fn the_portal_shows_partly_paid_invoices_as_outstanding_and_the_payment_history() {
    let w = World::new();
    let invoice = w.sent(&w.invoice(&w.client, "INV-1"), &w.contact);
    let recorded = block_on(
        w.s.payments
            .record_payment(&w.account, payment(&w, 50_000, &[(&invoice, 50_000)])),
    )
    .unwrap();
    let ctx = w.sign_in(&w.contact);
    let home = block_on(w.s.views.portal_home(
        &ctx,
        &super::browser(),
        crate::service::HomePages::default(),
    ))
    .unwrap();
    assert_eq!(home.outstanding.len(), 1);
    assert_eq!(home.outstanding[0].amount_due().minor(), 100_000);
    assert_eq!(home.total_due, vec![usd(100_000)]);
    assert_eq!(home.payments.items.len(), 1);
    let listed = &home.payments.items[0];
    assert_eq!(listed.id, recorded.payment.id());
    assert_eq!(listed.invoices.len(), 1);
    assert_eq!(listed.invoices[0].document_id, invoice.id());
    assert_eq!(listed.invoices[0].number.as_str(), "INV-1");
    assert_eq!(listed.invoices[0].amount.minor(), 50_000);
}

#[test]
fn an_inactive_client_gets_no_receipt_even_when_a_contact_is_named() {
    let w = World::new();
    let invoice = w.sent(&w.invoice(&w.client, "INV-1"), &w.contact);
    let patch = crate::model::ClientPatch {
        active: Some(false),
        ..Default::default()
    };
    block_on(w.s.crm.update_client(&w.account, w.client.id, patch)).unwrap();
    let mut named = payment(&w, 1_000, &[(&invoice, 1_000)]);
    named.notify_contact = Some(w.contact.id);
    assert!(matches!(
        block_on(w.s.payments.record_payment(&w.account, named)),
        Err(PaymentError::ClientInactive)
    ));
    // Recorded without a named contact: kept, and no email goes out.
    let recorded = block_on(
        w.s.payments
            .record_payment(&w.account, payment(&w, 1_000, &[(&invoice, 1_000)])),
    )
    .unwrap();
    assert!(recorded.receipts_to.is_empty());
    assert_eq!(w.reload(&invoice).amount_paid().minor(), 1_000);
}
