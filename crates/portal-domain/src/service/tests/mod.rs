//! Use-case tests over the in-memory store, a fixed clock and a recording
//! mailer: every rule of links, sessions, documents, payments and the
//! outbox, without I/O. Emails reach the mailer only when a test delivers
//! the outbox, as the server's worker would.

mod checkout;
mod documents;
mod downloads;
mod idempotency;
mod ledger_properties;
mod links;
mod outbox;
mod payments;
mod properties;
mod sessions;

use std::sync::Arc;

use chrono::NaiveDate;

use crate::model::{
    Account, Client, ClientInfo, Contact, Currency, Description, Document, DocumentInput,
    DocumentKind, DocumentNumber, Email, EmailAddress, LineItem, LinkRequestPolicy, Money, Name,
    OutboxPolicy, PageRequest, PublicUrl, Quantity, ServerKey,
};
use crate::ports::SessionContext;
use crate::service::{DeliveryReport, PortalConfig, Services};
use crate::testing::{FixedClock, InMemoryStore, RecordingMailer, SeededRandom, block_on, ts};

struct World {
    s: Services,
    store: Arc<InMemoryStore>,
    mailer: Arc<RecordingMailer>,
    clock: Arc<FixedClock>,
    renderer: Arc<crate::testing::SheetEcho>,
    account: Account,
    client: Client,
    contact: Contact,
}

fn config() -> PortalConfig {
    PortalConfig {
        public_url: PublicUrl::parse("public_url", "https://portal.example.com").unwrap(),
        link_requests: LinkRequestPolicy::default(),
        outbox: OutboxPolicy::default(),
        server_key: ServerKey::from_bytes([7; 32]),
    }
}

impl World {
    fn new() -> Self {
        Self::with_connector(Arc::new(crate::testing::NoProcessors))
    }

    fn with_connector(connector: Arc<dyn crate::ports::ProcessorConnector>) -> Self {
        let store = Arc::new(InMemoryStore::new());
        let mailer = Arc::new(RecordingMailer::default());
        let renderer = Arc::new(crate::testing::SheetEcho::default());
        let clock = Arc::new(FixedClock::at(ts("2026-11-25T09:00:00Z")));
        let s = Services::new(
            store.clone(),
            mailer.clone(),
            connector,
            renderer.clone(),
            clock.clone(),
            Arc::new(SeededRandom::new(42)),
            config(),
        );
        let account = block_on(s.accounts.create_account(name("Northwind Studio"), false))
            .unwrap()
            .account;
        let client = block_on(s.crm.create_client(&account, name("Acme Corp"), true)).unwrap();
        let contact = block_on(s.crm.create_contact(
            &account,
            client.id,
            name("Pat"),
            email("pat@acme.example"),
        ))
        .unwrap();
        Self {
            s,
            store,
            mailer,
            clock,
            renderer,
            account,
            client,
            contact,
        }
    }

    fn contact(&self, client: &Client, address: &str) -> Contact {
        block_on(self.s.crm.create_contact(
            &self.account,
            client.id,
            name("Someone"),
            email(address),
        ))
        .unwrap()
    }

    fn client_named(&self, text: &str) -> Client {
        block_on(self.s.crm.create_client(&self.account, name(text), true)).unwrap()
    }

    /// A $1,500.00 invoice (10 × $150.00), as a draft.
    fn invoice(&self, client: &Client, number: &str) -> Document {
        self.invoice_in(client, number, "USD", 15_000)
    }

    fn invoice_in(&self, client: &Client, number: &str, currency: &str, unit: i64) -> Document {
        let currency = Currency::parse("currency", currency).unwrap();
        let input = DocumentInput {
            kind: DocumentKind::Invoice,
            client_id: client.id,
            number: DocumentNumber::parse("number", number).unwrap(),
            title: None,
            currency,
            issue_date: NaiveDate::from_ymd_opt(2026, 11, 20).unwrap(),
            due_date: NaiveDate::from_ymd_opt(2026, 12, 20),
            lines: vec![
                LineItem::new(
                    Description::parse("description", "Consulting").unwrap(),
                    Quantity::parse("quantity", "10").unwrap(),
                    Money::new(unit, currency),
                )
                .unwrap(),
            ],
        };
        block_on(self.s.documents.create_document(&self.account, input)).unwrap()
    }

    /// Sends `document` to `contact`, delivers the outbox, and returns the
    /// link token in the email.
    fn send(&self, document: &Document, contact: &Contact) -> String {
        block_on(self.s.documents.send_document(
            &self.account,
            document.kind(),
            document.id(),
            contact.id,
        ))
        .unwrap();
        self.deliver();
        let subject = format!("{} {} from", document.kind().label(), document.number());
        let email = self
            .mailer
            .sent()
            .into_iter()
            .rev()
            .find(|e| e.to == contact.email && e.subject.starts_with(&subject))
            .expect("the document's email");
        link_token(&email)
    }

    /// Sends and delivers, returning the document as it now is.
    fn sent(&self, document: &Document, contact: &Contact) -> Document {
        self.send(document, contact);
        self.reload(document)
    }

    fn reload(&self, document: &Document) -> Document {
        block_on(
            self.s
                .documents
                .document(&self.account, document.kind(), document.id()),
        )
        .unwrap()
    }

    /// Delivers everything the outbox has due, as the worker would.
    fn deliver(&self) -> DeliveryReport {
        let mut total = DeliveryReport::default();
        for _ in 0..20 {
            let report = block_on(self.s.outbox.deliver_due()).unwrap();
            if report.claimed == 0 {
                break;
            }
            total.claimed += report.claimed;
            total.sent += report.sent;
            total.failed += report.failed;
            total.dead += report.dead;
            total.lost += report.lost;
        }
        total
    }

    /// Signs `contact` in through a fresh emailed link.
    fn sign_in(&self, contact: &Contact) -> SessionContext {
        block_on(
            self.s
                .links
                .portal_link(&self.account, contact.id, None, true),
        )
        .unwrap();
        self.deliver();
        let email = self
            .mailer
            .sent()
            .into_iter()
            .rev()
            .find(|e| e.to == contact.email && e.subject.contains("portal link"))
            .expect("a portal link email");
        let token = link_token(&email);
        let secret = block_on(self.s.links.redeem_link(&token, &browser(), None))
            .unwrap()
            .secret;
        block_on(self.s.sessions.authenticate(Some(secret.expose()))).unwrap()
    }

    fn now(&self) -> chrono::DateTime<chrono::Utc> {
        crate::ports::Clock::now(self.clock.as_ref())
    }

    fn last_email(&self) -> Email {
        self.mailer.sent().pop().expect("an email was sent")
    }
}

fn name(text: &str) -> Name {
    Name::parse("name", text).unwrap()
}

fn email(text: &str) -> EmailAddress {
    EmailAddress::parse("email", text).unwrap()
}

fn page() -> PageRequest {
    PageRequest::first(100)
}

fn usd(minor: i64) -> Money {
    Money::new(minor, Currency::parse("currency", "USD").unwrap())
}

fn browser() -> ClientInfo {
    ClientInfo::new("203.0.113.5".parse().ok(), Some("Mozilla/5.0 test"))
}

/// The token of the portal link in an email.
fn link_token(email: &Email) -> String {
    let start = email
        .text
        .find("https://portal.example.com/l/")
        .expect("a link in the email");
    email.text[start..]
        .split_whitespace()
        .next()
        .and_then(|url| url.rsplit('/').next())
        .unwrap()
        .to_owned()
}
