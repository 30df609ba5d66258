//! Batches: every write of one, in order, in one transaction. A lost
//! compare-and-set rolls all of it back and answers `false`; a closed
//! portal rolls it back as a conflict.

use async_trait::async_trait;
use diesel::prelude::*;
use diesel::upsert::excluded;
use diesel_async::RunQueryDsl;
use portal_domain::ports::{Batch, BatchStore, StoreError, StoreResult, Write};
use portal_domain::{OutboxStatus, TokenHash};

use super::{Refusal, insert_outbox, lock_open_client, lock_row, require_active_contact, settle};
use crate::Database;
use crate::database::with_conn;
use crate::rows::{
    AllocationRow, AuditRow, CheckoutAllocationRow, CheckoutRow, ConnectionRow, DocumentStatusRow,
    LinkRow, MethodRow, OutboxRow, PayloadRows, PaymentRow, ProcessorEventRow, RecipientRow,
    RefundAllocationRow, RefundRow, SessionRow, SettlementRow, checkout_rows, refund_rows, signed,
};
use crate::schema::{
    audit_events, checkout_allocations, checkouts, crm_client_portal_sessions as sessions,
    document_recipients, documents, magic_links, outbox, outbox_emails, payment_allocations,
    payment_methods, payments, processor_connections, processor_events, refund_allocations,
    refunds,
};
use crate::sql_types::{Id, Time};
use crate::write_transaction::WriteTransaction;

/// One write, as the rows it puts in the database.
#[derive(Debug)]
enum Op {
    InsertLink {
        client: Id,
        contact: Id,
        email: String,
        link: LinkRow,
        pending: Option<SessionRow>,
    },
    UpdateDocument {
        id: Id,
        account: Id,
        version: i64,
        changes: DocumentStatusRow,
    },
    InsertPayment {
        payment: PaymentRow,
        allocations: Vec<AllocationRow>,
    },
    InsertRefund {
        payment: Id,
        version: i64,
        refund: RefundRow,
        allocations: Vec<RefundAllocationRow>,
    },
    RecordRecipient(RecipientRow),
    Audit(AuditRow),
    Enqueue(OutboxRow, PayloadRows),
    RetryOutbox {
        account: Id,
        id: Id,
        at: Time,
        relink: Option<Id>,
    },
    CompleteOutbox {
        id: Id,
        claim: Id,
        at: Time,
    },
    UpdatePayment {
        id: Id,
        account: Id,
        /// The version it must have now: one less than the one written.
        version: Option<i64>,
        changes: SettlementRow,
    },
    PutConnection(ConnectionRow),
    DeleteConnection {
        account: Id,
    },
    InsertMethod(MethodRow),
    SetDefaultMethod {
        account: Id,
        id: Id,
    },
    RemoveMethod {
        account: Id,
        id: Id,
    },
    InsertCheckout(CheckoutRow, Vec<CheckoutAllocationRow>),
    SubmitCheckout {
        account: Id,
        id: Id,
        at: Time,
    },
    RecordProcessorEvent(ProcessorEventRow),
}

