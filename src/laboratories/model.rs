use std::collections::BTreeMap;

use chrono::NaiveDate;
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::core::paging::{IntKey, TextKey, TimestampKey};
use crate::core::resource::FromRow;
use crate::core::states::{StateMachine, Target};
use crate::core::time::Timestamp;
use crate::equipment_models::model::EquipmentCategory;
use crate::regions::model::RegionId;
use crate::schema::laboratories;
use crate::validation::{members, merge_patch_field};
use crate::{define_id, define_page, text_enum};

define_id!(LaboratoryId, "laboratory");

text_enum!(
    /// Role of a facility in the network: a `central` hub runs the analyses, a `branch` runs
    /// part of them locally, a `collection_point` only takes samples and sends them on, a
    /// `mobile` laboratory travels between sites.
    LaboratoryKind {
        Central => "central",
        Branch => "branch",
        CollectionPoint => "collection_point",
        Mobile => "mobile",
    }
);

text_enum!(
    /// Lifecycle status. Moves are strict and one step forward:
    /// `planned` → `under_construction` → `operational`; `operational` → `suspended`;
    /// `suspended` → `operational`; any status but `closed` → `closed`; `closed` is final.
    /// Nothing moves backwards. A new laboratory may start in any status except `closed`.
    ///
    /// {moves:LaboratoryStatus}
    LaboratoryStatus {
        Planned => "planned",
        UnderConstruction => "under_construction",
        Operational => "operational",
        Suspended => "suspended",
        Closed => "closed",
    }
);

impl StateMachine for LaboratoryStatus {
    const MOVES: &'static [(Self, &'static [Target<Self>])] = {
        use LaboratoryStatus::*;
        use Target::State;
        &[
            (Planned, &[State(UnderConstruction), State(Closed)]),
            (UnderConstruction, &[State(Operational), State(Closed)]),
            (Operational, &[State(Suspended), State(Closed)]),
            (Suspended, &[State(Operational), State(Closed)]),
            (Closed, &[]),
        ]
    };
}

crate::document_moves!(LaboratoryStatus);

text_enum!(
    /// A laboratory discipline (a family of analyses the facility performs).
    Discipline {
        ClinicalChemistry => "clinical_chemistry",
        Hematology => "hematology",
        Coagulation => "coagulation",
        Immunology => "immunology",
        Serology => "serology",
        Microbiology => "microbiology",
        Virology => "virology",
        Parasitology => "parasitology",
        MolecularDiagnostics => "molecular_diagnostics",
        Cytology => "cytology",
        Histopathology => "histopathology",
        Urinalysis => "urinalysis",
        Toxicology => "toxicology",
        Genetics => "genetics",
    }
);

/// A `laboratories` row.
#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Insertable, AsChangeset)]
#[diesel(table_name = laboratories, treat_none_as_null = true, treat_none_as_default_value = false)]
pub struct LaboratoryRow {
    pub id: LaboratoryId,
    pub region_id: RegionId,
    pub code: String,
    /// `validation::code_key(&code)`, unique.
    pub code_key: String,
    pub name: String,
    pub search_text: String,
    pub kind: LaboratoryKind,
    pub parent_id: Option<LaboratoryId>,
    pub status: LaboratoryStatus,
    pub address: Option<String>,
    pub latitude: Option<f64>,
    pub longitude: Option<f64>,
    pub capacity_per_day: Option<i32>,
    pub opened_on: Option<NaiveDate>,
    pub operator: Option<String>,
    pub accreditation_standard: Option<String>,
    pub accreditation_certificate_number: Option<String>,
    pub accreditation_valid_until: Option<NaiveDate>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    pub version: i64,
    /// The counted units by category, a JSON object that the unit writes keep.
    pub equipment_counts: String,
}

