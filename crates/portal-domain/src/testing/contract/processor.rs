//! Contract checks for processors: connections and their health,
//! customers, saved methods, checkouts (the pay form's one-time token),
//! processor payments and webhook events.

use std::future::Future;
use std::pin::Pin;
use std::task::Poll;

use chrono::{DateTime, Duration, Utc};

use crate::model::{
    Account, Allocation, AuditAction, CardBrand, Checkout, CheckoutId, CheckoutState, Client,
    ConnectionHealth, ConnectionId, Contact, DocumentKind, Expiry, Last4, ManualKind,
    MethodDetails, Money, Payment, PaymentId, PaymentMethod, PaymentMethodId, PaymentRecord,
    PaymentStatus, PortalSession, ProcessorCharge, ProcessorCustomer, ProcessorKind, ProcessorRef,
    SessionId, StoredMethod,
};
use crate::ports::{Batch, ConnectionRecord, Store, Write};

use super::fixture::eur;
use super::{Fixture, date};

/// Runs `futures` together on one task and answers their outputs in
/// order: the store sees them at once, as it would from several requests.
async fn together<F: Future>(futures: Vec<F>) -> Vec<F::Output> {
    let mut running: Vec<Pin<Box<F>>> = futures.into_iter().map(Box::pin).collect();
    let mut outputs: Vec<Option<F::Output>> = running.iter().map(|_| None).collect();
    std::future::poll_fn(move |cx| {
        for (future, output) in running.iter_mut().zip(outputs.iter_mut()) {
            if output.is_none()
                && let Poll::Ready(out) = future.as_mut().poll(cx)
            {
                *output = Some(out);
            }
        }
        if outputs.iter().all(Option::is_some) {
            Poll::Ready(outputs.iter_mut().filter_map(Option::take).collect())
        } else {
            Poll::Pending
        }
    })
    .await
}

fn reference(text: &str) -> ProcessorRef {
    ProcessorRef::parse(text).expect("fixture reference")
}

fn last4(text: &str) -> Last4 {
    Last4::parse(text).expect("fixture last four")
}

fn card(brand: CardBrand, digits: &str, expiry: Option<(u32, i32)>) -> MethodDetails {
    MethodDetails::Card {
        brand,
        last4: last4(digits),
        expiry: expiry.map(|(m, y)| Expiry::new(m, y).expect("fixture expiry")),
    }
}

fn bank(name: Option<&str>, digits: &str) -> MethodDetails {
    MethodDetails::BankAccount {
        bank_name: name.map(str::to_owned),
        last4: last4(digits),
    }
}

async fn commit(store: &dyn Store, write: Write) -> bool {
    store
        .commit(&Batch::new().with(write))
        .await
        .expect("the batch commits or loses")
}

/// An account with a client and a contact.
async fn client_with_contact(f: &Fixture<'_>, name: &str) -> (Account, Client, Contact) {
    let account = f.account(name).await;
    let client = f.client(&account, "Acme").await;
    let contact = f.contact(&client, "ap@acme.example").await;
    (account, client, contact)
}

impl Fixture<'_> {
    /// A connection of `account` to `kind`, with secrets that are not
    /// text, as sealed secrets are not.
    fn connection(&self, account: &Account, kind: ProcessorKind) -> ConnectionRecord {
        ConnectionRecord {
            id: ConnectionId::generate(self.random()),
            account_id: account.id,
            kind,
            public: "publishable_key=pk_test_123456\n".into(),
            sealed_secrets: vec![0x00, 0xFF, 0x10, 0x80, b'k', 0x00],
            created_at: self.now,
            health: ConnectionHealth::default(),
        }
    }

    /// A method of `client` under `connection`, saved `minutes` after now.
    fn method(
        &self,
        client: &Client,
        connection: ConnectionId,
        reference_text: &str,
        details: MethodDetails,
        is_default: bool,
        minutes: i64,
    ) -> StoredMethod {
        StoredMethod {
            id: PaymentMethodId::generate(self.random()),
            account_id: client.account_id,
            client_id: client.id,
            connection_id: connection,
            reference: reference(reference_text),
            details,
            is_default,
            added_by: None,
            created_at: self.now + Duration::minutes(minutes),
        }
    }

    /// A pending session of `contact`, stored with the link that would
    /// activate it.
    async fn session(&self, contact: &Contact) -> SessionId {
        let (mut link, _) = self.link(contact, None, self.now + Duration::days(1));
        let pending = PortalSession::pending(SessionId::generate(self.random()), &link, self.now);
        link.session_id = Some(pending.id);
        assert!(self.insert_link(&link, Some(&pending)).await.unwrap());
        pending.id
    }

    /// An open checkout of `contact` for `allocations` (document, minor
    /// units), expiring `lifetime` after now.
    fn checkout(
        &self,
        contact: &Contact,
        session: SessionId,
        connection: ConnectionId,
        allocations: &[(crate::model::DocumentId, i64)],
        lifetime: Duration,
    ) -> Checkout {
        let amount: i64 = allocations.iter().map(|(_, minor)| minor).sum();
        Checkout {
            id: CheckoutId::generate(self.random()),
            account_id: contact.account_id,
            client_id: contact.client_id,
            contact_id: contact.id,
            session_id: session,
            connection_id: connection,
            payment_id: PaymentId::generate(self.random()),
            amount: Money::new(amount.max(1), eur()),
            allocations: allocations
                .iter()
                .map(|(document_id, minor)| Allocation {
                    document_id: *document_id,
                    amount: Money::new(*minor, eur()),
                })
                .collect(),
            created_at: self.now,
            expires_at: self.now + lifetime,
            state: CheckoutState::Open,
        }
    }

    /// A card payment of `client` through `kind`, made at `created_at`.
    fn charge(
        &self,
        client: &Client,
        kind: ProcessorKind,
        connection: ConnectionId,
        charge: Option<&str>,
        status: PaymentStatus,
        created_at: DateTime<Utc>,
    ) -> Payment {
        Payment::restore(PaymentRecord {
            id: PaymentId::generate(self.random()),
            account_id: client.account_id,
            client_id: client.id,
            amount: Money::new(4_900, eur()),
            method: PaymentMethod::Card {
                brand: CardBrand::Visa,
                last4: None,
            },
            reference: None,
            received_at: created_at,
            status,
            allocations: Vec::new(),
            refunds: Vec::new(),
            created_at,
            version: 0,
            processor: Some(ProcessorCharge {
                kind,
                connection_id: connection,
                reference: charge.map(reference),
            }),
            failure: None,
        })
        .expect("fixture processor payment")
    }
}

