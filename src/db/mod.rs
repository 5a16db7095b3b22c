//! Database access shared by every resource: the two-backend connection type, the pool,
//! embedded migrations and the blocking-pool bridge.

pub mod child_values;
pub mod errors;
pub mod idempotency;
pub mod query;
pub mod references;
pub mod rows;
pub mod types;

use std::path::{Path, PathBuf};
use std::time::Duration;

use diesel::connection::{AnsiTransactionManager, SimpleConnection, TransactionManager};
use diesel::pg::PgConnection;
use diesel::query_builder::QueryFragment;

use diesel::sqlite::SqliteConnection;
use diesel::{Connection, RunQueryDsl};
use diesel_migrations::{embed_migrations, EmbeddedMigrations, MigrationHarness};
pub use query::{coalesce_int, substr, unnest};

use crate::core::error::DomainError;

pub const POSTGRES_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/postgres");
pub const SQLITE_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/sqlite");

/// One connection type for both backends; every repository function takes `&mut DbConn`.
#[derive(diesel::MultiConnection)]
pub enum DbConn {
    Pg(PgConnection),
    Sqlite(SqliteConnection),
}

/// The backend a `DATABASE_URL` selects, decided by its scheme.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DatabaseUrl {
    Postgres(String),
    Sqlite(PathBuf),
}

impl DatabaseUrl {
    /// Accepts `postgres://…`, `postgresql://…` and `sqlite://PATH` (relative, or absolute with
    /// a third slash: `sqlite:///var/lib/labnet/labnet.db`).
    pub fn parse(raw: &str) -> Result<Self, String> {
        let trimmed = raw.trim();
        if trimmed.starts_with("postgres://") || trimmed.starts_with("postgresql://") {
            return Ok(Self::Postgres(trimmed.to_owned()));
        }
        if let Some(path) = trimmed
            .strip_prefix("sqlite://")
            .or_else(|| trimmed.strip_prefix("sqlite:"))
        {
            if path.is_empty() {
                return Err("sqlite URL has no file path (expected sqlite://PATH)".to_owned());
            }
            return Ok(Self::Sqlite(PathBuf::from(path)));
        }
        Err(format!(
            "unsupported DATABASE_URL scheme in `{}`: use sqlite://PATH or postgres://…",
            redact(trimmed)
        ))
    }

    pub fn backend_name(&self) -> &'static str {
        match self {
            Self::Postgres(_) => "postgres",
            Self::Sqlite(_) => "sqlite",
        }
    }
}

/// Hides a password in a URL so it can be logged.
pub fn redact(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(mut parsed) if parsed.password().is_some() => {
            let _ = parsed.set_password(Some("***"));
            parsed.to_string()
        }
        _ => url.to_owned(),
    }
}

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
    conn: DbConn,
    lost: bool,
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
    connections: r2d2::Pool<ConnectionManager>,
    permits: std::sync::Arc<tokio::sync::Semaphore>,
    /// SQLite takes one writer at a time. Writers queue here, in order, instead of in
    /// SQLite's busy handler, which retries with growing sleeps and so made some writes wait
    /// hundreds of milliseconds behind later ones. `None` on PostgreSQL.
    writer: Option<std::sync::Arc<tokio::sync::Semaphore>>,
}

