//! The processes and databases the hot-path benchmark starts, each owned
//! by a guard that ends it however the run ends: the portal server
//! (killed), a PostgreSQL database (dropped), a SQLite folder (removed),
//! and wrk and pgbench runs (time-limited, killed past their limit).

use std::net::{SocketAddr, TcpListener};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use super::http;
use crate::measure::checked;

/// PostgreSQL as the tests reach it: trust authentication for `postgres`.
pub(crate) const PG_HOST: &str = "127.0.0.1";
pub(crate) const PG_PORT: &str = "5432";
pub(crate) const PG_USER: &str = "postgres";
/// How long the server may take to answer its first health check.
const START_LIMIT: Duration = Duration::from_secs(60);

/// A fresh PostgreSQL database on 127.0.0.1:5432, dropped with its guard.
#[derive(Debug)]
pub(crate) struct PgDatabase {
    psql: PathBuf,
    pub(crate) name: String,
}

impl PgDatabase {
    /// Creates the database `name` (which must be a plain identifier).
    ///
    /// # Errors
    /// psql fails: no server, or the user may not create databases.
    pub(crate) fn create(psql: &Path, name: &str) -> Result<Self, String> {
        if !name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
        {
            return Err(format!("database name {name:?}: not a plain identifier"));
        }
        psql_command(psql, "postgres", &format!("CREATE DATABASE {name}"))
            .map_err(|e| format!("creating the database {name}: {e}"))?;
        Ok(Self {
            psql: psql.to_path_buf(),
            name: name.to_owned(),
        })
    }

    pub(crate) fn url(&self) -> String {
        format!("postgres://{PG_USER}@{PG_HOST}:{PG_PORT}/{}", self.name)
    }

    /// Vacuums and analyzes the database, as pgbench does before its
    /// runs: tables that grew from nothing during the benchmark (links,
    /// sessions, audit events) get statistics, so the planner sees them
    /// as a database in service would, and every run starts alike.
    ///
    /// # Errors
    /// psql fails.
    pub(crate) fn vacuum_analyze(&self) -> Result<(), String> {
        psql_command(&self.psql, &self.name, "VACUUM ANALYZE")
            .map_err(|e| format!("VACUUM ANALYZE {}: {e}", self.name))
    }

    /// pgbench's or psql's connection arguments for this database.
    pub(crate) fn args(&self) -> [String; 7] {
        [
            "-h".to_owned(),
            PG_HOST.to_owned(),
            "-p".to_owned(),
            PG_PORT.to_owned(),
            "-U".to_owned(),
            PG_USER.to_owned(),
            self.name.clone(),
        ]
    }
}

impl Drop for PgDatabase {
    fn drop(&mut self) {
        let sql = format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", self.name);
        if let Err(why) = psql_command(&self.psql, "postgres", &sql) {
            eprintln!("bench: dropping the database {}: {why}", self.name);
        }
    }
}

/// Runs one SQL command in the database `db`.
fn psql_command(psql: &Path, db: &str, sql: &str) -> Result<(), String> {
    checked(
        "psql",
        Command::new(psql)
            .args(["-X", "-q", "-v", "ON_ERROR_STOP=1"])
            .args(["-h", PG_HOST, "-p", PG_PORT, "-U", PG_USER, "-d", db])
            .args(["-c", sql]),
        Duration::from_secs(120),
    )
    .map(|_| ())
}

/// A folder under the system's temporary folder, removed with its guard.
#[derive(Debug)]
pub(crate) struct TempDir(pub(crate) PathBuf);

