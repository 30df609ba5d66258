//! The `portal-stand-ins` binary as the browser test runs it: it prints
//! where its stand-ins listen, a message sent to its SMTP sink comes back
//! from its mail endpoint, its Authorize.Net fake serves Accept.js, its
//! Stripe proxy drops what localstripe does not know, and it exits once
//! its standard input closes, or on SIGTERM.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process::{Child, ChildStdout, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

const TIMEOUT: Duration = Duration::from_secs(10);

/// Starts the binary with `args` and reads the line it prints once ready.
fn start(args: &[&str]) -> (Child, BufReader<ChildStdout>, Value) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_portal-stand-ins"))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("start portal-stand-ins");
    let mut stdout = BufReader::new(child.stdout.take().expect("piped stdout"));
    let mut line = String::new();
    stdout.read_line(&mut line).expect("read the ready line");
    let ready: Value = serde_json::from_str(&line).unwrap_or_else(|e| panic!("{e}: {line:?}"));
    (child, stdout, ready)
}

/// `host:port` of an `http://` or `smtp://` URL.
fn authority(url: &str) -> &str {
    let rest = url.split_once("://").map_or(url, |(_, rest)| rest);
    rest.split(['/', '?']).next().unwrap_or(rest)
}

fn connect(url: &str) -> TcpStream {
    let stream = TcpStream::connect(authority(url)).expect("connect to a stand-in");
    stream.set_read_timeout(Some(TIMEOUT)).unwrap();
    stream
}

/// The status line and body of `GET url`.
fn get(url: &str) -> (String, String) {
    let mut stream = connect(url);
    let path = &url[url.find(authority(url)).unwrap() + authority(url).len()..];
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: {}\r\nConnection: close\r\n\r\n",
        authority(url)
    )
    .unwrap();
    let mut answer = String::new();
    stream.read_to_string(&mut answer).unwrap();
    let (head, body) = answer.split_once("\r\n\r\n").unwrap_or((&answer, ""));
    (
        head.lines().next().unwrap_or("").to_owned(),
        body.to_owned(),
    )
}

/// Sends one message through the SMTP sink, command by command.
fn send_mail(smtp_url: &str, subject: &str) {
    let stream = connect(smtp_url);
    let mut reader = BufReader::new(stream.try_clone().unwrap());
    let mut writer = stream;
    let mut expect = |code: &str| loop {
        let mut line = String::new();
        reader.read_line(&mut line).unwrap();
        assert!(line.starts_with(code), "expected {code}, got {line:?}");
        if line.as_bytes().get(3) == Some(&b' ') {
            break;
        }
    };
    expect("220");
    for (command, reply) in [
        ("EHLO test.example\r\n", "250"),
        ("MAIL FROM:<billing@portal.test>\r\n", "250"),
        ("RCPT TO:<ap@acme.example>\r\n", "250"),
        ("DATA\r\n", "354"),
    ] {
        writer.write_all(command.as_bytes()).unwrap();
        expect(reply);
    }
    write!(
        writer,
        "Subject: {subject}\r\nContent-Type: text/plain\r\n\r\nThank you.\r\n.\r\n"
    )
    .unwrap();
    expect("250");
    writer.write_all(b"QUIT\r\n").unwrap();
    expect("221");
}

fn wait_exit(child: &mut Child) -> std::process::ExitStatus {
    let deadline = Instant::now() + TIMEOUT;
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return status;
        }
        assert!(
            Instant::now() < deadline,
            "portal-stand-ins did not exit within {TIMEOUT:?}"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn mail_comes_back_from_the_endpoint_and_closing_stdin_stops_it() {
    let (mut child, _stdout, ready) = start(&[]);
    assert_eq!(ready["stripe"], Value::Null);
    let smtp = ready["smtp_url"].as_str().unwrap();
    assert!(smtp.starts_with("smtp://127.0.0.1:") && smtp.ends_with("?tls=none"));
    let mail_url = ready["mail_url"].as_str().unwrap();
    assert_eq!(
        get(mail_url),
        ("HTTP/1.1 200 OK".to_owned(), "[]".to_owned())
    );

    send_mail(smtp, "Receipt for your payment");
    let (status, body) = get(mail_url);
    assert_eq!(status, "HTTP/1.1 200 OK");
    let mail: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(mail[0]["to"][0], "ap@acme.example");
    assert_eq!(mail[0]["subject"], "Receipt for your payment");
    assert_eq!(mail[0]["body"], "Thank you.\r\n");

    let anet = &ready["authorize_net"];
    let (status, script) = get(anet["accept_js_url"].as_str().unwrap());
    assert_eq!(status, "HTTP/1.1 200 OK");
    assert!(script.contains("dispatchData"));
    assert!(script.contains(anet["client_key"].as_str().unwrap()));
    assert!(
        anet["api_url"]
            .as_str()
            .unwrap()
            .starts_with(anet["origin"].as_str().unwrap())
    );

    drop(child.stdin.take());
    assert!(wait_exit(&mut child).success());
}

#[test]
fn sigterm_stops_it() {
    let (mut child, _stdout, _) = start(&[]);
    let status = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .expect("run kill");
    assert!(status.success());
    assert!(wait_exit(&mut child).success());
}

#[test]
fn the_stripe_proxy_drops_the_fields_localstripe_does_not_know() {
    // An upstream that answers one request and hands over its body.
    let upstream = TcpListener::bind("127.0.0.1:0").unwrap();
    let address = upstream.local_addr().unwrap().to_string();
    let received = std::thread::spawn(move || {
        let (stream, _) = upstream.accept().unwrap();
        let mut reader = BufReader::new(stream.try_clone().unwrap());
        let mut length = 0;
        loop {
            let mut line = String::new();
            reader.read_line(&mut line).unwrap();
            if let Some((name, value)) = line.split_once(':')
                && name.eq_ignore_ascii_case("content-length")
            {
                length = value.trim().parse().unwrap();
            }
            if line == "\r\n" {
                break;
            }
        }
        let mut body = vec![0; length];
        reader.read_exact(&mut body).unwrap();
        let mut stream = stream;
        stream
            .write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}")
            .unwrap();
        String::from_utf8(body).unwrap()
    });

    let (mut child, _stdout, ready) = start(&["--stripe-upstream", &address]);
    let proxy = ready["stripe"]["api_url"].as_str().unwrap();
    let form = "customer=cus_1&allowed_payment_method_types%5B0%5D=card&usage=off_session";
    let mut stream = connect(proxy);
    write!(
        stream,
        "POST /v1/setup_intents HTTP/1.1\r\nHost: {}\r\n\
         Content-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\n\
         Connection: close\r\n\r\n{form}",
        authority(proxy),
        form.len()
    )
    .unwrap();
    let mut answer = String::new();
    stream.read_to_string(&mut answer).unwrap();
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    assert_eq!(received.join().unwrap(), "customer=cus_1&usage=off_session");

    drop(child.stdin.take());
    assert!(wait_exit(&mut child).success());
}

#[test]
fn an_unknown_argument_is_refused() {
    let output = Command::new(env!("CARGO_BIN_EXE_portal-stand-ins"))
        .arg("--stripe")
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert!(!output.status.success());
    assert!(String::from_utf8_lossy(&output.stderr).contains("usage: portal-stand-ins"));
}
