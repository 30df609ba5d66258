//! Turning a domain [`Email`] into an RFC 5322 message, shared by every
//! transport so they all send the same bytes: plain text and HTML as
//! `multipart/alternative`, wrapped in `multipart/mixed` when files go
//! with it.

use lettre::message::header::ContentType;
use lettre::message::{Attachment, Mailbox, Message, MultiPart, SinglePart};
use lettre::{Address, address::AddressError};
use portal_domain::model::EmailAddress;
use portal_domain::ports::Email;

/// The longest Message-ID left part a message key may become; a header
/// line must stay far below the 998 characters SMTP allows.
const MAX_KEY_LEN: usize = 200;

/// Why an email could not be turned into a message.
#[derive(Debug, thiserror::Error)]
pub(crate) enum MessageError {
    #[error("the recipient address is not usable")]
    Recipient(#[source] AddressError),
    #[error("the system has no randomness for a Message-ID")]
    Random(#[source] getrandom::Error),
    #[error("the message key is too long for a Message-ID")]
    KeyTooLong,
    #[error("attachment {index} has an unusable content type")]
    AttachmentType {
        index: usize,
        #[source]
        source: lettre::message::header::ContentTypeErr,
    },
    #[error("the message could not be built")]
    Build(#[source] lettre::error::Error),
}

/// The lettre form of a portal address.
pub(crate) fn address(email: &EmailAddress) -> Result<Address, AddressError> {
    email.as_str().parse()
}

/// The message for `email`: `From` carries the email's sender name with
/// the adapter's address `from`, `To` the recipient's name and address.
/// The body is the plain text alone when there is no HTML, otherwise
/// both as alternatives (text first, so the HTML is preferred); with
/// attachments, that body and the files go in a `multipart/mixed`. Names,
/// subject and file names are encoded by lettre (RFC 2047, RFC 2231)
/// whenever they are not plain ASCII, and each part gets whichever
/// transfer encoding suits it.
pub(crate) fn build_message(from: &Address, email: &Email) -> Result<Message, MessageError> {
    let to = address(&email.to).map_err(MessageError::Recipient)?;
    let builder = Message::builder()
        .from(Mailbox::new(display_name(&email.from_name), from.clone()))
        .to(Mailbox::new(display_name(&email.to_name), to))
        .subject(header_text(&email.subject))
        .message_id(Some(message_id(from, email.message_key.as_deref())?))
        .date_now();
    if email.html.is_empty() && email.attachments.is_empty() {
        return builder
            .header(ContentType::TEXT_PLAIN)
            .body(email.text.clone())
            .map_err(MessageError::Build);
    }
    let text = SinglePart::builder()
        .header(ContentType::TEXT_PLAIN)
        .body(email.text.clone());
    let alternative = (!email.html.is_empty()).then(|| {
        MultiPart::alternative()
            .singlepart(text.clone())
            .singlepart(
                SinglePart::builder()
                    .header(ContentType::TEXT_HTML)
                    .body(email.html.clone()),
            )
    });
    if email.attachments.is_empty() {
        // Not empty either: the HTML is there.
        return builder
            .multipart(alternative.unwrap_or_else(|| MultiPart::mixed().singlepart(text)))
            .map_err(MessageError::Build);
    }
    let mut mixed = match alternative {
        Some(alternative) => MultiPart::mixed().multipart(alternative),
        None => MultiPart::mixed().singlepart(text),
    };
    for (index, file) in email.attachments.iter().enumerate() {
        let content_type = ContentType::parse(&file.content_type)
            .map_err(|source| MessageError::AttachmentType { index, source })?;
        let name = header_text(&file.filename);
        let name = if name.is_empty() {
            format!("attachment-{}", index + 1)
        } else {
            name
        };
        mixed = mixed.singlepart(Attachment::new(name).body(file.content.clone(), content_type));
    }
    builder.multipart(mixed).map_err(MessageError::Build)
}

/// A name worth showing: single-line and trimmed, and none at all when
/// blank.
fn display_name(name: &str) -> Option<String> {
    let name = header_text(name);
    (!name.is_empty()).then_some(name)
}

/// `text` on one line: control characters (line breaks among them) become
/// spaces. A header value cannot carry them, and lettre refuses to format
/// a name that has them.
fn header_text(text: &str) -> String {
    text.chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect::<String>()
        .trim()
        .to_owned()
}

/// `<left@sender's domain>`. With a message key, the left part is the key
/// (characters outside `[A-Za-z0-9.-_]` written as `=XX` per UTF-8 byte, so
/// no key can break out of the header), the same at every delivery of one
/// message, so recipients' mail systems recognise a redelivery. Without
/// one, 128 random bits in hex: unique without revealing the host that
/// built it.
fn message_id(from: &Address, key: Option<&str>) -> Result<String, MessageError> {
    let left = match key {
        Some(key) if !key.is_empty() => {
            let mut left = String::with_capacity(key.len());
            for byte in key.bytes() {
                if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'_') {
                    left.push(char::from(byte));
                } else if byte == b'.' && !left.is_empty() && !left.ends_with('.') {
                    left.push('.');
                } else {
                    left.push_str(&format!("={byte:02X}"));
                }
            }
            if left.ends_with('.') {
                left.pop();
                left.push_str("=2E");
            }
            if left.len() > MAX_KEY_LEN {
                return Err(MessageError::KeyTooLong);
            }
            left
        }
        _ => {
            let mut random = [0u8; 16];
            getrandom::fill(&mut random).map_err(MessageError::Random)?;
            random.iter().map(|b| format!("{b:02x}")).collect()
        }
    };
    Ok(format!("<{left}@{}>", from.domain()))
}

#[cfg(test)]
mod tests {
    use portal_domain::model::Attachment as File;
    use portal_test_support::CapturedMail;

    use super::*;

    fn email(to_name: &str, from_name: &str, subject: &str, text: &str) -> Email {
        Email {
            to: EmailAddress::parse("to", "ap@acme.example").unwrap(),
            to_name: to_name.to_owned(),
            from_name: from_name.to_owned(),
            subject: subject.to_owned(),
            text: text.to_owned(),
            html: String::new(),
            attachments: Vec::new(),
            message_key: None,
        }
    }

    fn sender() -> Address {
        "billing@portal.example".parse().unwrap()
    }

    fn parse(message: &Message) -> CapturedMail {
        CapturedMail::from_raw(String::from_utf8(message.formatted()).unwrap())
    }

    fn pdf(name: &str) -> File {
        File {
            filename: name.to_owned(),
            content_type: "application/pdf".to_owned(),
            content: b"%PDF-1.7\n\x00\xff binary".to_vec(),
        }
    }

    #[test]
    fn plain_messages_carry_every_header() {
        let message = build_message(
            &sender(),
            &email(
                "Pat Payable",
                "Acme Ltd",
                "Your sign-in link",
                "Hello\nBye\n",
            ),
        )
        .unwrap();
        let mail = parse(&message);
        assert_eq!(
            mail.header("from"),
            Some("\"Acme Ltd\" <billing@portal.example>")
        );
        assert_eq!(mail.header("To"), Some("\"Pat Payable\" <ap@acme.example>"));
        assert_eq!(mail.subject().as_deref(), Some("Your sign-in link"));
        assert_eq!(
            mail.header("Content-Type"),
            Some("text/plain; charset=utf-8")
        );
        assert!(mail.header("Date").is_some());
        let id = mail.header("Message-ID").unwrap();
        assert!(
            id.starts_with('<') && id.ends_with("@portal.example>"),
            "{id}"
        );
        assert_eq!(mail.body.replace("\r\n", "\n"), "Hello\nBye\n");
        let envelope = message.envelope();
        assert_eq!(
            envelope.from().map(Address::as_ref),
            Some("billing@portal.example")
        );
        assert_eq!(envelope.to().len(), 1);
    }

    #[test]
    fn html_goes_with_the_text_as_an_alternative() {
        let mut email = email(
            "Pat",
            "Acme",
            "Invoice",
            "Pay: https://portal.example/l/abc\n",
        );
        email.html =
            "<p>Pay <a href=\"https://portal.example/l/abc\">here</a> — Zoë</p>".to_owned();
        let mail = parse(&build_message(&sender(), &email).unwrap());
        assert!(
            mail.header("Content-Type")
                .is_some_and(|t| t.starts_with("multipart/alternative")),
            "{:?}",
            mail.header("Content-Type")
        );
        assert_eq!(mail.part_types(), ["text/plain", "text/html"]);
        assert_eq!(mail.body.replace("\r\n", "\n"), email.text);
        assert_eq!(mail.html().as_deref(), Some(email.html.as_str()));
        assert_eq!(mail.links(), ["https://portal.example/l/abc"]);
        assert!(mail.attachments().is_empty());
    }

    #[test]
    fn attachments_wrap_the_body_in_a_mixed_message() {
        let mut email = email("Pat", "Acme", "Receipt", "Thanks\n");
        email.html = "<p>Thanks</p>".to_owned();
        email.attachments = vec![pdf("Reçu n° 42.pdf"), pdf("")];
        let mail = parse(&build_message(&sender(), &email).unwrap());
        assert!(
            mail.header("Content-Type")
                .is_some_and(|t| t.starts_with("multipart/mixed"))
        );
        assert_eq!(
            mail.part_types(),
            [
                "text/plain",
                "text/html",
                "application/pdf",
                "application/pdf"
            ]
        );
        assert_eq!(mail.body.replace("\r\n", "\n"), "Thanks\n");
        assert_eq!(mail.html().as_deref(), Some("<p>Thanks</p>"));
        let files = mail.attachments();
        assert_eq!(files[0].0.as_deref(), Some("Reçu n° 42.pdf"));
        assert_eq!(files[0].2, pdf("x").content);
        assert_eq!(files[1].0.as_deref(), Some("attachment-2"));

        // Text alone with a file: the text part and the file.
        let mut plain = email;
        plain.html.clear();
        let mail = parse(&build_message(&sender(), &plain).unwrap());
        assert_eq!(
            mail.part_types(),
            ["text/plain", "application/pdf", "application/pdf"]
        );
    }

    #[test]
    fn an_attachment_of_unusable_type_is_refused() {
        let mut email = email("Pat", "Acme", "Receipt", "x");
        email.attachments = vec![File {
            content_type: "not a type\r\nBcc: x@evil.example".to_owned(),
            ..pdf("a.pdf")
        }];
        let error = build_message(&sender(), &email).unwrap_err();
        assert!(matches!(
            error,
            MessageError::AttachmentType { index: 0, .. }
        ));
    }

    #[test]
    fn hostile_attachment_names_stay_inside_their_header() {
        let mut email = email("Pat", "Acme", "Receipt", "x");
        email.attachments = vec![pdf("a.pdf\"\r\nBcc: victim@evil.example\r\n\r\nforged")];
        let message = build_message(&sender(), &email).unwrap();
        let mail = parse(&message);
        assert!(mail.header("Bcc").is_none());
        assert_eq!(message.envelope().to().len(), 1);
        let raw = String::from_utf8(message.formatted()).unwrap();
        assert!(!raw.contains("\r\nBcc:"), "{raw}");
        let name = mail.attachments()[0].0.clone().unwrap();
        assert!(name.contains("Bcc: victim@evil.example"), "{name}");
        assert!(!name.contains('\n'), "{name:?}");
    }

    #[test]
    fn message_ids_differ_without_a_key() {
        let one = message_id(&sender(), None).unwrap();
        let two = message_id(&sender(), None).unwrap();
        assert_ne!(one, two);
        assert_eq!(one.len(), "<@portal.example>".len() + 32);
        assert_ne!(message_id(&sender(), Some("")).unwrap(), one);
    }

    #[test]
    fn a_message_key_gives_the_same_message_id_at_every_delivery() {
        let key = "0b6a5c1e-3f1d-4c8e-9a3b-2d7f5e6a1c90";
        let mut email = email("Pat", "Acme", "Invoice", "x");
        email.message_key = Some(key.to_owned());
        let first = parse(&build_message(&sender(), &email).unwrap());
        let again = parse(&build_message(&sender(), &email).unwrap());
        let expected = format!("<{key}@portal.example>");
        assert_eq!(first.header("Message-ID"), Some(expected.as_str()));
        assert_eq!(again.header("Message-ID"), first.header("Message-ID"));
    }

    #[test]
    fn message_keys_cannot_break_out_of_the_header() {
        let id = |key: &str| message_id(&sender(), Some(key)).unwrap();
        assert_eq!(id("a.b_c-D9"), "<a.b_c-D9@portal.example>");
        assert_eq!(
            id("x>\r\nBcc: y@evil"),
            "<x=3E=0D=0ABcc=3A=20y=40evil@portal.example>"
        );
        assert_eq!(id(".a..b."), "<=2Ea.=2Eb=2E@portal.example>");
        assert_eq!(id("é"), "<=C3=A9@portal.example>");
        // Distinct keys stay distinct.
        assert_ne!(id("a b"), id("a_b"));
        assert!(matches!(
            message_id(&sender(), Some(&"k".repeat(201))),
            Err(MessageError::KeyTooLong)
        ));
        let mut email = email("Pat", "Acme", "Hi", "x");
        email.message_key = Some("x>\r\nBcc: victim@evil.example".to_owned());
        let message = build_message(&sender(), &email).unwrap();
        assert!(parse(&message).header("Bcc").is_none());
        assert_eq!(message.envelope().to().len(), 1);
    }

    #[test]
    fn blank_names_are_left_out() {
        let message = build_message(&sender(), &email(" ", "", "Hi", "x")).unwrap();
        let mail = parse(&message);
        assert_eq!(mail.header("From"), Some("billing@portal.example"));
        assert_eq!(mail.header("To"), Some("ap@acme.example"));
    }

    #[test]
    fn non_ascii_names_and_subjects_are_encoded_and_decode_intact() {
        let subject =
            "Facture n° 42 — Société Générale: ünïcödé ✓ and a fairly long tail to force folding";
        let body = "Bonjour Zoë,\n\nVotre lien: https://portal.example/l/abc\n— L'équipe\n";
        let message = build_message(
            &sender(),
            &email("Zoë Ødegård", "Café «Ümlaut» SARL", subject, body),
        )
        .unwrap();
        let raw = String::from_utf8(message.formatted()).unwrap();
        let (head, _) = raw.split_once("\r\n\r\n").unwrap();
        assert!(head.is_ascii(), "headers must be 7-bit: {head}");
        let mail = parse(&message);
        assert_eq!(mail.subject().as_deref(), Some(subject));
        assert_eq!(
            mail.decoded_header("From").as_deref(),
            Some("Café «Ümlaut» SARL <billing@portal.example>")
        );
        assert_eq!(
            mail.decoded_header("To").as_deref(),
            Some("Zoë Ødegård <ap@acme.example>")
        );
        assert_eq!(mail.body.replace("\r\n", "\n"), body);
        assert_eq!(mail.links(), ["https://portal.example/l/abc"]);
    }

    #[test]
    fn header_injection_through_names_or_subject_is_defused() {
        let hostile = "Hi\r\nBcc: victim@evil.example\r\n\r\nforged body";
        let message = build_message(&sender(), &email(hostile, hostile, hostile, "real")).unwrap();
        let mail = parse(&message);
        assert!(mail.header("Bcc").is_none());
        assert_eq!(mail.body, "real");
        assert_eq!(message.envelope().to().len(), 1);
        let one_line = "Hi  Bcc: victim@evil.example    forged body";
        assert_eq!(mail.subject().as_deref(), Some(one_line));
        let from = mail.decoded_header("From").unwrap();
        assert!(from.contains(one_line), "{from}");

        let controls = "Tab\there\u{0}nul\u{1b}[31mesc\u{85}next";
        let message = build_message(&sender(), &email(controls, controls, controls, "x")).unwrap();
        assert_eq!(
            parse(&message).subject().as_deref(),
            Some("Tab here nul [31mesc next")
        );
    }
}
