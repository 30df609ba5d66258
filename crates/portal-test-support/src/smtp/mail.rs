//! A message as the sink received it, and the decoding that makes it
//! readable: unfolded headers, RFC 2047 words, quoted-printable and base64
//! bodies, the parts of a multipart message (nested ones too), and its
//! links.

use base64::Engine;
use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD};

/// A message as the sink received it, with its envelope and decoded text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CapturedMail {
    /// The envelope sender (`MAIL FROM`), empty for `<>`.
    pub from: String,
    /// The envelope recipients (`RCPT TO`), in order.
    pub to: Vec<String>,
    /// The message as sent, headers and encoded body.
    pub raw: String,
    /// Header names and values in order, values unfolded and trimmed but
    /// not decoded.
    pub headers: Vec<(String, String)>,
    /// The body with its transfer encoding undone: the whole body of a
    /// single-part message, the first `text/plain` part of a multipart one.
    pub body: String,
}

/// One leaf part of a message (an alternative body or an attachment),
/// decoded.
#[derive(Debug, Clone, PartialEq, Eq)]
struct MimePart {
    /// The part's headers, unfolded and trimmed.
    headers: Vec<(String, String)>,
    /// The media type, lower-cased, without parameters (`text/html`).
    mime: String,
    /// The content with its transfer encoding undone.
    content: Vec<u8>,
}

impl MimePart {
    fn header(&self, name: &str) -> Option<&str> {
        find(&self.headers, name)
    }

    fn is_attachment(&self) -> bool {
        self.header("Content-Disposition").is_some_and(|d| {
            d.split(';')
                .next()
                .is_some_and(|kind| kind.trim().eq_ignore_ascii_case("attachment"))
        })
    }

    /// The file name of an attachment (`filename=` or RFC 2231's
    /// `filename*=`), decoded.
    fn filename(&self) -> Option<String> {
        let disposition = self.header("Content-Disposition")?;
        let mut plain = None;
        let mut extended = String::new();
        for field in disposition.split(';').skip(1) {
            let Some((key, value)) = field.split_once('=') else {
                continue;
            };
            let key = key.trim().to_ascii_lowercase();
            let value = value.trim();
            if key == "filename" {
                plain = Some(value.trim_matches('"').to_owned());
            } else if key.starts_with("filename*") {
                // `utf-8''%C3%A9…` in the first piece, `%XX` text after.
                let value = value.trim_matches('"');
                let value = value.split_once("''").map_or(value, |(_, rest)| rest);
                extended.push_str(value);
            }
        }
        if extended.is_empty() {
            plain
        } else {
            Some(String::from_utf8_lossy(&percent_decode(&extended)).into_owned())
        }
    }
}

impl CapturedMail {
    /// A message read from elsewhere (an `.eml` file, say), with an empty
    /// envelope.
    pub fn from_raw(raw: impl Into<String>) -> Self {
        Self::parse(String::new(), Vec::new(), raw.into())
    }

    pub(super) fn parse(from: String, to: Vec<String>, raw: String) -> Self {
        let (headers, body) = split_entity(&raw);
        let body = match boundary(&headers) {
            Some(boundary) => first_plain_part(body, &boundary).unwrap_or_else(|| body.to_owned()),
            None => decode_transfer(find(&headers, "Content-Transfer-Encoding"), body),
        };
        Self {
            from,
            to,
            headers,
            body,
            raw,
        }
    }

    /// The first header called `name` (in any case), as sent.
    pub fn header(&self, name: &str) -> Option<&str> {
        find(&self.headers, name)
    }

    /// The first header called `name`, with RFC 2047 encoded words decoded.
    pub fn decoded_header(&self, name: &str) -> Option<String> {
        self.header(name).map(decode_words)
    }

    /// Every leaf part of the message in order, nested multiparts
    /// flattened; a single-part message is one part.
    fn parts(&self) -> Vec<MimePart> {
        let (headers, body) = split_entity(&self.raw);
        let mut parts = Vec::new();
        collect_parts(headers, body, &mut parts);
        parts
    }

    /// The media types of the message's leaf parts, in order, lower-cased
    /// and without parameters (`["text/plain", "text/html"]`).
    pub fn part_types(&self) -> Vec<String> {
        self.parts().into_iter().map(|p| p.mime).collect()
    }

    /// The first `text/html` part that is not an attachment, decoded.
    pub fn html(&self) -> Option<String> {
        self.parts()
            .into_iter()
            .find(|p| p.mime == "text/html" && !p.is_attachment())
            .map(|p| String::from_utf8_lossy(&p.content).into_owned())
    }