pub async fn processor_connections_are_put_replaced_and_deleted(store: &dyn Store) {
    let f = Fixture::new(store);
    let account = f.account("Account").await;
    let other = f.account("Other").await;
    assert_eq!(store.connection(account.id).await.unwrap(), None);

    let first = f.connection(&account, ProcessorKind::Stripe);
    assert!(commit(store, Write::PutConnection(first.clone())).await);
    assert_eq!(
        store.connection(account.id).await.unwrap(),
        Some(first.clone())
    );
    assert_eq!(store.connection(other.id).await.unwrap(), None);

    let theirs = f.connection(&other, ProcessorKind::Test);
    assert!(commit(store, Write::PutConnection(theirs.clone())).await);
    let second = ConnectionRecord {
        public: "api_login_id=5KP3u95bQpv\nclient_key=7aB3xY\nenvironment=sandbox\n".into(),
        sealed_secrets: vec![1, 2, 3],
        created_at: f.now + Duration::hours(1),
        ..f.connection(&account, ProcessorKind::AuthorizeNet)
    };
    assert!(commit(store, Write::PutConnection(second.clone())).await);
    assert_eq!(
        store.connection(account.id).await.unwrap(),
        Some(second),
        "a connection replaces the account's one before"
    );
    assert_eq!(
        store.connection(other.id).await.unwrap(),
        Some(theirs.clone())
    );

    let delete = Write::DeleteConnection {
        account: account.id,
    };
    assert!(commit(store, delete.clone()).await);
    assert_eq!(store.connection(account.id).await.unwrap(), None);
    assert!(
        commit(store, delete).await,
        "deleting no connection still holds"
    );
    assert_eq!(store.connection(other.id).await.unwrap(), Some(theirs));
    // The same account connects again.
    let again = f.connection(&account, ProcessorKind::Stripe);
    assert!(commit(store, Write::PutConnection(again.clone())).await);
    assert_eq!(store.connection(account.id).await.unwrap(), Some(again));
}

pub async fn connection_health_is_recorded_for_the_current_connection_only(store: &dyn Store) {
    let f = Fixture::new(store);
    let account = f.account("Account").await;
    let other = f.account("Other").await;
    let old = f.connection(&account, ProcessorKind::Stripe);
    assert!(commit(store, Write::PutConnection(old.clone())).await);
    let current = f.connection(&account, ProcessorKind::Stripe);
    assert!(commit(store, Write::PutConnection(current.clone())).await);
    let health = async || {
        store
            .connection(account.id)
            .await
            .unwrap()
            .expect("connected")
            .health
    };

    let ok_at = f.now + Duration::minutes(1);
    store
        .record_connection_health(account.id, current.id, None, ok_at)
        .await
        .unwrap();
    assert_eq!(
        health().await,
        ConnectionHealth {
            last_ok_at: Some(ok_at),
            last_error: None,
            last_error_at: None,
        }
    );
    let failed_at = ok_at + Duration::minutes(1);
    store
        .record_connection_health(
            account.id,
            current.id,
            Some("Stripe did not answer in time"),
            failed_at,
        )
        .await
        .unwrap();
    let failing = health().await;
    assert_eq!(
        failing,
        ConnectionHealth {
            last_ok_at: Some(ok_at),
            last_error: Some("Stripe did not answer in time".into()),
            last_error_at: Some(failed_at),
        }
    );
    assert!(failing.is_failing());

    // Neither the replaced connection nor another account writes it.
    let later = failed_at + Duration::minutes(1);
    store
        .record_connection_health(account.id, old.id, None, later)
        .await
        .unwrap();
    store
        .record_connection_health(other.id, current.id, None, later)
        .await
        .unwrap();
    assert_eq!(health().await, failing);

    let recovered_at = later + Duration::minutes(1);
    store
        .record_connection_health(account.id, current.id, None, recovered_at)
        .await
        .unwrap();
    let recovered = health().await;
    assert_eq!(recovered.last_ok_at, Some(recovered_at));
    assert_eq!(recovered.last_error_at, Some(failed_at));
    assert!(!recovered.is_failing());

    // After a disconnect there is nothing to record on.
    assert!(
        commit(
            store,
            Write::DeleteConnection {
                account: account.id
            }
        )
        .await
    );
    store
        .record_connection_health(account.id, current.id, Some("gone"), recovered_at)
        .await
        .unwrap();
    assert_eq!(store.connection(account.id).await.unwrap(), None);
}

