//! A synthetic but realistic client history, the same for every engine:
//! one client of one business, invoices in euros and (about one in eight)
//! US dollars over several years, paid by bank transfer, card, bank debit
//! and cheque; some in two instalments, some several at once, a few with
//! credit left over, a few never; a few refunds. Descriptions and
//! references include text that looks like typst markup, HTML, formulas,
//! right-to-left scripts and emoji, as clients type them.
//!
//! The history is cut so that the statement range holds exactly the asked
//! number of rows (invoices, payments and refunds; the opening and closing
//! rows of each currency come on top), and is the same for the same size
//! and seed.

use std::collections::HashMap;

use chrono::{DateTime, Duration, NaiveDate, Utc};
use portal_domain::model::{
    AccentColour, Account, AccountId, AccountSettings, Address, Allocation, CardBrand, Client,
    ClientId, Currency, Description, Document, DocumentId, DocumentKind, DocumentNumber,
    DocumentRecord, DocumentStatus, Last4, LedgerEntry, LineItem, Logo, LogoFormat, ManualKind,
    Money, Name, Payment, PaymentId, PaymentInstructions, PaymentMethod, PaymentRecord,
    PaymentStatus, Quantity, Reference, Refund, RefundId, Statement, StatementInvoice,
    StatementPayment, StatementRange, StatementRefund, TimeZone, section_of,
};
use portal_domain::testing::SeededRandom;

/// Invoice titles; `None` prints the domain's "Invoice, due …".
const TITLES: &[&str] = &[
    "Website maintenance",
    "Hosting and backups (annual)",
    "Consulting — strategy workshop",
    "Design sprint: onboarding flow\nTwo designers, five days",
    "Translation DE→FR, 12,400 words",
    "#read(\"/etc/passwd\")",
    "*bold* _emph_ $x^2$ ] [ #set page(width: 1pt)",
    "<script>alert('statement')</script> & <b>not bold</b>",
    "=SUM(A1:A9) formula-looking title",
    "تصميم الموقع — المرحلة الثانية",
    "עיצוב אתר, שלב ב׳",
    "Ремонт серверной, этап 2",
    "Ελληνικά: συντήρηση συστήματος",
    "Shipping 📦 and handling 🚚",
    "Quarterly retainer \"Q3\", incl. travel; see attached, 'approved'",
    "Emergency call-out (weekend), 3.5 h @ 140.00 — ticket #4411, \\escaped\\ path C:\\billing",
];

const LINE_TEXTS: &[&str] = &[
    "Professional services",
    "Travel and expenses",
    "Licences",
    "Materials",
    "Support hours",
];

const REFUND_REASONS: &[Option<&str>] = &[
    Some("Duplicate charge"),
    Some("Goodwill credit 🎁 for the outage"),
    None,
    Some("Annulé / rückerstattet / 返金"),
    Some("سبب الاسترداد: خطأ في الفاتورة"),
    Some("$refund$ #strong[no]"),
];

/// Transfer references, a few of which a spreadsheet would take for a
/// formula.
const HOSTILE_REFERENCES: &[&str] = &[
    "=HYPERLINK(\"http://example.invalid\",\"pay\")",
    "+49 30 1234567",
    "-2+3",
    "@SUM(1,2)",
];

/// The business's logo, drawn rather than read from a file.
const LOGO_SVG: &str = r##"<svg xmlns="http://www.w3.org/2000/svg" width="120" height="40" viewBox="0 0 120 40"><rect x="0" y="0" width="40" height="40" rx="8" fill="#0b7285"/><path d="M10 30 L20 10 L30 30 Z" fill="#ffffff"/><rect x="48" y="12" width="68" height="6" rx="3" fill="#0b7285"/><rect x="48" y="24" width="44" height="6" rx="3" fill="#66a8b5"/></svg>"##;

/// splitmix64: reproducible choices.
#[derive(Debug)]
pub(crate) struct Rng(pub(crate) u64);

