//! `SmtpMailer` against a real SMTP server: the test sink.

use std::sync::Arc;
use std::time::Duration;

use portal_domain::model::{Attachment, EmailAddress};
use portal_domain::ports::{Email, Mailer};
use portal_mail::SmtpMailer;
use portal_test_support::SmtpSink;
use tokio::task::JoinSet;

const WAIT: Duration = Duration::from_secs(10);

fn sender() -> EmailAddress {
    EmailAddress::parse("from", "no-reply@portal.example").unwrap()
}

fn email(to: &str, text: String) -> Email {
    Email {
        to: EmailAddress::parse("to", to).unwrap(),
        to_name: "Zoë Ødegård".to_owned(),
        from_name: "Société Générale d'Équipement".to_owned(),
        subject: "Votre lien de connexion — Société Générale".to_owned(),
        text,
        html: String::new(),
        attachments: Vec::new(),
        message_key: None,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn messages_arrive_intact_over_smtp() {
    let sink = SmtpSink::start().await;
    let mailer = SmtpMailer::new(&sink.url(), &sender()).unwrap();
    let link = format!(
        "https://portal.example/auth/link/{}?next=%2Fdocuments%2F42&utm=a_b-c.d~e",
        "Zx9-_".repeat(40)
    );
    let text = format!("Bonjour Zoë,\n\nOpen this link to sign in:\n\n{link}\n\nIt works once.\n");

    mailer
        .send(&email("Pay.Ables@Acme.example", text.clone()))
        .await
        .unwrap();

    let mail = sink.wait_for(1, WAIT).await;
    let mail = &mail[0];
    assert_eq!(mail.from, "no-reply@portal.example");
    assert_eq!(mail.to, ["pay.ables@acme.example"]);
    assert_eq!(
        mail.subject().as_deref(),
        Some("Votre lien de connexion — Société Générale")
    );
    let from = mail.decoded_header("From").unwrap();
    assert!(from.contains("Société Générale d'Équipement"), "{from}");
    assert!(from.ends_with("<no-reply@portal.example>"), "{from}");
    let to = mail.decoded_header("To").unwrap();
    assert!(
        to.contains("Zoë Ødegård") && to.ends_with("<pay.ables@acme.example>"),
        "{to}"
    );
    assert!(
        mail.header("Message-ID")
            .is_some_and(|id| id.ends_with("@portal.example>"))
    );
    assert!(mail.header("Date").is_some());
    // lettre ends the data with CRLF . CRLF even after a final CRLF, so
    // the server sees one more empty line.
    assert_eq!(mail.body.replace("\r\n", "\n").trim_end(), text.trim_end());
    assert_eq!(mail.links(), [link]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn html_attachments_and_a_stable_message_id_arrive_intact() {
    let sink = SmtpSink::start().await;
    let mailer = SmtpMailer::new(&sink.url(), &sender()).unwrap();
    let link = "https://portal.example/l/Zx9-_abc";
    let mut message = email("ap@acme.example", format!("Votre facture: {link}\n"));
    message.html = format!("<p>Votre facture: <a href=\"{link}\">ouvrir</a> — Zoë</p>");
    message.attachments = vec![Attachment {
        filename: "Facture F-42.pdf".to_owned(),
        content_type: "application/pdf".to_owned(),
        content: (0..=255u8).collect(),
    }];
    message.message_key = Some("3f1c6f1e-2b8a-4c55-9d2e-0f6b8f1a9c77".to_owned());

    // Delivered twice, as a retried outbox item would be.
    mailer.send(&message).await.unwrap();
    mailer.send(&message).await.unwrap();

    let mails = sink.wait_for(2, WAIT).await;
    for mail in &mails {
        assert_eq!(
            mail.header("Message-ID"),
            Some("<3f1c6f1e-2b8a-4c55-9d2e-0f6b8f1a9c77@portal.example>")
        );
        assert_eq!(mail.body.replace("\r\n", "\n"), message.text);
        assert_eq!(mail.links(), [link]);
        assert_eq!(mail.html().as_deref(), Some(message.html.as_str()));
        assert_eq!(
            mail.attachments(),
            [(
                Some("Facture F-42.pdf".to_owned()),
                "application/pdf".to_owned(),
                (0..=255u8).collect::<Vec<u8>>()
            )]
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_sends_all_arrive() {
    let sink = SmtpSink::start().await;
    let mailer = Arc::new(SmtpMailer::new(&sink.url(), &sender()).unwrap());
    let mut sends = JoinSet::new();
    for i in 0..6 {
        let mailer = Arc::clone(&mailer);
        let email = email(
            &format!("contact{i}@acme.example"),
            format!("message {i}\n"),
        );
        sends.spawn(async move { mailer.send(&email).await });
    }
    while let Some(outcome) = sends.join_next().await {
        outcome.unwrap().unwrap();
    }
    // Then more, one after the other, over pooled connections.
    for i in 6..9 {
        let email = email(
            &format!("contact{i}@acme.example"),
            format!("message {i}\n"),
        );
        mailer.send(&email).await.unwrap();
    }

    let mut recipients: Vec<String> = sink
        .wait_for(9, WAIT)
        .await
        .into_iter()
        .flat_map(|mail| mail.to)
        .collect();
    recipients.sort();
    let expected: Vec<String> = (0..9).map(|i| format!("contact{i}@acme.example")).collect();
    assert_eq!(recipients, expected);
}

#[tokio::test]
async fn an_unreachable_server_is_a_mail_error() {
    let port = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    };
    let url = format!("smtp://127.0.0.1:{port}?tls=none");
    let mailer = SmtpMailer::new(&url, &sender()).unwrap();
    let error = mailer
        .send(&email("ap@acme.example", "x".to_owned()))
        .await
        .unwrap_err();
    assert!(std::error::Error::source(&error).is_some());
}
