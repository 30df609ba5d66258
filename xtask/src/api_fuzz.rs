//! `cargo xtask api-fuzz`: the OpenAPI document against the real server.
//!
//! Builds `portal-server`, starts it on a fresh SQLite database in a
//! temporary folder (the server key and the mail folder too, so nothing
//! lands in the checkout), seeds a client, a contact and a sent invoice
//! through the API, checks that `/api/openapi.json` is a valid OpenAPI 3.1
//! document (openapi-spec-validator) and runs schemathesis against it with
//! the checks in `xtask/api-fuzz/schemathesis.toml` and the hooks in
//! `hooks.py` (both tools pinned in `xtask/api-fuzz/requirements.txt`).
//! The server is stopped and the folder removed however the run ends.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};
use std::{env, fs, thread};

use crate::{root, run_command, target_dir};

/// Where the fuzzed server's processors live: nowhere it can reach.
const CLOSED_PORT: &str = "http://127.0.0.1:9/";
/// The seed unless `PORTAL_FUZZ_SEED` names another: CI fuzzes the same
/// cases every time, so a red run is the change's doing.
const DEFAULT_SEED: &str = "20261126";
/// How long the server may take to answer `/readyz`.
const READY_WITHIN: Duration = Duration::from_secs(30);

pub(crate) fn api_fuzz() -> Result<(), String> {
    let tools = target_dir().join("schemathesis/bin");
    if !tools.join("schemathesis").exists() {
        let venv = target_dir().join("schemathesis");
        let venv = venv.display();
        eprintln!(
            "schemathesis is not installed; install it with\n  python3 -m venv {venv}\n  {venv}/bin/pip install --requirement xtask/api-fuzz/requirements.txt"
        );
        return Err("API fuzz (schemathesis missing)".to_owned());
    }
    crate::build_server()?;
    let server = Server::start(&target_dir().join("debug/portal-server"))?;
    let outcome = validate(&server, &tools).and_then(|()| fuzz(&server, &tools));
    if outcome.is_err() {
        server.print_log();
    }
    outcome
}

/// The served document, checked against the OpenAPI 3.1 specification.
fn validate(server: &Server, tools: &Path) -> Result<(), String> {
    let (status, document) = request(server.addr, "GET", "/api/openapi.json", None, "")?;
    if status != 200 {
        return Err(format!("OpenAPI document (answered {status})"));
    }
    let file = server.dir.join("openapi.json");
    fs::write(&file, document).map_err(|e| format!("OpenAPI document ({e})"))?;
    let mut command = Command::new(tools.join("openapi-spec-validator"));
    command
        .args(["--schema", "3.1", "--validation-errors", "all"])
        .arg(&file)
        .current_dir(&server.dir);
    run_command("OpenAPI document", &mut command)
}

fn fuzz(server: &Server, tools: &Path) -> Result<(), String> {
    seed(server).map_err(|e| format!("seeding ({e})"))?;
    let seed = env::var("PORTAL_FUZZ_SEED").unwrap_or_else(|_| DEFAULT_SEED.to_owned());
    let document = format!("http://{}/api/openapi.json", server.addr);
    let config = root().join("xtask/api-fuzz/schemathesis.toml");
    let hooks = root().join("xtask/api-fuzz/hooks.py");
    let dropped = server.dir.join("dropped.txt");
    let schemathesis_run = |step: &str, selection: &[&str]| {
        let mut command = Command::new(tools.join("schemathesis"));
        command
            .arg("--config-file")
            .arg(&config)
            .args(["run", &document, "--seed", &seed, "--no-color"])
            .args(selection)
            .env("PORTAL_FUZZ_API_KEY", &server.api_key)
            .env("SCHEMATHESIS_HOOKS", &hooks)
            .env("PORTAL_FUZZ_DROPPED", &dropped)
            .current_dir(&server.dir);
        let outcome = run_command(step, &mut command);
        print_dropped(&dropped);
        outcome
    };
    // Revoking keys is fuzzed on its own, last: among everything else the
    // fuzzer would find and revoke the key it runs with.
    schemathesis_run("API fuzz", &["--exclude-operation-id", "revoke_api_key"])?;
    schemathesis_run(
        "API fuzz of key revocation",
        &[
            "--include-operation-id",
            "revoke_api_key",
            // Alone, it has no links to follow.
            "--phases",
            "examples,coverage,fuzzing",
        ],
    )
}

