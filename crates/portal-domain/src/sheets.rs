//! Composes the sheets PDFs are rendered from: what an invoice, a receipt
//! and a statement say, formatted once here so every renderer prints the
//! same. Pure, like [`crate::notify`]. Dates are in the account's zone.

use chrono::{DateTime, NaiveDate, Utc};

use crate::model::{
    Account, Client, Document, DocumentKind, DocumentStatus, EntryKind, Fact, InvoiceSheet,
    LedgerEntry, Letterhead, Logo, Money, MoneyError, Payment, PaymentStatus, ReceiptLine,
    ReceiptSheet, SheetLine, SheetMeta, SheetRow, SheetSection, Statement, StatementSheet,
};

fn day(date: NaiveDate) -> String {
    date.format("%-d %b %Y").to_string()
}

/// A receipt's number: the first block of the payment's id, which the
/// portal and the API show beside it.
pub fn receipt_number(payment: &Payment) -> String {
    let id = payment.id().to_string();
    format!("R-{}", id.split('-').next().unwrap_or(&id).to_uppercase())
}

/// The file name a document's PDF is offered under.
pub fn document_filename(document: &Document) -> String {
    safe_filename(&format!(
        "{}-{}.pdf",
        document.kind().as_str(),
        document.number()
    ))
}

/// The file name a receipt is offered under.
pub fn receipt_filename(payment: &Payment) -> String {
    format!("receipt-{}.pdf", receipt_number(payment))
}

/// A file name of letters, digits, `-`, `_` and `.` only, whatever a
/// document number holds.
pub fn safe_filename(name: &str) -> String {
    name.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.') {
                c
            } else {
                '_'
            }
        })
        .collect()
}

/// When a document last changed: what its PDF is dated, so the same
/// document always gives the same file.
fn last_change(document: &Document) -> DateTime<Utc> {
    document
        .ledger()
        .entries()
        .iter()
        .map(LedgerEntry::at)
        .chain([document.created_at()])
        .chain(document.sent_at())
        .chain(document.paid_at())
        .chain(document.voided_at())
        .max()
        .unwrap_or_else(|| document.created_at())
}

/// The sheet of an invoice or estimate.
pub fn invoice_sheet(
    account: &Account,
    logo: Option<Logo>,
    client: &Client,
    document: &Document,
) -> InvoiceSheet {
    let zone = &account.settings.time_zone;
    let heading = document.kind().label().to_owned();
    let mut facts = vec![Fact::new("Issued", day(document.issue_date()))];
    if let Some(due) = document.due_date() {
        let label = match document.kind() {
            DocumentKind::Invoice => "Due",
            _ => "Valid until",
        };
        facts.push(Fact::new(label, day(due)));
    }
    facts.push(Fact::new("Currency", document.currency().code()));
    let lines = document
        .lines()
        .iter()
        .map(|line| SheetLine {
            description: line.description().to_string(),
            quantity: line.quantity().to_string(),
            unit_price: line.unit_price().to_string(),
            amount: line.amount().to_string(),
        })
        .collect();
    let is_invoice = document.kind() == DocumentKind::Invoice;
    let mut totals = vec![Fact::new("Total", document.total().to_string())];
    let mut payments = Vec::new();
    if is_invoice {
        totals.push(Fact::new("Amount paid", document.amount_paid().to_string()));
        totals.push(Fact::new("Amount due", document.amount_due().to_string()));
        if let Ok(applied) = document.ledger().applied_payments(document.currency()) {
            payments = applied
                .iter()
                .filter(|p| p.status == PaymentStatus::Succeeded)
                .map(|p| {
                    let net = p.applied.checked_sub(p.refunded).unwrap_or(p.applied);
                    let mut value = net.to_string();
                    if p.refunded.is_positive() {
                        value = format!("{value} ({} refunded)", p.refunded);
                    }
                    Fact::new(
                        format!("{}, {}", day(zone.date_of(p.received_at)), p.method),
                        value,
                    )
                })
                .collect();
        }
    }
    let note = match document.status() {
        DocumentStatus::Paid => Some("Paid in full. Thank you.".to_owned()),
        DocumentStatus::Void => Some(format!("This {} is void.", heading.to_lowercase())),
        DocumentStatus::Draft => Some("Draft: not sent yet.".to_owned()),
        _ => None,
    };
    let instructions = (is_invoice && document.amount_due().is_positive())
        .then(|| {
            account
                .settings
                .payment_instructions
                .as_ref()
                .map(ToString::to_string)
        })
        .flatten();
    InvoiceSheet {
        meta: SheetMeta::new(
            format!("{heading} {}", document.number()),
            account.name.to_string(),
            last_change(document),
        ),
        letterhead: Letterhead::of(account, logo),
        heading,
        number: document.number().to_string(),
        status: document.status().label().to_owned(),
        title: document.title().map(ToString::to_string),
        bill_to: vec![client.name.to_string()],
        facts,
        lines,
        totals,
        payments,
        instructions,
        note,
    }
}

/// What `invoice` still owed right after `payment`: its total less the
/// payments and refunds recorded up to the payment's time.
fn due_after(invoice: &Document, payment: &Payment) -> Result<Money, MoneyError> {
    let mut settled = Money::zero(invoice.currency());
    for entry in invoice.ledger().entries() {
        let counts = entry.payment() == payment.id() || entry.at() <= payment.received_at();
        if !counts {
            continue;
        }
        settled = match entry {
            LedgerEntry::Payment {
                status: PaymentStatus::Succeeded,
                amount,
                ..
            } => settled.checked_add(*amount)?,
            LedgerEntry::Payment { .. } => settled,
            LedgerEntry::Refund { payment: p, .. } if *p == payment.id() => settled,
            LedgerEntry::Refund { amount, .. } => settled.checked_sub(*amount)?,
        };
    }
    invoice.total().checked_sub(settled)
}