/// How long a request waits for a free connection before it is answered with 503.
const QUEUE_TIMEOUT: Duration = Duration::from_secs(5);

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
    let writer = matches!(url, DatabaseUrl::Sqlite(_))
        .then(|| std::sync::Arc::new(tokio::sync::Semaphore::new(1)));
    Ok(DbPool {
        connections,
        permits: std::sync::Arc::new(tokio::sync::Semaphore::new(permits)),
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

/// Applies every pending migration of the connection's backend, then refills the search
/// data if a migration asked for it (`search_rebuild`); returns how many migrations ran.
pub fn run_migrations(conn: &mut DbConn) -> Result<usize, String> {
    let applied = match conn {
        DbConn::Pg(pg) => pg.run_pending_migrations(POSTGRES_MIGRATIONS),
        DbConn::Sqlite(lite) => lite.run_pending_migrations(SQLITE_MIGRATIONS),
    };
    let applied = applied
        .map(|versions| versions.len())
        .map_err(|e| format!("migration failed: {e}"))?;
    crate::search_rebuild::rebuild_if_requested(conn)
        .map_err(|e| format!("cannot refill the search columns: {e}"))?;
    Ok(applied)
}

/// Lets SQLite refresh the statistics its query planner relies on (cheap when they are
/// current); PostgreSQL's autovacuum does this by itself.
pub fn refresh_statistics(conn: &mut DbConn) -> Result<(), String> {
    match conn {
        DbConn::Sqlite(lite) => lite
            .batch_execute("PRAGMA optimize")
            .map_err(|e| format!("PRAGMA optimize failed: {e}")),
        DbConn::Pg(_) => Ok(()),
    }
}

/// True when every embedded migration has been applied (used by `/readyz`).
pub fn migrations_complete(conn: &mut DbConn) -> Result<bool, String> {
    let pending = match conn {
        DbConn::Pg(pg) => pg.has_pending_migration(POSTGRES_MIGRATIONS),
        DbConn::Sqlite(lite) => lite.has_pending_migration(SQLITE_MIGRATIONS),
    };
    pending.map(|p| !p).map_err(|e| e.to_string())
}

/// Runs a write transaction. On SQLite it starts with `BEGIN IMMEDIATE`, so concurrent
/// writers queue on the busy timeout instead of failing with "database is locked" when a
/// read lock would have to be upgraded.
pub fn write_transaction<T, E, F>(conn: &mut DbConn, work: F) -> Result<T, E>
where
    F: FnOnce(&mut DbConn) -> Result<T, E>,
    E: From<diesel::result::Error>,
{
    match conn {
        DbConn::Pg(_) => conn.transaction(work),
        DbConn::Sqlite(lite) => {
            AnsiTransactionManager::begin_transaction_sql(lite, "BEGIN IMMEDIATE")?;
            match work(conn) {
                Ok(value) => {
                    if let Err(commit_error) =
                        <DbConn as Connection>::TransactionManager::commit_transaction(conn)
                    {
                        let _ =
                            <DbConn as Connection>::TransactionManager::rollback_transaction(conn);
                        return Err(commit_error.into());
                    }
                    Ok(value)
                }
                Err(error) => {
                    let _ = <DbConn as Connection>::TransactionManager::rollback_transaction(conn);
                    Err(error)
                }
            }
        }
    }
}

/// A tree whose changes must not interleave.
#[derive(Debug, Clone, Copy)]
pub enum Hierarchy {
    Regions,
    LaboratoryHubs,
}

/// Serializes changes to a hierarchy until the transaction ends, so two concurrent moves
/// cannot each pass the cycle check and together close a loop. SQLite needs nothing: its
/// write transactions (`BEGIN IMMEDIATE`) already run one at a time.
pub fn lock_hierarchy(conn: &mut DbConn, hierarchy: Hierarchy) -> diesel::QueryResult<()> {
    // Arbitrary constants naming each tree among PostgreSQL's advisory locks.
    let lock_id: i64 = match hierarchy {
        Hierarchy::Regions => 0x4c61_6252_6567,
        Hierarchy::LaboratoryHubs => 0x4c61_6248_7562,
    };
    match conn {
        DbConn::Pg(pg) => diesel::sql_query("SELECT pg_advisory_xact_lock($1)")
            .bind::<diesel::sql_types::BigInt, _>(lock_id)
            .execute(pg)
            .map(|_| ()),
        DbConn::Sqlite(_) => Ok(()),
    }
}

/// Runs blocking database work on actix's blocking thread pool (never on an async worker),
/// keeping the caller's tracing span so log lines carry the request id.
pub async fn run<T, F>(pool: &DbPool, work: F) -> Result<T, DomainError>
where
    F: FnOnce(&mut DbConn) -> Result<T, DomainError> + Send + 'static,
    T: Send + 'static,
{
    let pool = pool.clone();
    let permit = tokio::time::timeout(QUEUE_TIMEOUT, pool.permits.clone().acquire_owned())
        .await
        .map_err(|_| DomainError::unavailable("all database connections are busy; retry"))?
        .map_err(|_| DomainError::unavailable("the database pool is closed"))?;
    let span = tracing::Span::current();
    actix_web::web::block(move || {
        let _entered = span.enter();
        let conn = pool.get().map_err(|e| {
            tracing::warn!(error = %e, "database connection unavailable");
            DomainError::unavailable("the database is unavailable")
        })?;
        run_on(conn, permit, work)
    })
    .await
    .map_err(|e| DomainError::internal(format!("blocking task failed: {e}")))?
}

/// Runs a read of a few primary-key lookups, such as fetching one resource by id, on the
/// calling HTTP worker when a permit and an idle connection are both free, and on the
/// blocking pool through [`run`] otherwise.
///
/// The hop to the blocking pool and back costs two thread wake-ups per request; for a
/// lookup that takes a fraction of a millisecond those cost more CPU than the query itself
/// (GET by id used 27 % less service CPU without them, `docs/performance.md`). The worker
/// is blocked for the lookup's duration, which is why there are two HTTP workers per core
/// by default and why list pages, searches and writes always go through [`run`]. A
/// PostgreSQL server that hangs rather than fails holds such a worker until the query
/// returns or TCP gives up; `DATABASE_URL` can bound that with libpq's `tcp_user_timeout`
/// and `keepalives_*` parameters (see the README).
pub async fn lookup<T, F>(pool: &DbPool, work: F) -> Result<T, DomainError>
where
    F: FnOnce(&mut DbConn) -> Result<T, DomainError> + Send + 'static,
    T: Send + 'static,
{
    if let Ok(permit) = pool.permits.clone().try_acquire_owned() {
        if let Some(conn) = pool.connections.try_get() {
            // A panic is answered with a 500, as it is from the blocking pool, instead of
            // taking the worker and its other connections down.
            return std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                run_on(conn, permit, work)
            }))
            .unwrap_or_else(|_| Err(DomainError::internal("a database lookup panicked")));
        }
    }
    run(pool, work).await
}

