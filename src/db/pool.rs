//! The connection pool: an r2d2 manager that opens either backend by URL scheme with the
//! configured timeouts, pooled connections that remember losing their server, the fair
//! queues in front of the pool (permits for every request, one writer at a time on SQLite)
//! and what the pool last heard from the database. How work runs on a pooled connection is
//! in `transactions`.

use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use diesel::connection::{SimpleConnection, TransactionManager};
use diesel::pg::PgConnection;
use diesel::sqlite::SqliteConnection;
use diesel::Connection;
use tokio::sync::Semaphore;

use super::{DatabaseUrl, DbConn};

#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct ConnectError(String);

/// How long database work may wait (the `LABNET_DB_*` settings).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DbTimeouts {
    /// The most a request waits on the database in all: for a permit, a connection and its
    /// statements. Past it the request is answered 503, whatever the database still does.
    pub request: Duration,
    /// One statement: PostgreSQL's `statement_timeout`, SQLite's busy timeout.
    pub statement: Duration,
    /// Opening a connection (libpq's `connect_timeout`), and waiting for one from the pool.
    pub connect: Duration,
    /// Sent data left unacknowledged this long gives the connection up (libpq's
    /// `tcp_user_timeout`); it also ends the keepalive probes of a silent peer.
    pub tcp_user: Duration,
}

impl Default for DbTimeouts {
    fn default() -> Self {
        Self {
            request: Duration::from_secs(10),
            statement: Duration::from_secs(5),
            connect: Duration::from_secs(3),
            tcp_user: Duration::from_secs(10),
        }
    }
}

/// TCP keepalives on every PostgreSQL connection unless `DATABASE_URL` says otherwise: an
/// idle connection (or one waiting for a reply) probes its peer after 5 s of silence, every
/// 2 s, and gives up when the probes go unanswered (`tcp_user_timeout` decides when).
const KEEPALIVES: [(&str, &str); 4] = [
    ("keepalives", "1"),
    ("keepalives_idle", "5"),
    ("keepalives_interval", "2"),
    ("keepalives_count", "3"),
];

/// An r2d2 manager that picks the backend by URL scheme, keeps the real connection error
/// (diesel's `MultiConnection::establish` hides it) and bounds every connection's waits:
/// libpq's connect, TCP and keepalive parameters and PostgreSQL's `statement_timeout` and
/// `idle_in_transaction_session_timeout` are added to `DATABASE_URL` where it sets none
/// of its own; SQLite gets its pragmas, the busy timeout among them.
#[derive(Debug, Clone)]
pub struct ConnectionManager {
    url: DatabaseUrl,
    /// What libpq is given: `url` with the defaults added (PostgreSQL only).
    connect_url: String,
    sqlite_pragmas: String,
}

impl ConnectionManager {
    pub fn new(url: DatabaseUrl, timeouts: DbTimeouts) -> Self {
        let millis = |duration: Duration| duration.as_millis().to_string();
        let connect_url = match &url {
            DatabaseUrl::Postgres(raw) => {
                let mut parameters = vec![
                    // libpq counts whole seconds (and waits at least 2).
                    (
                        "connect_timeout",
                        timeouts.connect.as_secs().max(1).to_string(),
                    ),
                    ("tcp_user_timeout", millis(timeouts.tcp_user)),
                ];
                parameters.extend(KEEPALIVES.map(|(key, value)| (key, value.to_owned())));
                super::url::with_libpq_defaults(
                    raw,
                    &parameters,
                    &[
                        ("statement_timeout", millis(timeouts.statement)),
                        // A transaction of this service never idles: the server ends one
                        // whose client went quiet inside it, and frees its locks, once no
                        // request could still be waiting for it.
                        (
                            "idle_in_transaction_session_timeout",
                            millis(timeouts.request),
                        ),
                    ],
                )
            }
            DatabaseUrl::Sqlite(_) => String::new(),
        };
        let sqlite_pragmas = format!(
            "PRAGMA foreign_keys = ON; PRAGMA busy_timeout = {}; \
             PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL;",
            timeouts.statement.as_millis()
        );
        Self {
            url,
            connect_url,
            sqlite_pragmas,
        }
    }
}

/// A pooled connection, remembering whether it lost its server. Checking every connection
/// with a query at checkout would cost a round trip per request; instead a connection whose
/// query failed for want of a server is marked here and dropped when it returns to the pool.
pub struct PooledConn {
    pub(super) conn: DbConn,
    pub(super) lost: bool,
}

