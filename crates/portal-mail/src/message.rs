//! Turning a domain [`Email`] into an RFC 5322 message, shared by every
//! transport so they all send the same bytes.

use lettre::message::header::ContentType;
use lettre::message::{Mailbox, Message};
use lettre::{Address, address::AddressError};
use portal_domain::model::EmailAddress;
use portal_domain::ports::Email;

/// Why an email could not be turned into a message.
#[derive(Debug, thiserror::Error)]
pub(crate) enum MessageError {
    #[error("the recipient address is not usable")]
    Recipient(#[source] AddressError),
    #[error("the system has no randomness for a Message-ID")]
    Random(#[source] getrandom::Error),
    #[error("the message could not be built")]
    Build(#[source] lettre::error::Error),
}

/// The lettre form of a portal address.
pub(crate) fn address(email: &EmailAddress) -> Result<Address, AddressError> {
    email.as_str().parse()
}

/// The message for `email`: `From` carries the email's sender name with
/// the adapter's address `from`, `To` the recipient's name and address,
/// and the body is plain UTF-8 text. Names and subject are encoded by
/// lettre (RFC 2047) whenever they are not plain ASCII, and the body gets
/// whichever transfer encoding suits it.
pub(crate) fn build_message(from: &Address, email: &Email) -> Result<Message, MessageError> {
    let to = address(&email.to).map_err(MessageError::Recipient)?;
    Message::builder()
        .from(Mailbox::new(display_name(&email.from_name), from.clone()))
        .to(Mailbox::new(display_name(&email.to_name), to))
        .subject(header_text(&email.subject))
        .message_id(Some(message_id(from)?))
        .date_now()
        .header(ContentType::TEXT_PLAIN)
        .body(email.text.clone())
        .map_err(MessageError::Build)
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

/// `<128 random bits in hex@sender's domain>`: unique without revealing the
/// host that built it.
fn message_id(from: &Address) -> Result<String, MessageError> {
    let mut random = [0u8; 16];
    getrandom::fill(&mut random).map_err(MessageError::Random)?;
    let hex: String = random.iter().map(|b| format!("{b:02x}")).collect();
    Ok(format!("<{hex}@{}>", from.domain()))
}

#[cfg(test)]
mod tests {
    use portal_test_support::CapturedMail;

    use super::*;

    fn email(to_name: &str, from_name: &str, subject: &str, text: &str) -> Email {
        Email {
            to: EmailAddress::parse("to", "ap@acme.example").unwrap(),
            to_name: to_name.to_owned(),
            from_name: from_name.to_owned(),
            subject: subject.to_owned(),
            text: text.to_owned(),
        }
    }

    fn sender() -> Address {
        "billing@portal.example".parse().unwrap()
    }

    fn parse(message: &Message) -> CapturedMail {
        CapturedMail::from_raw(String::from_utf8(message.formatted()).unwrap())
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
    fn message_ids_differ() {
        let one = message_id(&sender()).unwrap();
        let two = message_id(&sender()).unwrap();
        assert_ne!(one, two);
        assert_eq!(one.len(), "<@portal.example>".len() + 32);
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