/// The sheet of a payment's receipt. `invoices` are the documents the
/// payment was applied to, in any order. Balances are as they stood right
/// after the payment, so the receipt reads the same whenever it is
/// downloaded; refunds made of the payment since are listed as such.
///
/// # Errors
/// Sums out of range.
pub fn receipt_sheet(
    account: &Account,
    logo: Option<Logo>,
    client: &Client,
    payment: &Payment,
    invoices: &[Document],
) -> Result<ReceiptSheet, MoneyError> {
    let zone = &account.settings.time_zone;
    let mut facts = vec![
        Fact::new("Date", day(zone.date_of(payment.received_at()))),
        Fact::new("Method", payment.method().to_string()),
    ];
    if let Some(reference) = payment.reference() {
        facts.push(Fact::new("Reference", reference.to_string()));
    }
    if let Some(charge) = payment.processor()
        && let Some(reference) = &charge.reference
    {
        facts.push(Fact::new("Processor reference", reference.to_string()));
    }
    facts.push(Fact::new("Payment id", payment.id().to_string()));
    let mut lines = Vec::new();
    let mut remaining = Money::zero(payment.currency());
    for allocation in payment.allocations() {
        let Some(invoice) = invoices.iter().find(|d| d.id() == allocation.document_id) else {
            continue;
        };
        let still_due = due_after(invoice, payment)?.max_zero();
        remaining = remaining.checked_add(still_due)?;
        lines.push(ReceiptLine {
            number: invoice.number().to_string(),
            total: invoice.total().to_string(),
            applied: allocation.amount.to_string(),
            still_due: still_due.to_string(),
        });
    }
    let applied = Money::sum(
        payment.currency(),
        payment.allocations().iter().map(|a| a.amount),
    )?;
    let mut totals = vec![Fact::new("Applied to invoices", applied.to_string())];
    let unapplied = payment.unapplied();
    if unapplied.is_positive() {
        totals.push(Fact::new("Credit on account", unapplied.to_string()));
    }
    let refunded = payment.refunded()?;
    if refunded.is_positive() {
        totals.push(Fact::new("Refunded since", refunded.to_string()));
    }
    if !lines.is_empty() {
        totals.push(Fact::new(
            "Remaining balance on these invoices",
            remaining.to_string(),
        ));
    }
    let created = payment
        .refunds()
        .iter()
        .map(|r| r.created_at)
        .chain([payment.received_at()])
        .max()
        .unwrap_or_else(|| payment.received_at());
    let number = receipt_number(payment);
    Ok(ReceiptSheet {
        meta: SheetMeta::new(
            format!("Receipt {number}"),
            account.name.to_string(),
            created,
        ),
        letterhead: Letterhead::of(account, logo),
        number,
        bill_to: vec![client.name.to_string()],
        amount: payment.amount().to_string(),
        facts,
        invoices: lines,
        totals,
        note: Some(format!(
            "Thank you: {} has received your payment.",
            account.name
        )),
    })
}

/// The sheet of a statement.
///
/// # Errors
/// Sums out of range.
pub fn statement_sheet(
    account: &Account,
    logo: Option<Logo>,
    client: &Client,
    statement: &Statement,
) -> Result<StatementSheet, MoneyError> {
    let range = statement.range;
    let zone = statement.time_zone;
    let period = format!("{} – {}", day(range.from()), day(range.to()));
    let blank = |m: Option<Money>| m.map(|m| m.to_string()).unwrap_or_default();
    let mut sections = Vec::new();
    for section in &statement.sections {
        let s = &section.summary;
        let rows = section
            .entries
            .iter()
            .map(|e| SheetRow {
                date: day(e.date),
                kind: e.kind.label().to_owned(),
                reference: e.reference.clone(),
                description: match e.kind {
                    EntryKind::OpeningBalance | EntryKind::ClosingBalance => String::new(),
                    _ => e.description.clone(),
                },
                debit: blank(e.debit),
                credit: blank(e.credit),
                balance: e.balance.to_string(),
            })
            .collect();
        let mut aging: Vec<Fact> = s
            .aging
            .buckets()
            .into_iter()
            .map(|(label, amount)| Fact::new(label, amount.to_string()))
            .collect();
        aging.push(Fact::new("Total due", s.aging.total()?.to_string()));
        sections.push(SheetSection {
            currency: s.currency.code().to_owned(),
            rows,
            summary: vec![
                Fact::new(
                    format!("Opening balance on {}", day(range.from())),
                    s.opening.to_string(),
                ),
                Fact::new("Invoiced", s.invoiced.to_string()),
                Fact::new("Paid", s.paid.to_string()),
                Fact::new("Refunded", s.refunded.to_string()),
                Fact::new(
                    format!("Closing balance on {}", day(range.to())),
                    s.closing.to_string(),
                ),
            ],
            aging,
        });
    }
    Ok(StatementSheet {
        meta: SheetMeta::new(
            format!("Statement for {}, {period}", client.name),
            account.name.to_string(),
            statement.generated_at,
        ),
        letterhead: Letterhead::of(account, logo),
        bill_to: vec![client.name.to_string()],
        period,
        facts: vec![
            Fact::new(
                "Generated",
                format!(
                    "{} {}",
                    zone.local(statement.generated_at).format("%-d %b %Y %H:%M"),
                    zone.abbreviation(statement.generated_at)
                ),
            ),
            Fact::new("Time zone", zone.name()),
        ],
        empty: statement
            .sections
            .is_empty()
            .then(|| "No invoices or payments up to the end of this period.".to_owned()),
        sections,
    })
}
