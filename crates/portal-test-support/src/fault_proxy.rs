//! An HTTP proxy for tests that stands between a client and a local
//! stand-in server and makes the next few requests fail: no answer in
//! time, or a server error. It can also drop form fields the stand-in
//! does not know yet (localstripe predates some of Stripe's parameters).

use std::io;
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinHandle;

/// The largest request head the proxy reads.
const MAX_HEAD: usize = 64 * 1024;
/// The largest request body the proxy forwards.
const MAX_BODY: usize = 8 * 1024 * 1024;

/// The body of an injected server error: shaped like Stripe's errors so a
/// client reads it as the server's answer, not as garbage.
const SERVER_ERROR_BODY: &str =
    r#"{"error":{"type":"api_error","message":"An error occurred on the test proxy."}}"#;

/// What the next requests answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProxyFault {
    /// The request reaches the server, but its answer is held back for
    /// the proxy's hold time and then the connection is dropped: the
    /// client times out not knowing whether the request took effect.
    Timeout,
    /// HTTP 500 at once; the request never reaches the server.
    ServerError,
}

#[derive(Debug, Default)]
struct Plan {
    fault: Option<ProxyFault>,
    /// Requests to let pass before the fault applies.
    skip: u32,
    remaining: u32,
    /// Requests seen, faulted or not.
    seen: u64,
}

impl Plan {
    fn next(&mut self) -> Option<ProxyFault> {
        self.seen += 1;
        if self.remaining == 0 {
            return None;
        }
        if self.skip > 0 {
            self.skip -= 1;
            return None;
        }
        self.remaining -= 1;
        self.fault
    }
}

/// How a proxy behaves besides the faults injected.
#[derive(Debug, Clone)]
pub struct ProxyOptions {
    /// How long a [`ProxyFault::Timeout`] holds its answer: make it longer
    /// than the client's timeout.
    pub hold: Duration,
    /// Form fields (`application/x-www-form-urlencoded` bodies) removed
    /// before forwarding: a field named here goes with all its nested
    /// keys (`name[0]`, `name[a][b]`).
    pub drop_form_fields: Vec<String>,
}

impl Default for ProxyOptions {
    fn default() -> Self {
        Self {
            hold: Duration::from_secs(5),
            drop_form_fields: Vec::new(),
        }
    }
}

/// A proxy on `127.0.0.1` and a free port, forwarding one request per
/// connection to `upstream` (HTTP/1.1, `Connection: close`). It stops when
/// dropped.
#[derive(Debug)]
pub struct FaultProxy {
    address: SocketAddr,
    plan: Arc<Mutex<Plan>>,
    server: JoinHandle<()>,
}

impl FaultProxy {
    /// Starts on the current runtime.
    ///
    /// # Errors
    /// No local port could be bound.
    pub async fn start(upstream: SocketAddr, options: ProxyOptions) -> io::Result<Self> {
        let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).await?;
        let address = listener.local_addr()?;
        let plan = Arc::new(Mutex::new(Plan::default()));
        let shared = Arc::clone(&plan);
        let options = Arc::new(options);
        let server = tokio::spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                let plan = Arc::clone(&shared);
                let options = Arc::clone(&options);
                tokio::spawn(async move {
                    let _ = serve(client, upstream, plan, &options).await;
                });
            }
        });
        Ok(Self {
            address,
            plan,
            server,
        })
    }

    /// `http://127.0.0.1:<port>`, with no trailing slash.
    pub fn url(&self) -> String {
        format!("http://{}", self.address)
    }

    pub fn address(&self) -> SocketAddr {
        self.address
    }

    /// Makes the next `times` requests answer `fault`; then requests pass
    /// again. Replaces any fault still pending.
    pub fn inject(&self, fault: ProxyFault, times: u32) {
        self.inject_after(0, fault, times);
    }

    /// Lets the next `skip` requests pass, then makes `times` answer
    /// `fault`: to fail one step of an operation that sends several.
    pub fn inject_after(&self, skip: u32, fault: ProxyFault, times: u32) {
        let mut plan = self.plan.lock().unwrap_or_else(|e| e.into_inner());
        plan.fault = Some(fault);
        plan.skip = skip;
        plan.remaining = times;
    }

    /// How many requests reached the proxy so far.
    pub fn requests_seen(&self) -> u64 {
        self.plan.lock().unwrap_or_else(|e| e.into_inner()).seen
    }
}

impl Drop for FaultProxy {
    fn drop(&mut self) {
        self.server.abort();
    }
}

