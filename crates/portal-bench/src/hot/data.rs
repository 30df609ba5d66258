//! The client the hot-path benchmark reads: one business, one client
//! company with one billing contact, and 200 sent documents over about
//! three years: invoices most of which were paid through recorded
//! payments (some in two instalments, some several at once), about one
//! in seven still outstanding (the newest ones most often, a few of them
//! partly paid), and some estimates and contracts. Written through the
//! store's own inserts and batches, as the services would leave them,
//! before the server starts.

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, Duration, NaiveDate, Utc};
use portal_domain::model::{
    Account, AccountId, AccountSettings, Address, Allocation, ApiKey, ApiKeyId, ApiKeyRecord,
    CardBrand, Client, ClientId, Contact, ContactId, Currency, Description, Document, DocumentId,
    DocumentKind, DocumentNumber, DocumentRecord, DocumentStatus, EmailAddress, Last4, LedgerEntry,
    LineItem, ManualKind, Money, Name, Payment, PaymentId, PaymentInstructions, PaymentMethod,
    PaymentRecord, PaymentStatus, Quantity, Reference, TimeZone,
};
use portal_domain::ports::{
    AccountStore as _, Batch, BatchStore as _, CrmStore as _, DocumentStore as _, StoreError, Write,
};
use portal_domain::testing::SeededRandom;
use portal_store::{Database, DatabaseUrl};

use crate::history::Rng;

/// Documents of the client, and how many of them are estimates and
/// contracts (the rest are invoices).
pub(crate) const DOCUMENTS: usize = 200;
const ESTIMATES: usize = 10;
const CONTRACTS: usize = 6;
/// Writes per seeding transaction.
const WRITES_PER_BATCH: usize = 100;

const LINE_TEXTS: &[&str] = &[
    "Website maintenance",
    "Hosting and backups",
    "Consulting, strategy workshop",
    "Design sprint: onboarding flow",
    "Support hours",
    "Licences",
    "Travel and expenses",
    "Content migration",
];

const TITLES: &[&str] = &[
    "Monthly retainer",
    "Q3 website work",
    "Onboarding redesign",
    "Support and hosting",
    "Migration project, phase 2",
];

/// What the benchmark needs to know about the seeded client.
#[derive(Debug)]
pub(crate) struct Seeded {
    pub(crate) account: AccountId,
    pub(crate) client: ClientId,
    pub(crate) contact: ContactId,
    /// The operator API key of the account.
    pub(crate) api_key: ApiKey,
    /// The document whose page is measured: a partly paid invoice (lines,
    /// a payment applied, still due).
    pub(crate) document: DocumentId,
    pub(crate) invoices: usize,
    pub(crate) outstanding: usize,
    pub(crate) partly_paid: usize,
    pub(crate) payments: usize,
    pub(crate) lines: usize,
}

/// The whole client, in memory.
struct Data {
    business: Business,
    documents: Vec<Document>,
    payments: Vec<Payment>,
    shown: DocumentId,
}

fn fail(what: &str) -> impl Fn(portal_domain::model::ValidationError) -> String + '_ {
    move |e| format!("{what}: {e}")
}

/// How an invoice ends up.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Plan {
    /// Paid by one payment of its own.
    Once,
    /// Paid in two instalments.
    Instalments,
    /// Paid with up to two other invoices by one payment.
    Together,
    /// Partly paid, the rest still due.
    Partly,
    /// Nothing paid yet.
    Open,
}

/// A payment before it is built: its invoices (index and amount) and
/// when it came.
struct DraftPayment {
    currency: Currency,
    at: DateTime<Utc>,
    allocations: Vec<(usize, i64)>,
}

struct DraftInvoice {
    id: DocumentId,
    kind: DocumentKind,
    number: String,
    title: Option<&'static str>,
    currency: Currency,
    issue: NaiveDate,
    lines: Vec<LineItem>,
    total: i64,
    plan: Plan,
}

/// The plan of the invoice `newest` places from the newest: the twenty
/// newest are mostly still due, older ones mostly paid.
fn plan(rng: &mut Rng, newest: usize) -> Plan {
    let u = rng.unit();
    if newest < 20 {
        match u {
            u if u < 0.55 => Plan::Open,
            u if u < 0.65 => Plan::Partly,
            _ => Plan::Once,
        }
    } else {
        match u {
            u if u < 0.05 => Plan::Open,
            u if u < 0.08 => Plan::Partly,
            u if u < 0.20 => Plan::Instalments,
            u if u < 0.35 => Plan::Together,
            _ => Plan::Once,
        }
    }
}

