//! Webhook notifications as Authorize.Net sends them: a JSON envelope
//! signed in `X-ANET-Signature`, POSTed to the merchant's endpoint.

use std::fmt::Write as _;
use std::io;

use chrono::{DateTime, Utc};
use hmac::{Hmac, KeyInit, Mac};
use serde_json::json;
use sha2::Sha512;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// `sha512=` and the upper-case hexadecimal HMAC-SHA512 of `body`, keyed
/// with the signature key's text.
pub fn sign(signature_key: &str, body: &[u8]) -> String {
    let mut mac = <Hmac<Sha512> as KeyInit>::new_from_slice(signature_key.as_bytes())
        .unwrap_or_else(|_| unreachable!("HMAC takes keys of any length"));
    mac.update(body);
    let mut text = String::from("sha512=");
    for byte in mac.finalize().into_bytes() {
        let _ = write!(text, "{byte:02X}");
    }
    text
}

/// A signed notification, ready to send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Webhook {
    pub body: String,
    /// The `X-ANET-Signature` value.
    pub signature: String,
}

impl Webhook {
    /// A notification about a transaction: `event_type` such as
    /// `net.authorize.payment.authcapture.created`, the transaction's id,
    /// its response code (1 approved, 2 declined, 4 held), dated `at`.
    pub fn transaction(
        signature_key: &str,
        notification_id: &str,
        event_type: &str,
        trans_id: &str,
        response_code: u8,
        at: DateTime<Utc>,
    ) -> Self {
        let body = json!({
            "notificationId": notification_id,
            "eventType": event_type,
            // Seven decimals, as the gateway writes them.
            "eventDate": format!(
                "{}.{:07}Z",
                at.format("%Y-%m-%dT%H:%M:%S"),
                at.timestamp_subsec_nanos() / 100
            ),
            "webhookId": "4b8c1a2e-0f7d-4c55-9a1b-2f3e4d5c6b7a",
            "payload": {
                "responseCode": response_code,
                "authCode": "QWX20S",
                "avsResponse": "Y",
                "authAmount": 49.0,
                "entityName": "transaction",
                "id": trans_id,
            },
        })
        .to_string();
        Self::signed(signature_key, body)
    }

    /// Any body, signed with `signature_key`.
    pub fn signed(signature_key: &str, body: String) -> Self {
        let signature = sign(signature_key, body.as_bytes());
        Self { body, signature }
    }

    /// POSTs the notification to `url` (plain `http://host:port/path`),
    /// answering the HTTP status and body.
    ///
    /// # Errors
    /// When the endpoint cannot be reached or answers no HTTP.
    pub async fn send(&self, url: &str) -> io::Result<(u16, String)> {
        post(
            url,
            &[
                ("Content-Type", "application/json"),
                ("X-ANET-Signature", &self.signature),
            ],
            self.body.as_bytes(),
        )
        .await
    }
}

/// A minimal HTTP/1.1 POST over a fresh connection.
async fn post(url: &str, headers: &[(&str, &str)], body: &[u8]) -> io::Result<(u16, String)> {
    let invalid = |what: &str| io::Error::new(io::ErrorKind::InvalidInput, what.to_owned());
    let rest = url
        .strip_prefix("http://")
        .ok_or_else(|| invalid("only http:// URLs"))?;
    let (authority, path) = match rest.find('/') {
        Some(i) => (&rest[..i], &rest[i..]),
        None => (rest, "/"),
    };
    let mut stream = TcpStream::connect(authority).await?;
    let mut request = format!("POST {path} HTTP/1.1\r\nHost: {authority}\r\nConnection: close\r\n");
    for (name, value) in headers {
        let _ = write!(request, "{name}: {value}\r\n");
    }
    let _ = write!(request, "Content-Length: {}\r\n\r\n", body.len());
    stream.write_all(request.as_bytes()).await?;
    stream.write_all(body).await?;
    let mut answer = Vec::new();
    stream.read_to_end(&mut answer).await?;
    let text = String::from_utf8_lossy(&answer);
    let (head, payload) = text
        .split_once("\r\n\r\n")
        .ok_or_else(|| invalid("no HTTP answer"))?;
    let status = head
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| invalid("no HTTP status"))?;
    let chunked = head.lines().any(|l| {
        l.to_ascii_lowercase()
            .starts_with("transfer-encoding: chunked")
    });
    let payload = if chunked {
        dechunk(payload)
    } else {
        payload.to_owned()
    };
    Ok((status, payload))
}

fn dechunk(mut text: &str) -> String {
    let mut out = String::new();
    while let Some((size, rest)) = text.split_once("\r\n") {
        let Ok(size) = usize::from_str_radix(size.trim(), 16) else {
            break;
        };
        if size == 0 || rest.len() < size {
            break;
        }
        out.push_str(&rest[..size]);
        text = rest[size..].trim_start_matches("\r\n");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_documented_vector_signs_alike() {
        let body = r#"{"notificationId":"d0e8e7fe-c3e7-4add-a480-27bc5ce28a18","eventType":"net.authorize.payment.authcapture.created","eventDate":"2017-03-29T20:48:02.0080095Z","webhookId":"63d6fea2-aa13-4b1d-a204-f5fbc15942b7","payload":{"responseCode":1,"merchantReferenceId":"19102146534003137356","authCode":"LZ6I19","avsResponse":"Y","authAmount":45.00,"entityName":"transaction","id":"60020981676"}}"#;
        assert_eq!(
            sign(&"0123456789ABCDEF".repeat(8), body.as_bytes()),
            "sha512=BB7CAB5B8DBADF5787582BCC32FFBE05D2403E6C88C48F9289963D52A02898240557DBA374CA52C830A56FE78272998C9717742F6E48E32425B645BA9CFAB4E9"
        );
    }

    #[test]
    fn chunked_bodies_are_joined() {
        assert_eq!(dechunk("3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n"), "abcde");
    }
}