/// Runs `work` on a checked-out connection, marking the connection lost when the database
/// went away under it.
fn run_on<T, F>(
    mut conn: r2d2::PooledConnection<ConnectionManager>,
    permit: tokio::sync::OwnedSemaphorePermit,
    work: F,
) -> Result<T, DomainError>
where
    F: FnOnce(&mut DbConn) -> Result<T, DomainError>,
{
    let result = work(&mut conn.conn);
    if matches!(result, Err(DomainError::Unavailable(_))) {
        conn.lost = true;
    }
    // The connection goes back to the pool before the permit frees a waiter for it.
    drop(conn);
    drop(permit);
    result
}

/// Runs a write transaction on the blocking pool (on SQLite, after the writers ahead of it).
pub async fn write<T, F>(pool: &DbPool, work: F) -> Result<T, DomainError>
where
    F: FnOnce(&mut DbConn) -> Result<T, DomainError> + Send + 'static,
    T: Send + 'static,
{
    let _turn = match &pool.writer {
        Some(writer) => Some(
            tokio::time::timeout(QUEUE_TIMEOUT, writer.clone().acquire_owned())
                .await
                .map_err(|_| DomainError::unavailable("too many writes are queued; retry"))?
                .map_err(|_| DomainError::unavailable("the database pool is closed"))?,
        ),
        None => None,
    };
    run(pool, move |conn| write_transaction(conn, work)).await
}

/// Runs a write whose work issues a single statement on PostgreSQL (such as
/// [`CombinedInserts`]), which is atomic by itself: no transaction is opened around it. On
/// SQLite, where the same work may take several statements, it runs as [`write`] does.
pub async fn write_statement<T, F>(pool: &DbPool, work: F) -> Result<T, DomainError>
where
    F: FnOnce(&mut DbConn) -> Result<T, DomainError> + Send + 'static,
    T: Send + 'static,
{
    if pool.writer.is_some() {
        write(pool, work).await
    } else {
        run(pool, work).await
    }
}

/// `INSERT` statements sent to PostgreSQL as one statement: each but the last becomes a
/// data-modifying `WITH` query. A statement is atomic on its own, so writing a row with its
/// child rows this way needs no `BEGIN` and `COMMIT`, and costs one round trip instead of
/// one per statement plus two. Foreign keys between the parts hold: PostgreSQL checks them
/// when the whole statement has run. Parts are meant to be `INSERT`s without a `WITH` of
/// their own: PostgreSQL does not nest data-modifying `WITH` queries, and every part runs
/// whether or not a later one reads it.
pub struct CombinedInserts<'a> {
    statements: Vec<Box<dyn QueryFragment<diesel::pg::Pg> + 'a>>,
}

