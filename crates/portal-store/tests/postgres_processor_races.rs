//! Processor races on PostgreSQL, across two connection pools standing in
//! for two server processes: of many submissions of one pay form exactly
//! one is recorded, a webhook event delivered many times at once is
//! applied once, a client keeps a single default method however many are
//! chosen at once, and racing connects leave the account one connection.

mod common;

use std::sync::Arc;

use chrono::{Duration, Utc};
use portal_domain::ports::{Batch, BatchStore, CrmStore, PaymentStore, ProcessorStore, Write};
use portal_domain::testing::SeededRandom;
use portal_domain::{
    CardBrand, Checkout, CheckoutId, CheckoutState, Client, ConnectionHealth, ConnectionId,
    Contact, ContactId, Currency, EmailAddress, Last4, LinkId, LinkPurpose, MagicLink,
    MethodDetails, Money, Name, Payment, PaymentId, PaymentMethod, PaymentMethodId, PaymentRecord,
    PaymentStatus, PortalSession, ProcessorCharge, ProcessorKind, ProcessorRef, SessionId,
    StoredMethod, Token,
};
use portal_store::Database;

use common::{client, two_processes};

/// The pool of the `i`th racer: the two take turns.
fn pool<'a>(i: usize, first: &'a Database, second: &'a Database) -> Database {
    if i.is_multiple_of(2) {
        first.clone()
    } else {
        second.clone()
    }
}

/// A contact of `client`.
async fn contact(db: &Database, random: &SeededRandom, client: &Client) -> Contact {
    let now = Utc::now();
    let contact = Contact {
        id: ContactId::generate(random),
        account_id: client.account_id,
        client_id: client.id,
        name: Name::parse("name", "Pat").unwrap(),
        email: EmailAddress::parse("email", "pat@acme.example").unwrap(),
        active: true,
        created_at: now,
        updated_at: now,
    };
    db.insert_contact(&contact).await.unwrap();
    contact
}

/// A pending session of `contact`, stored with the link that would
/// activate it.
async fn session(db: &Database, random: &SeededRandom, contact: &Contact) -> SessionId {
    let now = Utc::now();
    let mut link = MagicLink {
        id: LinkId::generate(random),
        account_id: contact.account_id,
        client_id: contact.client_id,
        contact_id: contact.id,
        document_id: None,
        session_id: None,
        token_hash: Token::generate(random).hash(),
        purpose: LinkPurpose::DocumentSent,
        created_at: now,
        expires_at: now + Duration::days(1),
        used_at: None,
        revoked_at: None,
    };
    let pending = PortalSession::pending(SessionId::generate(random), &link, now);
    link.session_id = Some(pending.id);
    let insert = Batch::new().with(Write::InsertLink {
        link,
        pending: Some(pending.clone()),
        email: contact.email.clone(),
    });
    assert!(db.commit(&insert).await.unwrap());
    pending.id
}

fn usd(minor: i64) -> Money {
    Money::new(minor, Currency::parse("currency", "USD").unwrap())
}