impl Rng {
    pub(crate) fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `0.0..1.0`.
    pub(crate) fn unit(&mut self) -> f64 {
        // 53 random bits: exact in an f64.
        #[allow(clippy::cast_precision_loss)]
        let bits = (self.next() >> 11) as f64;
        bits / (1u64 << 53) as f64
    }

    /// Uniform in `low..=high`.
    pub(crate) fn between(&mut self, low: i64, high: i64) -> i64 {
        let span = high.abs_diff(low) + 1;
        low + i64::try_from(self.next() % span).unwrap_or(0)
    }

    pub(crate) fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        let len = u64::try_from(items.len()).unwrap_or(1).max(1);
        &items[usize::try_from(self.next() % len).unwrap_or(0)]
    }
}

/// One client's history and the statement range over it.
#[derive(Debug)]
pub(crate) struct History {
    pub(crate) account: Account,
    pub(crate) logo: Option<Logo>,
    pub(crate) client: Client,
    pub(crate) range: StatementRange,
    /// Sent invoices, by issue date.
    pub(crate) documents: Vec<Document>,
    /// Succeeded payments as first recorded, by time received.
    pub(crate) payments: Vec<Payment>,
    /// Refunds made of them since, by time made.
    pub(crate) refunds: Vec<Refund>,
    /// Rows in the range: invoices, payments and refunds.
    pub(crate) entries: usize,
    /// When the statement is said to be made.
    pub(crate) generated_at: DateTime<Utc>,
}

/// How an invoice gets paid.
#[derive(Debug, Clone, Copy)]
enum Plan {
    Once,
    /// Once, and a little more than owed: credit on the account.
    Overpaid,
    Instalments,
    /// With the next invoice in its currency that is paid at once.
    WithNext,
    Never,
}

struct DraftInvoice {
    id: DocumentId,
    number: String,
    title: Option<&'static str>,
    currency: Currency,
    issue: NaiveDate,
    due: NaiveDate,
    lines: Vec<i64>,
    total: i64,
}

struct DraftPayment {
    id: PaymentId,
    currency: Currency,
    received_at: DateTime<Utc>,
    allocations: Vec<(usize, i64)>,
    credit: i64,
    method: PaymentMethod,
    reference: Option<String>,
    refund: Option<DraftRefund>,
}

struct DraftRefund {
    id: RefundId,
    at: DateTime<Utc>,
    amount: i64,
    reason: Option<&'static str>,
}

fn fail(what: &str) -> impl Fn(portal_domain::model::ValidationError) -> String + '_ {
    move |e| format!("{what}: {e}")
}

fn date(year: i32, month: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(year, month, day).unwrap_or_default()
}

