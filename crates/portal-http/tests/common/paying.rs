//! A client paying in the portal: a company with invoices to pay, signed
//! in, its account connected to the test processor; and what a browser
//! does on the payment pages (post a form with the session cookie, follow
//! a redirect, read the checkout out of the pay form).

use std::str::FromStr;

use axum::http::{StatusCode, header};
use portal_domain::{
    AuditAction, AuditEvent, ClientId, Document, DocumentId, DocumentKind, PageRequest, Payment,
    PaymentId, SettingsPatch,
};
use portal_http::HttpConfig;
use portal_test_processor::{Scenario, TestToken};
use portal_test_support::cards::assert_no_card_numbers;

use super::{Answer, World, set_cookie};

/// The user agent the portal's browser posts with.
pub const AGENT: &str = "Mozilla/5.0 (X11; Linux x86_64) PortalTest/1";

/// A signed-in contact of a company with invoices to pay.
pub struct Payer {
    pub w: World,
    pub client: String,
    pub contact: String,
    /// A sent $1,000.00 invoice.
    pub big: String,
    /// A sent $500.00 invoice.
    pub small: String,
    pub cookie: String,
}

/// Acme (a $1,000.00 and a $500.00 invoice), signed in, with the account
/// connected to the test processor.
pub async fn payer() -> Payer {
    payer_with(HttpConfig::default()).await
}

/// As [`payer`], the portal served with `config`.
pub async fn payer_with(config: HttpConfig) -> Payer {
    let w = World::with(config).await;
    let (client, contact) = w.client_and_contact("Acme", "ap@acme.example").await;
    let big = w.invoice(&client, "INV-1", "USD", 100_000).await;
    let small = w.invoice(&client, "INV-2", "USD", 50_000).await;
    w.send_invoice(&big, &contact).await;
    w.send_invoice(&small, &contact).await;
    w.connect_test_processor().await;
    let cookie = sign_in(&w).await;
    Payer {
        w,
        client,
        contact,
        big,
        small,
        cookie,
    }
}

/// Redeems the link in the latest email; the session cookie.
pub async fn sign_in(w: &World) -> String {
    let link = w.link_path();
    let redeemed = w
        .form(&link, "", &[("sec-fetch-site", "same-origin")])
        .await;
    assert_eq!(redeemed.status, StatusCode::SEE_OTHER, "{}", redeemed.text);
    set_cookie(&redeemed).expect("a session cookie")
}

/// The contact of the latest emailed link, signed in: the session the
/// portal's services see (for tests that drive them directly).
pub async fn session(w: &World) -> portal_domain::ports::SessionContext {
    let cookie = sign_in(w).await;
    let (_, secret) = cookie.split_once('=').unwrap();
    w.services
        .sessions
        .authenticate(Some(secret))
        .await
        .expect("a live session")
}

/// A fresh browser token for a test card or bank account.
pub fn token(scenario: Scenario) -> String {
    TestToken::fresh(scenario).to_string()
}

/// Where a redirect goes.
pub fn location(answer: &Answer) -> String {
    assert_eq!(answer.status, StatusCode::SEE_OTHER, "{}", answer.text);
    answer.headers[header::LOCATION]
        .to_str()
        .unwrap()
        .to_owned()
}

/// The pay form's address (`/portal/pay/<checkout>`) on a pay page.
pub fn pay_action(page: &Answer) -> String {
    let start = page
        .text
        .find("action=\"/portal/pay/")
        .unwrap_or_else(|| panic!("a pay form: {}", page.text));
    let rest = &page.text[start + "action=\"".len()..];
    rest[..rest.find('"').unwrap()].to_owned()
}

/// The payment id of a payment page's address.
pub fn payment_id(path: &str) -> PaymentId {
    PaymentId::from_str(path.trim_start_matches("/portal/payments/")).unwrap()
}

/// Every value of `attr="…"` on the page after `marker`, in order (for
/// ids of radio buttons, forms, links).
pub fn values_after(text: &str, marker: &str, attr: &str) -> Vec<String> {
    let needle = format!("{attr}=\"");
    text.match_indices(marker)
        .filter_map(|(i, _)| {
            let rest = &text[i..];
            let start = rest.find(&needle)? + needle.len();
            let end = rest[start..].find('"')?;
            Some(rest[start..start + end].to_owned())
        })
        .collect()
}

impl Payer {
    /// A page of the portal, as this contact sees it; fails the test when
    /// it holds anything like a card number.
    pub async fn get(&self, path: &str) -> Answer {
        let answer = self.w.page(path, Some(&self.cookie)).await;
        assert_no_card_numbers(path, &answer.text);
        answer
    }

    /// A form posted from one of the portal's pages.
    pub async fn post(&self, path: &str, body: &str) -> Answer {
        post_as(&self.w, &self.cookie, path, body).await
    }

    /// The pay page for these invoices.
    pub async fn pay_page(&self, invoices: &[&str]) -> Answer {
        let form: Vec<String> = invoices.iter().map(|i| format!("invoice={i}")).collect();
        self.post("/portal/pay", &form.join("&")).await
    }

    /// Pays these invoices with a fresh token for `scenario`; the answer
    /// to the pay form.
    pub async fn pay_with(&self, invoices: &[&str], scenario: Scenario, save: bool) -> Answer {
        let page = self.pay_page(invoices).await;
        assert_eq!(page.status, StatusCode::OK, "{}", page.text);
        let save = if save { "&save=1" } else { "" };
        self.post(
            &pay_action(&page),
            &format!("method=new&token={}{save}", token(scenario)),
        )
        .await
    }

    /// An invoice as the store holds it.
    pub async fn invoice(&self, id: &str) -> Document {
        self.w
            .services
            .documents
            .document(
                &self.w.account,
                DocumentKind::Invoice,
                DocumentId::from_str(id).unwrap(),
            )
            .await
            .unwrap()
    }

    /// A payment as the store holds it.
    pub async fn payment(&self, id: PaymentId) -> Payment {
        self.w
            .services
            .payments
            .payment(&self.w.account, id)
            .await
            .unwrap()
    }

    /// The company's payments, newest first.
    pub async fn payments(&self) -> Vec<Payment> {
        self.w
            .services
            .payments
            .payments(
                &self.w.account,
                Some(ClientId::from_str(&self.client).unwrap()),
                PageRequest::first(100),
            )
            .await
            .unwrap()
            .items
    }

    /// The company's audit events of `action`, newest first.
    pub async fn audit(&self, action: AuditAction) -> Vec<AuditEvent> {
        self.w
            .services
            .crm
            .client_audit(
                &self.w.account,
                ClientId::from_str(&self.client).unwrap(),
                PageRequest::first(100),
            )
            .await
            .unwrap()
            .items
            .into_iter()
            .filter(|e| e.action == action)
            .collect()
    }

    /// Lets the account take part payments (or not).
    pub async fn allow_partial_payments(&self, allow: bool) {
        self.w
            .services
            .accounts
            .update_account(
                &self.w.account,
                None,
                SettingsPatch {
                    allow_partial_payments: Some(allow),
                    ..SettingsPatch::default()
                },
            )
            .await
            .unwrap();
    }
}

/// A form posted with `cookie` from one of the portal's pages.
pub async fn post_as(w: &World, cookie: &str, path: &str, body: &str) -> Answer {
    let answer = w
        .form(
            path,
            body,
            &[
                ("sec-fetch-site", "same-origin"),
                ("cookie", cookie),
                ("user-agent", AGENT),
                ("x-forwarded-for", "203.0.113.7"),
            ],
        )
        .await;
    assert_no_card_numbers(path, &answer.text);
    answer
}
