//! Batches, in memory: applied to a copy of every table, which replaces
//! the original only when every write held.

use async_trait::async_trait;

use super::processor::record_of;
use super::{InMemoryStore, OutboxRow, State, corrupt, missing};
use crate::model::{OutboxPayload, OutboxStatus, Payment};
use crate::ports::{Batch, BatchStore, Conflict, StoreError, StoreResult, Write};

/// Why a batch was not applied.
enum Refusal {
    Lost,
    Error(StoreError),
}

impl State {
    fn apply(&mut self, write: &Write) -> Result<(), Refusal> {
        match write {
            Write::InsertLink {
                link,
                pending,
                email,
            } => {
                let contact_holds = self
                    .contacts
                    .iter()
                    .any(|c| c.id == link.contact_id && c.active && c.email == *email);
                if !self.portal_open(link.client_id) || !contact_holds {
                    return Err(Refusal::Error(StoreError::Conflict(Conflict::PortalClosed)));
                }
                if let Some(session) = pending {
                    self.sessions.push((session.clone(), None));
                }
                self.links.push(link.clone());
            }
            Write::UpdateDocument(document) => {
                let row = self
                    .documents
                    .iter_mut()
                    .find(|d| {
                        d.record.id == document.id() && d.record.account_id == document.account_id()
                    })
                    .ok_or_else(|| Refusal::Error(missing("document")))?;
                if row.record.version != document.version() {
                    return Err(Refusal::Lost);
                }
                row.record.status = document.status();
                row.record.sent_at = document.sent_at();
                row.record.paid_at = document.paid_at();
                row.record.voided_at = document.voided_at();
                row.record.version += 1;
            }
            Write::InsertPayment(payment) => self.payments.push(payment.clone()),
            Write::InsertRefund {
                refund,
                payment_version,
            } => {
                let payment = self
                    .payments
                    .iter_mut()
                    .find(|p| p.id() == refund.payment_id)
                    .ok_or_else(|| Refusal::Error(missing("payment")))?;
                if payment.version() != *payment_version {
                    return Err(Refusal::Lost);
                }
                *payment = payment.with_refund(refund.clone());
            }
            Write::RecordRecipient {
                document,
                contact,
                at,
            } => match self
                .recipients
                .iter_mut()
                .find(|(d, c, _, _)| d == document && c == contact)
            {
                Some(row) => row.3 = *at,
                None => self.recipients.push((*document, *contact, *at, *at)),
            },
            Write::Audit(event) => self.events.push(event.clone()),
            Write::Enqueue(message) => self.outbox.push(OutboxRow {
                message: message.clone(),
                claim: None,
            }),
            Write::RetryOutbox {
                account,
                id,
                at,
                relink,
            } => {
                let row = self
                    .outbox
                    .iter_mut()
                    .find(|r| {
                        r.message.id == *id
                            && r.message.account_id == *account
                            && matches!(r.message.status, OutboxStatus::Failed | OutboxStatus::Dead)
                    })
                    .ok_or(Refusal::Lost)?;
                row.message.status = OutboxStatus::Pending;
                row.message.attempts = 0;
                row.message.next_attempt_at = *at;
                if let (Some(fresh), OutboxPayload::Email { link, .. }) =
                    (relink, &mut row.message.payload)
                {
                    *link = Some(*fresh);
                }
            }
            Write::CompleteOutbox { id, claim, at } => {
                let row = self
                    .outbox
                    .iter_mut()
                    .find(|r| {
                        r.message.id == *id
                            && r.message.status == OutboxStatus::Sending
                            && r.claim.is_some_and(|(c, _)| c == *claim)
                    })
                    .ok_or(Refusal::Lost)?;
                row.message.status = OutboxStatus::Sent;
                row.message.sent_at = Some(*at);
                row.claim = None;
            }
            Write::UpdatePayment(next) => {
                let stored = self
                    .payments
                    .iter_mut()
                    .find(|p| p.id() == next.id() && p.account_id() == next.account_id())
                    .ok_or_else(|| Refusal::Error(missing("payment")))?;
                if next.version().checked_sub(1) != Some(stored.version()) {
                    return Err(Refusal::Lost);
                }
                let mut record = record_of(stored);
                record.status = next.status();
                record.method = next.method();
                if let Some(charge) = record.processor.as_mut() {
                    charge.reference = next.processor().and_then(|c| c.reference.clone());
                }
                record.failure = next.failure().map(str::to_owned);
                record.version = next.version();
                *stored = Payment::restore(record).map_err(|e| Refusal::Error(corrupt(e)))?;
            }
            Write::PutConnection(connection) => {
                self.connections
                    .retain(|c| c.account_id != connection.account_id);
                self.connections.push(connection.clone());
            }
            Write::DeleteConnection { account } => {
                self.connections.retain(|c| c.account_id != *account);
            }
            Write::InsertMethod(method) => self.insert_method(method),
            Write::SetDefaultMethod { account, id } => {
                if !self.make_default(*account, *id) {
                    return Err(Refusal::Lost);
                }
            }
            Write::RemoveMethod { account, id } => {
                let was = self.methods.len();
                self.methods
                    .retain(|m| !(m.id == *id && m.account_id == *account));
                if self.methods.len() == was {
                    return Err(Refusal::Lost);
                }
            }
            Write::InsertCheckout(checkout) => self.checkouts.push(checkout.clone()),
            Write::SubmitCheckout { account, id, at } => {
                if !self.submit_checkout(*account, *id, *at) {
                    return Err(Refusal::Lost);
                }
            }
            Write::RecordProcessorEvent {
                account,
                processor,
                event_id,
                ..
            } => {
                if !self.record_event(*account, *processor, event_id) {
                    return Err(Refusal::Lost);
                }
            }
        }
        Ok(())
    }
}

#[async_trait]
impl BatchStore for InMemoryStore {
    async fn commit(&self, batch: &Batch) -> StoreResult<bool> {
        let mut state = self.state();
        let mut next = state.clone();
        for write in batch.writes() {
            match next.apply(write) {
                Ok(()) => {}
                Err(Refusal::Lost) => return Ok(false),
                Err(Refusal::Error(err)) => return Err(err),
            }
        }
        *state = next;
        Ok(true)
    }
}