    /// The attachments (`Content-Disposition: attachment`) in order, each
    /// as its decoded file name, media type and decoded content.
    pub fn attachments(&self) -> Vec<(Option<String>, String, Vec<u8>)> {
        self.parts()
            .into_iter()
            .filter(MimePart::is_attachment)
            .map(|p| (p.filename(), p.mime, p.content))
            .collect()
    }

    /// The decoded `Subject`.
    pub fn subject(&self) -> Option<String> {
        self.decoded_header("Subject")
    }

    /// Every `http://` and `https://` URL in the body, in order, without
    /// trailing punctuation.
    pub fn links(&self) -> Vec<String> {
        let mut links = Vec::new();
        let mut rest = self.body.as_str();
        while let Some(start) = rest.find("http") {
            let candidate = &rest[start..];
            let Some(after) = candidate
                .strip_prefix("https://")
                .or(candidate.strip_prefix("http://"))
            else {
                rest = &candidate[4..];
                continue;
            };
            let end = candidate
                .find(|c: char| c.is_whitespace() || matches!(c, '<' | '>' | '"' | '\''))
                .unwrap_or(candidate.len());
            let link = candidate[..end].trim_end_matches(['.', ',', ';', ':', '!', '?', ')', ']']);
            if link.len() > candidate.len() - after.len() {
                links.push(link.to_owned());
            }
            rest = &candidate[end..];
        }
        links
    }
}

fn find<'a>(headers: &'a [(String, String)], name: &str) -> Option<&'a str> {
    headers
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_str())
}

/// Headers (unfolded, trimmed) and body of a message or MIME part.
fn split_entity(text: &str) -> (Vec<(String, String)>, &str) {
    let mut headers: Vec<(String, String)> = Vec::new();
    let mut offset = 0;
    let mut body = "";
    for line in text.split_inclusive('\n') {
        offset += line.len();
        let line = line.trim_end_matches(['\r', '\n']);
        if line.is_empty() {
            body = &text[offset..];
            break;
        }
        if line.starts_with([' ', '\t']) {
            if let Some((_, value)) = headers.last_mut() {
                value.push_str(line);
            }
        } else if let Some((name, value)) = line.split_once(':') {
            headers.push((name.trim().to_owned(), value.to_owned()));
        }
    }
    for (_, value) in &mut headers {
        *value = value.trim().to_owned();
    }
    (headers, body)
}

/// The boundary of a `multipart/*` entity.
fn boundary(headers: &[(String, String)]) -> Option<String> {
    let mut fields = find(headers, "Content-Type")?.split(';');
    if !fields
        .next()?
        .trim()
        .to_ascii_lowercase()
        .starts_with("multipart/")
    {
        return None;
    }
    fields.find_map(|field| {
        let (key, value) = field.split_once('=')?;
        key.trim()
            .eq_ignore_ascii_case("boundary")
            .then(|| value.trim().trim_matches('"').to_owned())
    })
}

/// The leaf parts of an entity, multiparts opened recursively.
fn collect_parts(headers: Vec<(String, String)>, body: &str, out: &mut Vec<MimePart>) {
    if let Some(separator) = boundary(&headers) {
        for part in multipart_parts(body, &separator) {
            let (headers, content) = split_entity(part);
            collect_parts(headers, content, out);
        }
        return;
    }
    let mime = find(&headers, "Content-Type")
        .unwrap_or("text/plain")
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    let content = decode_transfer_bytes(find(&headers, "Content-Transfer-Encoding"), body);
    out.push(MimePart {
        headers,
        mime,
        content,
    });
}

/// The parts between the delimiters of a multipart body, each without the
/// line break that belongs to the next delimiter.
fn multipart_parts<'a>(body: &'a str, separator: &str) -> Vec<&'a str> {
    let delimiter = format!("--{separator}");
    let mut parts = Vec::new();
    for part in body.split(delimiter.as_str()).skip(1) {
        if part.starts_with("--") {
            break;
        }
        let part = part.split_once('\n').map_or("", |(_, rest)| rest);
        let part = part.strip_suffix('\n').unwrap_or(part);
        let part = part.strip_suffix('\r').unwrap_or(part);
        parts.push(part);
    }
    parts
}

/// `%XX` escapes decoded; anything else kept as it is.
fn percent_decode(text: &str) -> Vec<u8> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%'
            && let Some(byte) = bytes.get(i + 1..i + 3).and_then(hex_byte)
        {
            out.push(byte);
            i += 3;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    out
}

