//! Rules for laboratories: validation, the hub hierarchy, the status lifecycle, and
//! transactions that write a laboratory together with its disciplines.

use std::collections::{HashMap, HashSet};

use chrono::NaiveDate;
use diesel::result::{DatabaseErrorKind, Error as DieselError};

use super::model::{
    Accreditation, Discipline, Laboratory, LaboratoryCreate, LaboratoryFilter, LaboratoryId,
    LaboratoryKind, LaboratoryPatch, LaboratoryRow, LaboratorySort, LaboratoryStatus, Near,
};
use super::{repo, search};
use crate::core::context::WriteContext;
use crate::core::error::DomainError;
use crate::core::paging::{finish_page, Cursor, PageRequest, Sort, SortKey};
use crate::core::precondition::Precondition;
use crate::core::resource::FromRow;
use crate::core::states::StateMachine;
use crate::core::time::now;
use crate::db::audit::{Change, NewAuditEvent, Place};
use crate::db::errors::unique_or;
use crate::db::rows::delete_resource;
use crate::db::{self, DbConn, DbPool};
use crate::regions::model::RegionId;
use crate::validation::{code_key, name_and_code_terms, search_column, Checks};

const MAX_CODE_LENGTH: usize = 64;
const MAX_NAME_LENGTH: usize = 300;
const MAX_ADDRESS_LENGTH: usize = 500;
const MAX_OPERATOR_LENGTH: usize = 300;
const MAX_STANDARD_LENGTH: usize = 100;
const MAX_CERTIFICATE_LENGTH: usize = 100;

/// The fields a client controls, after merging and validation.
#[derive(Debug, Clone)]
struct LaboratoryFields {
    region_id: RegionId,
    code: String,
    name: String,
    kind: LaboratoryKind,
    parent_id: Option<LaboratoryId>,
    status: LaboratoryStatus,
    address: Option<String>,
    latitude: Option<f64>,
    longitude: Option<f64>,
    capacity_per_day: Option<i64>,
    opened_on: Option<NaiveDate>,
    operator: Option<String>,
    accreditation: Option<Accreditation>,
    disciplines: Vec<Discipline>,
}

/// Normalizes the fields in place; every invalid field is reported at once.
fn check_fields(fields: &mut LaboratoryFields, mut checks: Checks) -> Result<(), DomainError> {
    fields.code = checks.text("code", &fields.code, MAX_CODE_LENGTH);
    fields.name = checks.text("name", &fields.name, MAX_NAME_LENGTH);
    fields.address = checks.optional_text("address", fields.address.as_deref(), MAX_ADDRESS_LENGTH);
    fields.operator =
        checks.optional_text("operator", fields.operator.as_deref(), MAX_OPERATOR_LENGTH);
    checks.range_f64("latitude", fields.latitude, -90.0, 90.0);
    checks.range_f64("longitude", fields.longitude, -180.0, 180.0);
    match (fields.latitude, fields.longitude) {
        (Some(_), None) => checks.push(
            "longitude",
            "required",
            "latitude and longitude are given together (or both null)",
        ),
        (None, Some(_)) => checks.push(
            "latitude",
            "required",
            "latitude and longitude are given together (or both null)",
        ),
        _ => {}
    }
    checks.range_i64(
        "capacity_per_day",
        fields.capacity_per_day,
        0,
        i64::from(i32::MAX),
    );
    checks.date("opened_on", fields.opened_on);
    if let Some(accreditation) = &mut fields.accreditation {
        checks.date("accreditation.valid_until", Some(accreditation.valid_until));
        accreditation.standard = checks.text(
            "accreditation.standard",
            &accreditation.standard,
            MAX_STANDARD_LENGTH,
        );
        accreditation.certificate_number = checks.text(
            "accreditation.certificate_number",
            &accreditation.certificate_number,
            MAX_CERTIFICATE_LENGTH,
        );
    }
    checks.unique_list("disciplines", &fields.disciplines);
    checks.finish()?;
    fields.disciplines.sort();
    Ok(())
}

