//! Rules for installed units: validation, the model, laboratory and supplier they refer to,
//! the serial number unique per model, the status moves, and the laboratories whose unit
//! counts a write changes.

use chrono::NaiveDate;

use super::model::{
    EquipmentUnit, EquipmentUnitCreate, EquipmentUnitFilter, EquipmentUnitId, EquipmentUnitPatch,
    EquipmentUnitRow, EquipmentUnitSort, EquipmentUnitStatus,
};
use super::repo;
use crate::core::context::WriteContext;
use crate::core::error::DomainError;
use crate::core::ids::ResourceId;
use crate::core::paging::{PageRequest, Sort};
use crate::core::precondition::Precondition;
use crate::core::resource::FromRow;
use crate::core::states::StateMachine;
use crate::core::time::{now, Timestamp};
use crate::db::audit::{Change, Place};
use crate::db::errors::unique_or;
use crate::db::rows::{delete_guarded, get_resource, list_page, without_children};
use crate::db::{self, DbConn, DbPool};
use crate::equipment_models::model::EquipmentModelId;
use crate::laboratories::model::{LaboratoryId, LaboratoryStatus};
use crate::validation::{code_key, Checks};
use crate::vendors::model::VendorId;

pub const MAX_SERIAL_LENGTH: usize = 100;
const MAX_SUPPLIER_LENGTH: usize = 300;

fn serial_taken(owner: Option<EquipmentUnitId>, serial: &str) -> DomainError {
    DomainError::taken(
        "equipment unit",
        "serial_number",
        owner.map(|id| id.0),
        format!("the serial number `{serial}` for this model (compared ignoring case)"),
    )
}

/// The fields a client controls, checked.
#[derive(Clone)]
struct UnitFields {
    equipment_model_id: EquipmentModelId,
    laboratory_id: LaboratoryId,
    serial_number: String,
    installed_on: Option<NaiveDate>,
    status: EquipmentUnitStatus,
    supplier_vendor_id: Option<VendorId>,
    supplier_name: Option<String>,
}

/// Trims and checks every field at once, naming each invalid one (422).
fn checked(fields: UnitFields, mut checks: Checks) -> Result<UnitFields, DomainError> {
    let serial_number = checks.text("serial_number", &fields.serial_number, MAX_SERIAL_LENGTH);
    let supplier_name = checks.optional_text(
        "supplier_name",
        fields.supplier_name.as_deref(),
        MAX_SUPPLIER_LENGTH,
    );
    checks.date("installed_on", fields.installed_on);
    if fields.supplier_vendor_id.is_some() && supplier_name.is_some() {
        checks.push(
            "supplier_name",
            "invalid",
            "a unit is supplied by a vendor of the registry (`supplier_vendor_id`) or by a \
             distributor named here, not both",
        );
    }
    checks.finish()?;
    Ok(UnitFields {
        serial_number,
        supplier_name,
        ..fields
    })
}

/// The model, the laboratory (not closed) and the supplying vendor must exist (422).
fn check_references(
    conn: &mut DbConn,
    fields: &UnitFields,
    current: Option<&EquipmentUnitRow>,
) -> Result<(), DomainError> {
    let mut checks = Checks::new();
    let changed = |same: bool| current.is_none() || !same;
    if changed(current.is_some_and(|c| c.equipment_model_id == fields.equipment_model_id))
        && !crate::equipment_models::repo::exists(conn, fields.equipment_model_id)?
    {
        checks.push(
            "equipment_model_id",
            "not_found",
            format!(
                "equipment model {} does not exist",
                fields.equipment_model_id
            ),
        );
    }
    if changed(current.is_some_and(|c| c.laboratory_id == fields.laboratory_id)) {
        match crate::laboratories::repo::find(conn, fields.laboratory_id)? {
            None => checks.push(
                "laboratory_id",
                "not_found",
                format!("laboratory {} does not exist", fields.laboratory_id),
            ),
            Some(lab) if lab.status == LaboratoryStatus::Closed => checks.push(
                "laboratory_id",
                "invalid",
                format!(
                    "laboratory {} is closed; equipment is not installed there",
                    lab.code
                ),
            ),
            Some(_) => {}
        }
    }
    if let Some(vendor) = fields.supplier_vendor_id {
        if changed(current.is_some_and(|c| c.supplier_vendor_id == Some(vendor)))
            && !crate::vendors::repo::exists(conn, vendor)?
        {
            checks.push(
                "supplier_vendor_id",
                "not_found",
                format!("vendor {vendor} does not exist"),
            );
        }
    }
    checks.finish()
}

/// The row of `fields`; refuses a serial number another unit of the model holds.
fn row_of(
    conn: &mut DbConn,
    id: EquipmentUnitId,
    fields: UnitFields,
    (created_at, updated_at, version): (Timestamp, Timestamp, i64),
) -> Result<EquipmentUnitRow, DomainError> {
    let serial_key = code_key(&fields.serial_number);
    if let Some(owner) = repo::serial_owner(conn, fields.equipment_model_id, &serial_key, Some(id))?
    {
        return Err(serial_taken(Some(owner), &fields.serial_number));
    }
    Ok(EquipmentUnitRow {
        id,
        equipment_model_id: fields.equipment_model_id,
        laboratory_id: fields.laboratory_id,
        serial_number: fields.serial_number,
        serial_key,
        installed_on: fields.installed_on,
        status: fields.status,
        supplier_vendor_id: fields.supplier_vendor_id,
        supplier_name: fields.supplier_name,
        created_at,
        updated_at,
        version,
    })
}

