use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::core::paging::{TextKey, TimestampKey};
use crate::core::resource::FromRow;
use crate::core::time::Timestamp;
use crate::schema::vendors;
use crate::validation::merge_patch_field;
use crate::{define_id, define_page, text_enum};

define_id!(VendorId, "vendor");

text_enum!(
    /// What a vendor makes; a vendor may make several.
    ProductCategory {
        LaboratoryEquipment => "laboratory_equipment",
        MedicalEquipment => "medical_equipment",
        Reagents => "reagents",
        Consumables => "consumables",
        Software => "software",
    }
);

/// A `vendors` row.
#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Insertable, AsChangeset)]
#[diesel(table_name = vendors, treat_none_as_null = true, treat_none_as_default_value = false)]
pub struct VendorRow {
    pub id: VendorId,
    pub name: String,
    /// `search_key(name)`: the uniqueness key.
    pub name_key: String,
    /// The `q` search column: `search_column` of the name's words.
    pub search_text: String,
    pub country_code: String,
    pub website: Option<String>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    pub version: i64,
}

/// A vendor.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[schema(example = json!({
    "id": "0193a0f4-5e6b-7c3d-9a10-2b3c4d5e6f80",
    "name": "Mindray",
    "country_code": "CN",
    "website": "https://www.mindray.com",
    "categories": ["laboratory_equipment", "medical_equipment", "reagents"],
    "created_at": "2026-11-24T09:30:00Z",
    "updated_at": "2026-11-24T09:30:00Z",
    "version": 1
}))]
pub struct Vendor {
    pub id: VendorId,
    /// Name in any script; unique regardless of case.
    #[schema(min_length = 1, max_length = 200, example = "Mindray")]
    pub name: String,
    /// Home country, ISO 3166-1 alpha-2.
    #[schema(pattern = "^[A-Z]{2}$", min_length = 2, max_length = 2, example = "CN")]
    pub country_code: String,
    /// Absolute http or https URL; `null` when unknown.
    #[schema(
        required = true,
        format = "uri",
        max_length = 2048,
        example = "https://www.mindray.com"
    )]
    pub website: Option<String>,
    /// Product categories in a fixed order (the order of the enumeration), each once; may be
    /// empty.
    #[schema(value_type = BTreeSet<ProductCategory>, max_items = 5)]
    pub categories: Vec<ProductCategory>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    /// Grows with every change; the ETag is derived from it.
    #[schema(minimum = 1, example = 1)]
    pub version: i64,
}

impl FromRow for Vendor {
    type Row = VendorRow;
    type Children = Vec<ProductCategory>;

    fn from_row(row: VendorRow, categories: Vec<ProductCategory>) -> Self {
        Self {
            id: row.id,
            name: row.name,
            country_code: row.country_code,
            website: row.website,
            categories,
            created_at: row.created_at,
            updated_at: row.updated_at,
            version: row.version,
        }
    }
}

/// The body that creates a vendor.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "name": "Mindray",
    "country_code": "CN",
    "website": "https://www.mindray.com",
    "categories": ["laboratory_equipment", "reagents"]
}))]
pub struct VendorCreate {
    /// Name in any script, at most 200 characters; unique regardless of case (`Mindray` and
    /// `MINDRAY` are the same vendor). Trimmed and stored in Unicode NFC without invisible
    /// format characters; must not be blank or hold control characters.
    #[schema(min_length = 1, max_length = 200, example = "Mindray")]
    pub name: String,
    /// Home country: an assigned ISO 3166-1 alpha-2 code, upper case.
    #[schema(pattern = "^[A-Z]{2}$", min_length = 2, max_length = 2, example = "CN")]
    pub country_code: String,
    /// Absolute http or https URL, at most 2048 characters; trimmed, and a blank one is
    /// stored as `null`.
    #[serde(default)]
    #[schema(format = "uri", max_length = 2048, example = "https://www.mindray.com")]
    pub website: Option<String>,
    /// Product categories, each at most once (a repeated one is refused); defaults to none.
    #[serde(default)]
    #[schema(value_type = BTreeSet<ProductCategory>, max_items = 5)]
    pub categories: Vec<ProductCategory>,
}

/// A JSON Merge Patch of a vendor: absent members stay, `null` clears `website`; the other
/// members cannot be `null` (422).
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"website": null, "categories": ["reagents", "consumables"]}))]
pub struct VendorPatch {
    /// Name in any script, at most 200 characters; unique regardless of case; trimmed, must
    /// not be blank.
    #[serde(default, deserialize_with = "merge_patch_field")]
    #[schema(value_type = String, required = false, min_length = 1, max_length = 200, example = "Mindray")]
    pub name: Option<Option<String>>,
    /// Home country: an assigned ISO 3166-1 alpha-2 code, upper case.
    #[serde(default, deserialize_with = "merge_patch_field")]
    #[schema(value_type = String, required = false, pattern = "^[A-Z]{2}$", min_length = 2, max_length = 2, example = "CN")]
    pub country_code: Option<Option<String>>,
    /// Absolute http or https URL, at most 2048 characters; `null` (or a blank one) clears
    /// it.
    #[serde(default, deserialize_with = "merge_patch_field")]
    #[schema(value_type = Option<String>, nullable, format = "uri", max_length = 2048, example = "https://www.mindray.com")]
    pub website: Option<Option<String>>,
    /// Replaces the whole set, each category at most once; `[]` removes every category.
    #[serde(default, deserialize_with = "merge_patch_field")]
    #[schema(value_type = BTreeSet<ProductCategory>, required = false, max_items = 5)]
    pub categories: Option<Option<Vec<ProductCategory>>>,
}

define_page!(VendorPage, Vendor, "A page of vendors.");

crate::sort_fields! {
    /// Fields a vendor list can be sorted by.
    pub enum VendorSort for VendorRow in vendors, id VendorId, default CreatedAt {
        Name = "name" => TextKey, vendors::name, |row| row.name.clone();
        CreatedAt = "created_at" => TimestampKey, vendors::created_at, |row| row.created_at;
        UpdatedAt = "updated_at" => TimestampKey, vendors::updated_at, |row| row.updated_at;
    }
}

/// Filters of a vendor list (already parsed).
#[derive(Debug, Clone, Default)]
pub struct VendorFilter {
    pub country_codes: Option<Vec<String>>,
    /// Vendors with at least one of these categories.
    pub categories: Option<Vec<ProductCategory>>,
    pub search: Option<Vec<String>>,
}