impl std::ops::Deref for PooledConn {
    type Target = DbConn;
    fn deref(&self) -> &DbConn {
        &self.conn
    }
}

impl std::ops::DerefMut for PooledConn {
    fn deref_mut(&mut self) -> &mut DbConn {
        &mut self.conn
    }
}

impl r2d2::ManageConnection for ConnectionManager {
    type Connection = PooledConn;
    type Error = ConnectError;

    fn connect(&self) -> Result<PooledConn, ConnectError> {
        let conn = match &self.url {
            DatabaseUrl::Postgres(_) => PgConnection::establish(&self.connect_url)
                .map(DbConn::Pg)
                .map_err(|e| ConnectError(e.to_string()))?,
            DatabaseUrl::Sqlite(path) => {
                let path_text = path.to_string_lossy();
                let mut conn = SqliteConnection::establish(&path_text)
                    .map_err(|e| ConnectError(e.to_string()))?;
                conn.batch_execute(&self.sqlite_pragmas)
                    .map_err(|e| ConnectError(e.to_string()))?;
                // PostgreSQL has it from a migration; SQLite runs it in Rust.
                crate::db::geo::register(&mut conn).map_err(|e| ConnectError(e.to_string()))?;
                DbConn::Sqlite(conn)
            }
        };
        Ok(PooledConn { conn, lost: false })
    }

    fn is_valid(&self, conn: &mut PooledConn) -> Result<(), ConnectError> {
        conn.conn
            .batch_execute("SELECT 1")
            .map_err(|e| ConnectError(e.to_string()))
    }

    fn has_broken(&self, conn: &mut PooledConn) -> bool {
        conn.lost
            || <DbConn as Connection>::TransactionManager::is_broken_transaction_manager(
                &mut conn.conn,
            )
    }
}

/// The connection pool, with a fair queue in front of it. Requests wait for a permit in
/// arrival order on the async side, so at most `max_size` blocking tasks ever ask r2d2 for a
/// connection; r2d2's own wait is not first-come-first-served, and under load that showed as
/// a long latency tail.
#[derive(Clone)]
pub struct DbPool {
    pub(super) connections: r2d2::Pool<ConnectionManager>,
    pub(super) permits: Arc<Semaphore>,
    /// SQLite takes one writer at a time. Writers queue here, in order, instead of in
    /// SQLite's busy handler, which retries with growing sleeps and so made some writes wait
    /// hundreds of milliseconds behind later ones. `None` on PostgreSQL.
    pub(super) writer: Option<Arc<Semaphore>>,
    pub(super) timeouts: DbTimeouts,
    pub(super) health: Arc<Health>,
}

/// How long a request waits for a free connection before it is answered with 503.
pub(super) const QUEUE_TIMEOUT: Duration = Duration::from_secs(5);

/// How recent the database's last answer must be for a lookup to wait for it on an HTTP
/// worker (`transactions::lookup`).
const ANSWER_FRESH_FOR: Duration = Duration::from_millis(250);

/// What the pool last heard from the database: when it last answered, and whether a call
/// went unanswered (its connection lost, or its deadline passed) since. Lookups consult it
/// before they wait for the database on an HTTP worker, which no deadline can free.
#[derive(Debug)]
pub(super) struct Health {
    origin: Instant,
    /// Milliseconds from `origin` to the last answer, plus one; 0 before the first.
    answered_at: AtomicU64,
    unanswered: AtomicBool,
}

impl Health {
    fn new() -> Self {
        Self {
            origin: Instant::now(),
            answered_at: AtomicU64::new(0),
            unanswered: AtomicBool::new(false),
        }
    }

    fn stamp(&self) -> u64 {
        u64::try_from(self.origin.elapsed().as_millis()).unwrap_or(u64::MAX - 1) + 1
    }

    /// The database answered a call (successfully or with an error of its own).
    pub(super) fn answered(&self) {
        let stamp = self.stamp();
        // Stored only when it changed, so busy workers do not fight over the cache line.
        if self.answered_at.load(Ordering::Relaxed) != stamp {
            self.answered_at.store(stamp, Ordering::Relaxed);
        }
        if self.unanswered.load(Ordering::Relaxed) {
            self.unanswered.store(false, Ordering::Relaxed);
        }
    }

