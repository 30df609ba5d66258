//! Downloads: PDFs and statements are scoped to the session's company and
//! audited; invoices to portal-less clients and receipts carry their PDF.

use chrono::{Duration, NaiveDate};

use super::{World, browser, page, usd};
use crate::model::{
    Allocation, AuditAction, ClientPatch, EntryKind, ManualKind, PaymentInstructions,
    PaymentMethod, SettingsPatch, Sheet, StatementRange,
};
use crate::service::{
    DocumentError, DownloadError, PaymentInput, Requester, StatementEvent, StatementFormat,
};
use crate::testing::block_on;

fn pay(w: &World, doc: &crate::model::Document, amount: i64) -> crate::model::Payment {
    block_on(w.s.payments.record_payment(
        &w.account,
        PaymentInput {
            client_id: doc.client_id(),
            amount: usd(amount),
            method: PaymentMethod::Manual(ManualKind::Check),
            reference: None,
            received_at: w.now() - Duration::hours(1),
            allocations: vec![Allocation {
                document_id: doc.id(),
                amount: usd(amount),
            }],
            notify_contact: None,
        },
    ))
    .unwrap()
    .payment
}

fn audit(w: &World) -> Vec<crate::model::AuditEvent> {
    block_on(crate::ports::AuditStore::client_events(
        w.store.as_ref(),
        w.account.id,
        w.client.id,
        &page(),
    ))
    .unwrap()
}

#[test]
fn portal_downloads_are_scoped_to_the_company_and_audited() {
    let w = World::new();
    let mine = w.sent(&w.invoice(&w.client, "INV-1"), &w.contact);
    let draft = w.invoice(&w.client, "INV-DRAFT");
    let other = w.client_named("Globex");
    let theirs_contact = w.contact(&other, "ap@globex.example");
    let theirs = w.sent(&w.invoice(&other, "INV-9"), &theirs_contact);
    let their_payment = pay(&w, &theirs, 10_000);
    let my_payment = pay(&w, &mine, 10_000);
    let ctx = w.sign_in(&w.contact);
    let info = browser();
    let by = Requester::Portal {
        ctx: &ctx,
        info: &info,
    };
    let downloads = &w.s.downloads;

    let pdf = block_on(downloads.document_pdf(by, mine.id())).unwrap();
    assert_eq!(pdf.filename, "invoice-INV-1.pdf");
    let text = String::from_utf8(pdf.bytes).unwrap();
    assert!(
        text.contains("INV-1") && text.contains("$1,500.00"),
        "{text}"
    );
    for refused in [theirs.id(), draft.id()] {
        assert!(matches!(
            block_on(downloads.document_pdf(by, refused)),
            Err(DownloadError::NotFound)
        ));
    }
    let receipt = block_on(downloads.receipt_pdf(by, my_payment.id())).unwrap();
    assert!(receipt.filename.starts_with("receipt-R-"));
    assert!(matches!(
        block_on(downloads.receipt_pdf(by, their_payment.id())),
        Err(DownloadError::NotFound)
    ));
    let range = StatementRange::parse("2026-01-01", "2026-11-25").unwrap();
    assert!(matches!(
        block_on(downloads.statement(by, other.id, range, StatementFormat::Csv)),
        Err(DownloadError::NotFound)
    ));
    block_on(downloads.statement_pdf(by, w.client.id, range)).unwrap();

    // Operators see drafts and every client.
    let operator = Requester::Operator(&w.account);
    block_on(downloads.document_pdf(operator, draft.id())).unwrap();
    block_on(downloads.receipt_pdf(operator, their_payment.id())).unwrap();

    let events = audit(&w);
    let downloaded: Vec<_> = events
        .iter()
        .filter(|e| {
            matches!(
                e.action,
                AuditAction::DocumentDownloaded
                    | AuditAction::ReceiptDownloaded
                    | AuditAction::StatementDownloaded
            )
        })
        .collect();
    assert_eq!(
        downloaded.len(),
        3,
        "operator downloads are not the client's"
    );
    for event in &downloaded {
        assert_eq!(event.contact_id, Some(w.contact.id));
        assert_eq!(event.session_id, Some(ctx.session.id));
        assert_eq!(event.ip, info.ip);
    }
    let statement = downloaded
        .iter()
        .find(|e| e.action == AuditAction::StatementDownloaded)
        .unwrap();
    assert_eq!(
        statement.detail.as_deref(),
        Some("2026-01-01..2026-11-25 pdf")
    );
    let receipt = downloaded
        .iter()
        .find(|e| e.action == AuditAction::ReceiptDownloaded)
        .unwrap();
    assert_eq!(receipt.payment_id, Some(my_payment.id()));
}