async fn serve(
    mut client: TcpStream,
    upstream: SocketAddr,
    plan: Arc<Mutex<Plan>>,
    options: &ProxyOptions,
) -> io::Result<()> {
    let request = read_request(&mut client, &options.drop_form_fields).await?;
    let fault = plan.lock().unwrap_or_else(|e| e.into_inner()).next();
    match fault {
        Some(ProxyFault::ServerError) => {
            let answer = format!(
                "HTTP/1.1 500 Internal Server Error\r\nContent-Type: application/json\r\n\
                 Content-Length: {}\r\nConnection: close\r\n\r\n{SERVER_ERROR_BODY}",
                SERVER_ERROR_BODY.len()
            );
            client.write_all(answer.as_bytes()).await?;
            client.shutdown().await
        }
        Some(ProxyFault::Timeout) => {
            let _answer = forward(&request, upstream).await;
            tokio::time::sleep(options.hold).await;
            Ok(())
        }
        None => {
            let answer = forward(&request, upstream).await?;
            client.write_all(&answer).await?;
            client.shutdown().await
        }
    }
}

/// Reads one request: its head with `Connection: close` in place of any
/// connection header, and its body (by `Content-Length`) less the form
/// fields to drop.
async fn read_request(client: &mut TcpStream, drop_fields: &[String]) -> io::Result<Vec<u8>> {
    let mut buffer = Vec::with_capacity(4096);
    let head_end = loop {
        if let Some(end) = find(&buffer, b"\r\n\r\n") {
            break end;
        }
        if buffer.len() > MAX_HEAD {
            return Err(invalid("request head too long"));
        }
        let mut chunk = [0u8; 4096];
        let read = client.read(&mut chunk).await?;
        if read == 0 {
            return Err(invalid("connection closed mid-request"));
        }
        buffer.extend_from_slice(&chunk[..read]);
    };
    let head = std::str::from_utf8(&buffer[..head_end])
        .map_err(|_| invalid("request head not UTF-8"))?
        .to_owned();
    let mut length = 0usize;
    let mut lines = Vec::new();
    for line in head.split("\r\n") {
        let lower = line.to_ascii_lowercase();
        if let Some(value) = lower.strip_prefix("content-length:") {
            length = value
                .trim()
                .parse()
                .map_err(|_| invalid("bad content-length"))?;
        }
        if lower.starts_with("connection:")
            || lower.starts_with("keep-alive:")
            || lower.starts_with("content-length:")
        {
            continue;
        }
        lines.push(line);
    }
    if length > MAX_BODY {
        return Err(invalid("request body too long"));
    }
    let mut body = buffer[head_end + 4..].to_vec();
    while body.len() < length {
        let mut chunk = [0u8; 4096];
        let read = client.read(&mut chunk).await?;
        if read == 0 {
            return Err(invalid("connection closed mid-body"));
        }
        body.extend_from_slice(&chunk[..read]);
    }
    body.truncate(length);
    let form = lines.iter().any(|line| {
        let lower = line.to_ascii_lowercase();
        lower.starts_with("content-type:") && lower.contains("application/x-www-form-urlencoded")
    });
    if form && !drop_fields.is_empty() {
        body = drop_form_fields(&body, drop_fields);
    }
    let mut request = lines.join("\r\n").into_bytes();
    request.extend_from_slice(
        format!(
            "\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
            body.len()
        )
        .as_bytes(),
    );
    request.extend_from_slice(&body);
    Ok(request)
}

/// `body` without the pairs whose key is one of `fields` or nested under
/// one (brackets may come percent-encoded).
fn drop_form_fields(body: &[u8], fields: &[String]) -> Vec<u8> {
    let text = String::from_utf8_lossy(body);
    let kept: Vec<&str> = text
        .split('&')
        .filter(|pair| {
            let key = pair.split('=').next().unwrap_or_default();
            let key = key.replace("%5B", "[").replace("%5b", "[");
            let name = key.split('[').next().unwrap_or_default();
            !fields.iter().any(|field| field == name)
        })
        .collect();
    kept.join("&").into_bytes()
}

/// Sends `request` upstream and answers everything it sent back.
async fn forward(request: &[u8], upstream: SocketAddr) -> io::Result<Vec<u8>> {
    let mut server = TcpStream::connect(upstream).await?;
    server.write_all(request).await?;
    let mut answer = Vec::new();
    server.read_to_end(&mut answer).await?;
    Ok(answer)
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

fn invalid(message: &str) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, message.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dropped_form_fields_take_their_nested_keys_along() {
        let body = b"customer=cus_1&allowed_payment_method_types%5B0%5D=card\
&allowed_payment_method_types[1]=us_bank_account&metadata%5Bkey%5D=v&allowed=1";
        let kept = drop_form_fields(body, &["allowed_payment_method_types".to_owned()]);
        assert_eq!(kept, b"customer=cus_1&metadata%5Bkey%5D=v&allowed=1");
    }
}
