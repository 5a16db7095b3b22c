//! SQL for laboratories and their disciplines.

use diesel::dsl::sql;
use diesel::prelude::*;
use diesel::sql_types::{Array, BigInt, Text};

use super::model::{
    BoundingBox, Discipline, LaboratoryFilter, LaboratoryId, LaboratoryRow, LaboratorySort, Near,
};
use super::search::{self, PageWindow, SearchPlan};
use crate::core::error::DomainError;
use crate::core::paging::{PageRequest, Sort};
use crate::db::audit::{self, NewAuditEvent};
use crate::db::geo::{cell_cover, great_circle_km, CellCover, KM_PER_DEGREE};
use crate::db::query::unnest;
use crate::db::types::{UtcTimestamp, Uuid as UuidType};
use crate::db::{CombinedInserts, DbConn, MultiBackend};
use crate::regions::model::RegionId;
use crate::schema::{
    audit_events, laboratories, laboratory_disciplines, laboratory_search_terms, regions,
};
use crate::validation::code_key;

crate::stored_rows!(laboratories: LaboratoryRow by LaboratoryId; owner(code_key_owner, code_key));
crate::refers_to!(laboratories.region_id -> RegionId as "laboratories");
crate::refers_to!(laboratories.parent_id -> LaboratoryId as "laboratories");

/// The laboratory, other than `except`, whose code equals `code` ignoring case
/// (`validation::code_key`).
pub fn code_owner(
    conn: &mut DbConn,
    code: &str,
    except: Option<LaboratoryId>,
) -> QueryResult<Option<LaboratoryId>> {
    code_key_owner(conn, &code_key(code), except)
}

/// The parent of a laboratory: `None` when the laboratory does not exist, `Some(None)` for a
/// top-level one.
pub fn parent_of(conn: &mut DbConn, id: LaboratoryId) -> QueryResult<Option<Option<LaboratoryId>>> {
    laboratories::table
        .find(id)
        .select(laboratories::parent_id)
        .first(conn)
        .optional()
}

/// Writes a new laboratory with its disciplines, search words and audit event. On
/// PostgreSQL the four inserts go as one statement, atomic by itself, whose text does not depend on how many
/// disciplines and words there are (they travel as arrays), so each connection prepares it
/// once. On SQLite they run one after the other and need the caller's write transaction
/// (`db::write_statement` gives both).
pub fn insert(
    conn: &mut DbConn,
    row: &LaboratoryRow,
    disciplines: &[Discipline],
    terms: &[String],
    event: &NewAuditEvent,
) -> QueryResult<()> {
    // Fast path (PostgreSQL): one statement per create, measured in docs/performance.md.
    if let DbConn::Pg(pg) = conn {
        let discipline_names: Vec<&str> = disciplines.iter().map(|d| d.as_str()).collect();
        let mut statements = CombinedInserts::new();
        statements.push(diesel::insert_into(laboratories::table).values(row));
        statements.push(
            diesel::insert_into(laboratory_disciplines::table)
                .values(diesel::select((
                    row.id.into_sql::<UuidType>(),
                    unnest(discipline_names.into_sql::<Array<Text>>()),
                )))
                .into_columns((
                    laboratory_disciplines::laboratory_id,
                    laboratory_disciplines::discipline,
                )),
        );
        statements.push(
            diesel::insert_into(laboratory_search_terms::table)
                .values(diesel::select((
                    unnest(terms.into_sql::<Array<Text>>()),
                    row.created_at.into_sql::<UtcTimestamp>(),
                    row.id.into_sql::<UuidType>(),
                )))
                .into_columns((
                    laboratory_search_terms::term,
                    laboratory_search_terms::created_at,
                    laboratory_search_terms::laboratory_id,
                )),
        );
        statements.push(diesel::insert_into(audit_events::table).values(event));
        return statements.execute(pg).map(|_| ());
    }
    diesel::insert_into(laboratories::table)
        .values(row)
        .execute(conn)?;
    disciplines::insert(conn, row.id, disciplines)?;
    search::insert_terms(conn, row.id, row.created_at, terms)?;
    audit::insert(conn, event)
}

/// Deletes the laboratory and its discipline rows (explicitly, so the result does not depend
/// on the backend enforcing `ON DELETE CASCADE`).
pub fn delete(conn: &mut DbConn, id: LaboratoryId) -> QueryResult<usize> {
    diesel::delete(
        laboratory_disciplines::table.filter(laboratory_disciplines::laboratory_id.eq(id)),
    )
    .execute(conn)?;
    diesel::delete(laboratories::table.find(id)).execute(conn)
}