/// What a unit adds to a laboratory's counts: the laboratory and the model, while counted.
fn counted_at(row: &EquipmentUnitRow) -> Option<(LaboratoryId, EquipmentModelId)> {
    repo::counted(row.status).then_some((row.laboratory_id, row.equipment_model_id))
}

/// Recounts every laboratory whose unit counts the write changes.
fn touch_counts(
    conn: &mut DbConn,
    context: &WriteContext,
    before: Option<&EquipmentUnitRow>,
    after: Option<&EquipmentUnitRow>,
) -> Result<(), DomainError> {
    let (was, is) = (before.and_then(counted_at), after.and_then(counted_at));
    if was == is {
        return Ok(());
    }
    let mut laboratories: Vec<LaboratoryId> =
        was.into_iter().chain(is).map(|(lab, _)| lab).collect();
    // Always in id order, so that two writes moving units between the same laboratories
    // lock them in the same order.
    laboratories.sort();
    laboratories.dedup();
    for laboratory in laboratories {
        recount(conn, context, laboratory)?;
    }
    Ok(())
}

/// Counts the laboratory's units again and stores the counts on it when they changed. The
/// laboratory's row is locked first, so that two unit writes at one laboratory count one
/// after the other, each seeing the other's unit (PostgreSQL counts in a fresh snapshot
/// once the lock is held; SQLite's writes run one at a time).
///
/// The new counts are a change of the laboratory, recorded as the caller's in its trail and
/// the change feed, so that a client following the feed sees them (and the new version).
pub fn recount(
    conn: &mut DbConn,
    context: &WriteContext,
    laboratory: LaboratoryId,
) -> Result<(), DomainError> {
    use crate::laboratories::{
        model::{Laboratory, LaboratoryRow},
        repo as laboratories,
    };
    let Some(current) = laboratories::find_for_update(conn, laboratory)? else {
        return Ok(());
    };
    let counts = repo::counts_by_category(conn, &[laboratory])?
        .remove(&laboratory)
        .unwrap_or_default();
    let counts = serde_json::to_string(&counts)
        .map_err(|e| DomainError::internal(format!("cannot serialize unit counts: {e}")))?;
    if counts == current.equipment_counts {
        return Ok(());
    }
    // The row as the update leaves it (the write holds its lock): not read again.
    let counted = LaboratoryRow {
        equipment_counts: counts,
        version: current.version + 1,
        updated_at: now(),
        ..current.clone()
    };
    laboratories::set_equipment_counts(
        conn,
        laboratory,
        &counted.equipment_counts,
        counted.updated_at,
    )?;
    let mut disciplines = laboratories::disciplines::of(conn, laboratory)?;
    disciplines.sort();
    let change = Change::updated(
        Laboratory::from_row(current, disciplines.clone()),
        Laboratory::from_row(counted, disciplines),
    );
    db::audit::record(conn, context, &change)
}

/// Recounts the laboratories holding units of a model whose category changed.
pub fn recount_model(
    conn: &mut DbConn,
    context: &WriteContext,
    model: EquipmentModelId,
) -> Result<(), DomainError> {
    for laboratory in repo::laboratories_of_model(conn, model)? {
        recount(conn, context, laboratory)?;
    }
    Ok(())
}

pub async fn create(
    pool: &DbPool,
    context: &WriteContext,
    input: EquipmentUnitCreate,
) -> Result<EquipmentUnit, DomainError> {
    let mut checks = Checks::new();
    let status = input.status.unwrap_or(EquipmentUnitStatus::InService);
    if status == EquipmentUnitStatus::Decommissioned {
        checks.push(
            "status",
            "invalid",
            "a unit is installed `in_service` or `maintenance`, not `decommissioned`",
        );
    }
    let fields = checked(
        UnitFields {
            equipment_model_id: input.equipment_model_id,
            laboratory_id: input.laboratory_id,
            serial_number: input.serial_number,
            installed_on: input.installed_on,
            status,
            supplier_vendor_id: input.supplier_vendor_id,
            supplier_name: input.supplier_name,
        },
        checks,
    )?;
    let recorder = context.clone();
    db::write(pool, context, move |conn| {
        check_references(conn, &fields, None)?;
        let at = now();
        let row = row_of(conn, EquipmentUnitId::generate(), fields, (at, at, 1))?;
        repo::insert(conn, &row)
            .map_err(|e| unique_or(e, || serial_taken(None, &row.serial_number)))?;
        touch_counts(conn, &recorder, None, Some(&row))?;
        Ok(Change::created(EquipmentUnit::from_row(row, ())))
    })
    .await?
    .into_after()
}

