//! The hot-path benchmark of issue 8: `GET /portal`, the document page and
//! link redemption, each under wrk (16 connections, 2 threads) against a
//! release `portal-server` on PostgreSQL and on SQLite, beside pgbench
//! running the same SQL (or, for redemption, its built-in TPC-B) in the
//! same run.
//!
//! For each backend: a fresh database (a uniquely named PostgreSQL
//! database on 127.0.0.1:5432, or a SQLite file in a temporary folder) is
//! seeded with one client of 200 documents (`data.rs`) before the server
//! starts; the server's cold start and idle memory are taken as it comes
//! up; the operator API connects the test processor and starts a session
//! by a link, whose cookie the page loads send. Then, per path: SQL round
//! trips per request from the server's statement counter over a
//! sequential loop, one warm-up, and the timed runs, the backends and the
//! ceiling taking turns run by run so that other work on the machine
//! weighs on all alike. Everything runs on 127.0.0.1; every loop and
//! every child process is bounded; the guards in `process.rs` stop the
//! servers and drop the databases however the run ends.

mod data;
mod http;
mod load;
mod process;
mod report;

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use portal_domain::{AccountId, ClientId, ContactId, DocumentId, SessionId, Token};
use serde_json::json;

use self::data::Seeded;
use self::load::{PgbenchRun, Target, Workload, WrkRun};
use self::process::{PgDatabase, Server, TempDir};
use self::report::{Ceiling, Report, Row};
use crate::measure::{load_average, machine};

/// The seed of the generated client.
const SEED: u64 = 8;
/// Requests of the sequential loop that counts round trips.
const ROUND_TRIP_LOOP: usize = 200;
/// The server's statement counter in `GET /metrics`.
const STATEMENTS: &str = "portal_sql_statements_total";
/// Threads issuing links through the operator API.
const ISSUERS: usize = 4;
/// Links issued for one redemption run: at least, and at most.
const LINKS_BOUNDS: (usize, usize) = (1_000, 120_000);
/// How often a redemption warm-up may run again after running out of
/// links.
const WARM_UP_ATTEMPTS: usize = 4;
/// pgbench's scale for the TPC-B ceiling (16 branches, 1.6 million
/// accounts).
const TPCB_SCALE: u32 = 16;

/// A measured path.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum HotPath {
    Portal,
    Document,
    Redeem,
}

impl HotPath {
    pub(crate) const ALL: [Self; 3] = [Self::Portal, Self::Document, Self::Redeem];

    /// The name `--only` takes.
    pub(crate) fn name(self) -> &'static str {
        match self {
            Self::Portal => "portal",
            Self::Document => "document",
            Self::Redeem => "redeem",
        }
    }

    pub(crate) fn label(self) -> &'static str {
        match self {
            Self::Portal => "`GET /portal`",
            Self::Document => "`GET /portal/documents/{id}`",
            Self::Redeem => "`POST /l/{token}` (one client)",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Backend {
    Postgres,
    Sqlite,
}

impl Backend {
    pub(crate) fn label(self) -> &'static str {
        match self {
            Self::Postgres => "PostgreSQL",
            Self::Sqlite => "SQLite",
        }
    }
}

#[derive(Debug)]
pub(crate) struct Options {
    pub(crate) out: PathBuf,
    /// The release `portal-server`.
    pub(crate) server: PathBuf,
    pub(crate) wrk: PathBuf,
    /// `xtask/bench/hot.lua`.
    pub(crate) script: PathBuf,
    /// Without it, no ceilings.
    pub(crate) pgbench: Option<PathBuf>,
    /// Without it, no PostgreSQL.
    pub(crate) psql: Option<PathBuf>,
    pub(crate) paths: Vec<HotPath>,
    pub(crate) runs: usize,
    pub(crate) seconds: u64,
    pub(crate) warm_up_seconds: u64,
}

fn say(what: &str) {
    eprintln!("bench: {what}");
}

/// One backend under test: its server, its database and what was seeded.
/// Fields drop in order: the server stops before its database goes.
#[derive(Debug)]
struct Stand {
    backend: Backend,
    server: Server,
    postgres: Option<PgDatabase>,
    dir: TempDir,
    seeded: Seeded,
    seeding: Duration,
    /// `portal_session=…`, as the browser sends it.
    cookie: String,
    /// The session's id and the hash of its secret, for the ceilings.
    session: String,
    secret_hash: String,
    /// Redemptions per second to size the next run's links for.
    redeem_rate: f64,
    /// Links in the last file written.
    links: usize,
    /// Links files written, one per run.
    link_files: usize,
}

