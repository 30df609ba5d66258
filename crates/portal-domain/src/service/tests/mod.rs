//! Use-case tests over the in-memory store, a fixed clock and a recording
//! mailer: every rule of links, sessions and documents, without I/O.

mod documents;
mod links;
mod properties;
mod sessions;

use std::sync::Arc;

use chrono::NaiveDate;

use crate::model::{
    Account, Client, ClientInfo, Contact, Currency, Description, Document, DocumentInput,
    DocumentKind, DocumentNumber, EmailAddress, LineItem, LinkRequestPolicy, Name, PublicUrl,
    Quantity,
};
use crate::ports::Email;
use crate::service::{Portal, PortalConfig};
use crate::testing::{FixedClock, InMemoryStore, RecordingMailer, SeededRandom, block_on, ts};

struct World {
    portal: Portal,
    mailer: Arc<RecordingMailer>,
    clock: Arc<FixedClock>,
    account: Account,
    client: Client,
    contact: Contact,
}

impl World {
    fn new() -> Self {
        let store = Arc::new(InMemoryStore::new());
        let mailer = Arc::new(RecordingMailer::default());
        let clock = Arc::new(FixedClock::at(ts("2026-11-25T09:00:00Z")));
        let portal = Portal::new(
            store,
            mailer.clone(),
            clock.clone(),
            Arc::new(SeededRandom::new(42)),
            PortalConfig {
                public_url: PublicUrl::parse("public_url", "https://portal.example.com").unwrap(),
                link_requests: LinkRequestPolicy::default(),
            },
        );
        let account = block_on(portal.create_account(name("Northwind Studio"), false))
            .unwrap()
            .account;
        let client = block_on(portal.create_client(&account, name("Acme Corp"), true)).unwrap();
        let contact = block_on(portal.create_contact(
            &account,
            client.id,
            name("Pat"),
            email("pat@acme.example"),
        ))
        .unwrap();
        Self {
            portal,
            mailer,
            clock,
            account,
            client,
            contact,
        }
    }

    fn contact(&self, client: &Client, address: &str) -> Contact {
        block_on(self.portal.create_contact(
            &self.account,
            client.id,
            name("Someone"),
            email(address),
        ))
        .unwrap()
    }

    fn invoice(&self, client: &Client, number: &str) -> Document {
        let input = DocumentInput {
            kind: DocumentKind::Invoice,
            client_id: client.id,
            number: DocumentNumber::parse("number", number).unwrap(),
            title: None,
            currency: Currency::parse("currency", "USD").unwrap(),
            issue_date: NaiveDate::from_ymd_opt(2026, 11, 20).unwrap(),
            due_date: NaiveDate::from_ymd_opt(2026, 12, 20),
            lines: vec![
                LineItem::new(
                    Description::parse("description", "Consulting").unwrap(),
                    Quantity::parse("quantity", "10").unwrap(),
                    15_000,
                )
                .unwrap(),
            ],
        };
        block_on(self.portal.create_document(&self.account, input)).unwrap()
    }

    /// Sends `document` to `contact` and returns the link in the email.
    fn send(&self, document: &Document, contact: &Contact) -> String {
        block_on(
            self.portal
                .send_document(&self.account, document.kind, document.id, contact.id),
        )
        .unwrap();
        link_token(&self.last_email())
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
