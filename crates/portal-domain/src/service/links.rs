//! Magic links: issuing them, previewing one without using it, redeeming
//! one into a session, and the "email me a new link" request.

use std::fmt;

use crate::model::{
    Account, AccountId, AuditAction, Client, ClientInfo, Contact, ContactId, DocumentId,
    EmailAddress, LINK_REQUEST_RETENTION, LinkId, LinkPurpose, LinkRequest, LinkRequestId,
    LinkState, MagicLink, Name, PortalSession, SessionId, Token, ValidationError, link_path,
};
use crate::notify::{self, EmailLink};
use crate::ports::{Conflict, Email, MailError, Redemption, StoreError};

use super::Portal;

/// A freshly minted link. Its URL carries the token, so it is shown once
/// and never printed by `Debug`.
pub struct IssuedLink {
    pub link: MagicLink,
    pub url: String,
    /// The pending session this link activates (API-created sessions).
    pub pending_session: Option<PortalSession>,
}

impl IssuedLink {
    pub(super) fn email_link(&self) -> EmailLink<'_> {
        EmailLink {
            url: &self.url,
            expires_at: self.link.expires_at,
        }
    }
}

impl fmt::Debug for IssuedLink {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("IssuedLink")
            .field("link", &self.link)
            .field("url", &"<redacted>")
            .finish_non_exhaustive()
    }
}

#[derive(Debug, thiserror::Error)]
pub enum LinkError {
    #[error("no contact with this id")]
    ContactNotFound,
    #[error("no document with this id for this contact's client")]
    DocumentNotFound,
    #[error("the document is a draft; send it before linking to it")]
    DocumentIsDraft,
    #[error("the client portal is turned off for this client; no links can be issued")]
    PortalDisabled,
    #[error("the client is inactive; no links can be issued")]
    ClientInactive,
    #[error(transparent)]
    Mail(#[from] MailError),
    #[error(transparent)]
    Store(StoreError),
}

impl From<StoreError> for LinkError {
    /// A portal closed between the check and the write is a closed portal.
    fn from(err: StoreError) -> Self {
        match err {
            StoreError::Conflict(Conflict::PortalClosed) => Self::PortalDisabled,
            other => Self::Store(other),
        }
    }
}

/// Why a link does not open the portal. Shown to clients as one neutral
/// page; the distinction is for logs and operators.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LinkRejection {
    /// Not even shaped like a token.
    Malformed,
    Unknown,
    Used,
    Expired,
    Revoked,
    /// The client's portal is off or the client is inactive.
    PortalClosed,
}

/// What the "continue" page may say about a link, without using it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LinkPreview {
    /// The link would open this account's portal.
    Usable {
        account_name: Name,
    },
    Unusable(LinkRejection),
}

