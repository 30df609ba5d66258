//! Two processes on one SQLite file. Within a process every write goes
//! through one writer connection; another process (a second server, an
//! operator's command) writes beside it. A write transaction that reads
//! before it writes must wait for the other's write and go on, never fail
//! with "database is locked".

mod common;

use std::sync::mpsc;
use std::time::Duration as StdDuration;

use chrono::{Duration, Utc};
use diesel::connection::SimpleConnection;
use diesel::{Connection, SqliteConnection};
use portal_domain::ports::{Batch, BatchStore, OutboxStore, Write};
use portal_domain::testing::SeededRandom;
use portal_domain::{
    ClaimToken, Email, EmailAddress, OutboxId, OutboxMessage, OutboxPayload, OutboxTopic,
};

/// How long the other process holds the write lock: well inside the busy
/// timeout (5 s), and long enough for the claim to start meanwhile.
const HELD: StdDuration = StdDuration::from_millis(300);

#[tokio::test(flavor = "multi_thread")]
async fn a_claim_waits_for_a_write_of_another_process_and_then_claims() {
    let harness = common::sqlite().await;
    let db = harness.db();
    let random = SeededRandom::new(7);
    let (account, _) = common::client(db, &random).await;
    let now = Utc::now();
    let message = OutboxMessage::new(
        OutboxId::generate(&random),
        account.id,
        OutboxTopic::DocumentSent,
        OutboxPayload::Email {
            email: Email {
                to: EmailAddress::parse("email", "ap@acme.example").unwrap(),
                to_name: "Accounts payable".into(),
                from_name: "Northwind".into(),
                subject: "Invoice INV-1".into(),
                text: "Your invoice".into(),
                html: "<p>Your invoice</p>".into(),
                attachments: Vec::new(),
                message_key: None,
            },
            link: None,
        },
        now,
    );
    let enqueue = Batch::new().with(Write::Enqueue(message.clone()));
    assert!(db.commit(&enqueue).await.unwrap());

    // The other process takes the write lock and commits a change to the
    // database a little later.
    let path = harness.path().to_string_lossy().into_owned();
    let (locked, holding) = mpsc::channel();
    let other = std::thread::spawn(move || {
        let mut conn = SqliteConnection::establish(&path).unwrap();
        conn.batch_execute(
            "PRAGMA busy_timeout = 5000; BEGIN IMMEDIATE; UPDATE accounts SET name = name;",
        )
        .unwrap();
        locked.send(()).unwrap();
        std::thread::sleep(HELD);
        conn.batch_execute("COMMIT;").unwrap();
    });
    holding.recv().unwrap();

    // The claim reads the due items, then marks them taken.
    let claimed = db
        .claim_outbox(
            ClaimToken(uuid::Uuid::from_u128(1)),
            now,
            now + Duration::minutes(2),
            10,
        )
        .await
        .expect("the claim waits for the other process instead of failing");
    other.join().unwrap();
    assert_eq!(claimed.len(), 1);
    assert_eq!(claimed[0].id, message.id);
}
