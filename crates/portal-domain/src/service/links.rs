//! Magic links: issuing them, previewing one without using it, redeeming
//! one into a session, and the "email me a new link" request, which the
//! outbox fulfils.

use std::fmt;
use std::sync::Arc;

use crate::model::{
    Account, AccountId, AuditAction, ClaimToken, Client, ClientInfo, Contact, ContactId,
    DocumentId, EmailAddress, LINK_REQUEST_RETENTION, LINK_TOKEN_PLACEHOLDER, LinkId, LinkPurpose,
    LinkRequest, LinkRequestId, LinkRequestJob, LinkState, MagicLink, Name, OutboxId,
    OutboxMessage, OutboxPayload, OutboxTopic, PortalSession, SessionId, Token, ValidationError,
    link_path,
};
use crate::notify::{self, EmailLink};
use crate::ports::{
    AccessStore, AccountStore, Batch, BatchStore, Conflict, CrmStore, DocumentStore, LinkContext,
    LinkRequestStore, Redemption, Store, StoreError, Write,
};

use super::{Env, UPDATE_ATTEMPTS};

/// A freshly minted link. Its URL carries the token, so it is shown once
/// and never printed by `Debug`.
pub struct IssuedLink {
    pub link: MagicLink,
    /// The link itself, for an API answer or the console.
    pub url: String,
    /// The link as an email carries it until delivery: the token is put in
    /// only then.
    email_url: String,
    /// The pending session this link activates (API-created sessions).
    pub pending_session: Option<PortalSession>,
    /// The address the link was minted for: it is stored only while the
    /// contact still has it.
    email: EmailAddress,
}

