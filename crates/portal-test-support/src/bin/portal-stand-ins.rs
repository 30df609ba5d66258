//! `portal-stand-ins`: the local stand-ins a browser test of the portal
//! talks to, in one process of their own: an SMTP sink and the
//! Authorize.Net fake (its JSON API and its Accept.js), each on a free
//! `127.0.0.1` port. With `--stripe-upstream <host:port>` (a running
//! localstripe), also a proxy in front of it for the portal server, which
//! drops the request fields localstripe does not know yet, as the Stripe
//! adapter's own tests do (`allowed_payment_method_types`); the browser
//! loads Stripe.js from localstripe itself.
//!
//! Once everything listens it prints one line of JSON on standard output:
//!
//! ```json
//! {"smtp_url":"smtp://127.0.0.1:…?tls=none","mail_url":"http://127.0.0.1:…/mail",
//!  "authorize_net":{"origin":"http://127.0.0.1:…","api_url":"…/xml/v1/request.api",
//!  "accept_js_url":"…/v1/Accept.js","api_login_id":"…","transaction_key":"…",
//!  "client_key":"…","signature_key":"…"},
//!  "stripe":{"api_url":"http://127.0.0.1:…"}}
//! ```
//!
//! (`"stripe": null` without `--stripe-upstream`.)
//!
//! `GET <mail_url>` answers every message the sink received so far, oldest
//! first, as JSON: `[{"from","to","subject","body","html"}]` (`body` is the
//! decoded text part). The process exits when its standard input closes
//! (so it never outlives the test that started it with a pipe), on
//! SIGTERM, or on Ctrl-C.

use std::io::{Read, Write};
use std::net::SocketAddr;
use std::sync::Arc;

use axum::Router;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use portal_test_support::SmtpSink;
use portal_test_support::anet::{
    API_LOGIN_ID, AnetFake, CLIENT_KEY, SIGNATURE_KEY, TRANSACTION_KEY,
};
use portal_test_support::fault_proxy::{FaultProxy, ProxyOptions};
use serde_json::{Value, json};
use tokio::net::TcpListener;
use tokio::sync::oneshot;

#[tokio::main]
async fn main() -> std::process::ExitCode {
    match run().await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("portal-stand-ins: {error}");
            std::process::ExitCode::FAILURE
        }
    }
}

const USAGE: &str = "usage: portal-stand-ins [--stripe-upstream HOST:PORT]";

/// The localstripe to stand in front of, if one was named.
fn stripe_upstream() -> Result<Option<SocketAddr>, String> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.as_slice() {
        [] => Ok(None),
        [flag, address] if flag == "--stripe-upstream" => address
            .parse()
            .map(Some)
            .map_err(|e| format!("{address:?} is not HOST:PORT ({e}); {USAGE}")),
        _ => Err(USAGE.to_owned()),
    }
}

async fn run() -> Result<(), String> {
    let upstream = stripe_upstream()?;
    let stripe = match upstream {
        Some(upstream) => {
            let options = ProxyOptions {
                drop_form_fields: vec!["allowed_payment_method_types".to_owned()],
                ..ProxyOptions::default()
            };
            let proxy = FaultProxy::start(upstream, options)
                .await
                .map_err(|e| format!("cannot start the Stripe proxy: {e}"))?;
            Some(proxy)
        }
        None => None,
    };
    let sink = Arc::new(SmtpSink::start().await);
    let anet = AnetFake::start().await;
    let mail = TcpListener::bind(("127.0.0.1", 0))
        .await
        .map_err(|e| format!("cannot bind the mail endpoint: {e}"))?;
    let mail_address = mail
        .local_addr()
        .map_err(|e| format!("the mail endpoint has no address: {e}"))?;
    let router = Router::new()
        .route("/mail", get(messages))
        .with_state(Arc::clone(&sink));
    let mail_server = tokio::spawn(async move {
        let _ = axum::serve(mail, router).await;
    });

    let ready = json!({
        "smtp_url": sink.url(),
        "mail_url": format!("http://{mail_address}/mail"),
        "authorize_net": {
            "origin": anet.origin(),
            "api_url": anet.api_url(),
            "accept_js_url": anet.accept_js_url(),
            "api_login_id": API_LOGIN_ID,
            "transaction_key": TRANSACTION_KEY,
            "client_key": CLIENT_KEY,
            "signature_key": SIGNATURE_KEY,
        },
        "stripe": stripe.as_ref().map(|proxy| json!({ "api_url": proxy.url() })),
    });
    let mut out = std::io::stdout().lock();
    writeln!(out, "{ready}")
        .and_then(|()| out.flush())
        .map_err(|e| format!("cannot write to standard output: {e}"))?;
    drop(out);

    stopped().await;
    mail_server.abort();
    Ok(())
}

/// `GET /mail`: every message received so far.
async fn messages(State(sink): State<Arc<SmtpSink>>) -> Response {
    let list: Vec<Value> = sink
        .messages()
        .iter()
        .map(|mail| {
            json!({
                "from": mail.from,
                "to": mail.to,
                "subject": mail.subject(),
                "body": mail.body,
                "html": mail.html(),
            })
        })
        .collect();
    axum::Json(Value::Array(list)).into_response()
}

/// Completes when standard input reaches its end, on SIGTERM or on
/// Ctrl-C.
async fn stopped() {
    let (closed, stdin_closed) = oneshot::channel::<()>();
    // A thread of its own, not the runtime's blocking pool: a read that
    // never ends must not hold the runtime open when a signal ends it.
    std::thread::spawn(move || {
        let mut buffer = [0u8; 1024];
        let mut stdin = std::io::stdin().lock();
        while matches!(stdin.read(&mut buffer), Ok(n) if n > 0) {}
        let _ = closed.send(());
    });
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    tokio::select! {
        _ = stdin_closed => {},
        () = terminate => {},
        _ = tokio::signal::ctrl_c() => {},
    }
}
