//! `labnet generate`: fills an empty database with a realistic synthetic network, for
//! benchmarks and demonstrations. Rows go through the same schema and constraints as the
//! service writes; PostgreSQL loads with `COPY`, SQLite with multi-row inserts, each batch in
//! one transaction.

use std::collections::HashMap;
use std::time::Instant;

use chrono::{Duration, NaiveDate, TimeDelta};
use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use indicatif::{ProgressBar, ProgressStyle};
use rand::rngs::StdRng;
use rand::seq::IndexedRandom;
use rand::{Rng, SeedableRng};

use crate::core::time::{now, Timestamp};
use crate::db::{DbConn, DbPool};
use crate::laboratories::model::{
    Discipline, LaboratoryId, LaboratoryKind, LaboratoryRow, LaboratoryStatus,
};
use crate::localizations::model::{
    LocalizationId, LocalizationRow, LocalizationScope, LocalizationStage, StageChangeId,
    StageChangeRow,
};
use crate::regions::model::{RegionId, RegionLevel, RegionRow, RolloutStage};
use crate::schema::{
    laboratories, laboratory_disciplines, laboratory_search_terms, localization_scopes,
    localization_stage_changes, localizations, regions, vendor_categories, vendors,
};
use crate::validation::{name_and_code_terms, search_column, search_key, search_terms};
use crate::vendors::model::{ProductCategory, VendorId, VendorRow};

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

#[derive(Insertable)]
#[diesel(table_name = laboratory_disciplines, treat_none_as_default_value = false)]
struct DisciplineRow {
    laboratory_id: LaboratoryId,
    discipline: String,
}

#[derive(Insertable)]
#[diesel(table_name = laboratory_search_terms, treat_none_as_default_value = false)]
struct SearchTermRow {
    term: String,
    created_at: Timestamp,
    laboratory_id: LaboratoryId,
}

#[derive(Insertable)]
#[diesel(table_name = vendor_categories, treat_none_as_default_value = false)]
struct CategoryRow {
    vendor_id: VendorId,
    category: String,
}

#[derive(Insertable)]
#[diesel(table_name = localization_scopes, treat_none_as_default_value = false)]
struct ScopeRow {
    localization_id: LocalizationId,
    scope: String,
}

