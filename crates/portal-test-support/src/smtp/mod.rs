//! An SMTP server for tests: it accepts every message on a local port and
//! keeps it, decoded, so a test can read the email and follow its links.

use std::io;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::{AsyncBufRead, AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;
use tokio::task::{JoinHandle, JoinSet};

mod mail;

pub use mail::CapturedMail;

/// The largest message kept; a bigger one is refused with `552`.
const MAX_MESSAGE: usize = 10 * 1024 * 1024;
/// The longest command line; a longer one ends the conversation.
const MAX_COMMAND: u64 = 4096;
/// Message lines are read in chunks of at most this many bytes.
const MAX_CHUNK: u64 = 64 * 1024;

const EHLO_REPLY: &str = "250-localhost\r\n250-8BITMIME\r\n250-SMTPUTF8\r\n250 SIZE 10485760";

type Mailbox = watch::Sender<Vec<CapturedMail>>;

/// Messages whose final reply the sink holds back, and for how long: a
/// mail server that is slow to confirm, for tests of deliveries cut short.
#[derive(Debug, Default)]
struct Hold {
    messages: u32,
    delay: Duration,
}

/// What every conversation of one sink shares.
#[derive(Debug)]
struct Shared {
    mailbox: Mailbox,
    hold: Mutex<Hold>,
}

/// A running SMTP server on `127.0.0.1` and a free port. It speaks plain
/// SMTP only (no STARTTLS, no AUTH), accepts every sender and recipient,
/// serves any number of connections and messages per connection, and stops
/// when dropped.
#[derive(Debug)]
pub struct SmtpSink {
    address: SocketAddr,
    shared: Arc<Shared>,
    server: JoinHandle<()>,
}

impl SmtpSink {
    /// Binds a free local port and starts serving on the current runtime.
    ///
    /// # Panics
    /// When no local port can be bound.
    pub async fn start() -> Self {
        Self::start_on(0).await
    }

    /// Binds `127.0.0.1:port` (0 for any free port): a mail server that
    /// comes up where a portal already expects one.
    ///
    /// # Panics
    /// When the port cannot be bound.
    pub async fn start_on(port: u16) -> Self {
        let listener = TcpListener::bind(("127.0.0.1", port))
            .await
            .unwrap_or_else(|e| panic!("the SMTP sink cannot bind port {port}: {e}"));
        let address = listener
            .local_addr()
            .unwrap_or_else(|e| panic!("the SMTP sink has no local address: {e}"));
        let shared = Arc::new(Shared {
            mailbox: watch::channel(Vec::new()).0,
            hold: Mutex::new(Hold::default()),
        });
        let server = tokio::spawn(serve(listener, Arc::clone(&shared)));
        Self {
            address,
            shared,
            server,
        }
    }

    /// Holds back the final `250` of the next `messages` messages for
    /// `delay`, as a slow mail server would. A message is kept once its
    /// data has arrived, even if the client is gone by the time the reply
    /// is due (a server does not know the client died).
    pub fn hold_replies(&self, messages: u32, delay: Duration) {
        let mut hold = self.shared.hold.lock().unwrap_or_else(|e| e.into_inner());
        *hold = Hold { messages, delay };
    }

    pub fn port(&self) -> u16 {
        self.address.port()
    }

    /// The URL that points `portal_mail::SmtpMailer` at this sink:
    /// `smtp://127.0.0.1:<port>?tls=none`.
    pub fn url(&self) -> String {
        format!("smtp://{}?tls=none", self.address)
    }

    /// Every message received so far, oldest first.
    pub fn messages(&self) -> Vec<CapturedMail> {
        self.shared.mailbox.borrow().clone()
    }

    /// Every message received, once there are at least `count`.
    ///
    /// # Panics
    /// When fewer than `count` have arrived after `timeout`.
    pub async fn wait_for(&self, count: usize, timeout: Duration) -> Vec<CapturedMail> {
        let mut receiver = self.shared.mailbox.subscribe();
        let arrived = tokio::time::timeout(timeout, receiver.wait_for(|mail| mail.len() >= count));
        match arrived.await {
            Ok(Ok(mail)) => mail.clone(),
            Ok(Err(_)) => panic!("the SMTP sink at {} stopped", self.address),
            Err(_) => panic!(
                "expected at least {count} email(s) within {timeout:?}, but the SMTP sink at {} \
                 received {}",
                self.address,
                self.shared.mailbox.borrow().len()
            ),
        }
    }
}

impl Drop for SmtpSink {
    fn drop(&mut self) {
        // The connections live in the server task's set and end with it.
        self.server.abort();
    }
}

async fn serve(listener: TcpListener, shared: Arc<Shared>) {
    let mut connections = JoinSet::new();
    loop {
        tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => {
                    connections.spawn(converse(stream, Arc::clone(&shared)));
                }
                // Out of file descriptors, say: let some connections finish.
                Err(_) => tokio::time::sleep(Duration::from_millis(10)).await,
            },
            Some(_) = connections.join_next(), if !connections.is_empty() => {}
        }
    }
}

