use chrono::NaiveDate;
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::core::paging::{DateKey, TimestampKey};
use crate::core::time::Timestamp;
use crate::schema::recognition_agreements;
use crate::validation::{members, merge_patch_field};
use crate::{define_id, define_page, text_enum};

define_id!(AgreementId, "recognition agreement");

text_enum!(
    /// Which registration documents an agreement carries over: those of `medical_devices`,
    /// of `drugs`, or `both`.
    AgreementScope {
        MedicalDevices => "medical_devices",
        Drugs => "drugs",
        Both => "both",
    }
);

impl AgreementScope {
    /// Whether the agreement carries certificates of medical devices (equipment).
    pub fn covers_devices(self) -> bool {
        matches!(self, Self::MedicalDevices | Self::Both)
    }
}

/// A `recognition_agreements` row.
#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Insertable, AsChangeset)]
#[diesel(table_name = recognition_agreements, treat_none_as_null = true, treat_none_as_default_value = false)]
pub struct AgreementRow {
    pub id: AgreementId,
    pub recognizing_country_code: String,
    pub recognized_country_code: String,
    pub mutual: bool,
    pub scope: AgreementScope,
    pub in_force_from: NaiveDate,
    pub in_force_until: Option<NaiveDate>,
    pub title: String,
    pub source: String,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    pub version: i64,
}

impl AgreementRow {
    /// In force on `on` (both ends included).
    pub fn in_force_on(&self, on: NaiveDate) -> bool {
        self.in_force_from <= on && self.in_force_until.is_none_or(|until| on <= until)
    }

    /// Whether the agreement makes `country` accept the documents of `issuer`.
    pub fn carries(&self, issuer: &str, country: &str) -> bool {
        (self.recognizing_country_code == country && self.recognized_country_code == issuer)
            || (self.mutual
                && self.recognizing_country_code == issuer
                && self.recognized_country_code == country)
    }

    /// Whether the agreement is between these two countries, in either direction.
    pub fn between(&self, one: &str, other: &str) -> bool {
        (self.recognizing_country_code == one && self.recognized_country_code == other)
            || (self.recognizing_country_code == other && self.recognized_country_code == one)
    }
}

/// An agreement by which a country accepts another's registration documents.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[schema(example = json!({
    "id": "0193a0f4-9d40-7c3d-9a10-2b3c4d5e6f04",
    "recognizing_country_code": "SY",
    "recognized_country_code": "RU",
    "mutual": true,
    "scope": "both",
    "in_force_from": "2026-07-01",
    "in_force_until": null,
    "title": "Agreement on the mutual recognition of registration documents for medical devices and drugs",
    "source": "https://example.org/agreements/ru-sy-2026",
    "created_at": "2026-11-24T09:30:00Z",
    "updated_at": "2026-11-24T09:30:00Z",
    "version": 1
}))]
pub struct Agreement {
    pub id: AgreementId,
    /// The country that accepts the other's documents, ISO 3166-1 alpha-2.
    #[schema(pattern = "^[A-Z]{2}$", min_length = 2, max_length = 2, example = "SY")]
    pub recognizing_country_code: String,
    /// The country whose documents are accepted.
    #[schema(pattern = "^[A-Z]{2}$", min_length = 2, max_length = 2, example = "RU")]
    pub recognized_country_code: String,
    /// `true`: each country accepts the other's documents; `false`: only the recognizing
    /// country accepts the recognized one's.
    pub mutual: bool,
    pub scope: AgreementScope,
    /// First day the agreement is in force.
    #[schema(example = "2026-07-01")]
    pub in_force_from: NaiveDate,
    /// Last day it is in force; `null` while it has no end date.
    #[schema(required = true, example = json!(null))]
    pub in_force_until: Option<NaiveDate>,
    /// What the agreement is called, in any script.
    #[schema(
        min_length = 1,
        max_length = 500,
        example = "Agreement on the mutual recognition of registration documents for medical devices and drugs"
    )]
    pub title: String,
    /// Where the agreement is published: a URL or a document reference.
    #[schema(
        min_length = 1,
        max_length = 2000,
        example = "https://example.org/agreements/ru-sy-2026"
    )]
    pub source: String,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    /// Grows with every change; the ETag is derived from it.
    #[schema(minimum = 1, example = 1)]
    pub version: i64,
}

crate::from_row_fields!(Agreement from AgreementRow {
    id, recognizing_country_code, recognized_country_code, mutual, scope, in_force_from,
    in_force_until, title, source, created_at, updated_at, version
});

