use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::core::paging::{TextKey, TimestampKey};
use crate::core::time::Timestamp;
use crate::localizations::model::LocalizationId;
use crate::schema::equipment_models;
use crate::validation::merge_patch_field;
use crate::vendors::model::VendorId;
use crate::{define_id, define_page, text_enum};

define_id!(EquipmentModelId, "equipment model");

text_enum!(
    /// What kind of equipment a model is: an analyzer (`clinical_chemistry_analyzer`,
    /// `hematology_analyzer`, `immunoassay_analyzer`, `coagulation_analyzer`,
    /// `urinalysis_analyzer`, `microbiology_analyzer`, `pcr_analyzer`), sample handling
    /// (`sample_handling`, `automation_line`) or imaging (`xray`, `ct`, `mri`, `ultrasound`).
    EquipmentCategory {
        ClinicalChemistryAnalyzer => "clinical_chemistry_analyzer",
        HematologyAnalyzer => "hematology_analyzer",
        ImmunoassayAnalyzer => "immunoassay_analyzer",
        CoagulationAnalyzer => "coagulation_analyzer",
        UrinalysisAnalyzer => "urinalysis_analyzer",
        MicrobiologyAnalyzer => "microbiology_analyzer",
        PcrAnalyzer => "pcr_analyzer",
        SampleHandling => "sample_handling",
        AutomationLine => "automation_line",
        Xray => "xray",
        Ct => "ct",
        Mri => "mri",
        Ultrasound => "ultrasound",
    }
);

/// An `equipment_models` row.
#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Insertable, AsChangeset)]
#[diesel(table_name = equipment_models, treat_none_as_null = true, treat_none_as_default_value = false)]
pub struct EquipmentModelRow {
    pub id: EquipmentModelId,
    pub vendor_id: VendorId,
    pub name: String,
    pub model_code: String,
    /// `code_key(model_code)`: unique per vendor.
    pub model_code_key: String,
    /// The `q` search column over the name's and the code's words.
    pub search_text: String,
    pub category: EquipmentCategory,
    pub localization_id: Option<LocalizationId>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    pub version: i64,
}

/// A model of equipment a vendor makes.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[schema(example = json!({
    "id": "0193a0f4-9a10-7c3d-9a10-2b3c4d5e6f01",
    "vendor_id": "0193a0f4-5e6b-7c3d-9a10-2b3c4d5e6f80",
    "name": "BC-6200 hematology analyzer",
    "model_code": "BC-6200",
    "category": "hematology_analyzer",
    "localization_id": null,
    "created_at": "2026-11-24T09:30:00Z",
    "updated_at": "2026-11-24T09:30:00Z",
    "version": 1
}))]
pub struct EquipmentModel {
    pub id: EquipmentModelId,
    /// The vendor that makes the model.
    pub vendor_id: VendorId,
    /// Name in any script.
    #[schema(
        min_length = 1,
        max_length = 300,
        example = "BC-6200 hematology analyzer"
    )]
    pub name: String,
    /// The vendor's code of the model; unique within the vendor regardless of case.
    #[schema(min_length = 1, max_length = 100, example = "BC-6200")]
    pub model_code: String,
    pub category: EquipmentCategory,
    /// The localization of the vendor the model is produced under, when it is produced
    /// locally; `null` otherwise.
    #[schema(required = true)]
    pub localization_id: Option<LocalizationId>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    /// Grows with every change; the ETag is derived from it.
    #[schema(minimum = 1, example = 1)]
    pub version: i64,
}

crate::from_row_fields!(EquipmentModel from EquipmentModelRow {
    id, vendor_id, name, model_code, category, localization_id, created_at, updated_at, version
});

/// The body that creates an equipment model.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "vendor_id": "0193a0f4-5e6b-7c3d-9a10-2b3c4d5e6f80",
    "name": "BC-6200 hematology analyzer",
    "model_code": "BC-6200",
    "category": "hematology_analyzer"
}))]
pub struct EquipmentModelCreate {
    /// An existing vendor.
    pub vendor_id: VendorId,
    /// Name in any script, at most 300 characters; trimmed, stored in Unicode NFC; must not
    /// be blank or hold control characters.
    #[schema(
        min_length = 1,
        max_length = 300,
        example = "BC-6200 hematology analyzer"
    )]
    pub name: String,
    /// The vendor's code of the model, at most 100 characters; unique within the vendor
    /// regardless of case (409 otherwise); trimmed, must not be blank.
    #[schema(min_length = 1, max_length = 100, example = "BC-6200")]
    pub model_code: String,
    pub category: EquipmentCategory,
    /// A localization of the same vendor the model is produced under; absent or `null` when
    /// it is not produced locally.
    #[serde(default)]
    pub localization_id: Option<LocalizationId>,
}

/// A JSON Merge Patch of an equipment model: absent members stay, `null` clears
/// `localization_id`; the other members cannot be `null` (422).
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"name": "BC-6200 automated hematology analyzer"}))]
pub struct EquipmentModelPatch {
    /// An existing vendor; the model's localization, if any, must be the new vendor's.
    #[serde(default, deserialize_with = "merge_patch_field")]
    #[schema(value_type = VendorId, required = false)]
    pub vendor_id: Option<Option<VendorId>>,
    /// At most 300 characters; trimmed, must not be blank.
    #[serde(default, deserialize_with = "merge_patch_field")]
    #[schema(value_type = String, required = false, min_length = 1, max_length = 300, example = "BC-6200 automated hematology analyzer")]
    pub name: Option<Option<String>>,
    /// At most 100 characters, unique within the vendor regardless of case.
    #[serde(default, deserialize_with = "merge_patch_field")]
    #[schema(value_type = String, required = false, min_length = 1, max_length = 100, example = "BC-6200")]
    pub model_code: Option<Option<String>>,
    #[serde(default, deserialize_with = "merge_patch_field")]
    #[schema(value_type = EquipmentCategory, required = false)]
    pub category: Option<Option<EquipmentCategory>>,
    /// A localization of the model's vendor; `null` clears it.
    #[serde(default, deserialize_with = "merge_patch_field")]
    #[schema(value_type = Option<LocalizationId>, nullable)]
    pub localization_id: Option<Option<LocalizationId>>,
}

define_page!(
    EquipmentModelPage,
    EquipmentModel,
    "A page of equipment models."
);

crate::sort_fields! {
    /// Fields an equipment model list can be sorted by.
    pub enum EquipmentModelSort for EquipmentModelRow in equipment_models, id EquipmentModelId,
        default CreatedAt {
        Name = "name" => TextKey, equipment_models::name, |row| row.name.clone();
        ModelCode = "model_code" => TextKey, equipment_models::model_code, |row| row.model_code.clone();
        CreatedAt = "created_at" => TimestampKey, equipment_models::created_at, |row| row.created_at;
        UpdatedAt = "updated_at" => TimestampKey, equipment_models::updated_at, |row| row.updated_at;
    }
}

/// Filters of an equipment model list (already parsed).
#[derive(Debug, Clone, Default)]
pub struct EquipmentModelFilter {
    pub vendor_ids: Option<Vec<VendorId>>,
    pub categories: Option<Vec<EquipmentCategory>>,
    pub localization_ids: Option<Vec<LocalizationId>>,
    /// `Some(true)`: only models produced under a localization; `Some(false)`: only the others.
    pub localized: Option<bool>,
    pub search: Option<Vec<String>>,
}