/// The region must exist; returns its country.
fn region_country(conn: &mut DbConn, region_id: RegionId) -> Result<String, DomainError> {
    repo::region_country(conn, region_id)?.ok_or_else(|| unknown_region(region_id))
}

fn unknown_region(region_id: RegionId) -> DomainError {
    DomainError::invalid(
        "region_id",
        "not_found",
        format!("region {region_id} does not exist"),
    )
}

/// Checks the hub: it exists, is not the laboratory itself or below it in the hierarchy, can
/// receive samples, and is in the laboratory's country.
fn check_parent(
    conn: &mut DbConn,
    id: LaboratoryId,
    parent_id: LaboratoryId,
    country: &str,
) -> Result<(), DomainError> {
    if parent_id == id {
        return Err(DomainError::cycle(
            "parent_id",
            "a laboratory cannot be its own hub",
        ));
    }
    let parent = repo::find(conn, parent_id)?.ok_or_else(|| {
        DomainError::invalid(
            "parent_id",
            "not_found",
            format!("laboratory {parent_id} does not exist"),
        )
    })?;
    // Walk up from the hub: meeting this laboratory means the chain would loop. The visited
    // set stops the walk even if stored data already holds a loop.
    let mut visited = HashSet::from([parent_id]);
    let mut next = parent.parent_id;
    while let Some(ancestor) = next {
        if ancestor == id {
            return Err(DomainError::cycle(
                "parent_id",
                format!(
                    "laboratory {parent_id} already sends samples (directly or through other \
                     hubs) to this laboratory; the chain would loop"
                ),
            ));
        }
        if !visited.insert(ancestor) {
            break;
        }
        next = repo::parent_of(conn, ancestor)?.flatten();
    }
    if parent.kind == LaboratoryKind::CollectionPoint {
        return Err(DomainError::invalid(
            "parent_id",
            "invalid",
            format!("laboratory {parent_id} is a collection point and cannot be a hub"),
        ));
    }
    let parent_country = region_country(conn, parent.region_id)?;
    if parent_country != country {
        return Err(DomainError::invalid(
            "parent_id",
            "invalid",
            format!("the hub is in country {parent_country}, the laboratory in {country}"),
        ));
    }
    Ok(())
}

fn check_code_free(
    conn: &mut DbConn,
    code: &str,
    except: Option<LaboratoryId>,
) -> Result<(), DomainError> {
    match repo::code_owner(conn, code, except)? {
        Some(owner) => Err(duplicate_code(code, Some(owner))),
        None => Ok(()),
    }
}

fn duplicate_code(code: &str, owner: Option<LaboratoryId>) -> DomainError {
    DomainError::taken(
        "laboratory",
        "code",
        owner.map(|id| id.0),
        format!("code {code}"),
    )
}

/// A concurrent write may take the code between the check and the write; the unique index
/// then refuses it, and the client hears the same 409 as from the check.
fn write_error(error: DieselError, code: &str) -> DomainError {
    unique_or(error, || duplicate_code(code, None))
}

/// The row for `fields`, with the bookkeeping columns given.
fn row_of(
    id: LaboratoryId,
    fields: &LaboratoryFields,
    created_at: crate::core::time::Timestamp,
    updated_at: crate::core::time::Timestamp,
    version: i64,
) -> LaboratoryRow {
    let accreditation = fields.accreditation.as_ref();
    LaboratoryRow {
        id,
        // A new laboratory has no units; an update keeps what the unit writes counted.
        equipment_counts: "{}".into(),
        region_id: fields.region_id,
        search_text: search_column(&name_and_code_terms(&fields.name, &fields.code)),
        code: fields.code.clone(),
        code_key: code_key(&fields.code),
        name: fields.name.clone(),
        kind: fields.kind,
        parent_id: fields.parent_id,
        status: fields.status,
        address: fields.address.clone(),
        latitude: fields.latitude,
        longitude: fields.longitude,
        // Range-checked by `check_fields`.
        capacity_per_day: fields.capacity_per_day.and_then(|c| i32::try_from(c).ok()),
        opened_on: fields.opened_on,
        operator: fields.operator.clone(),
        accreditation_standard: accreditation.map(|a| a.standard.clone()),
        accreditation_certificate_number: accreditation.map(|a| a.certificate_number.clone()),
        accreditation_valid_until: accreditation.map(|a| a.valid_until),
        created_at,
        updated_at,
        version,
    }
}