/// The decoded first `text/plain` part of a multipart body, searching
/// nested multiparts too.
fn first_plain_part(body: &str, separator: &str) -> Option<String> {
    let delimiter = format!("--{separator}");
    for part in body.split(delimiter.as_str()).skip(1) {
        if part.starts_with("--") {
            break;
        }
        let part = part.split_once('\n').map_or("", |(_, rest)| rest);
        let (headers, content) = split_entity(part);
        let content = content.strip_suffix('\n').unwrap_or(content);
        let content = content.strip_suffix('\r').unwrap_or(content);
        if let Some(inner) = boundary(&headers) {
            if let Some(text) = first_plain_part(content, &inner) {
                return Some(text);
            }
            continue;
        }
        let content_type = find(&headers, "Content-Type").unwrap_or("text/plain");
        let mime = content_type.split(';').next().unwrap_or("").trim();
        if mime.eq_ignore_ascii_case("text/plain") {
            return Some(decode_transfer(
                find(&headers, "Content-Transfer-Encoding"),
                content,
            ));
        }
    }
    None
}

/// `body` with its `Content-Transfer-Encoding` undone, read as UTF-8.
fn decode_transfer(encoding: Option<&str>, body: &str) -> String {
    String::from_utf8_lossy(&decode_transfer_bytes(encoding, body)).into_owned()
}

/// `body` with its `Content-Transfer-Encoding` undone.
fn decode_transfer_bytes(encoding: Option<&str>, body: &str) -> Vec<u8> {
    match encoding.map(|e| e.trim().to_ascii_lowercase()).as_deref() {
        Some("quoted-printable") => decode_quoted_printable(body),
        Some("base64") => {
            let compact: String = body.chars().filter(|c| !c.is_ascii_whitespace()).collect();
            STANDARD
                .decode(&compact)
                .unwrap_or_else(|_| body.as_bytes().to_vec())
        }
        _ => body.as_bytes().to_vec(),
    }
}