#[derive(Debug, thiserror::Error)]
pub enum RedeemError {
    #[error("the link cannot be used: {0:?}")]
    Rejected(LinkRejection),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// A redeemed link: the new session and the secret for its cookie.
#[derive(Debug)]
pub struct Redeemed {
    pub session: PortalSession,
    /// The session cookie's value. Shown to the browser once.
    pub secret: Token,
    /// The document the link was sent for, where the portal opens.
    pub document: Option<DocumentId>,
}

#[derive(Debug, thiserror::Error)]
pub enum RequestLinkError {
    #[error(transparent)]
    InvalidEmail(#[from] ValidationError),
    #[error("too many requests for a new link; try again later")]
    RateLimited,
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// An accepted request for a new link, to be delivered away from the
/// request that made it, so the answer never depends on whether the email
/// is on file.
pub struct LinkDelivery {
    account: Option<AccountId>,
    email: EmailAddress,
    /// The document the old link was for, reused if the same contact asks.
    previous: Option<(ContactId, DocumentId)>,
    info: ClientInfo,
}

impl fmt::Debug for LinkDelivery {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LinkDelivery")
            .field("account", &self.account)
            .finish_non_exhaustive()
    }
}

/// A usable link with everything it resolves to.
struct CheckedLink {
    link: MagicLink,
    client: Client,
    account: Account,
}

impl Portal {
    /// Mints a link for `contact`, stores it (with a pending session for
    /// [`LinkPurpose::ApiSession`]) and returns it with its URL.
    pub(super) async fn issue_link(
        &self,
        account: &Account,
        contact: &Contact,
        document: Option<DocumentId>,
        purpose: LinkPurpose,
    ) -> Result<IssuedLink, StoreError> {
        let now = self.clock.now();
        let token = Token::generate(self.random.as_ref());
        let link_id = LinkId::generate(self.random.as_ref());
        let expires_at = now + account.settings.link_lifetime;
        let pending_id =
            (purpose == LinkPurpose::ApiSession).then(|| SessionId::generate(self.random.as_ref()));
        let link = MagicLink {
            id: link_id,
            account_id: account.id,
            client_id: contact.client_id,
            contact_id: contact.id,
            document_id: document,
            session_id: pending_id,
            token_hash: token.hash(),
            purpose,
            created_at: now,
            expires_at,
            used_at: None,
            revoked_at: None,
        };
        let pending_session = pending_id.map(|id| PortalSession::pending(id, &link, now));
        self.store
            .insert_link(&link, pending_session.as_ref())
            .await?;
        let url = self.public_url(account).join(&link_path(token.expose()));
        Ok(IssuedLink {
            link,
            url,
            pending_session,
        })
    }

    /// Sends `email`, which carries `link` if any. When the mail system
    /// refuses it, the link is revoked: its token never left this process,
    /// and no unused link should outlive a failed send.
    pub(super) async fn mail_link(
        &self,
        email: &Email,
        link: Option<&IssuedLink>,
    ) -> Result<(), MailError> {
        let Err(err) = self.mailer.send(email).await else {
            return Ok(());
        };
        if let Some(link) = link {
            // Best effort: an unrevoked link that nobody holds is harmless.
            let _ = self.store.revoke_link(link.link.id, self.clock.now()).await;
        }
        Err(err)
    }

    /// Checks that `contact` may be given a link (optionally to
    /// `document`), returning the contact's client.
    pub(super) async fn linkable(
        &self,
        account: &Account,
        contact: ContactId,
        document: Option<DocumentId>,
    ) -> Result<(Contact, Client), LinkError> {
        let contact = self
            .store
            .contact(account.id, contact)
            .await?
            .ok_or(LinkError::ContactNotFound)?;
        let client = self
            .store
            .client(account.id, contact.client_id)
            .await?
            .ok_or(LinkError::ContactNotFound)?;
        if !client.active {
            return Err(LinkError::ClientInactive);
        }
        if !client.portal_enabled {
            return Err(LinkError::PortalDisabled);
        }
        if let Some(id) = document {
            let document = self
                .store
                .document(account.id, id)
                .await?
                .filter(|d| d.client_id == client.id)
                .ok_or(LinkError::DocumentNotFound)?;
            if !document.visible_in_portal() {
                return Err(LinkError::DocumentIsDraft);
            }
        }
        Ok((contact, client))
    }

    /// A fresh link for a contact, optionally opening on one document and
    /// optionally emailed to the contact as well.
    ///
    /// # Errors
    /// [`LinkError::PortalDisabled`] and [`LinkError::ClientInactive`]:
    /// a closed portal issues no links.
    pub async fn portal_link(
        &self,
        account: &Account,
        contact: ContactId,
        document: Option<DocumentId>,
        send_email: bool,
    ) -> Result<IssuedLink, LinkError> {
        let (contact, client) = self.linkable(account, contact, document).await?;
        let issued = self
            .issue_link(account, &contact, document, LinkPurpose::Operator)
            .await?;
        if send_email {
            let email = notify::portal_link_email(account, &contact, issued.email_link());
            self.mail_link(&email, Some(&issued)).await?;
        }
        let event = self
            .audit_event(account, client.id, AuditAction::LinkIssued)
            .contact(contact.id)
            .document(document)
            .build();
        self.store.record(&event).await?;
        Ok(issued)
    }