/// One SMTP session, until `QUIT`, a closed connection or an I/O error.
async fn converse(stream: TcpStream, shared: Arc<Shared>) -> io::Result<()> {
    let (read, mut write) = stream.into_split();
    let mut read = BufReader::new(read);
    write
        .write_all(b"220 localhost SMTP sink ready\r\n")
        .await?;
    // The transaction: its sender once `MAIL` was accepted, and recipients.
    let mut envelope: Option<(String, Vec<String>)> = None;
    let mut line = Vec::new();
    loop {
        line.clear();
        if (&mut read)
            .take(MAX_COMMAND)
            .read_until(b'\n', &mut line)
            .await?
            == 0
        {
            return Ok(());
        }
        if !line.ends_with(b"\n") {
            write.write_all(b"500 Line too long\r\n").await?;
            return Ok(());
        }
        let command = String::from_utf8_lossy(&line);
        let command = command.trim_end_matches(['\r', '\n']);
        let (verb, argument) = command.split_once(' ').unwrap_or((command, ""));
        let reply = match verb.to_ascii_uppercase().as_str() {
            "EHLO" => EHLO_REPLY,
            "HELO" => "250 localhost",
            "MAIL" => match path(argument, "FROM:") {
                Some(from) => {
                    envelope = Some((from, Vec::new()));
                    "250 OK"
                }
                None => "501 Syntax: MAIL FROM:<address>",
            },
            "RCPT" => match (envelope.as_mut(), path(argument, "TO:")) {
                (None, _) => "503 MAIL first",
                (Some(_), None) => "501 Syntax: RCPT TO:<address>",
                (Some((_, to)), Some(recipient)) => {
                    to.push(recipient);
                    "250 OK"
                }
            },
            "DATA" => match envelope.take() {
                Some((from, to)) if !to.is_empty() => {
                    write
                        .write_all(b"354 End data with <CR><LF>.<CR><LF>\r\n")
                        .await?;
                    match read_data(&mut read).await? {
                        Some(raw) => {
                            let raw = String::from_utf8_lossy(&raw).into_owned();
                            let mail = CapturedMail::parse(from, to, raw);
                            shared.mailbox.send_modify(|all| all.push(mail));
                            let delay = {
                                let mut hold =
                                    shared.hold.lock().unwrap_or_else(|e| e.into_inner());
                                (hold.messages > 0).then(|| {
                                    hold.messages -= 1;
                                    hold.delay
                                })
                            };
                            if let Some(delay) = delay {
                                tokio::time::sleep(delay).await;
                            }
                            "250 OK: message captured"
                        }
                        None => "552 Message exceeds 10 MiB",
                    }
                }
                unready => {
                    envelope = unready;
                    "503 MAIL and RCPT first"
                }
            },
            "RSET" => {
                envelope = None;
                "250 OK"
            }
            "NOOP" => "250 OK",
            "QUIT" => {
                write.write_all(b"221 Bye\r\n").await?;
                return Ok(());
            }
            _ => "502 Command not implemented",
        };
        write.write_all(format!("{reply}\r\n").as_bytes()).await?;
    }
}

/// The address in `FROM:<a@b> PARAMS` or `TO:<a@b>` (`prefix` is `FROM:`
/// or `TO:`, in any case); `<>` gives an empty address.
fn path(argument: &str, prefix: &str) -> Option<String> {
    let head = argument.get(..prefix.len())?;
    if !head.eq_ignore_ascii_case(prefix) {
        return None;
    }
    let rest = argument[prefix.len()..].trim_start().strip_prefix('<')?;
    rest.find('>').map(|end| rest[..end].to_owned())
}

