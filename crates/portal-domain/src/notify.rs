//! The emails the portal sends, composed as plain text. Pure: the mail
//! adapter only delivers what this module writes.

use chrono::{DateTime, Utc};

use crate::model::{Account, Contact, Document, DocumentKind};
use crate::ports::Email;

/// A link as it appears in an email: where it goes and until when.
#[derive(Debug, Clone, Copy)]
pub struct EmailLink<'a> {
    pub url: &'a str,
    pub expires_at: DateTime<Utc>,
}

/// The email that carries a document to a contact. Without a link (the
/// client's portal is off) it says how to get in touch instead.
pub fn document_email(
    account: &Account,
    contact: &Contact,
    document: &Document,
    link: Option<EmailLink<'_>>,
) -> Email {
    let kind = document.kind.label();
    let mut text = format!("Hello {},\n\n", contact.name);
    text.push_str(&match document.kind {
        DocumentKind::Invoice => format!(
            "{} has sent you invoice {} for {}.",
            account.name,
            document.number,
            document.total_money()
        ),
        DocumentKind::Estimate => format!(
            "{} has sent you estimate {} for {}.",
            account.name,
            document.number,
            document.total_money()
        ),
        DocumentKind::Contract => {
            format!(
                "{} has sent you contract {}.",
                account.name, document.number
            )
        }
    });
    text.push('\n');
    if let Some(title) = &document.title {
        text.push_str(&format!("\n{title}\n"));
    }
    text.push_str(&format!(
        "\nIssued: {}\n",
        document.issue_date.format("%-d %b %Y")
    ));
    if let Some(due) = document.due_date {
        let label = match document.kind {
            DocumentKind::Invoice => "Due",
            _ => "Valid until",
        };
        text.push_str(&format!("{label}: {}\n", due.format("%-d %b %Y")));
    }
    match link {
        Some(link) => {
            text.push_str(&format!(
                "\nView it in your billing portal:\n{}\n\n",
                link.url
            ));
            text.push_str(&link_notice(link.expires_at));
        }
        None => text.push_str(&format!(
            "\nReply to this email if you have questions or need payment instructions from {}.\n",
            account.name
        )),
    }
    Email {
        to: contact.email.clone(),
        to_name: contact.name.to_string(),
        from_name: account.name.to_string(),
        subject: format!("{kind} {} from {}", document.number, account.name),
        text,
    }
}

/// The email that carries a fresh portal link, with no document.
pub fn portal_link_email(account: &Account, contact: &Contact, link: EmailLink<'_>) -> Email {
    let text = format!(
        "Hello {},\n\nHere is your link to the {} billing portal:\n{}\n\n{}",
        contact.name,
        account.name,
        link.url,
        link_notice(link.expires_at)
    );
    Email {
        to: contact.email.clone(),
        to_name: contact.name.to_string(),
        from_name: account.name.to_string(),
        subject: format!("Your {} billing portal link", account.name),
        text,
    }
}

fn link_notice(expires_at: DateTime<Utc>) -> String {
    format!(
        "This link is just for you and works once. It expires on {}.\n\
         If it has expired or was already used, open it anyway and ask for a new one.\n",
        expires_at.format("%-d %b %Y at %H:%M UTC")
    )
}
