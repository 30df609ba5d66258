//! The emails the portal sends, composed as text and HTML. Pure: the mail
//! adapter only delivers what this module writes. Dates and times are in
//! the account's time zone.

mod render;

#[cfg(test)]
mod tests;

use chrono::{DateTime, Utc};

use crate::model::{Account, Contact, Document, DocumentKind, Email, Money, Payment};
use render::Block;

/// A link as it appears in an email: where it goes and until when.
#[derive(Debug, Clone, Copy)]
pub struct EmailLink<'a> {
    pub url: &'a str,
    pub expires_at: DateTime<Utc>,
}

/// An invoice a payment settled, as a receipt lists it.
#[derive(Debug, Clone, Copy)]
pub struct Settled<'a> {
    pub invoice: &'a Document,
    /// What this payment applied to it.
    pub applied: Money,
}

fn day(account: &Account, at: DateTime<Utc>) -> String {
    account
        .settings
        .time_zone
        .local(at)
        .format("%-d %b %Y")
        .to_string()
}

fn moment(account: &Account, at: DateTime<Utc>) -> String {
    let zone = &account.settings.time_zone;
    format!(
        "{} {}",
        zone.local(at).format("%-d %b %Y at %H:%M"),
        zone.abbreviation(at)
    )
}

fn compose(account: &Account, contact: &Contact, subject: String, blocks: &[Block]) -> Email {
    let greeting = format!("Hello {},", contact.name);
    Email {
        to: contact.email.clone(),
        to_name: contact.name.to_string(),
        from_name: account.name.to_string(),
        text: render::text(&greeting, blocks),
        html: render::html(&subject, &greeting, blocks),
        subject,
        attachments: Vec::new(),
        message_key: None,
    }
}

fn link_notice(account: &Account, expires_at: DateTime<Utc>) -> Block {
    Block::Note(format!(
        "This link is just for you and works once. It expires on {}.\n\
         If it has expired or was already used, open it anyway and ask for a new one.",
        moment(account, expires_at)
    ))
}

/// The email that carries a document to a contact. Without a link (the
/// client's portal is off) it says how to get in touch instead.
pub fn document_email(
    account: &Account,
    contact: &Contact,
    document: &Document,
    link: Option<EmailLink<'_>>,
) -> Email {
    let kind = document.kind().label();
    let mut blocks = vec![Block::Paragraph(match document.kind() {
        DocumentKind::Invoice | DocumentKind::Estimate => format!(
            "{} has sent you {} {} for {}.",
            account.name,
            kind.to_lowercase(),
            document.number(),
            document.total()
        ),
        DocumentKind::Contract => format!(
            "{} has sent you contract {}.",
            account.name,
            document.number()
        ),
    })];
    if let Some(title) = document.title() {
        blocks.push(Block::Paragraph(title.to_string()));
    }
    let mut facts = vec![(
        "Issued".to_owned(),
        document.issue_date().format("%-d %b %Y").to_string(),
    )];
    if let Some(due) = document.due_date() {
        let label = match document.kind() {
            DocumentKind::Invoice => "Due",
            _ => "Valid until",
        };
        facts.push((label.to_owned(), due.format("%-d %b %Y").to_string()));
    }
    if document.kind() == DocumentKind::Invoice && document.amount_paid().is_positive() {
        facts.push(("Paid".to_owned(), document.amount_paid().to_string()));
        facts.push(("Amount due".to_owned(), document.amount_due().to_string()));
    }
    blocks.push(Block::Facts(facts));
    match link {
        Some(link) => {
            blocks.push(Block::Action {
                label: "View it in your billing portal".to_owned(),
                url: link.url.to_owned(),
            });
            blocks.push(link_notice(account, link.expires_at));
        }
        None => {
            if document.kind() != DocumentKind::Contract {
                blocks.push(Block::Paragraph(format!(
                    "The {} is attached as a PDF.",
                    kind.to_lowercase()
                )));
            }
            match (&account.settings.payment_instructions, document.kind()) {
                (Some(instructions), DocumentKind::Invoice) => {
                    blocks.push(Block::Paragraph("How to pay:".to_owned()));
                    blocks.push(Block::Paragraph(instructions.to_string()));
                    blocks.push(Block::Note(format!(
                        "Reply to this email if you have questions for {}.",
                        account.name
                    )));
                }
                _ => blocks.push(Block::Paragraph(format!(
                    "Reply to this email if you have questions or need payment instructions from {}.",
                    account.name
                ))),
            }
        }
    }
    compose(
        account,
        contact,
        format!("{kind} {} from {}", document.number(), account.name),
        &blocks,
    )
}

/// The email that carries a fresh portal link, with no document.
pub fn portal_link_email(account: &Account, contact: &Contact, link: EmailLink<'_>) -> Email {
    let blocks = [
        Block::Paragraph(format!(
            "Here is your link to the {} billing portal.",
            account.name
        )),
        Block::Action {
            label: "Open your billing portal".to_owned(),
            url: link.url.to_owned(),
        },
        link_notice(account, link.expires_at),
    ];
    compose(
        account,
        contact,
        format!("Your {} billing portal link", account.name),
        &blocks,
    )
}

/// The receipt for a succeeded payment: what was paid, when and how, the
/// invoices it settled and what each still owes, and what the client owes
/// in all (one amount per currency).
pub fn receipt_email(
    account: &Account,
    contact: &Contact,
    payment: &Payment,
    settled: &[Settled<'_>],
    still_due: &[Money],
) -> Email {
    let mut facts = vec![
        ("Amount".to_owned(), payment.amount().to_string()),
        ("Date".to_owned(), day(account, payment.received_at())),
        ("Method".to_owned(), payment.method().to_string()),
    ];
    if let Some(reference) = payment.reference() {
        facts.push(("Reference".to_owned(), reference.to_string()));
    }
    let mut blocks = vec![
        Block::Paragraph(format!(
            "Thank you: {} has received your payment of {}.",
            account.name,
            payment.amount()
        )),
        Block::Facts(facts),
    ];
    if !settled.is_empty() {
        blocks.push(Block::Table {
            head: vec![
                "Invoice".to_owned(),
                "Paid now".to_owned(),
                "Still due".to_owned(),
            ],
            rows: settled
                .iter()
                .map(|s| {
                    vec![
                        s.invoice.number().to_string(),
                        s.applied.to_string(),
                        s.invoice.amount_due().to_string(),
                    ]
                })
                .collect(),
        });
    }
    let unapplied = payment.unapplied();
    if unapplied.is_positive() {
        blocks.push(Block::Paragraph(format!(
            "{unapplied} of this payment is held as a credit on your account."
        )));
    }
    blocks.push(Block::Paragraph(if still_due.is_empty() {
        "Your account is fully paid. Nothing else is due.".to_owned()
    } else {
        format!(
            "Still due on your account: {}.",
            still_due
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join(" + ")
        )
    }));
    blocks.push(Block::Note(format!(
        "Keep this email as your receipt. Questions? Reply to reach {}.",
        account.name
    )));
    compose(
        account,
        contact,
        format!(
            "Receipt for your payment of {} to {}",
            payment.amount(),
            account.name
        ),
        &blocks,
    )
}
