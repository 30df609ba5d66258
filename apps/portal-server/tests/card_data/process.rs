//! The server as a real process whose standard output and error are
//! kept, to be scanned: `portal-server serve` until it is stopped, or a
//! subcommand run to its end.

use std::io::Read;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

fn binary() -> &'static str {
    env!("CARGO_BIN_EXE_portal-server")
}

/// Runs `portal-server args…` with `env` only, to its end; answers what
/// it printed on standard output and on standard error.
pub(crate) fn run(env: &[(&str, String)], args: &[&str]) -> (String, String) {
    let output = Command::new(binary())
        .args(args)
        .env_clear()
        .envs(env.iter().map(|(k, v)| (k, v)))
        .stdin(Stdio::null())
        .output()
        .expect("run portal-server");
    let (stdout, stderr) = (
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    );
    assert!(output.status.success(), "portal-server {args:?}: {stderr}");
    (stdout, stderr)
}

/// A running `portal-server serve --no-demo` on a free local port whose
/// output is kept; killed when dropped.
#[derive(Debug)]
pub(crate) struct LoggedProcess {
    child: Child,
    pub(crate) base: String,
    output: Arc<Mutex<Vec<u8>>>,
    readers: Vec<JoinHandle<()>>,
}

impl LoggedProcess {
    /// Starts the server with `env` only (plus its address) and waits
    /// until it is ready.
    pub(crate) async fn serve(env: &[(&str, String)]) -> Self {
        let port = portal_test_support::free_port();
        let base = format!("http://127.0.0.1:{port}");
        let mut child = Command::new(binary())
            .args(["serve", "--no-demo"])
            .env_clear()
            .envs(env.iter().map(|(k, v)| (k, v)))
            .env("PORTAL_BIND", format!("127.0.0.1:{port}"))
            .env("PORTAL_PUBLIC_URL", &base)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start portal-server");
        let output = Arc::new(Mutex::new(Vec::new()));
        let mut readers = Vec::new();
        let streams: [Box<dyn Read + Send>; 2] = [
            Box::new(child.stdout.take().expect("piped stdout")),
            Box::new(child.stderr.take().expect("piped stderr")),
        ];
        for mut stream in streams {
            let output = Arc::clone(&output);
            readers.push(std::thread::spawn(move || {
                let mut chunk = [0u8; 8192];
                while let Ok(n) = stream.read(&mut chunk) {
                    if n == 0 {
                        break;
                    }
                    output
                        .lock()
                        .unwrap_or_else(|e| e.into_inner())
                        .extend_from_slice(&chunk[..n]);
                }
            }));
        }
        let mut server = Self {
            child,
            base,
            output,
            readers,
        };
        server.wait_until_ready().await;
        server
    }

    async fn wait_until_ready(&mut self) {
        let client = reqwest::Client::new();
        let deadline = Instant::now() + Duration::from_secs(30);
        while Instant::now() < deadline {
            if let Ok(Some(status)) = self.child.try_wait() {
                panic!(
                    "portal-server exited before it was ready ({status}):\n{}",
                    self.output()
                );
            }
            if let Ok(response) = client.get(format!("{}/readyz", self.base)).send().await
                && response.status().is_success()
            {
                return;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("portal-server did not become ready at {}", self.base);
    }

    /// Stops the process as a service manager would (SIGTERM), waits for
    /// it to exit and for its last words.
    pub(crate) async fn stop(&mut self) {
        let status = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .expect("run kill");
        assert!(status.success(), "kill -TERM failed");
        let deadline = Instant::now() + Duration::from_secs(15);
        while self
            .child
            .try_wait()
            .expect("wait for portal-server")
            .is_none()
        {
            assert!(
                Instant::now() < deadline,
                "portal-server did not stop within 15 s"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        for reader in self.readers.drain(..) {
            let _ = reader.join();
        }
    }

    /// Everything the process wrote to standard output and error so far.
    pub(crate) fn output(&self) -> String {
        String::from_utf8_lossy(&self.output.lock().unwrap_or_else(|e| e.into_inner())).into_owned()
    }
}

impl Drop for LoggedProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
