use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::core::paging::{TextKey, TimestampKey};
use crate::core::time::Timestamp;
use crate::schema::organizations;
use crate::validation::merge_patch_field;
use crate::{define_id, define_page, text_enum};

define_id!(OrganizationId, "organization");

text_enum!(
    /// What an organization is to the network: it `operator`s laboratories or a programme,
    /// is a professional `federation`, a `distributor` of medical goods, a `manufacturer`,
    /// a `university` or a public `authority`.
    OrganizationKind {
        Operator => "operator",
        Federation => "federation",
        Distributor => "distributor",
        Manufacturer => "manufacturer",
        University => "university",
        Authority => "authority",
    }
);

/// An `organizations` row.
#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Insertable, AsChangeset)]
#[diesel(table_name = organizations, treat_none_as_null = true, treat_none_as_default_value = false)]
pub struct OrganizationRow {
    pub id: OrganizationId,
    pub name: String,
    /// `search_key(name)`: the uniqueness key.
    pub name_key: String,
    /// The `q` search column: `search_column` of the name's words.
    pub search_text: String,
    pub kind: OrganizationKind,
    pub country_code: String,
    pub website: Option<String>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    pub version: i64,
}

/// An organization.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[schema(example = json!({
    "id": "0193a0f4-8c10-7c3d-9a10-2b3c4d5e6f90",
    "name": "Федерация лабораторной медицины",
    "kind": "federation",
    "country_code": "RU",
    "website": "https://fedlab.ru",
    "created_at": "2026-11-24T09:30:00Z",
    "updated_at": "2026-11-24T09:30:00Z",
    "version": 1
}))]
pub struct Organization {
    pub id: OrganizationId,
    /// Name in any script; unique regardless of case.
    #[schema(
        min_length = 1,
        max_length = 300,
        example = "Федерация лабораторной медицины"
    )]
    pub name: String,
    pub kind: OrganizationKind,
    /// The country the organization is registered in, ISO 3166-1 alpha-2.
    #[schema(pattern = "^[A-Z]{2}$", min_length = 2, max_length = 2, example = "RU")]
    pub country_code: String,
    /// Absolute http or https URL; `null` when unknown.
    #[schema(
        required = true,
        format = "uri",
        max_length = 2048,
        example = "https://fedlab.ru"
    )]
    pub website: Option<String>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    /// Grows with every change; the ETag is derived from it.
    #[schema(minimum = 1, example = 1)]
    pub version: i64,
}

crate::from_row_fields!(Organization from OrganizationRow {
    id, name, kind, country_code, website, created_at, updated_at, version
});

/// The body that creates an organization.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "name": "Федерация лабораторной медицины",
    "kind": "federation",
    "country_code": "RU",
    "website": "https://fedlab.ru"
}))]
pub struct OrganizationCreate {
    /// Name in any script, at most 300 characters; unique regardless of case and Unicode
    /// form. Trimmed and stored in Unicode NFC without invisible format characters; must
    /// not be blank or hold control characters.
    #[schema(
        min_length = 1,
        max_length = 300,
        example = "Федерация лабораторной медицины"
    )]
    pub name: String,
    pub kind: OrganizationKind,
    /// An assigned ISO 3166-1 alpha-2 code, upper case.
    #[schema(pattern = "^[A-Z]{2}$", min_length = 2, max_length = 2, example = "RU")]
    pub country_code: String,
    /// Absolute http or https URL, at most 2048 characters; trimmed, and a blank one is
    /// stored as `null`.
    #[serde(default)]
    #[schema(format = "uri", max_length = 2048, example = "https://fedlab.ru")]
    pub website: Option<String>,
}

/// A JSON Merge Patch of an organization: absent members stay, `null` clears `website`; the
/// other members cannot be `null` (422).
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"kind": "operator", "website": null}))]
pub struct OrganizationPatch {
    /// Name in any script, at most 300 characters; unique regardless of case and Unicode
    /// form; trimmed, must not be blank.
    #[serde(default, deserialize_with = "merge_patch_field")]
    #[schema(value_type = String, required = false, min_length = 1, max_length = 300, example = "Федерация лабораторной медицины")]
    pub name: Option<Option<String>>,
    #[serde(default, deserialize_with = "merge_patch_field")]
    #[schema(value_type = OrganizationKind, required = false)]
    pub kind: Option<Option<OrganizationKind>>,
    /// An assigned ISO 3166-1 alpha-2 code, upper case.
    #[serde(default, deserialize_with = "merge_patch_field")]
    #[schema(value_type = String, required = false, pattern = "^[A-Z]{2}$", min_length = 2, max_length = 2, example = "RU")]
    pub country_code: Option<Option<String>>,
    /// Absolute http or https URL, at most 2048 characters; `null` (or a blank one) clears
    /// it.
    #[serde(default, deserialize_with = "merge_patch_field")]
    #[schema(value_type = Option<String>, nullable, format = "uri", max_length = 2048, example = "https://fedlab.ru")]
    pub website: Option<Option<String>>,
}

define_page!(OrganizationPage, Organization, "A page of organizations.");

crate::sort_fields! {
    /// Fields an organization list can be sorted by.
    pub enum OrganizationSort for OrganizationRow in organizations, id OrganizationId,
        default CreatedAt {
        Name = "name" => TextKey, organizations::name, |row| row.name.clone();
        CreatedAt = "created_at" => TimestampKey, organizations::created_at, |row| row.created_at;
        UpdatedAt = "updated_at" => TimestampKey, organizations::updated_at, |row| row.updated_at;
    }
}

/// Filters of an organization list (already parsed).
#[derive(Debug, Clone, Default)]
pub struct OrganizationFilter {
    pub kinds: Option<Vec<OrganizationKind>>,
    pub country_codes: Option<Vec<String>>,
    pub search: Option<Vec<String>>,
}
