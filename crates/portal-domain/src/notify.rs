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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{
        AccountId, AccountSettings, ClientId, ContactId, Currency, Description, DocumentId,
        DocumentInput, DocumentNumber, EmailAddress, LineItem, Name, Quantity,
    };
    use crate::testing::ts;
    use chrono::NaiveDate;

    fn account() -> Account {
        Account {
            id: AccountId::from_uuid(uuid::Uuid::nil()),
            name: Name::parse("name", "Northwind Studio").unwrap(),
            settings: AccountSettings::default(),
            demo: false,
            created_at: ts("2026-11-01T00:00:00Z"),
            updated_at: ts("2026-11-01T00:00:00Z"),
        }
    }

    fn contact() -> Contact {
        Contact {
            id: ContactId::from_uuid(uuid::Uuid::nil()),
            account_id: AccountId::from_uuid(uuid::Uuid::nil()),
            client_id: ClientId::from_uuid(uuid::Uuid::nil()),
            name: Name::parse("name", "Avery Quinn").unwrap(),
            email: EmailAddress::parse("email", "ap@acme.example").unwrap(),
            created_at: ts("2026-11-01T00:00:00Z"),
        }
    }

    fn document(kind: DocumentKind, due: Option<NaiveDate>) -> Document {
        let line = LineItem::new(
            Description::parse("d", "Website redesign").unwrap(),
            Quantity::parse("q", "1").unwrap(),
            480_000,
        )
        .unwrap();
        let input = DocumentInput {
            kind,
            client_id: ClientId::from_uuid(uuid::Uuid::nil()),
            number: DocumentNumber::parse("number", "INV-1001").unwrap(),
            title: (kind == DocumentKind::Contract)
                .then(|| Description::parse("t", "Master services agreement").unwrap()),
            currency: Currency::parse("currency", "USD").unwrap(),
            issue_date: NaiveDate::from_ymd_opt(2026, 11, 2).unwrap(),
            due_date: due,
            lines: if kind == DocumentKind::Contract {
                vec![]
            } else {
                vec![line]
            },
        };
        Document::draft(
            DocumentId::from_uuid(uuid::Uuid::nil()),
            AccountId::from_uuid(uuid::Uuid::nil()),
            input,
            ts("2026-11-02T09:00:00Z"),
        )
        .unwrap()
    }

    fn link() -> EmailLink<'static> {
        EmailLink {
            url: "https://billing.example.com/l/TOKEN",
            expires_at: ts("2026-11-16T09:00:00Z"),
        }
    }

    fn render(email: &Email) -> String {
        format!(
            "To: {} <{}>\nFrom: {}\nSubject: {}\n\n{}",
            email.to_name, email.to, email.from_name, email.subject, email.text
        )
    }

    #[test]
    fn invoice_email_with_a_link() {
        let doc = document(DocumentKind::Invoice, NaiveDate::from_ymd_opt(2026, 12, 2));
        insta::assert_snapshot!(render(&document_email(
            &account(),
            &contact(),
            &doc,
            Some(link())
        )));
    }

    #[test]
    fn invoice_email_without_a_portal() {
        let doc = document(DocumentKind::Invoice, NaiveDate::from_ymd_opt(2026, 12, 2));
        insta::assert_snapshot!(render(&document_email(&account(), &contact(), &doc, None)));
    }

    #[test]
    fn estimate_and_contract_emails() {
        let estimate = document(
            DocumentKind::Estimate,
            NaiveDate::from_ymd_opt(2026, 12, 31),
        );
        let contract = document(DocumentKind::Contract, None);
        insta::assert_snapshot!(format!(
            "{}\n---\n{}",
            render(&document_email(
                &account(),
                &contact(),
                &estimate,
                Some(link())
            )),
            render(&document_email(
                &account(),
                &contact(),
                &contract,
                Some(link())
            ))
        ));
    }

    #[test]
    fn a_fresh_portal_link() {
        insta::assert_snapshot!(render(&portal_link_email(&account(), &contact(), link())));
    }
}