pub async fn create(
    pool: &DbPool,
    context: &WriteContext,
    input: LaboratoryCreate,
) -> Result<Laboratory, DomainError> {
    let mut checks = Checks::new();
    let status = input.status.unwrap_or(LaboratoryStatus::Planned);
    if status == LaboratoryStatus::Closed {
        checks.push(
            "status",
            "invalid",
            "a new laboratory cannot start `closed`",
        );
    }
    let mut fields = LaboratoryFields {
        region_id: input.region_id,
        code: input.code,
        name: input.name,
        kind: input.kind,
        parent_id: input.parent_id,
        status,
        address: input.address,
        latitude: input.latitude,
        longitude: input.longitude,
        capacity_per_day: input.capacity_per_day,
        opened_on: input.opened_on,
        operator: input.operator,
        accreditation: input.accreditation,
        disciplines: input.disciplines,
    };
    check_fields(&mut fields, checks)?;
    let id = LaboratoryId::generate();
    let at = now();
    let row = row_of(id, &fields, at, at, 1);
    let laboratory = Laboratory::from_row(row.clone(), fields.disciplines.clone());
    let (parent_id, region_id) = (fields.parent_id, fields.region_id);
    let insert = move |conn: &mut DbConn, _: &Laboratory, event: &NewAuditEvent| {
        // A taken code is refused by the unique index, and (without a hub to compare
        // countries with) an unknown region by the foreign key: no lookups first.
        let terms = name_and_code_terms(&fields.name, &fields.code);
        repo::insert(conn, &row, &fields.disciplines, &terms, event).map_err(|e| match e {
            DieselError::DatabaseError(DatabaseErrorKind::ForeignKeyViolation, _) => {
                unknown_region(fields.region_id)
            }
            other => write_error(other, &fields.code),
        })
    };
    match parent_id {
        // Without a hub the create is one statement on PostgreSQL.
        None => db::create_statement(pool, context, laboratory, insert).await,
        Some(parent_id) => {
            db::create_statement(pool, context, laboratory, move |conn, value, event| {
                let country = region_country(conn, region_id)?;
                db::lock_hierarchy(conn, db::Hierarchy::LaboratoryHubs)?;
                check_parent(conn, id, parent_id, &country)?;
                insert(conn, value, event)
            })
            .await
        }
    }
}

pub async fn get(pool: &DbPool, id: LaboratoryId) -> Result<Laboratory, DomainError> {
    db::lookup(pool, move |conn| {
        let (row, disciplines) = repo::find_with_disciplines(conn, id)?
            .ok_or_else(|| DomainError::not_found("laboratory", id))?;
        Ok(Laboratory::from_row(row, disciplines))
    })
    .await
}

/// The stored fields with the patch applied (not yet validated).
fn merge(
    current: &LaboratoryRow,
    current_disciplines: Vec<Discipline>,
    patch: LaboratoryPatch,
    checks: &mut Checks,
) -> Result<LaboratoryFields, DomainError> {
    Ok(LaboratoryFields {
        region_id: checks.patched("region_id", patch.region_id, current.region_id),
        code: checks.patched("code", patch.code, current.code.clone()),
        name: checks.patched("name", patch.name, current.name.clone()),
        kind: checks.patched("kind", patch.kind, current.kind),
        parent_id: patch.parent_id.unwrap_or(current.parent_id),
        status: checks.patched("status", patch.status, current.status),
        address: patch.address.unwrap_or_else(|| current.address.clone()),
        latitude: patch.latitude.unwrap_or(current.latitude),
        longitude: patch.longitude.unwrap_or(current.longitude),
        capacity_per_day: patch
            .capacity_per_day
            .unwrap_or(current.capacity_per_day.map(i64::from)),
        opened_on: patch.opened_on.unwrap_or(current.opened_on),
        operator: patch.operator.unwrap_or_else(|| current.operator.clone()),
        accreditation: match patch.accreditation {
            None => current.accreditation(),
            Some(None) => None,
            Some(Some(changes)) => changes.merged(current.accreditation(), checks),
        },
        disciplines: checks.patched("disciplines", patch.disciplines, current_disciplines),
    })
}

