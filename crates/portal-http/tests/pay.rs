//! Pay Now through the in-process test processor, as a client's browser
//! drives it: the pay page, a new or saved card, declines, 3-D Secure,
//! several invoices in one charge, part payments, and the guarantees that
//! a pay form charges once however often it is posted and that nobody
//! pays with another company's method or form.

mod common;

use std::sync::Arc;

use axum::http::{StatusCode, header};
use chrono::Duration;
use common::paying::{
    AGENT, Payer, location, pay_action, payer, payer_with, payment_id, post_as, sign_in, token,
    values_after,
};
use common::processor::{CONNECT_ORIGIN, FRAME_ORIGIN, SCRIPT_ORIGIN};
use common::{World, set_cookie};
use portal_domain::ports::WebhookRequest;
use portal_domain::{AuditAction, DocumentStatus, PaymentStatus, ProcessorKind};
use portal_http::HttpConfig;
use portal_test_processor::{Scenario, TestProcessor};
use portal_test_support::cards::assert_no_card_numbers;

/// The payment page a pay form's answer leads to, as the browser shows it.
async fn result(p: &Payer, answer: &common::Answer) -> (String, common::Answer) {
    let path = location(answer);
    assert!(path.starts_with("/portal/payments/"), "{path}");
    let page = p.get(&path).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.text);
    (path, page)
}

#[tokio::test]
async fn a_new_test_card_pays_the_invoice_at_once_and_a_receipt_goes_out() {
    let p = payer().await;
    let invoice = p.get(&format!("/portal/documents/{}", p.big)).await;
    assert!(invoice.text.contains("id=\"pay-now\""), "{}", invoice.text);
    assert!(invoice.text.contains("Test mode — no real money moves"));
    assert!(!invoice.text.contains("use the payment instructions"));

    let page = p.pay_page(&[&p.big]).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.text);
    for part in [
        "Pay invoice INV-1",
        "Test mode — no real money moves",
        "id=\"pay-total\">$1,000.00<",
        "id=\"card-number\"",
        "id=\"save-card\"",
        "Pay $1,000.00",
        "data-processor=\"test\"",
        "/portal/assets/test-processor.js?v=",
        "/portal/assets/pay.js?v=",
    ] {
        assert!(page.text.contains(part), "{part}: {}", page.text);
    }
    // The card fields have no name: the browser never posts them.
    for field in ["card-number", "card-expiry", "card-cvc"] {
        let tag = &page.text[page.text.find(&format!("id=\"{field}\"")).unwrap()..];
        let tag = &tag[..tag.find('>').unwrap()];
        assert!(!tag.contains("name="), "{tag}");
    }
    assert!(!page.text.contains("<script>"), "no inline script");
    assert!(!page.text.contains("Partial") && !page.text.contains("id=\"amount\""));

    let answer = p
        .post(
            &pay_action(&page),
            &format!("method=new&token={}", token(Scenario::VisaSuccess)),
        )
        .await;
    let (path, shown) = result(&p, &answer).await;
    assert!(shown.text.contains("Payment received"), "{}", shown.text);
    assert!(shown.text.contains("id=\"payment-succeeded\""));
    assert!(shown.text.contains("$1,000.00"));
    assert!(shown.text.contains("Test mode"));

    let payment = p.payment(payment_id(&path)).await;
    assert_eq!(payment.status(), PaymentStatus::Succeeded);
    assert_eq!(payment.amount().minor(), 100_000);
    assert!(payment.processor().unwrap().reference.is_some());
    assert_eq!(p.invoice(&p.big).await.status(), DocumentStatus::Paid);
    assert_eq!(p.invoice(&p.small).await.status(), DocumentStatus::Open);
    assert_eq!(p.w.processor.charges(), 1);

    // The receipt waits in the outbox and goes out with it.
    let before = p.w.mailer.sent().len();
    p.w.deliver().await;
    let sent = p.w.mailer.sent();
    assert_eq!(sent.len(), before + 1);
    let receipt = sent.last().unwrap();
    assert_eq!(receipt.to.as_str(), "ap@acme.example");
    assert!(
        receipt
            .text
            .contains("has received your payment of $1,000.00"),
        "{}",
        receipt.text
    );
    assert_no_card_numbers("the receipt", &receipt.text);

    // Paid: no more Pay now, and no pay page for it.
    let invoice = p.get(&format!("/portal/documents/{}", p.big)).await;
    assert!(!invoice.text.contains("id=\"pay-now\""));
    let back = p.pay_page(&[&p.big]).await;
    assert_eq!(back.status, StatusCode::NOT_FOUND);
    assert!(back.text.contains("Nothing to pay here"), "{}", back.text);
}