impl LaboratoryRow {
    /// The accreditation held in the three `accreditation_*` columns (all set or all null).
    pub fn accreditation(&self) -> Option<Accreditation> {
        match (
            &self.accreditation_standard,
            &self.accreditation_certificate_number,
            self.accreditation_valid_until,
        ) {
            (Some(standard), Some(certificate_number), Some(valid_until)) => Some(Accreditation {
                standard: standard.clone(),
                certificate_number: certificate_number.clone(),
                valid_until,
            }),
            _ => None,
        }
    }
}

/// A formal accreditation of the laboratory's quality system.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "standard": "ISO 15189",
    "certificate_number": "RA.RU.21МЛ45",
    "valid_until": "2029-03-31"
}))]
pub struct Accreditation {
    /// The standard accredited against, e.g. `ISO 15189`; at most 100 characters, trimmed,
    /// must not be blank.
    #[schema(min_length = 1, max_length = 100, example = "ISO 15189")]
    pub standard: String,
    /// Number of the accreditation certificate; at most 100 characters, trimmed, must not be
    /// blank.
    #[schema(min_length = 1, max_length = 100, example = "RA.RU.21МЛ45")]
    pub certificate_number: String,
    /// Last day the certificate is valid (YYYY-MM-DD, years 1900–2200).
    #[serde(deserialize_with = "members::date")]
    #[schema(example = "2029-03-31")]
    pub valid_until: NaiveDate,
}

/// A JSON Merge Patch of an accreditation: each member given replaces the current one; none
/// of them can be cleared (`null` is refused).
#[derive(Debug, Clone, Default, PartialEq, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"valid_until": "2031-03-31"}))]
pub struct AccreditationPatch {
    /// The standard accredited against; at most 100 characters, trimmed, must not be blank.
    #[serde(default, deserialize_with = "merge_patch_field")]
    #[schema(value_type = String, required = false, min_length = 1, max_length = 100, example = "ISO 15189")]
    pub standard: Option<Option<String>>,
    /// Number of the accreditation certificate; at most 100 characters, trimmed, must not be
    /// blank.
    #[serde(default, deserialize_with = "merge_patch_field")]
    #[schema(value_type = String, required = false, min_length = 1, max_length = 100, example = "RA.RU.21МЛ45")]
    pub certificate_number: Option<Option<String>>,
    /// Last day the certificate is valid (YYYY-MM-DD, years 1900–2200).
    #[serde(default, deserialize_with = "members::merge_patch_date")]
    #[schema(value_type = NaiveDate, required = false, example = "2031-03-31")]
    pub valid_until: Option<Option<NaiveDate>>,
}

impl AccreditationPatch {
    /// The accreditation after the patch, onto `current`; a member missing from both, or
    /// given as `null`, is named in `checks`.
    pub fn merged(
        self,
        current: Option<Accreditation>,
        checks: &mut crate::validation::Checks,
    ) -> Option<Accreditation> {
        fn member<T>(
            checks: &mut crate::validation::Checks,
            name: &str,
            given: Option<Option<T>>,
            current: Option<T>,
        ) -> Option<T> {
            let field = format!("accreditation.{name}");
            match (given, current) {
                (Some(Some(value)), _) => Some(value),
                (Some(None), _) => {
                    checks.push(&field, "required", "cannot be null");
                    None
                }
                (None, Some(value)) => Some(value),
                (None, None) => {
                    checks.push(
                        &field,
                        "required",
                        "a laboratory without an accreditation needs all three members",
                    );
                    None
                }
            }
        }
        let (standard, number, until) = match current {
            Some(a) => (
                Some(a.standard),
                Some(a.certificate_number),
                Some(a.valid_until),
            ),
            None => (None, None, None),
        };
        let standard = member(checks, "standard", self.standard, standard);
        let certificate_number = member(
            checks,
            "certificate_number",
            self.certificate_number,
            number,
        );
        let valid_until = member(checks, "valid_until", self.valid_until, until);
        Some(Accreditation {
            standard: standard?,
            certificate_number: certificate_number?,
            valid_until: valid_until?,
        })
    }
}

