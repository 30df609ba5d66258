//! A small blocking HTTP/1.1 client for the steps around the load: the
//! operator API calls that set the benchmark up, the health probe of the
//! cold start, the metrics scrapes and the sequential loops that count
//! round trips. One connection per request (`Connection: close`), a time
//! limit on every read and write; the load itself is wrk's.

use std::io::{Read as _, Write as _};
use std::net::{SocketAddr, TcpStream};
use std::time::Duration;

use serde_json::Value;

/// How long any one request may take.
const LIMIT: Duration = Duration::from_secs(30);

/// An answer: status, headers (names in lower case) and body.
#[derive(Debug)]
pub(crate) struct Answer {
    pub(crate) status: u16,
    pub(crate) headers: Vec<(String, String)>,
    pub(crate) body: Vec<u8>,
}

impl Answer {
    /// The first header called `name` (lower case).
    pub(crate) fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    pub(crate) fn json(&self) -> Result<Value, String> {
        serde_json::from_slice(&self.body).map_err(|e| format!("not JSON ({e})"))
    }

    pub(crate) fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

/// One request to the server at `addr`. `headers` are extra lines
/// (`("Cookie", "…")`); `body` is sent with its length.
///
/// # Errors
/// The connection fails, times out, or the answer is not HTTP.
pub(crate) fn request(
    addr: SocketAddr,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: Option<&[u8]>,
) -> Result<Answer, String> {
    let fail = |e: std::io::Error| format!("{method} {}: {e}", redact(path));
    let mut stream = TcpStream::connect_timeout(&addr, LIMIT).map_err(fail)?;
    stream.set_read_timeout(Some(LIMIT)).map_err(fail)?;
    stream.set_write_timeout(Some(LIMIT)).map_err(fail)?;
    stream.set_nodelay(true).map_err(fail)?;
    let mut head = format!(
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\
         User-Agent: Mozilla/5.0 (X11; Linux x86_64) portal-bench\r\n"
    );
    for (name, value) in headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    if let Some(body) = body {
        head.push_str(&format!("Content-Length: {}\r\n", body.len()));
    } else if method == "POST" || method == "PUT" {
        head.push_str("Content-Length: 0\r\n");
    }
    head.push_str("\r\n");
    let mut message = head.into_bytes();
    message.extend_from_slice(body.unwrap_or_default());
    stream.write_all(&message).map_err(fail)?;
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).map_err(fail)?;
    parse(&raw).ok_or_else(|| format!("{method} {}: not an HTTP answer", redact(path)))
}

/// A path with any link token cut off, for error messages.
fn redact(path: &str) -> String {
    match path.strip_prefix("/l/") {
        Some(_) => "/l/…".to_owned(),
        None => path.to_owned(),
    }
}

fn parse(raw: &[u8]) -> Option<Answer> {
    let end = raw.windows(4).position(|w| w == b"\r\n\r\n")?;
    let head = std::str::from_utf8(&raw[..end]).ok()?;
    let mut lines = head.split("\r\n");
    let status = lines.next()?.split(' ').nth(1)?.parse().ok()?;
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(n, v)| (n.trim().to_ascii_lowercase(), v.trim().to_owned()))
        .collect();
    let rest = &raw[end + 4..];
    let chunked = headers
        .iter()
        .any(|(n, v)| n == "transfer-encoding" && v.eq_ignore_ascii_case("chunked"));
    let body = if chunked {
        dechunk(rest)?
    } else {
        rest.to_vec()
    };
    Some(Answer {
        status,
        headers,
        body,
    })
}

/// The body of a chunked answer.
fn dechunk(mut rest: &[u8]) -> Option<Vec<u8>> {
    let mut body = Vec::new();
    // Bounded by the body's length: every chunk consumes at least a line.
    for _ in 0..=rest.len() {
        let line_end = rest.windows(2).position(|w| w == b"\r\n")?;
        let size_text = std::str::from_utf8(&rest[..line_end]).ok()?;
        let size = usize::from_str_radix(size_text.split(';').next()?.trim(), 16).ok()?;
        rest = &rest[line_end + 2..];
        if size == 0 {
            return Some(body);
        }
        body.extend_from_slice(rest.get(..size)?);
        rest = rest.get(size + 2..)?;
    }
    None
}

/// An operator API call with the account's key; answers the JSON body
/// of a 2xx answer.
///
/// # Errors
/// Another status, or a body that is not JSON.
pub(crate) fn api(
    addr: SocketAddr,
    key: &str,
    method: &str,
    path: &str,
    body: &Value,
) -> Result<Value, String> {
    let bearer = format!("Bearer {key}");
    let text = body.to_string();
    let answer = request(
        addr,
        method,
        path,
        &[
            ("Authorization", &bearer),
            ("Content-Type", "application/json"),
        ],
        Some(text.as_bytes()),
    )?;
    if !(200..300).contains(&answer.status) {
        return Err(format!(
            "{method} {path} answered {}: {}",
            answer.status,
            answer.text().chars().take(300).collect::<String>()
        ));
    }
    answer.json().map_err(|e| format!("{method} {path}: {e}"))
}

/// The value of the counter `name` in `GET /metrics`, or `None` when the
/// server does not expose it.
///
/// # Errors
/// The scrape fails.
pub(crate) fn counter(addr: SocketAddr, name: &str) -> Result<Option<f64>, String> {
    let answer = request(addr, "GET", "/metrics", &[], None)?;
    if answer.status != 200 {
        return Err(format!("GET /metrics answered {}", answer.status));
    }
    Ok(answer.text().lines().find_map(|line| {
        let rest = line.strip_prefix(name)?;
        // `name 12` or `name{labels} 12`, not `name_other 12`.
        let rest = rest.strip_prefix(' ').or_else(|| {
            rest.starts_with('{')
                .then(|| rest.split_once('}').map(|(_, v)| v))
                .flatten()
        })?;
        rest.split_whitespace().next()?.parse().ok()
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answers_are_read_plain_and_chunked() {
        let plain = parse(
            b"HTTP/1.1 303 See Other\r\nSet-Cookie: a=b; Path=/\r\nLocation: /portal\r\n\r\nhi",
        )
        .unwrap();
        assert_eq!(plain.status, 303);
        assert_eq!(plain.header("set-cookie"), Some("a=b; Path=/"));
        assert_eq!(plain.body, b"hi");
        let chunked = parse(
            b"HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n",
        )
        .unwrap();
        assert_eq!(chunked.text(), "hello world");
    }
}
