//! Demo data for a fresh development database: one business, one client
//! company with two billing contacts, and documents in every state, all
//! created through the same use cases the API drives.

use anyhow::Context;
use chrono::Duration;
use portal_domain::{
    Account, ApiKey, Currency, Description, DocumentInput, DocumentKind, DocumentNumber,
    EmailAddress, LineItem, Name, Portal, Quantity,
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
pub async fn seed_if_empty(portal: &Portal) -> anyhow::Result<Option<Seeded>> {
    if portal.account_count().await? > 0 {
        return Ok(None);
    }
    let created = portal
        .create_account(name("Northwind Studio")?, true)
        .await?;
    let account = created.account;
    let acme = portal
        .create_client(&account, name("Acme Corporation")?, true)
        .await?;
    let avery = portal
        .create_contact(
            &account,
            acme.id,
            name("Avery Quinn")?,
            email("ap@acme.example")?,
        )
        .await?;
    let jordan = portal
        .create_contact(
            &account,
            acme.id,
            name("Jordan Lee")?,
            email("finance@acme.example")?,
        )
        .await?;

    let today = portal.now().date_naive();
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
                        unit,
                    )
                })
                .collect::<Result<_, _>>()?,
        };
        let doc = portal
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
        portal.send_document(&account, kind, doc.id, to.id).await?;
        if number == "INV-1003" {
            portal.mark_document_paid(&account, kind, doc.id).await?;
        }
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
pub async fn demo_link(portal: &Portal) -> anyhow::Result<Option<DemoLink>> {
    let Some(account) = portal.demo_account().await? else {
        return Ok(None);
    };
    let Some(client) = portal
        .clients(&account)
        .await?
        .into_iter()
        .find(|c| c.portal_open())
    else {
        return Ok(None);
    };
    let Some(contact) = portal
        .contacts(&account, client.id)
        .await?
        .into_iter()
        .next()
    else {
        return Ok(None);
    };
    let issued = portal
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
