//! Database access shared by every resource. This file holds the two-backend connection type
//! and re-exports the public items of the files below it, so callers write `db::DbPool`,
//! `db::write` or `db::DatabaseUrl` without knowing which file holds them:
//!
//! - `url`: parsing and redacting `DATABASE_URL`;
//! - `pool`: the r2d2 pool, its connection manager with the timeouts, its fair queues;
//! - `migrations`: the embedded migrations of both backends and their upkeep;
//! - `transactions`: the blocking-pool bridge, the one write path, hierarchy locks;
//! - `postgres`: the marked PostgreSQL fast path (`CombinedInserts`);
//! - `errors`, `query`, `rows`, `child_values`, `types`, `idempotency`: error mapping, query
//!   macros and SQL functions, the row and child-value macros, SQL types, stored responses.

pub mod audit;
pub mod child_values;
pub mod errors;
pub mod geo;
pub mod idempotency;
mod migrations;
mod pool;
mod postgres;
pub mod query;
pub mod references;
pub mod rows;
mod transactions;
pub mod types;
mod url;

use diesel::pg::PgConnection;
use diesel::sqlite::SqliteConnection;

pub use migrations::{
    migrations_complete, refresh_statistics, run_migrations, POSTGRES_MIGRATIONS, SQLITE_MIGRATIONS,
};
pub use pool::{
    build_pool, lift_statement_timeouts, without_statement_timeouts, ConnectError,
    ConnectionManager, DbPool, DbTimeouts, PooledConn,
};
pub use postgres::CombinedInserts;
pub use query::{coalesce_int, substr, unnest};
pub use transactions::{
    create_statement, lock_hierarchy, lookup, run, run_within, write, write_outcome,
    write_transaction, Hierarchy,
};
pub use url::{redact, DatabaseUrl};

/// One connection type for both backends; every repository function takes `&mut DbConn`.
#[derive(diesel::MultiConnection)]
pub enum DbConn {
    Pg(PgConnection),
    Sqlite(SqliteConnection),
}