/// The message after `DATA`, up to the line holding a lone `.`, with dot
/// stuffing undone; `None` when it was larger than [`MAX_MESSAGE`].
async fn read_data(read: &mut (impl AsyncBufRead + Unpin)) -> io::Result<Option<Vec<u8>>> {
    let mut data = Vec::new();
    let mut too_big = false;
    let mut chunk = Vec::new();
    let mut at_line_start = true;
    loop {
        chunk.clear();
        if read.take(MAX_CHUNK).read_until(b'\n', &mut chunk).await? == 0 {
            return Err(io::ErrorKind::UnexpectedEof.into());
        }
        let mut content = chunk.as_slice();
        if at_line_start {
            if content == b".\r\n" || content == b".\n" {
                return Ok((!too_big).then_some(data));
            }
            content = content.strip_prefix(b".").unwrap_or(content);
        }
        at_line_start = chunk.ends_with(b"\n");
        if too_big || data.len() + content.len() > MAX_MESSAGE {
            too_big = true;
            data = Vec::new();
        } else {
            data.extend_from_slice(content);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn envelope_paths_parse() {
        assert_eq!(
            path("FROM:<a@b.example> BODY=8BITMIME", "FROM:"),
            Some("a@b.example".to_owned())
        );
        assert_eq!(
            path("to: <a@b.example>", "TO:"),
            Some("a@b.example".to_owned())
        );
        assert_eq!(path("FROM:<>", "FROM:"), Some(String::new()));
        assert_eq!(path("FROM:a@b.example", "FROM:"), None);
        assert_eq!(path("TO:<a@b.example>", "FROM:"), None);
    }

    #[tokio::test]
    async fn oversized_messages_are_refused_but_read_to_the_end() {
        let line = "x".repeat(1000) + "\r\n";
        let data = line.repeat(MAX_MESSAGE / line.len() + 1) + ".\r\nNEXT";
        let mut reader = data.as_bytes();
        assert_eq!(read_data(&mut reader).await.unwrap(), None);
        assert_eq!(reader, b"NEXT");
        let mut stuffed: &[u8] = b"..dot\r\n.\r\n";
        assert_eq!(
            read_data(&mut stuffed).await.unwrap(),
            Some(b".dot\r\n".to_vec())
        );
    }

    #[tokio::test]
    #[should_panic(expected = "expected at least 1 email(s)")]
    async fn waiting_in_vain_panics() {
        SmtpSink::start()
            .await
            .wait_for(1, Duration::from_millis(50))
            .await;
    }

    /// Sends `command` (unless empty) and returns the whole reply.
    async fn exchange(stream: &mut BufReader<TcpStream>, command: &str) -> String {
        if !command.is_empty() {
            stream
                .get_mut()
                .write_all(command.as_bytes())
                .await
                .unwrap();
        }
        let mut reply = String::new();
        loop {
            let mut line = String::new();
            stream.read_line(&mut line).await.unwrap();
            reply.push_str(&line);
            if line.len() < 4 || line.as_bytes()[3] == b' ' {
                return reply;
            }
        }
    }

    #[tokio::test]
    async fn a_raw_smtp_conversation_is_captured() {
        let sink = SmtpSink::start().await;
        assert_eq!(
            sink.url(),
            format!("smtp://127.0.0.1:{}?tls=none", sink.port())
        );
        let mut smtp = BufReader::new(
            TcpStream::connect(("127.0.0.1", sink.port()))
                .await
                .unwrap(),
        );
        assert!(exchange(&mut smtp, "").await.starts_with("220 "));
        let ehlo = exchange(&mut smtp, "EHLO client.example\r\n").await;
        assert!(ehlo.starts_with("250-") && !ehlo.contains("STARTTLS") && !ehlo.contains("AUTH"));
        assert!(
            exchange(&mut smtp, "RCPT TO:<x@y.example>\r\n")
                .await
                .starts_with("503")
        );
        assert!(exchange(&mut smtp, "STARTTLS\r\n").await.starts_with("502"));
        assert!(
            exchange(&mut smtp, "MAIL FROM:<from@portal.example>\r\n")
                .await
                .starts_with("250")
        );
        assert!(
            exchange(&mut smtp, "RCPT TO:<a@acme.example>\r\n")
                .await
                .starts_with("250")
        );
        assert!(
            exchange(&mut smtp, "rcpt to:<b@acme.example>\r\n")
                .await
                .starts_with("250")
        );
        assert!(exchange(&mut smtp, "DATA\r\n").await.starts_with("354"));
        let message = "Subject: =?utf-8?q?R=C3=A9sum=C3=A9?=\r\nContent-Transfer-Encoding: quoted-printable\r\n\
            \r\nGo to https://portal.example/l/=\r\nabc\r\n..hidden dot\r\n.\r\n";
        assert!(exchange(&mut smtp, message).await.starts_with("250"));
        assert!(exchange(&mut smtp, "NOOP\r\n").await.starts_with("250"));
        assert!(
            exchange(&mut smtp, "MAIL FROM:<>\r\n")
                .await
                .starts_with("250")
        );
        assert!(exchange(&mut smtp, "RSET\r\n").await.starts_with("250"));
        assert!(exchange(&mut smtp, "DATA\r\n").await.starts_with("503"));
        assert!(
            exchange(&mut smtp, "HELO again\r\n")
                .await
                .starts_with("250 ")
        );
        for command in [
            "MAIL FROM:<>\r\n",
            "RCPT TO:<c@acme.example>\r\n",
            "DATA\r\n",
            "\r\n.\r\n",
        ] {
            exchange(&mut smtp, command).await;
        }
        assert!(exchange(&mut smtp, "QUIT\r\n").await.starts_with("221"));

        let mail = sink.wait_for(2, Duration::from_secs(5)).await;
        assert_eq!(mail.len(), 2);
        assert_eq!(mail[0].from, "from@portal.example");
        assert_eq!(mail[0].to, ["a@acme.example", "b@acme.example"]);
        assert_eq!(mail[0].subject().as_deref(), Some("Résumé"));
        assert_eq!(
            mail[0].body,
            "Go to https://portal.example/l/abc\r\n.hidden dot\r\n"
        );
        assert_eq!(mail[0].links(), ["https://portal.example/l/abc"]);
        assert_eq!((mail[1].from.as_str(), mail[1].raw.as_str()), ("", "\r\n"));
        assert_eq!(sink.messages(), mail);
    }
}
