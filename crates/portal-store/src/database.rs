//! Opening a database: which backend a URL names, the connection pools, the
//! per-connection SQLite settings, and the embedded migrations applied at
//! start.

use std::fmt;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use diesel::SqliteConnection;
use diesel::connection::InstrumentationEvent;
use diesel::migration::MigrationSource;
use diesel_async::pooled_connection::deadpool::{Object, Pool};
use diesel_async::pooled_connection::{
    AsyncDieselConnectionManager, ManagerConfig, PoolableConnection, RecyclingMethod,
};
use diesel_async::sync_connection_wrapper::SyncConnectionWrapper;
use diesel_async::{
    AsyncConnection, AsyncMigrationHarness, AsyncPgConnection, RunQueryDsl, SimpleAsyncConnection,
};
use diesel_migrations::{EmbeddedMigrations, MigrationHarness, embed_migrations};
use futures_util::future::BoxFuture;
use portal_domain::ports::StoreError;

pub(crate) type SqliteConn = SyncConnectionWrapper<SqliteConnection>;

const POSTGRES_MIGRATIONS: EmbeddedMigrations = embed_migrations!("../../migrations/postgres");
const SQLITE_MIGRATIONS: EmbeddedMigrations = embed_migrations!("../../migrations/sqlite");

/// Serialises migrations when several servers start against one database.
const MIGRATION_LOCK: i64 = 0x706f_7274_616c; // "portal"

/// Settings of the SQLite writer connection: enforce foreign keys, let
/// readers run beside the writer, and wait rather than fail on a lock.
const SQLITE_WRITER: &str = "PRAGMA foreign_keys = ON; PRAGMA journal_mode = WAL; \
                             PRAGMA synchronous = NORMAL; PRAGMA busy_timeout = 5000;";

/// Settings of a SQLite reader connection: it refuses to write, so a write
/// sent to it by mistake fails at once instead of racing the writer.
const SQLITE_READER: &str = "PRAGMA query_only = ON; PRAGMA busy_timeout = 5000;";

/// Which database a `PORTAL_DATABASE_URL` names.
#[derive(Clone, PartialEq, Eq)]
pub enum DatabaseUrl {
    /// `postgres://…` or `postgresql://…`
    Postgres(String),
    /// `sqlite://path`, `sqlite:path`, or a bare file path.
    Sqlite(PathBuf),
}

impl DatabaseUrl {
    /// # Errors
    /// An empty value, or a scheme other than postgres and sqlite.
    pub fn parse(url: &str) -> Result<Self, OpenError> {
        let url = url.trim();
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            return Ok(Self::Postgres(url.to_owned()));
        }
        let path = url
            .strip_prefix("sqlite://")
            .or_else(|| url.strip_prefix("sqlite:"))
            .unwrap_or(url);
        if path.is_empty() || (path.contains("://") && !url.starts_with("sqlite")) {
            return Err(OpenError::Url(
                url.split("://").next().unwrap_or_default().to_owned(),
            ));
        }
        Ok(Self::Sqlite(PathBuf::from(path)))
    }

    pub fn is_postgres(&self) -> bool {
        matches!(self, Self::Postgres(_))
    }
}

/// Shows the URL without any password in it.
impl fmt::Debug for DatabaseUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Postgres(url) => {
                let shown = match (url.find("://"), url.rfind('@')) {
                    (Some(scheme), Some(at)) if at > scheme => {
                        format!("{}://…@{}", &url[..scheme], &url[at + 1..])
                    }
                    _ => url.clone(),
                };
                write!(f, "Postgres({shown})")
            }
            Self::Sqlite(path) => write!(f, "Sqlite({})", path.display()),
        }
    }
}

impl fmt::Display for DatabaseUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self, f)
    }
}