/// Writes a batch of rows: `COPY` on PostgreSQL, chunked multi-row `INSERT` on SQLite (whose
/// statements take a bounded number of bound values).
macro_rules! bulk_insert {
    ($conn:expr, $table:path, $rows:expr) => {{
        let rows = $rows;
        let written: QueryResult<usize> = match $conn {
            DbConn::Pg(pg) => diesel::copy_from($table).from_insertable(rows).execute(pg),
            DbConn::Sqlite(lite) => {
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

/// A country the generator spreads regions over: code, name, the script of its place
/// names, its share of the regions, and a bounding box for coordinates.
struct Country {
    code: &'static str,
    name: &'static str,
    cyrillic: bool,
    weight: f64,
    latitude: (f64, f64),
    longitude: (f64, f64),
}

const COUNTRIES: &[Country] = &[
    Country {
        code: "RU",
        name: "Россия",
        cyrillic: true,
        weight: 0.55,
        latitude: (43.0, 68.0),
        longitude: (30.0, 135.0),
    },
    Country {
        code: "KZ",
        name: "Қазақстан",
        cyrillic: true,
        weight: 0.15,
        latitude: (41.0, 55.0),
        longitude: (47.0, 87.0),
    },
    Country {
        code: "UZ",
        name: "Oʻzbekiston",
        cyrillic: false,
        weight: 0.10,
        latitude: (37.5, 45.5),
        longitude: (56.0, 73.0),
    },
    Country {
        code: "BY",
        name: "Беларусь",
        cyrillic: true,
        weight: 0.08,
        latitude: (51.5, 56.0),
        longitude: (23.5, 32.5),
    },
    Country {
        code: "KG",
        name: "Кыргызстан",
        cyrillic: true,
        weight: 0.06,
        latitude: (39.5, 43.0),
        longitude: (69.5, 80.0),
    },
    Country {
        code: "AM",
        name: "Armenia",
        cyrillic: false,
        weight: 0.06,
        latitude: (39.0, 41.2),
        longitude: (43.5, 46.5),
    },
];

const CYRILLIC_SYLLABLES: &[&str] = &[
    "кур",
    "ган",
    "ом",
    "тю",
    "мен",
    "ека",
    "те",
    "рин",
    "бург",
    "чел",
    "ябин",
    "ск",
    "шад",
    "ринск",
    "кар",
    "аган",
    "да",
    "пав",
    "лодар",
    "сем",
    "ей",
    "аст",
    "ана",
    "мин",
    "ск",
    "гом",
    "ель",
    "бре",
    "ст",
    "ош",
    "нар",
    "ын",
    "тал",
    "ас",
    "вол",
    "гор",
    "ново",
    "сиб",
    "ир",
    "бел",
    "ая",
];
const LATIN_SYLLABLES: &[&str] = &[
    "sam", "ar", "kand", "bu", "xo", "ro", "an", "di", "jon", "fer", "ga", "na", "ter", "mez",
    "nuk", "us", "gyu", "mri", "van", "a", "dzor", "ka", "pan", "ar", "ma", "vir", "lo", "ri",
];
const VENDOR_STEMS: &[&str] = &[
    "Mindray",
    "Sinovision",
    "Canon",
    "Philips",
    "Medison",
    "Sysmex",
    "Roche",
    "Beckman",
    "Abbott",
    "Siemens",
    "Snibe",
    "Dirui",
    "Urit",
    "Erba",
    "Vector",
    "Helix",
    "Biocard",
    "МедТех",
    "Эйлитон",
    "Диакон",
    "Ютес",
    "Хема",
    "Алкор",
    "Вектор",
    "Бест",
    "Медполимер",
    "Labcore",
    "Novamed",
];
const PARTNERS: &[&str] = &[
    "Медтехника",
    "Росэлектроника",
    "Kazmedtech",
    "Nazarbayev Med",
    "Uzmedtech",
    "Белмедпрепараты",
];
const OPERATORS: &[&str] = &[
    "Лабораторные технологии",
    "Национальный медицинский холдинг",
    "Областная больница",
    "Medical Lab Operator",
    "Республиканский центр",
];

fn place_name(rng: &mut StdRng, cyrillic: bool) -> String {
    let syllables = if cyrillic {
        CYRILLIC_SYLLABLES
    } else {
        LATIN_SYLLABLES
    };
    let count = rng.random_range(2..=4);
    let mut name = String::new();
    for _ in 0..count {
        if let Some(syllable) = syllables.choose(rng) {
            name.push_str(syllable);
        }
    }
    let mut chars = name.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => name,
    }
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

/// What the laboratories need to know about a region.
struct RegionInfo {
    id: RegionId,
    country: usize,
    name: String,
    latitude: f64,
    longitude: f64,
}

/// A connection for loading. Commits need not wait for the disk during a load: a crash
/// loses at most the last batches of a generator run, which is then simply run again.
fn loading_connection(
    pool: &DbPool,
) -> Result<r2d2::PooledConnection<crate::db::ConnectionManager>, String> {
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
    Ok(conn)
}

/// Fills an empty database; refuses one that already holds regions.
pub fn generate(pool: &DbPool, options: GenerateOptions) -> Result<GenerateReport, String> {
    let mut pooled = loading_connection(pool)?;
    let conn: &mut DbConn = &mut pooled;
    let existing: i64 = regions::table
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
        let region_infos = generate_regions(conn, &mut rng, options, &mut report)?;
        generate_laboratories(pool, &mut rng, options, &region_infos, &mut report)?;
        let vendor_ids = generate_vendors(conn, &mut rng, options, &mut report)?;
        generate_localizations(
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

/// An index (or the primary key of the words table) set aside for the load, with the
/// statements that drop it and build it again (written by PostgreSQL, names quoted).
#[derive(QueryableByName)]
struct IndexDefinition {
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
fn defer_search_indexes(conn: &mut DbConn) -> Result<Vec<IndexDefinition>, String> {
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
fn unkey_sqlite_search_terms(conn: &mut DbConn) -> Result<bool, String> {
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

fn rekey_sqlite_search_terms(conn: &mut DbConn) -> Result<(), String> {
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
fn restore_indexes(pool: &DbPool, definitions: &[IndexDefinition]) -> Result<(), String> {
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

fn record(report: &mut GenerateReport, table: &str, rows: usize, started: Instant) {
    let seconds = started.elapsed().as_secs_f64().max(1e-9);
    report.lines.push(format!(
        "{table}: {rows} rows in {seconds:.2} s ({:.0} rows/s)",
        rows as f64 / seconds
    ));
}

fn in_transaction<F>(conn: &mut DbConn, work: F) -> Result<(), String>
where
    F: FnOnce(&mut DbConn) -> QueryResult<()>,
{
    crate::db::write_transaction(conn, work).map_err(|e| format!("load failed: {e}"))
}

fn generate_regions(
    conn: &mut DbConn,
    rng: &mut StdRng,
    options: GenerateOptions,
    report: &mut GenerateReport,
) -> Result<Vec<RegionInfo>, String> {
    let started = Instant::now();
    let total = options.regions.max(COUNTRIES.len());
    let bar = progress(total, "regions", options.progress);
    let mut clock = Clock::starting_days_ago(400);
    let mut rows: Vec<RegionRow> = Vec::with_capacity(total);
    let mut infos = Vec::with_capacity(total);
    // Countries first, then per country: districts, regions, municipalities.
    let mut by_level: Vec<Vec<usize>> = vec![Vec::new(); COUNTRIES.len()];
    for (country_index, country) in COUNTRIES.iter().enumerate() {
        let id = RegionId::generate();
        let at = clock.tick(rng);
        rows.push(RegionRow {
            id,
            code: country.code.to_owned(),
            name: country.name.to_owned(),
            search_text: search_column(&name_and_code_terms(country.name, country.code)),
            country_code: country.code.to_owned(),
            parent_id: None,
            level: RegionLevel::Country,
            path: format!("/{id}/"),
            rollout_stage: RolloutStage::InProgress,
            rollout_target_year: Some(2028),
            created_at: at,
            updated_at: at,
            version: 1,
        });
        by_level[country_index].push(rows.len() - 1);
    }
    let remaining = total - COUNTRIES.len();
    let mut counters: HashMap<&str, usize> = HashMap::new();
    for (country_index, country) in COUNTRIES.iter().enumerate() {
        let share = ((remaining as f64) * country.weight).round() as usize;
        // About 4% districts, 20% regions, the rest municipalities.
        let districts = (share / 25).max(usize::from(share > 0));
        let regions_count = (share / 5).max(usize::from(share > 1));
        let municipalities = share.saturating_sub(districts + regions_count);
        let country_row = by_level[country_index][0];
        let mut parents_for_regions = Vec::new();
        let mut parents_for_municipalities = Vec::new();
        for (level, count) in [
            (RegionLevel::District, districts),
            (RegionLevel::Region, regions_count),
            (RegionLevel::Municipality, municipalities),
        ] {
            for _ in 0..count {
                let parent_index = match level {
                    RegionLevel::District => country_row,
                    RegionLevel::Region => *parents_for_regions.choose(rng).unwrap_or(&country_row),
                    _ => *parents_for_municipalities
                        .choose(rng)
                        .unwrap_or(&country_row),
                };
                let parent = &rows[parent_index];
                let counter = counters.entry(country.code).or_insert(0);
                *counter += 1;
                let prefix = match level {
                    RegionLevel::District => "D",
                    RegionLevel::Region => "R",
                    _ => "M",
                };
                let code = format!("{}-{prefix}{:05}", country.code, counter);
                let base = place_name(rng, country.cyrillic);
                let name = match (level, country.cyrillic) {
                    (RegionLevel::District, true) => format!("{base}ский федеральный округ"),
                    (RegionLevel::Region, true) => format!("{base}ская область"),
                    (_, true) => format!("Город {base}"),
                    (RegionLevel::District, false) => format!("{base} District"),
                    (RegionLevel::Region, false) => format!("{base} Province"),
                    (_, false) => format!("{base} City"),
                };
                let id = RegionId::generate();
                let at = clock.tick(rng);
                let stage = [
                    RolloutStage::NotPlanned,
                    RolloutStage::Planned,
                    RolloutStage::Pilot,
                    RolloutStage::InProgress,
                    RolloutStage::Completed,
                ]
                .choose(rng)
                .copied()
                .unwrap_or(RolloutStage::NotPlanned);
                let row = RegionRow {
                    id,
                    search_text: search_column(&name_and_code_terms(&name, &code)),
                    code,
                    name,
                    country_code: country.code.to_owned(),
                    parent_id: Some(parent.id),
                    level,
                    path: format!("{}{id}/", parent.path),
                    rollout_stage: stage,
                    rollout_target_year: Some(rng.random_range(2025..=2030)),
                    created_at: at,
                    updated_at: at,
                    version: 1,
                };
                rows.push(row);
                let index = rows.len() - 1;
                match level {
                    RegionLevel::District => parents_for_regions.push(index),
                    RegionLevel::Region => parents_for_municipalities.push(index),
                    _ => {}
                }
            }
        }
    }
    for row in &rows {
        let country = COUNTRIES
            .iter()
            .position(|c| c.code == row.country_code)
            .unwrap_or(0);
        let bounds = &COUNTRIES[country];
        infos.push(RegionInfo {
            id: row.id,
            country,
            name: row.name.clone(),
            latitude: rng.random_range(bounds.latitude.0..bounds.latitude.1),
            longitude: rng.random_range(bounds.longitude.0..bounds.longitude.1),
        });
    }
    let count = rows.len();
    // Parents precede children in `rows`, so batches satisfy the foreign key in order.
    for chunk in rows.chunks(options.batch_size) {
        in_transaction(conn, |conn| {
            bulk_insert!(conn, regions::table, chunk).map(|_| ())
        })?;
        bar.inc(chunk.len() as u64);
    }
    bar.finish_and_clear();
    record(report, "regions", count, started);
    Ok(infos)
}

/// A skewed pick: low indexes are chosen far more often (a few regions hold many labs).
fn skewed_index(rng: &mut StdRng, len: usize) -> usize {
    let u: f64 = rng.random_range(0.0..1.0);
    ((u * u * u) * len as f64) as usize % len.max(1)
}

/// Share of laboratories that are hubs (centres and branches); the rest are spokes.
const HUB_SHARE: f64 = 0.17;

/// What laboratories are generated from: where the hubs are, the numbering and the clock.
struct LaboratoryGenerator<'a> {
    region_infos: &'a [RegionInfo],
    /// Region indexes in random order; `skewed_index` over it makes a few regions large.
    shuffled: Vec<usize>,
    central_by_country: Vec<Vec<LaboratoryId>>,
    hubs_by_region: HashMap<RegionId, Vec<LaboratoryId>>,
    number: usize,
    clock: Clock,
}

/// Laboratories with their disciplines and search words.
struct LaboratoryBatch {
    laboratories: Vec<LaboratoryRow>,
    disciplines: Vec<DisciplineRow>,
    terms: Vec<SearchTermRow>,
}

impl LaboratoryGenerator<'_> {
    /// `count` hubs (when `hubs`) or spokes, with their disciplines.
    fn batch(&mut self, rng: &mut StdRng, count: usize, hubs: bool) -> LaboratoryBatch {
        let mut rows = Vec::with_capacity(count);
        let mut disciplines = Vec::new();
        for _ in 0..count {
            self.one(rng, hubs, &mut rows, &mut disciplines);
        }
        let mut terms = Vec::with_capacity(count * 4);
        for row in &rows {
            for term in name_and_code_terms(&row.name, &row.code) {
                terms.push(SearchTermRow {
                    term,
                    created_at: row.created_at,
                    laboratory_id: row.id,
                });
            }
        }
        LaboratoryBatch {
            laboratories: rows,
            disciplines,
            terms,
        }
    }

    fn one(
        &mut self,
        rng: &mut StdRng,
        hubs: bool,
        rows: &mut Vec<LaboratoryRow>,
        disciplines: &mut Vec<DisciplineRow>,
    ) {
        self.number += 1;
        let number = self.number;
        let region = &self.region_infos[self.shuffled[skewed_index(rng, self.shuffled.len())]];
        let country = &COUNTRIES[region.country];
        let roll: f64 = if hubs {
            rng.random_range(0.0..HUB_SHARE)
        } else {
            rng.random_range(HUB_SHARE..1.0)
        };
        let mut kind = if roll < 0.02 {
            LaboratoryKind::Central
        } else if roll < 0.17 {
            LaboratoryKind::Branch
        } else if roll < 0.92 {
            LaboratoryKind::CollectionPoint
        } else {
            LaboratoryKind::Mobile
        };
        let parent_id = match kind {
            LaboratoryKind::Central => None,
            LaboratoryKind::Branch => self.central_by_country[region.country].choose(rng).copied(),
            _ => self
                .hubs_by_region
                .get(&region.id)
                .and_then(|hubs| hubs.choose(rng).copied())
                .or_else(|| self.central_by_country[region.country].choose(rng).copied()),
        };
        // A branch with no centre in its country becomes one. Spokes never do: they are
        // loaded in parallel and may refer only to hubs already committed.
        if parent_id.is_none() && kind == LaboratoryKind::Branch {
            kind = LaboratoryKind::Central;
        }
        let id = LaboratoryId::generate();
        match kind {
            LaboratoryKind::Central => {
                self.central_by_country[region.country].push(id);
                self.hubs_by_region.entry(region.id).or_default().push(id);
            }
            LaboratoryKind::Branch => self.hubs_by_region.entry(region.id).or_default().push(id),
            _ => {}
        }
        let code = format!("{}-L{number:07}", country.code);
        let name = match (kind, country.cyrillic) {
            (LaboratoryKind::Central, true) => {
                format!("Централизованная КДЛ «{}» №{number}", region.name)
            }
            (LaboratoryKind::Branch, true) => {
                format!("Филиал лаборатории «{}» №{number}", region.name)
            }
            (LaboratoryKind::CollectionPoint, true) => {
                format!("Пункт забора материала «{}» №{number}", region.name)
            }
            (LaboratoryKind::Mobile, true) => {
                format!("Мобильная лаборатория «{}» №{number}", region.name)
            }
            (LaboratoryKind::Central, false) => {
                format!("Central Laboratory {} No. {number}", region.name)
            }
            (LaboratoryKind::Branch, false) => {
                format!("Branch Laboratory {} No. {number}", region.name)
            }
            (LaboratoryKind::CollectionPoint, false) => {
                format!("Collection Point {} No. {number}", region.name)
            }
            (LaboratoryKind::Mobile, false) => {
                format!("Mobile Laboratory {} No. {number}", region.name)
            }
        };
        let status_roll: f64 = rng.random_range(0.0..1.0);
        let status = if status_roll < 0.70 {
            LaboratoryStatus::Operational
        } else if status_roll < 0.80 {
            LaboratoryStatus::UnderConstruction
        } else if status_roll < 0.90 {
            LaboratoryStatus::Planned
        } else if status_roll < 0.95 {
            LaboratoryStatus::Suspended
        } else {
            LaboratoryStatus::Closed
        };
        let capacity = match kind {
            LaboratoryKind::Central => {
                Some((5000.0 * 10f64.powf(rng.random_range(0.0..1.0))) as i32)
            }
            LaboratoryKind::Branch => Some(rng.random_range(500..5000)),
            LaboratoryKind::CollectionPoint => {
                (rng.random_range(0..4) > 0).then(|| rng.random_range(20..300))
            }
            LaboratoryKind::Mobile => Some(rng.random_range(50..200)),
        };
        let discipline_count = match kind {
            LaboratoryKind::Central => rng.random_range(6..=Discipline::ALL.len()),
            LaboratoryKind::Branch => rng.random_range(2..6),
            LaboratoryKind::Mobile => rng.random_range(1..3),
            LaboratoryKind::CollectionPoint => 0,
        };
        let start = rng.random_range(0..Discipline::ALL.len());
        for offset in 0..discipline_count {
            let discipline = Discipline::ALL[(start + offset) % Discipline::ALL.len()];
            disciplines.push(DisciplineRow {
                laboratory_id: id,
                discipline: discipline.as_str().to_owned(),
            });
        }
        let accredited = matches!(kind, LaboratoryKind::Central | LaboratoryKind::Branch)
            && rng.random_range(0..10) < 4;
        let valid_until = NaiveDate::from_ymd_opt(
            rng.random_range(2025..2030),
            rng.random_range(1..13),
            rng.random_range(1..29),
        );
        let at = self.clock.tick(rng);
        rows.push(LaboratoryRow {
            id,
            region_id: region.id,
            search_text: search_column(&name_and_code_terms(&name, &code)),
            code,
            name,
            kind,
            parent_id,
            status,
            address: Some(format!(
                "{}, {} {}",
                region.name,
                if country.cyrillic {
                    "ул. Ленина,"
                } else {
                    "Main St."
                },
                rng.random_range(1..200)
            )),
            latitude: Some((region.latitude + rng.random_range(-0.5..0.5)).clamp(-90.0, 90.0)),
            longitude: Some((region.longitude + rng.random_range(-0.5..0.5)).clamp(-180.0, 180.0)),
            capacity_per_day: capacity,
            opened_on: matches!(
                status,
                LaboratoryStatus::Operational | LaboratoryStatus::Suspended
            )
            .then(|| {
                NaiveDate::from_ymd_opt(
                    rng.random_range(2005..2026),
                    rng.random_range(1..13),
                    rng.random_range(1..29),
                )
            })
            .flatten(),
            operator: OPERATORS.choose(rng).map(|o| (*o).to_owned()),
            accreditation_standard: accredited.then(|| "ISO 15189".to_owned()),
            accreditation_certificate_number: accredited
                .then(|| format!("RA.{}.{number:07}", country.code)),
            accreditation_valid_until: if accredited { valid_until } else { None },
            created_at: at,
            updated_at: at,
            version: 1,
        });
    }
}

fn load_laboratories(conn: &mut DbConn, batch: &LaboratoryBatch) -> Result<(), String> {
    in_transaction(conn, |conn| {
        bulk_insert!(conn, laboratories::table, &batch.laboratories)?;
        bulk_insert!(conn, laboratory_disciplines::table, &batch.disciplines)?;
        bulk_insert!(conn, laboratory_search_terms::table, &batch.terms)?;
        Ok(())
    })
}

/// Hubs first, on one connection and in order (a branch refers to a centre written before
/// it); then the spokes, which refer only to committed hubs, so on PostgreSQL two
/// connections load their batches side by side.
fn generate_laboratories(
    pool: &DbPool,
    rng: &mut StdRng,
    options: GenerateOptions,
    region_infos: &[RegionInfo],
    report: &mut GenerateReport,
) -> Result<(), String> {
    let started = Instant::now();
    let total = options.laboratories;
    let bar = progress(total, "laboratories", options.progress);
    let mut shuffled: Vec<usize> = (0..region_infos.len()).collect();
    for i in (1..shuffled.len()).rev() {
        let j = rng.random_range(0..=i);
        shuffled.swap(i, j);
    }
    let mut generator = LaboratoryGenerator {
        region_infos,
        shuffled,
        central_by_country: vec![Vec::new(); COUNTRIES.len()],
        hubs_by_region: HashMap::new(),
        number: 0,
        clock: Clock::starting_days_ago(300),
    };
    let hub_total = ((total as f64) * HUB_SHARE).ceil() as usize;
    let hub_total = hub_total.min(total);
    let mut conn = loading_connection(pool)?;
    let mut written = 0;
    while written < hub_total {
        let count = options.batch_size.min(hub_total - written);
        load_laboratories(&mut conn, &generator.batch(rng, count, true))?;
        written += count;
        bar.inc(count as u64);
    }
    let loaders = if matches!(**conn, DbConn::Pg(_)) {
        2
    } else {
        1
    };
    drop(conn);

    let (sender, receiver) = std::sync::mpsc::sync_channel::<LaboratoryBatch>(loaders * 2);
    let receiver = std::sync::Mutex::new(receiver);
    std::thread::scope(|scope| -> Result<(), String> {
        let handles: Vec<_> = (0..loaders)
            .map(|_| {
                let receiver = &receiver;
                let bar = bar.clone();
                scope.spawn(move || -> Result<(), String> {
                    let mut conn = loading_connection(pool)?;
                    loop {
                        let next = receiver
                            .lock()
                            .map_err(|_| "a loader failed".to_owned())?
                            .recv();
                        let Ok(batch) = next else { return Ok(()) };
                        load_laboratories(&mut conn, &batch)?;
                        bar.inc(batch.laboratories.len() as u64);
                    }
                })
            })
            .collect();
        while written < total {
            let count = options.batch_size.min(total - written);
            if sender.send(generator.batch(rng, count, false)).is_err() {
                break;
            }
            written += count;
        }
        drop(sender);
        for handle in handles {
            handle
                .join()
                .map_err(|_| "a loader thread panicked".to_owned())??;
        }
        Ok(())
    })?;
    bar.finish_and_clear();
    record(report, "laboratories", total, started);
    Ok(())
}

fn generate_vendors(
    conn: &mut DbConn,
    rng: &mut StdRng,
    options: GenerateOptions,
    report: &mut GenerateReport,
) -> Result<Vec<(VendorId, usize)>, String> {
    let started = Instant::now();
    let bar = progress(options.vendors, "vendors", options.progress);
    let mut clock = Clock::starting_days_ago(200);
    let mut ids = Vec::with_capacity(options.vendors);
    let mut written = 0;
    while written < options.vendors {
        let batch = options.batch_size.min(options.vendors - written);
        let mut rows = Vec::with_capacity(batch);
        let mut categories = Vec::new();
        for offset in 0..batch {
            let number = written + offset;
            let stem = VENDOR_STEMS[number % VENDOR_STEMS.len()];
            // The first round uses the plain names; later ones are numbered to stay unique.
            let name = if number < VENDOR_STEMS.len() {
                stem.to_owned()
            } else {
                format!("{stem} {}", number / VENDOR_STEMS.len())
            };
            let home = rng.random_range(0..COUNTRIES.len());
            let id = VendorId::generate();
            let at = clock.tick(rng);
            let all = ProductCategory::ALL;
            let first = rng.random_range(0..all.len());
            for step in 0..rng.random_range(1..=3) {
                categories.push(CategoryRow {
                    vendor_id: id,
                    category: all[(first + step) % all.len()].as_str().to_owned(),
                });
            }
            let website = format!(
                "https://www.{}.example",
                search_key(&name).replace(' ', "-")
            );
            rows.push(VendorRow {
                id,
                name_key: search_key(&name),
                search_text: search_column(&search_terms(&name)),
                name,
                country_code: ["CN", "DE", "JP", "US", "KR", "RU", "KZ"][rng.random_range(0..7)]
                    .to_owned(),
                website: website.is_ascii().then_some(website),
                created_at: at,
                updated_at: at,
                version: 1,
            });
            ids.push((id, home));
        }
        in_transaction(conn, |conn| {
            bulk_insert!(conn, vendors::table, &rows)?;
            bulk_insert!(conn, vendor_categories::table, &categories)?;
            Ok(())
        })?;
        written += batch;
        bar.inc(batch as u64);
    }
    bar.finish_and_clear();
    record(report, "vendors", options.vendors, started);
    Ok(ids)
}

fn generate_localizations(
    conn: &mut DbConn,
    rng: &mut StdRng,
    options: GenerateOptions,
    region_infos: &[RegionInfo],
    vendor_ids: &[(VendorId, usize)],
    report: &mut GenerateReport,
) -> Result<(), String> {
    if vendor_ids.is_empty() || options.localizations == 0 {
        return Ok(());
    }
    let started = Instant::now();
    let bar = progress(options.localizations, "localizations", options.progress);
    let mut clock = Clock::starting_days_ago(150);
    let mut regions_by_country: Vec<Vec<RegionId>> = vec![Vec::new(); COUNTRIES.len()];
    for info in region_infos {
        regions_by_country[info.country].push(info.id);
    }
    let forward = [
        LocalizationStage::InterestDeclared,
        LocalizationStage::Negotiating,
        LocalizationStage::AgreementSigned,
        LocalizationStage::ProductionSetup,
        LocalizationStage::Producing,
    ];
    let mut written = 0;
    let mut history_rows = 0;
    while written < options.localizations {
        let batch = options.batch_size.min(options.localizations - written);
        let mut rows = Vec::with_capacity(batch);
        let mut scopes = Vec::new();
        let mut history = Vec::new();
        for _ in 0..batch {
            let (vendor_id, _) = vendor_ids[skewed_index(rng, vendor_ids.len())];
            let country_index = rng.random_range(0..COUNTRIES.len());
            let country = &COUNTRIES[country_index];
            let id = LocalizationId::generate();
            // Walk the stage path day by day, then maybe suspend or cancel.
            let reached = rng.random_range(0..forward.len());
            let mut day = NaiveDate::from_ymd_opt(2024, 1, 1).unwrap_or_default()
                + Duration::days(rng.random_range(0..300));
            let mut from: Option<LocalizationStage> = None;
            let mut push_change = |to: LocalizationStage,
                                   from: Option<LocalizationStage>,
                                   day: NaiveDate,
                                   rng: &mut StdRng,
                                   clock: &mut Clock| {
                history.push(StageChangeRow {
                    id: StageChangeId::generate(),
                    localization_id: id,
                    from_stage: from,
                    to_stage: to,
                    changed_on: day,
                    note: Some(format!("Этап: {}", to.as_str())),
                    source: Some(format!(
                        "https://news.example/{}",
                        rng.random_range(1000..99999)
                    )),
                    created_at: clock.tick(rng),
                });
            };
            for stage in forward.iter().take(reached + 1) {
                push_change(*stage, from, day, rng, &mut clock);
                from = Some(*stage);
                day += Duration::days(rng.random_range(10..120));
            }
            let current_forward = forward[reached];
            let ending: f64 = rng.random_range(0.0..1.0);
            let (stage, suspended_from) = if ending < 0.08 {
                push_change(LocalizationStage::Suspended, from, day, rng, &mut clock);
                (LocalizationStage::Suspended, Some(current_forward))
            } else if ending < 0.13 {
                push_change(LocalizationStage::Cancelled, from, day, rng, &mut clock);
                (LocalizationStage::Cancelled, None)
            } else {
                day -= Duration::days(1);
                (current_forward, None)
            };
            let scope_count = rng.random_range(1..=LocalizationScope::ALL.len());
            let first = rng.random_range(0..LocalizationScope::ALL.len());
            for step in 0..scope_count {
                scopes.push(ScopeRow {
                    localization_id: id,
                    scope: LocalizationScope::ALL[(first + step) % LocalizationScope::ALL.len()]
                        .as_str()
                        .to_owned(),
                });
            }
            let at = clock.tick(rng);
            rows.push(LocalizationRow {
                id,
                vendor_id,
                country_code: country.code.to_owned(),
                region_id: if rng.random_range(0..3) > 0 {
                    regions_by_country[country_index].choose(rng).copied()
                } else {
                    None
                },
                stage,
                suspended_from_stage: suspended_from,
                stage_changed_on: day,
                local_content_percent: Some(f64::from(rng.random_range(0..=80))),
                target_date: NaiveDate::from_ymd_opt(
                    rng.random_range(2026..2031),
                    rng.random_range(1..13),
                    1,
                ),
                partner: PARTNERS.choose(rng).map(|p| (*p).to_owned()),
                created_at: at,
                updated_at: at,
                version: 1,
            });
        }
        history_rows += history.len();
        in_transaction(conn, |conn| {
            bulk_insert!(conn, localizations::table, &rows)?;
            bulk_insert!(conn, localization_scopes::table, &scopes)?;
            bulk_insert!(conn, localization_stage_changes::table, &history)?;
            Ok(())
        })?;
        written += batch;
        bar.inc(batch as u64);
    }
    bar.finish_and_clear();
    record(report, "localizations", options.localizations, started);
    report
        .lines
        .push(format!("localization history: {history_rows} rows"));
    Ok(())
}
