//! `labnet generate`: fills an empty database with a realistic synthetic network, for
//! benchmarks and demonstrations. Rows go through the same schema and constraints as the
//! service writes; PostgreSQL loads with `COPY`, SQLite with multi-row inserts, each batch in
//! one transaction.
//!
//! One file per resource generates its rows (`regions`, `laboratories`, `vendors`,
//! `localizations`), as the resource's own row types; `fixtures` holds the fixed data they
//! draw from (countries, name parts), `loaders` the bulk-load machinery (`COPY`, multi-row
//! inserts, indexes set aside during the load). This file holds the options, the report and
//! the order of the whole run.

mod fixtures;
mod laboratories;
mod loaders;
mod localizations;
mod regions;
mod vendors;

use std::time::Instant;

use chrono::{Duration, TimeDelta};
use diesel::prelude::*;
use indicatif::{ProgressBar, ProgressStyle};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use crate::core::time::{now, Timestamp};
use crate::db::{DbConn, DbPool};
use loaders::{
    defer_search_indexes, loading_connection, rekey_sqlite_search_terms, restore_indexes,
    unkey_sqlite_search_terms,
};

/// How much to generate.
#[derive(Debug, Clone, Copy)]
pub struct GenerateOptions {
    pub regions: usize,
    pub laboratories: usize,
    pub vendors: usize,
    pub localizations: usize,
    pub seed: u64,
    /// Rows per transaction.
    pub batch_size: usize,
    pub progress: bool,
}

/// Rows written per table, and how long each took.
#[derive(Debug, Default)]
pub struct GenerateReport {
    pub lines: Vec<String>,
}

/// A timestamp source that advances a little per row, so rows have distinct creation times
/// spread over the past year.
struct Clock {
    current: Timestamp,
}

impl Clock {
    fn starting_days_ago(days: i64) -> Self {
        Self {
            current: Timestamp(now().0 - Duration::days(days)),
        }
    }

    fn tick(&mut self, rng: &mut StdRng) -> Timestamp {
        self.current = Timestamp(self.current.0 + TimeDelta::microseconds(rng.random_range(1..40)));
        self.current
    }
}

/// A progress bar on the terminal, or none when progress is not shown.
fn progress(total: usize, label: &str, enabled: bool) -> ProgressBar {
    if !enabled {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::new(total as u64);
    if let Ok(style) =
        ProgressStyle::with_template("{msg:>14} [{bar:40}] {pos}/{len} ({per_sec}, {eta} left)")
    {
        bar.set_style(style.progress_chars("=> "));
    }
    bar.set_message(label.to_owned());
    bar
}

/// Fills an empty database; refuses one that already holds regions.
pub fn generate(pool: &DbPool, options: GenerateOptions) -> Result<GenerateReport, String> {
    let mut pooled = loading_connection(pool)?;
    let conn: &mut DbConn = &mut pooled;
    let existing: i64 = crate::schema::regions::table
        .count()
        .get_result(conn)
        .map_err(|e| format!("cannot read the database: {e}"))?;
    if existing > 0 {
        return Err("the database already holds data; generate into an empty database".to_owned());
    }
    let mut rng = StdRng::seed_from_u64(options.seed);
    let mut report = GenerateReport::default();
    let started = Instant::now();
    let deferred = defer_search_indexes(conn)?;
    let unkeyed = unkey_sqlite_search_terms(conn)?;
    let loaded = (|| {
        let region_infos = regions::generate(conn, &mut rng, options, &mut report)?;
        laboratories::generate(pool, &mut rng, options, &region_infos, &mut report)?;
        let vendor_ids = vendors::generate(conn, &mut rng, options, &mut report)?;
        localizations::generate(
            conn,
            &mut rng,
            options,
            &region_infos,
            &vendor_ids,
            &mut report,
        )
    })();
    // The indexes come back whether or not the load went through.
    let rebuilt_at = Instant::now();
    let rebuilt = restore_indexes(pool, &deferred);
    let rekeyed = if unkeyed {
        rekey_sqlite_search_terms(conn)
    } else {
        Ok(())
    };
    loaded?;
    rekeyed?;
    rebuilt?;
    // Fresh statistics, so the query planners pick the list indexes from the first request;
    // on PostgreSQL also a visibility map, so searches read the words' key without visiting
    // the table.
    let analyzed_at = Instant::now();
    let statistics = match conn {
        DbConn::Pg(_) => "VACUUM (ANALYZE)",
        DbConn::Sqlite(_) => "ANALYZE",
    };
    diesel::sql_query(statistics)
        .execute(conn)
        .map_err(|e| format!("cannot analyze the loaded tables: {e}"))?;
    report.lines.push(format!(
        "statistics gathered in {:.2} s",
        analyzed_at.elapsed().as_secs_f64()
    ));
    if !deferred.is_empty() {
        report.lines.push(format!(
            "deferred indexes and keys rebuilt: {} in {:.2} s",
            deferred.len(),
            rebuilt_at.elapsed().as_secs_f64()
        ));
    }
    report
        .lines
        .push(format!("total: {:.1} s", started.elapsed().as_secs_f64()));
    Ok(report)
}

/// Adds a table's line to the report: rows written, time taken, rate.
fn record(report: &mut GenerateReport, table: &str, rows: usize, started: Instant) {
    let seconds = started.elapsed().as_secs_f64().max(1e-9);
    report.lines.push(format!(
        "{table}: {rows} rows in {seconds:.2} s ({:.0} rows/s)",
        rows as f64 / seconds
    ));
}

/// A skewed pick: low indexes are chosen far more often (a few regions hold many labs).
fn skewed_index(rng: &mut StdRng, len: usize) -> usize {
    let u: f64 = rng.random_range(0.0..1.0);
    ((u * u * u) * len as f64) as usize % len.max(1)
}
