//! Upgrading a database created at the first migration, on both backends:
//! sent invoices become open, invoices marked paid keep their status with a
//! ledger that says so, and the store reports itself not ready while a
//! migration is pending.

mod common;

use std::path::{Path, PathBuf};

use diesel::Connection as _;
use diesel::connection::SimpleConnection as _;
use diesel_async::{AsyncConnection as _, AsyncPgConnection, SimpleAsyncConnection as _};
use portal_domain::ports::{
    AccountStore, AuditStore, Batch, BatchStore, CrmStore, DocumentStore, LogoStore, PaymentStore,
    Store, Write,
};
use portal_domain::{
    AccentColour, AccountId, ContactId, DocumentId, DocumentStatus, ManualKind, PageRequest,
    PaymentId, PaymentMethod, PaymentStatus, TimeZone,
};
use portal_store::{Database, DatabaseUrl};
use portal_test_support::TestPostgres;

const OLD_POSTGRES: &str =
    include_str!("../../../migrations/postgres/2026-11-25-000001_portal/up.sql");
const OLD_SQLITE: &str = include_str!("../../../migrations/sqlite/2026-11-25-000001_portal/up.sql");

/// diesel's record of the first migration, as a database made by the
/// first release has it.
const FIRST_APPLIED: &str = "
CREATE TABLE __diesel_schema_migrations (
    version VARCHAR(50) PRIMARY KEY NOT NULL,
    run_on TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP
);
INSERT INTO __diesel_schema_migrations (version) VALUES ('20261125000001');
";

const ACCOUNT: &str = "11111111-1111-4111-8111-111111111111";
const CONTACT: &str = "44444444-4444-4444-8444-444444444444";
const SENT: &str = "55555555-5555-4555-8555-555555555551";
const PAID: &str = "55555555-5555-4555-8555-555555555552";
const ESTIMATE: &str = "55555555-5555-4555-8555-555555555553";
const DRAFT: &str = "55555555-5555-4555-8555-555555555554";

/// Rows as the first release wrote them: a sent invoice, one marked paid,
/// a sent estimate and a draft, each with a line adding up to its total,
/// and the audit events of the sends. Plain SQL both backends accept.
const OLD_ROWS: &str = "
INSERT INTO accounts (id, name, session_lifetime_seconds, idle_timeout_seconds,
                      link_lifetime_seconds, public_url, demo, created_at, updated_at)
VALUES ('11111111-1111-4111-8111-111111111111', 'Northwind Studio', 604800, 172800, 1209600,
        NULL, false, '2026-11-01T09:00:00.000000Z', '2026-11-01T09:00:00.000000Z');
INSERT INTO api_keys (id, account_id, key_hash, created_at)
VALUES ('22222222-2222-4222-8222-222222222222', '11111111-1111-4111-8111-111111111111',
        'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa',
        '2026-11-01T09:00:00.000000Z');
INSERT INTO clients (id, account_id, name, portal_enabled, active, created_at, updated_at)
VALUES ('33333333-3333-4333-8333-333333333333', '11111111-1111-4111-8111-111111111111', 'Acme',
        true, true, '2026-11-01T09:00:00.000000Z', '2026-11-01T09:00:00.000000Z');
INSERT INTO contacts (id, account_id, client_id, name, email, created_at)
VALUES ('44444444-4444-4444-8444-444444444444', '11111111-1111-4111-8111-111111111111',
        '33333333-3333-4333-8333-333333333333', 'Pat Payables', 'ap@acme.example',
        '2026-11-01T09:00:00.000000Z');
INSERT INTO documents (id, account_id, client_id, kind, number, title, status, currency,
                       total_minor, issue_date, due_date, created_at, sent_at, paid_at, voided_at)
VALUES
  ('55555555-5555-4555-8555-555555555551', '11111111-1111-4111-8111-111111111111',
   '33333333-3333-4333-8333-333333333333', 'invoice', 'INV-1', NULL, 'sent', 'EUR', 150000,
   '2026-11-02', '2026-12-02', '2026-11-02T10:00:00.000000Z', '2026-11-02T10:05:00.000000Z',
   NULL, NULL),
  ('55555555-5555-4555-8555-555555555552', '11111111-1111-4111-8111-111111111111',
   '33333333-3333-4333-8333-333333333333', 'invoice', 'INV-2', 'October', 'paid', 'EUR', 80000,
   '2026-10-02', '2026-11-02', '2026-10-02T10:00:00.000000Z', '2026-10-02T10:05:00.000000Z',
   '2026-10-20T15:30:00.250000Z', NULL),
  ('55555555-5555-4555-8555-555555555553', '11111111-1111-4111-8111-111111111111',
   '33333333-3333-4333-8333-333333333333', 'estimate', 'EST-1', NULL, 'sent', 'EUR', 20000,
   '2026-11-03', NULL, '2026-11-03T10:00:00.000000Z', '2026-11-03T10:05:00.000000Z',
   NULL, NULL),
  ('55555555-5555-4555-8555-555555555554', '11111111-1111-4111-8111-111111111111',
   '33333333-3333-4333-8333-333333333333', 'invoice', 'INV-3', NULL, 'draft', 'EUR', 5000,
   '2026-11-04', '2026-12-04', '2026-11-04T10:00:00.000000Z', NULL, NULL, NULL);