/// How many laboratories name this one as their hub.
pub fn child_count(conn: &mut DbConn, id: LaboratoryId) -> QueryResult<i64> {
    laboratories::table
        .filter(laboratories::parent_id.eq(id))
        .count()
        .get_result(conn)
}

/// The countries of the laboratories that name this one as their hub.
pub fn child_countries(conn: &mut DbConn, id: LaboratoryId) -> QueryResult<Vec<String>> {
    laboratories::table
        .inner_join(regions::table)
        .filter(laboratories::parent_id.eq(id))
        .select(regions::country_code)
        .distinct()
        .load(conn)
}

/// A laboratory with its disciplines, in one round trip (a left join: one row per
/// discipline, or one row with none).
pub fn find_with_disciplines(
    conn: &mut DbConn,
    id: LaboratoryId,
) -> Result<Option<(LaboratoryRow, Vec<Discipline>)>, DomainError> {
    let rows: Vec<(LaboratoryRow, Option<Discipline>)> = laboratories::table
        .left_join(laboratory_disciplines::table)
        .filter(laboratories::id.eq(id))
        .select((columns(), laboratory_disciplines::discipline.nullable()))
        .load(conn)?;
    let mut disciplines = Vec::with_capacity(rows.len());
    let mut laboratory = None;
    for (row, discipline) in rows {
        disciplines.extend(discipline);
        laboratory.get_or_insert(row);
    }
    disciplines.sort();
    disciplines.dedup();
    Ok(laboratory.map(|row| (row, disciplines)))
}

crate::child_values!(
    /// A laboratory's disciplines.
    pub mod disciplines: laboratory_disciplines(laboratory_id: LaboratoryId, discipline: Discipline)
);

/// A subtree holding at least this many laboratories is "large": its list is read in order
/// rather than gathered whole and sorted (SQLite). Gathering this many costs about what
/// reading the list in order costs for a subtree this small at a million laboratories.
const LARGE_SUBTREE: i64 = 5000;

/// Whether the subtree at `path` holds at least [`LARGE_SUBTREE`] laboratories, counting no
/// further than that.
fn subtree_is_large(conn: &mut DbConn, path: &str) -> QueryResult<bool> {
    let held: i64 = diesel::select(
        sql::<BigInt>(
            "(SELECT COUNT(*) FROM (SELECT 1 FROM laboratories WHERE region_id IN \
             (SELECT id FROM regions WHERE path LIKE ",
        )
        .bind::<Text, _>(format!("{path}%"))
        .sql(") LIMIT ")
        .bind::<BigInt, _>(LARGE_SUBTREE)
        .sql(") AS probe)"),
    )
    .get_result(conn)?;
    Ok(held >= LARGE_SUBTREE)
}

/// One page of rows. `subtree_path` is the resolved path of `filter.subtree_root`.
type LaboratoryQuery<'a> = laboratories::BoxedQuery<
    'a,
    MultiBackend,
    <<LaboratoryRow as Selectable<MultiBackend>>::SelectExpression as Expression>::SqlType,
>;

pub fn list(
    conn: &mut DbConn,
    filter: &LaboratoryFilter,
    subtree_path: Option<&str>,
    sort: Sort<LaboratorySort>,
    page: &PageRequest,
) -> Result<Vec<LaboratoryRow>, DomainError> {
    let Some(query) = filtered(conn, filter, subtree_path, sort, page)? else {
        return Ok(Vec::new());
    };
    let query = LaboratorySort::apply(sort, query, page.after.as_ref())?;
    Ok(query.limit(page.fetch_limit()).load(conn)?)
}

/// Where a page of a `near` list starts: after this distance in kilometres and, at that
/// distance, this laboratory (from the page token).
pub type NearAfter = (f64, LaboratoryId);

/// The first laboratories within `reach_km` of `near`'s point (at most `near`'s radius) after
/// `after`, nearest first (the id breaking ties), each with its distance in kilometres; as
/// many as the page fetches.
pub fn list_near(
    conn: &mut DbConn,
    filter: &LaboratoryFilter,
    subtree_path: Option<&str>,
    near: Near,
    after: Option<NearAfter>,
    reach_km: f64,
    page: &PageRequest,
) -> Result<Vec<(LaboratoryRow, f64)>, DomainError> {
    let sort = Sort {
        field: LaboratorySort::CreatedAt,
        descending: false,
    };
    let Some(query) = filtered(conn, filter, subtree_path, sort, page)? else {
        return Ok(Vec::new());
    };
    let rows: Vec<(LaboratoryRow, Option<f64>)> = in_ring(query, near, after, reach_km)
        .select((columns(), distance_from(near)))
        .limit(page.fetch_limit())
        .load(conn)?;
    Ok(located(rows))
}

