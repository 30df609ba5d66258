//! Valid records for the contract checks, and the writes that put the
//! basic ones in a store.

use chrono::{DateTime, Duration, NaiveDate, Utc};

use crate::model::{
    Account, AccountId, AccountSettings, Allocation, ApiKey, ApiKeyId, ApiKeyRecord, Attachment,
    AuditAction, AuditEvent, AuditEventId, Client, ClientId, Contact, ContactId, Currency,
    Description, Document, DocumentAction, DocumentId, DocumentInput, DocumentKind, DocumentNumber,
    Email, EmailAddress, LINK_TOKEN_PLACEHOLDER, LineItem, LinkId, LinkPurpose, MagicLink,
    ManualKind, Money, Name, OutboxId, OutboxMessage, OutboxPayload, OutboxTopic, Payment,
    PaymentId, PaymentMethod, PaymentRecord, PaymentStatus, PortalSession, Quantity, Reference,
    SessionId, Token,
};
use crate::ports::{Batch, Store, StoreResult, Write};
use crate::testing::{SeededRandom, ts};

/// Builds valid records for the checks and inserts the basic ones.
pub(crate) struct Fixture<'a> {
    pub(crate) store: &'a dyn Store,
    random: SeededRandom,
    /// A time with microseconds, to prove stores keep them.
    pub(crate) now: DateTime<Utc>,
}

pub(crate) fn date(text: &str) -> NaiveDate {
    text.parse().expect("fixture date")
}

pub(crate) fn eur() -> Currency {
    Currency::parse("currency", "EUR").expect("fixture currency")
}

impl<'a> Fixture<'a> {
    pub(crate) fn new(store: &'a dyn Store) -> Self {
        Self {
            store,
            random: SeededRandom::new(0x5EED),
            now: ts("2026-11-25T10:15:30.123456Z"),
        }
    }

    pub(crate) fn random(&self) -> &SeededRandom {
        &self.random
    }

    pub(crate) fn token(&self) -> Token {
        Token::generate(&self.random)
    }

    pub(crate) fn uuid(&self) -> uuid::Uuid {
        let mut bytes = [0u8; 16];
        crate::ports::RandomSource::fill(&self.random, &mut bytes);
        uuid::Builder::from_random_bytes(bytes).into_uuid()
    }

    pub(crate) fn key_record(&self, account: AccountId, name: &str) -> (ApiKey, ApiKeyRecord) {
        let key = ApiKey::generate(&self.random);
        let record = ApiKeyRecord {
            id: ApiKeyId::generate(&self.random),
            account_id: account,
            name: Name::parse("name", name).expect("fixture name"),
            prefix: Some(key.display_prefix()),
            key_hash: key.hash(),
            created_at: self.now,
            revoked_at: None,
        };
        (key, record)
    }

    pub(crate) fn account_record(&self, name: &str) -> (Account, ApiKey, ApiKeyRecord) {
        let account = Account {
            id: AccountId::generate(&self.random),
            name: Name::parse("name", name).expect("fixture name"),
            settings: AccountSettings::default(),
            demo: false,
            created_at: self.now,
            updated_at: self.now,
        };
        let (key, record) = self.key_record(account.id, "Default");
        (account, key, record)
    }

    pub(crate) async fn account(&self, name: &str) -> Account {
        let (account, _, record) = self.account_record(name);
        self.store
            .insert_account(&account, &record)
            .await
            .expect("insert account");
        account
    }

    pub(crate) fn client_record(&self, account: &Account, name: &str) -> Client {
        Client {
            id: ClientId::generate(&self.random),
            account_id: account.id,
            name: Name::parse("name", name).expect("fixture name"),
            portal_enabled: true,
            active: true,
            created_at: self.now,
            updated_at: self.now,
        }
    }

    pub(crate) async fn client(&self, account: &Account, name: &str) -> Client {
        let client = self.client_record(account, name);
        self.store
            .insert_client(&client)
            .await
            .expect("insert client");
        client
    }

    pub(crate) fn contact_record(&self, client: &Client, email: &str) -> Contact {
        Contact {
            id: ContactId::generate(&self.random),
            account_id: client.account_id,
            client_id: client.id,
            name: Name::parse("name", "Pat Payables").expect("fixture name"),
            email: EmailAddress::parse("email", email).expect("fixture email"),
            active: true,
            created_at: self.now,
            updated_at: self.now,
        }
    }

    pub(crate) async fn contact(&self, client: &Client, email: &str) -> Contact {
        let contact = self.contact_record(client, email);
        self.store
            .insert_contact(&contact)
            .await
            .expect("insert contact");
        contact
    }