/// A client history whose statement from 1 January 2017 holds `entries`
/// rows: four years of it for up to 2,000 rows, seven for up to 20,000,
/// nine beyond.
///
/// # Errors
/// A generated value the domain refuses (a bug here), or a size the
/// range cannot hold.
pub(crate) fn history(entries: usize, seed: u64) -> Result<History, String> {
    let ids = SeededRandom::new(seed);
    let mut rng = Rng(seed ^ 0x5851_F42D_4C95_7F2D);
    let zone = TimeZone::parse("time_zone", "Europe/Berlin").map_err(fail("zone"))?;
    let eur = Currency::parse("currency", "EUR").map_err(fail("EUR"))?;
    let usd = Currency::parse("currency", "USD").map_err(fail("USD"))?;
    let years: i64 = match entries {
        0..=2_000 => 4,
        2_001..=20_000 => 7,
        _ => 9,
    };
    let from = date(2017, 1, 1);
    let span = years * 365;
    let start = from - Duration::days(75);
    let horizon = from + Duration::days(span + 40);
    // About two rows per invoice (itself and its payment); invoices go out
    // on weekdays; a margin so the cut falls before the horizon.
    #[allow(clippy::cast_precision_loss)]
    let per_weekday = entries as f64 / 1.9 / (span as f64 * 5.0 / 7.0);

    let mut invoices: Vec<DraftInvoice> = Vec::new();
    let mut payments: Vec<DraftPayment> = Vec::new();
    let mut carried: HashMap<&'static str, Vec<usize>> = HashMap::new();
    let mut numbers: HashMap<i32, u32> = HashMap::new();
    let mut backlog = 0.0;
    let mut day = start;
    while day < horizon {
        use chrono::Datelike as _;
        let weekday = day.weekday().num_days_from_monday() < 5;
        if weekday {
            backlog += per_weekday * (0.4 + 1.2 * rng.unit());
        }
        while weekday && backlog >= 1.0 {
            backlog -= 1.0;
            let currency = if rng.unit() < 0.12 { usd } else { eur };
            let total = match rng.unit() {
                u if u < 0.01 => rng.between(2_000_000, 4_800_000),
                u if u < 0.11 => rng.between(100_000, 1_250_000),
                _ => rng.between(4_500, 95_000),
            };
            let parts = usize::try_from(rng.between(1, 3)).unwrap_or(1);
            let mut lines = Vec::with_capacity(parts);
            let mut left = total;
            for part in 1..parts {
                let share = rng.between(1, left / i64::try_from(parts - part + 1).unwrap_or(1));
                lines.push(share.max(1));
                left -= share.max(1);
            }
            lines.push(left);
            let seq = numbers.entry(day.year()).or_default();
            *seq += 1;
            let index = invoices.len();
            invoices.push(DraftInvoice {
                id: DocumentId::generate(&ids),
                number: format!("INV-{}-{:05}", day.year(), seq),
                title: (rng.unit() < 0.7).then(|| *rng.pick(TITLES)),
                currency,
                issue: day,
                due: day + Duration::days(*rng.pick(&[14, 30, 30, 30, 45, 60])),
                lines,
                total,
            });
            let plan = match rng.unit() {
                u if u < 0.82 => Plan::Once,
                u if u < 0.84 => Plan::Overpaid,
                u if u < 0.92 => Plan::Instalments,
                u if u < 0.98 => Plan::WithNext,
                _ => Plan::Never,
            };
            let invoice = &invoices[index];
            let (issue, due) = (invoice.issue, invoice.due);
            let mut pay = |rng: &mut Rng, on: NaiveDate, allocations: Vec<(usize, i64)>, credit| {
                let (method, reference) = method(rng, on);
                payments.push(DraftPayment {
                    id: PaymentId::generate(&ids),
                    currency,
                    received_at: zone.start_of(on)
                        + Duration::minutes(rng.between(8 * 60, 18 * 60)),
                    allocations,
                    credit,
                    method,
                    reference,
                    refund: None,
                });
            };
            let on_time = |rng: &mut Rng| (due + Duration::days(rng.between(-12, 20))).max(issue);
            match plan {
                Plan::Once | Plan::Overpaid => {
                    let mut allocations = vec![(index, total)];
                    let waiting = carried.entry(currency.code()).or_default();
                    let settled = waiting.len().min(3);
                    for earlier in waiting.drain(..settled) {
                        allocations.push((earlier, invoices[earlier].total));
                    }
                    let credit = match plan {
                        Plan::Overpaid => rng.between(100, 5_000),
                        _ => 0,
                    };
                    let on = on_time(&mut rng);
                    pay(&mut rng, on, allocations, credit);
                }
                Plan::Instalments => {
                    let first = total * rng.between(30, 60) / 100;
                    let on = issue + Duration::days(rng.between(5, 20));
                    pay(&mut rng, on, vec![(index, first)], 0);
                    let on = due + Duration::days(rng.between(5, 40));
                    pay(&mut rng, on, vec![(index, total - first)], 0);
                }
                Plan::WithNext => carried.entry(currency.code()).or_default().push(index),
                Plan::Never => {}
            }
        }
        day += Duration::days(1);
    }
    payments.sort_by_key(|p| (p.received_at, p.id));
    for payment in &mut payments {
        if rng.unit() < 0.02 {
            let applied = payment.allocations[0].1;
            let paid = applied + payment.credit;
            let amount = (paid * rng.between(10, 60) / 100).clamp(1, applied);
            payment.refund = Some(DraftRefund {
                id: RefundId::generate(&ids),
                at: payment.received_at + Duration::hours(rng.between(3 * 24, 40 * 24)),
                amount,
                reason: *rng.pick(REFUND_REASONS),
            });
        }
    }

    let cut = cut(&invoices, &payments, zone, from, entries)?;
    let to = cut.0;
    let kept_invoice = |i: &DraftInvoice| invoice_key(i) <= cut;
    let kept_payment = |p: &DraftPayment| payment_key(p, zone) <= cut;
    let kept_refund = |p: &DraftPayment, r: &DraftRefund| refund_key(p, r, zone) <= cut;

    let account_id = AccountId::generate(&ids);
    let client_id = ClientId::generate(&ids);
    let created = zone.start_of(start) - Duration::days(30);
    let generated_at = zone.start_of(to + Duration::days(1)) + Duration::hours(9);
    let account = Account {
        id: account_id,
        name: Name::parse("name", "Nordlicht Design & Build GmbH").map_err(fail("name"))?,
        settings: AccountSettings {
            time_zone: zone,
            address: Some(
                Address::parse(
                    "address",
                    "Kastanienallee 12, Hinterhaus\n10435 Berlin\nGermany\nVAT DE 123 456 789",
                )
                .map_err(fail("address"))?,
            ),
            accent_colour: AccentColour::parse("accent", "#0b7285").map_err(fail("accent"))?,
            payment_instructions: Some(
                PaymentInstructions::parse(
                    "instructions",
                    "IBAN DE89 3704 0044 0532 0130 00, BIC COBADEFFXXX",
                )
                .map_err(fail("instructions"))?,
            ),
            ..AccountSettings::default()
        },
        demo: false,
        created_at: created,
        updated_at: created,
    };
    let client = Client {
        id: client_id,
        account_id,
        name: Name::parse("name", "Müller & Søn — Ærø Trading <Ltd.>").map_err(fail("client"))?,
        portal_enabled: true,
        active: true,
        created_at: created,
        updated_at: created,
    };
    let logo = Logo::new(LogoFormat::Svg, LOGO_SVG.as_bytes().to_vec())
        .map_err(|e| format!("logo: {e}"))?;

    // Payments first: the invoices' ledgers come from them.
    let mut ledgers: HashMap<usize, Vec<LedgerEntry>> = HashMap::new();
    let mut stored_payments = Vec::new();
    let mut refunds = Vec::new();
    for draft in payments.iter().filter(|p| kept_payment(p)) {
        let money = |minor| Money::new(minor, draft.currency);
        let reference = draft
            .reference
            .as_deref()
            .map(|r| Reference::parse("reference", r))
            .transpose()
            .map_err(fail("reference"))?;
        let allocations: Vec<Allocation> = draft
            .allocations
            .iter()
            .map(|(i, amount)| Allocation {
                document_id: invoices[*i].id,
                amount: money(*amount),
            })
            .collect();
        for (i, amount) in &draft.allocations {
            ledgers.entry(*i).or_default().push(LedgerEntry::Payment {
                payment: draft.id,
                amount: money(*amount),
                status: PaymentStatus::Succeeded,
                received_at: draft.received_at,
                method: draft.method,
                reference: reference.clone(),
            });
        }
        if let Some(r) = draft.refund.as_ref().filter(|r| kept_refund(draft, r)) {
            let (first, _) = draft.allocations[0];
            ledgers.entry(first).or_default().push(LedgerEntry::Refund {
                refund: r.id,
                payment: draft.id,
                amount: money(r.amount),
                refunded_at: r.at,
            });
            refunds.push(Refund {
                id: r.id,
                payment_id: draft.id,
                amount: money(r.amount),
                reason: r
                    .reason
                    .map(|t| Description::parse("reason", t))
                    .transpose()
                    .map_err(fail("reason"))?,
                created_at: r.at,
                allocations: vec![Allocation {
                    document_id: invoices[first].id,
                    amount: money(r.amount),
                }],
            });
        }
        let amount = draft.allocations.iter().map(|(_, a)| a).sum::<i64>() + draft.credit;
        stored_payments.push(
            Payment::restore(PaymentRecord {
                id: draft.id,
                account_id,
                client_id,
                amount: money(amount),
                method: draft.method,
                reference,
                received_at: draft.received_at,
                status: PaymentStatus::Succeeded,
                allocations,
                version: 0,
                refunds: Vec::new(),
                created_at: draft.received_at,
                processor: None,
                failure: None,
            })
            .map_err(fail("payment"))?,
        );
    }

    let mut documents = Vec::new();
    for (index, draft) in invoices.iter().enumerate().filter(|(_, i)| kept_invoice(i)) {
        let money = |minor| Money::new(minor, draft.currency);
        let mut ledger = ledgers.remove(&index).unwrap_or_default();
        ledger.sort_by_key(LedgerEntry::at);
        let net: i64 = ledger
            .iter()
            .map(|e| match e {
                LedgerEntry::Payment { amount, .. } => amount.minor(),
                LedgerEntry::Refund { amount, .. } => -amount.minor(),
            })
            .sum();
        let status = if net >= draft.total {
            DocumentStatus::Paid
        } else if net == 0 {
            DocumentStatus::Open
        } else {
            DocumentStatus::PartiallyPaid
        };
        let paid_at = (status == DocumentStatus::Paid)
            .then(|| ledger.iter().map(LedgerEntry::at).max())
            .flatten();
        let lines = draft
            .lines
            .iter()
            .enumerate()
            .map(|(n, minor)| {
                LineItem::new(
                    Description::parse("description", LINE_TEXTS[n % LINE_TEXTS.len()])?,
                    Quantity::parse("quantity", "1")?,
                    money(*minor),
                )
            })
            .collect::<Result<Vec<_>, _>>()
            .map_err(fail("line"))?;
        let sent = zone.start_of(draft.issue) + Duration::hours(9);
        documents.push(
            Document::restore(DocumentRecord {
                id: draft.id,
                account_id,
                client_id,
                kind: DocumentKind::Invoice,
                number: DocumentNumber::parse("number", &draft.number).map_err(fail("number"))?,
                title: draft
                    .title
                    .map(|t| Description::parse("title", t))
                    .transpose()
                    .map_err(fail("title"))?,
                status,
                currency: draft.currency,
                lines,
                total_minor: draft.total,
                issue_date: draft.issue,
                due_date: Some(draft.due),
                ledger,
                created_at: sent,
                sent_at: Some(sent),
                paid_at,
                voided_at: None,
                version: 1,
            })
            .map_err(fail("invoice"))?,
        );
    }
    documents.sort_by_key(|d| (d.issue_date(), d.id()));
    refunds.sort_by_key(|r| (r.created_at, r.id));

    Ok(History {
        account,
        logo: Some(logo),
        client,
        range: StatementRange::new(from, to).map_err(fail("range"))?,
        documents,
        payments: stored_payments,
        refunds,
        entries,
        generated_at,
    })
}

