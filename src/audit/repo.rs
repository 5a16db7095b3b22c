//! Reads of `audit_events`, and the change feed's sequencer.

use diesel::prelude::*;

use super::model::{AuditEventRow, AuditFilter};
use crate::core::error::DomainError;
use crate::core::paging::PageRequest;
use crate::db::audit::RecordId;
use crate::db::{DbConn, MultiBackend};
use crate::schema::audit_events;

/// Most unpositioned events one sequencer run numbers: bounds its transaction; the next
/// run (at the next read) takes the rest.
const SEQUENCER_BATCH: i64 = 10_000;

/// Names the sequencer among PostgreSQL's advisory locks (an arbitrary constant).
const SEQUENCER_LOCK: i64 = 0x4c61_6246_6565;

fn columns() -> <AuditEventRow as Selectable<MultiBackend>>::SelectExpression {
    <AuditEventRow as Selectable<MultiBackend>>::construct_selection()
}

/// Events matching `filter`, newest first, one more than the page.
pub fn list(
    conn: &mut DbConn,
    filter: &AuditFilter,
    page: &PageRequest,
) -> Result<Vec<AuditEventRow>, DomainError> {
    let mut query = audit_events::table
        .select(columns())
        .order(audit_events::seq.desc())
        .into_boxed::<MultiBackend>();
    if let Some(types) = &filter.resource_types {
        crate::filter_any_of!(query, audit_events::resource_type, types.clone());
    }
    if let Some(id) = filter.resource_id {
        query = query.filter(audit_events::resource_id.eq(RecordId(id)));
    }
    if let Some(actor) = &filter.actor_id {
        query = query.filter(audit_events::actor_id.eq(actor.clone()));
    }
    if let Some(actions) = &filter.actions {
        let actions: Vec<String> = actions.iter().map(|a| a.as_str().to_owned()).collect();
        crate::filter_any_of!(query, audit_events::action, actions);
    }
    if let Some(after) = filter.occurred_after {
        query = query.filter(audit_events::occurred_at.gt(after));
    }
    if let Some(before) = filter.occurred_before {
        query = query.filter(audit_events::occurred_at.lt(before));
    }
    if let Some(cursor) = &page.after {
        query = query.filter(audit_events::seq.lt(cursor.key_int()?));
    }
    Ok(query.limit(page.fetch_limit()).load(conn)?)
}

/// One record's events, oldest first, one more than the page.
pub fn trail(
    conn: &mut DbConn,
    resource_type: &str,
    id: uuid::Uuid,
    page: &PageRequest,
) -> Result<Vec<AuditEventRow>, DomainError> {
    let mut query = audit_events::table
        .filter(audit_events::resource_type.eq(resource_type.to_owned()))
        .filter(audit_events::resource_id.eq(RecordId(id)))
        .select(columns())
        .order(audit_events::seq.asc())
        .into_boxed::<MultiBackend>();
    if let Some(cursor) = &page.after {
        query = query.filter(audit_events::seq.gt(cursor.key_int()?));
    }
    Ok(query.limit(page.fetch_limit()).load(conn)?)
}

/// Whether any event names this record.
pub fn has_trail(conn: &mut DbConn, resource_type: &str, id: uuid::Uuid) -> QueryResult<bool> {
    diesel::select(diesel::dsl::exists(
        audit_events::table
            .filter(audit_events::resource_type.eq(resource_type.to_owned()))
            .filter(audit_events::resource_id.eq(RecordId(id))),
    ))
    .get_result(conn)
}

/// Hands out feed positions, in commit order, to the events committed since the last run
/// (PostgreSQL; SQLite's feed position is `seq` itself and needs none).
///
/// Why no change is skipped or repeated, with any number of writers and instances:
///
/// - `seq` is taken at insert, not at commit, so on PostgreSQL a transaction that inserted
///   seq 7 may commit after one that inserted seq 8. A reader paging by `seq` could read 8,
///   move its cursor past it, and never see 7. Positions are therefore handed out only to
///   events that have committed.
/// - The sequencer runs in its own short transaction under one advisory lock, so runs (from
///   every instance on the database) follow each other. Its `UPDATE` starts after the lock
///   is granted, so its snapshot shows every position the previous run committed: it
///   numbers on from their maximum.
/// - An event still in flight (its write transaction not yet committed) is invisible to
///   that snapshot. It keeps `position IS NULL` and is numbered by a later run, after the
///   one that saw it committed, with a larger position than everything numbered before.
/// - A run commits before the lock passes to the next, so positions become visible to
///   readers only in increasing order, a whole run at a time: a reader that sees position
///   n also sees every position below it. Reading `position > after ORDER BY position`
///   thus never passes over a change that shows up later.
/// - The trigger on `audit_events` lets `position` be set only once, from NULL.
pub fn sequence(conn: &mut DbConn) -> QueryResult<()> {
    let DbConn::Pg(pg) = conn else {
        return Ok(());
    };
    pg.transaction(|pg| {
        diesel::sql_query("SELECT pg_advisory_xact_lock($1)")
            .bind::<diesel::sql_types::BigInt, _>(SEQUENCER_LOCK)
            .execute(pg)?;
        diesel::sql_query(
            "UPDATE audit_events SET position = numbered.n \
             FROM (SELECT seq, \
                     (SELECT COALESCE(MAX(position), 0) FROM audit_events) \
                       + row_number() OVER (ORDER BY seq) AS n \
                   FROM audit_events \
                   WHERE position IS NULL AND in_feed \
                   ORDER BY seq LIMIT $1) AS numbered \
             WHERE audit_events.seq = numbered.seq",
        )
        .bind::<diesel::sql_types::BigInt, _>(SEQUENCER_BATCH)
        .execute(pg)
        .map(|_| ())
    })
}

/// The feed's changes after `after`, in feed order, at most `limit`, each with its position.
pub fn feed(conn: &mut DbConn, after: i64, limit: i64) -> QueryResult<Vec<(i64, AuditEventRow)>> {
    match conn {
        DbConn::Pg(_) => {
            let rows: Vec<AuditEventRow> = audit_events::table
                .filter(audit_events::position.gt(after))
                .select(columns())
                .order(audit_events::position.asc())
                .limit(limit)
                .load(conn)?;
            Ok(rows
                .into_iter()
                .filter_map(|row| row.position.map(|position| (position, row)))
                .collect())
        }
        // One writer at a time, so insert order is commit order: `seq` is the position.
        DbConn::Sqlite(_) => {
            let rows: Vec<AuditEventRow> = audit_events::table
                .filter(audit_events::seq.gt(after))
                .filter(audit_events::in_feed.eq(true))
                .select(columns())
                .order(audit_events::seq.asc())
                .limit(limit)
                .load(conn)?;
            Ok(rows.into_iter().map(|row| (row.seq, row)).collect())
        }
    }
}