impl Stand {
    fn addr(&self) -> SocketAddr {
        self.server.addr
    }

    fn key(&self) -> String {
        self.seeded.api_key.reveal()
    }

    /// Creates and seeds the database, starts the server and signs in.
    fn start(backend: Backend, options: &Options, secret: &str, tag: &str) -> Result<Self, String> {
        let dir = TempDir::new(&format!("portal-bench-hot-{tag}-{}", backend.label()))?;
        let (postgres, url) = match backend {
            Backend::Postgres => {
                let psql = options.psql.as_deref().ok_or("psql is not installed")?;
                let db = PgDatabase::create(psql, &format!("portal_bench_{tag}"))?;
                let url = db.url();
                (Some(db), url)
            }
            Backend::Sqlite => (
                None,
                format!("sqlite://{}", dir.0.join("portal.db").display()),
            ),
        };
        say(&format!("{}: seeding", backend.label()));
        let started = Instant::now();
        let seeded = crate::runtime()?
            .block_on(data::seed(&url, SEED))
            .map_err(|e| format!("seeding {}: {e}", backend.label()))?;
        let seeding = started.elapsed();
        if let Some(db) = &postgres {
            db.vacuum_analyze()?;
        }
        let server = Server::start(&options.server, &url, secret, &dir.0)
            .map_err(|e| format!("starting the server on {}: {e}", backend.label()))?;
        say(&format!(
            "{}: seeded in {:.1} s; server up in {:.1} ms at {}",
            backend.label(),
            seeding.as_secs_f64(),
            server.cold_start.as_secs_f64() * 1000.0,
            server.addr
        ));
        let mut stand = Self {
            backend,
            server,
            postgres,
            dir,
            seeded,
            seeding,
            cookie: String::new(),
            session: String::new(),
            secret_hash: String::new(),
            redeem_rate: 0.0,
            links: 0,
            link_files: 0,
        };
        stand.connect_processor();
        stand.sign_in()?;
        stand.check_pages()?;
        Ok(stand)
    }

    /// Connects the test processor, as the demo does, so pages show Pay
    /// Now and the session lookup finds a connection; best effort.
    fn connect_processor(&self) {
        let body = json!({"kind": "test", "webhook_secret": "whsec_test_portal_bench_0001"});
        if let Err(why) = http::api(
            self.addr(),
            &self.key(),
            "PUT",
            "/api/crm/account/processor",
            &body,
        ) {
            say(&format!(
                "{}: the test processor is not connected ({why})",
                self.backend.label()
            ));
        }
    }

    /// Starts a session through the operator API and redeems its link,
    /// keeping the cookie.
    fn sign_in(&mut self) -> Result<(), String> {
        let created = http::api(
            self.addr(),
            &self.key(),
            "POST",
            "/api/crm/client-portal-sessions",
            &json!({"contact_id": self.seeded.contact.to_string()}),
        )
        .map_err(|e| format!("signing in: {e}"))?;
        let url = created["url"].as_str().ok_or("signing in: no url")?;
        self.session = created["id"]
            .as_str()
            .ok_or("signing in: no session id")?
            .to_owned();
        let token = token_of(url)?;
        let answer = http::request(self.addr(), "POST", &format!("/l/{token}"), &[], None)?;
        if !(300..400).contains(&answer.status) {
            return Err(format!(
                "signing in: redeeming the link answered {}",
                answer.status
            ));
        }
        let cookie = answer
            .header("set-cookie")
            .and_then(|c| c.split(';').next())
            .ok_or("signing in: no session cookie")?;
        let secret = cookie.split_once('=').map_or("", |(_, v)| v);
        self.secret_hash = Token::parse(secret)
            .ok_or("signing in: the cookie holds no token")?
            .hash()
            .to_hex();
        self.cookie = cookie.to_owned();
        Ok(())
    }

    fn document_path(&self) -> String {
        format!("/portal/documents/{}", self.seeded.document)
    }