impl From<&Write> for Op {
    fn from(write: &Write) -> Self {
        match write {
            Write::InsertLink {
                link,
                pending,
                email,
            } => Self::InsertLink {
                client: Id(link.client_id.as_uuid()),
                contact: Id(link.contact_id.as_uuid()),
                email: email.as_str().to_owned(),
                link: LinkRow::from(link),
                pending: pending
                    .as_ref()
                    .map(|s| SessionRow::new(s, None::<&TokenHash>)),
            },
            Write::UpdateDocument(document) => Self::UpdateDocument {
                id: Id(document.id().as_uuid()),
                account: Id(document.account_id().as_uuid()),
                version: signed(document.version()),
                changes: DocumentStatusRow::from(document),
            },
            Write::InsertPayment(payment) => Self::InsertPayment {
                payment: PaymentRow::from(payment),
                allocations: AllocationRow::all(payment),
            },
            Write::InsertRefund {
                refund,
                payment_version,
            } => {
                let (row, allocations) = refund_rows(refund, *payment_version);
                Self::InsertRefund {
                    payment: Id(refund.payment_id.as_uuid()),
                    version: signed(*payment_version),
                    refund: row,
                    allocations,
                }
            }
            Write::RecordRecipient {
                document,
                contact,
                at,
            } => Self::RecordRecipient(RecipientRow::new(*document, *contact, *at)),
            Write::Audit(event) => Self::Audit(AuditRow::from(event)),
            Write::Enqueue(message) => {
                let (row, payload) = OutboxRow::new(message);
                Self::Enqueue(row, payload)
            }
            Write::RetryOutbox {
                account,
                id,
                at,
                relink,
            } => Self::RetryOutbox {
                account: Id(account.as_uuid()),
                id: Id(id.as_uuid()),
                at: Time(*at),
                relink: relink.map(|link| Id(link.as_uuid())),
            },
            Write::CompleteOutbox { id, claim, at } => Self::CompleteOutbox {
                id: Id(id.as_uuid()),
                claim: Id(claim.0),
                at: Time(*at),
            },
            Write::UpdatePayment(payment) => Self::UpdatePayment {
                id: Id(payment.id().as_uuid()),
                account: Id(payment.account_id().as_uuid()),
                version: payment.version().checked_sub(1).map(signed),
                changes: SettlementRow::from(payment),
            },
            Write::PutConnection(connection) => {
                Self::PutConnection(ConnectionRow::from(connection))
            }
            Write::DeleteConnection { account } => Self::DeleteConnection {
                account: Id(account.as_uuid()),
            },
            Write::InsertMethod(method) => Self::InsertMethod(MethodRow::from(method)),
            Write::SetDefaultMethod { account, id } => Self::SetDefaultMethod {
                account: Id(account.as_uuid()),
                id: Id(id.as_uuid()),
            },
            Write::RemoveMethod { account, id } => Self::RemoveMethod {
                account: Id(account.as_uuid()),
                id: Id(id.as_uuid()),
            },
            Write::InsertCheckout(checkout) => {
                let (row, allocations) = checkout_rows(checkout);
                Self::InsertCheckout(row, allocations)
            }
            Write::SubmitCheckout { account, id, at } => Self::SubmitCheckout {
                account: Id(account.as_uuid()),
                id: Id(id.as_uuid()),
                at: Time(*at),
            },
            Write::RecordProcessorEvent {
                account,
                processor,
                event_id,
                event_type,
                payment,
                at,
            } => Self::RecordProcessorEvent(ProcessorEventRow {
                account_id: Id(account.as_uuid()),
                processor: processor.as_str().to_owned(),
                event_id: event_id.as_str().to_owned(),
                event_type: event_type.clone(),
                payment_id: payment.map(|p| Id(p.as_uuid())),
                recorded_at: Time(*at),
            }),
        }
    }
}

/// Refuses a compare-and-set that matched no row: lost when the row is
/// there (it changed), broken when it is not.
fn missed(exists: bool, what: &str) -> Refusal {
    if exists {
        Refusal::Lost
    } else {
        Refusal::Broken(StoreError::Backend(format!("{what} does not exist").into()))
    }
}