/// How often each refusal no schema can state came back (see `hooks.py`),
/// so what the run let through is in its log.
fn print_dropped(file: &Path) {
    let notes = fs::read_to_string(file).unwrap_or_default();
    let _ = fs::remove_file(file);
    let mut counts = std::collections::BTreeMap::<&str, usize>::new();
    for line in notes.lines() {
        *counts.entry(line).or_default() += 1;
    }
    if !counts.is_empty() {
        eprintln!("Schema-valid requests refused by rules no schema can state:");
        for (note, count) in counts {
            eprintln!("  {count:>4} × {note}");
        }
    }
}

/// A server on a free port, with a database, key and mail folder of its
/// own; dropping it stops the server and removes the folder.
struct Server {
    dir: PathBuf,
    addr: SocketAddr,
    api_key: String,
    child: Option<Child>,
}

impl Server {
    fn start(binary: &Path) -> Result<Self, String> {
        let dir = env::temp_dir().join(format!("portal-api-fuzz-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir).map_err(|e| format!("API fuzz (cannot create {dir:?}: {e})"))?;
        let mut server = Self {
            addr: free_port(&dir)?,
            dir,
            api_key: String::new(),
            child: None,
        };
        let created = server
            .command(binary)
            .args(["accounts", "create", "--name", "API Fuzz"])
            .stderr(Stdio::inherit())
            .output()
            .map_err(|e| format!("API fuzz (cannot start {binary:?}: {e})"))?;
        let stdout = String::from_utf8_lossy(&created.stdout);
        server.api_key = json_string(&stdout, "api_key")
            .filter(|_| created.status.success())
            .ok_or_else(|| format!("API fuzz (accounts create printed {stdout:?})"))?;
        let log = fs::File::create(server.dir.join("server.log"))
            .map_err(|e| format!("API fuzz (server log: {e})"))?;
        let log_too = log
            .try_clone()
            .map_err(|e| format!("API fuzz (server log: {e})"))?;
        let child = server
            .command(binary)
            .args(["serve", "--no-demo"])
            .stdout(log)
            .stderr(log_too)
            .spawn()
            .map_err(|e| format!("API fuzz (cannot start {binary:?}: {e})"))?;
        server.child = Some(child);
        server.wait_until_ready()?;
        Ok(server)
    }

    /// `binary` with this server's configuration and no other `PORTAL_*`
    /// variable (no SMTP server or database of the developer's).
    fn command(&self, binary: &Path) -> Command {
        let mut command = Command::new(binary);
        for (name, _) in env::vars_os() {
            if name.to_string_lossy().starts_with("PORTAL_") {
                command.env_remove(name);
            }
        }
        command
            .env(
                "PORTAL_DATABASE_URL",
                format!("sqlite://{}", self.dir.join("portal.db").display()),
            )
            .env("PORTAL_BIND", self.addr.to_string())
            .env("PORTAL_SECRET_KEY_FILE", self.dir.join("secret.key"))
            .env("PORTAL_MAIL_DIR", self.dir.join("mail"))
            .env("PORTAL_LOG", "warn")
            // Processors the fuzzer connects are never reached: port 9 on
            // the loopback refuses at once.
            .env("PORTAL_STRIPE_API_URL", CLOSED_PORT)
            .env("PORTAL_STRIPE_JS_URL", CLOSED_PORT)
            .env("PORTAL_AUTHORIZENET_API_URL", CLOSED_PORT)
            .env("PORTAL_ACCEPT_JS_URL", CLOSED_PORT)
            .current_dir(&self.dir);
        command
    }

    fn wait_until_ready(&mut self) -> Result<(), String> {
        let started = Instant::now();
        while started.elapsed() < READY_WITHIN {
            if let Some(Ok(Some(status))) = self.child.as_mut().map(Child::try_wait) {
                self.print_log();
                return Err(format!("API fuzz (the server exited: {status})"));
            }
            if matches!(request(self.addr, "GET", "/readyz", None, ""), Ok((200, _))) {
                return Ok(());
            }
            thread::sleep(Duration::from_millis(100));
        }
        self.print_log();
        Err(format!("API fuzz (no /readyz within {READY_WITHIN:?})"))
    }

    fn print_log(&self) {
        let log = fs::read_to_string(self.dir.join("server.log")).unwrap_or_default();
        let lines: Vec<&str> = log.lines().collect();
        eprintln!("--- the server's log, last lines ---");
        for line in &lines[lines.len().saturating_sub(60)..] {
            eprintln!("{line}");
        }
    }

    /// `POST`s `body` to `path` and returns the `id` of what it made.
    fn create(&self, path: &str, body: &str) -> Result<String, String> {
        let (status, answer) = request(self.addr, "POST", path, Some(&self.api_key), body)?;
        if !(200..300).contains(&status) {
            return Err(format!("POST {path}: {status} {answer}"));
        }
        json_string(&answer, "id").ok_or_else(|| format!("POST {path}: no id in {answer}"))
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
        let _ = fs::remove_dir_all(&self.dir);
    }
}

/// A client with a contact and an invoice sent to them, so the fuzzer
/// finds real objects to read, send, pay and void.
fn seed(server: &Server) -> Result<(), String> {
    let client = server.create("/api/crm/clients", r#"{"name":"Fuzz Client"}"#)?;
    let contact = server.create(
        "/api/crm/contacts",
        &format!(
            r#"{{"client_id":"{client}","name":"Fuzz Contact","email":"contact@fuzz.example"}}"#
        ),
    )?;
    let invoice = server.create(
        "/api/crm/invoices",
        &format!(
            r#"{{"client_id":"{client}","number":"FUZZ-1","currency":"USD","issue_date":"2026-11-25","due_date":"2026-12-25","lines":[{{"description":"Work","quantity":3,"unit_amount":12000}}]}}"#
        ),
    )?;
    server.create(
        &format!("/api/crm/invoices/{invoice}/send"),
        &format!(r#"{{"contact_id":"{contact}"}}"#),
    )?;
    Ok(())
}

/// A port nothing listens on now.
fn free_port(dir: &Path) -> Result<SocketAddr, String> {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .map_err(|e| format!("API fuzz (no free port for the server in {dir:?}: {e})"))
}

/// One HTTP/1.1 request; the status and the body of the answer.
fn request(
    addr: SocketAddr,
    method: &str,
    path: &str,
    api_key: Option<&str>,
    body: &str,
) -> Result<(u16, String), String> {
    let exchange = || -> std::io::Result<String> {
        let mut stream = TcpStream::connect_timeout(&addr, Duration::from_secs(2))?;
        stream.set_read_timeout(Some(Duration::from_secs(10)))?;
        let mut head = format!("{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n");
        if let Some(key) = api_key {
            head.push_str(&format!("Authorization: Bearer {key}\r\n"));
        }
        if !body.is_empty() {
            head.push_str("Content-Type: application/json\r\n");
        }
        head.push_str(&format!("Content-Length: {}\r\n\r\n", body.len()));
        stream.write_all(head.as_bytes())?;
        stream.write_all(body.as_bytes())?;
        let mut answer = String::new();
        stream.read_to_string(&mut answer)?;
        Ok(answer)
    };
    let answer = exchange().map_err(|e| format!("{method} {path}: {e}"))?;
    let status = answer
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| format!("{method} {path}: no status in {answer:?}"))?;
    let body = answer.split_once("\r\n\r\n").map_or("", |(_, b)| b);
    Ok((status, body.to_owned()))
}

/// The string value of the first `"field"` in the JSON `text`.
fn json_string(text: &str, field: &str) -> Option<String> {
    let key = format!("\"{field}\"");
    let rest = &text[text.find(&key)? + key.len()..];
    let rest = rest.trim_start().strip_prefix(':')?.trim_start();
    let rest = rest.strip_prefix('"')?;
    Some(rest[..rest.find('"')?].to_owned())
}

#[cfg(test)]
mod tests {
    use super::json_string;

    #[test]
    fn reads_string_fields_of_compact_and_pretty_json() {
        let pretty = "{\n  \"account_id\": \"a1\",\n  \"api_key\": \"psk_x\"\n}";
        assert_eq!(json_string(pretty, "api_key").as_deref(), Some("psk_x"));
        let compact = r#"{"client_id":"c1","id":"i1"}"#;
        assert_eq!(json_string(compact, "id").as_deref(), Some("i1"));
        assert_eq!(json_string(compact, "name"), None);
    }
}