#[test]
fn a_receipt_of_a_payment_not_succeeded_is_not_found() {
    let w = World::new();
    let operator = Requester::Operator(&w.account);
    let unknown = crate::model::PaymentId::generate(&crate::testing::SeededRandom::new(9));
    assert!(matches!(
        block_on(w.s.downloads.receipt_pdf(operator, unknown)),
        Err(DownloadError::NotFound)
    ));
}

#[test]
fn a_statement_streams_the_same_rows_it_collects() {
    let w = World::new();
    let first = w.sent(&w.invoice(&w.client, "INV-1"), &w.contact);
    let _eur = w.sent(&w.invoice_in(&w.client, "INV-E", "EUR", 2_000), &w.contact);
    let void = w.sent(&w.invoice(&w.client, "INV-VOID"), &w.contact);
    block_on(
        w.s.documents
            .void_document(&w.account, void.kind(), void.id()),
    )
    .unwrap();
    let _draft = w.invoice(&w.client, "INV-DRAFT");
    pay(&w, &first, 40_000);
    let range = StatementRange::new(
        NaiveDate::from_ymd_opt(2026, 1, 1).unwrap(),
        NaiveDate::from_ymd_opt(2026, 12, 31).unwrap(),
    )
    .unwrap();
    let operator = Requester::Operator(&w.account);
    let mut stream =
        block_on(
            w.s.downloads
                .statement(operator, w.client.id, range, StatementFormat::Csv),
        )
        .unwrap();
    let mut rows = Vec::new();
    let mut sections = Vec::new();
    while let Some(event) = block_on(stream.next()).unwrap() {
        match event {
            StatementEvent::Entry(e) => rows.push(e),
            StatementEvent::Section(s) => sections.push(s),
        }
    }
    let collected = block_on(
        block_on(
            w.s.downloads
                .statement(operator, w.client.id, range, StatementFormat::Json),
        )
        .unwrap()
        .collect(),
    )
    .unwrap();
    assert_eq!(
        collected
            .sections
            .iter()
            .flat_map(|s| s.entries.clone())
            .collect::<Vec<_>>(),
        rows
    );
    // One section per currency, by code; void and draft invoices absent.
    let codes: Vec<_> = sections.iter().map(|s| s.currency.code()).collect();
    assert_eq!(codes, ["EUR", "USD"]);
    assert!(
        rows.iter()
            .all(|r| r.reference != "INV-VOID" && r.reference != "INV-DRAFT")
    );
    let usd_section = &sections[1];
    assert_eq!(usd_section.invoiced.minor(), 150_000);
    assert_eq!(usd_section.paid.minor(), 40_000);
    assert_eq!(usd_section.closing.minor(), 110_000);
    // Due on 20 Dec, 11 days before the end of the range.
    assert_eq!(usd_section.aging.days_1_30.minor(), 110_000);
    assert_eq!(usd_section.aging.total().unwrap().minor(), 110_000);
    let kinds: Vec<_> = rows.iter().map(|r| r.kind).collect();
    assert_eq!(
        kinds,
        [
            EntryKind::OpeningBalance,
            EntryKind::Invoice,
            EntryKind::ClosingBalance,
            EntryKind::OpeningBalance,
            EntryKind::Invoice,
            EntryKind::Payment,
            EntryKind::ClosingBalance,
        ]
    );
}