pub async fn update(
    pool: &DbPool,
    context: &WriteContext,
    id: LaboratoryId,
    patch: LaboratoryPatch,
    precondition: Precondition,
) -> Result<Laboratory, DomainError> {
    db::write(pool, context, move |conn| {
        let current = repo::find_for_update(conn, id)?
            .ok_or_else(|| DomainError::not_found("laboratory", id))?;
        precondition.check(current.version)?;
        let mut current_disciplines = repo::disciplines::of(conn, id)?;
        current_disciplines.sort();
        let mut checks = Checks::new();
        let mut fields = merge(&current, current_disciplines.clone(), patch, &mut checks)?;
        check_fields(&mut fields, checks)?;

        let current_status = current.status;
        // Restating the current status is not a move, and changes nothing.
        if fields.status != current_status {
            current_status.check_move(fields.status, None)?;
            if fields.status == LaboratoryStatus::Closed {
                refuse_closing_with_equipment(&current)?;
            }
        }
        let country = region_country(conn, fields.region_id)?;
        let region_changed = fields.region_id != current.region_id;
        let kind_changed = fields.kind != current.kind;
        if fields.parent_id != current.parent_id || region_changed || kind_changed {
            db::lock_hierarchy(conn, db::Hierarchy::LaboratoryHubs)?;
        }
        if let Some(parent_id) = fields.parent_id {
            if fields.parent_id != current.parent_id || region_changed {
                check_parent(conn, id, parent_id, &country)?;
            }
        }
        // The laboratories that send samples here must still be able to.
        if kind_changed && fields.kind == LaboratoryKind::CollectionPoint {
            let children = repo::child_count(conn, id)?;
            if children > 0 {
                return Err(DomainError::rule_conflict(format!(
                    "{children} laboratories send samples here; \
                     a collection point cannot be their hub"
                )));
            }
        }
        if region_changed {
            let foreign: Vec<String> = repo::child_countries(conn, id)?
                .into_iter()
                .filter(|c| *c != country)
                .collect();
            if !foreign.is_empty() {
                return Err(DomainError::rule_conflict(format!(
                    "laboratories in {} send samples here; the hub cannot move to {country}",
                    foreign.join(", ")
                )));
            }
        }
        if fields.code != current.code {
            check_code_free(conn, &fields.code, Some(id))?;
        }

        let mut row = row_of(id, &fields, current.created_at, now(), current.version + 1);
        row.equipment_counts = current.equipment_counts.clone();
        let before = Laboratory::from_row(current.clone(), current_disciplines.clone());
        if repo::unchanged(&row, &current) && fields.disciplines == current_disciplines {
            // Nothing changes (e.g. a patch restating the current status).
            return Ok(Change::unchanged(before));
        }
        repo::update_or_stale(conn, &row, current.version, |e| {
            write_error(e, &fields.code)
        })?;
        if fields.disciplines != current_disciplines {
            repo::disciplines::replace(conn, id, &fields.disciplines)?;
        }
        if row.search_text != current.search_text {
            let stale = name_and_code_terms(&current.name, &current.code);
            search::delete_terms(conn, id, current.created_at, &stale)?;
            let fresh = name_and_code_terms(&fields.name, &fields.code);
            search::insert_terms(conn, id, current.created_at, &fresh)?;
        }
        Ok(Change::updated(
            before,
            Laboratory::from_row(row, fields.disciplines),
        ))
    })
    .await?
    .into_after()
}

