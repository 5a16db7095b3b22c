//! Start-up: migrations, the pool, the application state and the HTTP server. `labnet serve`
//! and the integration tests start the service through this one path.

use std::net::TcpListener;
use std::sync::Arc;
use std::time::Duration;

use actix_web::dev::Server;
use actix_web::HttpServer;

use crate::config::Settings;
use crate::db::{self, DbPool};
use crate::http::auth::TokenVerifier;
use crate::http::jwt::JwtVerifier;
use crate::{build_app, AppState};

/// Builds the pool and applies pending migrations (then refreshes the planner statistics);
/// what `labnet migrate` does, and the first step of every start.
pub fn migrate(settings: &Settings) -> Result<DbPool, String> {
    let url = settings.database()?;
    let pool = db::build_pool(&url, settings.pool_size, settings.db_timeouts())?;
    let mut conn = pool
        .get_timeout(Duration::from_secs(10))
        .map_err(|e| format!("cannot connect to the {} database: {e}", url.backend_name()))?;
    // Migrations and the search refill may take minutes: no statement timeout for them.
    let applied = db::without_statement_timeouts(&mut conn, |conn| {
        let applied = db::run_migrations(conn)?;
        db::refresh_statistics(conn)?;
        Ok(applied)
    })?;
    tracing::info!(backend = url.backend_name(), applied, "migrations applied");
    drop(conn);
    Ok(pool)
}

/// HTTP worker threads: `LABNET_WORKERS`, or two per core when it is 0.
pub fn worker_count(settings: &Settings) -> usize {
    if settings.workers == 0 {
        std::thread::available_parallelism().map_or(2, |n| n.get()) * 2
    } else {
        settings.workers
    }
}

/// Starts the JWT verifier (when tokens are configured), migrates the database, then builds
/// the server on `listener` with the settings' workers and shutdown timeout. Call it within
/// the tokio runtime that will serve: the JWKS refresh task is spawned on it. Migrations run
/// on its blocking pool, so the runtime stays free meanwhile. Nothing is served until the
/// returned server is awaited; it stops on SIGTERM/SIGINT after draining in-flight
/// requests, or through its handle. The pool is returned too, for callers that read the
/// database themselves.
pub async fn start(settings: Settings, listener: TcpListener) -> Result<(Server, DbPool), String> {
    // Inconsistent JWT settings refuse the start before the database is touched; a JWKS
    // that cannot be fetched does not (the verifier keeps trying in the background).
    let tokens = JwtVerifier::start(&settings)
        .await?
        .map(|verifier| verifier as Arc<dyn TokenVerifier>);
    let migrating = settings.clone();
    let pool = tokio::task::spawn_blocking(move || migrate(&migrating))
        .await
        .map_err(|e| format!("the migrations did not finish: {e}"))??;
    let workers = worker_count(&settings);
    let shutdown_timeout = settings.shutdown_timeout;
    let max_connections = settings.max_connections;
    let address = listener
        .local_addr()
        .map_or_else(|_| settings.bind.clone(), |a| a.to_string());
    let state = AppState::new(pool.clone(), settings, tokens)?;
    let server = HttpServer::new(move || build_app(state.clone()))
        .workers(workers)
        // Each worker takes its share of the connections; a request head must arrive
        // within 5 s (actix's default, stated here) or the connection is closed with 408.
        .max_connections(max_connections.div_ceil(workers).max(1))
        .client_request_timeout(std::time::Duration::from_secs(5))
        .shutdown_timeout(shutdown_timeout)
        .listen(listener)
        .map_err(|e| format!("cannot listen on {address}: {e}"))?
        .run();
    Ok((server, pool))
}
