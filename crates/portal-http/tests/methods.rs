//! The saved payment methods page, through the in-process test processor:
//! adding a card, making one the default, removing one; another company's
//! method is not found and stays as it was; with the processor
//! disconnected or failing the page says methods cannot be changed now
//! and nothing is saved.

mod common;

use axum::http::{StatusCode, header};
use common::paying::{Payer, location, pay_action, payer, post_as, sign_in, token, values_after};
use common::processor::SCRIPT_ORIGIN;
use portal_domain::AuditAction;
use portal_domain::service::ProcessorStatus;
use portal_test_processor::{Scenario, TestFault};

/// Adds a card from the add-method page; the page it leads back to.
async fn add(p: &Payer, scenario: Scenario, make_default: bool) -> common::Answer {
    let form = p.post("/portal/methods/new", "").await;
    assert_eq!(form.status, StatusCode::OK, "{}", form.text);
    let default = if make_default { "&make_default=1" } else { "" };
    let answer = p
        .post(
            "/portal/methods",
            &format!("token={}{default}", token(scenario)),
        )
        .await;
    assert_eq!(location(&answer), "/portal/methods?added=1");
    p.get("/portal/methods?added=1").await
}

/// The ids of the methods listed on the page, in order.
fn listed(page: &common::Answer) -> Vec<String> {
    values_after(&page.text, "class=\"method\"", "id")
        .into_iter()
        .map(|id| id.trim_start_matches("method-").to_owned())
        .collect()
}

/// The listed method marked default.
fn default_of(page: &common::Answer) -> Option<String> {
    let ids = listed(page);
    let items: Vec<&str> = page.text.split("class=\"method\"").skip(1).collect();
    ids.into_iter()
        .zip(items)
        .find(|(_, item)| item.split("</li>").next().unwrap().contains(">Default<"))
        .map(|(id, _)| id)
}

#[tokio::test]
async fn an_added_card_is_listed_once_the_processor_confirmed_it() {
    let p = payer().await;
    let home = p.get("/portal").await;
    assert!(
        home.text.contains("href=\"/portal/methods\""),
        "linked from the nav"
    );
    let empty = p.get("/portal/methods").await;
    assert_eq!(empty.status, StatusCode::OK);
    assert!(empty.text.contains("No saved payment methods."));
    assert!(empty.text.contains("id=\"add-method\""));
    assert!(empty.text.contains("Test mode — no real money moves"));

    let form = p.post("/portal/methods/new", "").await;
    for part in [
        "id=\"add-method-form\"",
        "data-pay-form",
        "data-processor=\"test\"",
        "id=\"card-number\"",
        "id=\"make-default\"",
        "id=\"add-submit\"",
    ] {
        assert!(form.text.contains(part), "{part}: {}", form.text);
    }
    let csp = form.headers[header::CONTENT_SECURITY_POLICY]
        .to_str()
        .unwrap();
    assert!(csp.contains(SCRIPT_ORIGIN), "{csp}");

    let form = p.post("/portal/methods/new", "").await;
    assert_eq!(form.status, StatusCode::OK);
    let answer = p
        .post(
            "/portal/methods",
            "token=tok_test_visa_success_exp072031_abcdefghijkl",
        )
        .await;
    assert_eq!(location(&answer), "/portal/methods?added=1");
    let page = p.get("/portal/methods?added=1").await;
    assert!(
        page.text.contains("Your payment method was saved."),
        "{}",
        page.text
    );
    assert!(page.text.contains("Visa •••• 4242"));
    assert!(page.text.contains("expires 07/2031"));
    let ids = listed(&page);
    assert_eq!(ids.len(), 1);
    assert_eq!(
        default_of(&page),
        Some(ids[0].clone()),
        "the first is the default"
    );
    assert!(page.text.contains("Remove"));
    assert!(!page.text.contains("Make default"), "already the default");

    let added = p.audit(AuditAction::PaymentMethodAdded).await;
    assert_eq!(added.len(), 1);
    assert_eq!(
        added[0].contact_id.map(|c| c.to_string()),
        Some(p.contact.clone())
    );
    assert!(added[0].session_id.is_some());

    // It is offered, chosen, on the next pay page.
    let pay = p.pay_page(&[&p.big]).await;
    assert!(
        pay.text.contains(&format!("value=\"{}\" checked", ids[0])),
        "{}",
        pay.text
    );
}

