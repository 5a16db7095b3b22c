//! The connection pool: an r2d2 manager that opens either backend by URL scheme, pooled
//! connections that remember losing their server, and the fair queues in front of the pool
//! (permits for every request, one writer at a time on SQLite). How work runs on a pooled
//! connection is in `transactions`.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use diesel::connection::{SimpleConnection, TransactionManager};
use diesel::pg::PgConnection;
use diesel::sqlite::SqliteConnection;
use diesel::Connection;
use tokio::sync::Semaphore;

use super::{DatabaseUrl, DbConn};

#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct ConnectError(String);

/// An r2d2 manager that picks the backend by URL scheme, keeps the real connection error
/// (diesel's `MultiConnection::establish` hides it) and sets SQLite's per-connection pragmas.
#[derive(Debug, Clone)]
pub struct ConnectionManager {
    url: DatabaseUrl,
}

impl ConnectionManager {
    pub fn new(url: DatabaseUrl) -> Self {
        Self { url }
    }
}

const SQLITE_PRAGMAS: &str = "PRAGMA foreign_keys = ON; PRAGMA busy_timeout = 15000; \
     PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL;";

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
            DatabaseUrl::Postgres(url) => PgConnection::establish(url)
                .map(DbConn::Pg)
                .map_err(|e| ConnectError(e.to_string()))?,
            DatabaseUrl::Sqlite(path) => {
                let path_text = path.to_string_lossy();
                let mut conn = SqliteConnection::establish(&path_text)
                    .map_err(|e| ConnectError(e.to_string()))?;
                conn.batch_execute(SQLITE_PRAGMAS)
                    .map_err(|e| ConnectError(e.to_string()))?;
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
}

/// How long a request waits for a free connection before it is answered with 503.
pub(super) const QUEUE_TIMEOUT: Duration = Duration::from_secs(5);

impl DbPool {
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
pub fn build_pool(url: &DatabaseUrl, max_size: u32) -> Result<DbPool, String> {
    if let DatabaseUrl::Sqlite(path) = url {
        ensure_parent_dir(path)?;
    }
    let connections = r2d2::Pool::builder()
        .max_size(max_size)
        .min_idle(Some(0))
        .connection_timeout(Duration::from_secs(3))
        .test_on_check_out(false)
        .error_handler(Box::new(r2d2::LoggingErrorHandler))
        .build_unchecked(ConnectionManager::new(url.clone()));
    let permits = usize::try_from(max_size).unwrap_or(1).max(1);
    let writer = matches!(url, DatabaseUrl::Sqlite(_)).then(|| Arc::new(Semaphore::new(1)));
    Ok(DbPool {
        connections,
        permits: Arc::new(Semaphore::new(permits)),
        writer,
    })
}

fn ensure_parent_dir(path: &Path) -> Result<(), String> {
    match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() && !dir.exists() => std::fs::create_dir_all(dir)
            .map_err(|e| format!("cannot create database directory {}: {e}", dir.display())),
        _ => Ok(()),
    }
}