#[tokio::test]
async fn paying_is_audited_with_contact_session_address_and_browser() {
    let p = payer_with(HttpConfig {
        trust_forwarded_for: true,
        ..HttpConfig::default()
    })
    .await;
    let answer = p.pay_with(&[&p.small], Scenario::VisaSuccess, true).await;
    location(&answer);
    let submitted = p.audit(AuditAction::PaymentSubmitted).await;
    assert_eq!(submitted.len(), 1);
    let event = &submitted[0];
    assert_eq!(
        event.contact_id.map(|c| c.to_string()),
        Some(p.contact.clone())
    );
    assert!(event.session_id.is_some() && event.payment_id.is_some());
    assert_eq!(event.ip, "203.0.113.7".parse().ok());
    assert_eq!(event.user_agent.as_deref(), Some(AGENT));
    let added = p.audit(AuditAction::PaymentMethodAdded).await;
    assert_eq!(added.len(), 1, "save=1 saved the card");
    assert_eq!(added[0].user_agent.as_deref(), Some(AGENT));
}

#[tokio::test]
async fn a_declined_card_says_why_and_leaves_the_invoice_unpaid() {
    let p = payer().await;
    let answer = p.pay_with(&[&p.big], Scenario::VisaDecline, false).await;
    let (path, shown) = result(&p, &answer).await;
    assert!(shown.text.contains("The payment did not go through"));
    assert!(shown.text.contains("declined"), "{}", shown.text);
    assert!(shown.text.contains("your invoice is unchanged"));
    // "Try again" posts for a fresh pay page for the same invoice.
    assert!(shown.text.contains("id=\"try-again\""), "{}", shown.text);
    let again = values_after(&shown.text, "class=\"try-again\"", "action");
    assert_eq!(again, ["/portal/pay"]);
    let invoices = values_after(&shown.text, "name=\"invoice\"", "value");
    assert_eq!(invoices, std::slice::from_ref(&p.big));
    let fresh = p.post(&again[0], &format!("invoice={}", p.big)).await;
    assert_eq!(fresh.status, StatusCode::OK);
    assert_ne!(pay_action(&fresh), "", "a new checkout");

    assert_eq!(
        p.payment(payment_id(&path)).await.status(),
        PaymentStatus::Failed
    );
    let invoice = p.invoice(&p.big).await;
    assert_eq!(invoice.status(), DocumentStatus::Open);
    assert_eq!(invoice.amount_due().minor(), 100_000);
    assert!(
        p.payments()
            .await
            .iter()
            .all(|p| p.status() != PaymentStatus::Succeeded)
    );
    // Nothing to mail.
    let before = p.w.mailer.sent().len();
    p.w.deliver().await;
    assert_eq!(p.w.mailer.sent().len(), before);
}

#[tokio::test]
async fn a_card_that_is_not_a_test_card_is_refused_with_the_test_cards() {
    let p = payer().await;
    let page = p.pay_page(&[&p.big]).await;
    let answer = p
        .post(
            &pay_action(&page),
            "method=new&token=tok_test_unknown_abcdefghijkl",
        )
        .await;
    let (_, shown) = result(&p, &answer).await;
    assert!(shown.text.contains("not a test card"), "{}", shown.text);
    assert_eq!(p.invoice(&p.big).await.status(), DocumentStatus::Open);
}