    /// A draft with three lines (one negative), a title with markup and a
    /// second line, created at the fixture's `now`.
    pub(crate) fn document(
        &self,
        client: &Client,
        kind: DocumentKind,
        number: &str,
        issued: NaiveDate,
    ) -> Document {
        self.document_at(client, kind, number, issued, self.now)
    }

    pub(crate) fn document_at(
        &self,
        client: &Client,
        kind: DocumentKind,
        number: &str,
        issued: NaiveDate,
        created: DateTime<Utc>,
    ) -> Document {
        self.draft(client, kind, number, issued, created, eur())
    }

    /// As [`Fixture::document`], in `currency`.
    pub(crate) fn document_in(
        &self,
        client: &Client,
        kind: DocumentKind,
        number: &str,
        issued: NaiveDate,
        currency: Currency,
    ) -> Document {
        self.draft(client, kind, number, issued, self.now, currency)
    }

    fn draft(
        &self,
        client: &Client,
        kind: DocumentKind,
        number: &str,
        issued: NaiveDate,
        created: DateTime<Utc>,
        currency: Currency,
    ) -> Document {
        let line = |text: &str, qty: &str, unit: i64| {
            LineItem::new(
                Description::parse("description", text).expect("fixture text"),
                Quantity::parse("quantity", qty).expect("fixture quantity"),
                Money::new(unit, currency),
            )
            .expect("fixture line")
        };
        let input = DocumentInput {
            kind,
            client_id: client.id,
            number: DocumentNumber::parse("number", number).expect("fixture number"),
            title: Some(
                Description::parse("title", "Autumn work <&> \"quotes\"\nsecond line")
                    .expect("fixture title"),
            ),
            currency,
            issue_date: issued,
            due_date: (kind != DocumentKind::Contract).then(|| issued + Duration::days(30)),
            lines: vec![
                line("Design ✏️", "12.5", 9_000),
                line("Hosting", "1", 2_500),
                line("Discount", "1", -1_000),
            ],
        };
        Document::draft(
            DocumentId::generate(&self.random),
            client.account_id,
            input,
            created,
        )
        .expect("fixture document")
    }

    /// Stores `draft` and sends it at `now`; the document as stored after.
    pub(crate) async fn sent(&self, draft: &Document) -> Document {
        self.store
            .insert_document(draft)
            .await
            .expect("insert document");
        let sent = draft
            .apply(DocumentAction::Send, self.now)
            .expect("a draft can be sent");
        let batch = Batch::new().with(Write::UpdateDocument(sent.clone()));
        assert!(self.store.commit(&batch).await.expect("send document"));
        sent.bumped()
    }

    pub(crate) fn link(
        &self,
        contact: &Contact,
        document: Option<DocumentId>,
        expires_at: DateTime<Utc>,
    ) -> (MagicLink, Token) {
        let token = self.token();
        let link = MagicLink {
            id: LinkId::generate(&self.random),
            account_id: contact.account_id,
            client_id: contact.client_id,
            contact_id: contact.id,
            document_id: document,
            session_id: None,
            token_hash: token.hash(),
            purpose: LinkPurpose::DocumentSent,
            created_at: self.now,
            expires_at,
            used_at: None,
            revoked_at: None,
        };
        (link, token)
    }

    /// Stores `link` (and the pending session it activates) as a batch.
    pub(crate) async fn insert_link(
        &self,
        link: &MagicLink,
        pending: Option<&PortalSession>,
    ) -> StoreResult<bool> {
        let contact = self
            .store
            .contact(link.account_id, link.contact_id)
            .await?
            .expect("the link's contact is stored");
        let batch = Batch::new().with(Write::InsertLink {
            link: link.clone(),
            pending: pending.cloned(),
            email: contact.email,
        });
        self.store.commit(&batch).await
    }

    /// A new unused link for `contact`, stored, valid for a day.
    pub(crate) async fn stored_link(&self, contact: &Contact) -> (MagicLink, Token) {
        let (link, token) = self.link(contact, None, self.now + Duration::days(1));
        assert!(self.insert_link(&link, None).await.expect("insert link"));
        (link, token)
    }

    /// An API-created session's link for `contact`, stored with its
    /// pending session, valid for a day.
    pub(crate) async fn pending_link(
        &self,
        contact: &Contact,
    ) -> (MagicLink, Token, PortalSession) {
        let (mut link, token) = self.link(contact, None, self.now + Duration::days(1));
        link.purpose = LinkPurpose::ApiSession;
        let pending = PortalSession {
            activated_at: None,
            expires_at: link.expires_at,
            last_seen_at: None,
            ip: None,
            user_agent: None,
            ..self.session_for(&link, self.now)
        };
        link.session_id = Some(pending.id);
        assert!(
            self.insert_link(&link, Some(&pending))
                .await
                .expect("insert link")
        );
        (link, token, pending)
    }

