//! The store contract: one suite every [`Store`] adapter must pass.
//!
//! An adapter crate runs it with [`store_contract_tests!`], naming an async
//! function that returns a fresh, empty, migrated store wrapped in anything
//! implementing [`Harness`] (so a test database can be dropped after).
//!
//! [`store_contract_tests!`]: crate::store_contract_tests

mod access;
mod accounts;
mod documents;

use chrono::{DateTime, Duration, NaiveDate, Utc};

use crate::model::{
    Account, AccountId, AccountSettings, ApiKey, ApiKeyId, ApiKeyRecord, AuditAction, AuditEvent,
    AuditEventId, Client, ClientId, Contact, ContactId, Currency, Description, Document,
    DocumentId, DocumentInput, DocumentKind, DocumentNumber, EmailAddress, LineItem, LinkId,
    LinkPurpose, MagicLink, Name, PortalSession, Quantity, SessionId, Token,
};
use crate::ports::Store;
use crate::testing::{SeededRandom, ts};

pub use access::*;
pub use accounts::*;
pub use documents::*;

/// Something that owns a store under test. `None` means the store's
/// service was deliberately switched off for this run (the harness must
/// refuse that in CI); the test then returns without checking anything.
pub trait Harness {
    fn store(&self) -> Option<&dyn Store>;
}

impl<S: Store> Harness for S {
    fn store(&self) -> Option<&dyn Store> {
        Some(self)
    }
}

/// Generates one test per contract check. `$make` is an async function
/// returning a fresh [`Harness`]. With `blocking`, tests run on this
/// crate's own executor (for stores that never wait); otherwise on tokio's
/// multi-threaded runtime, which the calling crate must depend on.
#[macro_export]
macro_rules! store_contract_tests {
    ($make:path) => {
        $crate::store_contract_tests!(@list tokio $make);
    };
    (blocking $make:path) => {
        $crate::store_contract_tests!(@list blocking $make);
    };
    (@list $mode:ident $make:path) => {
        $crate::store_contract_tests!(@each $mode $make;
            accounts_round_trip,
            api_keys_find_their_account_only,
            the_sole_account_is_known_only_when_alone,
            demo_account_is_the_oldest_demo,
            clients_are_scoped_to_their_account,
            client_updates_are_written,
            closing_a_portal_revokes_live_sessions_and_unused_links,
            a_closed_portal_takes_no_new_links_or_sessions,
            contact_emails_are_unique_per_client,
            contacts_are_found_by_email_across_clients,
            documents_round_trip_with_their_lines,
            document_numbers_are_unique_per_account_and_kind,
            documents_are_filtered_and_ordered,
            document_status_changes_are_compare_and_set,
            links_round_trip_and_revoke,
            a_link_is_redeemed_once,
            expired_or_revoked_links_are_not_redeemed,
            redeeming_activates_a_pending_session,
            redeeming_revokes_the_replaced_session,
            sessions_resolve_by_secret_with_their_context,
            sessions_are_listed_newest_first_and_filtered,
            sessions_are_touched_and_revoked_once,
            revoking_a_pending_session_revokes_its_link,
            audit_trails_are_ordered_and_scoped,
            link_requests_are_counted_and_forgotten,
        );
    };
    (@each tokio $make:path; $($check:ident),* $(,)?) => {
        $(
            #[tokio::test(flavor = "multi_thread")]
            async fn $check() {
                let harness = $make().await;
                if let Some(store) = $crate::testing::contract::Harness::store(&harness) {
                    $crate::testing::contract::$check(store).await;
                }
            }
        )*
    };
    (@each blocking $make:path; $($check:ident),* $(,)?) => {
        $(
            #[test]
            fn $check() {
                $crate::testing::block_on(async {
                    let harness = $make().await;
                    let store = $crate::testing::contract::Harness::store(&harness).expect("an in-process store");
                    $crate::testing::contract::$check(store).await;
                });
            }
        )*
    };
}

/// Builds valid records for the checks and inserts the basic ones.
pub(crate) struct Fixture<'a> {
    pub(crate) store: &'a dyn Store,
    random: SeededRandom,
    /// A time with microseconds, to prove stores keep them.
    pub(crate) now: DateTime<Utc>,
}

impl<'a> Fixture<'a> {
    pub(crate) fn new(store: &'a dyn Store) -> Self {
        Self {
            store,
            random: SeededRandom::new(0x5EED),
            now: ts("2026-11-25T10:15:30.123456Z"),
        }
    }

    pub(crate) fn token(&self) -> Token {
        Token::generate(&self.random)
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
        let key = ApiKey::generate(&self.random);
        let record = ApiKeyRecord {
            id: ApiKeyId::generate(&self.random),
            account_id: account.id,
            key_hash: key.hash(),
            created_at: self.now,
        };
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

    pub(crate) async fn client(&self, account: &Account, name: &str) -> Client {
        let client = Client {
            id: ClientId::generate(&self.random),
            account_id: account.id,
            name: Name::parse("name", name).expect("fixture name"),
            portal_enabled: true,
            active: true,
            created_at: self.now,
            updated_at: self.now,
        };
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
            created_at: self.now,
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

    pub(crate) fn document(
        &self,
        client: &Client,
        kind: DocumentKind,
        number: &str,
        issued: NaiveDate,
    ) -> Document {
        let line = |text: &str, qty: &str, unit: i64| {
            LineItem::new(
                Description::parse("description", text).expect("fixture text"),
                Quantity::parse("quantity", qty).expect("fixture quantity"),
                unit,
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
            currency: Currency::parse("currency", "EUR").expect("fixture currency"),
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
            self.now,
        )
        .expect("fixture document")
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
            action,
            ip: "2001:db8::1".parse().ok(),
            user_agent: Some("curl/8".into()),
            occurred_at: at,
        }
    }

    pub(crate) fn random(&self) -> &SeededRandom {
        &self.random
    }
}

pub(crate) fn date(text: &str) -> NaiveDate {
    text.parse().expect("fixture date")
}