fn pending_payment(random: &SeededRandom, client: &Client, connection: ConnectionId) -> Payment {
    let now = Utc::now();
    Payment::restore(PaymentRecord {
        id: PaymentId::generate(random),
        account_id: client.account_id,
        client_id: client.id,
        amount: usd(4_900),
        method: PaymentMethod::Card {
            brand: CardBrand::Visa,
            last4: None,
        },
        reference: None,
        received_at: now,
        status: PaymentStatus::Pending,
        allocations: Vec::new(),
        refunds: Vec::new(),
        created_at: now,
        version: 0,
        processor: Some(ProcessorCharge {
            kind: ProcessorKind::Test,
            connection_id: connection,
            reference: None,
        }),
        failure: None,
    })
    .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn forty_submissions_of_one_pay_form_record_one_payment() {
    let Some((_harness, first, second)) = two_processes().await else {
        return;
    };
    let random = Arc::new(SeededRandom::new(21));
    let (account, client) = client(&first, &random).await;
    let contact = contact(&first, &random, &client).await;
    let session = session(&first, &random, &contact).await;
    let connection = ConnectionId::generate(random.as_ref());
    let now = Utc::now();
    let checkout = Checkout {
        id: CheckoutId::generate(random.as_ref()),
        account_id: account.id,
        client_id: client.id,
        contact_id: contact.id,
        session_id: session,
        connection_id: connection,
        payment_id: PaymentId::generate(random.as_ref()),
        amount: usd(4_900),
        allocations: Vec::new(),
        created_at: now,
        expires_at: now + Duration::hours(2),
        state: CheckoutState::Open,
    };
    assert!(
        first
            .commit(&Batch::new().with(Write::InsertCheckout(checkout.clone())))
            .await
            .unwrap()
    );

    let mut tasks = Vec::new();
    for i in 0..40 {
        let db = pool(i, &first, &second);
        let payment = pending_payment(&random, &client, connection);
        let id = payment.id();
        let batch = Batch::new()
            .with(Write::SubmitCheckout {
                account: account.id,
                id: checkout.id,
                at: Utc::now(),
            })
            .with(Write::InsertPayment(payment));
        tasks.push(tokio::spawn(async move {
            (
                id,
                db.commit(&batch).await.expect("a submission wins or loses"),
            )
        }));
    }
    let mut winners = Vec::new();
    let mut losers = Vec::new();
    for task in tasks {
        let (id, won) = task.await.unwrap();
        if won { &mut winners } else { &mut losers }.push(id);
    }
    assert_eq!(winners.len(), 1, "exactly one submission is recorded");
    assert!(
        first
            .payment(account.id, winners[0])
            .await
            .unwrap()
            .is_some()
    );
    for lost in losers {
        assert_eq!(first.payment(account.id, lost).await.unwrap(), None);
    }
    let stored = second
        .checkout(account.id, checkout.id)
        .await
        .unwrap()
        .unwrap();
    assert!(matches!(stored.state, CheckoutState::Submitted(_)));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_webhook_event_delivered_thirty_times_at_once_is_applied_once() {
    let Some((_harness, first, second)) = two_processes().await else {
        return;
    };
    let random = Arc::new(SeededRandom::new(22));
    let (account, _) = client(&first, &random).await;
    let mut tasks = Vec::new();
    for i in 0..30 {
        let db = pool(i, &first, &second);
        let batch = Batch::new().with(Write::RecordProcessorEvent {
            account: account.id,
            processor: ProcessorKind::Stripe,
            event_id: ProcessorRef::parse("evt_1QxYz").unwrap(),
            event_type: "payment_intent.succeeded".into(),
            payment: None,
            at: Utc::now(),
        });
        tasks.push(tokio::spawn(async move {
            db.commit(&batch).await.expect("an event is applied or not")
        }));
    }
    let mut applied = 0;
    for task in tasks {
        applied += usize::from(task.await.unwrap());
    }
    assert_eq!(applied, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_client_keeps_one_default_method_when_many_are_chosen_at_once() {
    let Some((_harness, first, second)) = two_processes().await else {
        return;
    };
    let random = Arc::new(SeededRandom::new(23));
    let (account, client) = client(&first, &random).await;
    let connection = ConnectionId::generate(random.as_ref());
    let mut methods = Vec::new();
    for n in 0..12 {
        let method = StoredMethod {
            id: PaymentMethodId::generate(random.as_ref()),
            account_id: account.id,
            client_id: client.id,
            connection_id: connection,
            reference: ProcessorRef::parse(&format!("pm_{n}")).unwrap(),
            details: MethodDetails::Card {
                brand: CardBrand::Visa,
                last4: Last4::parse("4242").unwrap(),
                expiry: None,
            },
            is_default: n == 0,
            added_by: None,
            created_at: Utc::now(),
        };
        assert!(
            first
                .commit(&Batch::new().with(Write::InsertMethod(method.clone())))
                .await
                .unwrap()
        );
        methods.push(method);
    }
    let mut tasks = Vec::new();
    for (i, method) in methods.iter().enumerate() {
        let db = pool(i, &first, &second);
        // Most choose a saved method, some save a new default.
        let write = if i.is_multiple_of(3) {
            Write::InsertMethod(StoredMethod {
                id: PaymentMethodId::generate(random.as_ref()),
                reference: ProcessorRef::parse(&format!("pm_new_{i}")).unwrap(),
                is_default: true,
                ..method.clone()
            })
        } else {
            Write::SetDefaultMethod {
                account: account.id,
                id: method.id,
            }
        };
        tasks.push(tokio::spawn(async move {
            db.commit(&Batch::new().with(write))
                .await
                .expect("choosing a default never errors")
        }));
    }
    for task in tasks {
        assert!(task.await.unwrap(), "every method is still there");
    }
    let listed = second
        .methods(account.id, connection, client.id)
        .await
        .unwrap();
    assert_eq!(listed.iter().filter(|m| m.is_default).count(), 1);
    assert!(listed[0].is_default, "the default is listed first");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn racing_connects_leave_the_account_one_connection() {
    let Some((_harness, first, second)) = two_processes().await else {
        return;
    };
    let random = Arc::new(SeededRandom::new(24));
    let (account, _) = client(&first, &random).await;
    let mut tasks = Vec::new();
    let mut ids = Vec::new();
    for i in 0..20 {
        let db = pool(i, &first, &second);
        let record = portal_domain::ports::ConnectionRecord {
            id: ConnectionId::generate(random.as_ref()),
            account_id: account.id,
            kind: ProcessorKind::Test,
            public: String::new(),
            sealed_secrets: vec![u8::try_from(i).unwrap(); 8],
            created_at: Utc::now(),
            health: ConnectionHealth::default(),
        };
        ids.push(record.id);
        tasks.push(tokio::spawn(async move {
            db.commit(&Batch::new().with(Write::PutConnection(record)))
                .await
                .expect("a connect never errors")
        }));
    }
    for task in tasks {
        assert!(task.await.unwrap());
    }
    let connected = first.connection(account.id).await.unwrap().unwrap();
    assert!(ids.contains(&connected.id));
}