    /// Both pages answer 200 with the cookie.
    fn check_pages(&self) -> Result<(), String> {
        for path in ["/portal".to_owned(), self.document_path()] {
            let answer = self.get(&path)?;
            if answer.status != 200 {
                return Err(format!(
                    "{}: GET {path} answered {}",
                    self.backend.label(),
                    answer.status
                ));
            }
        }
        Ok(())
    }

    fn get(&self, path: &str) -> Result<http::Answer, String> {
        http::request(self.addr(), "GET", path, &[("Cookie", &self.cookie)], None)
    }

    /// Issues `count` fresh links of the contact for the shown document
    /// through the operator API, a few requests at a time.
    fn issue_links(&self, count: usize) -> Result<Vec<String>, String> {
        let body = json!({
            "document_id": self.seeded.document.to_string(),
            "send_email": false,
        });
        let path = format!("/api/crm/contacts/{}/portal-link", self.seeded.contact);
        let key = self.key();
        std::thread::scope(|scope| {
            let workers: Vec<_> = (0..ISSUERS)
                .map(|n| {
                    let share = count / ISSUERS + usize::from(n < count % ISSUERS);
                    let (body, path, key) = (&body, &path, &key);
                    scope.spawn(move || {
                        (0..share)
                            .map(|_| {
                                let issued = http::api(self.addr(), key, "POST", path, body)?;
                                token_of(issued["url"].as_str().unwrap_or_default())
                            })
                            .collect::<Result<Vec<String>, String>>()
                    })
                })
                .collect();
            let mut tokens = Vec::with_capacity(count);
            for worker in workers {
                tokens.extend(
                    worker
                        .join()
                        .map_err(|_| "issuing links: a thread panicked".to_owned())??,
                );
            }
            Ok(tokens)
        })
        .map_err(|e: String| format!("issuing links: {e}"))
    }

    /// A file of `count` fresh link tokens for one wrk run.
    fn link_file(&mut self, count: usize) -> Result<PathBuf, String> {
        let started = Instant::now();
        let tokens = self.issue_links(count)?;
        self.link_files += 1;
        self.links = count;
        let file = self.dir.0.join(format!("links-{}.txt", self.link_files));
        std::fs::write(&file, tokens.join("\n") + "\n")
            .map_err(|e| format!("writing {}: {e}", file.display()))?;
        say(&format!(
            "{}: {count} links issued in {:.1} s",
            self.backend.label(),
            started.elapsed().as_secs_f64()
        ));
        Ok(file)
    }

    /// What wrk loads for `path`; for redemption, fresh links sized from
    /// the last rate seen.
    fn target(&mut self, path: HotPath, seconds: u64) -> Result<Target, String> {
        Ok(match path {
            HotPath::Portal => Target::Get {
                path: "/portal".to_owned(),
                cookie: self.cookie.clone(),
            },
            HotPath::Document => Target::Get {
                path: self.document_path(),
                cookie: self.cookie.clone(),
            },
            HotPath::Redeem => {
                #[allow(
                    clippy::cast_possible_truncation,
                    clippy::cast_sign_loss,
                    clippy::cast_precision_loss
                )]
                let count = ((self.redeem_rate * seconds as f64 * 1.5) as usize + 500)
                    .clamp(LINKS_BOUNDS.0, LINKS_BOUNDS.1);
                Target::Redeem {
                    tokens: self.link_file(count)?,
                }
            }
        })
    }

    /// Keeps the redemption rate `run` shows, for the next run's links:
    /// the rate it measured, or, when it ran out of links and so went
    /// faster than it could show, twice what its links allowed (at least).
    fn learn_rate(&mut self, run: &WrkRun, seconds: u64) {
        #[allow(clippy::cast_precision_loss)]
        let cut_short = 2.0 * self.links as f64 / seconds as f64;
        self.redeem_rate = if run.exhausted > 0 {
            self.redeem_rate.max(cut_short)
        } else {
            run.per_second
        };
    }

    /// SQL statements per request of `path`: the statement counter's
    /// rise over a sequential loop, less its rise over an idle pause as
    /// long (the outbox worker polls). `None` when the server has no
    /// counter.
    fn round_trips(&self, path: HotPath) -> Result<Option<f64>, String> {
        let tokens = match path {
            HotPath::Redeem => self.issue_links(ROUND_TRIP_LOOP + 5)?,
            _ => Vec::new(),
        };
        let one = |i: usize| -> Result<(), String> {
            let answer = match path {
                HotPath::Portal => self.get("/portal")?,
                HotPath::Document => self.get(&self.document_path())?,
                HotPath::Redeem => {
                    http::request(self.addr(), "POST", &format!("/l/{}", tokens[i]), &[], None)?
                }
            };
            if (200..400).contains(&answer.status) {
                Ok(())
            } else {
                Err(format!("{} answered {}", path.label(), answer.status))
            }
        };
        for i in 0..5 {
            one(ROUND_TRIP_LOOP + i)?;
        }
        let Some(before) = http::counter(self.addr(), STATEMENTS)? else {
            return Ok(None);
        };
        let started = Instant::now();
        for i in 0..ROUND_TRIP_LOOP {
            one(i)?;
        }
        let elapsed = started.elapsed();
        let after = http::counter(self.addr(), STATEMENTS)?.unwrap_or(before);
        std::thread::sleep(elapsed);
        let idle = http::counter(self.addr(), STATEMENTS)?.unwrap_or(after);
        #[allow(clippy::cast_precision_loss)]
        let per_request = ((after - before) - (idle - after)) / ROUND_TRIP_LOOP as f64;
        Ok(Some(per_request))
    }
}

