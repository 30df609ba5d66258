//! Tokens never reach the logs: a whole link flow, dead links and the
//! new-link form are logged, and neither the link token nor the session
//! secret appears anywhere in what was written.

mod common;

use std::io::Write;
use std::sync::{Arc, Mutex};

use common::TestApp;
use tracing_subscriber::fmt::MakeWriter;

/// Collects everything the log subscriber writes.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> MakeWriter<'a> for Captured {
    type Writer = Captured;

    fn make_writer(&'a self) -> Self::Writer {
        self.clone()
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn link_tokens_and_session_secrets_stay_out_of_the_logs() {
    let logs = Captured::default();
    tracing_subscriber::fmt()
        .with_writer(logs.clone())
        .with_max_level(tracing::Level::TRACE)
        .with_ansi(false)
        .init();

    let app = TestApp::sqlite().await;
    let s = app.sent_invoice().await;
    let token = s.link.rsplit('/').next().unwrap().to_owned();
    let browser = app.browser();
    browser.get(&s.link).send().await.unwrap();
    browser.head(&s.link).send().await.unwrap();
    let redeemed = browser.post(&s.link).send().await.unwrap();
    let secret = common::session_secret(&redeemed);
    browser.get(app.url("/portal")).send().await.unwrap();
    app.browser().post(&s.link).send().await.unwrap(); // a dead link
    app.browser()
        .post(app.url("/portal/request-link"))
        .form(&[("email", "ap@acme.example"), ("link", token.as_str())])
        .send()
        .await
        .unwrap();
    app.next_mail(1).await;
    browser
        .post(app.url("/portal/logout"))
        .send()
        .await
        .unwrap();

    let text = String::from_utf8(logs.0.lock().unwrap().clone()).unwrap();
    assert!(
        text.contains("/l/{token}"),
        "requests were logged by route:\n{text}"
    );
    assert!(
        text.contains("link redeemed"),
        "the redemption was logged:\n{text}"
    );
    assert!(
        !text.contains(&token),
        "the link token leaked into the logs"
    );
    assert!(
        !text.contains(&secret),
        "the session secret leaked into the logs"
    );
    assert!(
        !text.contains(&app.api_key[4..]),
        "the API key leaked into the logs"
    );
}
