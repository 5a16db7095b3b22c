use crate::core::time::Timestamp;
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::core::paging::{TextKey, TimestampKey};
use crate::core::resource::FromRow;
use crate::schema::regions;
use crate::validation::{members, merge_patch_field};
use crate::{define_id, define_page, text_enum};

define_id!(RegionId, "region");

text_enum!(
    /// Administrative level; a child is always at a deeper level than its parent.
    RegionLevel {
        Country => "country",
        District => "district",
        Region => "region",
        Municipality => "municipality",
    }
);

impl RegionLevel {
    /// 0 for a country, growing with depth.
    pub fn rank(self) -> usize {
        Self::ALL.iter().position(|l| *l == self).unwrap_or(0)
    }
}

text_enum!(
    /// Stage of the laboratory-centralization programme in the territory.
    RolloutStage {
        NotPlanned => "not_planned",
        Planned => "planned",
        Pilot => "pilot",
        InProgress => "in_progress",
        Completed => "completed",
    }
);

/// A `regions` row.
#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Insertable, AsChangeset)]
#[diesel(table_name = regions, treat_none_as_null = true, treat_none_as_default_value = false)]
pub struct RegionRow {
    pub id: RegionId,
    pub code: String,
    pub name: String,
    pub search_text: String,
    pub country_code: String,
    pub parent_id: Option<RegionId>,
    pub level: RegionLevel,
    pub path: String,
    pub rollout_stage: RolloutStage,
    pub rollout_target_year: Option<i32>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    pub version: i64,
}

impl RegionRow {
    /// Depth in the tree: 0 for a root.
    pub fn depth(&self) -> usize {
        self.path.matches('/').count().saturating_sub(2)
    }
}

/// A region.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[schema(example = json!({
    "id": "0193a0f4-5e6b-7c3d-9a10-2b3c4d5e6f70",
    "code": "RU-KGN",
    "name": "Курганская область",
    "country_code": "RU",
    "parent_id": "0193a0f4-5e6b-7c3d-9a10-2b3c4d5e6f60",
    "level": "region",
    "depth": 2,
    "rollout_stage": "pilot",
    "rollout_target_year": 2026,
    "created_at": "2026-11-24T09:30:00Z",
    "updated_at": "2026-11-24T09:30:00Z",
    "version": 1
}))]
pub struct Region {
    pub id: RegionId,
    /// Unique code, ISO 3166-2 style (`RU-KGN`), in upper case; a country's code is its
    /// alpha-2 code.
    #[schema(
        pattern = "^[A-Z0-9]+(-[A-Z0-9]+)*$",
        min_length = 1,
        max_length = 32,
        example = "RU-KGN"
    )]
    pub code: String,
    /// Name in any script.
    #[schema(min_length = 1, max_length = 200, example = "Курганская область")]
    pub name: String,
    /// ISO 3166-1 alpha-2 country code.
    #[schema(pattern = "^[A-Z]{2}$", min_length = 2, max_length = 2, example = "RU")]
    pub country_code: String,
    /// The enclosing region; `null` for a root.
    #[schema(required = true)]
    pub parent_id: Option<RegionId>,
    pub level: RegionLevel,
    /// Depth in the tree (0 for a root).
    #[schema(minimum = 0, maximum = 3, example = 2)]
    pub depth: i32,
    pub rollout_stage: RolloutStage,
    /// Year the rollout is planned to complete; `null` when not planned.
    #[schema(required = true, minimum = 1990, maximum = 2100, example = 2026)]
    pub rollout_target_year: Option<i32>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    /// Grows with every change; the ETag is derived from it.
    #[schema(minimum = 1, example = 1)]
    pub version: i64,
}

impl FromRow for Region {
    type Row = RegionRow;
    type Children = ();

    fn from_row(row: RegionRow, (): ()) -> Self {
        Self {
            level: row.level,
            depth: i32::try_from(row.depth()).unwrap_or(i32::MAX),
            rollout_stage: row.rollout_stage,
            id: row.id,
            code: row.code,
            name: row.name,
            country_code: row.country_code,
            parent_id: row.parent_id,
            rollout_target_year: row.rollout_target_year,
            created_at: row.created_at,
            updated_at: row.updated_at,
            version: row.version,
        }
    }
}

impl From<RegionRow> for Region {
    fn from(row: RegionRow) -> Self {
        Self::from_row(row, ())
    }
}