/// Quoted-printable: `=XX` escapes and `=` soft line breaks.
fn decode_quoted_printable(text: &str) -> Vec<u8> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'=' {
            let after = &bytes[i + 1..];
            if after.starts_with(b"\r\n") {
                i += 3;
                continue;
            }
            if after.starts_with(b"\n") {
                i += 2;
                continue;
            }
            if let Some(byte) = after.get(..2).and_then(hex_byte) {
                out.push(byte);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    out
}

fn hex_byte(pair: &[u8]) -> Option<u8> {
    let digit = |b: u8| char::from(b).to_digit(16);
    match pair {
        [high, low] => Some(u8::try_from(digit(*high)? * 16 + digit(*low)?).ok()?),
        _ => None,
    }
}

/// A header value with its RFC 2047 encoded words (`=?utf-8?b?…?=`,
/// `=?utf-8?q?…?=`) decoded. Whitespace between adjacent encoded words is
/// dropped, and their bytes are joined before reading them as UTF-8, so a
/// character split across two words survives. Words in other charsets
/// are left as they are.
fn decode_words(value: &str) -> String {
    let mut out = String::new();
    let mut pending: Vec<u8> = Vec::new();
    let mut rest = value;
    while let Some(start) = rest.find("=?") {
        let (before, candidate) = rest.split_at(start);
        match encoded_word(candidate) {
            Some((bytes, length)) => {
                if pending.is_empty() || !before.chars().all(char::is_whitespace) {
                    out.push_str(&String::from_utf8_lossy(&std::mem::take(&mut pending)));
                    out.push_str(before);
                }
                pending.extend(bytes);
                rest = &candidate[length..];
            }
            None => {
                out.push_str(&String::from_utf8_lossy(&std::mem::take(&mut pending)));
                out.push_str(before);
                out.push_str("=?");
                rest = &candidate[2..];
            }
        }
    }
    out.push_str(&String::from_utf8_lossy(&pending));
    out.push_str(rest);
    out
}

/// The bytes of the encoded word at the start of `text` and its length.
fn encoded_word(text: &str) -> Option<(Vec<u8>, usize)> {
    let inner = text.strip_prefix("=?")?;
    let (labelled, rest) = inner.split_once('?')?;
    let (encoding, rest) = rest.split_once('?')?;
    let payload = &rest[..rest.find("?=")?];
    // RFC 2231 lets a language follow the charset: `utf-8*en`.
    let charset = labelled.split('*').next().unwrap_or("");
    if !(charset.eq_ignore_ascii_case("utf-8") || charset.eq_ignore_ascii_case("us-ascii"))
        || payload.contains(|c: char| c.is_whitespace())
    {
        return None;
    }
    let bytes = match encoding {
        "b" | "B" => STANDARD
            .decode(payload)
            .or_else(|_| STANDARD_NO_PAD.decode(payload))
            .ok()?,
        "q" | "Q" => decode_q(payload),
        _ => return None,
    };
    let length = "=?".len() + labelled.len() + 1 + encoding.len() + 1 + payload.len() + "?=".len();
    Some((bytes, length))
}

/// The `Q` encoding of RFC 2047: quoted-printable with `_` for space.
fn decode_q(payload: &str) -> Vec<u8> {
    let bytes = payload.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'_' => out.push(b' '),
            b'=' => {
                if let Some(byte) = bytes.get(i + 1..i + 3).and_then(hex_byte) {
                    out.push(byte);
                    i += 2;
                } else {
                    out.push(b'=');
                }
            }
            other => out.push(other),
        }
        i += 1;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoted_printable_and_base64_bodies_decode() {
        let qp = "Caf=C3=A9 =3D ok, a long=\r\n line=\nhttps://x.example/=\r\nabc =ZZ=";
        assert_eq!(
            decode_transfer(Some("Quoted-Printable"), qp),
            "Café = ok, a long line\
            https://x.example/abc =ZZ="
        );
        let b64 = "Q2Fmw6kgb2sK\r\nbGluZSAy\r\n";
        assert_eq!(decode_transfer(Some("base64"), b64), "Café ok\nline 2");
        assert_eq!(decode_transfer(Some("8bit"), "as is\r\n"), "as is\r\n");
        assert_eq!(decode_transfer(None, "as is"), "as is");
    }

    #[test]
    fn encoded_words_decode() {
        assert_eq!(decode_words("=?utf-8?b?Q2Fmw6k=?="), "Café");
        assert_eq!(
            decode_words("=?UTF-8?Q?Caf=C3=A9_cr=C3=A8me?= ok"),
            "Café crème ok"
        );
        // Adjacent words join, even with a character split between them.
        assert_eq!(
            decode_words("=?utf-8?b?w6k=?=\r\n =?utf-8?b?w6k=?= x"),
            "éé x"
        );
        assert_eq!(decode_words("=?utf-8?q?=C3?= =?utf-8?q?=A9?="), "é");
        assert_eq!(decode_words("a =?utf-8*fr?q?=C3=A9?= b"), "a é b");
        for untouched in [
            "=?iso-8859-2?q?x?=",
            "=? not a word",
            "1 =?utf-8?x?abc?= 2",
            "a=?b",
        ] {
            assert_eq!(decode_words(untouched), untouched);
        }
    }

    #[test]
    fn headers_unfold_and_multiparts_yield_their_first_plain_part() {
        let raw = "Subject: one\r\n two\r\nContent-Type: multipart/mixed; boundary=\"outer\"\r\n\r\n\
            preamble\r\n--outer\r\nContent-Type: multipart/alternative; boundary=inner\r\n\r\n\
            --inner\r\nContent-Type: text/html\r\n\r\n<p>html</p>\r\n\
            --inner\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: base64\r\n\r\n\
            aGkgaHR0cHM6Ly9hLmV4YW1wbGUvcA==\r\n--inner--\r\n--outer--\r\n";
        let mail = CapturedMail::from_raw(raw);
        assert_eq!(mail.header("subject"), Some("one two"));
        assert_eq!(mail.body, "hi https://a.example/p");
        assert_eq!(mail.links(), ["https://a.example/p"]);
        assert_eq!(CapturedMail::from_raw("Subject: x").body, "");
    }

    #[test]
    fn every_part_decodes_with_attachment_names() {
        let raw = "Content-Type: multipart/mixed; boundary=outer\r\n\r\n\
            --outer\r\nContent-Type: multipart/alternative; boundary=inner\r\n\r\n\
            --inner\r\nContent-Type: text/plain\r\n\r\nplain\r\n\
            --inner\r\nContent-Type: text/html; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n<p>Caf=C3=A9</p>\r\n--inner--\r\n\
            --outer\r\nContent-Type: application/pdf\r\nContent-Disposition: attachment; filename*=utf-8''Re%C3%A7u.pdf\r\n\
            Content-Transfer-Encoding: base64\r\n\r\nJVBERi0=\r\n--outer--\r\n";
        let mail = CapturedMail::from_raw(raw);
        assert_eq!(
            mail.part_types(),
            ["text/plain", "text/html", "application/pdf"]
        );
        assert_eq!(mail.body, "plain");
        assert_eq!(mail.html().as_deref(), Some("<p>Café</p>"));
        assert_eq!(
            mail.attachments(),
            [(
                Some("Reçu.pdf".to_owned()),
                "application/pdf".to_owned(),
                b"%PDF-".to_vec()
            )]
        );
        assert_eq!(
            CapturedMail::from_raw("\r\nonly text").part_types(),
            ["text/plain"]
        );
    }

    #[test]
    fn links_lose_trailing_punctuation() {
        let mail = CapturedMail::from_raw(
            "\r\nSee https://a.example/x?y=1&z=2. Or (http://b.example/), <https://c.example> http:// httpx",
        );
        assert_eq!(
            mail.links(),
            [
                "https://a.example/x?y=1&z=2",
                "http://b.example/",
                "https://c.example"
            ]
        );
    }
}
