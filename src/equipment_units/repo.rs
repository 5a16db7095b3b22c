//! SQL for installed equipment units, and the unit counts a laboratory shows.

use std::collections::{BTreeMap, HashMap};

use diesel::prelude::*;

use super::model::{
    EquipmentUnitFilter, EquipmentUnitId, EquipmentUnitRow, EquipmentUnitSort, EquipmentUnitStatus,
};
use crate::core::error::DomainError;
use crate::core::paging::{PageRequest, Sort};
use crate::db::{DbConn, MultiBackend};
use crate::equipment_models::model::{EquipmentCategory, EquipmentModelId};
use crate::laboratories::model::LaboratoryId;
use crate::schema::{equipment_models, equipment_units, laboratories};
use crate::vendors::model::VendorId;

crate::stored_rows!(equipment_units: EquipmentUnitRow by EquipmentUnitId; insert, delete);
crate::refers_to!(equipment_units.equipment_model_id -> EquipmentModelId as "equipment units");
crate::refers_to!(equipment_units.laboratory_id -> LaboratoryId as "equipment units");
crate::refers_to!(equipment_units.supplier_vendor_id -> VendorId as "equipment units (as supplier)");

/// The unit of `model_id` holding the serial key, other than `except`.
pub fn serial_owner(
    conn: &mut DbConn,
    model_id: EquipmentModelId,
    serial_key: &str,
    except: Option<EquipmentUnitId>,
) -> QueryResult<Option<EquipmentUnitId>> {
    let mut query = equipment_units::table
        .filter(equipment_units::equipment_model_id.eq(model_id))
        .filter(equipment_units::serial_key.eq(serial_key))
        .select(equipment_units::id)
        .into_boxed::<MultiBackend>();
    if let Some(id) = except {
        query = query.filter(equipment_units::id.ne(id));
    }
    query.first(conn).optional()
}

/// The units a laboratory counts: those not decommissioned.
const COUNTED: [EquipmentUnitStatus; 2] = [
    EquipmentUnitStatus::InService,
    EquipmentUnitStatus::Maintenance,
];

/// Whether a unit in `status` counts on its laboratory.
pub fn counted(status: EquipmentUnitStatus) -> bool {
    COUNTED.contains(&status)
}

/// The counted units of each laboratory by their model's category, in one grouped query.
pub fn counts_by_category(
    conn: &mut DbConn,
    laboratory_ids: &[LaboratoryId],
) -> QueryResult<HashMap<LaboratoryId, BTreeMap<EquipmentCategory, i64>>> {
    let mut counts: HashMap<LaboratoryId, BTreeMap<EquipmentCategory, i64>> = HashMap::new();
    if laboratory_ids.is_empty() {
        return Ok(counts);
    }
    let rows: Vec<(LaboratoryId, EquipmentCategory, i64)> = equipment_units::table
        .inner_join(equipment_models::table)
        .filter(equipment_units::laboratory_id.eq_any(laboratory_ids))
        .filter(equipment_units::status.eq_any(COUNTED))
        .group_by((equipment_units::laboratory_id, equipment_models::category))
        .select((
            equipment_units::laboratory_id,
            equipment_models::category,
            diesel::dsl::count_star(),
        ))
        .load(conn)?;
    for (laboratory, category, count) in rows {
        counts
            .entry(laboratory)
            .or_default()
            .insert(category, count);
    }
    Ok(counts)
}

/// The laboratories holding counted units of the model.
pub fn laboratories_of_model(
    conn: &mut DbConn,
    model: EquipmentModelId,
) -> QueryResult<Vec<LaboratoryId>> {
    equipment_units::table
        .filter(equipment_units::equipment_model_id.eq(model))
        .filter(equipment_units::status.eq_any(COUNTED))
        .select(equipment_units::laboratory_id)
        .distinct()
        .order(equipment_units::laboratory_id.asc())
        .load(conn)
}

pub fn list(
    conn: &mut DbConn,
    filter: &EquipmentUnitFilter,
    sort: Sort<EquipmentUnitSort>,
    page: &PageRequest,
) -> Result<Vec<EquipmentUnitRow>, DomainError> {
    let mut query = equipment_units::table
        .select(columns())
        .into_boxed::<MultiBackend>();
    if let Some(ids) = &filter.laboratory_ids {
        crate::filter_any_of!(query, equipment_units::laboratory_id, ids.clone());
    }
    if let Some(ids) = &filter.equipment_model_ids {
        crate::filter_any_of!(query, equipment_units::equipment_model_id, ids.clone());
    }
    if let Some(statuses) = &filter.statuses {
        crate::filter_any_of!(query, equipment_units::status, statuses.clone());
    }
    if let Some(ids) = &filter.supplier_vendor_ids {
        crate::filter_any_of!(query, equipment_units::supplier_vendor_id, ids.clone());
    }
    if let Some(key) = &filter.serial_key {
        query = query.filter(equipment_units::serial_key.eq(key.clone()));
    }
    // Boxed subqueries cannot be nested on the two-backend connection: one `IN` each.
    if let Some(ids) = &filter.vendor_ids {
        let models = equipment_models::table
            .filter(equipment_models::vendor_id.eq_any(ids.clone()))
            .select(equipment_models::id);
        query = query.filter(equipment_units::equipment_model_id.eq_any(models));
    }
    if let Some(categories) = &filter.categories {
        let models = equipment_models::table
            .filter(equipment_models::category.eq_any(categories.clone()))
            .select(equipment_models::id);
        query = query.filter(equipment_units::equipment_model_id.eq_any(models));
    }
    if let Some(ids) = &filter.region_ids {
        let labs = laboratories::table
            .filter(laboratories::region_id.eq_any(ids.clone()))
            .select(laboratories::id);
        query = query.filter(equipment_units::laboratory_id.eq_any(labs));
    }
    let query = EquipmentUnitSort::apply(sort, query, page.after.as_ref())?;
    Ok(query.limit(page.fetch_limit()).load(conn)?)
}
