use chrono::NaiveDate;
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::core::paging::{TextKey, TimestampKey};
use crate::core::states::{StateMachine, Target};
use crate::core::time::Timestamp;
use crate::equipment_models::model::{EquipmentCategory, EquipmentModelId};
use crate::laboratories::model::LaboratoryId;
use crate::regions::model::RegionId;
use crate::schema::equipment_units;
use crate::validation::{members, merge_patch_field};
use crate::vendors::model::VendorId;
use crate::{define_id, define_page, text_enum};

define_id!(EquipmentUnitId, "equipment unit");

text_enum!(
    /// Where an installed unit stands. Allowed moves (`PATCH` of `status`):
    ///
    /// {moves:EquipmentUnitStatus}
    ///
    /// Sending the current status changes nothing.
    EquipmentUnitStatus {
        InService => "in_service",
        Maintenance => "maintenance",
        Decommissioned => "decommissioned",
    }
);

impl StateMachine for EquipmentUnitStatus {
    const MOVES: &'static [(Self, &'static [Target<Self>])] = {
        use EquipmentUnitStatus::*;
        use Target::State;
        &[
            (InService, &[State(Maintenance), State(Decommissioned)]),
            (Maintenance, &[State(InService), State(Decommissioned)]),
            (Decommissioned, &[]),
        ]
    };

    fn refusal(from: Self, to: Self, _allowed: &[Self], _remembered: Option<Self>) -> String {
        match from {
            Self::Decommissioned => {
                format!("cannot move from `decommissioned` to `{to}`: decommissioning is final")
            }
            _ => format!("cannot move from `{from}` to `{to}`"),
        }
    }
}

crate::document_moves!(EquipmentUnitStatus);

/// An `equipment_units` row.
#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Insertable, AsChangeset)]
#[diesel(table_name = equipment_units, treat_none_as_null = true, treat_none_as_default_value = false)]
pub struct EquipmentUnitRow {
    pub id: EquipmentUnitId,
    pub equipment_model_id: EquipmentModelId,
    pub laboratory_id: LaboratoryId,
    pub serial_number: String,
    /// `code_key(serial_number)`: unique per model.
    pub serial_key: String,
    pub installed_on: Option<NaiveDate>,
    pub status: EquipmentUnitStatus,
    pub supplier_vendor_id: Option<VendorId>,
    pub supplier_name: Option<String>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    pub version: i64,
}

/// A unit of an equipment model installed at a laboratory.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[schema(example = json!({
    "id": "0193a0f4-9b20-7c3d-9a10-2b3c4d5e6f02",
    "equipment_model_id": "0193a0f4-9a10-7c3d-9a10-2b3c4d5e6f01",
    "laboratory_id": "0193a0f4-6c1d-7c3d-9a10-2b3c4d5e6f80",
    "serial_number": "MR-24-001873",
    "installed_on": "2026-03-15",
    "status": "in_service",
    "supplier_vendor_id": null,
    "supplier_name": "Медтехника",
    "created_at": "2026-03-15T10:00:00Z",
    "updated_at": "2026-03-15T10:00:00Z",
    "version": 1
}))]
pub struct EquipmentUnit {
    pub id: EquipmentUnitId,
    /// The model the unit is of.
    pub equipment_model_id: EquipmentModelId,
    /// The laboratory the unit is installed at.
    pub laboratory_id: LaboratoryId,
    /// The maker's serial number; unique per model regardless of case.
    #[schema(min_length = 1, max_length = 100, example = "MR-24-001873")]
    pub serial_number: String,
    /// When the unit was installed; `null` when unknown.
    #[schema(required = true, example = "2026-03-15")]
    pub installed_on: Option<NaiveDate>,
    pub status: EquipmentUnitStatus,
    /// The vendor that supplied the unit, when it is one of the registry's vendors; `null`
    /// otherwise.
    #[schema(required = true)]
    pub supplier_vendor_id: Option<VendorId>,
    /// The distributor that supplied the unit, by name, when it is not a vendor of the
    /// registry; `null` otherwise. At most one of `supplier_vendor_id` and `supplier_name` is
    /// set.
    #[schema(
        required = true,
        min_length = 1,
        max_length = 300,
        example = "Медтехника"
    )]
    pub supplier_name: Option<String>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    /// Grows with every change; the ETag is derived from it.
    #[schema(minimum = 1, example = 1)]
    pub version: i64,
}

crate::from_row_fields!(EquipmentUnit from EquipmentUnitRow {
    id, equipment_model_id, laboratory_id, serial_number, installed_on, status,
    supplier_vendor_id, supplier_name, created_at, updated_at, version
});