/// Each found laboratory with its distance; one without coordinates has none, and never
/// passes a ring's box anyway.
fn located<T>(found: Vec<(T, Option<f64>)>) -> Vec<(T, f64)> {
    found
        .into_iter()
        .filter_map(|(found, distance)| distance.map(|d| (found, d)))
        .collect()
}

/// [`list_near`] for a list filtered by `near` alone, in two steps: here the page's ids
/// and distances, from the cell index alone (it holds the coordinates); then
/// [`rows_in_order`]. Reading every row of the ring instead costs as many rows as the ring
/// holds, hundreds where laboratories are dense.
pub fn nearest_ids(
    conn: &mut DbConn,
    near: Near,
    after: Option<NearAfter>,
    reach_km: f64,
    page: &PageRequest,
) -> Result<Vec<(LaboratoryId, f64)>, DomainError> {
    let nearest: Vec<(LaboratoryId, Option<f64>)> = in_ring(
        laboratories::table.select(laboratories::id).into_boxed(),
        near,
        after,
        reach_km,
    )
    .select((laboratories::id, distance_from(near)))
    .limit(page.fetch_limit())
    .load(conn)?;
    Ok(located(nearest))
}

/// The rows of these laboratories, each with its value, in the order given; a laboratory
/// deleted since its id was read is left out.
pub fn rows_in_order<T>(
    conn: &mut DbConn,
    ids: Vec<(LaboratoryId, T)>,
) -> Result<Vec<(LaboratoryRow, T)>, DomainError> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let mut rows: std::collections::HashMap<LaboratoryId, LaboratoryRow> = laboratories::table
        .select(columns())
        .filter(laboratories::id.eq_any(ids.iter().map(|(id, _)| *id).collect::<Vec<_>>()))
        .load::<LaboratoryRow>(conn)?
        .into_iter()
        .map(|row| (row.id, row))
        .collect();
    Ok(ids
        .into_iter()
        .filter_map(|(id, value)| rows.remove(&id).map(|row| (row, value)))
        .collect())
}

/// The great-circle distance of each laboratory from `near`'s point, in kilometres.
fn distance_from(
    near: Near,
) -> great_circle_km<f64, f64, laboratories::latitude, laboratories::longitude> {
    great_circle_km(
        near.latitude,
        near.longitude,
        laboratories::latitude,
        laboratories::longitude,
    )
}

/// The laboratories of a query within `reach_km` of `near`'s point (and its radius) after
/// `after`, nearest first, the id breaking ties: the box the circle fits in, read on the
/// cell index, then the exact distance.
fn in_ring<'a, ST: 'static>(
    query: laboratories::BoxedQuery<'a, MultiBackend, ST>,
    near: Near,
    after: Option<NearAfter>,
    reach_km: f64,
) -> laboratories::BoxedQuery<'a, MultiBackend, ST> {
    let distance = || distance_from(near);
    let mut query = within_box(query, circle_box(near, reach_km))
        .filter(distance().le(reach_km.min(near.radius_km)));
    if let Some((key, id)) = after {
        query = query.filter(
            distance()
                .gt(key)
                .or(distance().eq(key).and(laboratories::id.gt(id))),
        );
    }
    query.order((distance().asc(), laboratories::id.asc()))
}

/// The box a circle of `reach_km` around `near`'s point fits in, a little wider than the
/// circle; across the antimeridian where the circle is, and every longitude near a pole.
pub fn circle_box(near: Near, reach_km: f64) -> BoundingBox {
    let lat_span = reach_km / KM_PER_DEGREE + 0.001;
    let south = (near.latitude - lat_span).max(-90.0);
    let north = (near.latitude + lat_span).min(90.0);
    let farthest_latitude = near.latitude.abs() + lat_span;
    if farthest_latitude < 89.0 {
        let lon_span = lat_span / farthest_latitude.to_radians().cos() * 1.01 + 0.001;
        if lon_span < 180.0 {
            return BoundingBox {
                south,
                north,
                west: wrap_longitude(near.longitude - lon_span),
                east: wrap_longitude(near.longitude + lon_span),
            };
        }
    }
    BoundingBox {
        south,
        north,
        west: -180.0,
        east: 180.0,
    }
}

/// A longitude past ±180 brought back into range.
fn wrap_longitude(longitude: f64) -> f64 {
    if longitude < -180.0 {
        longitude + 360.0
    } else if longitude > 180.0 {
        longitude - 360.0
    } else {
        longitude
    }
}