/// A laboratory of the network.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(example = json!({
    "id": "0193a0f4-6a10-7b2c-8d3e-4f5061728394",
    "region_id": "0193a0f4-5e6b-7c3d-9a10-2b3c4d5e6f70",
    "code": "KGN-CKDL-001",
    "name": "Центральная клинико-диагностическая лаборатория",
    "kind": "central",
    "parent_id": null,
    "status": "operational",
    "address": "Курган, ул. Гоголя, 76",
    "latitude": 55.4410,
    "longitude": 65.3411,
    "capacity_per_day": 12000,
    "opened_on": "2025-09-01",
    "operator": "ООО «Лабораторные технологии»",
    "accreditation": {
        "standard": "ISO 15189",
        "certificate_number": "RA.RU.21МЛ45",
        "valid_until": "2029-03-31"
    },
    "disciplines": ["clinical_chemistry", "hematology", "immunology", "microbiology", "molecular_diagnostics"],
    "equipment_counts": {"hematology_analyzer": 2, "clinical_chemistry_analyzer": 1},
    "created_at": "2026-11-24T09:30:00Z",
    "updated_at": "2026-11-24T09:30:00Z",
    "version": 1
}))]
pub struct Laboratory {
    pub id: LaboratoryId,
    /// The region the laboratory is in.
    pub region_id: RegionId,
    /// Registry code, kept as typed and unique regardless of case (in any script): no
    /// other laboratory has `kgn-001` when this one is `KGN-001`.
    #[schema(min_length = 1, max_length = 64, example = "KGN-CKDL-001")]
    pub code: String,
    /// Name in any script.
    #[schema(
        min_length = 1,
        max_length = 300,
        example = "Центральная клинико-диагностическая лаборатория"
    )]
    pub name: String,
    pub kind: LaboratoryKind,
    /// The hub this laboratory sends samples to; `null` for a top-level laboratory.
    #[schema(required = true)]
    pub parent_id: Option<LaboratoryId>,
    pub status: LaboratoryStatus,
    /// Postal address; `null` when unknown.
    #[schema(
        required = true,
        min_length = 1,
        max_length = 500,
        example = "Курган, ул. Гоголя, 76"
    )]
    pub address: Option<String>,
    /// Latitude in degrees (WGS 84), −90 to 90; set together with `longitude`.
    #[schema(required = true, minimum = -90, maximum = 90, example = 55.441)]
    pub latitude: Option<f64>,
    /// Longitude in degrees (WGS 84), −180 to 180; set together with `latitude`.
    #[schema(required = true, minimum = -180, maximum = 180, example = 65.3411)]
    pub longitude: Option<f64>,
    /// Tests the laboratory can run per day; `null` when unknown.
    #[schema(required = true, minimum = 0, maximum = 2147483647, example = 12000)]
    pub capacity_per_day: Option<i32>,
    /// Date the laboratory opened (YYYY-MM-DD); `null` when unknown.
    #[schema(required = true, example = "2025-09-01")]
    pub opened_on: Option<NaiveDate>,
    /// The organization that runs the laboratory; `null` when unknown.
    #[schema(
        required = true,
        min_length = 1,
        max_length = 300,
        example = "ООО «Лабораторные технологии»"
    )]
    pub operator: Option<String>,
    /// The current accreditation; `null` when there is none.
    #[schema(required = true)]
    pub accreditation: Option<Accreditation>,
    /// Disciplines performed, each once, in the order of the `Discipline` enumeration; may
    /// be empty.
    #[schema(value_type = BTreeSet<Discipline>, max_items = 14)]
    pub disciplines: Vec<Discipline>,
    /// The units installed here that are not decommissioned, by their model's category
    /// (keys are `EquipmentCategory` values); a category without such units is absent, so a
    /// laboratory without equipment has `{}`. Every unit write that changes the counts gives
    /// the laboratory a new version.
    #[serde(default)]
    #[schema(value_type = BTreeMap<String, i64>, required = true, example = json!({"hematology_analyzer": 2, "clinical_chemistry_analyzer": 1}))]
    pub equipment_counts: BTreeMap<EquipmentCategory, i64>,
    /// Only in a list with `near`: the great-circle distance from that point, in
    /// kilometres, rounded to the metre.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(value_type = f64, required = false, minimum = 0, example = 12.345)]
    pub distance_km: Option<f64>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    /// Grows with every change; the ETag is derived from it.
    #[schema(minimum = 1, example = 1)]
    pub version: i64,
}

