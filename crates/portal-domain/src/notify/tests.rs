//! The emails as a client reads them, as snapshots of their text part,
//! with the HTML part checked to say the same.

use chrono::NaiveDate;

use super::*;
use crate::model::{
    AccountId, AccountSettings, ClientId, ContactId, Currency, Description, DocumentId,
    DocumentInput, DocumentNumber, EmailAddress, LineItem, ManualKind, Name, PaymentId,
    PaymentMethod, PaymentRecord, PaymentStatus, Quantity, Reference, TimeZone,
};
use crate::model::{Allocation, DocumentAction};
use crate::testing::ts;

fn usd() -> Currency {
    Currency::parse("currency", "USD").unwrap()
}

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
        active: true,
        created_at: ts("2026-11-01T00:00:00Z"),
        updated_at: ts("2026-11-01T00:00:00Z"),
    }
}

fn document(kind: DocumentKind, due: Option<NaiveDate>) -> Document {
    let line = LineItem::new(
        Description::parse("d", "Website redesign").unwrap(),
        Quantity::parse("q", "1").unwrap(),
        Money::new(480_000, usd()),
    )
    .unwrap();
    let input = DocumentInput {
        kind,
        client_id: ClientId::from_uuid(uuid::Uuid::nil()),
        number: DocumentNumber::parse("number", "INV-1001").unwrap(),
        title: (kind == DocumentKind::Contract)
            .then(|| Description::parse("t", "Master services agreement").unwrap()),
        currency: usd(),
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

/// Every line of the text part appears in the HTML part too (escaped).
fn html_says_the_same(email: &Email) {
    for line in email.text.lines().filter(|l| !l.trim().is_empty()) {
        if line.contains("  ") {
            continue; // a text table row; its cells are checked separately
        }
        let line = line.trim_end_matches(':');
        for part in line.split(": ") {
            assert!(
                email.html.contains(&render::escape(part)),
                "{part:?} missing from the HTML part:\n{}",
                email.html
            );
        }
    }
}

#[test]
fn invoice_email_with_a_link() {
    let doc = document(DocumentKind::Invoice, NaiveDate::from_ymd_opt(2026, 12, 2));
    let email = document_email(&account(), &contact(), &doc, Some(link()));
    html_says_the_same(&email);
    assert!(
        email
            .html
            .contains("href=\"https://billing.example.com/l/TOKEN\"")
    );
    insta::assert_snapshot!(render(&email));
}

#[test]
fn invoice_email_without_a_portal() {
    let doc = document(DocumentKind::Invoice, NaiveDate::from_ymd_opt(2026, 12, 2));
    let email = document_email(&account(), &contact(), &doc, None);
    html_says_the_same(&email);
    assert!(!email.html.contains("href="));
    insta::assert_snapshot!(render(&email));
}

#[test]
fn invoice_email_without_a_portal_carries_the_payment_instructions() {
    let doc = document(DocumentKind::Invoice, NaiveDate::from_ymd_opt(2026, 12, 2));
    let mut account = account();
    account.settings.payment_instructions = Some(
        crate::model::PaymentInstructions::parse(
            "payment_instructions",
            "Wire to IBAN GB33 BUKB 2020 1555 5555 55\nReference: INV-1001 <b>now</b>",
        )
        .unwrap(),
    );
    let email = document_email(&account, &contact(), &doc, None);
    html_says_the_same(&email);
    assert!(!email.html.contains("href="));
    assert!(email.text.contains("GB33 BUKB 2020 1555 5555 55"));
    assert!(email.html.contains("&lt;b&gt;now&lt;/b&gt;"));
    insta::assert_snapshot!(render(&email));
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
    let email = portal_link_email(&account(), &contact(), link());
    html_says_the_same(&email);
    insta::assert_snapshot!(render(&email));
}

#[test]
fn link_expiry_is_told_in_the_accounts_time_zone() {
    let mut account = account();
    account.settings.time_zone = TimeZone::parse("tz", "America/New_York").unwrap();
    let email = portal_link_email(&account, &contact(), link());
    assert!(
        email.text.contains("16 Nov 2026 at 04:00 EST"),
        "{}",
        email.text
    );
}

#[test]
fn a_receipt_lists_what_was_settled_and_what_remains() {
    let now = ts("2026-11-20T15:00:00Z");
    let invoice = document(DocumentKind::Invoice, NaiveDate::from_ymd_opt(2026, 12, 2))
        .apply(DocumentAction::Send, now)
        .unwrap();
    let payment = Payment::new(
        PaymentRecord {
            id: PaymentId::from_uuid(uuid::Uuid::nil()),
            account_id: invoice.account_id(),
            client_id: invoice.client_id(),
            amount: Money::new(300_000, usd()),
            method: PaymentMethod::Manual(ManualKind::BankTransfer),
            reference: Some(Reference::parse("reference", "WIRE 2026-118 <ok>").unwrap()),
            received_at: ts("2026-11-19T23:30:00Z"),
            status: PaymentStatus::Succeeded,
            allocations: vec![Allocation {
                document_id: invoice.id(),
                amount: Money::new(250_000, usd()),
            }],
            refunds: vec![],
            created_at: now,
            version: 0,
            processor: None,
            failure: None,
        },
        now,
    )
    .unwrap();
    let paid = invoice
        .with_entries(payment.ledger_entries().map(|(_, e)| e), now)
        .unwrap();
    let email = receipt_email(
        &account(),
        &contact(),
        &payment,
        &[Settled {
            invoice: &paid,
            applied: Money::new(250_000, usd()),
        }],
        &[Money::new(230_000, usd())],
    );
    assert!(email.html.contains("WIRE 2026-118 &lt;ok&gt;"));
    assert!(email.html.contains("$2,300.00"));
    insta::assert_snapshot!(render(&email));
}