/// The order statements list rows in: date, then invoices before
/// payments before refunds, then time and id.
type Key = (NaiveDate, u8, DateTime<Utc>, u128);

fn invoice_key(invoice: &DraftInvoice) -> Key {
    (
        invoice.issue,
        0,
        DateTime::<Utc>::MIN_UTC,
        invoice.id.as_uuid().as_u128(),
    )
}

fn payment_key(payment: &DraftPayment, zone: TimeZone) -> Key {
    (
        zone.date_of(payment.received_at),
        1,
        payment.received_at,
        payment.id.as_uuid().as_u128(),
    )
}

/// A refund is listed on its own date, or its payment's if that is later.
fn refund_key(payment: &DraftPayment, refund: &DraftRefund, zone: TimeZone) -> Key {
    let on = zone
        .date_of(refund.at)
        .max(zone.date_of(payment.received_at));
    (on, 2, refund.at, refund.id.as_uuid().as_u128())
}

/// The key of the `entries`-th row in the range: everything after it is
/// dropped, and its date ends the range.
fn cut(
    invoices: &[DraftInvoice],
    payments: &[DraftPayment],
    zone: TimeZone,
    from: NaiveDate,
    entries: usize,
) -> Result<Key, String> {
    let mut keys: Vec<Key> = Vec::with_capacity(invoices.len() + payments.len() + 64);
    keys.extend(invoices.iter().map(invoice_key));
    for p in payments {
        keys.push(payment_key(p, zone));
        keys.extend(p.refund.as_ref().map(|r| refund_key(p, r, zone)));
    }
    keys.sort_unstable();
    keys.into_iter()
        .filter(|k| k.0 >= from)
        .nth(entries.saturating_sub(1))
        .filter(|_| entries > 0)
        .ok_or_else(|| format!("the generated history holds fewer than {entries} rows"))
}

