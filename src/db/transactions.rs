//! How work reaches the database: every call runs on actix's blocking pool (or, for a quick
//! lookup, on the worker when a connection is free at once and the database is answering),
//! behind the pool's permits and within the request timeout; every write goes through one
//! path that opens the transaction (`BEGIN IMMEDIATE` on SQLite, after
//! the writers queued ahead of it). Also the advisory locks that keep concurrent changes to a
//! hierarchy from interleaving.

use std::any::Any;
use std::time::{Duration, Instant};

use diesel::connection::{AnsiTransactionManager, TransactionManager};
use diesel::{Connection, RunQueryDsl};
use tokio::sync::OwnedSemaphorePermit;

use super::audit::{self, Audited, Change, NewAuditEvent};
use super::idempotency;
use super::pool::{ConnectionManager, Health, QUEUE_TIMEOUT};
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
/// keeping the caller's tracing span so log lines carry the request id. The request waits
/// at most the pool's request timeout (`LABNET_DB_TIMEOUT`) in all; then it is answered
/// 503, while the work, which no one can interrupt, finishes or fails on its own thread.
pub async fn run<T, F>(pool: &DbPool, work: F) -> Result<T, DomainError>
where
    F: FnOnce(&mut DbConn) -> Result<T, DomainError> + Send + 'static,
    T: Send + 'static,
{
    run_until(pool, Instant::now() + pool.timeouts.request, None, work).await
}

/// [`run`], waiting at most `bound` (and never more than the pool's request timeout): for
/// a probe that must answer quickly, such as `/readyz`.
pub async fn run_within<T, F>(pool: &DbPool, bound: Duration, work: F) -> Result<T, DomainError>
where
    F: FnOnce(&mut DbConn) -> Result<T, DomainError> + Send + 'static,
    T: Send + 'static,
{
    let bound = bound.min(pool.timeouts.request);
    run_until(pool, Instant::now() + bound, None, work).await
}

/// Runs `work` on the blocking pool, answering by `deadline`; `turn` (a SQLite writer's
/// place) is held until the work ends, not just until the caller stops waiting.
async fn run_until<T, F>(
    pool: &DbPool,
    deadline: Instant,
    turn: Option<OwnedSemaphorePermit>,
    work: F,
) -> Result<T, DomainError>
where
    F: FnOnce(&mut DbConn) -> Result<T, DomainError> + Send + 'static,
    T: Send + 'static,
{
    let pool = pool.clone();
    let queue_deadline = deadline.min(Instant::now() + QUEUE_TIMEOUT);
    let permit =
        tokio::time::timeout_at(queue_deadline.into(), pool.permits.clone().acquire_owned())
            .await
            .map_err(|_| DomainError::unavailable("all database connections are busy; retry"))?
            .map_err(|_| DomainError::unavailable("the database pool is closed"))?;
    let span = tracing::Span::current();
    let health = std::sync::Arc::clone(&pool.health);
    let task = actix_web::web::block(move || {
        let _entered = span.enter();
        let _turn = turn;
        let wait = deadline
            .saturating_duration_since(Instant::now())
            .min(pool.timeouts.connect);
        let conn = pool.get_timeout(wait).map_err(|e| {
            tracing::warn!(error = %e, "database connection unavailable");
            pool.health.unanswered();
            DomainError::unavailable("the database is unavailable")
        })?;
        run_on(conn, permit, &pool.health, work)
    });
    match tokio::time::timeout_at(deadline.into(), task).await {
        Ok(joined) => {
            joined.map_err(|e| DomainError::internal(format!("blocking task failed: {e}")))?
        }
        Err(_) => {
            health.unanswered();
            tracing::warn!("the database did not answer in time");
            Err(DomainError::unavailable(
                "the database did not answer in time; retry",
            ))
        }
    }
}

