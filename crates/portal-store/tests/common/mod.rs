//! Fresh, migrated stores on each backend for the store's tests.

#![allow(unreachable_pub, dead_code)]

use std::path::PathBuf;

use chrono::{Duration, Utc};
use portal_domain::ports::{
    AccessStore, AccountStore, Batch, BatchStore, CrmStore, Redemption, Store, Write,
};
use portal_domain::testing::SeededRandom;
use portal_domain::testing::contract::Harness;
use portal_domain::{
    Account, AccountId, AccountSettings, ApiKey, ApiKeyId, ApiKeyRecord, AuditAction, AuditEvent,
    AuditEventId, Client, ClientId, Contact, ContactId, EmailAddress, LinkId, LinkPurpose,
    MagicLink, Name, PortalSession, SessionId, Token,
};
use portal_store::{Database, DatabaseUrl};
use portal_test_support::TestPostgres;

/// A database on a file of its own, removed afterwards.
#[derive(Debug)]
pub struct SqliteHarness {
    db: Database,
    path: PathBuf,
}

impl Harness for SqliteHarness {
    fn store(&self) -> Option<&dyn Store> {
        Some(&self.db)
    }
}

impl Drop for SqliteHarness {
    fn drop(&mut self) {
        for suffix in ["", "-wal", "-shm"] {
            let mut path = self.path.clone().into_os_string();
            path.push(suffix);
            let _ = std::fs::remove_file(path);
        }
    }
}

impl SqliteHarness {
    pub fn db(&self) -> &Database {
        &self.db
    }

    /// The database file, for connections of the test's own.
    pub fn path(&self) -> &std::path::Path {
        &self.path
    }
}

pub async fn sqlite() -> SqliteHarness {
    let mut random = [0u8; 8];
    getrandom::fill(&mut random).expect("randomness");
    let path = std::env::temp_dir().join(format!(
        "portal-store-test-{}.db",
        u64::from_le_bytes(random)
    ));
    let db = Database::open(&DatabaseUrl::Sqlite(path.clone()))
        .await
        .expect("open SQLite");
    SqliteHarness { db, path }
}

/// A database of its own on the test PostgreSQL server, dropped afterwards.
#[derive(Debug)]
pub struct PostgresHarness {
    // Field order matters: the pool closes before the database is dropped.
    pub db: Option<Database>,
    pub server: Option<TestPostgres>,
}

impl Harness for PostgresHarness {
    fn store(&self) -> Option<&dyn Store> {
        self.db.as_ref().map(|db| db as &dyn Store)
    }
}

pub async fn postgres() -> PostgresHarness {
    let Some(server) = TestPostgres::create_or_skip("portal-store").await else {
        return PostgresHarness {
            db: None,
            server: None,
        };
    };
    let db = Database::open(&DatabaseUrl::Postgres(server.url().to_owned()))
        .await
        .expect("open PostgreSQL");
    PostgresHarness {
        db: Some(db),
        server: Some(server),
    }
}

/// Two pools on one fresh database, standing in for two server processes,
/// or `None` when PostgreSQL tests are switched off.
pub async fn two_processes() -> Option<(PostgresHarness, Database, Database)> {
    let harness = postgres().await;
    let first = harness.db.clone()?;
    let url = harness.server.as_ref()?.url().to_owned();
    let second = Database::open(&DatabaseUrl::Postgres(url)).await.unwrap();
    Some((harness, first, second))
}

/// An account with one client whose portal is open.
pub async fn client(db: &Database, random: &SeededRandom) -> (Account, Client) {
    let now = Utc::now();
    let account = Account {
        id: AccountId::generate(random),
        name: Name::parse("name", "Account").unwrap(),
        settings: AccountSettings::default(),
        demo: false,
        created_at: now,
        updated_at: now,
    };
    let key = ApiKey::generate(random);
    let record = ApiKeyRecord {
        id: ApiKeyId::generate(random),
        account_id: account.id,
        name: Name::parse("name", "Default").unwrap(),
        prefix: Some(key.display_prefix()),
        key_hash: key.hash(),
        created_at: now,
        revoked_at: None,
    };
    db.insert_account(&account, &record).await.unwrap();
    let client = Client {
        id: ClientId::generate(random),
        account_id: account.id,
        name: Name::parse("name", "Acme").unwrap(),
        portal_enabled: true,
        active: true,
        created_at: now,
        updated_at: now,
    };
    db.insert_client(&client).await.unwrap();
    (account, client)
}

/// A new contact of `client` with an unused link.
pub async fn contact_link(
    db: &Database,
    random: &SeededRandom,
    client: &Client,
    n: usize,
) -> (Contact, MagicLink) {
    let now = Utc::now();
    let contact = Contact {
        id: ContactId::generate(random),
        account_id: client.account_id,
        client_id: client.id,
        name: Name::parse("name", "Pat").unwrap(),
        email: EmailAddress::parse("email", &format!("pat{n}@acme.example")).unwrap(),
        active: true,
        created_at: now,
        updated_at: now,
    };
    db.insert_contact(&contact).await.unwrap();
    let link = MagicLink {
        id: LinkId::generate(random),
        account_id: client.account_id,
        client_id: client.id,
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
    let insert = Batch::new().with(Write::InsertLink {
        link: link.clone(),
        pending: None,
        email: contact.email.clone(),
    });
    assert!(db.commit(&insert).await.unwrap());
    (contact, link)
}

/// Redeems `link` into a fresh session; whether this redemption won.
pub async fn redeem(db: &Database, random: &SeededRandom, link: &MagicLink) -> bool {
    let now = Utc::now();
    let session = PortalSession::pending(SessionId::generate(random), link, now).activate(
        now,
        Duration::days(7),
        &portal_domain::ClientInfo::default(),
    );
    let audit = AuditEvent {
        id: AuditEventId::generate(random),
        account_id: link.account_id,
        client_id: link.client_id,
        contact_id: Some(link.contact_id),
        session_id: Some(session.id),
        document_id: None,
        payment_id: None,
        action: AuditAction::SessionStarted,
        ip: None,
        user_agent: None,
        occurred_at: now,
        detail: None,
    };
    db.redeem_link(Redemption {
        link_id: link.id,
        at: now,
        session: &session,
        activates_pending: false,
        secret_hash: Token::generate(random).hash(),
        replaces: None,
        audit: &audit,
    })
    .await
    .expect("a redemption either wins or loses; it never errors")
}
