//! Client companies and their billing contacts, as operators manage them,
//! and a client's audit trail.

use std::sync::Arc;

use crate::model::{
    Account, AuditEvent, Client, ClientId, ClientPatch, Contact, ContactId, ContactPatch, Cursor,
    EmailAddress, Name, Page, PageRequest, RevokeReason,
};
use crate::ports::{AuditStore, Conflict, CrmStore, Revocation, Store, StoreError};

use super::{Env, UPDATE_ATTEMPTS};

#[derive(Debug, thiserror::Error)]
pub enum CrmError {
    #[error("no client with this id")]
    ClientNotFound,
    #[error("no contact with this id")]
    ContactNotFound,
    #[error("this client already has a contact with this email")]
    DuplicateContactEmail,
    #[error("the record kept changing while this request was handled; try again")]
    ChangedConcurrently,
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// A client after an update, and what closing its portal ended.
#[derive(Debug, Clone)]
pub struct ClientUpdate {
    pub client: Client,
    /// Live sessions ended because the portal was closed.
    pub sessions_revoked: u64,
}

/// A contact after an update, and what deactivating it (or changing its
/// email) ended.
#[derive(Debug, Clone)]
pub struct ContactUpdate {
    pub contact: Contact,
    /// Live sessions ended.
    pub sessions_revoked: u64,
}

/// Clients and contacts.
#[derive(Clone)]
pub struct Crm {
    store: Arc<dyn CrmStore>,
    audit: Arc<dyn AuditStore>,
    env: Env,
}

impl std::fmt::Debug for Crm {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Crm").finish_non_exhaustive()
    }
}

impl Crm {
    pub(crate) fn new(store: &Arc<dyn Store>, env: Env) -> Self {
        Self {
            store: store.clone(),
            audit: store.clone(),
            env,
        }
    }

    /// # Errors
    /// When the store fails.
    pub async fn create_client(
        &self,
        account: &Account,
        name: Name,
        portal_enabled: bool,
    ) -> Result<Client, CrmError> {
        let now = self.env.now();
        let client = Client {
            id: ClientId::generate(self.env.random()),
            account_id: account.id,
            name,
            portal_enabled,
            active: true,
            created_at: now,
            updated_at: now,
        };
        self.store.insert_client(&client).await?;
        Ok(client)
    }

    /// # Errors
    /// [`CrmError::ClientNotFound`], also for another account's client.
    pub async fn client(&self, account: &Account, id: ClientId) -> Result<Client, CrmError> {
        self.store
            .client(account.id, id)
            .await?
            .ok_or(CrmError::ClientNotFound)
    }

    /// The account's clients, oldest first.
    ///
    /// # Errors
    /// When the store fails.
    pub async fn clients(
        &self,
        account: &Account,
        page: PageRequest,
    ) -> Result<Page<Client>, CrmError> {
        let rows = self.store.clients(account.id, &page).await?;
        Ok(Page::from_rows(rows, &page, |c| {
            Cursor::new(c.created_at, c.id.as_uuid())
        }))
    }

    /// Renames a client or changes its flags. Closing its portal (turning
    /// it off, or marking the client inactive) ends every live session and
    /// unused link of its contacts in the same write; an inactive client
    /// keeps its history but gets no new sends or links.
    ///
    /// # Errors
    /// [`CrmError::ClientNotFound`].
    pub async fn update_client(
        &self,
        account: &Account,
        id: ClientId,
        patch: ClientPatch,
    ) -> Result<ClientUpdate, CrmError> {
        // Compare-and-set on what was read: a concurrent change makes the
        // write miss, and the patch is applied again to the new state.
        for _ in 0..UPDATE_ATTEMPTS {
            let current = self.client(account, id).await?;
            let now = self.env.now();
            let client = Client {
                name: patch.name.clone().unwrap_or_else(|| current.name.clone()),
                portal_enabled: patch.portal_enabled.unwrap_or(current.portal_enabled),
                active: patch.active.unwrap_or(current.active),
                updated_at: now,
                ..current.clone()
            };
            let revoke = (current.portal_open() && !client.portal_open()).then_some(Revocation {
                at: now,
                reason: RevokeReason::PortalDisabled,
            });
            if let Some(sessions_revoked) =
                self.store.update_client(&current, &client, revoke).await?
            {
                return Ok(ClientUpdate {
                    client,
                    sessions_revoked,
                });
            }
        }
        Err(CrmError::ChangedConcurrently)
    }