INSERT INTO document_lines (document_id, position, description, quantity_thousandths,
                            unit_amount_minor, amount_minor)
VALUES
  ('55555555-5555-4555-8555-555555555551', 0, 'Design', 1000, 150000, 150000),
  ('55555555-5555-4555-8555-555555555552', 0, 'Hosting', 2000, 40000, 80000),
  ('55555555-5555-4555-8555-555555555553', 0, 'Audit', 1000, 20000, 20000),
  ('55555555-5555-4555-8555-555555555554', 0, 'Support', 500, 10000, 5000);
INSERT INTO audit_events (id, account_id, client_id, contact_id, session_id, document_id,
                          action, ip, user_agent, occurred_at)
VALUES
  ('66666666-6666-4666-8666-666666666661', '11111111-1111-4111-8111-111111111111',
   '33333333-3333-4333-8333-333333333333', '44444444-4444-4444-8444-444444444444', NULL,
   '55555555-5555-4555-8555-555555555551', 'document_sent', NULL, NULL,
   '2026-11-02T10:05:00.000000Z'),
  ('66666666-6666-4666-8666-666666666662', '11111111-1111-4111-8111-111111111111',
   '33333333-3333-4333-8333-333333333333', '44444444-4444-4444-8444-444444444444', NULL,
   '55555555-5555-4555-8555-555555555551', 'document_sent', NULL, NULL,
   '2026-11-05T08:00:00.000000Z');
";

fn id(text: &str) -> uuid::Uuid {
    uuid::Uuid::parse_str(text).unwrap()
}

fn at(text: &str) -> chrono::DateTime<chrono::Utc> {
    portal_domain::testing::ts(text)
}

/// Checks what the upgrade made of the first release's rows.
async fn upgraded(db: &Database) {
    db.ping().await.expect("every migration applied");
    let account = AccountId::from_uuid(id(ACCOUNT));
    let read = |doc| async move {
        db.document(account, DocumentId::from_uuid(id(doc)))
            .await
            .expect("the row converts")
            .expect("the document is there")
    };
    let sent = read(SENT).await;
    assert_eq!(sent.status(), DocumentStatus::Open);
    assert_eq!(sent.amount_paid().minor(), 0);
    assert_eq!(sent.amount_due().minor(), 150_000);
    assert_eq!((sent.version(), sent.paid_at()), (0, None));

    let paid = read(PAID).await;
    assert_eq!(paid.status(), DocumentStatus::Paid);
    assert_eq!(paid.paid_at(), Some(at("2026-10-20T15:30:00.25Z")));
    assert_eq!(paid.amount_paid().minor(), 80_000);
    assert_eq!(paid.amount_due().minor(), 0);
    let applied = paid.ledger().applied_payments(paid.currency()).unwrap();
    assert_eq!(applied.len(), 1);
    let payment_id = PaymentId::from_uuid(id(PAID));
    assert_eq!(
        applied[0].payment, payment_id,
        "the invoice's id doubles as its payment's"
    );
    assert_eq!(applied[0].method, PaymentMethod::Manual(ManualKind::Other));
    assert_eq!(
        applied[0]
            .reference
            .as_ref()
            .map(ToString::to_string)
            .as_deref(),
        Some("Recorded before the payment ledger")
    );
    let payment = db.payment(account, payment_id).await.unwrap().unwrap();
    assert_eq!(payment.status(), PaymentStatus::Succeeded);
    assert_eq!(payment.amount(), paid.total());
    assert_eq!(payment.received_at(), at("2026-10-20T15:30:00.25Z"));

    assert_eq!(read(ESTIMATE).await.status(), DocumentStatus::Sent);
    assert_eq!(read(DRAFT).await.status(), DocumentStatus::Draft);

    let contact = ContactId::from_uuid(id(CONTACT));
    let recipients = db.recipients(account, &[sent.id()]).await.unwrap();
    assert_eq!(
        recipients,
        vec![contact],
        "sends recorded before are recipients"
    );
    let stored = db.contact(account, contact).await.unwrap().unwrap();
    assert!(stored.active);
    assert_eq!(stored.updated_at, stored.created_at);
    let stored = db.account(account).await.unwrap().unwrap();
    assert_eq!(stored.settings.time_zone, TimeZone::UTC);
    assert!(!stored.settings.allow_partial_payments);
    assert_eq!(stored.settings.address, None);
    assert_eq!(stored.settings.accent_colour, AccentColour::DEFAULT);
    assert_eq!(stored.settings.payment_instructions, None);
    assert_eq!(db.logo(account).await.unwrap(), None);
    let events = db
        .client_events(account, sent.client_id(), &PageRequest::first(5))
        .await
        .unwrap();
    assert_eq!(events.len(), 2);
    assert!(events.iter().all(|e| e.detail.is_none()));
    let keys = db.api_keys(account, &PageRequest::first(5)).await.unwrap();
    assert_eq!(keys.len(), 1);
    assert_eq!(
        (keys[0].name.to_string(), keys[0].prefix.as_deref()),
        ("Default".into(), None)
    );

    // The upgraded invoice takes payments like any other.
    let payment = portal_domain::Payment::restore(portal_domain::PaymentRecord {
        id: PaymentId::from_uuid(uuid::Uuid::from_u128(7)),
        account_id: account,
        client_id: sent.client_id(),
        amount: sent.total(),
        method: PaymentMethod::Manual(ManualKind::Check),
        reference: None,
        received_at: at("2026-11-10T12:00:00Z"),
        status: PaymentStatus::Succeeded,
        allocations: vec![portal_domain::Allocation {
            document_id: sent.id(),
            amount: sent.total(),
        }],
        refunds: Vec::new(),
        created_at: at("2026-11-10T12:00:00Z"),
        version: 0,
        processor: None,
        failure: None,
    })
    .unwrap();
    let (_, entry) = payment.ledger_entries().next().unwrap();
    let settled = sent.with_entries([entry], payment.received_at()).unwrap();
    let batch = Batch::new()
        .with(Write::InsertPayment(payment))
        .with(Write::UpdateDocument(settled.clone()));
    assert!(db.commit(&batch).await.unwrap());
    assert_eq!(read(SENT).await, settled.bumped());
}