/// Laboratories in these geographic cells (`db::geo::cell_cover`): the condition the cell
/// index reads, the cells one by one or one range per run.
fn within_cells<'a, ST: 'static>(
    query: laboratories::BoxedQuery<'a, MultiBackend, ST>,
    cover: &CellCover,
) -> laboratories::BoxedQuery<'a, MultiBackend, ST> {
    type Condition = Box<
        dyn BoxableExpression<
            laboratories::table,
            MultiBackend,
            SqlType = diesel::sql_types::Nullable<diesel::sql_types::Bool>,
        >,
    >;
    let runs = match cover {
        CellCover::Cells(cells) => {
            return query.filter(laboratories::geo_cell.eq_any(cells.clone()))
        }
        CellCover::Runs(runs) => runs,
    };
    let mut condition: Option<Condition> = None;
    for &(first, last) in runs {
        let run = laboratories::geo_cell.between(first, last);
        condition = Some(match condition {
            None => Box::new(run),
            Some(before) => Box::new(before.or(run)),
        });
    }
    match condition {
        Some(condition) => query.filter(condition),
        // No cell at all: nothing is inside.
        None => query.filter(sql::<diesel::sql_types::Bool>("1 = 0")),
    }
}

/// Laboratories inside a box, on the cell index alone: its cells, then the exact edges.
fn within_box<'a, ST: 'static>(
    query: laboratories::BoxedQuery<'a, MultiBackend, ST>,
    b: BoundingBox,
) -> laboratories::BoxedQuery<'a, MultiBackend, ST> {
    let query = within_cells(query, &cell_cover(b.south, b.north, b.west, b.east))
        .filter(laboratories::latitude.ge(b.south))
        .filter(laboratories::latitude.le(b.north));
    if b.west <= b.east {
        query
            .filter(laboratories::longitude.ge(b.west))
            .filter(laboratories::longitude.le(b.east))
    } else {
        // Across the antimeridian: east of `west` or west of `east`.
        query.filter(
            laboratories::longitude
                .ge(b.west)
                .or(laboratories::longitude.le(b.east)),
        )
    }
}

/// How many laboratories have coordinates inside the box, counting up to `limit`: an
/// index-only read of the cell index that says what reading the box would cost.
pub fn count_in_box(conn: &mut DbConn, b: BoundingBox, limit: i64) -> QueryResult<usize> {
    // The cells are read (small integers), not the ids: only how many there are matters.
    let query = within_box(
        laboratories::table
            .select(laboratories::geo_cell)
            .into_boxed(),
        b,
    );
    Ok(query.limit(limit).load::<Option<i32>>(conn)?.len())
}

/// A page of a list filtered by `bbox` alone in the default order, in two steps: the page's
/// ids from the cell index alone (it holds the cell, the coordinates, `created_at` and the
/// id, so no row is read to find them), then those rows. Read in one step, every
/// laboratory in the box is read to sort them (5 800 rows for a box of one degree at 1M).
pub fn list_in_box(
    conn: &mut DbConn,
    b: BoundingBox,
    sort: Sort<LaboratorySort>,
    page: &PageRequest,
) -> Result<Vec<LaboratoryRow>, DomainError> {
    let ids = within_box(laboratories::table.select(laboratories::id).into_boxed(), b);
    let ids: Vec<LaboratoryId> = LaboratorySort::apply(sort, ids, page.after.as_ref())?
        .limit(page.fetch_limit())
        .load(conn)?;
    let rows = rows_in_order(conn, ids.into_iter().map(|id| (id, ())).collect())?;
    Ok(rows.into_iter().map(|(row, ())| row).collect())
}