/// The body that installs a unit.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "equipment_model_id": "0193a0f4-9a10-7c3d-9a10-2b3c4d5e6f01",
    "laboratory_id": "0193a0f4-6c1d-7c3d-9a10-2b3c4d5e6f80",
    "serial_number": "MR-24-001873",
    "installed_on": "2026-03-15",
    "supplier_name": "Медтехника"
}))]
pub struct EquipmentUnitCreate {
    /// An existing equipment model.
    pub equipment_model_id: EquipmentModelId,
    /// An existing laboratory that is not `closed`.
    pub laboratory_id: LaboratoryId,
    /// At most 100 characters, unique per model regardless of case (409 otherwise);
    /// trimmed, must not be blank.
    #[schema(min_length = 1, max_length = 100, example = "MR-24-001873")]
    pub serial_number: String,
    /// YYYY-MM-DD, years 1900–2200; absent or `null` when unknown.
    #[serde(default, deserialize_with = "members::optional_date")]
    #[schema(value_type = Option<NaiveDate>, example = "2026-03-15")]
    pub installed_on: Option<NaiveDate>,
    /// `in_service` (the default when absent or `null`) or `maintenance`; a unit is not
    /// installed `decommissioned` (422).
    #[serde(default)]
    pub status: Option<EquipmentUnitStatus>,
    /// An existing vendor that supplied the unit; not together with `supplier_name` (422).
    #[serde(default)]
    pub supplier_vendor_id: Option<VendorId>,
    /// The distributor that supplied the unit, at most 300 characters; not together with
    /// `supplier_vendor_id` (422); trimmed, and a blank one is stored as `null`.
    #[serde(default)]
    #[schema(max_length = 300, example = "Медтехника")]
    pub supplier_name: Option<String>,
}

/// A JSON Merge Patch of a unit: absent members stay; `null` clears `installed_on`,
/// `supplier_vendor_id` or `supplier_name`; the other members cannot be `null` (422).
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"status": "maintenance"}))]
pub struct EquipmentUnitPatch {
    /// An existing equipment model; the serial number must be free for it.
    #[serde(default, deserialize_with = "merge_patch_field")]
    #[schema(value_type = EquipmentModelId, required = false)]
    pub equipment_model_id: Option<Option<EquipmentModelId>>,
    /// Moves the unit to another existing laboratory that is not `closed`.
    #[serde(default, deserialize_with = "merge_patch_field")]
    #[schema(value_type = LaboratoryId, required = false)]
    pub laboratory_id: Option<Option<LaboratoryId>>,
    /// At most 100 characters, unique per model regardless of case.
    #[serde(default, deserialize_with = "merge_patch_field")]
    #[schema(value_type = String, required = false, min_length = 1, max_length = 100, example = "MR-24-001873")]
    pub serial_number: Option<Option<String>>,
    /// YYYY-MM-DD, years 1900–2200; `null` clears it.
    #[serde(default, deserialize_with = "members::merge_patch_date")]
    #[schema(value_type = Option<NaiveDate>, nullable, example = "2026-03-15")]
    pub installed_on: Option<Option<NaiveDate>>,
    /// A move along `EquipmentUnitStatus`'s table (409 otherwise).
    #[serde(default, deserialize_with = "merge_patch_field")]
    #[schema(value_type = EquipmentUnitStatus, required = false)]
    pub status: Option<Option<EquipmentUnitStatus>>,
    /// An existing vendor; `null` clears it. Not together with a `supplier_name` (422).
    #[serde(default, deserialize_with = "merge_patch_field")]
    #[schema(value_type = Option<VendorId>, nullable)]
    pub supplier_vendor_id: Option<Option<VendorId>>,
    /// At most 300 characters; `null` (or a blank one) clears it. Not together with a
    /// `supplier_vendor_id` (422).
    #[serde(default, deserialize_with = "merge_patch_field")]
    #[schema(value_type = Option<String>, nullable, max_length = 300, example = "Медтехника")]
    pub supplier_name: Option<Option<String>>,
}

define_page!(
    EquipmentUnitPage,
    EquipmentUnit,
    "A page of installed equipment units."
);

crate::sort_fields! {
    /// Fields a unit list can be sorted by.
    pub enum EquipmentUnitSort for EquipmentUnitRow in equipment_units, id EquipmentUnitId,
        default CreatedAt {
        SerialNumber = "serial_number" => TextKey, equipment_units::serial_number, |row| row.serial_number.clone();
        CreatedAt = "created_at" => TimestampKey, equipment_units::created_at, |row| row.created_at;
        UpdatedAt = "updated_at" => TimestampKey, equipment_units::updated_at, |row| row.updated_at;
    }
}

/// Filters of a unit list (already parsed).
#[derive(Debug, Clone, Default)]
pub struct EquipmentUnitFilter {
    pub laboratory_ids: Option<Vec<LaboratoryId>>,
    pub equipment_model_ids: Option<Vec<EquipmentModelId>>,
    pub statuses: Option<Vec<EquipmentUnitStatus>>,
    pub supplier_vendor_ids: Option<Vec<VendorId>>,
    /// Units of models of these vendors.
    pub vendor_ids: Option<Vec<VendorId>>,
    /// Units of models of these categories.
    pub categories: Option<Vec<EquipmentCategory>>,
    /// Units at laboratories of these regions.
    pub region_ids: Option<Vec<RegionId>>,
    /// `code_key` of a serial number to match exactly.
    pub serial_key: Option<String>,
}