pub async fn delete(
    pool: &DbPool,
    context: &WriteContext,
    id: LaboratoryId,
    precondition: Precondition,
) -> Result<(), DomainError> {
    delete_resource(
        pool,
        context,
        id,
        precondition,
        repo::find_for_update,
        |conn, id, current| {
            let terms = name_and_code_terms(&current.name, &current.code);
            search::delete_terms(conn, id, current.created_at, &terms)?;
            let mut disciplines = repo::disciplines::of(conn, id)?;
            disciplines.sort();
            repo::delete(conn, id)?;
            Ok(Laboratory::from_row(current, disciplines))
        },
    )
    .await
}

pub async fn list(
    pool: &DbPool,
    filter: LaboratoryFilter,
    sort: Sort<LaboratorySort>,
    page: PageRequest,
) -> Result<(Vec<Laboratory>, Option<String>), DomainError> {
    db::run(pool, move |conn| {
        let subtree_path = match filter.subtree_root {
            Some(root) => match crate::regions::service::path_of(conn, root)? {
                Some(path) => Some(path),
                // An unknown region has no laboratories, like an unknown id in `region_id`.
                None => return Ok((Vec::new(), None)),
            },
            None => None,
        };
        if let Some(near) = filter.near {
            return list_near(conn, &filter, subtree_path.as_deref(), near, &page);
        }
        let rows = match filter.bbox {
            Some(bbox) if filter.is_bbox_only() && sort.field == LaboratorySort::CreatedAt => {
                repo::list_in_box(conn, bbox, sort, &page)?
            }
            _ => repo::list(conn, &filter, subtree_path.as_deref(), sort, &page)?,
        };
        let (rows, token) = finish_page(rows, &page, |row| LaboratorySort::cursor(sort, row));
        let items = repo::disciplines::attach(conn, rows, |row: &LaboratoryRow| row.id)?;
        Ok((items, token))
    })
    .await
}

/// A page of the laboratories near a point, nearest first, each with its distance. The page
/// token carries the last distance exactly, and the point and radius in its name.
fn list_near(
    conn: &mut DbConn,
    filter: &LaboratoryFilter,
    subtree_path: Option<&str>,
    near: Near,
    page: &PageRequest,
) -> Result<(Vec<Laboratory>, Option<String>), DomainError> {
    let after = match &page.after {
        Some(cursor) => {
            let key: f64 = cursor.key_text()?.parse().map_err(|_| {
                DomainError::bad_parameter("page_token", "invalid", "the page token is malformed")
            })?;
            Some((key, LaboratoryId(cursor.id)))
        }
        None => None,
    };
    // The page is looked for in a growing circle, from the last distance of the previous
    // page: a ring that holds the page holds exactly its nearest laboratories, and reading
    // it costs what it holds, so a page costs about the same in a sparse registry and in a
    // dense one (docs/performance.md). Each ring is sized from what the last one found.
    // Where the whole circle holds few laboratories (an index-only count says), it is read
    // at once.
    let needed = usize::try_from(page.fetch_limit()).unwrap_or(usize::MAX);
    let few = page.fetch_limit().saturating_mul(FEW_PER_PAGE_ROW);
    let in_circle_box = repo::count_in_box(conn, repo::circle_box(near, near.radius_km), few)?;
    let from = after.map_or(0.0, |(key, _)| key);
    let reach = if (in_circle_box as i64) < few {
        near.radius_km
    } else {
        (from + (near.radius_km / 8.0).min(FIRST_RING_KM)).min(near.radius_km)
    };
    let rows = if filter.is_near_only() {
        // Filtered by nothing else: each ring's ids come from the cell index alone, and
        // only the page's rows are read, once.
        let nearest = in_rings(near, from, reach, needed, |reach| {
            repo::nearest_ids(conn, near, after, reach, page)
        })?;
        repo::rows_in_order(conn, nearest)?
    } else {
        in_rings(near, from, reach, needed, |reach| {
            repo::list_near(conn, filter, subtree_path, near, after, reach, page)
        })?
    };
    let token_name = near.token_name();
    let (rows, token) = finish_page(rows, page, |(row, distance)| {
        Cursor::new(
            &token_name,
            Some(SortKey::Text(format!("{distance:?}"))),
            row.id.0,
        )
    });
    let distances: HashMap<LaboratoryId, f64> = rows
        .iter()
        .map(|(row, distance)| (row.id, *distance))
        .collect();
    let rows: Vec<LaboratoryRow> = rows.into_iter().map(|(row, _)| row).collect();
    let mut items: Vec<Laboratory> =
        repo::disciplines::attach(conn, rows, |row: &LaboratoryRow| row.id)?;
    for item in &mut items {
        item.distance_km = distances
            .get(&item.id)
            .map(|km| (km * 1000.0).round() / 1000.0);
    }
    Ok((items, token))
}