pub async fn processor_customers_are_stored_once_per_client_and_connection(store: &dyn Store) {
    let f = Fixture::new(store);
    let account = f.account("Account").await;
    let client = f.client(&account, "Acme").await;
    let connection = f.connection(&account, ProcessorKind::Stripe);
    assert!(commit(store, Write::PutConnection(connection.clone())).await);
    assert_eq!(
        store
            .processor_customer(account.id, connection.id, client.id)
            .await
            .unwrap(),
        None
    );
    let customer = ProcessorCustomer {
        account_id: account.id,
        client_id: client.id,
        connection_id: connection.id,
        reference: reference("cus_first"),
        created_at: f.now,
    };
    assert_eq!(
        store.insert_processor_customer(&customer).await.unwrap(),
        customer
    );
    let late = ProcessorCustomer {
        reference: reference("cus_second"),
        created_at: f.now + Duration::seconds(1),
        ..customer.clone()
    };
    assert_eq!(
        store.insert_processor_customer(&late).await.unwrap(),
        customer,
        "the customer stored first wins"
    );
    assert_eq!(
        store
            .processor_customer(account.id, connection.id, client.id)
            .await
            .unwrap(),
        Some(customer.clone())
    );

    // Another connection has customers of its own.
    let next = f.connection(&account, ProcessorKind::AuthorizeNet);
    let there = ProcessorCustomer {
        connection_id: next.id,
        reference: reference("901234567"),
        ..customer.clone()
    };
    assert_eq!(
        store.insert_processor_customer(&there).await.unwrap(),
        there
    );
    assert_eq!(
        store
            .processor_customer(account.id, next.id, client.id)
            .await
            .unwrap(),
        Some(there)
    );
    let other = f.account("Other").await;
    assert_eq!(
        store
            .processor_customer(other.id, connection.id, client.id)
            .await
            .unwrap(),
        None
    );

    // Of racing inserts for one client, every one answers the same.
    let racer = f.client(&account, "Racer").await;
    let racing: Vec<ProcessorCustomer> = (0..8)
        .map(|n| ProcessorCustomer {
            client_id: racer.id,
            reference: reference(&format!("cus_race_{n}")),
            ..customer.clone()
        })
        .collect();
    let answers = together(
        racing
            .iter()
            .map(|c| store.insert_processor_customer(c))
            .collect(),
    )
    .await;
    let answers: Vec<ProcessorCustomer> = answers.into_iter().map(Result::unwrap).collect();
    assert!(answers.iter().all(|a| *a == answers[0]), "{answers:?}");
    assert!(racing.contains(&answers[0]));
    assert_eq!(
        store
            .processor_customer(account.id, connection.id, racer.id)
            .await
            .unwrap()
            .as_ref(),
        Some(&answers[0])
    );
}

pub async fn saved_methods_list_the_default_first_then_oldest(store: &dyn Store) {
    let f = Fixture::new(store);
    let (account, client, contact) = client_with_contact(&f, "Account").await;
    let connection = f.connection(&account, ProcessorKind::Stripe).id;
    let mut visa = f.method(
        &client,
        connection,
        "pm_visa",
        card(CardBrand::Visa, "4242", Some((12, 2030))),
        false,
        1,
    );
    visa.added_by = Some(contact.id);
    let amex = f.method(
        &client,
        connection,
        "pm_amex",
        card(CardBrand::Amex, "0005", None),
        false,
        1,
    );
    let default = f.method(
        &client,
        connection,
        "pm_bank",
        bank(Some("STRIPE TEST BANK"), "6789"),
        true,
        3,
    );
    let plain = f.method(
        &client,
        connection,
        "pm_plain",
        bank(None, "1234"),
        false,
        2,
    );
    for method in [&visa, &amex, &default, &plain] {
        assert!(commit(store, Write::InsertMethod(method.clone())).await);
    }
    let (first, second) = if visa.id < amex.id {
        (&visa, &amex)
    } else {
        (&amex, &visa)
    };
    assert_eq!(
        store
            .methods(account.id, connection, client.id)
            .await
            .unwrap(),
        vec![
            default.clone(),
            first.clone(),
            second.clone(),
            plain.clone()
        ]
    );
    assert_eq!(
        store.method(account.id, visa.id).await.unwrap(),
        Some(visa.clone())
    );
    assert_eq!(
        store.method(account.id, plain.id).await.unwrap(),
        Some(plain)
    );
    // Other clients and other connections list none of them.
    let globex = f.client(&account, "Globex").await;
    assert!(
        store
            .methods(account.id, connection, globex.id)
            .await
            .unwrap()
            .is_empty()
    );
    let elsewhere = f.connection(&account, ProcessorKind::Stripe).id;
    assert!(
        store
            .methods(account.id, elsewhere, client.id)
            .await
            .unwrap()
            .is_empty()
    );
}

pub async fn a_new_default_method_takes_over_from_the_old(store: &dyn Store) {
    let f = Fixture::new(store);
    let account = f.account("Account").await;
    let client = f.client(&account, "Acme").await;
    let globex = f.client(&account, "Globex").await;
    let connection = f.connection(&account, ProcessorKind::Test).id;
    let older = f.connection(&account, ProcessorKind::Test).id;
    let visa = card(CardBrand::Visa, "4242", Some((1, 2031)));
    let first = f.method(&client, connection, "pm_1", visa.clone(), true, 0);
    let theirs = f.method(&globex, connection, "pm_g", visa.clone(), true, 0);
    let old = f.method(&client, older, "pm_old", visa.clone(), true, 0);
    for method in [&first, &theirs, &old] {
        assert!(commit(store, Write::InsertMethod(method.clone())).await);
    }
    let second = f.method(&client, connection, "pm_2", visa.clone(), true, 5);
    assert!(commit(store, Write::InsertMethod(second.clone())).await);
    let defaults = async |client: &Client, connection| {
        store
            .methods(account.id, connection, client.id)
            .await
            .unwrap()
            .into_iter()
            .map(|m| (m.id, m.is_default))
            .collect::<Vec<_>>()
    };
    assert_eq!(
        defaults(&client, connection).await,
        vec![(second.id, true), (first.id, false)]
    );

    let third = f.method(&client, connection, "pm_3", visa.clone(), false, 9);
    assert!(commit(store, Write::InsertMethod(third.clone())).await);
    assert!(
        commit(
            store,
            Write::SetDefaultMethod {
                account: account.id,
                id: third.id,
            }
        )
        .await
    );
    assert_eq!(
        defaults(&client, connection).await,
        vec![(third.id, true), (first.id, false), (second.id, false)]
    );
    assert!(
        commit(
            store,
            Write::SetDefaultMethod {
                account: account.id,
                id: third.id,
            }
        )
        .await,
        "setting the default twice holds"
    );
    // Another client's default and the old connection's stay.
    assert_eq!(defaults(&globex, connection).await, vec![(theirs.id, true)]);
    assert_eq!(defaults(&client, older).await, vec![(old.id, true)]);
}

