//! Sessions: timeouts enforced on every request, sign-out and operator
//! revocation, one session per browser, API-created pending sessions, and
//! the company scope of everything a session sees.

use chrono::Duration;

use super::{World, browser};
use crate::model::{AuditAction, ClientPatch, DocumentId, SessionStatus};
use crate::service::{AccessError, HomePages, ViewError};
use crate::testing::block_on;

#[test]
fn sessions_end_after_their_idle_timeout_or_lifetime() {
    let w = World::new();
    let token = w.send(&w.invoice(&w.client, "INV-1"), &w.contact);
    let redeemed = block_on(w.s.links.redeem_link(&token, &browser(), None)).unwrap();
    let secret = redeemed.secret.expose().to_owned();

    // Active use keeps the session alive through idle periods...
    for _ in 0..3 {
        w.clock.advance(Duration::days(2) - Duration::minutes(1));
        block_on(w.s.sessions.authenticate(Some(&secret))).unwrap();
    }
    // ...but never beyond its absolute lifetime.
    w.clock.advance(Duration::days(1) + Duration::minutes(3));
    assert!(matches!(
        block_on(w.s.sessions.authenticate(Some(&secret))),
        Err(AccessError::Ended(SessionStatus::Expired))
    ));

    let token = w.send(&w.invoice(&w.client, "INV-2"), &w.contact);
    let idle = block_on(w.s.links.redeem_link(&token, &browser(), None)).unwrap();
    w.clock.advance(Duration::days(2));
    assert!(matches!(
        block_on(w.s.sessions.authenticate(Some(idle.secret.expose()))),
        Err(AccessError::Ended(SessionStatus::Expired))
    ));
}

#[test]
fn missing_or_forged_cookies_get_no_session() {
    let w = World::new();
    for cookie in [
        None,
        Some(""),
        Some("x"),
        Some("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"),
    ] {
        assert!(matches!(
            block_on(w.s.sessions.authenticate(cookie)),
            Err(AccessError::NoSession)
        ));
    }
}

#[test]
fn signing_out_ends_the_session_server_side() {
    let w = World::new();
    let token = w.send(&w.invoice(&w.client, "INV-1"), &w.contact);
    let redeemed = block_on(w.s.links.redeem_link(&token, &browser(), None)).unwrap();
    let ctx = block_on(w.s.sessions.authenticate(Some(redeemed.secret.expose()))).unwrap();
    block_on(w.s.sessions.sign_out(&ctx, &browser())).unwrap();
    assert!(matches!(
        block_on(w.s.sessions.authenticate(Some(redeemed.secret.expose()))),
        Err(AccessError::Ended(SessionStatus::Revoked))
    ));
    let details = block_on(w.s.sessions.session_details(&w.account, ctx.session.id)).unwrap();
    let actions: Vec<_> = details.events.iter().map(|e| e.action).collect();
    assert_eq!(
        actions,
        vec![AuditAction::SessionStarted, AuditAction::SignedOut]
    );
}

#[test]
fn a_new_link_in_the_same_browser_replaces_its_session() {
    let w = World::new();
    let invoice = w.invoice(&w.client, "INV-1");
    let first = block_on(
        w.s.links
            .redeem_link(&w.send(&invoice, &w.contact), &browser(), None),
    )
    .unwrap();
    let second = block_on(w.s.links.redeem_link(
        &w.send(&invoice, &w.contact),
        &browser(),
        Some(first.secret.expose()),
    ))
    .unwrap();
    assert_ne!(first.session.id, second.session.id);
    assert_ne!(first.secret.expose(), second.secret.expose());
    assert!(block_on(w.s.sessions.authenticate(Some(first.secret.expose()))).is_err());
    assert!(block_on(w.s.sessions.authenticate(Some(second.secret.expose()))).is_ok());
}

#[test]
fn api_sessions_are_pending_until_their_link_is_used() {
    let w = World::new();
    let issued = block_on(w.s.sessions.create_session(&w.account, w.contact.id, None)).unwrap();
    let id = issued.pending_session.as_ref().unwrap().id;
    let details = block_on(w.s.sessions.session_details(&w.account, id)).unwrap();
    assert_eq!(details.status, SessionStatus::Pending);
    assert_eq!(details.contact.as_ref(), Some(&w.contact));

    w.clock.advance(Duration::hours(1));
    let token = issued.url.rsplit('/').next().unwrap();
    let redeemed = block_on(w.s.links.redeem_link(token, &browser(), None)).unwrap();
    assert_eq!(
        redeemed.session.id, id,
        "the pending session is the one activated"
    );
    let details = block_on(w.s.sessions.session_details(&w.account, id)).unwrap();
    assert_eq!(details.status, SessionStatus::Active);
    assert_eq!(
        details.session.user_agent.as_deref(),
        Some("Mozilla/5.0 test")
    );
    assert_eq!(details.session.activated_at, Some(w.now()));

    let revoked = block_on(w.s.sessions.revoke_session(&w.account, id)).unwrap();
    assert_eq!(revoked.status, SessionStatus::Revoked);
    assert!(block_on(w.s.sessions.authenticate(Some(redeemed.secret.expose()))).is_err());
    // Revoking twice is harmless.
    assert_eq!(
        block_on(w.s.sessions.revoke_session(&w.account, id))
            .unwrap()
            .status,
        SessionStatus::Revoked
    );
}

