//! Client companies and their billing contacts, as operators manage them.

use crate::model::{
    Account, AuditEvent, Client, ClientId, ClientPatch, Contact, ContactId, EmailAddress, Name,
    RevokeReason,
};
use crate::ports::{Conflict, Revocation, StoreError};

use super::Portal;

#[derive(Debug, thiserror::Error)]
pub enum CrmError {
    #[error("no client with this id")]
    ClientNotFound,
    #[error("no contact with this id")]
    ContactNotFound,
    #[error("this client already has a contact with this email")]
    DuplicateContactEmail,
    #[error("the client kept changing while this request was handled; try again")]
    ChangedConcurrently,
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// A client after an update, and what turning its portal off ended.
#[derive(Debug, Clone)]
pub struct ClientUpdate {
    pub client: Client,
    /// Live sessions ended because the portal was turned off.
    pub sessions_revoked: u64,
}

/// How often an update is tried against concurrent changes before giving up.
pub(super) const UPDATE_ATTEMPTS: usize = 3;

/// The most audit events one read returns.
pub const MAX_AUDIT_PAGE: u32 = 500;

impl Portal {
    /// # Errors
    /// When the store fails.
    pub async fn create_client(
        &self,
        account: &Account,
        name: Name,
        portal_enabled: bool,
    ) -> Result<Client, CrmError> {
        let now = self.clock.now();
        let client = Client {
            id: ClientId::generate(self.random.as_ref()),
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

    /// # Errors
    /// When the store fails.
    pub async fn clients(&self, account: &Account) -> Result<Vec<Client>, CrmError> {
        Ok(self.store.clients(account.id).await?)
    }

    /// Renames a client or changes its flags. Closing its portal (turning
    /// it off, or making the client inactive) ends every live session and
    /// unused link of its contacts in the same write.
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
            let now = self.clock.now();
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
        let contact = Contact {
            id: ContactId::generate(self.random.as_ref()),
            account_id: account.id,
            client_id: client.id,
            name,
            email,
            created_at: self.clock.now(),
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

    /// # Errors
    /// [`CrmError::ClientNotFound`].
    pub async fn contacts(
        &self,
        account: &Account,
        client: ClientId,
    ) -> Result<Vec<Contact>, CrmError> {
        let client = self.client(account, client).await?;
        Ok(self.store.contacts(account.id, client.id).await?)
    }

    /// The latest entries of a client's audit trail, newest first.
    ///
    /// # Errors
    /// [`CrmError::ClientNotFound`].
    pub async fn client_audit(
        &self,
        account: &Account,
        client: ClientId,
        limit: u32,
    ) -> Result<Vec<AuditEvent>, CrmError> {
        let client = self.client(account, client).await?;
        Ok(self
            .store
            .client_events(account.id, client.id, limit.clamp(1, MAX_AUDIT_PAGE))
            .await?)
    }
}