/// The body that records an agreement.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "recognizing_country_code": "SY",
    "recognized_country_code": "RU",
    "mutual": true,
    "scope": "both",
    "in_force_from": "2026-07-01",
    "title": "Agreement on the mutual recognition of registration documents for medical devices and drugs",
    "source": "https://example.org/agreements/ru-sy-2026"
}))]
pub struct AgreementCreate {
    /// An assigned ISO 3166-1 alpha-2 code, upper case.
    #[schema(pattern = "^[A-Z]{2}$", min_length = 2, max_length = 2, example = "SY")]
    pub recognizing_country_code: String,
    /// An assigned ISO 3166-1 alpha-2 code, upper case, other than
    /// `recognizing_country_code` (422).
    #[schema(pattern = "^[A-Z]{2}$", min_length = 2, max_length = 2, example = "RU")]
    pub recognized_country_code: String,
    /// Whether the recognition goes both ways.
    pub mutual: bool,
    pub scope: AgreementScope,
    /// YYYY-MM-DD, years 1900–2200.
    #[serde(deserialize_with = "members::date")]
    #[schema(value_type = NaiveDate, example = "2026-07-01")]
    pub in_force_from: NaiveDate,
    /// YYYY-MM-DD, not before `in_force_from`; absent or `null` without an end date.
    #[serde(default, deserialize_with = "members::optional_date")]
    #[schema(value_type = Option<NaiveDate>, example = "2031-06-30")]
    pub in_force_until: Option<NaiveDate>,
    /// At most 500 characters, in any script; trimmed, must not be blank.
    #[schema(
        min_length = 1,
        max_length = 500,
        example = "Agreement on the mutual recognition of registration documents for medical devices and drugs"
    )]
    pub title: String,
    /// A URL or document reference, at most 2000 characters, on one line; trimmed, must not
    /// be blank.
    #[schema(
        min_length = 1,
        max_length = 2000,
        example = "https://example.org/agreements/ru-sy-2026"
    )]
    pub source: String,
}

/// A JSON Merge Patch of an agreement: absent members stay; `null` clears
/// `in_force_until`; the other members cannot be `null` (422).
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"in_force_until": "2031-06-30"}))]
pub struct AgreementPatch {
    #[serde(default, deserialize_with = "merge_patch_field")]
    #[schema(value_type = String, required = false, pattern = "^[A-Z]{2}$", min_length = 2, max_length = 2, example = "SY")]
    pub recognizing_country_code: Option<Option<String>>,
    #[serde(default, deserialize_with = "merge_patch_field")]
    #[schema(value_type = String, required = false, pattern = "^[A-Z]{2}$", min_length = 2, max_length = 2, example = "RU")]
    pub recognized_country_code: Option<Option<String>>,
    #[serde(default, deserialize_with = "merge_patch_field")]
    #[schema(value_type = bool, required = false)]
    pub mutual: Option<Option<bool>>,
    #[serde(default, deserialize_with = "merge_patch_field")]
    #[schema(value_type = AgreementScope, required = false)]
    pub scope: Option<Option<AgreementScope>>,
    /// YYYY-MM-DD, not after `in_force_until`.
    #[serde(default, deserialize_with = "members::merge_patch_date")]
    #[schema(value_type = NaiveDate, required = false, example = "2026-07-01")]
    pub in_force_from: Option<Option<NaiveDate>>,
    /// YYYY-MM-DD, not before `in_force_from`; `null` removes the end date.
    #[serde(default, deserialize_with = "members::merge_patch_date")]
    #[schema(value_type = Option<NaiveDate>, nullable, example = "2031-06-30")]
    pub in_force_until: Option<Option<NaiveDate>>,
    /// At most 500 characters; trimmed, must not be blank.
    #[serde(default, deserialize_with = "merge_patch_field")]
    #[schema(value_type = String, required = false, min_length = 1, max_length = 500, example = "Agreement on the mutual recognition of registration documents")]
    pub title: Option<Option<String>>,
    /// At most 2000 characters, on one line; trimmed, must not be blank.
    #[serde(default, deserialize_with = "merge_patch_field")]
    #[schema(value_type = String, required = false, min_length = 1, max_length = 2000, example = "https://example.org/agreements/ru-sy-2026")]
    pub source: Option<Option<String>>,
}

define_page!(
    AgreementPage,
    Agreement,
    "A page of recognition agreements."
);

crate::sort_fields! {
    /// Fields an agreement list can be sorted by.
    pub enum AgreementSort for AgreementRow in recognition_agreements, id AgreementId,
        default CreatedAt {
        InForceFrom = "in_force_from" => DateKey, recognition_agreements::in_force_from, |row| row.in_force_from;
        CreatedAt = "created_at" => TimestampKey, recognition_agreements::created_at, |row| row.created_at;
        UpdatedAt = "updated_at" => TimestampKey, recognition_agreements::updated_at, |row| row.updated_at;
    }
}

/// Filters of an agreement list (already parsed).
#[derive(Debug, Clone, Default)]
pub struct AgreementFilter {
    /// Agreements with any of these countries on either side.
    pub country_codes: Option<Vec<String>>,
    pub recognizing_country_codes: Option<Vec<String>>,
    pub recognized_country_codes: Option<Vec<String>>,
    pub scopes: Option<Vec<AgreementScope>>,
    /// Only agreements in force on this date.
    pub in_force_on: Option<NaiveDate>,
}