    pub(crate) fn session_for(&self, link: &MagicLink, at: DateTime<Utc>) -> PortalSession {
        PortalSession {
            id: SessionId::generate(&self.random),
            account_id: link.account_id,
            client_id: link.client_id,
            contact_id: link.contact_id,
            link_id: link.id,
            created_at: at,
            activated_at: Some(at),
            expires_at: at + Duration::days(7),
            last_seen_at: Some(at),
            revoked_at: None,
            revoke_reason: None,
            ip: "203.0.113.9".parse().ok(),
            user_agent: Some("Mozilla/5.0 (contract test) ☃".into()),
        }
    }

    pub(crate) fn event(
        &self,
        contact: &Contact,
        action: AuditAction,
        at: DateTime<Utc>,
    ) -> AuditEvent {
        AuditEvent {
            id: AuditEventId::generate(&self.random),
            account_id: contact.account_id,
            client_id: contact.client_id,
            contact_id: Some(contact.id),
            session_id: None,
            document_id: None,
            payment_id: None,
            action,
            ip: "2001:db8::1".parse().ok(),
            user_agent: Some("curl/8".into()),
            occurred_at: at,
            detail: None,
        }
    }

    /// A succeeded bank transfer from `client`, split over `allocations`
    /// (document, minor units), received at `received_at`.
    pub(crate) fn payment(
        &self,
        client: &Client,
        amount: i64,
        allocations: &[(DocumentId, i64)],
        received_at: DateTime<Utc>,
    ) -> Payment {
        self.payment_in(client, eur(), amount, allocations, received_at)
    }

    /// As [`Fixture::payment`], in `currency`.
    pub(crate) fn payment_in(
        &self,
        client: &Client,
        currency: Currency,
        amount: i64,
        allocations: &[(DocumentId, i64)],
        received_at: DateTime<Utc>,
    ) -> Payment {
        Payment::restore(PaymentRecord {
            id: PaymentId::generate(&self.random),
            account_id: client.account_id,
            client_id: client.id,
            amount: Money::new(amount, currency),
            method: PaymentMethod::Manual(ManualKind::BankTransfer),
            reference: Some(Reference::parse("reference", "SEPA 2026/11 «Acme»").expect("ref")),
            received_at,
            status: PaymentStatus::Succeeded,
            allocations: allocations
                .iter()
                .map(|(document_id, minor)| Allocation {
                    document_id: *document_id,
                    amount: Money::new(*minor, currency),
                })
                .collect(),
            refunds: Vec::new(),
            created_at: received_at,
            version: 0,
            processor: None,
            failure: None,
        })
        .expect("fixture payment")
    }

    /// An email to `to` whose text awaits a link token, with an attachment.
    pub(crate) fn email(&self, to: &str) -> Email {
        Email {
            to: EmailAddress::parse("email", to).expect("fixture email"),
            to_name: "Pat <Payables>".into(),
            from_name: "Northwind \"Studio\"".into(),
            subject: "Invoice INV-1 ✉".into(),
            text: format!("Open https://portal.example/l/{LINK_TOKEN_PLACEHOLDER}\n"),
            html: format!("<p><a href=\"/l/{LINK_TOKEN_PLACEHOLDER}\">Open</a></p>"),
            attachments: vec![Attachment {
                filename: "INV-1.pdf".into(),
                content_type: "application/pdf".into(),
                content: vec![0x25, 0x50, 0x44, 0x46, 0x00, 0xFF, 0x01],
            }],
            message_key: Some("inv-1@portal.example".into()),
        }
    }

    /// An outbox item emailing `to` on behalf of `account`, due at
    /// `created`.
    pub(crate) fn message(
        &self,
        account: &Account,
        to: &str,
        link: Option<LinkId>,
        created: DateTime<Utc>,
    ) -> OutboxMessage {
        OutboxMessage::new(
            OutboxId::generate(&self.random),
            account.id,
            OutboxTopic::DocumentSent,
            OutboxPayload::Email {
                email: self.email(to),
                link,
            },
            created,
        )
    }

    /// Adds `message` to the outbox.
    pub(crate) async fn enqueue(&self, message: &OutboxMessage) {
        let batch = Batch::new().with(Write::Enqueue(message.clone()));
        assert!(self.store.commit(&batch).await.expect("enqueue"));
    }
}