impl FromRow for Laboratory {
    type Row = LaboratoryRow;
    type Children = Vec<Discipline>;

    fn from_row(row: LaboratoryRow, disciplines: Vec<Discipline>) -> Self {
        Self {
            kind: row.kind,
            status: row.status,
            accreditation: row.accreditation(),
            id: row.id,
            region_id: row.region_id,
            code: row.code,
            name: row.name,
            parent_id: row.parent_id,
            address: row.address,
            latitude: row.latitude,
            longitude: row.longitude,
            capacity_per_day: row.capacity_per_day,
            opened_on: row.opened_on,
            operator: row.operator,
            disciplines,
            // Written by this service alone (`equipment_units::service`); a value it cannot
            // read shows as no equipment rather than failing the read.
            equipment_counts: serde_json::from_str(&row.equipment_counts).unwrap_or_default(),
            distance_km: None,
            created_at: row.created_at,
            updated_at: row.updated_at,
            version: row.version,
        }
    }
}

/// The body that creates a laboratory.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "region_id": "0193a0f4-5e6b-7c3d-9a10-2b3c4d5e6f70",
    "code": "KGN-CKDL-001",
    "name": "Центральная клинико-диагностическая лаборатория",
    "kind": "central",
    "status": "under_construction",
    "address": "Курган, ул. Гоголя, 76",
    "latitude": 55.4410,
    "longitude": 65.3411,
    "capacity_per_day": 12000,
    "operator": "ООО «Лабораторные технологии»",
    "accreditation": {
        "standard": "ISO 15189",
        "certificate_number": "RA.RU.21МЛ45",
        "valid_until": "2029-03-31"
    },
    "disciplines": ["clinical_chemistry", "hematology", "immunology"]
}))]
pub struct LaboratoryCreate {
    /// The region the laboratory is in; must exist.
    pub region_id: RegionId,
    /// Registry code, 1–64 characters, kept as typed (trimmed, in Unicode NFC, without
    /// invisible format characters; no control characters). Unique regardless of case, in
    /// any script: a code that differs from another laboratory's only in case (`kgn-001`
    /// next to `KGN-001`) is refused with 409 like the same code.
    #[schema(min_length = 1, max_length = 64, example = "KGN-CKDL-001")]
    pub code: String,
    /// Name in any script, 1–300 characters; trimmed, must not be blank or hold control
    /// characters.
    #[schema(
        min_length = 1,
        max_length = 300,
        example = "Центральная клинико-диагностическая лаборатория"
    )]
    pub name: String,
    pub kind: LaboratoryKind,
    /// The hub this laboratory sends samples to: an existing laboratory that is not a
    /// `collection_point`, in the same country; absent or `null` for a top-level one.
    #[serde(default)]
    pub parent_id: Option<LaboratoryId>,
    /// Initial status; any but `closed`. Absent or `null` for `planned`.
    #[serde(default)]
    pub status: Option<LaboratoryStatus>,
    /// Postal address, up to 500 characters; trimmed, and a blank one is stored as `null`.
    #[serde(default)]
    #[schema(max_length = 500, example = "Курган, ул. Гоголя, 76")]
    pub address: Option<String>,
    /// −90 to 90; give both coordinates or neither.
    #[serde(default)]
    #[schema(minimum = -90, maximum = 90, example = 55.441)]
    pub latitude: Option<f64>,
    /// −180 to 180; give both coordinates or neither.
    #[serde(default)]
    #[schema(minimum = -180, maximum = 180, example = 65.3411)]
    pub longitude: Option<f64>,
    /// Tests per day, a whole number from 0 to 2147483647 (`12000.0` is read as `12000`).
    #[serde(default, deserialize_with = "members::optional_whole_number")]
    #[schema(value_type = Option<i32>, minimum = 0, maximum = 2147483647, example = 12000)]
    pub capacity_per_day: Option<i64>,
    /// Date the laboratory opened (YYYY-MM-DD, years 1900–2200).
    #[serde(default, deserialize_with = "members::optional_date")]
    #[schema(value_type = Option<NaiveDate>, example = "2025-09-01")]
    pub opened_on: Option<NaiveDate>,
    /// The organization that runs the laboratory, up to 300 characters; trimmed, and a
    /// blank one is stored as `null`.
    #[serde(default)]
    #[schema(max_length = 300, example = "ООО «Лабораторные технологии»")]
    pub operator: Option<String>,
    /// The current accreditation, if any; all three members are required.
    #[serde(default)]
    pub accreditation: Option<Accreditation>,
    /// Disciplines performed, each at most once (a repeated one is refused). Defaults to
    /// none.
    #[serde(default)]
    #[schema(value_type = BTreeSet<Discipline>, max_items = 14)]
    pub disciplines: Vec<Discipline>,
}