/// The token of a link URL (`…/l/{token}`).
fn token_of(url: &str) -> Result<String, String> {
    url.rsplit_once("/l/")
        .map(|(_, token)| token.to_owned())
        .filter(|t| !t.is_empty())
        .ok_or_else(|| "an issued link has no token".to_owned())
}

/// What a ceiling script puts in place of bind parameters: the session
/// the page loads send, and the shown document.
#[derive(Debug)]
struct CeilingValues {
    /// Hex SHA-256 of the session cookie's secret.
    secret_hash: String,
    account: AccountId,
    client: ClientId,
    contact: ContactId,
    session: SessionId,
    document: DocumentId,
}

impl CeilingValues {
    fn of(stand: &Stand) -> Result<Self, String> {
        Ok(Self {
            secret_hash: stand.secret_hash.clone(),
            account: stand.seeded.account,
            client: stand.seeded.client,
            contact: stand.seeded.contact,
            session: stand
                .session
                .parse()
                .map_err(|e| format!("the session id: {e}"))?,
            document: stand.seeded.document,
        })
    }
}

/// The SQL one request of `path` runs, as a pgbench script with `values`
/// in place of bind parameters, from the store's own statements
/// (`portal_store::ceiling`); `None` for redemption, whose ceiling is
/// TPC-B.
fn ceiling_script(path: HotPath, values: &CeilingValues) -> Option<String> {
    let params = portal_store::ceiling::CeilingParams {
        secret_hash: values.secret_hash.clone(),
        account: values.account.as_uuid(),
        client: values.client.as_uuid(),
        contact: values.contact.as_uuid(),
        session: values.session.as_uuid(),
        document: values.document.as_uuid(),
    };
    match path {
        HotPath::Portal => Some(portal_store::ceiling::home_script(&params)),
        HotPath::Document => Some(portal_store::ceiling::document_script(&params)),
        HotPath::Redeem => None,
    }
}

/// Where each path's ceiling runs.
struct CeilingRun {
    /// pgbench's connection arguments for the database.
    db: [String; 7],
    workload: Workload,
    what: String,
}

/// The ceiling of `path`: pgbench on the page's own SQL, or TPC-B.
fn ceiling_of(
    path: HotPath,
    pg: Option<&Stand>,
    tpcb: Option<&PgDatabase>,
    out: &Path,
) -> Result<Option<CeilingRun>, String> {
    let Some(stand) = pg else {
        return Ok(None);
    };
    Ok(match path {
        HotPath::Redeem => tpcb.map(|db| CeilingRun {
            db: db.args(),
            workload: Workload::TpcB,
            what: "pgbench TPC-B".to_owned(),
        }),
        _ => match (
            ceiling_script(path, &CeilingValues::of(stand)?),
            stand.postgres.as_ref(),
        ) {
            (Some(script), Some(db)) => {
                let file = out.join(format!("ceiling-{}.sql", path.name()));
                std::fs::write(&file, script)
                    .map_err(|e| format!("writing {}: {e}", file.display()))?;
                Some(CeilingRun {
                    db: db.args(),
                    workload: Workload::Script(file),
                    what: "pgbench, the page's SQL".to_owned(),
                })
            }
            _ => None,
        },
    })
}