/// Runs a read of a few primary-key lookups, such as fetching one resource by id, on the
/// calling HTTP worker when the database is answering and a permit and an idle connection
/// are both free, and on the blocking pool through [`run`], with its deadline, otherwise.
///
/// The hop to the blocking pool and back costs two thread wake-ups per request; for a
/// lookup that takes a fraction of a millisecond those cost more CPU than the query itself
/// (GET by id used 27 % less service CPU without them, `docs/performance.md`). The worker
/// is blocked for the lookup's duration, which is why there are two HTTP workers per core
/// by default and why list pages, searches and writes always go through [`run`].
///
/// No deadline can free a worker, so a worker only waits for a database that is answering:
/// once a call went unanswered (its connection lost, or its deadline passed), or when the
/// database has not answered anything for 250 ms, lookups go through [`run`] and its
/// deadline until a call is answered again. A lookup already waiting when the database
/// stops answering keeps its worker until the connection's own limits end it: PostgreSQL's
/// `statement_timeout` (`LABNET_DB_STATEMENT_TIMEOUT`) while the server still works, and
/// libpq's `tcp_user_timeout` (`LABNET_DB_TCP_USER_TIMEOUT`) and keepalives when the
/// server's host or the network goes silent. A server whose host still acknowledges every
/// packet while the server itself does not answer (stopped, or stuck on its disk) holds
/// such a lookup until it answers or the connection is cut (see the README).
pub async fn lookup<T, F>(pool: &DbPool, work: F) -> Result<T, DomainError>
where
    F: FnOnce(&mut DbConn) -> Result<T, DomainError> + Send + 'static,
    T: Send + 'static,
{
    if pool.health.answering() {
        if let Ok(permit) = pool.permits.clone().try_acquire_owned() {
            if let Some(conn) = pool.connections.try_get() {
                // A panic is answered with a 500, as it is from the blocking pool, instead of
                // taking the worker and its other connections down.
                return std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                    run_on(conn, permit, &pool.health, work)
                }))
                .unwrap_or_else(|_| Err(DomainError::internal("a database lookup panicked")));
            }
        }
    }
    run(pool, work).await
}

/// Runs `work` on a checked-out connection, marking the connection lost (so the pool drops
/// it instead of handing it out again) when the database went away under it or did not
/// answer in time, and telling the pool's health what happened.
fn run_on<T, F>(
    mut conn: r2d2::PooledConnection<ConnectionManager>,
    permit: OwnedSemaphorePermit,
    health: &Health,
    work: F,
) -> Result<T, DomainError>
where
    F: FnOnce(&mut DbConn) -> Result<T, DomainError>,
{
    let result = work(&mut conn.conn);
    if matches!(result, Err(DomainError::Unavailable(_))) {
        conn.lost = true;
        health.unanswered();
    } else {
        health.answered();
    }
    // The connection goes back to the pool before the permit frees a waiter for it.
    drop(conn);
    drop(permit);
    result
}

/// The one write path: runs `work` in a write transaction on the blocking pool (on SQLite,
/// after the writers ahead of it), within the request timeout as [`run`] does, together
/// with what the request's context asks to be committed with it:
///
/// - the check that the change stays inside the caller's regions (403 and a rollback when
///   it does not);
/// - the change's audit event (who, when, each changed field, the record after), which is
///   also the change feed's entry;
/// - for a POST with an `Idempotency-Key`, the key, claimed before the work, and its answer,
///   stored after it.
///
/// A transaction whose statements get through only after the request was answered 503 is
/// rolled back instead of committed.
pub async fn write<T, F>(
    pool: &DbPool,
    context: &WriteContext,
    work: F,
) -> Result<Change<T>, DomainError>
where
    T: Audited,
    F: FnOnce(&mut DbConn) -> Result<Change<T>, DomainError> + Send + 'static,
{
    write_inner(
        pool,
        context,
        false,
        move |conn| work(conn).map(|change| (change, ())),
        |change, _| change.value().map(|value| value as &dyn Any),
    )
    .await
    .map(|(change, ())| change)
}