#[tokio::test]
async fn three_d_secure_pays_only_once_the_cardholder_authenticates() {
    let p = payer().await;
    let answer = p.pay_with(&[&p.big], Scenario::Visa3ds, false).await;
    // The challenge is shown in answer to the post: its secret never
    // goes into an address.
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.text);
    assert!(
        answer.text.contains("id=\"test-challenge\""),
        "{}",
        answer.text
    );
    assert!(answer.text.contains("Complete authentication"));
    assert!(answer.text.contains("Fail authentication"));
    assert!(answer.text.contains("Test mode"));
    let csp = answer.headers[header::CONTENT_SECURITY_POLICY]
        .to_str()
        .unwrap();
    assert!(csp.contains(SCRIPT_ORIGIN), "{csp}");
    let confirm = values_after(&answer.text, "id=\"confirm-form\"", "action");
    let path = confirm[0].trim_end_matches("/confirm").to_owned();
    let id = payment_id(&path);

    // Not paid before the processor says so: not on the payment's page,
    // not after asking again.
    assert_eq!(p.payment(id).await.status(), PaymentStatus::Pending);
    assert_eq!(p.invoice(&p.big).await.status(), DocumentStatus::Open);
    let waiting = p.get(&path).await;
    assert!(
        waiting.text.contains("Payment not confirmed yet"),
        "{}",
        waiting.text
    );
    let again = p.post(&confirm[0], "").await;
    assert_eq!(
        again.status,
        StatusCode::OK,
        "still waiting: the challenge again"
    );
    assert!(again.text.contains("id=\"test-challenge\""));
    assert_eq!(p.payment(id).await.status(), PaymentStatus::Pending);
    assert_eq!(p.invoice(&p.big).await.status(), DocumentStatus::Open);

    let passed = p
        .post(&format!("{path}/test-challenge"), "outcome=complete")
        .await;
    assert_eq!(location(&passed), path);
    let shown = p.get(&path).await;
    assert!(shown.text.contains("Payment received"), "{}", shown.text);
    assert_eq!(p.payment(id).await.status(), PaymentStatus::Succeeded);
    assert_eq!(p.invoice(&p.big).await.status(), DocumentStatus::Paid);
    assert_eq!(p.w.processor.charges(), 1);
}

#[tokio::test]
async fn a_failed_challenge_fails_the_payment_and_leaves_the_invoice() {
    let p = payer().await;
    let answer = p.pay_with(&[&p.big], Scenario::Visa3ds, false).await;
    let confirm = values_after(&answer.text, "id=\"confirm-form\"", "action");
    let path = confirm[0].trim_end_matches("/confirm").to_owned();
    let failed = p
        .post(&format!("{path}/test-challenge"), "outcome=fail")
        .await;
    assert_eq!(location(&failed), path);
    let shown = p.get(&path).await;
    assert!(
        shown.text.contains("The payment did not go through"),
        "{}",
        shown.text
    );
    assert_eq!(
        p.payment(payment_id(&path)).await.status(),
        PaymentStatus::Failed
    );
    assert_eq!(p.invoice(&p.big).await.status(), DocumentStatus::Open);
    // Settled: the challenge box has nothing left to answer.
    let late = p
        .post(&format!("{path}/test-challenge"), "outcome=complete")
        .await;
    assert_eq!(location(&late), path);
    assert_eq!(
        p.payment(payment_id(&path)).await.status(),
        PaymentStatus::Failed
    );
    let odd = p
        .post(&format!("{path}/test-challenge"), "outcome=maybe")
        .await;
    assert_eq!(odd.status, StatusCode::UNPROCESSABLE_ENTITY);
}

#[tokio::test]
async fn a_bank_debit_is_processing_until_the_bank_settles_it() {
    let p = payer().await;
    let answer = p.pay_with(&[&p.big], Scenario::BankSuccess, false).await;
    let (path, shown) = result(&p, &answer).await;
    assert!(shown.text.contains("Payment processing"), "{}", shown.text);
    assert!(shown.text.contains("id=\"payment-processing\""));
    let id = payment_id(&path);
    assert_eq!(p.payment(id).await.status(), PaymentStatus::Pending);
    assert_eq!(p.invoice(&p.big).await.status(), DocumentStatus::Open);
    let invoice = p.get(&format!("/portal/documents/{}", p.big)).await;
    assert!(
        invoice.text.contains("id=\"payment-in-progress\""),
        "{}",
        invoice.text
    );
    assert!(!invoice.text.contains("id=\"pay-now\""));

    // Days later the bank settles it, and the processor says so.
    let connected =
        p.w.services
            .processors
            .connected(p.w.account.id)
            .await
            .unwrap()
            .unwrap();
    let processor = TestProcessor::new(p.w.processor.state.clone(), &connected.connection).unwrap();
    let charge = processor
        .processing_charges()
        .pop()
        .expect("a charge processing");
    let now = p.w.services.now();
    let webhook = processor.settle(&charge, now).unwrap();
    let headers = webhook.headers();
    let report =
        p.w.services
            .checkouts
            .apply_webhook(
                p.w.account.id,
                ProcessorKind::Test,
                &WebhookRequest {
                    headers: &headers,
                    body: &webhook.body,
                    now,
                },
            )
            .await
            .unwrap();
    assert_eq!(report.applied, 1);
    let shown = p.get(&path).await;
    assert!(shown.text.contains("Payment received"), "{}", shown.text);
    assert_eq!(p.invoice(&p.big).await.status(), DocumentStatus::Paid);
}