impl TempDir {
    /// # Errors
    /// It cannot be created.
    pub(crate) fn new(name: &str) -> Result<Self, String> {
        let path = std::env::temp_dir().join(name);
        let _ = std::fs::remove_dir_all(&path);
        std::fs::create_dir_all(&path).map_err(|e| format!("creating {}: {e}", path.display()))?;
        Ok(Self(path))
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A running `portal-server`, killed with its guard.
#[derive(Debug)]
pub(crate) struct Server {
    child: Child,
    pub(crate) addr: SocketAddr,
    log: PathBuf,
    /// From spawning the process to its first 200 on `GET /healthz`.
    pub(crate) cold_start: Duration,
    /// Resident memory once it answered, before any other request
    /// (`VmRSS`), and its anonymous part (`RssAnon`), in KiB.
    pub(crate) idle_rss_kib: Option<u64>,
    pub(crate) idle_anon_kib: Option<u64>,
}

/// A port nobody listens on now.
fn free_port() -> Result<u16, String> {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .map_err(|e| format!("finding a free port: {e}"))
}

/// A fresh server key, as `portal-server secret-key` prints it.
pub(crate) fn secret_key(server: &Path) -> Result<String, String> {
    let output = checked(
        "portal-server secret-key",
        Command::new(server).arg("secret-key"),
        Duration::from_secs(30),
    )?;
    Ok(output.stdout.trim().to_owned())
}

impl Server {
    /// Starts `binary serve --no-demo` on `database_url` and a free port,
    /// with its mail folder and log in `dir`, the test processor allowed,
    /// and waits for its first health answer, timing it.
    ///
    /// # Errors
    /// It cannot start, exits, or does not answer in time.
    pub(crate) fn start(
        binary: &Path,
        database_url: &str,
        secret_key: &str,
        dir: &Path,
    ) -> Result<Self, String> {
        let addr = SocketAddr::from(([127, 0, 0, 1], free_port()?));
        let log = dir.join("server.log");
        let log_file =
            std::fs::File::create(&log).map_err(|e| format!("creating {}: {e}", log.display()))?;
        let log_err = log_file
            .try_clone()
            .map_err(|e| format!("server log: {e}"))?;
        let mut command = Command::new(binary);
        for (name, _) in std::env::vars_os() {
            if name.to_string_lossy().starts_with("PORTAL_") {
                command.env_remove(name);
            }
        }
        command
            .args(["serve", "--no-demo"])
            .env("PORTAL_DATABASE_URL", database_url)
            .env("PORTAL_BIND", addr.to_string())
            .env("PORTAL_SECRET_KEY", secret_key)
            .env("PORTAL_MAIL_DIR", dir.join("mail"))
            .env("PORTAL_TEST_PROCESSOR", "true")
            .current_dir(dir)
            .stdin(Stdio::null())
            .stdout(log_file)
            .stderr(log_err);
        let started = Instant::now();
        let child = command
            .spawn()
            .map_err(|e| format!("starting {}: {e}", binary.display()))?;
        let mut server = Self {
            child,
            addr,
            log,
            cold_start: Duration::ZERO,
            idle_rss_kib: None,
            idle_anon_kib: None,
        };
        server.cold_start = server.wait_healthy(started)?;
        server.idle_rss_kib = server.status_kib("VmRSS");
        server.idle_anon_kib = server.status_kib("RssAnon");
        Ok(server)
    }

    /// Polls `GET /healthz` every millisecond until it answers 200.
    fn wait_healthy(&mut self, started: Instant) -> Result<Duration, String> {
        while started.elapsed() < START_LIMIT {
            if let Ok(Some(status)) = self.child.try_wait() {
                return Err(format!(
                    "the server exited with {status} before answering: {}",
                    self.log_tail()
                ));
            }
            if let Ok(answer) = http::request(self.addr, "GET", "/healthz", &[], None)
                && answer.status == 200
            {
                return Ok(started.elapsed());
            }
            std::thread::sleep(Duration::from_millis(1));
        }
        Err(format!(
            "the server did not answer within {START_LIMIT:?}: {}",
            self.log_tail()
        ))
    }

    /// A field of the server process's `/proc/<pid>/status`, in KiB.
    fn status_kib(&self, field: &str) -> Option<u64> {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id())).ok()?;
        status
            .lines()
            .find_map(|line| line.strip_prefix(field)?.strip_prefix(':'))
            .and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse().ok())
    }

    /// The last lines of the server's log, for error messages.
    pub(crate) fn log_tail(&self) -> String {
        let text = std::fs::read_to_string(&self.log).unwrap_or_default();
        let lines: Vec<&str> = text.lines().collect();
        lines[lines.len().saturating_sub(15)..].join("\n")
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
