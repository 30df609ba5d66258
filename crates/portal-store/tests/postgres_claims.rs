//! Races for things that can be claimed once, on PostgreSQL with several
//! server processes sharing the database: outbox items under a lease, the
//! open amount of an invoice, and an idempotency key.

mod common;

use std::collections::HashSet;
use std::sync::Arc;

use chrono::{Duration, SubsecRound, Utc};
use portal_domain::ports::{
    Batch, BatchStore, DocumentStore, IdempotencyStore, OutboxStore, PaymentFilter, PaymentStore,
    Write,
};
use portal_domain::service::{PaymentError, PaymentInput, PortalConfig};
use portal_domain::testing::{FixedClock, RecordingMailer, SeededRandom};
use portal_domain::{
    Allocation, ClaimToken, Currency, Description, Document, DocumentAction, DocumentId,
    DocumentInput, DocumentKind, DocumentNumber, Email, EmailAddress, Fingerprint,
    IDEMPOTENCY_LEASE, IDEMPOTENCY_RETENTION, IdempotencyKey, IdempotencyRecord, IdempotencyState,
    LineItem, ManualKind, Money, OutboxId, OutboxMessage, OutboxPayload, OutboxTopic, PageRequest,
    PaymentMethod, PublicUrl, Quantity, ServerKey, Services,
};

use common::{client, two_processes};