/// Measures `path` on every stand and its ceiling, run by run in turn.
fn measure(
    path: HotPath,
    stands: &mut [Stand],
    options: &Options,
    tpcb: Option<&PgDatabase>,
) -> Vec<Row> {
    let mut rows: Vec<Row> = stands.iter().map(|s| Row::new(path, s.backend)).collect();
    for (row, stand) in rows.iter_mut().zip(stands.iter()) {
        say(&format!(
            "{} on {}: {ROUND_TRIP_LOOP} requests in a row for round trips",
            path.label(),
            stand.backend.label()
        ));
        row.round_trips = stand.round_trips(path);
    }
    let pgbench = options.pgbench.as_deref();
    let pg = stands.iter().find(|s| s.backend == Backend::Postgres);
    let ceiling = match (pgbench, ceiling_of(path, pg, tpcb, &options.out)) {
        (Some(_), Ok(Some(run))) => Some(run),
        (_, Err(why)) => {
            say(&format!("{} ceiling: {why}", path.label()));
            None
        }
        _ => None,
    };
    let mut ceiling_runs: Result<Vec<PgbenchRun>, String> = Ok(Vec::new());
    // Runs with the backends and the ceiling in turn; run 0 warms up.
    for run in 0..=options.runs {
        let seconds = if run == 0 {
            options.warm_up_seconds
        } else {
            options.seconds
        };
        say(&format!(
            "{}: {} ({seconds} s each)",
            path.label(),
            if run == 0 {
                "warm-up".to_owned()
            } else {
                format!("run {run} of {}", options.runs)
            }
        ));
        // Links go out for every backend first, so no server issues links
        // while another is loaded.
        let targets: Vec<Result<Target, String>> = stands
            .iter_mut()
            .zip(rows.iter())
            .map(|(stand, row)| match &row.failure {
                Some(_) => Err(String::new()),
                None => stand.target(path, seconds),
            })
            .collect();
        for stand in stands.iter() {
            if let Some(db) = &stand.postgres
                && let Err(why) = db.vacuum_analyze()
            {
                say(&why);
            }
        }
        for ((stand, row), target) in stands.iter_mut().zip(rows.iter_mut()).zip(targets) {
            if row.failure.is_some() {
                continue;
            }
            let outcome = target
                .and_then(|target| load_stand(stand, path, target, seconds, run == 0, options));
            match outcome {
                Ok(measured) if run > 0 => row.runs.push(measured),
                Ok(_) => {}
                Err(why) => {
                    say(&format!(
                        "{} on {}: {why}",
                        path.label(),
                        stand.backend.label()
                    ));
                    row.failure = Some(why);
                }
            }
        }
        if let (Some(pgbench), Some(ceiling), Ok(runs)) = (pgbench, &ceiling, &mut ceiling_runs) {
            match load::pgbench(pgbench, &ceiling.db, &ceiling.workload, seconds) {
                Ok(measured) => {
                    say(&format!("  {}: {:.0} TPS", ceiling.what, measured.tps));
                    if run > 0 {
                        runs.push(measured);
                    }
                }
                Err(why) => {
                    say(&format!("{}: {why}", ceiling.what));
                    ceiling_runs = Err(why);
                }
            }
        }
    }
    if let Some(ceiling) = ceiling {
        let runs = ceiling_runs;
        if let Some(row) = rows.iter_mut().find(|r| r.backend == Backend::Postgres) {
            row.ceiling = Some(Ceiling {
                what: ceiling.what,
                runs,
            });
        }
    }
    rows
}

/// Runs wrk on one stand. A redemption warm-up that ran out of links
/// runs again with more (up to [`WARM_UP_ATTEMPTS`] times), so that the
/// timed runs' links are sized from a rate that was not cut short.
fn load_stand(
    stand: &mut Stand,
    path: HotPath,
    mut target: Target,
    seconds: u64,
    warm_up: bool,
    options: &Options,
) -> Result<WrkRun, String> {
    let mut attempt = 1;
    loop {
        let measured = load::wrk(
            &options.wrk,
            &options.script,
            stand.addr(),
            &target,
            seconds,
        )?;
        report_run(stand.backend, &measured);
        if path == HotPath::Redeem {
            stand.learn_rate(&measured, seconds);
        }
        if !(warm_up && measured.exhausted > 0 && attempt < WARM_UP_ATTEMPTS) {
            return Ok(measured);
        }
        say("  the warm-up ran out of links: again, with more");
        target = stand.target(path, seconds)?;
        attempt += 1;
    }
}