/// Applies one [`Op`] on connection `$c`, inside the batch's transaction.
macro_rules! apply {
    ($c:expr, $op:expr) => {
        match $op {
            Op::InsertLink {
                client,
                contact,
                email,
                link,
                pending,
            } => {
                // The client's row lock first: a portal closing now either
                // finished (this refuses) or waits and revokes this link.
                lock_open_client!($c, *client);
                require_active_contact!($c, *contact, Some(email.as_str()));
                diesel::insert_into(magic_links::table)
                    .values(link)
                    .execute($c)
                    .await?;
                if let Some(session) = pending {
                    diesel::insert_into(sessions::table)
                        .values(session)
                        .execute($c)
                        .await?;
                }
            }
            Op::UpdateDocument {
                id,
                account,
                version,
                changes,
            } => {
                let written = diesel::update(
                    documents::table
                        .filter(documents::id.eq(*id))
                        .filter(documents::account_id.eq(*account))
                        .filter(documents::version.eq(*version)),
                )
                .set((changes, documents::version.eq(documents::version + 1)))
                .execute($c)
                .await?;
                if written != 1 {
                    let exists: i64 = documents::table
                        .filter(documents::id.eq(*id))
                        .filter(documents::account_id.eq(*account))
                        .count()
                        .get_result($c)
                        .await?;
                    return Err(missed(exists == 1, "the document"));
                }
            }
            Op::InsertPayment {
                payment,
                allocations,
            } => {
                diesel::insert_into(payments::table)
                    .values(payment)
                    .execute($c)
                    .await?;
                for allocation in allocations {
                    diesel::insert_into(payment_allocations::table)
                        .values(allocation)
                        .execute($c)
                        .await?;
                }
            }
            Op::InsertRefund {
                payment,
                version,
                refund,
                allocations,
            } => {
                let written = diesel::update(
                    payments::table
                        .filter(payments::id.eq(*payment))
                        .filter(payments::version.eq(*version)),
                )
                .set(payments::version.eq(payments::version + 1))
                .execute($c)
                .await?;
                if written != 1 {
                    let exists: i64 = payments::table
                        .filter(payments::id.eq(*payment))
                        .count()
                        .get_result($c)
                        .await?;
                    return Err(missed(exists == 1, "the payment"));
                }
                diesel::insert_into(refunds::table)
                    .values(refund)
                    .execute($c)
                    .await?;
                for allocation in allocations {
                    diesel::insert_into(refund_allocations::table)
                        .values(allocation)
                        .execute($c)
                        .await?;
                }
            }
            Op::RecordRecipient(row) => {
                diesel::insert_into(document_recipients::table)
                    .values(row)
                    .on_conflict((
                        document_recipients::document_id,
                        document_recipients::contact_id,
                    ))
                    .do_update()
                    .set(
                        document_recipients::last_sent_at
                            .eq(excluded(document_recipients::last_sent_at)),
                    )
                    .execute($c)
                    .await?;
            }
            Op::Audit(row) => {
                diesel::insert_into(audit_events::table)
                    .values(row)
                    .execute($c)
                    .await?;
            }
            Op::Enqueue(row, payload) => insert_outbox!($c, row, payload),
            Op::RetryOutbox {
                account,
                id,
                at,
                relink,
            } => {
                let retried =
                    diesel::update(
                        outbox::table
                            .filter(outbox::id.eq(*id))
                            .filter(outbox::account_id.eq(*account))
                            .filter(outbox::status.eq_any([
                                OutboxStatus::Failed.as_str(),
                                OutboxStatus::Dead.as_str(),
                            ])),
                    )
                    .set((
                        outbox::status.eq(OutboxStatus::Pending.as_str()),
                        outbox::attempts.eq(0),
                        outbox::next_attempt_at.eq(*at),
                    ))
                    .execute($c)
                    .await?;
                if retried != 1 {
                    return Err(Refusal::Lost);
                }
                if let Some(link) = relink {
                    diesel::update(outbox_emails::table.filter(outbox_emails::outbox_id.eq(*id)))
                        .set(outbox_emails::link_id.eq(Some(*link)))
                        .execute($c)
                        .await?;
                }
            }
            Op::CompleteOutbox { id, claim, at } => {
                let none: (Option<Id>, Option<Time>) = (None, None);
                let written = diesel::update(
                    outbox::table
                        .filter(outbox::id.eq(*id))
                        .filter(outbox::status.eq(OutboxStatus::Sending.as_str()))
                        .filter(outbox::claim_token.eq(*claim)),
                )
                .set((
                    outbox::status.eq(OutboxStatus::Sent.as_str()),
                    outbox::sent_at.eq(*at),
                    outbox::claim_token.eq(none.0),
                    outbox::lease_until.eq(none.1),
                ))
                .execute($c)
                .await?;
                if written != 1 {
                    return Err(Refusal::Lost);
                }
            }
            Op::UpdatePayment {
                id,
                account,
                version,
                changes,
            } => {
                let Some(version) = version else {
                    return Err(Refusal::Lost);
                };
                let written = diesel::update(
                    payments::table
                        .filter(payments::id.eq(*id))
                        .filter(payments::account_id.eq(*account))
                        .filter(payments::version.eq(*version)),
                )
                .set(changes)
                .execute($c)
                .await?;
                if written != 1 {
                    let exists: i64 = payments::table
                        .filter(payments::id.eq(*id))
                        .filter(payments::account_id.eq(*account))
                        .count()
                        .get_result($c)
                        .await?;
                    return Err(missed(exists == 1, "the payment"));
                }
            }
            Op::PutConnection(row) => {
                // One statement, so connections racing for one account
                // end with one of them rather than a unique violation.
                diesel::insert_into(processor_connections::table)
                    .values(row)
                    .on_conflict(processor_connections::account_id)
                    .do_update()
                    // A derived changeset leaves the primary key out.
                    .set((processor_connections::id.eq(row.id), row))
                    .execute($c)
                    .await?;
            }
            Op::DeleteConnection { account } => {
                diesel::delete(
                    processor_connections::table
                        .filter(processor_connections::account_id.eq(*account)),
                )
                .execute($c)
                .await?;
            }
            Op::InsertMethod(row) => {
                // The client's row lock first: changes to one client's
                // methods (and which is the default) run one at a time.
                if !lock_row!($c, clients, row.client_id) {
                    return Err(missed(false, "the client"));
                }
                diesel::delete(
                    payment_methods::table
                        .filter(payment_methods::connection_id.eq(row.connection_id))
                        .filter(payment_methods::reference.eq(&row.reference)),
                )
                .execute($c)
                .await?;
                if row.is_default {
                    diesel::update(
                        payment_methods::table
                            .filter(payment_methods::client_id.eq(row.client_id))
                            .filter(payment_methods::connection_id.eq(row.connection_id))
                            .filter(payment_methods::is_default.eq(true)),
                    )
                    .set(payment_methods::is_default.eq(false))
                    .execute($c)
                    .await?;
                }
                diesel::insert_into(payment_methods::table)
                    .values(row)
                    .execute($c)
                    .await?;
            }
            Op::SetDefaultMethod { account, id } => {
                let owner: Option<(Id, Id)> = payment_methods::table
                    .filter(payment_methods::id.eq(*id))
                    .filter(payment_methods::account_id.eq(*account))
                    .select((payment_methods::client_id, payment_methods::connection_id))
                    .first($c)
                    .await
                    .optional()?;
                let Some((client, connection)) = owner else {
                    return Err(Refusal::Lost);
                };
                if !lock_row!($c, clients, client) {
                    return Err(missed(false, "the client"));
                }
                diesel::update(
                    payment_methods::table
                        .filter(payment_methods::client_id.eq(client))
                        .filter(payment_methods::connection_id.eq(connection))
                        .filter(payment_methods::is_default.eq(true))
                        .filter(payment_methods::id.ne(*id)),
                )
                .set(payment_methods::is_default.eq(false))
                .execute($c)
                .await?;
                // Removed while the lock was awaited: lost.
                let written = diesel::update(
                    payment_methods::table
                        .filter(payment_methods::id.eq(*id))
                        .filter(payment_methods::account_id.eq(*account)),
                )
                .set(payment_methods::is_default.eq(true))
                .execute($c)
                .await?;
                if written != 1 {
                    return Err(Refusal::Lost);
                }
            }
            Op::RemoveMethod { account, id } => {
                let removed = diesel::delete(
                    payment_methods::table
                        .filter(payment_methods::id.eq(*id))
                        .filter(payment_methods::account_id.eq(*account)),
                )
                .execute($c)
                .await?;
                if removed != 1 {
                    return Err(Refusal::Lost);
                }
            }
            Op::InsertCheckout(row, allocations) => {
                diesel::insert_into(checkouts::table)
                    .values(row)
                    .execute($c)
                    .await?;
                for allocation in allocations {
                    diesel::insert_into(checkout_allocations::table)
                        .values(allocation)
                        .execute($c)
                        .await?;
                }
            }
            Op::SubmitCheckout { account, id, at } => {
                // Decided by the row: of racing submissions, in any
                // process, one finds it open; the others wait for its
                // lock, then find it submitted.
                let submitted = diesel::update(
                    checkouts::table
                        .filter(checkouts::id.eq(*id))
                        .filter(checkouts::account_id.eq(*account))
                        .filter(checkouts::submitted_at.is_null()),
                )
                .set(checkouts::submitted_at.eq(Some(*at)))
                .execute($c)
                .await?;
                if submitted != 1 {
                    return Err(Refusal::Lost);
                }
            }
            Op::RecordProcessorEvent(row) => {
                let recorded = diesel::insert_into(processor_events::table)
                    .values(row)
                    .on_conflict_do_nothing()
                    .execute($c)
                    .await?;
                if recorded != 1 {
                    return Err(Refusal::Lost);
                }
            }
        }
    };
}

#[async_trait]
impl BatchStore for Database {
    async fn commit(&self, batch: &Batch) -> StoreResult<bool> {
        if batch.is_empty() {
            return Ok(true);
        }
        let ops: Vec<Op> = batch.writes().iter().map(Op::from).collect();
        let mut conn = self.write().await?;
        let outcome = with_conn!(conn, |c| {
            c.write_transaction::<_, Refusal, _>(async |c| {
                for op in &ops {
                    apply!(c, op);
                }
                Ok(())
            })
            .await
        });
        settle(outcome)
    }
}