#[tokio::test]
async fn the_default_moves_and_a_removed_method_goes() {
    let p = payer().await;
    add(&p, Scenario::VisaSuccess, false).await;
    let page = add(&p, Scenario::VisaDecline, false).await;
    let ids = listed(&page);
    assert_eq!(ids.len(), 2, "{}", page.text);
    let first = default_of(&page).unwrap();
    let other = ids.iter().find(|id| **id != first).unwrap().clone();
    assert!(page.text.contains("Visa •••• 0341"));

    let answer = p
        .post(&format!("/portal/methods/{other}/default"), "")
        .await;
    assert_eq!(location(&answer), "/portal/methods?defaulted=1");
    let page = p.get("/portal/methods?defaulted=1").await;
    assert!(
        page.text
            .contains("Your default payment method was changed.")
    );
    assert_eq!(default_of(&page), Some(other.clone()));

    let answer = p.post(&format!("/portal/methods/{first}/remove"), "").await;
    assert_eq!(location(&answer), "/portal/methods?removed=1");
    let page = p.get("/portal/methods?removed=1").await;
    assert!(page.text.contains("The payment method was removed."));
    assert_eq!(listed(&page), [other]);
    assert!(!page.text.contains("Visa •••• 4242"));
    // Gone: removing it again finds nothing.
    let again = p.post(&format!("/portal/methods/{first}/remove"), "").await;
    assert_eq!(again.status, StatusCode::NOT_FOUND);

    assert_eq!(p.audit(AuditAction::PaymentMethodDefaulted).await.len(), 1);
    assert_eq!(p.audit(AuditAction::PaymentMethodRemoved).await.len(), 1);
}

#[tokio::test]
async fn a_card_the_processor_refuses_is_not_saved() {
    let p = payer().await;
    let refused = p
        .post("/portal/methods", "token=tok_test_unknown_abcdefghijkl")
        .await;
    assert_eq!(
        refused.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        refused.text
    );
    assert!(refused.text.contains("not a test card"), "{}", refused.text);
    assert_eq!(
        values_after(&refused.text, "id=\"next\"", "href"),
        ["/portal/methods"]
    );
    let missing = p.post("/portal/methods", "token=").await;
    assert_eq!(missing.status, StatusCode::UNPROCESSABLE_ENTITY);
    let page = p.get("/portal/methods").await;
    assert!(listed(&page).is_empty());
    assert!(p.audit(AuditAction::PaymentMethodAdded).await.is_empty());
}

#[tokio::test]
async fn another_companys_method_is_not_found_and_stays_as_it_was() {
    let p = payer().await;
    let (globex, contact) = p.w.client_and_contact("Globex", "ap@globex.example").await;
    let invoice = p.w.invoice(&globex, "INV-9", "USD", 20_000).await;
    p.w.send_invoice(&invoice, &contact).await;
    let theirs_cookie = sign_in(&p.w).await;
    let answer = post_as(
        &p.w,
        &theirs_cookie,
        "/portal/methods",
        &format!("token={}", token(Scenario::VisaSuccess)),
    )
    .await;
    location(&answer);
    let theirs_page = p.w.page("/portal/methods", Some(&theirs_cookie)).await;
    let theirs = listed(&theirs_page);
    assert_eq!(theirs.len(), 1);

    // Acme sees none of it and can change none of it.
    let ours = p.get("/portal/methods").await;
    assert!(listed(&ours).is_empty());
    for path in [
        format!("/portal/methods/{}/default", theirs[0]),
        format!("/portal/methods/{}/remove", theirs[0]),
        "/portal/methods/00000000-0000-4000-8000-000000000000/remove".to_owned(),
        "/portal/methods/not-an-id/default".to_owned(),
    ] {
        let answer = p.post(&path, "").await;
        assert_eq!(
            answer.status,
            StatusCode::NOT_FOUND,
            "{path}: {}",
            answer.text
        );
    }
    // Nor pay with it.
    let pay = p.pay_page(&[&p.big]).await;
    let answer = p
        .post(&pay_action(&pay), &format!("method={}", theirs[0]))
        .await;
    assert_eq!(answer.status, StatusCode::NOT_FOUND);

    let after = p.w.page("/portal/methods", Some(&theirs_cookie)).await;
    assert_eq!(listed(&after), theirs);
    assert_eq!(default_of(&after), Some(theirs[0].clone()));
    assert!(p.audit(AuditAction::PaymentMethodRemoved).await.is_empty());
    assert!(
        p.audit(AuditAction::PaymentMethodDefaulted)
            .await
            .is_empty()
    );
}

