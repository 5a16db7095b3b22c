use chrono::NaiveDate;
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::core::paging::TimestampKey;
use crate::core::resource::FromRow;
use crate::core::states::{StateMachine, Target};
use crate::core::time::Timestamp;
use crate::regions::model::RegionId;
use crate::schema::{localization_stage_changes, localizations};
use crate::validation::{members, merge_patch_field};
use crate::vendors::model::VendorId;
use crate::{define_id, define_page, text_enum};

define_id!(LocalizationId, "localization");
define_id!(StageChangeId, "stage change");

text_enum!(
    /// How far a localization has got.
    ///
    /// The five forward stages are the *open* ones. Allowed changes
    /// (`POST /v1/localizations/{id}/stage-changes`):
    ///
    /// {moves:LocalizationStage}
    ///
    /// Forward moves go one step at a time; nothing moves backwards; moving to the current
    /// stage is not a change.
    LocalizationStage {
        InterestDeclared => "interest_declared",
        Negotiating => "negotiating",
        AgreementSigned => "agreement_signed",
        ProductionSetup => "production_setup",
        Producing => "producing",
        Suspended => "suspended",
        Cancelled => "cancelled",
    }
);

impl LocalizationStage {
    /// The forward path, in order.
    pub const FORWARD: [Self; 5] = [
        Self::InterestDeclared,
        Self::Negotiating,
        Self::AgreementSigned,
        Self::ProductionSetup,
        Self::Producing,
    ];

    /// One of the forward stages (neither suspended nor cancelled).
    pub fn is_open(self) -> bool {
        Self::FORWARD.contains(&self)
    }

    /// The next forward stage, if any.
    pub fn next(self) -> Option<Self> {
        let position = Self::FORWARD.iter().position(|s| *s == self)?;
        Self::FORWARD.get(position + 1).copied()
    }
}

impl StateMachine for LocalizationStage {
    const MOVES: &'static [(Self, &'static [Target<Self>])] = {
        use LocalizationStage::*;
        use Target::State;
        &[
            (
                InterestDeclared,
                &[State(Negotiating), State(Suspended), State(Cancelled)],
            ),
            (
                Negotiating,
                &[State(AgreementSigned), State(Suspended), State(Cancelled)],
            ),
            (
                AgreementSigned,
                &[State(ProductionSetup), State(Suspended), State(Cancelled)],
            ),
            (
                ProductionSetup,
                &[State(Producing), State(Suspended), State(Cancelled)],
            ),
            (Producing, &[State(Suspended), State(Cancelled)]),
            // Resuming goes back to exactly where the localization was suspended from.
            (
                Suspended,
                &[
                    Target::Remembered("the stage it was suspended from (`suspended_from_stage`)"),
                    State(Cancelled),
                ],
            ),
            (Cancelled, &[]),
        ]
    };

    fn refusal(from: Self, to: Self, _allowed: &[Self], suspended_from: Option<Self>) -> String {
        use LocalizationStage::{Cancelled, Suspended};
        if from == to {
            return format!("the localization is already `{from}`; the same stage is not a change");
        }
        match (from, suspended_from) {
            (Cancelled, _) => {
                format!("cannot move from `cancelled` to `{to}`: cancelled is final")
            }
            (Suspended, Some(back)) => format!(
                "cannot move from `suspended` to `{to}`: a suspended localization resumes to \
                 `{back}`, where it was suspended from, or is cancelled"
            ),
            _ if to.is_open() && from.is_open() && to < from => {
                format!("cannot move from `{from}` back to `{to}`: stages never move backwards")
            }
            _ => match from.next() {
                Some(next) => format!(
                    "cannot move from `{from}` to `{to}`: forward moves go one step at a time, \
                     the next stage is `{next}`"
                ),
                None => format!("cannot move from `{from}` to `{to}`"),
            },
        }
    }
}

crate::document_moves!(LocalizationStage);

text_enum!(
    /// What part of its production the vendor localizes.
    LocalizationScope {
        Equipment => "equipment",
        Reagents => "reagents",
        Consumables => "consumables",
    }
);