/// A JSON Merge Patch of a laboratory: absent members stay, `null` clears `parent_id`,
/// `address`, the coordinates, `capacity_per_day`, `opened_on`, `operator` or
/// `accreditation`; the other members cannot be `null` (422). `accreditation` is merged
/// into the current one; `disciplines` replaces the whole list.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "status": "operational",
    "capacity_per_day": 15000,
    "disciplines": ["clinical_chemistry", "hematology", "coagulation", "immunology"]
}))]
pub struct LaboratoryPatch {
    /// Moves the laboratory to another existing region (its hub must stay in the same
    /// country).
    #[serde(default, deserialize_with = "merge_patch_field")]
    #[schema(value_type = RegionId, required = false)]
    pub region_id: Option<Option<RegionId>>,
    /// Registry code, 1–64 characters, kept as typed (trimmed). Unique regardless of case,
    /// in any script: a code that differs from another laboratory's only in case is refused
    /// with 409 like the same code; changing the case of the laboratory's own code is
    /// allowed.
    #[serde(default, deserialize_with = "merge_patch_field")]
    #[schema(value_type = String, required = false, min_length = 1, max_length = 64, example = "KGN-CKDL-001")]
    pub code: Option<Option<String>>,
    /// Name in any script, 1–300 characters; trimmed, must not be blank.
    #[serde(default, deserialize_with = "merge_patch_field")]
    #[schema(value_type = String, required = false, min_length = 1, max_length = 300, example = "Центральная клинико-диагностическая лаборатория")]
    pub name: Option<Option<String>>,
    /// A laboratory that is the hub of others cannot become a `collection_point`.
    #[serde(default, deserialize_with = "merge_patch_field")]
    #[schema(value_type = LaboratoryKind, required = false)]
    pub kind: Option<Option<LaboratoryKind>>,
    /// `null` makes the laboratory top-level.
    #[serde(default, deserialize_with = "merge_patch_field")]
    #[schema(value_type = Option<LaboratoryId>, nullable)]
    pub parent_id: Option<Option<LaboratoryId>>,
    /// A one-step move along the lifecycle (see `LaboratoryStatus`); the current status is
    /// accepted and changes nothing.
    #[serde(default, deserialize_with = "merge_patch_field")]
    #[schema(value_type = LaboratoryStatus, required = false)]
    pub status: Option<Option<LaboratoryStatus>>,
    /// Postal address, up to 500 characters; `null` (or a blank one) clears it.
    #[serde(default, deserialize_with = "merge_patch_field")]
    #[schema(value_type = Option<String>, nullable, max_length = 500, example = "Курган, ул. Гоголя, 76")]
    pub address: Option<Option<String>>,
    /// −90 to 90; the result must have both coordinates or neither.
    #[serde(default, deserialize_with = "merge_patch_field")]
    #[schema(value_type = Option<f64>, nullable, minimum = -90, maximum = 90, example = 55.441)]
    pub latitude: Option<Option<f64>>,
    /// −180 to 180; the result must have both coordinates or neither.
    #[serde(default, deserialize_with = "merge_patch_field")]
    #[schema(value_type = Option<f64>, nullable, minimum = -180, maximum = 180, example = 65.3411)]
    pub longitude: Option<Option<f64>>,
    /// Tests per day, a whole number from 0 to 2147483647; `null` clears it.
    #[serde(default, deserialize_with = "members::merge_patch_whole_number")]
    #[schema(value_type = Option<i32>, nullable, minimum = 0, maximum = 2147483647, example = 15000)]
    pub capacity_per_day: Option<Option<i64>>,
    /// Opening date (YYYY-MM-DD, years 1900–2200); `null` clears it.
    #[serde(default, deserialize_with = "members::merge_patch_date")]
    #[schema(value_type = Option<NaiveDate>, nullable, example = "2025-09-01")]
    pub opened_on: Option<Option<NaiveDate>>,
    /// Operating organization, up to 300 characters; `null` (or a blank one) clears it.
    #[serde(default, deserialize_with = "merge_patch_field")]
    #[schema(value_type = Option<String>, nullable, max_length = 300, example = "ООО «Лабораторные технологии»")]
    pub operator: Option<Option<String>>,
    /// Merged into the current accreditation (RFC 7396): members given replace theirs,
    /// absent ones stay; a laboratory without one needs all three; `null` removes it.
    #[serde(default, deserialize_with = "merge_patch_field")]
    #[schema(value_type = Option<AccreditationPatch>, nullable)]
    pub accreditation: Option<Option<AccreditationPatch>>,
    /// Replaces the whole list, each discipline at most once (`[]` for none).
    #[serde(default, deserialize_with = "merge_patch_field")]
    #[schema(value_type = BTreeSet<Discipline>, required = false, max_items = 14)]
    pub disciplines: Option<Option<Vec<Discipline>>>,
}

