//! Links: previews change nothing, redemption is single-use and expiring,
//! closed portals issue nothing, and "email me a new link" is neutral and
//! rate-limited.

use chrono::Duration;

use super::{World, browser, link_token};
use crate::model::{AuditAction, ClientPatch, LinkRequestPolicy, SessionStatus};
use crate::service::{LinkError, LinkPreview, LinkRejection, RedeemError, RequestLinkError};
use crate::testing::block_on;

#[test]
fn previewing_a_link_does_not_use_it() {
    let w = World::new();
    let invoice = w.invoice(&w.client, "INV-1");
    let token = w.send(&invoice, &w.contact);
    for _ in 0..3 {
        let preview = block_on(w.s.links.preview_link(&token)).unwrap();
        assert_eq!(
            preview,
            LinkPreview::Usable {
                account_name: w.account.name.clone()
            }
        );
    }
    let redeemed = block_on(w.s.links.redeem_link(&token, &browser(), None)).unwrap();
    assert_eq!(redeemed.document, Some(invoice.id()));
    assert_eq!(
        block_on(w.s.links.preview_link(&token)).unwrap(),
        LinkPreview::Unusable(LinkRejection::Used)
    );
}

#[test]
fn a_link_opens_one_session_only() {
    let w = World::new();
    let token = w.send(&w.invoice(&w.client, "INV-1"), &w.contact);
    let first = block_on(w.s.links.redeem_link(&token, &browser(), None)).unwrap();
    assert_eq!(first.session.contact_id, w.contact.id);
    assert_eq!(first.session.ip, browser().ip);
    assert_eq!(first.session.expires_at, w.now() + Duration::days(7));
    match block_on(w.s.links.redeem_link(&token, &browser(), None)) {
        Err(RedeemError::Rejected(LinkRejection::Used)) => {}
        other => panic!("expected a used link, got {other:?}"),
    }
}

#[test]
fn links_expire_at_their_lifetime() {
    let w = World::new();
    let token = w.send(&w.invoice(&w.client, "INV-1"), &w.contact);
    w.clock.advance(Duration::days(14));
    assert!(matches!(
        block_on(w.s.links.redeem_link(&token, &browser(), None)),
        Err(RedeemError::Rejected(LinkRejection::Expired))
    ));
}

#[test]
fn malformed_and_unknown_tokens_are_rejected_without_detail() {
    let w = World::new();
    for (token, why) in [
        ("short", LinkRejection::Malformed),
        ("<script>alert(1)</script>", LinkRejection::Malformed),
        (
            "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
            LinkRejection::Unknown,
        ),
    ] {
        assert_eq!(
            block_on(w.s.links.preview_link(token)).unwrap(),
            LinkPreview::Unusable(why)
        );
    }
}

#[test]
fn a_closed_portal_stops_links_and_sessions() {
    let w = World::new();
    let invoice = w.invoice(&w.client, "INV-1");
    let unused = w.send(&invoice, &w.contact);
    let used = w.send(&invoice, &w.contact);
    let session = block_on(w.s.links.redeem_link(&used, &browser(), None)).unwrap();

    let patch = ClientPatch {
        portal_enabled: Some(false),
        ..ClientPatch::default()
    };
    let update = block_on(w.s.crm.update_client(&w.account, w.client.id, patch)).unwrap();
    assert_eq!(update.sessions_revoked, 1);

    assert!(block_on(w.s.sessions.authenticate(Some(session.secret.expose()))).is_err());
    assert!(matches!(
        block_on(w.s.links.redeem_link(&unused, &browser(), None)),
        Err(RedeemError::Rejected(LinkRejection::Revoked))
    ));
    assert!(matches!(
        block_on(w.s.links.portal_link(&w.account, w.contact.id, None, false)),
        Err(LinkError::PortalDisabled)
    ));
    assert!(matches!(
        block_on(w.s.sessions.create_session(&w.account, w.contact.id, None)),
        Err(LinkError::PortalDisabled)
    ));
    let details = block_on(w.s.sessions.session_details(&w.account, session.session.id)).unwrap();
    assert_eq!(details.status, SessionStatus::Revoked);

    // Turning it back on does not revive old links; new ones work.
    let patch = ClientPatch {
        portal_enabled: Some(true),
        ..ClientPatch::default()
    };
    block_on(w.s.crm.update_client(&w.account, w.client.id, patch)).unwrap();
    assert!(block_on(w.s.links.redeem_link(&unused, &browser(), None)).is_err());
    let fresh = block_on(w.s.links.portal_link(&w.account, w.contact.id, None, false)).unwrap();
    let token = fresh.url.rsplit('/').next().unwrap();
    assert!(block_on(w.s.links.redeem_link(token, &browser(), None)).is_ok());
}