    /// Adds a billing contact to a client.
    ///
    /// # Errors
    /// [`CrmError::ClientNotFound`], [`CrmError::DuplicateContactEmail`].
    pub async fn create_contact(
        &self,
        account: &Account,
        client: ClientId,
        name: Name,
        email: EmailAddress,
    ) -> Result<Contact, CrmError> {
        let client = self.client(account, client).await?;
        let now = self.env.now();
        let contact = Contact {
            id: ContactId::generate(self.env.random()),
            account_id: account.id,
            client_id: client.id,
            name,
            email,
            active: true,
            created_at: now,
            updated_at: now,
        };
        match self.store.insert_contact(&contact).await {
            Ok(()) => Ok(contact),
            Err(StoreError::Conflict(Conflict::ContactEmail)) => {
                Err(CrmError::DuplicateContactEmail)
            }
            Err(other) => Err(other.into()),
        }
    }

    /// # Errors
    /// [`CrmError::ContactNotFound`], also for another account's contact.
    pub async fn contact(&self, account: &Account, id: ContactId) -> Result<Contact, CrmError> {
        self.store
            .contact(account.id, id)
            .await?
            .ok_or(CrmError::ContactNotFound)
    }

    /// A client's contacts, oldest first.
    ///
    /// # Errors
    /// [`CrmError::ClientNotFound`].
    pub async fn contacts(
        &self,
        account: &Account,
        client: ClientId,
        page: PageRequest,
    ) -> Result<Page<Contact>, CrmError> {
        let client = self.client(account, client).await?;
        let rows = self.store.contacts(account.id, client.id, &page).await?;
        Ok(Page::from_rows(rows, &page, |c| {
            Cursor::new(c.created_at, c.id.as_uuid())
        }))
    }

    /// Renames a contact, changes its email, or (de)activates it.
    /// Deactivating a contact, or moving its email elsewhere, ends its live
    /// sessions and unused links in the same write: they were proven by the
    /// old address.
    ///
    /// # Errors
    /// [`CrmError::ContactNotFound`], [`CrmError::DuplicateContactEmail`].
    pub async fn update_contact(
        &self,
        account: &Account,
        id: ContactId,
        patch: ContactPatch,
    ) -> Result<ContactUpdate, CrmError> {
        for _ in 0..UPDATE_ATTEMPTS {
            let current = self.contact(account, id).await?;
            let now = self.env.now();
            let contact = Contact {
                name: patch.name.clone().unwrap_or_else(|| current.name.clone()),
                email: patch.email.clone().unwrap_or_else(|| current.email.clone()),
                active: patch.active.unwrap_or(current.active),
                updated_at: now,
                ..current.clone()
            };
            let ends_access = current.active && (!contact.active || contact.email != current.email);
            let revoke = ends_access.then_some(Revocation {
                at: now,
                reason: RevokeReason::ContactChanged,
            });
            match self.store.update_contact(&current, &contact, revoke).await {
                Ok(Some(sessions_revoked)) => {
                    return Ok(ContactUpdate {
                        contact,
                        sessions_revoked,
                    });
                }
                Ok(None) => {}
                Err(StoreError::Conflict(Conflict::ContactEmail)) => {
                    return Err(CrmError::DuplicateContactEmail);
                }
                Err(other) => return Err(other.into()),
            }
        }
        Err(CrmError::ChangedConcurrently)
    }

    /// A client's audit trail, newest first.
    ///
    /// # Errors
    /// [`CrmError::ClientNotFound`].
    pub async fn client_audit(
        &self,
        account: &Account,
        client: ClientId,
        page: PageRequest,
    ) -> Result<Page<AuditEvent>, CrmError> {
        let client = self.client(account, client).await?;
        let rows = self
            .audit
            .client_events(account.id, client.id, &page)
            .await?;
        Ok(Page::from_rows(rows, &page, |e| {
            Cursor::new(e.occurred_at, e.id.as_uuid())
        }))
    }
}