#[tokio::test]
async fn with_the_processor_failing_methods_cannot_be_changed_and_nothing_is_saved() {
    let p = payer().await;
    add(&p, Scenario::VisaSuccess, false).await;
    let ProcessorStatus::Connected { connection, .. } =
        p.w.services.processors.status(&p.w.account).await.unwrap()
    else {
        panic!("connected");
    };
    p.w.processor
        .state
        .inject(connection, TestFault::ServerError, 1_000);

    let add_page = p.post("/portal/methods/new", "").await;
    assert_eq!(
        add_page.status,
        StatusCode::SERVICE_UNAVAILABLE,
        "{}",
        add_page.text
    );
    assert!(add_page.text.contains("cannot be changed now"));
    let saved = p
        .post(
            "/portal/methods",
            &format!("token={}", token(Scenario::VisaDecline)),
        )
        .await;
    assert_eq!(
        saved.status,
        StatusCode::SERVICE_UNAVAILABLE,
        "{}",
        saved.text
    );
    assert!(saved.text.contains("Nothing was saved"));

    let page = p.get("/portal/methods").await;
    assert!(page.text.contains("id=\"methods-locked\""), "{}", page.text);
    assert!(page.text.contains("Payment methods cannot be changed now"));
    assert!(!page.text.contains("id=\"add-method\""));
    assert!(!page.text.contains("Remove") && !page.text.contains("Make default"));
    let ids = listed(&page);
    assert_eq!(ids.len(), 1, "only the card saved before");
    let remove = p
        .post(&format!("/portal/methods/{}/remove", ids[0]), "")
        .await;
    assert_eq!(remove.status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(listed(&p.get("/portal/methods").await), ids);
    assert_eq!(p.audit(AuditAction::PaymentMethodAdded).await.len(), 1);
    assert!(p.audit(AuditAction::PaymentMethodRemoved).await.is_empty());
}

#[tokio::test]
async fn with_the_processor_disconnected_methods_cannot_be_changed() {
    let p = payer().await;
    add(&p, Scenario::VisaSuccess, false).await;
    assert!(
        p.w.services
            .processors
            .disconnect(&p.w.account)
            .await
            .unwrap()
    );

    let page = p.get("/portal/methods").await;
    assert!(page.text.contains("id=\"methods-locked\""), "{}", page.text);
    assert!(page.text.contains("does not take payments online"));
    assert!(
        listed(&page).is_empty(),
        "methods of a past connection are not offered"
    );
    assert!(!page.text.contains("id=\"add-method\""));
    assert!(!page.text.contains("Test mode"));
    let new = p.post("/portal/methods/new", "").await;
    assert_eq!(new.status, StatusCode::CONFLICT);
    assert!(new.text.contains("cannot be changed now"));
    let saved = p
        .post(
            "/portal/methods",
            &format!("token={}", token(Scenario::VisaSuccess)),
        )
        .await;
    assert_eq!(saved.status, StatusCode::CONFLICT);
    assert_eq!(p.audit(AuditAction::PaymentMethodAdded).await.len(), 1);
}