/// A `localizations` row.
#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Insertable, AsChangeset)]
#[diesel(table_name = localizations, treat_none_as_null = true, treat_none_as_default_value = false)]
pub struct LocalizationRow {
    pub id: LocalizationId,
    pub vendor_id: VendorId,
    pub country_code: String,
    pub region_id: Option<RegionId>,
    pub stage: LocalizationStage,
    pub suspended_from_stage: Option<LocalizationStage>,
    pub stage_changed_on: NaiveDate,
    pub local_content_percent: Option<f64>,
    pub target_date: Option<NaiveDate>,
    pub partner: Option<String>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    pub version: i64,
}

/// A `localization_stage_changes` row.
#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = localization_stage_changes, treat_none_as_default_value = false)]
pub struct StageChangeRow {
    pub id: StageChangeId,
    pub localization_id: LocalizationId,
    pub from_stage: Option<LocalizationStage>,
    pub to_stage: LocalizationStage,
    pub changed_on: NaiveDate,
    pub note: Option<String>,
    pub source: Option<String>,
    pub created_at: Timestamp,
}

/// A vendor bringing (part of) its production into a country.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[schema(example = json!({
    "id": "0193a0f4-7a21-7c3d-9a10-2b3c4d5e6f80",
    "vendor_id": "0193a0f4-6b10-7c3d-9a10-2b3c4d5e6f90",
    "country_code": "RU",
    "region_id": "0193a0f4-5e6b-7c3d-9a10-2b3c4d5e6f70",
    "scope": ["reagents"],
    "stage": "agreement_signed",
    "suspended_from_stage": null,
    "stage_changed_on": "2026-10-15",
    "local_content_percent": 35.0,
    "target_date": "2027-12-31",
    "partner": "Медтехника",
    "created_at": "2026-09-01T08:00:00Z",
    "updated_at": "2026-10-15T12:40:00Z",
    "version": 3
}))]
pub struct Localization {
    pub id: LocalizationId,
    /// The vendor that localizes.
    pub vendor_id: VendorId,
    /// ISO 3166-1 alpha-2 code of the country production moves into.
    #[schema(pattern = "^[A-Z]{2}$", min_length = 2, max_length = 2, example = "RU")]
    pub country_code: String,
    /// The region of the production site, in `country_code`; `null` when not settled.
    #[schema(required = true)]
    pub region_id: Option<RegionId>,
    /// What is localized, each once, in the order equipment, reagents, consumables.
    #[schema(value_type = BTreeSet<LocalizationScope>, min_items = 1, max_items = 3)]
    pub scope: Vec<LocalizationScope>,
    /// The current stage; change it through `POST /v1/localizations/{id}/stage-changes`.
    pub stage: LocalizationStage,
    /// For a `suspended` localization: the stage it was suspended from and resumes to;
    /// otherwise `null`.
    #[schema(required = true)]
    pub suspended_from_stage: Option<LocalizationStage>,
    /// Date of the last stage change.
    #[schema(example = "2026-10-15")]
    pub stage_changed_on: NaiveDate,
    /// Share of local content in percent (0–100); `null` when unknown.
    #[schema(required = true, minimum = 0, maximum = 100, example = 35.0)]
    pub local_content_percent: Option<f64>,
    /// When production is planned to reach the next milestone; `null` when not planned.
    #[schema(required = true, example = "2027-12-31")]
    pub target_date: Option<NaiveDate>,
    /// The local partner (manufacturer, distributor), in any script; `null` when none.
    #[schema(
        required = true,
        min_length = 1,
        max_length = 300,
        example = "Медтехника"
    )]
    pub partner: Option<String>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    /// Grows with every change, stage changes included; the ETag is derived from it.
    #[schema(minimum = 1, example = 3)]
    pub version: i64,
}

impl FromRow for Localization {
    type Row = LocalizationRow;
    type Children = Vec<LocalizationScope>;

