//! The portal server as a real operating-system process, for tests of what
//! only separate processes show: two workers on one database, a process
//! killed mid-delivery, a graceful stop on SIGTERM.

#![allow(dead_code, unreachable_pub)]

use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

/// A running `portal-server serve` on a free local port; killed when
/// dropped.
#[derive(Debug)]
pub struct ServerProcess {
    child: Child,
    pub base: String,
}

fn binary() -> &'static str {
    env!("CARGO_BIN_EXE_portal-server")
}

impl ServerProcess {
    /// Starts the server with `env` (plus a bind address and public URL of
    /// its own) and waits until it answers.
    pub async fn start(env: &[(&str, &str)]) -> Self {
        let port = portal_test_support::free_port();
        let base = format!("http://127.0.0.1:{port}");
        let child = Command::new(binary())
            .args(["serve", "--no-demo"])
            .env_clear()
            .envs(env.iter().copied())
            .env("PORTAL_BIND", format!("127.0.0.1:{port}"))
            .env("PORTAL_PUBLIC_URL", &base)
            .env("PORTAL_LOG", "warn")
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("start portal-server");
        let mut server = Self { child, base };
        server.wait_until_ready().await;
        server
    }

    async fn wait_until_ready(&mut self) {
        let client = reqwest::Client::new();
        let deadline = Instant::now() + Duration::from_secs(30);
        while Instant::now() < deadline {
            if let Ok(Some(status)) = self.child.try_wait() {
                panic!("portal-server exited before it was ready: {status}");
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

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Kills the process outright (SIGKILL): no cleanup, no drain.
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// Asks the process to stop (SIGTERM), as a service manager would.
    pub fn terminate(&self) {
        let status = Command::new("kill")
            .args(["-TERM", &self.pid().to_string()])
            .status()
            .expect("run kill");
        assert!(status.success(), "kill -TERM failed");
    }

    /// Waits for the process to exit on its own.
    pub async fn wait_exit(&mut self, timeout: Duration) -> ExitStatus {
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(status) = self.child.try_wait().expect("wait for portal-server") {
                return status;
            }
            assert!(
                Instant::now() < deadline,
                "portal-server did not exit within {timeout:?}"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Calls the operator API with `key`.
    pub async fn api(
        &self,
        key: &str,
        method: &str,
        path: &str,
        body: Option<Value>,
    ) -> (reqwest::StatusCode, Value) {
        let mut request = reqwest::Client::new()
            .request(method.parse().unwrap(), format!("{}{path}", self.base))
            .bearer_auth(key);
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().await.unwrap();
        let status = response.status();
        (status, response.json().await.unwrap_or(Value::Null))
    }
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        self.kill();
    }
}

/// Creates an account with `portal-server accounts create` on the database
/// `env` names; returns its API key.
pub fn create_account(env: &[(&str, &str)], name: &str) -> String {
    let output = Command::new(binary())
        .args(["accounts", "create", "--name", name])
        .env_clear()
        .envs(env.iter().copied())
        .output()
        .expect("run portal-server accounts create");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let printed: Value = serde_json::from_slice(&output.stdout).expect("JSON on stdout");
    printed["api_key"].as_str().unwrap().to_owned()
}