#[test]
fn a_portal_less_invoice_email_carries_the_pdf_and_the_instructions() {
    let w = World::new();
    let account = block_on(
        w.s.accounts.update_account(
            &w.account,
            None,
            SettingsPatch {
                payment_instructions: Some(Some(
                    PaymentInstructions::parse(
                        "payment_instructions",
                        "Wire to IBAN DE89 3704 0044",
                    )
                    .unwrap(),
                )),
                ..SettingsPatch::default()
            },
        ),
    )
    .unwrap();
    block_on(w.s.crm.update_client(
        &account,
        w.client.id,
        ClientPatch {
            portal_enabled: Some(false),
            ..ClientPatch::default()
        },
    ))
    .unwrap();
    let doc = w.invoice(&w.client, "INV-7");
    block_on(
        w.s.documents
            .send_document(&account, doc.kind(), doc.id(), w.contact.id),
    )
    .unwrap();
    w.deliver();
    let email = w.last_email();
    assert!(!email.text.contains("/l/"), "no link: {}", email.text);
    assert!(email.text.contains("Wire to IBAN DE89 3704 0044"));
    assert_eq!(email.attachments.len(), 1);
    let attachment = &email.attachments[0];
    assert_eq!(attachment.filename, "invoice-INV-7.pdf");
    assert_eq!(attachment.content_type, "application/pdf");
    let text = String::from_utf8(attachment.content.clone()).unwrap();
    assert!(text.contains("Wire to IBAN DE89 3704 0044"), "{text}");
}

#[test]
fn a_failed_render_sends_nothing_and_a_retry_sends_once() {
    let w = World::new();
    block_on(w.s.crm.update_client(
        &w.account,
        w.client.id,
        ClientPatch {
            portal_enabled: Some(false),
            ..ClientPatch::default()
        },
    ))
    .unwrap();
    let doc = w.invoice(&w.client, "INV-8");
    w.renderer.fail(true);
    let err = block_on(
        w.s.documents
            .send_document(&w.account, doc.kind(), doc.id(), w.contact.id),
    )
    .unwrap_err();
    assert!(matches!(err, DocumentError::Render(_)), "{err:?}");
    assert_eq!(w.deliver().sent, 0);
    assert_eq!(w.reload(&doc).status(), crate::model::DocumentStatus::Draft);
    w.renderer.fail(false);
    block_on(
        w.s.documents
            .send_document(&w.account, doc.kind(), doc.id(), w.contact.id),
    )
    .unwrap();
    assert_eq!(w.deliver().sent, 1);
}

#[test]
fn receipts_carry_their_pdf_and_a_failed_render_does_not_hold_the_payment() {
    let w = World::new();
    let doc = w.sent(&w.invoice(&w.client, "INV-1"), &w.contact);
    w.deliver();
    let renders = w.renderer.renders();
    pay(&w, &doc, 50_000);
    assert_eq!(
        w.renderer.renders(),
        renders + 1,
        "one render for all recipients"
    );
    w.deliver();
    let email = w.last_email();
    assert!(
        email.subject.contains("Receipt") || email.subject.contains("receipt"),
        "{}",
        email.subject
    );
    assert_eq!(email.attachments.len(), 1);
    let text = String::from_utf8(email.attachments[0].content.clone()).unwrap();
    assert!(
        text.contains("$500.00") && text.contains("$1,000.00"),
        "{text}"
    );

    w.renderer.fail(true);
    let second = pay(&w, &doc, 10_000);
    assert_eq!(second.amount().minor(), 10_000);
    w.deliver();
    let email = w.last_email();
    assert!(email.attachments.is_empty());
    assert!(email.text.contains("$100.00"));
}

#[test]
fn sheets_say_what_the_documents_say() {
    let w = World::new();
    let doc = w.sent(&w.invoice(&w.client, "INV-1"), &w.contact);
    let payment = pay(&w, &doc, 150_000);
    let doc = w.reload(&doc);
    let sheet = crate::sheets::invoice_sheet(&w.account, None, &w.client, &doc);
    assert_eq!(sheet.note.as_deref(), Some("Paid in full. Thank you."));
    assert!(sheet.instructions.is_none(), "nothing left to pay");
    let totals: Vec<_> = sheet
        .totals
        .iter()
        .map(|f| (f.label.as_str(), f.value.as_str()))
        .collect();
    assert_eq!(
        totals,
        [
            ("Total", "$1,500.00"),
            ("Amount paid", "$1,500.00"),
            ("Amount due", "$0.00")
        ]
    );
    let receipt =
        crate::sheets::receipt_sheet(&w.account, None, &w.client, &payment, &[doc]).unwrap();
    assert_eq!(receipt.amount, "$1,500.00");
    assert_eq!(receipt.invoices[0].still_due, "$0.00");
    assert!(
        matches!(Sheet::Receipt(receipt).meta().title.as_str(), t if t.starts_with("Receipt R-"))
    );
}