fn report_run(backend: Backend, run: &WrkRun) {
    let mut line = format!(
        "  {}: {:.0} req/s, p50 {:.1} ms, p99 {:.1} ms",
        backend.label(),
        run.per_second,
        run.p50_ms,
        run.p99_ms
    );
    if run.errors > 0 {
        line.push_str(&format!(", {} errors", run.errors));
    }
    if run.exhausted > 0 {
        line.push_str(&format!(" ({} after the links ran out)", run.exhausted));
    }
    say(&line);
}

/// Runs the benchmark and writes `hot-paths.md` to `options.out`.
///
/// # Errors
/// No backend could be set up, or the report cannot be written.
pub(crate) fn run(options: &Options) -> Result<(), String> {
    std::fs::create_dir_all(&options.out)
        .map_err(|e| format!("creating {}: {e}", options.out.display()))?;
    let load_before = load_average();
    let secret = process::secret_key(&options.server)?;
    let tag = format!(
        "{}_{}",
        std::process::id(),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs())
    );
    let mut notes = Vec::new();
    let mut stands = Vec::new();
    for backend in [Backend::Postgres, Backend::Sqlite] {
        match Stand::start(backend, options, &secret, &tag) {
            Ok(stand) => stands.push(stand),
            Err(why) => {
                say(&format!("{} is not measured: {why}", backend.label()));
                notes.push(format!("{} not measured: {why}", backend.label()));
            }
        }
    }
    if stands.is_empty() {
        return Err("no backend could be set up".to_owned());
    }
    // TPC-B's own database, filled once, for the redemption's ceiling.
    let tpcb = match (&options.pgbench, &options.psql) {
        (Some(pgbench), Some(psql))
            if options.paths.contains(&HotPath::Redeem)
                && stands.iter().any(|s| s.backend == Backend::Postgres) =>
        {
            say(&format!("TPC-B: pgbench -i -s {TPCB_SCALE}"));
            PgDatabase::create(psql, &format!("portal_bench_{tag}_tpcb"))
                .and_then(|db| load::pgbench_init(pgbench, &db, TPCB_SCALE).map(|()| db))
                .map_err(|why| {
                    say(&format!("TPC-B ceiling: {why}"));
                    notes.push(format!("TPC-B ceiling not measured: {why}"));
                })
                .ok()
        }
        _ => None,
    };
    let mut rows = Vec::new();
    for path in &options.paths {
        rows.extend(measure(*path, &mut stands, options, tpcb.as_ref()));
    }
    drop(tpcb);
    let report = Report {
        date: chrono::Utc::now().format("%Y-%m-%d").to_string(),
        machine: machine(),
        load: (load_before, load_average()),
        tools: format!(
            "{}; {}",
            load::version(&options.wrk),
            options
                .pgbench
                .as_deref()
                .map_or_else(|| "no pgbench".to_owned(), load::version)
        ),
        runs: options.runs,
        seconds: options.seconds,
        warm_up_seconds: options.warm_up_seconds,
        rows,
        servers: stands
            .iter()
            .map(|s| report::ServerFacts {
                backend: s.backend,
                cold_start_ms: s.server.cold_start.as_secs_f64() * 1000.0,
                idle_rss_kib: s.server.idle_rss_kib,
                idle_anon_kib: s.server.idle_anon_kib,
                seeding_s: s.seeding.as_secs_f64(),
            })
            .collect(),
        data: stands
            .first()
            .map(|s| report::data(&s.seeded))
            .unwrap_or_default(),
        notes,
    };
    drop(stands);
    let markdown = report.markdown();
    let file = options.out.join("hot-paths.md");
    std::fs::write(&file, &markdown).map_err(|e| format!("writing {}: {e}", file.display()))?;
    use std::io::Write as _;
    writeln!(std::io::stdout().lock(), "\n{markdown}").map_err(|e| e.to_string())?;
    say(&format!("written to {}", file.display()));
    Ok(())
}
