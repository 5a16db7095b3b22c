//! How work reaches the database: every call runs on actix's blocking pool (or, for a quick
//! lookup, on the worker when a connection is free at once), behind the pool's permits; every
//! write goes through one path that opens the transaction (`BEGIN IMMEDIATE` on SQLite, after
//! the writers queued ahead of it). Also the advisory locks that keep concurrent changes to a
//! hierarchy from interleaving.

use diesel::connection::{AnsiTransactionManager, TransactionManager};
use diesel::{Connection, RunQueryDsl};

use super::idempotency;
use super::pool::{ConnectionManager, QUEUE_TIMEOUT};
use super::{DbConn, DbPool};
use crate::core::context::WriteContext;
use crate::core::error::DomainError;

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

/// The one write path: runs `work` in a write transaction on the blocking pool (on SQLite,
/// after the writers ahead of it), together with what the request's context asks to be
/// committed with it: for a POST with an `Idempotency-Key`, the key is claimed before the
/// work and its answer stored after it, in the same transaction.
pub async fn write<T, F>(pool: &DbPool, context: &WriteContext, work: F) -> Result<T, DomainError>
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
    let idempotent = context.idempotency.clone();
    run(pool, move |conn| {
        write_transaction(conn, |conn| {
            if let Some(request) = &idempotent {
                idempotency::claim(conn, request)?;
            }
            let value = work(conn)?;
            if let Some(request) = &idempotent {
                idempotency::record(conn, &request.key, &request.answer_for(&value)?)?;
            }
            Ok(value)
        })
    })
    .await
}

/// Runs a write whose work issues a single statement on PostgreSQL (such as
/// [`CombinedInserts`](super::CombinedInserts)), which is atomic by itself: no transaction is
/// opened around it. On SQLite, where the same work may take several statements, and for an
/// idempotent POST, whose answer must commit with it, it runs as [`write`] does.
pub async fn write_statement<T, F>(
    pool: &DbPool,
    context: &WriteContext,
    work: F,
) -> Result<T, DomainError>
where
    F: FnOnce(&mut DbConn) -> Result<T, DomainError> + Send + 'static,
    T: Send + 'static,
{
    if pool.writer.is_some() || context.idempotency.is_some() {
        write(pool, context, work).await
    } else {
        run(pool, work).await
    }
}