#[tokio::test]
async fn several_invoices_are_paid_in_one_charge_from_the_overview() {
    let p = payer().await;
    let home = p.get("/portal").await;
    assert!(home.text.contains("id=\"pay-usd\""), "{}", home.text);
    assert!(home.text.contains("Pay selected invoices"));
    let boxes = values_after(&home.text, "class=\"select\"", "value");
    assert_eq!(boxes.len(), 2, "{}", home.text);
    assert!(home.text.contains("form=\"pay-usd\""));

    let page = p.pay_page(&[&p.big, &p.small]).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.text);
    assert!(page.text.contains("Pay 2 invoices"));
    assert!(
        page.text.contains("id=\"pay-total\">$1,500.00<"),
        "{}",
        page.text
    );
    let answer = p
        .post(
            &pay_action(&page),
            &format!("token={}", token(Scenario::VisaSuccess)),
        )
        .await;
    let (path, shown) = result(&p, &answer).await;
    assert!(shown.text.contains("2 invoices are paid"), "{}", shown.text);
    let payment = p.payment(payment_id(&path)).await;
    assert_eq!(payment.amount().minor(), 150_000);
    assert_eq!(payment.allocations().len(), 2);
    assert_eq!(p.w.processor.charges(), 1);
    for invoice in [&p.big, &p.small] {
        assert_eq!(p.invoice(invoice).await.status(), DocumentStatus::Paid);
    }
    let home = p.get("/portal").await;
    assert!(home.text.contains("Nothing to pay right now."));

    // Choosing nothing, or an invoice that is not the company's.
    let none = p.post("/portal/pay", "").await;
    assert_eq!(none.status, StatusCode::BAD_REQUEST);
    assert!(none.text.contains("Choose at least one invoice"));
    let bogus = p.post("/portal/pay", "invoice=not-an-id").await;
    assert_eq!(bogus.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn part_payments_only_where_the_account_allows_them() {
    let p = payer().await;
    let refused = p
        .post("/portal/pay", &format!("invoice={}&amount=250.00", p.big))
        .await;
    assert_eq!(
        refused.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        refused.text
    );
    assert!(
        refused.text.contains("partial payments"),
        "{}",
        refused.text
    );
    let page = p.pay_page(&[&p.big]).await;
    assert!(!page.text.contains("id=\"amount\""), "no amount field");
    // The whole balance as an amount is no part payment.
    let whole = p
        .post("/portal/pay", &format!("invoice={}&amount=1000", p.big))
        .await;
    assert_eq!(whole.status, StatusCode::OK, "{}", whole.text);

    p.allow_partial_payments(true).await;
    let page = p.pay_page(&[&p.big]).await;
    assert!(page.text.contains("id=\"amount\""), "{}", page.text);
    assert!(page.text.contains("value=\"1000.00\""));
    let part = p
        .post(
            "/portal/pay",
            &format!("invoice={}&currency=USD&amount=250.50", p.big),
        )
        .await;
    assert_eq!(part.status, StatusCode::OK, "{}", part.text);
    assert!(
        part.text.contains("id=\"pay-total\">$250.50<"),
        "{}",
        part.text
    );
    for (amount, status) in [
        ("1000.01", StatusCode::UNPROCESSABLE_ENTITY),
        ("0", StatusCode::UNPROCESSABLE_ENTITY),
        ("12.345", StatusCode::UNPROCESSABLE_ENTITY),
        ("lots", StatusCode::UNPROCESSABLE_ENTITY),
    ] {
        let answer = p
            .post("/portal/pay", &format!("invoice={}&amount={amount}", p.big))
            .await;
        assert_eq!(answer.status, status, "{amount}: {}", answer.text);
    }
    let over = p
        .post("/portal/pay", &format!("invoice={}&amount=1000.01", p.big))
        .await;
    assert!(
        over.text
            .contains("The amount must be at most the $1,000.00 still open."),
        "{}",
        over.text
    );
    // A part of several invoices is refused.
    let several = p
        .post(
            "/portal/pay",
            &format!("invoice={}&invoice={}&amount=10", p.big, p.small),
        )
        .await;
    assert_eq!(several.status, StatusCode::UNPROCESSABLE_ENTITY);

    let answer = p
        .post(
            &pay_action(&part),
            &format!("method=new&token={}", token(Scenario::VisaSuccess)),
        )
        .await;
    location(&answer);
    let invoice = p.invoice(&p.big).await;
    assert_eq!(invoice.status(), DocumentStatus::PartiallyPaid);
    assert_eq!(invoice.amount_due().minor(), 100_000 - 25_050);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn twenty_simultaneous_submissions_of_one_form_charge_once() {
    let p = Arc::new(payer().await);
    let page = p.pay_page(&[&p.big]).await;
    let action = pay_action(&page);
    let body = format!("method=new&token={}", token(Scenario::VisaSuccess));
    let mut tasks = Vec::new();
    for _ in 0..20 {
        let (p, action, body) = (p.clone(), action.clone(), body.clone());
        tasks.push(tokio::spawn(async move { p.post(&action, &body).await }));
    }
    let mut places = Vec::new();
    for task in tasks {
        places.push(location(&task.await.unwrap()));
    }
    places.dedup();
    assert_eq!(
        places.len(),
        1,
        "every answer shows the one payment: {places:?}"
    );
    assert_eq!(p.w.processor.charges(), 1);
    let payments = p.payments().await;
    assert_eq!(payments.len(), 1);
    assert_eq!(payments[0].status(), PaymentStatus::Succeeded);
    assert_eq!(p.invoice(&p.big).await.amount_paid().minor(), 100_000);
    assert_eq!(p.audit(AuditAction::PaymentSubmitted).await.len(), 1);
}

#[tokio::test]
async fn the_back_button_or_a_second_tab_shows_the_same_payment() {
    let p = payer().await;
    let page = p.pay_page(&[&p.big]).await;
    let action = pay_action(&page);
    let first = p
        .post(
            &action,
            &format!("method=new&token={}", token(Scenario::VisaSuccess)),
        )
        .await;
    // The same form again, even with another card.
    let again = p
        .post(
            &action,
            &format!("method=new&token={}", token(Scenario::VisaDecline)),
        )
        .await;
    assert_eq!(location(&first), location(&again));
    assert_eq!(p.w.processor.charges(), 1);
    assert_eq!(p.payments().await.len(), 1);
}

#[tokio::test]
async fn a_saved_card_pays_the_next_invoice() {
    let p = payer().await;
    location(&p.pay_with(&[&p.small], Scenario::VisaSuccess, true).await);
    let page = p.pay_page(&[&p.big]).await;
    let saved = values_after(&page.text, "type=\"radio\" name=\"method\"", "value");
    assert_eq!(
        saved.len(),
        2,
        "the saved card and a new one: {}",
        page.text
    );
    assert_ne!(saved[0], "new");
    assert!(page.text.contains("Visa •••• 4242"), "{}", page.text);
    assert!(page.text.contains("expires 12/2030"));
    // The default is chosen, and the new card's fields wait hidden.
    let chosen = &page.text[page.text.find(&format!("value=\"{}\"", saved[0])).unwrap()..];
    assert!(
        chosen[..chosen.find('>').unwrap()].contains("checked"),
        "{chosen}"
    );
    assert!(
        page.text
            .contains("class=\"new-card\" id=\"new-card\" hidden"),
        "{}",
        page.text
    );

    let answer = p
        .post(&pay_action(&page), &format!("method={}", saved[0]))
        .await;
    let (path, shown) = result(&p, &answer).await;
    assert!(shown.text.contains("Payment received"));
    assert!(shown.text.contains("4242"));
    assert_eq!(
        p.payment(payment_id(&path)).await.status(),
        PaymentStatus::Succeeded
    );
    assert_eq!(p.invoice(&p.big).await.status(), DocumentStatus::Paid);
    assert_eq!(p.w.processor.charges(), 2);
}

#[tokio::test]
async fn nobody_pays_with_another_companys_method_or_form() {
    let p = payer().await;
    // Globex, of the same business, with a saved card of its own.
    let (globex, globex_contact) = p.w.client_and_contact("Globex", "ap@globex.example").await;
    let theirs = p.w.invoice(&globex, "INV-9", "USD", 20_000).await;
    p.w.send_invoice(&theirs, &globex_contact).await;
    let globex_cookie = sign_in(&p.w).await;
    let their_page = post_as(
        &p.w,
        &globex_cookie,
        "/portal/pay",
        &format!("invoice={theirs}"),
    )
    .await;
    let saved = post_as(
        &p.w,
        &globex_cookie,
        &pay_action(&their_page),
        &format!("method=new&save=1&token={}", token(Scenario::VisaSuccess)),
    )
    .await;
    location(&saved);
    let methods = p.w.page("/portal/methods", Some(&globex_cookie)).await;
    let their_method = values_after(&methods.text, "class=\"method\"", "id")[0]
        .trim_start_matches("method-")
        .to_owned();
    let charges = p.w.processor.charges();

    // Acme's form with Globex's method: not found, nothing charged, and
    // the form still pays with Acme's own card.
    let page = p.pay_page(&[&p.big]).await;
    let action = pay_action(&page);
    let answer = p.post(&action, &format!("method={their_method}")).await;
    assert_eq!(answer.status, StatusCode::NOT_FOUND, "{}", answer.text);
    let unknown = p
        .post(&action, "method=00000000-0000-4000-8000-000000000000")
        .await;
    assert_eq!(unknown.status, StatusCode::NOT_FOUND);
    assert_eq!(
        p.post(&action, "method=garbage").await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(p.w.processor.charges(), charges);
    assert_eq!(p.invoice(&p.big).await.status(), DocumentStatus::Open);

    // Acme's form posted by Globex's session, or by another session of
    // Acme's: not found either.
    let cross = post_as(
        &p.w,
        &globex_cookie,
        &action,
        &format!("method=new&token={}", token(Scenario::VisaSuccess)),
    )
    .await;
    assert_eq!(cross.status, StatusCode::NOT_FOUND);
    p.w.send_invoice(&p.small, &p.contact).await;
    let second_session = sign_in(&p.w).await;
    let other_tab = post_as(
        &p.w,
        &second_session,
        &action,
        &format!("method=new&token={}", token(Scenario::VisaSuccess)),
    )
    .await;
    assert_eq!(other_tab.status, StatusCode::NOT_FOUND);
    // Nor may Globex see Acme's invoice's pay page or payment.
    let peek = post_as(
        &p.w,
        &globex_cookie,
        "/portal/pay",
        &format!("invoice={}", p.big),
    )
    .await;
    assert_eq!(peek.status, StatusCode::NOT_FOUND);
    assert_eq!(p.w.processor.charges(), charges);

    let paid = p
        .post(
            &action,
            &format!("method=new&token={}", token(Scenario::VisaSuccess)),
        )
        .await;
    let path = location(&paid);
    let peek = p.w.page(&path, Some(&globex_cookie)).await;
    assert_eq!(peek.status, StatusCode::NOT_FOUND);
    let confirm = post_as(&p.w, &globex_cookie, &format!("{path}/confirm"), "").await;
    assert_eq!(confirm.status, StatusCode::NOT_FOUND);
    assert_eq!(p.invoice(&p.big).await.status(), DocumentStatus::Paid);
    assert_eq!(
        p.w.page("/portal/payments/not-an-id", Some(&p.cookie))
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        p.post("/portal/pay/not-an-id", "method=new&token=x")
            .await
            .status,
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn an_expired_form_or_a_missing_card_asks_to_start_again() {
    let p = payer().await;
    let page = p.pay_page(&[&p.big]).await;
    let action = pay_action(&page);
    let blank = p
        .post(&action, &format!("method=new&token=&invoice={}", p.big))
        .await;
    assert_eq!(blank.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(blank.text.contains("did not come through"));
    let nothing = p.post(&action, "").await;
    assert_eq!(nothing.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(nothing.text.contains("Choose how to pay"));

    p.w.clock.advance(Duration::hours(3));
    let late = p
        .post(
            &action,
            &format!(
                "method=new&token={}&invoice={}",
                token(Scenario::VisaSuccess),
                p.big
            ),
        )
        .await;
    assert_eq!(late.status, StatusCode::CONFLICT, "{}", late.text);
    assert!(late.text.contains("expired"), "{}", late.text);
    assert_eq!(
        values_after(&late.text, "id=\"next\"", "href"),
        [format!("/portal/documents/{}", p.big)]
    );
    assert_eq!(p.w.processor.charges(), 0);
    assert_eq!(p.invoice(&p.big).await.status(), DocumentStatus::Open);
}

#[tokio::test]
async fn without_a_processor_invoices_keep_their_instructions() {
    let w = World::new().await;
    let (client, contact) = w.client_and_contact("Acme", "ap@acme.example").await;
    let invoice = w.invoice(&client, "INV-1", "USD", 10_000).await;
    w.send_invoice(&invoice, &contact).await;
    let cookie = sign_in(&w).await;
    let page = w
        .page(&format!("/portal/documents/{invoice}"), Some(&cookie))
        .await;
    assert!(page.text.contains("use the payment instructions"));
    assert!(!page.text.contains("pay-now") && !page.text.contains("Test mode"));
    let home = w.page("/portal", Some(&cookie)).await;
    assert!(!home.text.contains("Pay selected") && !home.text.contains("type=\"checkbox\""));
    let pay = post_as(&w, &cookie, "/portal/pay", &format!("invoice={invoice}")).await;
    assert_eq!(pay.status, StatusCode::CONFLICT);
    assert!(pay.text.contains("Online payment is not available"));
    // Not signed in: the usual "session ended" page, nothing else.
    let anonymous = w
        .form(
            "/portal/pay",
            &format!("invoice={invoice}"),
            &[("sec-fetch-site", "same-origin")],
        )
        .await;
    assert_eq!(anonymous.status, StatusCode::UNAUTHORIZED);
    assert!(set_cookie(&anonymous).is_none());
}

#[tokio::test]
async fn payment_pages_let_the_processor_in_and_every_other_page_stays_strict() {
    let p = payer().await;
    let strict = |answer: &common::Answer| {
        let csp = answer.headers[header::CONTENT_SECURITY_POLICY]
            .to_str()
            .unwrap()
            .to_owned();
        assert!(
            csp.starts_with("default-src 'none'; style-src 'self'"),
            "{csp}"
        );
        assert!(!csp.contains("script-src"), "{csp}");
        assert!(
            !answer.text.contains("<script"),
            "no script on a strict page"
        );
    };
    let pay = p.pay_page(&[&p.big]).await;
    let csp = pay.headers[header::CONTENT_SECURITY_POLICY]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(
        csp.contains(&format!("script-src 'self' {SCRIPT_ORIGIN};")),
        "{csp}"
    );
    assert!(csp.contains(&format!("frame-src {FRAME_ORIGIN};")), "{csp}");
    assert!(
        csp.contains(&format!("connect-src 'self' {CONNECT_ORIGIN};")),
        "{csp}"
    );
    assert!(csp.contains("form-action 'self'") && csp.contains("frame-ancestors 'none'"));
    assert!(!csp.contains("unsafe"), "{csp}");
    let add = p.post("/portal/methods/new", "").await;
    assert!(
        add.headers[header::CONTENT_SECURITY_POLICY]
            .to_str()
            .unwrap()
            .contains(SCRIPT_ORIGIN)
    );

    for path in [
        "/portal".to_owned(),
        format!("/portal/documents/{}", p.big),
        "/portal/methods".to_owned(),
    ] {
        strict(&p.get(&path).await);
    }
    let answer = p.pay_with(&[&p.big], Scenario::VisaSuccess, false).await;
    strict(&p.get(&location(&answer)).await);
    strict(&p.post("/portal/pay", "").await);
}

#[tokio::test]
async fn the_portals_scripts_are_served_to_be_kept() {
    let p = payer().await;
    let page = p.pay_page(&[&p.big]).await;
    for src in values_after(&page.text, "<script", "src") {
        let script = p.w.page(&src, None).await;
        assert_eq!(script.status, StatusCode::OK, "{src}");
        assert_eq!(
            script.headers[header::CONTENT_TYPE],
            "text/javascript; charset=utf-8"
        );
        assert_eq!(
            script.headers[header::CACHE_CONTROL],
            "public, max-age=31536000, immutable"
        );
        assert_eq!(script.headers[header::X_CONTENT_TYPE_OPTIONS], "nosniff");
        assert_no_card_numbers(&src, &script.text);
    }
    let stale = p.w.page("/portal/assets/pay.js?v=old", None).await;
    assert_eq!(stale.headers[header::CACHE_CONTROL], "public, max-age=60");
    assert_eq!(
        p.w.page("/portal/assets/nothing.js", None).await.status,
        StatusCode::NOT_FOUND
    );
}