#[test]
fn a_pending_session_expires_with_its_link() {
    let w = World::new();
    let issued = block_on(w.s.sessions.create_session(&w.account, w.contact.id, None)).unwrap();
    let id = issued.pending_session.unwrap().id;
    w.clock.advance(Duration::days(14));
    assert_eq!(
        block_on(w.s.sessions.session_details(&w.account, id))
            .unwrap()
            .status,
        SessionStatus::Expired
    );
}

#[test]
fn a_session_sees_only_its_own_companys_sent_documents() {
    let w = World::new();
    let mine = w.invoice(&w.client, "INV-1");
    let draft = w.invoice(&w.client, "INV-2");
    let other_client = block_on(
        w.s.crm
            .create_client(&w.account, super::name("Globex"), true),
    )
    .unwrap();
    let other_contact = w.contact(&other_client, "ap@globex.example");
    let theirs = w.invoice(&other_client, "INV-3");
    w.send(&theirs, &other_contact);

    let token = w.send(&mine, &w.contact);
    let redeemed = block_on(w.s.links.redeem_link(&token, &browser(), None)).unwrap();
    let ctx = block_on(w.s.sessions.authenticate(Some(redeemed.secret.expose()))).unwrap();

    let home = block_on(
        w.s.views
            .portal_home(&ctx, &browser(), HomePages::default()),
    )
    .unwrap();
    let ids: Vec<DocumentId> = home.outstanding.iter().map(|d| d.id).collect();
    assert_eq!(ids, vec![mine.id()]);
    assert!(home.documents.items.is_empty());
    assert_eq!(home.total_due.len(), 1);
    assert_eq!(home.total_due[0].minor(), 150_000);

    assert!(block_on(w.s.views.portal_document(&ctx, mine.id(), &browser())).is_ok());
    for hidden in [draft.id(), theirs.id()] {
        assert!(matches!(
            block_on(w.s.views.portal_document(&ctx, hidden, &browser())),
            Err(ViewError::NotFound)
        ));
    }
    let events = block_on(w.s.crm.client_audit(
        &w.account,
        w.client.id,
        crate::model::PageRequest::first(10),
    ))
    .unwrap()
    .items;
    let views: Vec<_> = events
        .iter()
        .filter(|e| {
            e.action == AuditAction::DocumentViewed || e.action == AuditAction::PortalViewed
        })
        .collect();
    assert_eq!(views.len(), 2, "one event per page view that succeeded");
    assert!(
        views
            .iter()
            .all(|e| e.session_id == Some(ctx.session.id) && e.ip == browser().ip)
    );
}

#[test]
fn several_contacts_of_one_company_have_their_own_sessions() {
    let w = World::new();
    let cfo = w.contact(&w.client, "cfo@acme.example");
    let invoice = w.invoice(&w.client, "INV-1");
    let pat = block_on(
        w.s.links
            .redeem_link(&w.send(&invoice, &w.contact), &browser(), None),
    )
    .unwrap();
    let token = w.send(&invoice, &cfo);
    assert_eq!(w.last_email().to, cfo.email);
    let other = block_on(w.s.links.redeem_link(&token, &browser(), None)).unwrap();
    assert_ne!(pat.session.id, other.session.id);
    assert_eq!(other.session.contact_id, cfo.id);
    assert_eq!(other.session.client_id, pat.session.client_id);
    let ctx = block_on(w.s.sessions.authenticate(Some(other.secret.expose()))).unwrap();
    assert_eq!(ctx.contact.id, cfo.id);
}

#[test]
fn deactivating_the_client_ends_its_sessions() {
    let w = World::new();
    let token = w.send(&w.invoice(&w.client, "INV-1"), &w.contact);
    let redeemed = block_on(w.s.links.redeem_link(&token, &browser(), None)).unwrap();
    let patch = ClientPatch {
        active: Some(false),
        ..ClientPatch::default()
    };
    assert_eq!(
        block_on(w.s.crm.update_client(&w.account, w.client.id, patch))
            .unwrap()
            .sessions_revoked,
        1
    );
    assert!(block_on(w.s.sessions.authenticate(Some(redeemed.secret.expose()))).is_err());
}
