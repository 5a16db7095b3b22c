//! The bulk-load machinery: `bulk_insert!` writes a batch with `COPY` on PostgreSQL and
//! chunked multi-row `INSERT`s on SQLite, each batch in one transaction, on connections set up
//! for loading. The indexes and keys that cost more to maintain row by row than to build once
//! are set aside for the load and rebuilt (and checked) after it. What the rows are is the
//! business of the resources' own files.

use diesel::connection::SimpleConnection;
use diesel::prelude::*;

use crate::db::{ConnectionManager, DbConn, DbPool};

/// Writes a batch of rows: `COPY` on PostgreSQL, chunked multi-row `INSERT` on SQLite (whose
/// statements take a bounded number of bound values).
macro_rules! bulk_insert {
    ($conn:expr, $table:path, $rows:expr) => {{
        use diesel::prelude::*;
        let rows = $rows;
        let written: diesel::QueryResult<usize> = match $conn {
            $crate::db::DbConn::Pg(pg) => {
                diesel::copy_from($table).from_insertable(rows).execute(pg)
            }
            $crate::db::DbConn::Sqlite(lite) => {
                let mut total = 0;
                for chunk in rows.chunks(400) {
                    total += diesel::insert_into($table).values(chunk).execute(lite)?;
                }
                Ok(total)
            }
        };
        written
    }};
}
pub(super) use bulk_insert;

/// A connection for loading. Commits need not wait for the disk during a load: a crash
/// loses at most the last batches of a generator run, which is then simply run again. Index
/// builds and big batches may outlast the statement timeout meant for requests, so it is
/// lifted (the generator's pool serves nothing else).
pub(super) fn loading_connection(
    pool: &DbPool,
) -> Result<r2d2::PooledConnection<ConnectionManager>, String> {
    let mut conn = pool
        .get()
        .map_err(|e| format!("cannot connect to the database: {e}"))?;
    match &mut **conn {
        DbConn::Pg(pg) => {
            diesel::sql_query("SET synchronous_commit = off")
                .execute(pg)
                .map_err(|e| format!("cannot prepare the load: {e}"))?;
        }
        // A page cache of 256 MiB for the load (the default is 2 MiB): SQLite otherwise
        // writes and reads back the same index pages many times over.
        DbConn::Sqlite(lite) => lite
            .batch_execute("PRAGMA cache_size = -262144")
            .map_err(|e| format!("cannot prepare the load: {e}"))?,
    }
    crate::db::lift_statement_timeouts(&mut conn)
        .map_err(|e| format!("cannot prepare the load: {e}"))?;
    Ok(conn)
}

/// An index (or the primary key of the words table) set aside for the load, with the
/// statements that drop it and build it again (written by PostgreSQL, names quoted).
#[derive(QueryableByName)]
pub(super) struct IndexDefinition {
    #[diesel(sql_type = diesel::sql_types::Text)]
    name: String,
    #[diesel(sql_type = diesel::sql_types::Text)]
    drop_sql: String,
    #[diesel(sql_type = diesel::sql_types::Text)]
    create_sql: String,
}

impl IndexDefinition {
    /// Foreign keys are checked again once every index is back (the check reads them).
    fn is_foreign_key(&self) -> bool {
        self.create_sql.contains(" FOREIGN KEY ")
    }
}

/// On PostgreSQL, maintaining the secondary indexes row by row (the trigram (GIN) search
/// indexes above all) and checking foreign keys row by row cost more than the rest of the
/// load, while building an index once afterwards takes seconds and checking a foreign key
/// for a whole table is one join. So the search indexes, the other non-unique indexes and
/// the foreign keys of the two largest tables, and the primary key of the laboratories'
/// words table (derived rows, four per laboratory) are dropped for the load and rebuilt
/// from their own definitions after it, which checks every loaded row against them. The
/// other primary keys, unique and check constraints stay in force throughout.
pub(super) fn defer_search_indexes(conn: &mut DbConn) -> Result<Vec<IndexDefinition>, String> {
    let fail = |e: diesel::result::Error| format!("cannot prepare the load: {e}");
    let pg = match conn {
        DbConn::Pg(pg) => pg,
        DbConn::Sqlite(lite) => {
            // The same for SQLite's secondary indexes of the two largest tables (its keys
            // and foreign keys cannot be dropped).
            let definitions: Vec<IndexDefinition> = diesel::sql_query(
                "SELECT name, 'DROP INDEX \"' || name || '\"' AS drop_sql, sql AS create_sql \
                 FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL \
                 AND tbl_name IN ('laboratories', 'laboratory_disciplines') \
                 AND sql NOT LIKE 'CREATE UNIQUE%'",
            )
            .load(lite)
            .map_err(fail)?;
            for definition in &definitions {
                diesel::sql_query(definition.drop_sql.as_str())
                    .execute(lite)
                    .map_err(fail)?;
            }
            return Ok(definitions);
        }
    };
    diesel::sql_query("SET maintenance_work_mem = '256MB'")
        .execute(pg)
        .map_err(fail)?;
    let definitions: Vec<IndexDefinition> = diesel::sql_query(
        "SELECT conname::text AS name, \
                format('ALTER TABLE %s DROP CONSTRAINT %I', conrelid::regclass, conname) \
                    AS drop_sql, \
                format('ALTER TABLE %s ADD CONSTRAINT %I %s', conrelid::regclass, conname, \
                       pg_get_constraintdef(oid)) AS create_sql \
         FROM pg_constraint \
         WHERE (conrelid = 'laboratory_search_terms'::regclass AND contype = 'p') \
            OR (conrelid IN ('laboratories'::regclass, 'laboratory_disciplines'::regclass) \
                AND contype = 'f') \
         UNION ALL \
         SELECT indexname::text AS name, format('DROP INDEX %I', indexname) AS drop_sql, \
                indexdef::text AS create_sql \
         FROM pg_indexes \
         WHERE schemaname = current_schema() AND (indexdef LIKE '%USING gin%' \
         OR (tablename IN ('laboratories', 'laboratory_disciplines') \
             AND indexdef NOT LIKE 'CREATE UNIQUE%'))",
    )
    .load(pg)
    .map_err(fail)?;
    for definition in &definitions {
        diesel::sql_query(definition.drop_sql.as_str())
            .execute(pg)
            .map_err(fail)?;
    }
    Ok(definitions)
}