/// How a payment came, and the reference the business noted.
fn method(rng: &mut Rng, on: NaiveDate) -> (PaymentMethod, Option<String>) {
    use chrono::Datelike as _;
    let last4 = |rng: &mut Rng| Last4::parse(&format!("{:04}", rng.between(0, 9999))).ok();
    match rng.unit() {
        u if u < 0.45 => {
            let reference = if rng.unit() < 0.03 {
                (*rng.pick(HOSTILE_REFERENCES)).to_owned()
            } else {
                format!(
                    "SEPA {:04}{:02}{:02}-{:06}",
                    on.year(),
                    on.month(),
                    on.day(),
                    rng.between(0, 999_999)
                )
            };
            (
                PaymentMethod::Manual(ManualKind::BankTransfer),
                Some(reference),
            )
        }
        u if u < 0.80 => (
            PaymentMethod::Card {
                brand: *rng.pick(&[CardBrand::Visa, CardBrand::Mastercard, CardBrand::Amex]),
                last4: last4(rng),
            },
            None,
        ),
        u if u < 0.92 => (PaymentMethod::BankDebit { last4: last4(rng) }, None),
        _ => (
            PaymentMethod::Manual(ManualKind::Check),
            Some(format!("Cheque no. {:06}", rng.between(1, 999_999))),
        ),
    }
}