/// Why a database could not be opened.
#[derive(Debug, thiserror::Error)]
pub enum OpenError {
    #[error("unsupported database URL scheme {0:?}: use postgres://… or sqlite://path")]
    Url(String),
    #[error("cannot create the folder for the SQLite database at {path}")]
    Folder {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot connect to the database")]
    Connect(#[source] Box<dyn std::error::Error + Send + Sync>),
    #[error("cannot apply the database migrations")]
    Migrate(#[source] Box<dyn std::error::Error + Send + Sync>),
}

/// Connection pools of either backend.
#[derive(Clone)]
pub(crate) enum Pools {
    Postgres(Pool<AsyncPgConnection>),
    /// SQLite has one writer: every write goes through the one writer
    /// connection, which serialises writes without lock errors, while
    /// reads run in parallel on their own connections beside it (WAL).
    Sqlite {
        writer: Pool<SqliteConn>,
        readers: Pool<SqliteConn>,
    },
}

/// A pooled connection of either backend.
pub(crate) enum Conn {
    // Boxed: a PostgreSQL connection is several times larger than SQLite's.
    Postgres(Box<Object<AsyncPgConnection>>),
    Sqlite(Object<SqliteConn>),
}

/// Runs `$body` with `$c` bound to the concrete connection, once per
/// backend: diesel's query builder is backend-generic, execution is not.
macro_rules! with_conn {
    ($conn:expr, |$c:ident| $body:expr) => {
        match &mut $conn {
            $crate::database::Conn::Postgres(pooled) => {
                let $c: &mut diesel_async::AsyncPgConnection = &mut *pooled;
                $body
            }
            $crate::database::Conn::Sqlite(pooled) => {
                let $c: &mut $crate::database::SqliteConn = &mut *pooled;
                $body
            }
        }
    };
}
pub(crate) use with_conn;

/// Runs `$body` with `$c` bound to the concrete connection inside one
/// read-only transaction that sees a single snapshot: `REPEATABLE READ` on
/// PostgreSQL, a deferred transaction on SQLite (whose readers see one
/// snapshot until they end). For reads of several tables that must agree,
/// such as a document and the payments on its ledger. `$body` must end in
/// an `Ok::<_, diesel::result::Error>`.
macro_rules! in_snapshot {
    ($conn:expr, |$c:ident| $body:expr) => {
        match &mut $conn {
            $crate::database::Conn::Postgres(pooled) => {
                let conn: &mut diesel_async::AsyncPgConnection = &mut *pooled;
                conn.build_transaction()
                    .read_only()
                    .repeatable_read()
                    .run(async |$c| $body)
                    .await
            }
            $crate::database::Conn::Sqlite(pooled) => {
                let conn: &mut $crate::database::SqliteConn = &mut *pooled;
                diesel_async::AsyncConnection::transaction(conn, async |$c| $body).await
            }
        }
    };
}
pub(crate) use in_snapshot;

/// The one row a lookup by a unique key found, if any. Such lookups load
/// rather than call `first`: diesel's `first` binds `LIMIT 1` as a
/// parameter, and SQLite prepares a statement again every time a `LIMIT`
/// parameter is bound; the hot lookups (a session by its cookie, a link by
/// its token) skip that work.
pub(crate) fn unique<T>(rows: Vec<T>) -> Option<T> {
    rows.into_iter().next()
}

pub(crate) fn backend(err: impl std::error::Error + Send + Sync + 'static) -> StoreError {
    StoreError::Backend(Box::new(err))
}

/// The versions of every migration this build embeds for a backend, as
/// diesel records them once applied.
pub(crate) fn expected_migrations(postgres: bool) -> Result<Vec<String>, StoreError> {
    let versions = if postgres {
        MigrationSource::<diesel::pg::Pg>::migrations(&POSTGRES_MIGRATIONS)
            .map(|all| all.iter().map(|m| m.name().version().to_string()).collect())
    } else {
        MigrationSource::<diesel::sqlite::Sqlite>::migrations(&SQLITE_MIGRATIONS)
            .map(|all| all.iter().map(|m| m.name().version().to_string()).collect())
    };
    versions.map_err(StoreError::Backend)
}

/// How many connections the PostgreSQL pool may open per process.
const POSTGRES_POOL_SIZE: usize = 16;

/// Counts the SQL statements run on every connection of one database
/// (`BEGIN` and `COMMIT` included): what a request costs in round trips.
#[derive(Clone, Debug, Default)]
pub(crate) struct StatementCounter(Arc<AtomicU64>);

impl StatementCounter {
    pub(crate) fn get(&self) -> u64 {
        AtomicU64::load(&self.0, Ordering::Relaxed)
    }

    /// Has `conn` count every statement it starts.
    fn watch<C: AsyncConnection>(&self, conn: &mut C) {
        let count = Arc::clone(&self.0);
        conn.set_instrumentation(move |event: InstrumentationEvent<'_>| {
            if let InstrumentationEvent::StartQuery { .. } = event {
                count.fetch_add(1, Ordering::Relaxed);
            }
        });
    }
}

/// Pool settings shared by both backends: a connection is handed out
/// again without a health query (a broken one is dropped when it fails),
/// and every connection is set up by `setup` and counted by `counter`.
fn manager<C>(
    url: String,
    counter: &StatementCounter,
    setup: fn(String) -> BoxFuture<'static, diesel::ConnectionResult<C>>,
) -> AsyncDieselConnectionManager<C>
where
    C: AsyncConnection + PoolableConnection + 'static,
{
    let mut config = ManagerConfig::default();
    config.recycling_method = RecyclingMethod::Fast;
    let counter = counter.clone();
    config.custom_setup = Box::new(move |url| {
        let counter = counter.clone();
        let connecting = setup(url.to_owned());
        Box::pin(async move {
            let mut conn = connecting.await?;
            counter.watch(&mut conn);
            Ok(conn)
        })
    });
    AsyncDieselConnectionManager::new_with_config(url, config)
}

/// How many reader connections SQLite gets: one per CPU, at least two.
fn sqlite_readers() -> usize {
    std::thread::available_parallelism().map_or(2, |n| n.get().max(2))
}

impl Pools {
    pub(crate) async fn open(
        url: &DatabaseUrl,
        counter: &StatementCounter,
    ) -> Result<Self, OpenError> {
        match url {
            DatabaseUrl::Postgres(url) => {
                let conn = AsyncPgConnection::establish(url)
                    .await
                    .map_err(|e| OpenError::Connect(Box::new(e)))?;
                migrate_postgres(conn).await?;
                let manager = manager(url.clone(), counter, |url| {
                    Box::pin(async move { AsyncPgConnection::establish(&url).await })
                });
                let pool = Pool::builder(manager)
                    .max_size(POSTGRES_POOL_SIZE)
                    .build()
                    .map_err(|e| OpenError::Connect(Box::new(e)))?;
                Ok(Self::Postgres(pool))
            }
            DatabaseUrl::Sqlite(path) => {
                if let Some(folder) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
                    std::fs::create_dir_all(folder).map_err(|source| OpenError::Folder {
                        path: folder.to_owned(),
                        source,
                    })?;
                }
                let target = path.to_string_lossy().into_owned();
                let conn = sqlite_connection(target.clone(), SQLITE_WRITER)
                    .await
                    .map_err(|e| OpenError::Connect(Box::new(e)))?;
                migrate_sqlite(conn)?;
                let writer = Pool::builder(manager(target.clone(), counter, |path| {
                    Box::pin(sqlite_connection(path, SQLITE_WRITER))
                }))
                .max_size(1)
                .build()
                .map_err(|e| OpenError::Connect(Box::new(e)))?;
                let readers = Pool::builder(manager(target, counter, |path| {
                    Box::pin(sqlite_connection(path, SQLITE_READER))
                }))
                .max_size(sqlite_readers())
                .build()
                .map_err(|e| OpenError::Connect(Box::new(e)))?;
                Ok(Self::Sqlite { writer, readers })
            }
        }
    }

    /// A connection for reads only: on SQLite one of the readers, which
    /// refuse to write.
    pub(crate) async fn read(&self) -> Result<Conn, StoreError> {
        match self {
            Self::Postgres(pool) => postgres(pool).await,
            Self::Sqlite { readers, .. } => readers.get().await.map(Conn::Sqlite).map_err(backend),
        }
    }

    /// A connection for writes (and the reads a write transaction makes):
    /// on SQLite the one writer.
    pub(crate) async fn write(&self) -> Result<Conn, StoreError> {
        match self {
            Self::Postgres(pool) => postgres(pool).await,
            Self::Sqlite { writer, .. } => writer.get().await.map(Conn::Sqlite).map_err(backend),
        }
    }
}

async fn postgres(pool: &Pool<AsyncPgConnection>) -> Result<Conn, StoreError> {
    pool.get()
        .await
        .map(|c| Conn::Postgres(Box::new(c)))
        .map_err(backend)
}

async fn sqlite_connection(
    path: String,
    setup: &'static str,
) -> diesel::ConnectionResult<SqliteConn> {
    let mut conn = SqliteConn::establish(&path).await?;
    conn.batch_execute(setup)
        .await
        .map_err(|e| diesel::ConnectionError::BadConnection(e.to_string()))?;
    Ok(conn)
}

/// Applies pending PostgreSQL migrations under an advisory lock, so
/// servers starting together migrate one after the other.
async fn migrate_postgres(mut conn: AsyncPgConnection) -> Result<(), OpenError> {
    let failed = |e: Box<dyn std::error::Error + Send + Sync>| OpenError::Migrate(e);
    diesel::sql_query(format!("SELECT pg_advisory_lock({MIGRATION_LOCK})"))
        .execute(&mut conn)
        .await
        .map_err(|e| failed(Box::new(e)))?;
    let mut harness = AsyncMigrationHarness::new(conn);
    let outcome = harness
        .run_pending_migrations(POSTGRES_MIGRATIONS)
        .map(|_| ());
    let mut conn = harness.into_inner();
    diesel::sql_query(format!("SELECT pg_advisory_unlock({MIGRATION_LOCK})"))
        .execute(&mut conn)
        .await
        .map_err(|e| failed(Box::new(e)))?;
    outcome.map_err(failed)
}

fn migrate_sqlite(conn: SqliteConn) -> Result<(), OpenError> {
    AsyncMigrationHarness::new(conn)
        .run_pending_migrations(SQLITE_MIGRATIONS)
        .map(|_| ())
        .map_err(OpenError::Migrate)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_name_their_backend() {
        assert!(
            DatabaseUrl::parse("postgres://u:secret@h/db")
                .unwrap()
                .is_postgres()
        );
        assert!(
            DatabaseUrl::parse("postgresql://h/db")
                .unwrap()
                .is_postgres()
        );
        assert_eq!(
            DatabaseUrl::parse("sqlite://./data/portal.db").unwrap(),
            DatabaseUrl::Sqlite("./data/portal.db".into())
        );
        assert_eq!(
            DatabaseUrl::parse("sqlite:portal.db").unwrap(),
            DatabaseUrl::Sqlite("portal.db".into())
        );
        assert_eq!(
            DatabaseUrl::parse("data/p.db").unwrap(),
            DatabaseUrl::Sqlite("data/p.db".into())
        );
        assert!(DatabaseUrl::parse("mysql://h/db").is_err());
        assert!(DatabaseUrl::parse("").is_err());
    }

    #[test]
    fn printed_urls_hide_passwords() {
        let url = DatabaseUrl::parse("postgres://user:hunter2@db.internal:5432/portal").unwrap();
        assert_eq!(
            url.to_string(),
            "Postgres(postgres://…@db.internal:5432/portal)"
        );
    }
}