fn sqlite_path() -> PathBuf {
    let mut random = [0u8; 8];
    getrandom::fill(&mut random).expect("randomness");
    std::env::temp_dir().join(format!(
        "portal-store-migration-{}.db",
        u64::from_le_bytes(random)
    ))
}

fn remove(path: &Path) {
    for suffix in ["", "-wal", "-shm"] {
        let mut file = path.to_owned().into_os_string();
        file.push(suffix);
        let _ = std::fs::remove_file(file);
    }
}

fn sqlite(path: &Path) -> diesel::SqliteConnection {
    diesel::SqliteConnection::establish(&path.to_string_lossy()).expect("open the SQLite file")
}

#[tokio::test(flavor = "multi_thread")]
async fn a_first_release_sqlite_database_upgrades_with_a_consistent_ledger() {
    let path = sqlite_path();
    let mut old = sqlite(&path);
    old.batch_execute("PRAGMA foreign_keys = ON;").unwrap();
    for script in [OLD_SQLITE, FIRST_APPLIED, OLD_ROWS] {
        old.batch_execute(script)
            .expect("the first release's schema and rows");
    }
    drop(old);
    let db = Database::open(&DatabaseUrl::Sqlite(path.clone()))
        .await
        .unwrap();
    upgraded(&db).await;
    drop(db);
    remove(&path);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_first_release_postgres_database_upgrades_with_a_consistent_ledger() {
    let Some(server) = TestPostgres::create_or_skip("migration").await else {
        return;
    };
    let mut old = AsyncPgConnection::establish(server.url()).await.unwrap();
    for script in [OLD_POSTGRES, FIRST_APPLIED, OLD_ROWS] {
        old.batch_execute(script)
            .await
            .expect("the first release's schema and rows");
    }
    drop(old);
    let db = Database::open(&DatabaseUrl::Postgres(server.url().to_owned()))
        .await
        .unwrap();
    upgraded(&db).await;
}

/// The newest migration's version, as diesel records it.
const NEWEST: &str = "20261128000001";

#[tokio::test(flavor = "multi_thread")]
async fn a_sqlite_store_is_not_ready_while_a_migration_is_pending() {
    let path = sqlite_path();
    let db = Database::open(&DatabaseUrl::Sqlite(path.clone()))
        .await
        .unwrap();
    db.ping().await.unwrap();
    let mut raw = sqlite(&path);
    raw.batch_execute(&format!(
        "DELETE FROM __diesel_schema_migrations WHERE version = '{NEWEST}'"
    ))
    .unwrap();
    let err = db
        .ping()
        .await
        .expect_err("a pending migration fails the probe");
    assert!(format!("{err:?}").contains(NEWEST), "{err:?}");
    raw.batch_execute(&format!(
        "INSERT INTO __diesel_schema_migrations (version) VALUES ('{NEWEST}')"
    ))
    .unwrap();
    db.ping().await.unwrap();
    drop((db, raw));
    remove(&path);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_postgres_store_is_not_ready_while_a_migration_is_pending() {
    let harness = common::postgres().await;
    let (Some(db), Some(server)) = (&harness.db, &harness.server) else {
        return;
    };
    db.ping().await.unwrap();
    let mut raw = AsyncPgConnection::establish(server.url()).await.unwrap();
    raw.batch_execute(&format!(
        "DELETE FROM __diesel_schema_migrations WHERE version = '{NEWEST}'"
    ))
    .await
    .unwrap();
    let err = db
        .ping()
        .await
        .expect_err("a pending migration fails the probe");
    assert!(format!("{err:?}").contains(NEWEST), "{err:?}");
    raw.batch_execute(&format!(
        "INSERT INTO __diesel_schema_migrations (version) VALUES ('{NEWEST}')"
    ))
    .await
    .unwrap();
    db.ping().await.unwrap();
}