pub async fn a_method_saved_again_replaces_the_one_with_its_reference(store: &dyn Store) {
    let f = Fixture::new(store);
    let account = f.account("Account").await;
    let client = f.client(&account, "Acme").await;
    let connection = f.connection(&account, ProcessorKind::AuthorizeNet).id;
    let kept = f.method(
        &client,
        connection,
        "900001",
        card(CardBrand::Visa, "1111", Some((12, 2029))),
        true,
        0,
    );
    let first = f.method(
        &client,
        connection,
        "900002",
        card(CardBrand::Mastercard, "5454", Some((12, 2029))),
        false,
        1,
    );
    for method in [&kept, &first] {
        assert!(commit(store, Write::InsertMethod(method.clone())).await);
    }
    let again = f.method(
        &client,
        connection,
        "900002",
        card(CardBrand::Mastercard, "5454", Some((1, 2032))),
        false,
        2,
    );
    assert!(commit(store, Write::InsertMethod(again.clone())).await);
    assert_eq!(store.method(account.id, first.id).await.unwrap(), None);
    assert_eq!(
        store
            .methods(account.id, connection, client.id)
            .await
            .unwrap(),
        vec![kept.clone(), again.clone()]
    );
    // The same reference under another connection is another method.
    let elsewhere = f.connection(&account, ProcessorKind::AuthorizeNet).id;
    let twin = f.method(
        &client,
        elsewhere,
        "900002",
        card(CardBrand::Mastercard, "5454", None),
        false,
        3,
    );
    assert!(commit(store, Write::InsertMethod(twin.clone())).await);
    assert_eq!(
        store.method(account.id, again.id).await.unwrap(),
        Some(again)
    );
    assert_eq!(store.method(account.id, twin.id).await.unwrap(), Some(twin));
}