    fn from_row(row: LocalizationRow, scope: Vec<LocalizationScope>) -> Self {
        Self {
            stage: row.stage,
            suspended_from_stage: row.suspended_from_stage,
            id: row.id,
            vendor_id: row.vendor_id,
            country_code: row.country_code,
            region_id: row.region_id,
            scope,
            stage_changed_on: row.stage_changed_on,
            local_content_percent: row.local_content_percent,
            target_date: row.target_date,
            partner: row.partner,
            created_at: row.created_at,
            updated_at: row.updated_at,
            version: row.version,
        }
    }
}

/// The body that creates a localization.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "vendor_id": "0193a0f4-6b10-7c3d-9a10-2b3c4d5e6f90",
    "country_code": "RU",
    "region_id": "0193a0f4-5e6b-7c3d-9a10-2b3c4d5e6f70",
    "scope": ["reagents"],
    "stage": "negotiating",
    "stage_changed_on": "2026-09-01",
    "local_content_percent": 20,
    "target_date": "2027-12-31",
    "partner": "Медтехника",
    "note": "Talks on reagent production for the Kurgan pilot opened",
    "source": "https://example.org/news/mindray-kurgan"
}))]
pub struct LocalizationCreate {
    /// An existing vendor.
    pub vendor_id: VendorId,
    /// An assigned ISO 3166-1 alpha-2 code, upper case.
    #[schema(pattern = "^[A-Z]{2}$", min_length = 2, max_length = 2, example = "RU")]
    pub country_code: String,
    /// An existing region in `country_code`; absent or `null` when not settled.
    #[serde(default)]
    pub region_id: Option<RegionId>,
    /// At least one, each at most once (a repeated one is refused).
    #[schema(value_type = BTreeSet<LocalizationScope>, min_items = 1, max_items = 3)]
    pub scope: Vec<LocalizationScope>,
    /// The initial stage: one of the forward stages (not `suspended` or `cancelled`);
    /// absent or `null` for `interest_declared`.
    #[serde(default)]
    pub stage: Option<LocalizationStage>,
    /// Date the initial stage was reached (YYYY-MM-DD, from 1900); absent or `null` for
    /// today (UTC), never in the future.
    #[serde(default, deserialize_with = "members::optional_date")]
    #[schema(value_type = Option<NaiveDate>, example = "2026-09-01")]
    pub stage_changed_on: Option<NaiveDate>,
    /// Share of local content in percent, 0–100.
    #[serde(default)]
    #[schema(minimum = 0, maximum = 100, example = 20.0)]
    pub local_content_percent: Option<f64>,
    /// When production is planned to reach the next milestone (YYYY-MM-DD, years
    /// 1900–2200).
    #[serde(default, deserialize_with = "members::optional_date")]
    #[schema(value_type = Option<NaiveDate>, example = "2027-12-31")]
    pub target_date: Option<NaiveDate>,
    /// The local partner, in any script, at most 300 characters; trimmed, and a blank one is
    /// stored as `null`.
    #[serde(default)]
    #[schema(max_length = 300, example = "Медтехника")]
    pub partner: Option<String>,
    /// Note of the first history entry, at most 2000 characters; may span lines; trimmed,
    /// and a blank one is stored as `null`.
    #[serde(default)]
    #[schema(
        max_length = 2000,
        example = "Talks on reagent production for the Kurgan pilot opened"
    )]
    pub note: Option<String>,
    /// Source of the first history entry: a URL or document reference, at most 2000
    /// characters, on one line; trimmed, and a blank one is stored as `null`.
    #[serde(default)]
    #[schema(max_length = 2000, example = "https://example.org/news/mindray-kurgan")]
    pub source: Option<String>,
}