/// The body that creates a region.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "code": "RU-KGN",
    "name": "Курганская область",
    "country_code": "RU",
    "parent_id": "0193a0f4-5e6b-7c3d-9a10-2b3c4d5e6f60",
    "level": "region",
    "rollout_stage": "pilot",
    "rollout_target_year": 2026
}))]
pub struct RegionCreate {
    /// Unique code, ISO 3166-2 style: ASCII letters and digits in dash-separated parts,
    /// starting with the country code (`RU-KGN` for RU); a country's code is its alpha-2
    /// code. Upper-cased on input (`ru-kgn` is stored as `RU-KGN`), at most 32 characters.
    #[schema(
        pattern = "^[A-Za-z0-9]+(-[A-Za-z0-9]+)*$",
        min_length = 1,
        max_length = 32,
        example = "RU-KGN"
    )]
    pub code: String,
    /// Name in any script, at most 200 characters. Trimmed and stored in Unicode NFC
    /// without invisible format characters; must not be blank or hold control characters.
    #[schema(min_length = 1, max_length = 200, example = "Курганская область")]
    pub name: String,
    /// An assigned ISO 3166-1 alpha-2 code, upper case; a child is in its parent's country.
    #[schema(pattern = "^[A-Z]{2}$", min_length = 2, max_length = 2, example = "RU")]
    pub country_code: String,
    /// The enclosing region: an existing region of the same country at a higher level;
    /// absent or `null` for a root (a country has none).
    #[serde(default)]
    pub parent_id: Option<RegionId>,
    pub level: RegionLevel,
    /// Absent or `null` for `not_planned`.
    #[serde(default)]
    pub rollout_stage: Option<RolloutStage>,
    /// Year the rollout is planned to complete, 1990–2100.
    #[serde(default, deserialize_with = "members::optional_whole_number")]
    #[schema(value_type = Option<i32>, minimum = 1990, maximum = 2100, example = 2026)]
    pub rollout_target_year: Option<i64>,
}

/// A JSON Merge Patch of a region: absent members stay, `null` clears `parent_id` or
/// `rollout_target_year`; the other members cannot be `null` (422).
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"rollout_stage": "in_progress", "rollout_target_year": 2027}))]
pub struct RegionPatch {
    /// Unique code, ISO 3166-2 style, starting with the country code; upper-cased on input,
    /// at most 32 characters.
    #[serde(default, deserialize_with = "merge_patch_field")]
    #[schema(value_type = String, required = false, pattern = "^[A-Za-z0-9]+(-[A-Za-z0-9]+)*$", min_length = 1, max_length = 32, example = "RU-KGN")]
    pub code: Option<Option<String>>,
    /// Name in any script, at most 200 characters; trimmed, must not be blank.
    #[serde(default, deserialize_with = "merge_patch_field")]
    #[schema(value_type = String, required = false, min_length = 1, max_length = 200, example = "Курганская область")]
    pub name: Option<Option<String>>,
    /// An assigned ISO 3166-1 alpha-2 code, upper case. A region with subregions, or that
    /// laboratories or localizations refer to, keeps its country.
    #[serde(default, deserialize_with = "merge_patch_field")]
    #[schema(value_type = String, required = false, pattern = "^[A-Z]{2}$", min_length = 2, max_length = 2, example = "RU")]
    pub country_code: Option<Option<String>>,
    /// Moves the region (and its subtree) under another region; `null` makes it a root.
    #[serde(default, deserialize_with = "merge_patch_field")]
    #[schema(value_type = Option<RegionId>, nullable)]
    pub parent_id: Option<Option<RegionId>>,
    /// Must stay above the levels of the subregions.
    #[serde(default, deserialize_with = "merge_patch_field")]
    #[schema(value_type = RegionLevel, required = false)]
    pub level: Option<Option<RegionLevel>>,
    #[serde(default, deserialize_with = "merge_patch_field")]
    #[schema(value_type = RolloutStage, required = false)]
    pub rollout_stage: Option<Option<RolloutStage>>,
    /// 1990–2100; `null` clears it.
    #[serde(default, deserialize_with = "members::merge_patch_whole_number")]
    #[schema(value_type = Option<i32>, nullable, minimum = 1990, maximum = 2100, example = 2027)]
    pub rollout_target_year: Option<Option<i64>>,
}

define_page!(RegionPage, Region, "A page of regions.");

/// The ancestors of a region, root first.
#[derive(Debug, Serialize, ToSchema)]
pub struct RegionAncestors {
    /// From the root down to the direct parent.
    pub items: Vec<Region>,
}

crate::sort_fields! {
    /// Fields a region list can be sorted by.
    pub enum RegionSort for RegionRow in regions, id RegionId, default CreatedAt {
        Name = "name" => TextKey, regions::name, |row| row.name.clone();
        Code = "code" => TextKey, regions::code, |row| row.code.clone();
        CreatedAt = "created_at" => TimestampKey, regions::created_at, |row| row.created_at;
        UpdatedAt = "updated_at" => TimestampKey, regions::updated_at, |row| row.updated_at;
    }
}

/// Filters of a region list (already parsed).
#[derive(Debug, Clone, Default)]
pub struct RegionFilter {
    pub codes: Option<Vec<String>>,
    pub country_codes: Option<Vec<String>>,
    pub parent_ids: Option<Vec<RegionId>>,
    /// Only roots (`parent_id=null`).
    pub roots_only: bool,
    pub levels: Option<Vec<RegionLevel>>,
    pub rollout_stages: Option<Vec<RolloutStage>>,
    pub search: Option<Vec<String>>,
    /// Only the strict descendants of the region with this path.
    pub within_path: Option<String>,
}