pub async fn removing_or_defaulting_a_missing_method_loses_the_batch(store: &dyn Store) {
    let f = Fixture::new(store);
    let (account, client, contact) = client_with_contact(&f, "Account").await;
    let connection = f.connection(&account, ProcessorKind::Stripe).id;
    let default = f.method(
        &client,
        connection,
        "pm_default",
        card(CardBrand::Visa, "4242", None),
        true,
        0,
    );
    let spare = f.method(
        &client,
        connection,
        "pm_spare",
        card(CardBrand::Visa, "1881", None),
        false,
        1,
    );
    for method in [&default, &spare] {
        assert!(commit(store, Write::InsertMethod(method.clone())).await);
    }
    let remove = Write::RemoveMethod {
        account: account.id,
        id: default.id,
    };
    assert!(commit(store, remove.clone()).await);
    assert_eq!(store.method(account.id, default.id).await.unwrap(), None);
    assert_eq!(
        store
            .methods(account.id, connection, client.id)
            .await
            .unwrap(),
        vec![spare.clone()],
        "removing the default makes no other the default"
    );

    // A second removal, or making a removed method the default, loses its
    // whole batch.
    let audit = f.event(&contact, AuditAction::PaymentMethodRemoved, f.now);
    let lost = Batch::new().with(Write::Audit(audit.clone())).with(remove);
    assert!(!store.commit(&lost).await.unwrap());
    let lost = Batch::new()
        .with(Write::Audit(audit))
        .with(Write::SetDefaultMethod {
            account: account.id,
            id: default.id,
        });
    assert!(!store.commit(&lost).await.unwrap());
    assert!(
        store
            .client_events(account.id, client.id, &crate::model::PageRequest::first(5))
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(
        store.method(account.id, spare.id).await.unwrap(),
        Some(spare)
    );
}

pub async fn methods_are_scoped_to_their_account(store: &dyn Store) {
    let f = Fixture::new(store);
    let account = f.account("Account").await;
    let client = f.client(&account, "Acme").await;
    let other = f.account("Other").await;
    let connection = f.connection(&account, ProcessorKind::Stripe).id;
    let method = f.method(
        &client,
        connection,
        "pm_mine",
        card(CardBrand::Discover, "1117", Some((6, 2028))),
        false,
        0,
    );
    assert!(commit(store, Write::InsertMethod(method.clone())).await);
    assert_eq!(store.method(other.id, method.id).await.unwrap(), None);
    assert!(
        store
            .methods(other.id, connection, client.id)
            .await
            .unwrap()
            .is_empty()
    );
    for write in [
        Write::SetDefaultMethod {
            account: other.id,
            id: method.id,
        },
        Write::RemoveMethod {
            account: other.id,
            id: method.id,
        },
    ] {
        assert!(!commit(store, write).await, "another account's method");
    }
    assert_eq!(
        store.method(account.id, method.id).await.unwrap(),
        Some(method)
    );
}

pub async fn checkouts_round_trip_and_are_submitted_once(store: &dyn Store) {
    let f = Fixture::new(store);
    let (account, client, contact) = client_with_contact(&f, "Account").await;
    let session = f.session(&contact).await;
    let connection = f.connection(&account, ProcessorKind::Stripe).id;
    let a = f
        .sent(&f.document(&client, DocumentKind::Invoice, "INV-A", date("2026-11-01")))
        .await;
    let b = f
        .sent(&f.document(&client, DocumentKind::Invoice, "INV-B", date("2026-11-02")))
        .await;
    let checkout = f.checkout(
        &contact,
        session,
        connection,
        &[(b.id(), 30_000), (a.id(), 12_345)],
        Duration::hours(2),
    );
    assert!(commit(store, Write::InsertCheckout(checkout.clone())).await);
    assert_eq!(
        store.checkout(account.id, checkout.id).await.unwrap(),
        Some(checkout.clone())
    );
    let other = f.account("Other").await;
    assert_eq!(store.checkout(other.id, checkout.id).await.unwrap(), None);

    let submit = |account, at| Write::SubmitCheckout {
        account,
        id: checkout.id,
        at,
    };
    assert!(
        !commit(store, submit(other.id, f.now)).await,
        "another account's checkout"
    );
    let at = f.now + Duration::minutes(3);
    assert!(commit(store, submit(account.id, at)).await);
    assert_eq!(
        store.checkout(account.id, checkout.id).await.unwrap(),
        Some(Checkout {
            state: CheckoutState::Submitted(at),
            ..checkout.clone()
        })
    );
    // A second submission loses its whole batch.
    let payment = f.charge(
        &client,
        ProcessorKind::Stripe,
        connection,
        None,
        PaymentStatus::Pending,
        at,
    );
    let twice = Batch::new()
        .with(Write::InsertPayment(payment.clone()))
        .with(submit(account.id, at + Duration::seconds(1)));
    assert!(!store.commit(&twice).await.unwrap());
    assert_eq!(store.payment(account.id, payment.id()).await.unwrap(), None);
    assert_eq!(
        store
            .checkout(account.id, checkout.id)
            .await
            .unwrap()
            .map(|c| c.state),
        Some(CheckoutState::Submitted(at))
    );
    let missing = Write::SubmitCheckout {
        account: account.id,
        id: CheckoutId::generate(f.random()),
        at,
    };
    assert!(!commit(store, missing).await, "a checkout never stored");
}

pub async fn concurrent_checkout_submissions_have_one_winner(store: &dyn Store) {
    let f = Fixture::new(store);
    let (account, client, contact) = client_with_contact(&f, "Account").await;
    let session = f.session(&contact).await;
    let connection = f.connection(&account, ProcessorKind::Test).id;
    let invoice = f
        .sent(&f.document(&client, DocumentKind::Invoice, "INV-1", date("2026-11-01")))
        .await;
    let checkout = f.checkout(
        &contact,
        session,
        connection,
        &[(invoice.id(), 10_000)],
        Duration::hours(2),
    );
    assert!(commit(store, Write::InsertCheckout(checkout.clone())).await);
    // Each submission records its own payment with the submission, as
    // a pay form does: only the winner's is kept.
    let batches: Vec<(Payment, Batch)> = (0..12)
        .map(|n| {
            let at = f.now + Duration::milliseconds(n);
            let payment = f.charge(
                &client,
                ProcessorKind::Test,
                connection,
                None,
                PaymentStatus::Pending,
                at,
            );
            let batch = Batch::new()
                .with(Write::SubmitCheckout {
                    account: account.id,
                    id: checkout.id,
                    at,
                })
                .with(Write::InsertPayment(payment.clone()));
            (payment, batch)
        })
        .collect();
    let outcomes = together(batches.iter().map(|(_, b)| store.commit(b)).collect()).await;
    let won: Vec<usize> = outcomes
        .into_iter()
        .enumerate()
        .filter_map(|(i, outcome)| outcome.unwrap().then_some(i))
        .collect();
    assert_eq!(won.len(), 1, "exactly one submission wins: {won:?}");
    let winner = &batches[won[0]].0;
    let stored = store
        .checkout(account.id, checkout.id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(stored.state, CheckoutState::Submitted(winner.created_at()));
    for (payment, _) in &batches {
        let kept = store.payment(account.id, payment.id()).await.unwrap();
        assert_eq!(kept.is_some(), payment.id() == winner.id());
    }
}

pub async fn forgotten_checkouts_are_the_expired_unsubmitted_ones(store: &dyn Store) {
    let f = Fixture::new(store);
    let (account, client, contact) = client_with_contact(&f, "Account").await;
    let session = f.session(&contact).await;
    let connection = f.connection(&account, ProcessorKind::Stripe).id;
    let invoice = f
        .sent(&f.document(&client, DocumentKind::Invoice, "INV-1", date("2026-11-01")))
        .await;
    let make = |hours| {
        f.checkout(
            &contact,
            session,
            connection,
            &[(invoice.id(), 5_000)],
            Duration::hours(hours),
        )
    };
    let (expired, live, submitted, edge) = (make(1), make(5), make(1), make(3));
    for checkout in [&expired, &live, &submitted, &edge] {
        assert!(commit(store, Write::InsertCheckout(checkout.clone())).await);
    }
    assert!(
        commit(
            store,
            Write::SubmitCheckout {
                account: account.id,
                id: submitted.id,
                at: f.now,
            }
        )
        .await
    );
    let before = f.now + Duration::hours(3);
    assert_eq!(store.forget_checkouts(before).await.unwrap(), 1);
    assert_eq!(store.checkout(account.id, expired.id).await.unwrap(), None);
    for kept in [&live, &edge] {
        assert_eq!(
            store.checkout(account.id, kept.id).await.unwrap().as_ref(),
            Some(kept),
            "not expired before the cut-off"
        );
    }
    assert!(
        store
            .checkout(account.id, submitted.id)
            .await
            .unwrap()
            .is_some(),
        "a submitted checkout is kept"
    );
    assert_eq!(store.forget_checkouts(before).await.unwrap(), 0);
}

pub async fn processor_payments_round_trip_with_method_and_failure(store: &dyn Store) {
    let f = Fixture::new(store);
    let account = f.account("Account").await;
    let client = f.client(&account, "Acme").await;
    let connection = f.connection(&account, ProcessorKind::Stripe).id;
    let invoice = f
        .sent(&f.document(&client, DocumentKind::Invoice, "INV-1", date("2026-11-01")))
        .await;
    let at = f.now + Duration::hours(1);
    let record = |method, status, failure: Option<&str>, allocations: Vec<Allocation>| {
        Payment::restore(PaymentRecord {
            id: PaymentId::generate(f.random()),
            account_id: account.id,
            client_id: client.id,
            amount: Money::new(20_000, eur()),
            method,
            reference: None,
            received_at: at,
            status,
            allocations,
            refunds: Vec::new(),
            created_at: at,
            version: 0,
            processor: Some(ProcessorCharge {
                kind: ProcessorKind::Stripe,
                connection_id: connection,
                reference: Some(reference("pi_3Q1xYz")),
            }),
            failure: failure.map(str::to_owned),
        })
        .unwrap()
    };
    let paid = record(
        PaymentMethod::Card {
            brand: CardBrand::Mastercard,
            last4: Some(last4("4444")),
        },
        PaymentStatus::Succeeded,
        None,
        vec![Allocation {
            document_id: invoice.id(),
            amount: Money::new(20_000, eur()),
        }],
    );
    let (_, entry) = paid.ledger_entries().next().unwrap();
    let settled = invoice.with_entries([entry], at).unwrap();
    let batch = Batch::new()
        .with(Write::InsertPayment(paid.clone()))
        .with(Write::UpdateDocument(settled.clone()));
    assert!(store.commit(&batch).await.unwrap());
    assert_eq!(
        store.payment(account.id, paid.id()).await.unwrap(),
        Some(paid.clone())
    );
    let stored = store
        .document(account.id, invoice.id())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(stored, settled.bumped());
    let applied = stored.ledger().applied_payments(eur()).unwrap();
    assert_eq!(applied[0].method, paid.method());

    for (method, status, failure) in [
        (
            PaymentMethod::BankDebit {
                last4: Some(last4("6789")),
            },
            PaymentStatus::Failed,
            Some("The bank refused the debit: «insufficient funds»."),
        ),
        (
            PaymentMethod::BankDebit { last4: None },
            PaymentStatus::Pending,
            None,
        ),
        (
            PaymentMethod::Card {
                brand: CardBrand::Other,
                last4: None,
            },
            PaymentStatus::Failed,
            Some("Your card was declined."),
        ),
        (
            PaymentMethod::Manual(ManualKind::Cash),
            PaymentStatus::Succeeded,
            None,
        ),
    ] {
        let payment = record(method, status, failure, Vec::new());
        assert!(commit(store, Write::InsertPayment(payment.clone())).await);
        assert_eq!(
            store.payment(account.id, payment.id()).await.unwrap(),
            Some(payment),
            "{method:?}"
        );
    }
}

pub async fn payment_updates_compare_the_version(store: &dyn Store) {
    let f = Fixture::new(store);
    let (account, client, contact) = client_with_contact(&f, "Account").await;
    let connection = f.connection(&account, ProcessorKind::AuthorizeNet).id;
    let pending = f.charge(
        &client,
        ProcessorKind::AuthorizeNet,
        connection,
        None,
        PaymentStatus::Pending,
        f.now,
    );
    assert!(commit(store, Write::InsertPayment(pending.clone())).await);
    let method = PaymentMethod::Card {
        brand: CardBrand::Visa,
        last4: Some(last4("1111")),
    };
    let succeeded = pending
        .settled(
            PaymentStatus::Succeeded,
            Some(reference("60123456789")),
            Some(method),
            None,
        )
        .unwrap();
    assert_eq!(succeeded.version(), 1);
    assert!(commit(store, Write::UpdatePayment(succeeded.clone())).await);
    assert_eq!(
        store.payment(account.id, pending.id()).await.unwrap(),
        Some(succeeded.clone())
    );

    // A settlement made from the payment as it was before loses its
    // whole batch.
    let stale = pending
        .settled(
            PaymentStatus::Failed,
            None,
            None,
            Some("Declined".to_owned()),
        )
        .unwrap();
    let audit = f.event(&contact, AuditAction::PaymentRecorded, f.now);
    let lost = Batch::new()
        .with(Write::Audit(audit))
        .with(Write::UpdatePayment(stale));
    assert!(!store.commit(&lost).await.unwrap());
    assert_eq!(
        store.payment(account.id, pending.id()).await.unwrap(),
        Some(succeeded.clone())
    );
    assert!(
        store
            .client_events(account.id, client.id, &crate::model::PageRequest::first(5))
            .await
            .unwrap()
            .is_empty()
    );

    // A failure keeps its reason; the reference a processor gave stays
    // when the update names none.
    let failing = f.charge(
        &client,
        ProcessorKind::AuthorizeNet,
        connection,
        Some("60000000001"),
        PaymentStatus::Pending,
        f.now,
    );
    assert!(commit(store, Write::InsertPayment(failing.clone())).await);
    let failed = failing
        .settled(
            PaymentStatus::Failed,
            None,
            Some(PaymentMethod::BankDebit {
                last4: Some(last4("0021")),
            }),
            Some("The account number is not valid.".to_owned()),
        )
        .unwrap();
    assert_eq!(
        failed.processor().and_then(|c| c.reference.clone()),
        Some(reference("60000000001"))
    );
    assert!(commit(store, Write::UpdatePayment(failed.clone())).await);
    let stored = store
        .payment(account.id, failing.id())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(stored, failed);
    assert_eq!(stored.failure(), Some("The account number is not valid."));
}

pub async fn payments_are_found_by_their_charge_reference(store: &dyn Store) {
    let f = Fixture::new(store);
    let account = f.account("Account").await;
    let client = f.client(&account, "Acme").await;
    let other = f.account("Other").await;
    let theirs = f.client(&other, "Theirs").await;
    let stripe = f.connection(&account, ProcessorKind::Stripe).id;
    let payments = [
        f.charge(
            &client,
            ProcessorKind::Stripe,
            stripe,
            Some("pi_1"),
            PaymentStatus::Succeeded,
            f.now,
        ),
        f.charge(
            &client,
            ProcessorKind::Stripe,
            stripe,
            Some("pi_2"),
            PaymentStatus::Pending,
            f.now,
        ),
        f.charge(
            &client,
            ProcessorKind::Stripe,
            stripe,
            None,
            PaymentStatus::Pending,
            f.now,
        ),
        f.charge(
            &theirs,
            ProcessorKind::Stripe,
            stripe,
            Some("pi_3"),
            PaymentStatus::Succeeded,
            f.now,
        ),
    ];
    for payment in &payments {
        assert!(commit(store, Write::InsertPayment(payment.clone())).await);
    }
    let find = async |account, kind, text: &str| {
        store
            .payment_by_charge(account, kind, &reference(text))
            .await
            .unwrap()
            .map(|p| p.id())
    };
    assert_eq!(
        find(account.id, ProcessorKind::Stripe, "pi_1").await,
        Some(payments[0].id())
    );
    assert_eq!(
        find(account.id, ProcessorKind::Stripe, "pi_2").await,
        Some(payments[1].id())
    );
    assert_eq!(
        find(account.id, ProcessorKind::AuthorizeNet, "pi_1").await,
        None
    );
    assert_eq!(find(account.id, ProcessorKind::Stripe, "pi_3").await, None);
    assert_eq!(
        find(other.id, ProcessorKind::Stripe, "pi_3").await,
        Some(payments[3].id())
    );
    assert_eq!(find(account.id, ProcessorKind::Stripe, "pi_9").await, None);

    // A reference learnt later is found too.
    let learnt = payments[2]
        .settled(
            PaymentStatus::Succeeded,
            Some(reference("pi_late")),
            None,
            None,
        )
        .unwrap();
    assert!(commit(store, Write::UpdatePayment(learnt.clone())).await);
    assert_eq!(
        store
            .payment_by_charge(account.id, ProcessorKind::Stripe, &reference("pi_late"))
            .await
            .unwrap(),
        Some(learnt)
    );
}

pub async fn pending_processor_payments_are_listed_oldest_first(store: &dyn Store) {
    let f = Fixture::new(store);
    let account = f.account("Account").await;
    let client = f.client(&account, "Acme").await;
    let other = f.account("Other").await;
    let theirs = f.client(&other, "Theirs").await;
    let connection = f.connection(&account, ProcessorKind::Stripe).id;
    let at = |minutes| f.now + Duration::minutes(minutes);
    let pending = |client: &Client, minutes| {
        f.charge(
            client,
            ProcessorKind::Stripe,
            connection,
            None,
            PaymentStatus::Pending,
            at(minutes),
        )
    };
    let listed = [
        pending(&client, 5),
        pending(&theirs, 1),
        pending(&client, 3),
        pending(&client, 3),
    ];
    let too_new = pending(&client, 10);
    let settled = f.charge(
        &client,
        ProcessorKind::Stripe,
        connection,
        Some("pi_done"),
        PaymentStatus::Succeeded,
        at(0),
    );
    let manual = Payment::restore(PaymentRecord {
        id: PaymentId::generate(f.random()),
        account_id: account.id,
        client_id: client.id,
        amount: Money::new(100, eur()),
        method: PaymentMethod::Manual(ManualKind::Check),
        reference: None,
        received_at: at(0),
        status: PaymentStatus::Pending,
        allocations: Vec::new(),
        refunds: Vec::new(),
        created_at: at(0),
        version: 0,
        processor: None,
        failure: None,
    })
    .unwrap();
    for payment in listed.iter().chain([&too_new, &settled, &manual]) {
        assert!(commit(store, Write::InsertPayment(payment.clone())).await);
    }
    let mut expected: Vec<Payment> = listed.to_vec();
    expected.sort_by_key(|p| (p.created_at(), p.id()));
    let before = at(10);
    assert_eq!(
        store
            .pending_processor_payments(before, None, 10)
            .await
            .unwrap(),
        expected
    );
    assert_eq!(
        store
            .pending_processor_payments(before, None, 2)
            .await
            .unwrap(),
        expected[..2].to_vec()
    );
    // The next page, after the last one seen.
    let cursor = (expected[1].created_at(), expected[1].id());
    assert_eq!(
        store
            .pending_processor_payments(before, Some(cursor), 10)
            .await
            .unwrap(),
        expected[2..].to_vec()
    );
    assert!(
        store
            .pending_processor_payments(at(1), None, 10)
            .await
            .unwrap()
            .is_empty(),
        "created before, strictly"
    );
    // A settled one is no longer pending.
    let done = expected[0]
        .settled(
            PaymentStatus::Succeeded,
            Some(reference("pi_x")),
            None,
            None,
        )
        .unwrap();
    assert!(commit(store, Write::UpdatePayment(done)).await);
    assert_eq!(
        store
            .pending_processor_payments(before, None, 10)
            .await
            .unwrap(),
        expected[1..].to_vec()
    );
}

pub async fn processor_events_are_recorded_once(store: &dyn Store) {
    let f = Fixture::new(store);
    let (account, client, contact) = client_with_contact(&f, "Account").await;
    let other = f.account("Other").await;
    let event = |account, processor, id: &str, payment| Write::RecordProcessorEvent {
        account,
        processor,
        event_id: reference(id),
        event_type: "payment_intent.succeeded".into(),
        payment,
        at: f.now,
    };
    let seen = async |account, processor, id: &str| {
        store
            .processor_event_seen(account, processor, &reference(id))
            .await
            .unwrap()
    };
    assert!(!seen(account.id, ProcessorKind::Stripe, "evt_1").await);
    let connection = f.connection(&account, ProcessorKind::Stripe).id;
    let payment = f.charge(
        &client,
        ProcessorKind::Stripe,
        connection,
        Some("pi_1"),
        PaymentStatus::Pending,
        f.now,
    );
    assert!(commit(store, Write::InsertPayment(payment.clone())).await);
    assert!(
        commit(
            store,
            event(
                account.id,
                ProcessorKind::Stripe,
                "evt_1",
                Some(payment.id())
            )
        )
        .await
    );
    assert!(seen(account.id, ProcessorKind::Stripe, "evt_1").await);

    // The same event again loses its whole batch.
    let audit = f.event(&contact, AuditAction::PaymentRecorded, f.now);
    let replay = Batch::new().with(Write::Audit(audit)).with(event(
        account.id,
        ProcessorKind::Stripe,
        "evt_1",
        None,
    ));
    assert!(!store.commit(&replay).await.unwrap());
    assert!(
        store
            .client_events(account.id, client.id, &crate::model::PageRequest::first(5))
            .await
            .unwrap()
            .is_empty()
    );

    // Event ids are the processor's and the account's own; one for a
    // payment the portal does not know is recorded too.
    assert!(!seen(account.id, ProcessorKind::AuthorizeNet, "evt_1").await);
    assert!(!seen(other.id, ProcessorKind::Stripe, "evt_1").await);
    assert!(
        commit(
            store,
            event(account.id, ProcessorKind::AuthorizeNet, "evt_1", None)
        )
        .await
    );
    assert!(commit(store, event(other.id, ProcessorKind::Stripe, "evt_1", None)).await);
    assert!(
        commit(
            store,
            event(
                account.id,
                ProcessorKind::Stripe,
                "evt_2",
                Some(PaymentId::generate(f.random()))
            )
        )
        .await
    );
    assert!(seen(other.id, ProcessorKind::Stripe, "evt_1").await);
    assert!(seen(account.id, ProcessorKind::Stripe, "evt_2").await);
}

pub async fn a_lost_processor_write_late_in_a_batch_writes_nothing(store: &dyn Store) {
    let f = Fixture::new(store);
    let (account, client, contact) = client_with_contact(&f, "Account").await;
    let session = f.session(&contact).await;
    let current = f.connection(&account, ProcessorKind::Stripe);
    assert!(commit(store, Write::PutConnection(current.clone())).await);
    let invoice = f
        .sent(&f.document(&client, DocumentKind::Invoice, "INV-1", date("2026-11-01")))
        .await;
    let method = f.method(
        &client,
        current.id,
        "pm_1",
        card(CardBrand::Visa, "4242", None),
        true,
        0,
    );
    let checkout = f.checkout(
        &contact,
        session,
        current.id,
        &[(invoice.id(), 1_000)],
        Duration::hours(2),
    );
    let payment = f.charge(
        &client,
        ProcessorKind::Stripe,
        current.id,
        None,
        PaymentStatus::Pending,
        f.now,
    );
    let replacement = f.connection(&account, ProcessorKind::Test);
    let everything = Batch::new()
        .with(Write::PutConnection(replacement))
        .with(Write::InsertMethod(method.clone()))
        .with(Write::InsertCheckout(checkout.clone()))
        .with(Write::InsertPayment(payment.clone()))
        .with(Write::RecordProcessorEvent {
            account: account.id,
            processor: ProcessorKind::Stripe,
            event_id: reference("evt_1"),
            event_type: "charge.succeeded".into(),
            payment: Some(payment.id()),
            at: f.now,
        })
        .with(Write::RemoveMethod {
            account: account.id,
            id: PaymentMethodId::generate(f.random()),
        });
    assert!(!store.commit(&everything).await.unwrap());
    assert_eq!(store.connection(account.id).await.unwrap(), Some(current));
    assert_eq!(store.method(account.id, method.id).await.unwrap(), None);
    assert_eq!(store.checkout(account.id, checkout.id).await.unwrap(), None);
    assert_eq!(store.payment(account.id, payment.id()).await.unwrap(), None);
    assert!(
        !store
            .processor_event_seen(account.id, ProcessorKind::Stripe, &reference("evt_1"))
            .await
            .unwrap()
    );
    // The same batch with a delete in place of the lost write holds.
    let mut writes = everything.writes().to_vec();
    writes.pop();
    writes.push(Write::DeleteConnection {
        account: account.id,
    });
    let mut batch = Batch::new();
    for write in writes {
        batch.push(write);
    }
    assert!(store.commit(&batch).await.unwrap());
    assert_eq!(store.connection(account.id).await.unwrap(), None);
    assert_eq!(
        store.method(account.id, method.id).await.unwrap(),
        Some(method)
    );
    assert_eq!(
        store.checkout(account.id, checkout.id).await.unwrap(),
        Some(checkout)
    );
}