    async fn check_link(&self, token: &str) -> Result<CheckedLink, RedeemError> {
        let token = Token::parse(token).ok_or(RedeemError::Rejected(LinkRejection::Malformed))?;
        let link = self
            .store
            .link_by_token(&token.hash())
            .await?
            .ok_or(RedeemError::Rejected(LinkRejection::Unknown))?;
        match link.state(self.clock.now()) {
            LinkState::Usable => {}
            LinkState::Used => return Err(RedeemError::Rejected(LinkRejection::Used)),
            LinkState::Expired => return Err(RedeemError::Rejected(LinkRejection::Expired)),
            LinkState::Revoked => return Err(RedeemError::Rejected(LinkRejection::Revoked)),
        }
        let client = self.store.client(link.account_id, link.client_id).await?;
        let account = self.store.account(link.account_id).await?;
        match (client, account) {
            (Some(client), Some(account)) if client.portal_open() => Ok(CheckedLink {
                link,
                client,
                account,
            }),
            _ => Err(RedeemError::Rejected(LinkRejection::PortalClosed)),
        }
    }

    /// What the link's landing page may show. Reads only: mail scanners
    /// that fetch links must not use them up.
    ///
    /// # Errors
    /// When the store fails.
    pub async fn preview_link(&self, token: &str) -> Result<LinkPreview, StoreError> {
        match self.check_link(token).await {
            Ok(checked) => Ok(LinkPreview::Usable {
                account_name: checked.account.name,
            }),
            Err(RedeemError::Rejected(why)) => Ok(LinkPreview::Unusable(why)),
            Err(RedeemError::Store(err)) => Err(err),
        }
    }

    /// Uses a link: starts a new session (or activates the API-created
    /// one it carries), records the browser's IP and user agent, and ends
    /// the session the browser held before, if any. Exactly one of any
    /// number of concurrent redemptions of a link succeeds.
    ///
    /// # Errors
    /// [`RedeemError::Rejected`] for a malformed, unknown, used, expired or
    /// revoked link, or when the client's portal is closed.
    pub async fn redeem_link(
        &self,
        token: &str,
        info: &ClientInfo,
        current_secret: Option<&str>,
    ) -> Result<Redeemed, RedeemError> {
        let CheckedLink {
            link,
            client,
            account,
        } = self.check_link(token).await?;
        let now = self.clock.now();
        let lifetime = account.settings.session_lifetime;
        let session = match link.session_id {
            // An API-created session waits for this link: activate it.
            Some(id) => self
                .store
                .session(account.id, id)
                .await?
                .filter(|pending| pending.revoked_at.is_none())
                .ok_or(RedeemError::Rejected(LinkRejection::Revoked))?,
            None => PortalSession::pending(SessionId::generate(self.random.as_ref()), &link, now),
        }
        .activate(now, lifetime, info);
        let replaces = match current_secret.and_then(Token::parse) {
            Some(old) => self
                .store
                .session_by_secret(&old.hash())
                .await?
                .map(|ctx| ctx.session.id)
                .filter(|id| *id != session.id),
            None => None,
        };
        let secret = Token::generate(self.random.as_ref());
        let audit = self
            .audit_event(&account, client.id, AuditAction::SessionStarted)
            .contact(link.contact_id)
            .session(session.id)
            .document(link.document_id)
            .from(info)
            .at(now)
            .build();
        let redeemed = self
            .store
            .redeem_link(Redemption {
                link_id: link.id,
                at: now,
                session: &session,
                secret_hash: secret.hash(),
                activates_pending: link.session_id == Some(session.id),
                replaces,
                audit: &audit,
            })
            .await?;
        if !redeemed {
            return Err(RedeemError::Rejected(LinkRejection::Used));
        }
        Ok(Redeemed {
            session,
            secret,
            document: link.document_id,
        })
    }