impl History {
    /// The currencies of its invoices and payments, by code: one
    /// statement section each.
    pub(crate) fn currencies(&self) -> Vec<Currency> {
        let mut currencies: Vec<Currency> = self
            .documents
            .iter()
            .map(Document::currency)
            .chain(self.payments.iter().map(Payment::currency))
            .collect();
        currencies.sort_by_key(|c| c.code());
        currencies.dedup();
        currencies
    }

    /// The statement as the domain computes it from the whole history in
    /// memory: one section per currency, by code.
    ///
    /// # Errors
    /// A section the domain cannot compute.
    pub(crate) fn statement(&self) -> Result<Statement, String> {
        let invoices: Vec<StatementInvoice> = self
            .documents
            .iter()
            .map(|d| StatementInvoice {
                id: d.id(),
                number: d.number().clone(),
                title: d.title().cloned(),
                issue_date: d.issue_date(),
                due_date: d.due_date(),
                total: d.total(),
                ledger: d.ledger().clone(),
            })
            .collect();
        let mut refunds: HashMap<PaymentId, Vec<StatementRefund>> = HashMap::new();
        for r in &self.refunds {
            refunds
                .entry(r.payment_id)
                .or_default()
                .push(StatementRefund {
                    id: r.id,
                    refunded_at: r.created_at,
                    amount: r.amount,
                    reason: r.reason.clone(),
                });
        }
        let payments: Vec<StatementPayment> = self
            .payments
            .iter()
            .map(|p| StatementPayment {
                id: p.id(),
                received_at: p.received_at(),
                amount: p.amount(),
                method: p.method(),
                reference: p.reference().cloned(),
                refunds: refunds.remove(&p.id()).unwrap_or_default(),
            })
            .collect();
        let zone = self.account.settings.time_zone;
        let sections = self
            .currencies()
            .into_iter()
            .map(|c| section_of(c, self.range, zone, &invoices, &payments))
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| format!("statement: {e}"))?;
        Ok(Statement {
            client: self.client.id,
            range: self.range,
            time_zone: zone,
            generated_at: self.generated_at,
            sections,
        })
    }
}
