//! Demo data for a fresh development database: one business, one client
//! company with two billing contacts, documents in every state, payments
//! (one in full, one in part) and the test processor connected, so Pay Now
//! works with no keys, all created through the same use cases the API
//! drives.

use anyhow::Context;
use chrono::Duration;
use portal_domain::service::{MarkPaid, PaymentInput, ProcessorSettingsError};
use portal_domain::{
    Account, Address, Allocation, ApiKey, Currency, Description, DocumentInput, DocumentKind,
    DocumentNumber, EmailAddress, LineItem, ManualKind, Money, Name, PageRequest,
    PaymentInstructions, PaymentMethod, ProcessorCredentials, Quantity, Reference, Secret,
    Services, SettingsPatch,
};

/// What seeding created, to show the person who started the server.
#[derive(Debug)]
pub struct Seeded {
    pub account: Account,
    /// Shown once: the store keeps only its hash.
    pub api_key: ApiKey,
}

/// A link into the demo company's portal, for the console. Its URL carries
/// a token, so `Debug` leaves it out.
pub struct DemoLink {
    pub contact: String,
    pub url: String,
}

impl std::fmt::Debug for DemoLink {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DemoLink")
            .field("contact", &self.contact)
            .finish_non_exhaustive()
    }
}

/// Seeds demo data if the database has no account at all. A database with
/// real accounts is never touched.
///
/// # Errors
/// When a store operation fails.
pub async fn seed_if_empty(services: &Services) -> anyhow::Result<Option<Seeded>> {
    if services.accounts.account_count().await? > 0 {
        return Ok(None);
    }
    let created = services
        .accounts
        .create_account(name("Northwind Studio")?, true)
        .await?;
    let account = services
        .accounts
        .update_account(
            &created.account,
            None,
            SettingsPatch {
                address: Some(Some(Address::parse(
                    "address",
                    "12 Harbour Street\nBristol BS1 4QA\nUnited Kingdom",
                )?)),
                payment_instructions: Some(Some(PaymentInstructions::parse(
                    "payment_instructions",
                    "Bank transfer to Northwind Studio Ltd\nIBAN GB29 NWBK 6016 1331 9268 19 · BIC NWBKGB2L\nPlease quote the invoice number as the reference.",
                )?)),
                ..SettingsPatch::default()
            },
        )
        .await?;
    let acme = services
        .crm
        .create_client(&account, name("Acme Corporation")?, true)
        .await?;
    let avery = services
        .crm
        .create_contact(
            &account,
            acme.id,
            name("Avery Quinn")?,
            email("ap@acme.example")?,
        )
        .await?;
    let jordan = services
        .crm
        .create_contact(
            &account,
            acme.id,
            name("Jordan Lee")?,
            email("finance@acme.example")?,
        )
        .await?;

    let today = account.settings.time_zone.today(services.now());
    let usd = Currency::parse("currency", "USD")?;
    let documents = [
        (
            DocumentKind::Invoice,
            "INV-1001",
            today - Duration::days(45),
            Some(today - Duration::days(15)),
            vec![
                ("Website redesign, phase 1", "1", 480_000),
                ("Content migration", "12.5", 9_500),
            ],
        ),
        (
            DocumentKind::Invoice,
            "INV-1002",
            today - Duration::days(5),
            Some(today + Duration::days(25)),
            vec![
                ("Monthly retainer — November", "1", 250_000),
                ("Additional design hours", "6", 12_000),
            ],
        ),
        (
            DocumentKind::Invoice,
            "INV-1003",
            today - Duration::days(70),
            Some(today - Duration::days(40)),
            vec![("Discovery workshop", "2", 150_000)],
        ),
        (
            DocumentKind::Invoice,
            "INV-1004",
            today,
            Some(today + Duration::days(30)),
            vec![("Monthly retainer — December", "1", 250_000)],
        ),
        (
            DocumentKind::Estimate,
            "EST-0042",
            today - Duration::days(3),
            Some(today + Duration::days(27)),
            vec![
                ("Mobile app prototype", "1", 1_200_000),
                ("User testing sessions", "4", 45_000),
            ],
        ),
        (
            DocumentKind::Contract,
            "CON-2026-07",
            today - Duration::days(90),
            None,
            vec![],
        ),
    ];
    for (kind, number, issued, due, lines) in documents {
        let input = DocumentInput {
            kind,
            client_id: acme.id,
            number: DocumentNumber::parse("number", number)?,
            title: (kind == DocumentKind::Contract)
                .then(|| Description::parse("title", "Master services agreement, 2026–2027"))
                .transpose()?,
            currency: usd,
            issue_date: issued,
            due_date: due,
            lines: lines
                .into_iter()
                .map(|(text, qty, unit)| {
                    LineItem::new(
                        Description::parse("description", text)?,
                        Quantity::parse("quantity", qty)?,
                        Money::new(unit, usd),
                    )
                })
                .collect::<Result<_, _>>()?,
        };
        let doc = services
            .documents
            .create_document(&account, input)
            .await
            .with_context(|| format!("demo {number}"))?;
        if number == "INV-1004" {
            continue; // stays a draft: the client must not see it
        }
        let to = if number == "INV-1002" {
            &jordan
        } else {
            &avery
        };
        services
            .documents
            .send_document(&account, kind, doc.id(), to.id)
            .await?;
        match number {
            // Paid in full by cheque.
            "INV-1003" => {
                let how = MarkPaid {
                    kind: Some(ManualKind::Check),
                    reference: Some(Reference::parse("reference", "Cheque 2231")?),
                    received_at: None,
                    notify_contact: None,
                };
                services.payments.mark_paid(&account, doc.id(), how).await?;
            }
            // Half paid by bank transfer: it stays outstanding.
            "INV-1001" => {
                let half = Money::new(doc.total().minor() / 2, usd);
                let input = PaymentInput {
                    client_id: acme.id,
                    amount: half,
                    method: PaymentMethod::Manual(ManualKind::BankTransfer),
                    reference: Some(Reference::parse("reference", "WIRE 2026-118")?),
                    received_at: services.now(),
                    allocations: vec![Allocation {
                        document_id: doc.id(),
                        amount: half,
                    }],
                    notify_contact: None,
                };
                services.payments.record_payment(&account, input).await?;
            }
            _ => {}
        }
    }
    // The test processor: well-known test cards only, no money moves,
    // and every page it touches says so.
    let mut secret = [0u8; 24];
    getrandom::fill(&mut secret).context("drawing the demo webhook secret")?;
    let webhook_secret: String = secret.iter().map(|b| format!("{b:02x}")).collect();
    let connected = services
        .processors
        .connect(
            &account,
            ProcessorCredentials::Test {
                webhook_secret: Secret::new(format!("whsec_test_{webhook_secret}")),
            },
        )
        .await;
    match connected {
        // A deployment without the test processor: the demo's invoices
        // carry payment instructions instead of Pay Now.
        Ok(_) | Err(ProcessorSettingsError::NotOffered(_)) => {}
        Err(err) => return Err(err).context("connecting the demo's test processor"),
    }
    Ok(Some(Seeded {
        account,
        api_key: created.api_key,
    }))
}

/// A fresh link for the demo company's first contact, if there is a demo
/// account.
///
/// # Errors
/// When a store operation fails.
pub async fn demo_link(services: &Services) -> anyhow::Result<Option<DemoLink>> {
    let Some(account) = services.accounts.demo_account().await? else {
        return Ok(None);
    };
    let Some(client) = services
        .crm
        .clients(&account, PageRequest::first(100))
        .await?
        .items
        .into_iter()
        .find(|c| c.portal_open())
    else {
        return Ok(None);
    };
    let Some(contact) = services
        .crm
        .contacts(&account, client.id, PageRequest::first(100))
        .await?
        .items
        .into_iter()
        .find(|c| c.active)
    else {
        return Ok(None);
    };
    let issued = services
        .links
        .portal_link(&account, contact.id, None, false)
        .await?;
    Ok(Some(DemoLink {
        contact: format!("{} <{}> at {}", contact.name, contact.email, client.name),
        url: issued.url,
    }))
}

fn name(text: &str) -> anyhow::Result<Name> {
    Ok(Name::parse("name", text)?)
}

fn email(text: &str) -> anyhow::Result<EmailAddress> {
    Ok(EmailAddress::parse("email", text)?)
}