fn pick_text<'a>(rng: &mut Rng, texts: &'a [&'a str]) -> &'a str {
    rng.pick::<&str>(texts)
}

fn lines(rng: &mut Rng, currency: Currency) -> Result<(Vec<LineItem>, i64), String> {
    let count = rng.between(1, 6);
    let mut lines = Vec::new();
    let mut total = 0;
    for _ in 0..count {
        let quantity = Quantity::parse("quantity", &rng.between(1, 12).to_string())
            .map_err(fail("quantity"))?;
        let unit = Money::new(
            rng.between(25, 400) * 100 + 50 * rng.between(0, 1),
            currency,
        );
        let line = LineItem::new(
            Description::parse("description", pick_text(rng, LINE_TEXTS)).map_err(fail("line"))?,
            quantity,
            unit,
        )
        .map_err(fail("line"))?;
        total += line.amount().minor();
        lines.push(line);
    }
    Ok((lines, total))
}

fn payment_method(rng: &mut Rng, n: usize) -> (PaymentMethod, Option<String>) {
    let last4 = |rng: &mut Rng| Last4::parse(&format!("{:04}", rng.between(0, 9999))).ok();
    match rng.unit() {
        u if u < 0.5 => (
            PaymentMethod::Manual(ManualKind::BankTransfer),
            Some(format!("ACH {:08}", 10_000_000 + n)),
        ),
        u if u < 0.75 => (
            PaymentMethod::Card {
                brand: *rng.pick(&[CardBrand::Visa, CardBrand::Mastercard, CardBrand::Amex]),
                last4: last4(rng),
            },
            None,
        ),
        u if u < 0.9 => (
            PaymentMethod::Manual(ManualKind::Check),
            Some(format!("Check no. {}", 4_000 + n)),
        ),
        _ => (PaymentMethod::BankDebit { last4: last4(rng) }, None),
    }
}

/// The business, its key, the client and its contact.
struct Business {
    account: Account,
    key: ApiKey,
    key_record: ApiKeyRecord,
    client: Client,
    contact: Contact,
}

fn business(
    ids: &SeededRandom,
    zone: TimeZone,
    created: DateTime<Utc>,
) -> Result<Business, String> {
    let account_id = AccountId::generate(ids);
    let account = Account {
        id: account_id,
        name: Name::parse("name", "Harbor Lane Studio LLC").map_err(fail("name"))?,
        settings: AccountSettings {
            time_zone: zone,
            address: Some(
                Address::parse("address", "210 Harbor Lane, Suite 4\nPortland, ME 04101")
                    .map_err(fail("address"))?,
            ),
            payment_instructions: Some(
                PaymentInstructions::parse(
                    "instructions",
                    "ACH: routing 011000015, account 000123456789",
                )
                .map_err(fail("instructions"))?,
            ),
            ..AccountSettings::default()
        },
        demo: false,
        created_at: created,
        updated_at: created,
    };
    let key = ApiKey::generate(ids);
    let key_record = ApiKeyRecord {
        id: ApiKeyId::generate(ids),
        account_id,
        name: Name::parse("name", "Benchmark").map_err(fail("key"))?,
        prefix: Some(key.display_prefix()),
        key_hash: key.hash(),
        created_at: created,
        revoked_at: None,
    };
    let client = Client {
        id: ClientId::generate(ids),
        account_id,
        name: Name::parse("name", "Bayside Outfitters Inc.").map_err(fail("client"))?,
        portal_enabled: true,
        active: true,
        created_at: created,
        updated_at: created,
    };
    let contact = Contact {
        id: ContactId::generate(ids),
        account_id,
        client_id: client.id,
        name: Name::parse("name", "Dana Whitfield").map_err(fail("contact"))?,
        email: EmailAddress::parse("email", "dana@bayside.example").map_err(fail("email"))?,
        active: true,
        created_at: created,
        updated_at: created,
    };
    Ok(Business {
        account,
        key,
        key_record,
        client,
        contact,
    })
}

/// The kind of the `i`-th document: an estimate or a contract now and
/// then, until there are enough of each.
fn kind_of(i: usize) -> DocumentKind {
    match (i % 12, i / 12) {
        (5, n) if n < ESTIMATES => DocumentKind::Estimate,
        (11, n) if n < CONTRACTS => DocumentKind::Contract,
        _ => DocumentKind::Invoice,
    }
}

/// Every document, evenly over the days from `first` on, in about nine
/// in ten in dollars, the rest in euros, each with its plan.
fn document_drafts(
    ids: &SeededRandom,
    rng: &mut Rng,
    first: NaiveDate,
    days: i64,
) -> Result<Vec<DraftInvoice>, String> {
    let usd = Currency::parse("currency", "USD").map_err(fail("USD"))?;
    let eur = Currency::parse("currency", "EUR").map_err(fail("EUR"))?;
    let mut drafts: Vec<DraftInvoice> = Vec::with_capacity(DOCUMENTS);
    let mut numbers: BTreeMap<&str, usize> = BTreeMap::new();
    let step = days / i64::try_from(DOCUMENTS).unwrap_or(1);
    for (i, offset) in (0..DOCUMENTS).zip((0..).step_by(usize::try_from(step).unwrap_or(1))) {
        let kind = kind_of(i);
        let currency = if rng.unit() < 0.1 { eur } else { usd };
        let (lines, total) = lines(rng, currency)?;
        let prefix = match kind {
            DocumentKind::Invoice => "INV",
            DocumentKind::Estimate => "EST",
            DocumentKind::Contract => "CTR",
        };
        let seq = numbers.entry(prefix).or_default();
        *seq += 1;
        drafts.push(DraftInvoice {
            id: DocumentId::generate(ids),
            kind,
            number: format!("{prefix}-{:04}", *seq),
            title: (rng.unit() < 0.6).then(|| pick_text(rng, TITLES)),
            currency,
            issue: first + Duration::days(offset + rng.between(0, 2)),
            lines,
            total,
            plan: Plan::Open,
        });
    }
    let invoices = drafts
        .iter()
        .filter(|d| d.kind == DocumentKind::Invoice)
        .count();
    if invoices != DOCUMENTS - ESTIMATES - CONTRACTS {
        return Err(format!(
            "generated {invoices} invoices, {} expected",
            DOCUMENTS - ESTIMATES - CONTRACTS
        ));
    }
    let mut newest = invoices;
    for draft in drafts
        .iter_mut()
        .filter(|d| d.kind == DocumentKind::Invoice)
    {
        newest -= 1;
        draft.plan = plan(rng, newest);
    }
    Ok(drafts)
}

/// The payments the invoices' plans call for, by time received: after
/// the invoice, never later than `latest`.
fn payment_drafts(
    rng: &mut Rng,
    drafts: &[DraftInvoice],
    zone: TimeZone,
    latest: DateTime<Utc>,
) -> Vec<DraftPayment> {
    let paid_on = |rng: &mut Rng, issue: NaiveDate, after: i64, until: i64| {
        (zone.start_of(issue + Duration::days(rng.between(after, until)))
            + Duration::minutes(rng.between(9 * 60, 17 * 60)))
        .min(latest)
    };
    let mut payments: Vec<DraftPayment> = Vec::new();
    // Invoices waiting to be paid together, by currency.
    let mut together: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
    for (index, draft) in drafts.iter().enumerate() {
        if draft.kind != DocumentKind::Invoice {
            continue;
        }
        let (total, issue, currency) = (draft.total, draft.issue, draft.currency);
        let mut pay = |at, allocations| {
            payments.push(DraftPayment {
                currency,
                at,
                allocations,
            });
        };
        match draft.plan {
            Plan::Open => {}
            Plan::Once => pay(paid_on(rng, issue, 5, 40), vec![(index, total)]),
            Plan::Instalments => {
                let first = total * rng.between(30, 60) / 100;
                pay(paid_on(rng, issue, 3, 15), vec![(index, first)]);
                pay(paid_on(rng, issue, 25, 50), vec![(index, total - first)]);
            }
            Plan::Partly => {
                let part = total * rng.between(25, 70) / 100;
                pay(paid_on(rng, issue, 0, 2), vec![(index, part)]);
            }
            Plan::Together => {
                let group = together.entry(currency.code()).or_default();
                group.push(index);
                if group.len() == 3 {
                    let allocations = group.drain(..).map(|i| (i, drafts[i].total)).collect();
                    pay(paid_on(rng, issue, 10, 30), allocations);
                }
            }
        }
    }
    for group in together.into_values().filter(|g| !g.is_empty()) {
        let last = &drafts[group[group.len() - 1]];
        payments.push(DraftPayment {
            currency: last.currency,
            at: paid_on(rng, last.issue, 10, 30),
            allocations: group.iter().map(|i| (*i, drafts[*i].total)).collect(),
        });
    }
    payments.sort_by_key(|p| p.at);
    payments
}

/// Each invoice's ledger, by its draft's index.
type Ledgers = HashMap<usize, Vec<LedgerEntry>>;

/// The payments as stored, and each invoice's ledger.
fn build_payments(
    ids: &SeededRandom,
    rng: &mut Rng,
    business: &Business,
    drafts: &[DraftInvoice],
    payments: &[DraftPayment],
) -> Result<(Vec<Payment>, Ledgers), String> {
    let mut ledgers = Ledgers::new();
    let mut stored = Vec::with_capacity(payments.len());
    for (n, draft) in payments.iter().enumerate() {
        let id = PaymentId::generate(ids);
        let money = |minor| Money::new(minor, draft.currency);
        let (method, reference) = payment_method(rng, n);
        let reference = reference
            .map(|r| Reference::parse("reference", &r))
            .transpose()
            .map_err(fail("reference"))?;
        for (index, amount) in &draft.allocations {
            ledgers
                .entry(*index)
                .or_default()
                .push(LedgerEntry::Payment {
                    payment: id,
                    amount: money(*amount),
                    status: PaymentStatus::Succeeded,
                    received_at: draft.at,
                    method,
                    reference: reference.clone(),
                });
        }
        let allocations = draft
            .allocations
            .iter()
            .map(|(index, amount)| Allocation {
                document_id: drafts[*index].id,
                amount: money(*amount),
            })
            .collect();
        stored.push(
            Payment::restore(PaymentRecord {
                id,
                account_id: business.account.id,
                client_id: business.client.id,
                amount: money(draft.allocations.iter().map(|(_, a)| a).sum::<i64>()),
                method,
                reference,
                received_at: draft.at,
                status: PaymentStatus::Succeeded,
                allocations,
                version: 0,
                refunds: Vec::new(),
                created_at: draft.at,
                processor: None,
                failure: None,
            })
            .map_err(fail("payment"))?,
        );
    }
    Ok((stored, ledgers))
}

/// One document as stored, sent in the morning of its issue date, its
/// status the one its `ledger` gives.
fn build_document(
    business: &Business,
    zone: TimeZone,
    draft: DraftInvoice,
    mut ledger: Vec<LedgerEntry>,
) -> Result<Document, String> {
    ledger.sort_by_key(LedgerEntry::at);
    let paid: i64 = ledger
        .iter()
        .map(|e| match e {
            LedgerEntry::Payment { amount, .. } => amount.minor(),
            LedgerEntry::Refund { amount, .. } => -amount.minor(),
        })
        .sum();
    let status = match draft.kind {
        DocumentKind::Invoice if paid >= draft.total => DocumentStatus::Paid,
        DocumentKind::Invoice if paid == 0 => DocumentStatus::Open,
        DocumentKind::Invoice => DocumentStatus::PartiallyPaid,
        _ => DocumentStatus::Sent,
    };
    let paid_at = (status == DocumentStatus::Paid)
        .then(|| ledger.iter().map(LedgerEntry::at).max())
        .flatten();
    let sent = zone.start_of(draft.issue) + Duration::hours(10);
    Document::restore(DocumentRecord {
        id: draft.id,
        account_id: business.account.id,
        client_id: business.client.id,
        kind: draft.kind,
        number: DocumentNumber::parse("number", &draft.number).map_err(fail("number"))?,
        title: draft
            .title
            .map(|t| Description::parse("title", t))
            .transpose()
            .map_err(fail("title"))?,
        status,
        currency: draft.currency,
        lines: draft.lines,
        total_minor: draft.total,
        issue_date: draft.issue,
        due_date: (draft.kind == DocumentKind::Invoice).then(|| draft.issue + Duration::days(30)),
        ledger,
        created_at: sent - Duration::hours(1),
        sent_at: Some(sent),
        paid_at,
        voided_at: None,
        version: 1,
    })
    .map_err(fail("document"))
}

/// The client and its documents, the same for the same `seed` and day.
fn generate(seed: u64, now: DateTime<Utc>) -> Result<Data, String> {
    let ids = SeededRandom::new(seed);
    let mut rng = Rng(seed ^ 0x2545_F491_4F6C_DD1D);
    let zone = TimeZone::parse("time_zone", "America/New_York").map_err(fail("zone"))?;
    let today = zone.date_of(now);
    let first = today - Duration::days(3 * 365);
    let business = business(&ids, zone, zone.start_of(first) - Duration::days(20))?;
    let drafts = document_drafts(&ids, &mut rng, first, (today - first).num_days() - 3)?;
    let payment_drafts = payment_drafts(&mut rng, &drafts, zone, now - Duration::hours(1));
    let (payments, mut ledgers) =
        build_payments(&ids, &mut rng, &business, &drafts, &payment_drafts)?;
    let documents = drafts
        .into_iter()
        .enumerate()
        .map(|(index, draft)| {
            let ledger = ledgers.remove(&index).unwrap_or_default();
            build_document(&business, zone, draft, ledger)
        })
        .collect::<Result<Vec<_>, _>>()?;
    // The newest partly paid invoice: lines, a payment applied, still due.
    let shown = documents
        .iter()
        .rev()
        .find(|d| d.status() == DocumentStatus::PartiallyPaid)
        .or_else(|| {
            documents
                .iter()
                .rev()
                .find(|d| d.status() == DocumentStatus::Paid)
        })
        .map(Document::id)
        .ok_or("no paid invoice to show")?;
    Ok(Data {
        business,
        documents,
        payments,
        shown,
    })
}

fn store_error(what: &'static str) -> impl Fn(StoreError) -> String {
    move |e| format!("seeding ({what}): {}", portal_domain::error_chain(&e))
}

/// Commits `writes` in batches of [`WRITES_PER_BATCH`].
async fn commit_all(db: &Database, writes: Vec<Write>, what: &'static str) -> Result<(), String> {
    let mut writes = writes.into_iter().peekable();
    while writes.peek().is_some() {
        let mut batch = Batch::new();
        for write in writes.by_ref().take(WRITES_PER_BATCH) {
            batch.push(write);
        }
        if !db.commit(&batch).await.map_err(store_error(what))? {
            return Err(format!("seeding ({what}): a batch was refused"));
        }
    }
    Ok(())
}

/// Opens (creating and migrating) the database at `url` and writes the
/// client into it.
///
/// # Errors
/// The database cannot be opened, or a write is refused.
pub(crate) async fn seed(url: &str, seed: u64) -> Result<Seeded, String> {
    let parsed = DatabaseUrl::parse(url).map_err(|e| format!("database URL: {e}"))?;
    let db = Database::open(&parsed)
        .await
        .map_err(|e| format!("opening the database: {}", portal_domain::error_chain(&e)))?;
    let data = generate(seed, Utc::now())?;
    let business = &data.business;
    db.insert_account(&business.account, &business.key_record)
        .await
        .map_err(store_error("account"))?;
    db.insert_client(&business.client)
        .await
        .map_err(store_error("client"))?;
    db.insert_contact(&business.contact)
        .await
        .map_err(store_error("contact"))?;
    for document in &data.documents {
        db.insert_document(document)
            .await
            .map_err(store_error("document"))?;
    }
    let recipients = data
        .documents
        .iter()
        .map(|d| Write::RecordRecipient {
            document: d.id(),
            contact: business.contact.id,
            at: d.sent_at().unwrap_or(d.created_at()),
        })
        .collect();
    commit_all(&db, recipients, "recipients").await?;
    let payments = data
        .payments
        .iter()
        .map(|p| Write::InsertPayment(p.clone()))
        .collect();
    commit_all(&db, payments, "payments").await?;
    let invoices: Vec<&Document> = data
        .documents
        .iter()
        .filter(|d| d.kind() == DocumentKind::Invoice)
        .collect();
    let count = |status| invoices.iter().filter(|d| d.status() == status).count();
    let (outstanding, partly_paid) = (
        count(DocumentStatus::Open) + count(DocumentStatus::PartiallyPaid),
        count(DocumentStatus::PartiallyPaid),
    );
    let invoices = invoices.len();
    let lines = data.documents.iter().map(|d| d.lines().len()).sum();
    let Data {
        business,
        payments,
        shown,
        ..
    } = data;
    Ok(Seeded {
        account: business.account.id,
        client: business.client.id,
        contact: business.contact.id,
        api_key: business.key,
        document: shown,
        invoices,
        outstanding,
        partly_paid,
        payments: payments.len(),
        lines,
    })
}