/// On SQLite, the laboratories' words go into a plain table during the load and into
/// their keyed (`WITHOUT ROWID`) table in key order at the end: inserting about eight words per
/// laboratory in random key order into a B-tree of millions is most of a SQLite load. The
/// keyed table keeps its definition; a duplicate key fails the load at the end.
pub(super) fn unkey_sqlite_search_terms(conn: &mut DbConn) -> Result<bool, String> {
    let DbConn::Sqlite(lite) = conn else {
        return Ok(false);
    };
    lite.batch_execute(
        "ALTER TABLE laboratory_search_terms RENAME TO laboratory_search_terms_keyed; \
         CREATE TABLE laboratory_search_terms \
             (term TEXT NOT NULL, created_at TEXT NOT NULL, laboratory_id TEXT NOT NULL);",
    )
    .map_err(|e| format!("cannot prepare the load: {e}"))?;
    Ok(true)
}

pub(super) fn rekey_sqlite_search_terms(conn: &mut DbConn) -> Result<(), String> {
    let DbConn::Sqlite(lite) = conn else {
        return Ok(());
    };
    lite.batch_execute(
        "BEGIN IMMEDIATE; \
         INSERT INTO laboratory_search_terms_keyed (term, created_at, laboratory_id) \
             SELECT term, created_at, laboratory_id FROM laboratory_search_terms \
             ORDER BY term, created_at, laboratory_id; \
         DROP TABLE laboratory_search_terms; \
         ALTER TABLE laboratory_search_terms_keyed RENAME TO laboratory_search_terms; \
         COMMIT;",
    )
    .map_err(|e| {
        let _ = lite.batch_execute("ROLLBACK");
        format!("cannot key the laboratories' search words: {e}")
    })
}

/// Rebuilds the deferred indexes, two at a time (one per core) on separate connections,
/// then checks the foreign keys again.
pub(super) fn restore_indexes(
    pool: &DbPool,
    definitions: &[IndexDefinition],
) -> Result<(), String> {
    if definitions.is_empty() {
        return Ok(());
    }
    let mut conn = loading_connection(pool)?;
    if let DbConn::Sqlite(lite) = &mut **conn {
        // One writer: one index after the other.
        for definition in definitions {
            diesel::sql_query(definition.create_sql.as_str())
                .execute(lite)
                .map_err(|e| format!("cannot rebuild index {}: {e}", definition.name))?;
        }
        return Ok(());
    }
    drop(conn);
    let next = std::sync::atomic::AtomicUsize::new(0);
    std::thread::scope(|scope| -> Result<(), String> {
        let builders: Vec<_> = (0..2)
            .map(|_| {
                let next = &next;
                scope.spawn(move || -> Result<(), String> {
                    let mut conn = loading_connection(pool)?;
                    let DbConn::Pg(pg) = &mut **conn else {
                        return Ok(());
                    };
                    diesel::sql_query("SET maintenance_work_mem = '256MB'")
                        .execute(pg)
                        .map_err(|e| format!("cannot prepare the index rebuild: {e}"))?;
                    let indexes: Vec<&IndexDefinition> =
                        definitions.iter().filter(|d| !d.is_foreign_key()).collect();
                    while let Some(definition) =
                        indexes.get(next.fetch_add(1, std::sync::atomic::Ordering::Relaxed))
                    {
                        diesel::sql_query(definition.create_sql.as_str())
                            .execute(pg)
                            .map_err(|e| {
                                format!("cannot rebuild index {}: {e}", definition.name)
                            })?;
                    }
                    Ok(())
                })
            })
            .collect();
        for builder in builders {
            builder
                .join()
                .map_err(|_| "an index builder panicked".to_owned())??;
        }
        Ok(())
    })?;
    let mut conn = loading_connection(pool)?;
    for definition in definitions.iter().filter(|d| d.is_foreign_key()) {
        diesel::sql_query(definition.create_sql.as_str())
            .execute(&mut **conn)
            .map_err(|e| format!("a generated row breaks {}: {e}", definition.name))?;
    }
    Ok(())
}

/// Runs one batch's writes in one write transaction.
pub(super) fn in_transaction<F>(conn: &mut DbConn, work: F) -> Result<(), String>
where
    F: FnOnce(&mut DbConn) -> QueryResult<()>,
{
    crate::db::write_transaction(conn, work).map_err(|e| format!("load failed: {e}"))
}