    /// A call got no answer: its connection was lost or its deadline passed.
    pub(super) fn unanswered(&self) {
        self.unanswered.store(true, Ordering::Relaxed);
    }

    /// True when the database answered within the last `ANSWER_FRESH_FOR` and no call went
    /// unanswered since.
    pub(super) fn answering(&self) -> bool {
        if self.unanswered.load(Ordering::Relaxed) {
            return false;
        }
        let answered_at = self.answered_at.load(Ordering::Relaxed);
        answered_at != 0
            && self.stamp().saturating_sub(answered_at)
                < u64::try_from(ANSWER_FRESH_FOR.as_millis()).unwrap_or(u64::MAX)
    }
}

impl DbPool {
    /// The timeouts the pool was built with.
    pub fn timeouts(&self) -> DbTimeouts {
        self.timeouts
    }

    /// A connection, waiting at most the pool's connection timeout.
    pub fn get(&self) -> Result<r2d2::PooledConnection<ConnectionManager>, r2d2::Error> {
        self.connections.get()
    }

    pub fn get_timeout(
        &self,
        timeout: Duration,
    ) -> Result<r2d2::PooledConnection<ConnectionManager>, r2d2::Error> {
        self.connections.get_timeout(timeout)
    }

    pub fn state(&self) -> r2d2::State {
        self.connections.state()
    }
}

/// Builds the pool without opening a connection, so the service starts (and `/readyz`
/// reports) even while the database is still coming up.
pub fn build_pool(
    url: &DatabaseUrl,
    max_size: u32,
    timeouts: DbTimeouts,
) -> Result<DbPool, String> {
    if let DatabaseUrl::Sqlite(path) = url {
        ensure_parent_dir(path)?;
    }
    let connections = r2d2::Pool::builder()
        .max_size(max_size)
        .min_idle(Some(0))
        .connection_timeout(timeouts.connect)
        .test_on_check_out(false)
        .error_handler(Box::new(r2d2::LoggingErrorHandler))
        .build_unchecked(ConnectionManager::new(url.clone(), timeouts));
    let permits = usize::try_from(max_size).unwrap_or(1).max(1);
    let writer = matches!(url, DatabaseUrl::Sqlite(_)).then(|| Arc::new(Semaphore::new(1)));
    Ok(DbPool {
        connections,
        permits: Arc::new(Semaphore::new(permits)),
        writer,
        timeouts,
        health: Arc::new(Health::new()),
    })
}

fn ensure_parent_dir(path: &Path) -> Result<(), String> {
    match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() && !dir.exists() => std::fs::create_dir_all(dir)
            .map_err(|e| format!("cannot create database directory {}: {e}", dir.display())),
        _ => Ok(()),
    }
}

const LIFT_STATEMENT_TIMEOUTS: &str =
    "SET statement_timeout = 0; SET idle_in_transaction_session_timeout = 0";
const RESTORE_STATEMENT_TIMEOUTS: &str =
    "RESET statement_timeout; RESET idle_in_transaction_session_timeout";

/// Lifts PostgreSQL's per-statement bounds on this connection, which are meant for requests,
/// for long work such as a bulk load or an index build. SQLite keeps its busy timeout.
pub fn lift_statement_timeouts(conn: &mut DbConn) -> diesel::QueryResult<()> {
    match conn {
        DbConn::Pg(pg) => pg.batch_execute(LIFT_STATEMENT_TIMEOUTS),
        DbConn::Sqlite(_) => Ok(()),
    }
}

/// Runs long maintenance work (migrations, the search refill) without the per-statement
/// bounds, then restores them (`RESET` returns to the values the connection started with);
/// a connection that cannot restore them is dropped instead of pooled again.
pub fn without_statement_timeouts<T>(
    conn: &mut PooledConn,
    work: impl FnOnce(&mut DbConn) -> Result<T, String>,
) -> Result<T, String> {
    lift_statement_timeouts(&mut conn.conn)
        .map_err(|e| format!("cannot lift the statement timeout: {e}"))?;
    let result = work(&mut conn.conn);
    if let DbConn::Pg(pg) = &mut conn.conn {
        if pg.batch_execute(RESTORE_STATEMENT_TIMEOUTS).is_err() {
            conn.lost = true;
        }
    }
    result
}
