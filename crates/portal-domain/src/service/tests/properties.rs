//! Properties of the rules that matter most, over generated cases: a link
//! opens at most one session whatever the order of attempts and the clock,
//! and a session sees exactly its own company's non-draft documents.

use chrono::Duration;
use proptest::prelude::*;

use super::{World, browser};
use crate::model::{DocumentId, DocumentStatus};
use crate::service::{HomePages, ViewError};
use crate::testing::block_on;

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn a_link_opens_at_most_one_session(
        attempts in 1usize..6,
        delays_minutes in proptest::collection::vec(0i64..30_000, 1..6),
    ) {
        let w = World::new();
        let token = w.send(&w.invoice(&w.client, "INV-1"), &w.contact);
        let lifetime = Duration::days(14);
        let mut elapsed = Duration::zero();
        let mut opened = 0;
        for i in 0..attempts {
            let delay = Duration::minutes(delays_minutes[i % delays_minutes.len()]);
            w.clock.advance(delay);
            elapsed += delay;
            if block_on(w.s.links.redeem_link(&token, &browser(), None)).is_ok() {
                opened += 1;
                prop_assert!(elapsed < lifetime, "opened after expiry");
            }
        }
        prop_assert!(opened <= 1);
        prop_assert_eq!(opened == 1, elapsed_until_first_ok(&delays_minutes, lifetime));
    }

    #[test]
    fn a_session_sees_exactly_its_companys_sent_documents(
        documents in proptest::collection::vec((any::<bool>(), 0u8..4), 1..12),
    ) {
        let w = World::new();
        let other = w.client_named("Globex");
        let other_contact = w.contact(&other, "ap@globex.example");
        let mut expected_visible: Vec<DocumentId> = Vec::new();
        let mut all = Vec::new();
        for (i, (mine, state)) in documents.iter().enumerate() {
            let (client, contact) = if *mine { (&w.client, &w.contact) } else { (&other, &other_contact) };
            let doc = w.invoice(client, &format!("D-{i}"));
            // 0: draft, 1: sent, 2: paid, 3: void after sending.
            if *state >= 1 {
                w.send(&doc, contact);
            }
            if *state == 2 {
                block_on(w.s.payments.mark_paid(&w.account, doc.id(), crate::service::MarkPaid {
                    kind: Some(crate::model::ManualKind::BankTransfer),
                    reference: None,
                    received_at: None,
                    notify_contact: None,
                })).unwrap();
            }
            if *state == 3 {
                block_on(w.s.documents.void_document(&w.account, doc.kind(), doc.id())).unwrap();
            }
            if *mine && *state >= 1 {
                expected_visible.push(doc.id());
            }
            all.push(doc.id());
        }
        let ctx = w.sign_in(&w.contact);

        let home = block_on(w.s.views.portal_home(&ctx, &browser(), HomePages::default())).unwrap();
        let mut shown: Vec<DocumentId> = home.outstanding.iter().chain(&home.documents.items).map(|d| d.id).collect();
        shown.sort();
        let mut expected = expected_visible.clone();
        expected.sort();
        prop_assert_eq!(&shown, &expected);
        prop_assert!(home.outstanding.iter().all(|d| d.status == DocumentStatus::Open));
        for id in all {
            let outcome = block_on(w.s.views.portal_document(&ctx, id, &browser()));
            if expected_visible.contains(&id) {
                prop_assert!(outcome.is_ok());
            } else {
                prop_assert!(matches!(outcome, Err(ViewError::NotFound)));
            }
        }
    }
}

/// Whether some attempt happens before the link's lifetime ends, given the
/// delay pattern (the first attempt comes after the first delay).
fn elapsed_until_first_ok(delays_minutes: &[i64], lifetime: Duration) -> bool {
    Duration::minutes(delays_minutes[0]) < lifetime
}