/// A JSON Merge Patch of a localization: absent members stay, `null` clears `region_id`,
/// `local_content_percent`, `target_date` or `partner`; the other members cannot be `null`
/// (422).
///
/// `stage`, `suspended_from_stage` and `stage_changed_on` cannot be patched (422
/// `read_only`); change the stage through `POST /v1/localizations/{id}/stage-changes`.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"scope": ["reagents", "consumables"], "local_content_percent": 42.5}))]
pub struct LocalizationPatch {
    /// An existing vendor.
    #[serde(default, deserialize_with = "merge_patch_field")]
    #[schema(value_type = VendorId, required = false)]
    pub vendor_id: Option<Option<VendorId>>,
    /// An assigned ISO 3166-1 alpha-2 code, upper case; the site region must lie in it.
    #[serde(default, deserialize_with = "merge_patch_field")]
    #[schema(value_type = String, required = false, pattern = "^[A-Z]{2}$", min_length = 2, max_length = 2, example = "RU")]
    pub country_code: Option<Option<String>>,
    /// An existing region in `country_code`; `null` clears it.
    #[serde(default, deserialize_with = "merge_patch_field")]
    #[schema(value_type = Option<RegionId>, nullable)]
    pub region_id: Option<Option<RegionId>>,
    /// Replaces the whole list: at least one, each at most once.
    #[serde(default, deserialize_with = "merge_patch_field")]
    #[schema(value_type = BTreeSet<LocalizationScope>, required = false, min_items = 1, max_items = 3)]
    pub scope: Option<Option<Vec<LocalizationScope>>>,
    /// 0–100; `null` clears it.
    #[serde(default, deserialize_with = "merge_patch_field")]
    #[schema(value_type = Option<f64>, nullable, minimum = 0, maximum = 100, example = 42.5)]
    pub local_content_percent: Option<Option<f64>>,
    /// YYYY-MM-DD in the years 1900–2200; `null` clears it.
    #[serde(default, deserialize_with = "members::merge_patch_date")]
    #[schema(value_type = Option<NaiveDate>, nullable, example = "2027-12-31")]
    pub target_date: Option<Option<NaiveDate>>,
    /// At most 300 characters; `null` (or a blank one) clears it.
    #[serde(default, deserialize_with = "merge_patch_field")]
    #[schema(value_type = Option<String>, nullable, max_length = 300, example = "Медтехника")]
    pub partner: Option<Option<String>>,
    /// Accepted only to refuse it with `read_only`: stages change through stage changes.
    #[serde(default, deserialize_with = "merge_patch_field")]
    #[schema(ignore)]
    pub stage: Option<Option<serde_json::Value>>,
    #[serde(default, deserialize_with = "merge_patch_field")]
    #[schema(ignore)]
    pub suspended_from_stage: Option<Option<serde_json::Value>>,
    #[serde(default, deserialize_with = "merge_patch_field")]
    #[schema(ignore)]
    pub stage_changed_on: Option<Option<serde_json::Value>>,
}

define_page!(LocalizationPage, Localization, "A page of localizations.");

/// One accepted stage change, as kept in a localization's history.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[schema(example = json!({
    "id": "0193a0f4-8c32-7c3d-9a10-2b3c4d5e6fa0",
    "localization_id": "0193a0f4-7a21-7c3d-9a10-2b3c4d5e6f80",
    "from_stage": "negotiating",
    "to_stage": "agreement_signed",
    "changed_on": "2026-10-15",
    "note": "Agreement with Медтехника signed for reagent production in Kurgan",
    "source": "https://example.org/news/mindray-agreement",
    "created_at": "2026-10-15T12:40:00Z"
}))]
pub struct StageChange {
    pub id: StageChangeId,
    pub localization_id: LocalizationId,
    /// The stage before the change; `null` for the entry written when the localization was
    /// created.
    #[schema(required = true)]
    pub from_stage: Option<LocalizationStage>,
    pub to_stage: LocalizationStage,
    /// The date the change took effect.
    #[schema(example = "2026-10-15")]
    pub changed_on: NaiveDate,
    /// What the change is about, at most 2000 characters, may span lines; `null` when none.
    #[schema(
        required = true,
        min_length = 1,
        max_length = 2000,
        example = "Agreement with Медтехника signed for reagent production in Kurgan"
    )]
    pub note: Option<String>,
    /// Where the change is documented: a URL or a document reference, at most 2000
    /// characters; `null` when none.
    #[schema(
        required = true,
        min_length = 1,
        max_length = 2000,
        example = "https://example.org/news/mindray-agreement"
    )]
    pub source: Option<String>,
    /// When the change was recorded.
    pub created_at: Timestamp,
}

crate::from_row_fields!(StageChange from StageChangeRow {
    id, localization_id, from_stage, to_stage, changed_on, note, source, created_at
});