impl<'a> CombinedInserts<'a> {
    pub fn new() -> Self {
        Self {
            statements: Vec::new(),
        }
    }

    pub fn push(&mut self, statement: impl QueryFragment<diesel::pg::Pg> + 'a) {
        self.statements.push(Box::new(statement));
    }
}

impl Default for CombinedInserts<'_> {
    fn default() -> Self {
        Self::new()
    }
}

impl QueryFragment<diesel::pg::Pg> for CombinedInserts<'_> {
    fn walk_ast<'b>(
        &'b self,
        mut pass: diesel::query_builder::AstPass<'_, 'b, diesel::pg::Pg>,
    ) -> diesel::QueryResult<()> {
        let Some((last, leading)) = self.statements.split_last() else {
            return Err(diesel::result::Error::QueryBuilderError(
                "no statement to combine".into(),
            ));
        };
        for (index, statement) in leading.iter().enumerate() {
            pass.push_sql(if index == 0 { "WITH " } else { ", " });
            pass.push_sql(&format!("part{index} AS ("));
            statement.walk_ast(pass.reborrow())?;
            pass.push_sql(")");
        }
        if !leading.is_empty() {
            pass.push_sql(" ");
        }
        last.walk_ast(pass.reborrow())
    }
}

impl diesel::query_builder::QueryId for CombinedInserts<'_> {
    type QueryId = ();
    const HAS_STATIC_QUERY_ID: bool = false;
}

impl RunQueryDsl<PgConnection> for CombinedInserts<'_> {}

#[cfg(test)]
mod tests {
    use super::{CombinedInserts, DatabaseUrl};
    use std::path::PathBuf;

    #[test]
    fn database_urls_pick_the_backend_by_scheme() {
        assert_eq!(
            DatabaseUrl::parse("sqlite://data/labnet.db"),
            Ok(DatabaseUrl::Sqlite(PathBuf::from("data/labnet.db")))
        );
        assert_eq!(
            DatabaseUrl::parse("sqlite:///var/lib/labnet/labnet.db"),
            Ok(DatabaseUrl::Sqlite(PathBuf::from(
                "/var/lib/labnet/labnet.db"
            )))
        );
        for url in ["postgres://u:p@db:5432/labnet", "postgresql://db/labnet"] {
            assert_eq!(
                DatabaseUrl::parse(url),
                Ok(DatabaseUrl::Postgres(url.to_owned()))
            );
        }
        assert!(DatabaseUrl::parse("sqlite://").is_err());
        let refused = DatabaseUrl::parse("mysql://root:secret@db/labnet");
        assert!(
            refused
                .as_ref()
                .is_err_and(|message| !message.contains("secret")),
            "{refused:?}"
        );
    }

    #[test]
    fn combined_inserts_are_one_statement_with_leading_parts_as_with_queries() {
        use crate::schema::{laboratory_disciplines, laboratory_search_terms};
        use diesel::prelude::*;

        let id = crate::laboratories::model::LaboratoryId(uuid::Uuid::nil());
        let mut statements = CombinedInserts::new();
        statements.push(diesel::insert_into(laboratory_disciplines::table).values((
            laboratory_disciplines::laboratory_id.eq(id),
            laboratory_disciplines::discipline.eq("virology"),
        )));
        statements.push(
            diesel::insert_into(laboratory_search_terms::table)
                .values(laboratory_search_terms::term.eq("virus")),
        );
        let sql = diesel::debug_query::<diesel::pg::Pg, _>(&statements).to_string();
        assert!(
            sql.starts_with(
                "WITH part0 AS (INSERT INTO \"laboratory_disciplines\" (\"laboratory_id\", \"discipline\") VALUES ($1, $2)) INSERT INTO \"laboratory_search_terms\" (\"term\") VALUES ($3)"
            ),
            "{sql}"
        );
        // Nothing to send is refused, not sent as an empty statement.
        let mut rendered = String::new();
        let empty = CombinedInserts::new();
        assert!(std::fmt::Write::write_fmt(
            &mut rendered,
            format_args!("{}", diesel::debug_query::<diesel::pg::Pg, _>(&empty))
        )
        .is_err());
    }
}