/// The list's query with every filter applied, not yet ordered; `None` when it can hold no
/// row (a search without words, or one whose words no laboratory has).
fn filtered<'a>(
    conn: &mut DbConn,
    filter: &'a LaboratoryFilter,
    subtree_path: Option<&'a str>,
    sort: Sort<LaboratorySort>,
    page: &PageRequest,
) -> Result<Option<LaboratoryQuery<'a>>, DomainError> {
    let mut query = laboratories::table
        .select(columns())
        .into_boxed::<MultiBackend>();
    if let Some(codes) = &filter.codes {
        // Codes are unique ignoring case, and found ignoring case.
        crate::filter_any_of!(
            query,
            laboratories::code_key,
            codes.iter().map(|code| code_key(code)).collect()
        );
    }
    if let Some(ids) = &filter.region_ids {
        crate::filter_any_of!(query, laboratories::region_id, ids.clone());
    }
    if let Some(path) = subtree_path {
        // A prefix match on the regions' materialized path, as a plain (not boxed) subquery:
        // a boxed subquery cannot be rendered inside a two-backend filter.
        let in_subtree = regions::path.like(format!("{path}%"));
        // Fast path (SQLite): a large subtree read in list order, measured in
        // docs/performance.md.
        let read_in_order = matches!(conn, DbConn::Sqlite(_))
            && filter.is_subtree_only()
            && subtree_is_large(conn, path)?;
        query = if read_in_order {
            // Written as EXISTS, the subtree gives SQLite no index range on `laboratories`,
            // so it reads the list in order and keeps the rows in the subtree: for a large
            // subtree a page is near. As `IN`, SQLite reads every laboratory of the subtree
            // through the region index and sorts them all (120 ms for a country at 1M).
            // Only without other filters: the probe counts the subtree alone, and a
            // selective filter on top of it could leave few rows to find in order.
            // PostgreSQL's planner estimates the subtree's size and chooses by itself.
            query.filter(diesel::dsl::exists(
                regions::table
                    .filter(regions::id.eq(laboratories::region_id))
                    .filter(in_subtree),
            ))
        } else {
            query.filter(
                laboratories::region_id
                    .eq_any(regions::table.filter(in_subtree).select(regions::id)),
            )
        };
    }
    if let Some(kinds) = &filter.kinds {
        crate::filter_any_of!(query, laboratories::kind, kinds.clone());
    }
    if let Some(statuses) = &filter.statuses {
        crate::filter_any_of!(query, laboratories::status, statuses.clone());
    }
    if filter.top_level_only {
        query = query.filter(laboratories::parent_id.is_null());
    } else if let Some(parents) = &filter.parent_ids {
        crate::filter_any_of!(query, laboratories::parent_id, parents.clone());
    }
    if let Some(disciplines) = &filter.disciplines {
        query = query.filter(
            laboratories::id.eq_any(
                laboratory_disciplines::table
                    .filter(laboratory_disciplines::discipline.eq_any(disciplines.clone()))
                    .select(laboratory_disciplines::laboratory_id),
            ),
        );
    }
    if let Some(accredited) = filter.accredited {
        query = if accredited.accredited {
            query.filter(laboratories::accreditation_valid_until.ge(accredited.on))
        } else {
            query.filter(
                laboratories::accreditation_valid_until
                    .is_null()
                    .or(laboratories::accreditation_valid_until.lt(accredited.on)),
            )
        };
    }
    if let Some(b) = filter.bbox {
        query = within_box(query, b);
    }
    if let Some(terms) = &filter.search {
        if terms.is_empty() {
            // A search without a letter or digit matches nothing.
            return Ok(None);
        }
        let window = if sort.field == LaboratorySort::CreatedAt && filter.is_search_only() {
            let after = page
                .after
                .as_ref()
                .map(|c| Ok::<_, DomainError>((c.key_timestamp()?, c.id)))
                .transpose()?;
            Some(PageWindow {
                after,
                descending: sort.descending,
                limit: page.fetch_limit(),
            })
        } else {
            None
        };
        let patterns = match search::plan(conn, terms, window)? {
            SearchPlan::Nothing => return Ok(None),
            SearchPlan::Page(ids) => {
                query = query.filter(ids);
                Vec::new()
            }
            SearchPlan::Range { range, patterns } => {
                query = query.filter(
                    laboratories::id.eq_any(
                        laboratory_search_terms::table
                            .filter(laboratory_search_terms::term.ge(range.from))
                            .filter(laboratory_search_terms::term.lt(range.to))
                            .select(laboratory_search_terms::laboratory_id),
                    ),
                );
                patterns
            }
            SearchPlan::Scan { patterns } => patterns,
        };
        for pattern in patterns {
            query = query.filter(laboratories::search_text.like(pattern).escape('\\'));
        }
    }
    Ok(Some(query))
}

/// The country of a region, if the region exists.
pub fn region_country(conn: &mut DbConn, id: RegionId) -> QueryResult<Option<String>> {
    Ok(crate::regions::repo::find(conn, id)?.map(|region| region.country_code))
}

/// Stores the laboratory's unit counts (a JSON object), with a new version and `updated_at`:
/// what it shows changed, so its ETag must too.
pub fn set_equipment_counts(
    conn: &mut DbConn,
    id: LaboratoryId,
    counts: &str,
    at: crate::core::time::Timestamp,
) -> QueryResult<usize> {
    diesel::update(laboratories::table.find(id))
        .set((
            laboratories::equipment_counts.eq(counts),
            laboratories::version.eq(laboratories::version + 1),
            laboratories::updated_at.eq(at),
        ))
        .execute(conn)
}