/// The body of a stage change.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "stage": "agreement_signed",
    "changed_on": "2026-10-15",
    "note": "Agreement with Медтехника signed for reagent production in Kurgan",
    "source": "https://example.org/news/mindray-agreement"
}))]
pub struct StageChangeCreate {
    /// The stage to move to; see `LocalizationStage` for the allowed moves.
    pub stage: LocalizationStage,
    /// The date the change took effect (YYYY-MM-DD); absent or `null` for today (UTC). Not
    /// before the previous change and not in the future.
    #[serde(default, deserialize_with = "members::optional_date")]
    #[schema(value_type = Option<NaiveDate>, example = "2026-10-15")]
    pub changed_on: Option<NaiveDate>,
    /// At most 2000 characters, may span lines; trimmed, and a blank one is stored as
    /// `null`.
    #[serde(default)]
    #[schema(
        max_length = 2000,
        example = "Agreement with Медтехника signed for reagent production in Kurgan"
    )]
    pub note: Option<String>,
    /// A URL or document reference, at most 2000 characters, on one line; trimmed, and a
    /// blank one is stored as `null`.
    #[serde(default)]
    #[schema(
        max_length = 2000,
        example = "https://example.org/news/mindray-agreement"
    )]
    pub source: Option<String>,
}

define_page!(
    StageChangePage,
    StageChange,
    "A page of a localization's stage changes, oldest first."
);

crate::sort_fields! {
    /// Fields a localization list can be sorted by.
    pub enum LocalizationSort for LocalizationRow in localizations, id LocalizationId,
        default CreatedAt {
        CreatedAt = "created_at" => TimestampKey, localizations::created_at, |row| row.created_at;
        UpdatedAt = "updated_at" => TimestampKey, localizations::updated_at, |row| row.updated_at;
    }
}

/// The one order of a localization's history: by id, which is the order of the changes.
#[derive(Debug, Clone, Copy)]
pub struct HistoryOrder;

impl crate::core::paging::FixedOrder for HistoryOrder {
    const NAME: &'static str = "id";
}

/// Filters of a localization list (already parsed).
#[derive(Debug, Clone, Default)]
pub struct LocalizationFilter {
    pub vendor_ids: Option<Vec<VendorId>>,
    pub country_codes: Option<Vec<String>>,
    pub region_ids: Option<Vec<RegionId>>,
    pub stages: Option<Vec<LocalizationStage>>,
    pub scopes: Option<Vec<LocalizationScope>>,
}

#[cfg(test)]
mod tests {
    use super::LocalizationStage::*;
    use crate::core::states::{moves_table, StateMachine};

    #[test]
    fn forward_stages_move_one_step_or_suspend_or_cancel() {
        assert_eq!(
            InterestDeclared.allowed(None),
            vec![Negotiating, Suspended, Cancelled]
        );
        assert_eq!(
            ProductionSetup.allowed(None),
            vec![Producing, Suspended, Cancelled]
        );
        assert_eq!(Producing.allowed(None), vec![Suspended, Cancelled]);
    }

    #[test]
    fn suspended_resumes_only_where_it_came_from() {
        assert_eq!(
            Suspended.allowed(Some(AgreementSigned)),
            vec![AgreementSigned, Cancelled]
        );
        assert_eq!(Suspended.allowed(None), vec![Cancelled]);
    }

    #[test]
    fn cancelled_is_final() {
        assert!(Cancelled.allowed(None).is_empty());
    }

    #[test]
    fn the_table_says_what_the_guard_does() {
        let table = moves_table::<super::LocalizationStage>();
        assert!(table.contains("| `negotiating` | `agreement_signed`, `suspended`, `cancelled` |"));
        assert!(table.contains(
            "| `suspended` | the stage it was suspended from (`suspended_from_stage`), `cancelled` |"
        ));
        assert!(table.contains("| `cancelled` | nothing (final) |"));
        let refused = Producing.check_move(Negotiating, None);
        assert!(refused.is_err());
        assert!(Suspended.check_move(Negotiating, Some(Negotiating)).is_ok());
    }
}
