//! The schema's migrations, embedded in the binary one folder per backend (the same
//! migrations under the same names), and the upkeep that goes with them: applying them,
//! telling `/readyz` whether any is pending, and refreshing SQLite's planner statistics.

use diesel::connection::SimpleConnection;
use diesel_migrations::{embed_migrations, EmbeddedMigrations, MigrationHarness};

use super::DbConn;

pub const POSTGRES_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/postgres");
pub const SQLITE_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/sqlite");

/// Applies every pending migration of the connection's backend, then refills the search
/// data and the laboratories' code keys if a migration asked for it (`search_rebuild`);
/// returns how many migrations ran.
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