define_page!(LaboratoryPage, Laboratory, "A page of laboratories.");

/// What a missing capacity sorts as; the same literal as in the `laboratories_capacity_idx`
/// index expression, so both backends can walk that index.
const NO_CAPACITY: i32 = -1;

/// `COALESCE(capacity_per_day, -1)` with the fallback written as a literal rather than a bind
/// parameter: an expression index only matches a textually equal expression.
macro_rules! capacity_key {
    () => {
        crate::db::query::coalesce_int(
            laboratories::capacity_per_day,
            diesel::dsl::sql::<diesel::sql_types::Integer>("-1"),
        )
    };
}

crate::sort_fields! {
    /// Fields a laboratory list can be sorted by.
    pub enum LaboratorySort for LaboratoryRow in laboratories, id LaboratoryId, default CreatedAt {
        Name = "name" => TextKey, laboratories::name, |row| row.name.clone();
        Code = "code" => TextKey, laboratories::code, |row| row.code.clone();
        CreatedAt = "created_at" => TimestampKey, laboratories::created_at, |row| row.created_at;
        UpdatedAt = "updated_at" => TimestampKey, laboratories::updated_at, |row| row.updated_at;
        CapacityPerDay = "capacity_per_day"
            ("laboratories without a capacity sort first ascending, last descending")
            => IntKey<NO_CAPACITY>, capacity_key!(),
            |row| row.capacity_per_day.unwrap_or(NO_CAPACITY);
    }
}