/// [`write`] for a write whose answer is not the record itself (a localization's stage
/// change answers with the history entry): `work` gives the change to record and the
/// outcome to answer with.
pub async fn write_outcome<T, O, F>(
    pool: &DbPool,
    context: &WriteContext,
    work: F,
) -> Result<O, DomainError>
where
    T: Audited,
    O: Send + 'static,
    F: FnOnce(&mut DbConn) -> Result<(Change<T>, O), DomainError> + Send + 'static,
{
    write_inner(pool, context, false, work, |_, outcome| {
        Some(outcome as &dyn Any)
    })
    .await
    .map(|(_, outcome)| outcome)
}

/// The write path itself. `recorded` says that `work` wrote the change's audit event itself
/// (the create fast path's combined statement), so it is not written twice; `answered`
/// picks what an idempotent POST's stored answer is made of.
async fn write_inner<T, O, F>(
    pool: &DbPool,
    context: &WriteContext,
    recorded: bool,
    work: F,
    answered: for<'a> fn(&'a Change<T>, &'a O) -> Option<&'a dyn Any>,
) -> Result<(Change<T>, O), DomainError>
where
    T: Audited,
    O: Send + 'static,
    F: FnOnce(&mut DbConn) -> Result<(Change<T>, O), DomainError> + Send + 'static,
{
    let deadline = Instant::now() + pool.timeouts.request;
    let turn = match &pool.writer {
        Some(writer) => Some(
            tokio::time::timeout_at(
                deadline.min(Instant::now() + QUEUE_TIMEOUT).into(),
                writer.clone().acquire_owned(),
            )
            .await
            .map_err(|_| DomainError::unavailable("too many writes are queued; retry"))?
            .map_err(|_| DomainError::unavailable("the database pool is closed"))?,
        ),
        None => None,
    };
    let context = context.clone();
    run_until(pool, deadline, turn, move |conn| {
        write_transaction(conn, |conn| {
            if let Some(request) = &context.idempotency {
                idempotency::claim(conn, request)?;
            }
            let (change, outcome) = work(conn)?;
            audit::check_scope(conn, &context.caller, &change)?;
            if !recorded {
                if let Some(event) = audit::event_for(&context, &change)? {
                    audit::insert(conn, &event)?;
                }
            }
            if let Some(request) = &context.idempotency {
                let value = answered(&change, &outcome).ok_or_else(|| {
                    DomainError::internal("an idempotent write has nothing to answer with")
                })?;
                idempotency::record(conn, &request.key, &request.answer_for_any(value)?)?;
            }
            if Instant::now() > deadline {
                return Err(DomainError::unavailable(
                    "the database answered too late; the change was not made",
                ));
            }
            Ok((change, outcome))
        })
    })
    .await
}

/// Creates `value` with `insert`, which writes the record and the audit event it is given
/// (on PostgreSQL as one statement, such as [`CombinedInserts`](super::CombinedInserts),
/// which is atomic by itself: no transaction is opened around it). A caller whose scope
/// must be checked, an idempotent POST (whose answer must commit with it) and SQLite (where
/// the same work takes several statements) go through [`write`]'s transaction instead.
pub async fn create_statement<T, F>(
    pool: &DbPool,
    context: &WriteContext,
    value: T,
    insert: F,
) -> Result<T, DomainError>
where
    T: Audited,
    F: FnOnce(&mut DbConn, &T, &NewAuditEvent) -> Result<(), DomainError> + Send + 'static,
{
    let created = Change::created(value);
    let Some(event) = audit::event_for(context, &created)? else {
        return Err(DomainError::internal("a create has no audit event"));
    };
    if pool.writer.is_some() || context.idempotency.is_some() || !context.caller.unlimited() {
        return write_inner(
            pool,
            context,
            true,
            move |conn| {
                if let Some(value) = &created.after {
                    insert(conn, value, &event)?;
                }
                Ok((created, ()))
            },
            |change, _| change.value().map(|value| value as &dyn Any),
        )
        .await?
        .0
        .into_after();
    }
    run(pool, move |conn| {
        if let Some(value) = &created.after {
            insert(conn, value, &event)?;
        }
        created.into_after()
    })
    .await
}