fn uuid(random: &SeededRandom) -> uuid::Uuid {
    let mut bytes = [0u8; 16];
    portal_domain::ports::RandomSource::fill(random, &mut bytes);
    uuid::Builder::from_random_bytes(bytes).into_uuid()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_claimers_never_take_one_item_twice_while_leases_hold() {
    let Some((_harness, db, other)) = two_processes().await else {
        return;
    };
    let random = Arc::new(SeededRandom::new(5));
    let (account, _) = client(&db, &random).await;
    let now = Utc::now();
    let mut batch = Batch::new();
    for n in 0..60 {
        let email = Email {
            to: EmailAddress::parse("email", &format!("ap{n}@acme.example")).unwrap(),
            to_name: "Pat".into(),
            from_name: "Account".into(),
            subject: format!("Item {n}"),
            text: "Hello".into(),
            html: "<p>Hello</p>".into(),
            attachments: Vec::new(),
            message_key: None,
        };
        batch.push(Write::Enqueue(OutboxMessage::new(
            OutboxId::generate(random.as_ref()),
            account.id,
            OutboxTopic::PortalLink,
            OutboxPayload::Email { email, link: None },
            now - Duration::seconds(n),
        )));
    }
    assert!(db.commit(&batch).await.unwrap());

    let mut workers = Vec::new();
    for w in 0..8 {
        let db = if w % 2 == 0 {
            db.clone()
        } else {
            other.clone()
        };
        let claim = ClaimToken(uuid(&random));
        workers.push(tokio::spawn(async move {
            let mut mine = Vec::new();
            loop {
                let lease = Utc::now() + Duration::minutes(10);
                let claimed = db.claim_outbox(claim, Utc::now(), lease, 3).await.unwrap();
                if claimed.is_empty() {
                    return mine;
                }
                mine.extend(claimed.into_iter().map(|m| (m.id, m.attempts)));
                tokio::task::yield_now().await;
            }
        }));
    }
    let mut seen = HashSet::new();
    let mut busy = 0;
    for worker in workers {
        let mine = worker.await.unwrap();
        busy += usize::from(!mine.is_empty());
        for (id, attempts) in mine {
            assert!(seen.insert(id), "{id:?} was claimed twice");
            assert_eq!(attempts, 1);
        }
    }
    assert_eq!(seen.len(), 60, "every due item was claimed once");
    assert!(busy > 1, "the claimers ran side by side");
}

/// A sent invoice of `total` minor units, as stored.
async fn invoice(
    db: &portal_store::Database,
    client: &portal_domain::Client,
    total: i64,
) -> Document {
    let random = SeededRandom::new(3);
    let eur = Currency::parse("currency", "EUR").unwrap();
    let line = LineItem::new(
        Description::parse("description", "Consulting").unwrap(),
        Quantity::parse("quantity", "1").unwrap(),
        Money::new(total, eur),
    )
    .unwrap();
    let today = Utc::now().date_naive();
    let draft = Document::draft(
        DocumentId::generate(&random),
        client.account_id,
        DocumentInput {
            kind: DocumentKind::Invoice,
            client_id: client.id,
            number: DocumentNumber::parse("number", "INV-RACE").unwrap(),
            title: None,
            currency: eur,
            issue_date: today,
            due_date: Some(today),
            lines: vec![line],
        },
        Utc::now(),
    )
    .unwrap();
    db.insert_document(&draft).await.unwrap();
    let sent = draft.apply(DocumentAction::Send, Utc::now()).unwrap();
    assert!(
        db.commit(&Batch::new().with(Write::UpdateDocument(sent.clone())))
            .await
            .unwrap()
    );
    sent.bumped()
}

/// The portal's services over `db`, with ids from `seed` (one per
/// process, so two processes never mint the same ids).
fn services(db: portal_store::Database, seed: u64) -> Services {
    let config = PortalConfig {
        public_url: PublicUrl::parse("public_url", "https://portal.example").unwrap(),
        link_requests: portal_domain::LinkRequestPolicy::default(),
        outbox: portal_domain::OutboxPolicy::default(),
        server_key: ServerKey::from_bytes([7; 32]),
    };
    Services::new(
        Arc::new(db),
        Arc::new(RecordingMailer::default()),
        Arc::new(portal_domain::testing::NoProcessors),
        Arc::new(portal_domain::testing::SheetEcho::default()),
        Arc::new(FixedClock::at(Utc::now())),
        Arc::new(SeededRandom::new(seed)),
        config,
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_payments_never_pay_an_invoice_more_than_its_total() {
    let Some((_harness, db, other)) = two_processes().await else {
        return;
    };
    let random = SeededRandom::new(13);
    let (account, client) = client(&db, &random).await;
    let total = 10_000;
    let invoice = invoice(&db, &client, total).await;
    let (first, second) = (services(db.clone(), 17), services(other.clone(), 18));

    let mut payers = Vec::new();
    for n in 0..20 {
        let s = if n % 2 == 0 {
            first.clone()
        } else {
            second.clone()
        };
        let (account, amount) = (account.clone(), Money::new(3_000, invoice.currency()));
        let input = PaymentInput {
            client_id: client.id,
            amount,
            method: PaymentMethod::Manual(ManualKind::BankTransfer),
            reference: None,
            received_at: Utc::now(),
            allocations: vec![Allocation {
                document_id: invoice.id(),
                amount,
            }],
            notify_contact: None,
        };
        payers.push(tokio::spawn(async move {
            s.payments.record_payment(&account, input).await
        }));
    }
    let mut paid = 0;
    for payer in payers {
        match payer.await.unwrap() {
            Ok(recorded) => paid += recorded.payment.amount().minor(),
            Err(PaymentError::Allocation { .. } | PaymentError::ChangedConcurrently) => {}
            Err(other) => panic!("a payment failed for another reason: {other:?}"),
        }
    }
    assert!(paid > 0, "some payment went through");
    assert!(paid <= total, "{paid} paid on an invoice of {total}");
    let stored = db
        .document(account.id, invoice.id())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(stored.amount_paid().minor(), paid);
    let payments = db
        .payments(
            account.id,
            PaymentFilter::default(),
            &PageRequest::first(100),
        )
        .await
        .unwrap();
    let recorded: i64 = payments.iter().map(|p| p.amount().minor()).sum();
    assert_eq!(
        recorded, paid,
        "every payment stored is on the invoice's ledger"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn of_twenty_concurrent_starts_with_one_key_exactly_one_proceeds() {
    let Some((_harness, db, other)) = two_processes().await else {
        return;
    };
    let random = Arc::new(SeededRandom::new(21));
    let (account, _) = client(&db, &random).await;
    let key = IdempotencyKey::parse("key", "5b0c1c9e-race").unwrap();
    // Stores keep microseconds: so does the record compared with theirs.
    let now = Utc::now().trunc_subsecs(6);
    let mut starts = Vec::new();
    for n in 0..20 {
        let db = if n % 2 == 0 {
            db.clone()
        } else {
            other.clone()
        };
        let record = IdempotencyRecord {
            account_id: account.id,
            key: key.clone(),
            fingerprint: Fingerprint::of("POST", "/api/payments", b"{}"),
            state: IdempotencyState::InProgress {
                claim: uuid(&random),
                lease_until: now + IDEMPOTENCY_LEASE,
            },
            created_at: now,
            expires_at: now + IDEMPOTENCY_RETENTION,
        };
        starts.push(tokio::spawn(async move {
            let held = db.begin_request(&record, now).await.unwrap();
            (record, held)
        }));
    }
    let mut winners = Vec::new();
    let mut holders = Vec::new();
    for start in starts {
        match start.await.unwrap() {
            (record, None) => winners.push(record),
            (_, Some(held)) => holders.push(held),
        }
    }
    assert_eq!(winners.len(), 1, "exactly one start proceeds");
    assert_eq!(holders.len(), 19);
    assert!(
        holders.iter().all(|held| *held == winners[0]),
        "the others see the winner's record"
    );
    assert_eq!(
        db.idempotency_record(account.id, &key)
            .await
            .unwrap()
            .as_ref(),
        winners.first()
    );
}