    /// Accepts a request for a new link from the page a dead link (or an
    /// ended session) shows. The account is the one the old link or session
    /// belonged to or, on a portal serving a single business, that one.
    /// Requests are counted per IP and per email in the store,
    /// so the limits hold across processes.
    ///
    /// Returns the delivery to run with [`Portal::deliver_link`] away from
    /// the request, so the answer is the same whether or not the email is
    /// on file.
    ///
    /// # Errors
    /// [`RequestLinkError::InvalidEmail`], [`RequestLinkError::RateLimited`].
    pub async fn request_link(
        &self,
        email: &str,
        old_link: Option<&str>,
        old_session: Option<&str>,
        info: &ClientInfo,
    ) -> Result<LinkDelivery, RequestLinkError> {
        let email = EmailAddress::parse("email", email)?;
        let mut account = None;
        let mut previous = None;
        if let Some(token) = old_link.and_then(Token::parse)
            && let Some(link) = self.store.link_by_token(&token.hash()).await?
        {
            account = Some(link.account_id);
            previous = link.document_id.map(|doc| (link.contact_id, doc));
        }
        if account.is_none()
            && let Some(secret) = old_session.and_then(Token::parse)
            && let Some(ctx) = self.store.session_by_secret(&secret.hash()).await?
        {
            account = Some(ctx.account.id);
        }
        // A portal that serves one business needs no old link to know it.
        if account.is_none() {
            account = self.store.sole_account().await?;
        }
        let now = self.clock.now();
        let policy = self.config.link_requests;
        let request = LinkRequest {
            id: LinkRequestId::generate(self.random.as_ref()),
            email: email.clone(),
            ip: info.ip,
            requested_at: now,
        };
        let counts = self
            .store
            .record_link_request(&request, now - policy.window, now - LINK_REQUEST_RETENTION)
            .await?;
        if !policy.allows(counts) {
            return Err(RequestLinkError::RateLimited);
        }
        Ok(LinkDelivery {
            account,
            email,
            previous,
            info: info.clone(),
        })
    }

    /// Emails a fresh link to every contact of the account with the
    /// requested email whose client's portal is open. Returns how many
    /// emails went out (zero when nobody matched).
    ///
    /// # Errors
    /// When the store fails or an email is not accepted.
    pub async fn deliver_link(&self, delivery: LinkDelivery) -> Result<usize, LinkError> {
        let Some(account) = delivery.account else {
            return Ok(0);
        };
        let Some(account) = self.store.account(account).await? else {
            return Ok(0);
        };
        let mut sent = 0;
        for contact in self
            .store
            .contacts_by_email(account.id, &delivery.email)
            .await?
        {
            let (contact, client) = match self.linkable(&account, contact.id, None).await {
                Ok(found) => found,
                Err(LinkError::PortalDisabled | LinkError::ClientInactive) => continue,
                Err(other) => return Err(other),
            };
            // Open on the old link's document if this contact asked and the
            // document is still there for them.
            let document = match delivery.previous {
                Some((owner, id)) if owner == contact.id => self
                    .store
                    .document(account.id, id)
                    .await?
                    .filter(|d| d.client_id == client.id && d.visible_in_portal())
                    .map(|d| d.id),
                _ => None,
            };
            let issued = self
                .issue_link(&account, &contact, document, LinkPurpose::SelfService)
                .await?;
            let email = notify::portal_link_email(&account, &contact, issued.email_link());
            self.mail_link(&email, Some(&issued)).await?;
            let event = self
                .audit_event(&account, client.id, AuditAction::LinkIssued)
                .contact(contact.id)
                .document(document)
                .from(&delivery.info)
                .build();
            self.store.record(&event).await?;
            sent += 1;
        }
        Ok(sent)
    }
}