pub async fn get(pool: &DbPool, id: EquipmentUnitId) -> Result<EquipmentUnit, DomainError> {
    get_resource(pool, id, repo::find).await
}

pub async fn list(
    pool: &DbPool,
    filter: EquipmentUnitFilter,
    sort: Sort<EquipmentUnitSort>,
    page: PageRequest,
) -> Result<(Vec<EquipmentUnit>, Option<String>), DomainError> {
    list_page(pool, filter, sort, page, repo::list, without_children).await
}

pub async fn update(
    pool: &DbPool,
    context: &WriteContext,
    id: EquipmentUnitId,
    patch: EquipmentUnitPatch,
    precondition: Precondition,
) -> Result<EquipmentUnit, DomainError> {
    let recorder = context.clone();
    db::write(pool, context, move |conn| {
        let current = repo::current(conn, id, &precondition)?;
        let mut checks = Checks::new();
        let fields = UnitFields {
            equipment_model_id: checks.patched(
                "equipment_model_id",
                patch.equipment_model_id,
                current.equipment_model_id,
            ),
            laboratory_id: checks.patched(
                "laboratory_id",
                patch.laboratory_id,
                current.laboratory_id,
            ),
            serial_number: checks.patched(
                "serial_number",
                patch.serial_number,
                current.serial_number.clone(),
            ),
            installed_on: patch.installed_on.unwrap_or(current.installed_on),
            status: checks.patched("status", patch.status, current.status),
            supplier_vendor_id: patch
                .supplier_vendor_id
                .unwrap_or(current.supplier_vendor_id),
            supplier_name: patch
                .supplier_name
                .unwrap_or_else(|| current.supplier_name.clone()),
        };
        let fields = checked(fields, checks)?;
        // Restating the current status is not a move.
        if fields.status != current.status {
            current.status.check_move(fields.status, None)?;
        }
        check_references(conn, &fields, Some(&current))?;
        let row = row_of(
            conn,
            id,
            fields,
            (current.created_at, now(), current.version + 1),
        )?;
        if repo::unchanged(&row, &current) {
            return Ok(Change::unchanged(EquipmentUnit::from_row(current, ())));
        }
        repo::update_or_stale(conn, &row, current.version, |e| {
            unique_or(e, || serial_taken(None, &row.serial_number))
        })?;
        touch_counts(conn, &recorder, Some(&current), Some(&row))?;
        Ok(Change::updated(
            EquipmentUnit::from_row(current, ()),
            EquipmentUnit::from_row(row, ()),
        ))
    })
    .await?
    .into_after()
}

/// The last step of a unit's delete: the row goes, and its laboratory's counts change.
fn remove(
    conn: &mut DbConn,
    context: &WriteContext,
    id: EquipmentUnitId,
    row: EquipmentUnitRow,
) -> Result<EquipmentUnit, DomainError> {
    repo::delete(conn, id)?;
    touch_counts(conn, context, Some(&row), None)?;
    Ok(EquipmentUnit::from_row(row, ()))
}

pub async fn delete(
    pool: &DbPool,
    context: &WriteContext,
    id: EquipmentUnitId,
    precondition: Precondition,
) -> Result<(), DomainError> {
    let recorder = context.clone();
    db::write(pool, context, move |conn| {
        delete_guarded(
            conn,
            id,
            &precondition,
            repo::find_for_update,
            |conn, id, row| remove(conn, &recorder, id, row),
        )
    })
    .await
    .map(|_| ())
}

// A unit lies in its laboratory's region.
crate::audited!(EquipmentUnit as "equipment_unit", |unit, conn| {
    let laboratory = crate::laboratories::repo::find(conn, unit.laboratory_id)?;
    Ok(vec![match laboratory {
        Some(laboratory) => Place::Region(laboratory.region_id),
        None => Place::Nowhere,
    }])
});

/// A page of the units at one laboratory (404 when it does not exist).
pub async fn list_at(
    pool: &DbPool,
    laboratory: LaboratoryId,
    mut filter: EquipmentUnitFilter,
    sort: Sort<EquipmentUnitSort>,
    page: PageRequest,
) -> Result<(Vec<EquipmentUnit>, Option<String>), DomainError> {
    filter.laboratory_ids = Some(match filter.laboratory_ids.take() {
        // A unit at this laboratory, and in the list asked for.
        Some(asked) => asked.into_iter().filter(|id| *id == laboratory).collect(),
        None => vec![laboratory],
    });
    db::run(pool, move |conn| {
        if !crate::laboratories::repo::exists(conn, laboratory)? {
            return Err(laboratory.not_found());
        }
        let rows = if filter.laboratory_ids.as_ref().is_some_and(Vec::is_empty) {
            Vec::new()
        } else {
            repo::list(conn, &filter, sort, &page)?
        };
        let (rows, token) = crate::core::paging::finish_page(rows, &page, |row| {
            EquipmentUnitSort::cursor(sort, row)
        });
        Ok((
            rows.into_iter()
                .map(|row| EquipmentUnit::from_row(row, ()))
                .collect(),
            token,
        ))
    })
    .await
}