#[test]
fn an_inactive_client_gets_no_links() {
    let w = World::new();
    let patch = ClientPatch {
        active: Some(false),
        ..ClientPatch::default()
    };
    block_on(w.s.crm.update_client(&w.account, w.client.id, patch)).unwrap();
    assert!(matches!(
        block_on(w.s.links.portal_link(&w.account, w.contact.id, None, true)),
        Err(LinkError::ClientInactive)
    ));
    assert!(w.mailer.sent().is_empty());
}

#[test]
fn operator_links_can_be_emailed_and_are_audited() {
    let w = World::new();
    let issued = block_on(w.s.links.portal_link(&w.account, w.contact.id, None, true)).unwrap();
    assert_eq!(w.deliver().sent, 1);
    let email = w.last_email();
    assert_eq!(email.to, w.contact.email);
    assert!(email.text.contains(&issued.url));
    assert!(
        !format!("{issued:?}").contains(&issued.url),
        "Debug must not leak the token"
    );
    let events = block_on(w.s.crm.client_audit(
        &w.account,
        w.client.id,
        crate::model::PageRequest::first(10),
    ))
    .unwrap()
    .items;
    assert_eq!(events[0].action, AuditAction::LinkIssued);
}

#[test]
fn new_links_go_only_to_contacts_on_file() {
    let w = World::new();
    let invoice = w.invoice(&w.client, "INV-1");
    let token = w.send(&invoice, &w.contact);
    block_on(w.s.links.redeem_link(&token, &browser(), None)).unwrap();
    let before = w.mailer.sent().len();

    // A stranger's address: accepted, queued like any other, nothing sent.
    block_on(
        w.s.links
            .request_link("stranger@evil.example", Some(&token), None, &browser()),
    )
    .unwrap();
    let report = w.deliver();
    assert_eq!(
        (report.claimed, report.sent),
        (1, 1),
        "the request itself is done"
    );
    assert_eq!(w.mailer.sent().len(), before);

    // The contact's own address, typed in another case: a fresh link that
    // opens on the same invoice.
    block_on(
        w.s.links
            .request_link("PAT@acme.example", Some(&token), None, &browser()),
    )
    .unwrap();
    // The request, then the email it queued.
    assert_eq!(w.deliver().sent, 2);
    assert_eq!(w.mailer.sent().len(), before + 1);
    let fresh = link_token(&w.last_email());
    let redeemed = block_on(w.s.links.redeem_link(&fresh, &browser(), None)).unwrap();
    assert_eq!(redeemed.document, Some(invoice.id()));
    let events = block_on(w.s.crm.client_audit(&w.account, w.client.id, super::page()))
        .unwrap()
        .items;
    assert!(events.iter().any(|e| e.action == AuditAction::LinkIssued
        && e.user_agent.as_deref() == Some("Mozilla/5.0 test")));

    // A deactivated contact gets nothing.
    let patch = crate::model::ContactPatch {
        active: Some(false),
        ..Default::default()
    };
    block_on(w.s.crm.update_contact(&w.account, w.contact.id, patch)).unwrap();
    let before = w.mailer.sent().len();
    block_on(
        w.s.links
            .request_link("pat@acme.example", None, None, &browser()),
    )
    .unwrap();
    w.deliver();
    assert_eq!(w.mailer.sent().len(), before);

    // On a portal serving several businesses, an unknown link names none,
    // so nothing is even queued.
    block_on(
        w.s.accounts
            .create_account(super::name("Another business"), false),
    )
    .unwrap();
    block_on(
        w.s.links
            .request_link("pat@acme.example", Some("nonsense"), None, &browser()),
    )
    .unwrap();
    assert_eq!(w.deliver().claimed, 0);
}

#[test]
fn link_requests_are_rate_limited_per_email_and_per_ip() {
    let w = World::new();
    let policy = LinkRequestPolicy::default();
    for _ in 0..policy.per_email {
        block_on(
            w.s.links
                .request_link("pat@acme.example", None, None, &browser()),
        )
        .unwrap();
    }
    assert!(matches!(
        block_on(
            w.s.links
                .request_link("pat@acme.example", None, None, &browser())
        ),
        Err(RequestLinkError::RateLimited)
    ));
    let mut last = None;
    for i in 0..policy.per_ip {
        last = Some(block_on(w.s.links.request_link(
            &format!("x{i}@example.com"),
            None,
            None,
            &browser(),
        )));
    }
    assert!(matches!(last, Some(Err(RequestLinkError::RateLimited))));
    // An hour later the window has moved on.
    w.clock.advance(policy.window);
    assert!(
        block_on(
            w.s.links
                .request_link("pat@acme.example", None, None, &browser())
        )
        .is_ok()
    );
    assert!(matches!(
        block_on(
            w.s.links
                .request_link("not an email", None, None, &browser())
        ),
        Err(RequestLinkError::InvalidEmail(_))
    ));
}