/// A laboratory is not closed while units are installed there that are not decommissioned:
/// they would be in service at a closed place. The counts on its row are exactly those
/// units, kept under the row lock this write holds.
fn refuse_closing_with_equipment(current: &LaboratoryRow) -> Result<(), DomainError> {
    let counts: std::collections::BTreeMap<String, i64> =
        serde_json::from_str(&current.equipment_counts).unwrap_or_default();
    let units: i64 = counts.values().sum();
    if units > 0 {
        return Err(DomainError::rule_conflict(format!(
            "{units} equipment units here are not decommissioned; decommission them or move \
             them to another laboratory before closing it"
        )));
    }
    Ok(())
}

/// The widest first ring of a `near` search, in kilometres (an eighth of the radius when
/// that is less).
const FIRST_RING_KM: f64 = 5.0;

/// A circle whose box holds fewer laboratories than this many times the page's rows is read
/// whole, in one ring: reading them all costs less than a second query.
const FEW_PER_PAGE_ROW: i64 = 8;

/// Most rings one `near` page is looked for in; the last reaches the whole radius.
const MAX_RINGS: u32 = 8;

/// What `read` finds in the first ring (from `from` to `reach` kilometres) that holds
/// `needed` laboratories, or in the whole circle.
fn in_rings<T>(
    near: Near,
    from: f64,
    mut reach: f64,
    needed: usize,
    mut read: impl FnMut(f64) -> Result<Vec<T>, DomainError>,
) -> Result<Vec<T>, DomainError> {
    let mut rings = 1;
    loop {
        let found = read(reach)?;
        if found.len() >= needed || reach >= near.radius_km {
            return Ok(found);
        }
        rings += 1;
        reach = if rings >= MAX_RINGS {
            near.radius_km
        } else {
            wider_reach(from, reach, found.len(), needed).min(near.radius_km)
        };
    }
}

/// How far the next ring reaches, when the ring from `from` to `reach` kilometres held
/// `found` laboratories and the page needs `needed`: wide enough that, at the density seen,
/// it holds about twice what is needed (at least twice the area, at most 64 times; 16 times
/// when nothing was found).
fn wider_reach(from: f64, reach: f64, found: usize, needed: usize) -> f64 {
    let growth = if found == 0 {
        16.0
    } else {
        (2.0 * needed as f64 / found as f64).clamp(2.0, 64.0)
    };
    (from * from + (reach * reach - from * from) * growth).sqrt()
}

// A laboratory lies in its region; linking it to a hub also writes in the hub's region.
crate::audited!(Laboratory as "laboratory", |laboratory, conn| {
    let mut places = vec![Place::Region(laboratory.region_id)];
    if let Some(hub) = laboratory.parent_id {
        if let Some(hub) = repo::find(conn, hub)? {
            places.push(Place::Region(hub.region_id));
        }
    }
    Ok(places)
});