impl IssuedLink {
    pub(super) fn email_link(&self) -> EmailLink<'_> {
        EmailLink {
            url: &self.email_url,
            expires_at: self.link.expires_at,
        }
    }

    /// The writes that store the link (and its pending session).
    pub(super) fn write(&self) -> Write {
        Write::InsertLink {
            link: self.link.clone(),
            pending: self.pending_session.clone(),
            email: self.email.clone(),
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
    #[error("the contact is deactivated; no links can be issued to it")]
    ContactInactive,
    #[error("no document with this id for this contact's client")]
    DocumentNotFound,
    #[error("the document is a draft; send it before linking to it")]
    DocumentIsDraft,
    #[error("the client portal is turned off for this client; no links can be issued")]
    PortalDisabled,
    #[error("the client is inactive; no links can be issued")]
    ClientInactive,
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
    /// The client's portal is off, the client inactive, or the contact
    /// deactivated.
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

/// Issuing and redeeming magic links.
#[derive(Clone)]
pub struct Links {
    access: Arc<dyn AccessStore>,
    crm: Arc<dyn CrmStore>,
    documents: Arc<dyn DocumentStore>,
    accounts: Arc<dyn AccountStore>,
    requests: Arc<dyn LinkRequestStore>,
    batches: Arc<dyn BatchStore>,
    env: Env,
}

impl fmt::Debug for Links {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Links").finish_non_exhaustive()
    }
}

impl Links {
    pub(crate) fn new(store: &Arc<dyn Store>, env: Env) -> Self {
        Self {
            access: store.clone(),
            crm: store.clone(),
            documents: store.clone(),
            accounts: store.clone(),
            requests: store.clone(),
            batches: store.clone(),
            env,
        }
    }

    /// Mints a link for `contact` (and, for [`LinkPurpose::ApiSession`],
    /// the pending session it activates). Nothing is stored yet: the
    /// caller commits [`IssuedLink::write`] with whatever goes with it.
    pub(crate) fn mint(
        &self,
        account: &Account,
        contact: &Contact,
        document: Option<DocumentId>,
        purpose: LinkPurpose,
    ) -> IssuedLink {
        let now = self.env.now();
        let id = LinkId::generate(self.env.random());
        let token = self.env.config().server_key.link_token(id);
        let pending_id =
            (purpose == LinkPurpose::ApiSession).then(|| SessionId::generate(self.env.random()));
        let link = MagicLink {
            id,
            account_id: account.id,
            client_id: contact.client_id,
            contact_id: contact.id,
            document_id: document,
            session_id: pending_id,
            token_hash: token.hash(),
            purpose,
            created_at: now,
            expires_at: now + account.settings.link_lifetime,
            used_at: None,
            revoked_at: None,
        };
        let pending_session = pending_id.map(|sid| PortalSession::pending(sid, &link, now));
        let base = self.env.public_url(account);
        IssuedLink {
            url: base.join(&link_path(token.expose())),
            email_url: base.join(&link_path(LINK_TOKEN_PLACEHOLDER)),
            link,
            pending_session,
            email: contact.email.clone(),
        }
    }

    /// Checks that `contact` may be given a link (optionally to
    /// `document`), returning the contact and its client.
    pub(crate) async fn linkable(
        &self,
        account: &Account,
        contact: ContactId,
        document: Option<DocumentId>,
    ) -> Result<(Contact, Client), LinkError> {
        let contact = self
            .crm
            .contact(account.id, contact)
            .await?
            .ok_or(LinkError::ContactNotFound)?;
        let client = self
            .crm
            .client(account.id, contact.client_id)
            .await?
            .ok_or(LinkError::ContactNotFound)?;
        if !client.active {
            return Err(LinkError::ClientInactive);
        }
        if !client.portal_enabled {
            return Err(LinkError::PortalDisabled);
        }
        if !contact.active {
            return Err(LinkError::ContactInactive);
        }
        if let Some(id) = document {
            let document = self
                .documents
                .document(account.id, id)
                .await?
                .filter(|d| d.client_id() == client.id)
                .ok_or(LinkError::DocumentNotFound)?;
            if !document.visible_in_portal() {
                return Err(LinkError::DocumentIsDraft);
            }
        }
        Ok((contact, client))
    }

    /// A fresh link for a contact, optionally opening on one document and
    /// optionally emailed to the contact as well (through the outbox, in
    /// the same write as the link).
    ///
    /// # Errors
    /// [`LinkError::PortalDisabled`], [`LinkError::ClientInactive`] and
    /// [`LinkError::ContactInactive`]: a closed portal issues no links.
    pub async fn portal_link(
        &self,
        account: &Account,
        contact: ContactId,
        document: Option<DocumentId>,
        send_email: bool,
    ) -> Result<IssuedLink, LinkError> {
        let (contact, client) = self.linkable(account, contact, document).await?;
        let issued = self.mint(account, &contact, document, LinkPurpose::Operator);
        let mut batch = Batch::new();
        batch.push(issued.write());
        batch.push(Write::Audit(
            self.env
                .audit(account.id, client.id, AuditAction::LinkIssued)
                .contact(contact.id)
                .document(document)
                .build(),
        ));
        if send_email {
            let email = notify::portal_link_email(account, &contact, issued.email_link());
            batch.push(Write::Enqueue(self.env.email(
                account.id,
                OutboxTopic::PortalLink,
                email,
                Some(issued.link.id),
            )));
        }
        self.batches.commit(&batch).await?;
        Ok(issued)
    }

    /// The link `token` names with everything it resolves to, read at
    /// once, if it would open the portal now.
    async fn check_link(&self, token: &str) -> Result<LinkContext, RedeemError> {
        let token = Token::parse(token).ok_or(RedeemError::Rejected(LinkRejection::Malformed))?;
        let context = self
            .access
            .link_context(&token.hash())
            .await?
            .ok_or(RedeemError::Rejected(LinkRejection::Unknown))?;
        match context.link.state(self.env.now()) {
            LinkState::Usable => {}
            LinkState::Used => return Err(RedeemError::Rejected(LinkRejection::Used)),
            LinkState::Expired => return Err(RedeemError::Rejected(LinkRejection::Expired)),
            LinkState::Revoked => return Err(RedeemError::Rejected(LinkRejection::Revoked)),
        }
        if !context.client.portal_open() || !context.contact.active {
            return Err(RedeemError::Rejected(LinkRejection::PortalClosed));
        }
        Ok(context)
    }

    /// What the link's landing page may show. Reads only: mail scanners
    /// that fetch links must not use them up.
    ///
    /// # Errors
    /// When the store fails.
    pub async fn preview_link(&self, token: &str) -> Result<LinkPreview, StoreError> {
        match self.check_link(token).await {
            Ok(context) => Ok(LinkPreview::Usable {
                account_name: context.account.name,
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
        let LinkContext {
            link,
            client,
            account,
            pending,
            ..
        } = self.check_link(token).await?;
        let now = self.env.now();
        let lifetime = account.settings.session_lifetime;
        let session = match link.session_id {
            // An API-created session waits for this link: activate it.
            Some(_) => pending
                .filter(|pending| pending.revoked_at.is_none())
                .ok_or(RedeemError::Rejected(LinkRejection::Revoked))?,
            None => PortalSession::pending(SessionId::generate(self.env.random()), &link, now),
        }
        .activate(now, lifetime, info);
        // The browser's old session is ended by its cookie in the same
        // write, without reading it first.
        let replaces = current_secret.and_then(Token::parse).map(|old| old.hash());
        let secret = Token::generate(self.env.random());
        let audit = self
            .env
            .audit(account.id, client.id, AuditAction::SessionStarted)
            .contact(link.contact_id)
            .session(session.id)
            .document(link.document_id)
            .from(info)
            .at(now)
            .build();
        let redeemed = self
            .access
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
    /// Requests are counted per IP and per email in the store, so the
    /// limits hold across processes; an allowed request is queued in the
    /// outbox in the same write, and fulfilled there. The answer is the
    /// same whether or not the email is on file, and takes the same work.
    ///
    /// # Errors
    /// [`RequestLinkError::InvalidEmail`], [`RequestLinkError::RateLimited`].
    pub async fn request_link(
        &self,
        email: &str,
        old_link: Option<&str>,
        old_session: Option<&str>,
        info: &ClientInfo,
    ) -> Result<(), RequestLinkError> {
        let email = EmailAddress::parse("email", email)?;
        let mut account: Option<AccountId> = None;
        let mut previous = None;
        if let Some(token) = old_link.and_then(Token::parse)
            && let Some(link) = self.access.link_by_token(&token.hash()).await?
        {
            account = Some(link.account_id);
            previous = link.document_id.map(|doc| (link.contact_id, doc));
        }
        if account.is_none()
            && let Some(secret) = old_session.and_then(Token::parse)
            && let Some(ctx) = self.access.session_by_secret(&secret.hash()).await?
        {
            account = Some(ctx.account.id);
        }
        // A portal that serves one business needs no old link to know it.
        if account.is_none() {
            account = self.accounts.sole_account().await?;
        }
        let now = self.env.now();
        let policy = self.env.config().link_requests;
        let request = LinkRequest {
            id: LinkRequestId::generate(self.env.random()),
            email: email.clone(),
            ip: info.ip,
            requested_at: now,
        };
        let job = account.map(|account| {
            OutboxMessage::new(
                OutboxId::generate(self.env.random()),
                account,
                OutboxTopic::LinkRequest,
                OutboxPayload::LinkRequest(LinkRequestJob {
                    email,
                    previous,
                    ip: info.ip,
                    user_agent: info.user_agent.clone(),
                }),
                now,
            )
        });
        let counts = self
            .requests
            .record_link_request(
                &request,
                now - policy.window,
                now - LINK_REQUEST_RETENTION,
                policy,
                job.as_ref(),
            )
            .await?;
        if !policy.allows(counts) {
            return Err(RequestLinkError::RateLimited);
        }
        Ok(())
    }

    /// Fulfils a queued request for a new link: one link, emailed, for
    /// every active contact of the account with the requested address whose
    /// client's portal is open; marks the request done in the same write.
    /// Returns how many links went out (zero when nobody matched), or
    /// `None` when another worker took the request over.
    ///
    /// # Errors
    /// When the store fails.
    pub async fn fulfil_request(
        &self,
        message: &OutboxMessage,
        job: &LinkRequestJob,
        claim: ClaimToken,
    ) -> Result<Option<usize>, LinkError> {
        let account = self.accounts.account(message.account_id).await?;
        for _ in 0..UPDATE_ATTEMPTS {
            let mut batch = Batch::new();
            let mut sent = 0;
            if let Some(account) = &account {
                for contact in self.crm.contacts_by_email(account.id, &job.email).await? {
                    let (contact, client) = match self.linkable(account, contact.id, None).await {
                        Ok(found) => found,
                        Err(
                            LinkError::PortalDisabled
                            | LinkError::ClientInactive
                            | LinkError::ContactInactive,
                        ) => continue,
                        Err(other) => return Err(other),
                    };
                    // Open on the old link's document if this contact asked
                    // and the document is still there for them.
                    let document = match job.previous {
                        Some((owner, id)) if owner == contact.id => self
                            .documents
                            .document(account.id, id)
                            .await?
                            .filter(|d| d.client_id() == client.id && d.visible_in_portal())
                            .map(|d| d.id()),
                        _ => None,
                    };
                    let issued = self.mint(account, &contact, document, LinkPurpose::SelfService);
                    let email = notify::portal_link_email(account, &contact, issued.email_link());
                    batch.push(issued.write());
                    batch.push(Write::Enqueue(self.env.email(
                        account.id,
                        OutboxTopic::PortalLink,
                        email,
                        Some(issued.link.id),
                    )));
                    batch.push(Write::Audit(
                        self.env
                            .audit(account.id, client.id, AuditAction::LinkIssued)
                            .contact(contact.id)
                            .document(document)
                            .from(&ClientInfo {
                                ip: job.ip,
                                user_agent: job.user_agent.clone(),
                            })
                            .build(),
                    ));
                    sent += 1;
                }
            }
            batch.push(Write::CompleteOutbox {
                id: message.id,
                claim,
                at: self.env.now(),
            });
            match self.batches.commit(&batch).await {
                Ok(true) => return Ok(Some(sent)),
                Ok(false) => return Ok(None),
                // A portal closed meanwhile: look again without it.
                Err(StoreError::Conflict(Conflict::PortalClosed)) => {}
                Err(other) => return Err(other.into()),
            }
        }
        Err(LinkError::PortalDisabled)
    }
}