/// Which laboratories an `accredited` filter keeps.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AccreditedFilter {
    /// `true`: valid on `on`; `false`: no accreditation or expired before `on`.
    pub accredited: bool,
    pub on: NaiveDate,
}

/// Filters of a laboratory list (already parsed).
#[derive(Debug, Clone, Default)]
pub struct LaboratoryFilter {
    pub codes: Option<Vec<String>>,
    pub region_ids: Option<Vec<RegionId>>,
    /// Only laboratories in the whole subtree of this region (itself included).
    pub subtree_root: Option<RegionId>,
    pub kinds: Option<Vec<LaboratoryKind>>,
    pub statuses: Option<Vec<LaboratoryStatus>>,
    pub parent_ids: Option<Vec<LaboratoryId>>,
    /// Only top-level laboratories (`parent_id=null`).
    pub top_level_only: bool,
    pub disciplines: Option<Vec<Discipline>>,
    pub accredited: Option<AccreditedFilter>,
    pub search: Option<Vec<String>>,
    /// Only laboratories inside this box.
    pub bbox: Option<BoundingBox>,
    /// Only laboratories within a distance of a point, nearest first.
    pub near: Option<Near>,
}

/// A `bbox` filter, in degrees: `west > east` is a box across the antimeridian.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BoundingBox {
    pub west: f64,
    pub south: f64,
    pub east: f64,
    pub north: f64,
}

/// A `near` filter: the laboratories within `radius_km` of the point.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Near {
    pub latitude: f64,
    pub longitude: f64,
    pub radius_km: f64,
}

impl Near {
    /// The name page tokens of this list carry: a token serves only the same point and
    /// radius.
    pub fn token_name(&self) -> String {
        format!(
            "distance@{:?},{:?},{:?}",
            self.latitude, self.longitude, self.radius_km
        )
    }
}

impl LaboratoryFilter {
    /// Whether the list is narrowed by nothing but `q`.
    pub fn is_search_only(&self) -> bool {
        self.subtree_root.is_none() && self.has_no_field_filter()
    }

    /// Whether the list is narrowed by nothing but `include_subregions` of a region.
    pub fn is_subtree_only(&self) -> bool {
        self.search.is_none() && self.has_no_field_filter()
    }

    /// Whether the list is narrowed by `bbox` alone.
    pub fn is_bbox_only(&self) -> bool {
        self.bbox.is_some() && self.near.is_none() && self.has_nothing_but_a_place()
    }

    /// Whether the list is narrowed by `near` alone.
    pub fn is_near_only(&self) -> bool {
        self.near.is_some() && self.bbox.is_none() && self.has_nothing_but_a_place()
    }

    /// No filter but, perhaps, `bbox` or `near`.
    fn has_nothing_but_a_place(&self) -> bool {
        self.search.is_none() && self.subtree_root.is_none() && self.has_no_filter_on_columns()
    }

    /// No filter on the laboratories' own fields (region, kind, status and so on).
    fn has_no_field_filter(&self) -> bool {
        self.has_no_filter_on_columns() && self.bbox.is_none() && self.near.is_none()
    }

    /// No filter on the laboratories' own fields other than their place.
    fn has_no_filter_on_columns(&self) -> bool {
        let LaboratoryFilter {
            codes,
            region_ids,
            subtree_root: _,
            kinds,
            statuses,
            parent_ids,
            top_level_only,
            disciplines,
            accredited,
            search: _,
            bbox: _,
            near: _,
        } = self;
        codes.is_none()
            && region_ids.is_none()
            && kinds.is_none()
            && statuses.is_none()
            && parent_ids.is_none()
            && !top_level_only
            && disciplines.is_none()
            && accredited.is_none()
    }
}
