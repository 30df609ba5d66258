//! localstripe, a fake Stripe API, for the Stripe adapter's tests: found
//! or installed (a pinned virtual environment under the cargo target
//! directory), started on a free local port, and stopped with the test
//! process.

use std::io::{self, Read, Write};
use std::net::{Ipv4Addr, SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

/// The pinned requirements: localstripe and everything it imports.
const REQUIREMENTS: &str = include_str!("../localstripe-requirements.txt");
const REQUIREMENTS_PATH: &str =
    concat!(env!("CARGO_MANIFEST_DIR"), "/localstripe-requirements.txt");

/// How long a fresh server may take to answer.
const STARTUP: Duration = Duration::from_secs(30);

/// The secret key test tooling sends: localstripe takes any `sk_` key.
pub const LOCALSTRIPE_SECRET_KEY: &str = "sk_test_localstripe";

/// Runs the server with its state in memory only. localstripe pickles its
/// whole state to `/tmp/localstripe.pickle` after every change (a file
/// every server on the machine shares, rewritten in full each time), so
/// that is switched off; and it exits once its standard input closes,
/// which happens when the test process ends however it ends.
const LAUNCHER: &str = "\
import os, sys, threading
def watch():
    sys.stdin.buffer.read()
    os._exit(0)
threading.Thread(target=watch, daemon=True).start()
import localstripe.resources
localstripe.resources.Store.dump_to_disk = lambda self: None
from localstripe.server import start
start()
";

/// A running localstripe on `127.0.0.1` and a port of its own, with fresh
/// state. Dropping it stops it; a server the test process never dropped
/// (the shared one) stops when the process exits.
#[derive(Debug)]
pub struct Localstripe {
    port: u16,
    child: Mutex<Child>,
    /// Closing it stops the server.
    stdin: Mutex<Option<ChildStdin>>,
    log: PathBuf,
}

impl Localstripe {
    /// The server every test of this process shares, started on first use.
    /// Tests sharing it keep apart by creating customers of their own.
    /// `None` when the developer opted out with `PORTAL_TEST_LOCALSTRIPE=skip`
    /// (refused under `CI=true`).
    ///
    /// # Panics
    /// When it cannot be installed or started: a test that needs it must
    /// fail loudly, never pass silently.
    pub fn shared_or_skip(test: &str) -> Option<&'static Self> {
        static SHARED: OnceLock<Result<Localstripe, String>> = OnceLock::new();
        if skipped(test) {
            return None;
        }
        match SHARED.get_or_init(Self::start) {
            Ok(server) => Some(server),
            Err(error) => panic!("{test} needs localstripe: {error}"),
        }
    }

    /// Starts a server of its own, installing localstripe first if needed.
    ///
    /// # Errors
    /// What went wrong, with the end of the server's log when it started
    /// and stopped.
    pub fn start() -> Result<Self, String> {
        let python = installed_python()?;
        let port = crate::free_port();
        let logs = target_dir().join("localstripe-logs");
        std::fs::create_dir_all(&logs).map_err(|e| format!("cannot create {logs:?}: {e}"))?;
        let log = logs.join(format!("{port}.log"));
        let log_file =
            std::fs::File::create(&log).map_err(|e| format!("cannot create {log:?}: {e}"))?;
        let err_file = log_file
            .try_clone()
            .map_err(|e| format!("cannot share {log:?}: {e}"))?;
        let mut child = Command::new(&python)
            .arg("-c")
            .arg(LAUNCHER)
            .args(["--port", &port.to_string(), "--from-scratch"])
            .current_dir(&logs)
            .stdin(Stdio::piped())
            .stdout(log_file)
            .stderr(err_file)
            .spawn()
            .map_err(|e| format!("cannot run {python:?}: {e}"))?;
        let stdin = child.stdin.take();
        let server = Self {
            port,
            child: Mutex::new(child),
            stdin: Mutex::new(stdin),
            log,
        };
        server.wait_until_ready()?;
        Ok(server)
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    pub fn address(&self) -> SocketAddr {
        SocketAddr::from((Ipv4Addr::LOCALHOST, self.port))
    }

    /// `http://127.0.0.1:<port>`, with no trailing slash.
    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// Forgets every object (`DELETE /_config/data`). Only for a server
    /// no other test is using at the same time.
    ///
    /// # Errors
    /// The server did not answer 200.
    pub fn flush(&self) -> Result<(), String> {
        match request(self.address(), "DELETE", "/_config/data") {
            Ok(200) => Ok(()),
            Ok(status) => Err(format!("flushing answered {status}")),
            Err(e) => Err(format!("flushing failed: {e}")),
        }
    }

    fn wait_until_ready(&self) -> Result<(), String> {
        let deadline = Instant::now() + STARTUP;
        loop {
            if let Ok(200) = request(self.address(), "GET", "/v1/customers?limit=1") {
                return Ok(());
            }
            let exited = self
                .child
                .lock()
                .map_err(|_| "the server's handle is poisoned".to_owned())?
                .try_wait()
                .map_err(|e| format!("cannot watch the server: {e}"))?;
            if let Some(status) = exited {
                return Err(format!(
                    "localstripe exited ({status}) before answering:\n{}",
                    self.log_tail()
                ));
            }
            if Instant::now() >= deadline {
                return Err(format!(
                    "localstripe did not answer within {STARTUP:?}:\n{}",
                    self.log_tail()
                ));
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    fn log_tail(&self) -> String {
        let text = std::fs::read_to_string(&self.log).unwrap_or_default();
        let start = text.len().saturating_sub(4000);
        text.get(start..).unwrap_or(&text).to_owned()
    }
}

impl Drop for Localstripe {
    fn drop(&mut self) {
        if let Ok(mut stdin) = self.stdin.lock() {
            stdin.take();
        }
        if let Ok(mut child) = self.child.lock() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

fn skipped(test: &str) -> bool {
    let ci = std::env::var("CI").is_ok_and(|v| v == "true" || v == "1");
    if std::env::var("PORTAL_TEST_LOCALSTRIPE").is_ok_and(|v| v == "skip") {
        assert!(
            !ci,
            "PORTAL_TEST_LOCALSTRIPE=skip is not allowed in CI: Stripe tests must run"
        );
        eprintln!("SKIPPED {test}: PORTAL_TEST_LOCALSTRIPE=skip");
        return true;
    }
    false
}

/// The Python of a virtual environment holding the pinned localstripe,
/// made on first use. The environment's name carries a hash of the
/// requirements, so changing a pin makes a new one. Concurrent test
/// processes each build into a folder of their own and the first rename
/// wins.
fn installed_python() -> Result<PathBuf, String> {
    let root = target_dir();
    let venv = root.join(format!("localstripe-venv-{:016x}", fnv1a(REQUIREMENTS)));
    let python = venv.join("bin").join("python");
    if python.exists() {
        return Ok(python);
    }
    std::fs::create_dir_all(&root).map_err(|e| format!("cannot create {root:?}: {e}"))?;
    let building = root.join(format!("localstripe-venv-building-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&building);
    let built = build_venv(&building);
    if let Err(error) = built {
        let _ = std::fs::remove_dir_all(&building);
        return Err(error);
    }
    if std::fs::rename(&building, &venv).is_err() {
        // Another process finished first: use its environment.
        let _ = std::fs::remove_dir_all(&building);
    }
    if python.exists() {
        Ok(python)
    } else {
        Err(format!(
            "no Python in {venv:?} after installing localstripe"
        ))
    }
}

fn build_venv(dir: &Path) -> Result<(), String> {
    run(Command::new("python3").arg("-m").arg("venv").arg(dir))
        .map_err(|e| format!("`python3 -m venv` failed (is python3 with venv installed?): {e}"))?;
    run(Command::new(dir.join("bin").join("python"))
        .args([
            "-m",
            "pip",
            "install",
            "--quiet",
            "--disable-pip-version-check",
        ])
        .args(["--requirement", REQUIREMENTS_PATH]))
    .map_err(|e| format!("installing localstripe from {REQUIREMENTS_PATH} failed: {e}"))
}

fn run(command: &mut Command) -> Result<(), String> {
    let output = command
        .stdin(Stdio::null())
        .output()
        .map_err(|e| e.to_string())?;
    if output.status.success() {
        Ok(())
    } else {
        Err(format!(
            "{}\n{}{}",
            output.status,
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        ))
    }
}

/// The cargo target directory the running test was built into:
/// `CARGO_TARGET_DIR` when it is an absolute path, else three levels above
/// the test binary (`<target>/debug/deps/<test>`).
fn target_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("CARGO_TARGET_DIR").map(PathBuf::from)
        && dir.is_absolute()
    {
        return dir;
    }
    std::env::current_exe()
        .ok()
        .and_then(|exe| exe.ancestors().nth(3).map(Path::to_path_buf))
        .unwrap_or_else(|| std::env::temp_dir().join("portal-localstripe"))
}

fn fnv1a(text: &str) -> u64 {
    text.bytes().fold(0xcbf2_9ce4_8422_2325, |hash, byte| {
        (hash ^ u64::from(byte)).wrapping_mul(0x0100_0000_01b3)
    })
}

/// Sends one bodiless request and answers the status code.
fn request(address: SocketAddr, method: &str, path: &str) -> io::Result<u16> {
    let mut stream = TcpStream::connect_timeout(&address, Duration::from_secs(2))?;
    stream.set_read_timeout(Some(Duration::from_secs(5)))?;
    write!(
        stream,
        "{method} {path} HTTP/1.1\r\nHost: {address}\r\n\
         Authorization: Bearer {LOCALSTRIPE_SECRET_KEY}\r\nContent-Length: 0\r\n\
         Connection: close\r\n\r\n"
    )?;
    let mut answer = Vec::new();
    stream.read_to_end(&mut answer)?;
    let text = String::from_utf8_lossy(&answer);
    text.split_whitespace()
        .nth(1)
        .and_then(|code| code.parse().ok())
        .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidData, "not an HTTP answer"))
}
