use chrono::NaiveDate;
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::core::paging::{DateKey, TextKey, TimestampKey};
use crate::core::resource::FromRow;
use crate::core::states::{StateMachine, Target};
use crate::core::time::Timestamp;
use crate::equipment_models::model::EquipmentModelId;
use crate::schema::registration_certificates;
use crate::validation::{members, merge_patch_field};
use crate::{define_id, define_page, text_enum};

define_id!(CertificateId, "registration certificate");

text_enum!(
    /// What a certificate's authority decided last. Allowed changes (`PATCH` of `status`):
    ///
    /// {moves:CertificateStatus}
    ///
    /// Sending the current status changes nothing. Expiry is not a status: it follows from
    /// `valid_until` (see `expired`).
    CertificateStatus {
        Active => "active",
        Suspended => "suspended",
        Revoked => "revoked",
    }
);

impl StateMachine for CertificateStatus {
    const MOVES: &'static [(Self, &'static [Target<Self>])] = {
        use CertificateStatus::*;
        use Target::State;
        &[
            (Active, &[State(Suspended), State(Revoked)]),
            (Suspended, &[State(Active), State(Revoked)]),
            (Revoked, &[]),
        ]
    };

    fn refusal(from: Self, to: Self, _allowed: &[Self], _remembered: Option<Self>) -> String {
        match from {
            Self::Revoked => format!(
                "cannot move from `revoked` to `{to}`: a revoked certificate stays revoked; \
                 register the new certificate instead"
            ),
            _ => format!("cannot move from `{from}` to `{to}`"),
        }
    }
}

crate::document_moves!(CertificateStatus);

text_enum!(
    /// What a certificate is for: a `medical_device` (equipment, and reagents registered as
    /// in-vitro diagnostic devices) or a `drug`.
    ProductKind {
        MedicalDevice => "medical_device",
        Drug => "drug",
    }
);

/// A `registration_certificates` row.
#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Insertable, AsChangeset)]
#[diesel(table_name = registration_certificates, treat_none_as_null = true, treat_none_as_default_value = false)]
pub struct CertificateRow {
    pub id: CertificateId,
    pub equipment_model_id: Option<EquipmentModelId>,
    pub product_name: Option<String>,
    pub product_kind: ProductKind,
    pub country_code: String,
    pub issuing_authority: String,
    /// `search_key(issuing_authority)`.
    pub authority_key: String,
    pub number: String,
    /// `code_key(number)`: unique per country and authority.
    pub number_key: String,
    pub issued_on: NaiveDate,
    pub valid_until: Option<NaiveDate>,
    pub status: CertificateStatus,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    pub version: i64,
}

impl CertificateRow {
    /// Past its `valid_until` on `on`.
    pub fn expired_on(&self, on: NaiveDate) -> bool {
        self.valid_until.is_some_and(|until| until < on)
    }
}

/// The UTC date today: what `expired` is judged on.
pub fn today() -> NaiveDate {
    chrono::Utc::now().date_naive()
}

/// A registration certificate.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[schema(example = json!({
    "id": "0193a0f4-9c30-7c3d-9a10-2b3c4d5e6f03",
    "equipment_model_id": "0193a0f4-9a10-7c3d-9a10-2b3c4d5e6f01",
    "product_name": null,
    "product_kind": "medical_device",
    "country_code": "RU",
    "issuing_authority": "Росздравнадзор",
    "number": "РЗН 2021/14567",
    "issued_on": "2021-06-10",
    "valid_until": null,
    "status": "active",
    "expired": false,
    "created_at": "2026-11-24T09:30:00Z",
    "updated_at": "2026-11-24T09:30:00Z",
    "version": 1
}))]
pub struct Certificate {
    pub id: CertificateId,
    /// The equipment model the certificate is for; `null` for a certificate of a named
    /// product (`product_name`).
    #[schema(required = true)]
    pub equipment_model_id: Option<EquipmentModelId>,
    /// The drug or reagent the certificate is for, when it is not for an equipment model;
    /// `null` otherwise. Exactly one of `equipment_model_id` and `product_name` is set.
    #[schema(required = true, min_length = 1, max_length = 300, example = json!(null))]
    pub product_name: Option<String>,
    pub product_kind: ProductKind,
    /// The country whose authority issued the certificate, ISO 3166-1 alpha-2.
    #[schema(pattern = "^[A-Z]{2}$", min_length = 2, max_length = 2, example = "RU")]
    pub country_code: String,
    /// The authority that issued it, in any script.
    #[schema(min_length = 1, max_length = 300, example = "Росздравнадзор")]
    pub issuing_authority: String,
    /// The certificate's number; unique per country and authority regardless of case.
    #[schema(min_length = 1, max_length = 100, example = "РЗН 2021/14567")]
    pub number: String,
    /// First day the certificate is valid.
    #[schema(example = "2021-06-10")]
    pub issued_on: NaiveDate,
    /// Last day it is valid; `null` when it is valid without a time limit.
    #[schema(required = true, example = json!(null))]
    pub valid_until: Option<NaiveDate>,
    pub status: CertificateStatus,
    /// Whether `valid_until` has passed, judged on today's date (UTC) when the response is
    /// made; never stored. An expired certificate allows nothing, whatever its `status`.
    #[schema(example = false)]
    pub expired: bool,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    /// Grows with every change; the ETag is derived from it.
    #[schema(minimum = 1, example = 1)]
    pub version: i64,
}

impl FromRow for Certificate {
    type Row = CertificateRow;
    type Children = ();

    fn from_row(row: CertificateRow, (): ()) -> Self {
        Self {
            expired: row.expired_on(today()),
            id: row.id,
            equipment_model_id: row.equipment_model_id,
            product_name: row.product_name,
            product_kind: row.product_kind,
            country_code: row.country_code,
            issuing_authority: row.issuing_authority,
            number: row.number,
            issued_on: row.issued_on,
            valid_until: row.valid_until,
            status: row.status,
            created_at: row.created_at,
            updated_at: row.updated_at,
            version: row.version,
        }
    }
}

/// The body that records a certificate.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "equipment_model_id": "0193a0f4-9a10-7c3d-9a10-2b3c4d5e6f01",
    "country_code": "RU",
    "issuing_authority": "Росздравнадзор",
    "number": "РЗН 2021/14567",
    "issued_on": "2021-06-10"
}))]
pub struct CertificateCreate {
    /// An existing equipment model; give it or `product_name`, not both (422).
    #[serde(default)]
    pub equipment_model_id: Option<EquipmentModelId>,
    /// The drug or reagent, at most 300 characters, for a certificate that is not for an
    /// equipment model; trimmed, must not be blank.
    #[serde(default)]
    #[schema(
        min_length = 1,
        max_length = 300,
        example = "Набор реагентов для определения глюкозы"
    )]
    pub product_name: Option<String>,
    /// Absent or `null`: `medical_device`. A certificate of an equipment model is always
    /// `medical_device` (422 otherwise).
    #[serde(default)]
    pub product_kind: Option<ProductKind>,
    /// An assigned ISO 3166-1 alpha-2 code, upper case.
    #[schema(pattern = "^[A-Z]{2}$", min_length = 2, max_length = 2, example = "RU")]
    pub country_code: String,
    /// At most 300 characters, in any script; trimmed, must not be blank.
    #[schema(min_length = 1, max_length = 300, example = "Росздравнадзор")]
    pub issuing_authority: String,
    /// At most 100 characters; unique per country and authority regardless of case (409);
    /// trimmed, must not be blank.
    #[schema(min_length = 1, max_length = 100, example = "РЗН 2021/14567")]
    pub number: String,
    /// YYYY-MM-DD, years 1900–2200.
    #[serde(deserialize_with = "members::date")]
    #[schema(value_type = NaiveDate, example = "2021-06-10")]
    pub issued_on: NaiveDate,
    /// YYYY-MM-DD, not before `issued_on`; absent or `null` when valid without a limit.
    #[serde(default, deserialize_with = "members::optional_date")]
    #[schema(value_type = Option<NaiveDate>, example = "2031-06-10")]
    pub valid_until: Option<NaiveDate>,
    /// Absent or `null`: `active`. A certificate may be recorded in any status, a revoked
    /// one included.
    #[serde(default)]
    pub status: Option<CertificateStatus>,
}

/// A JSON Merge Patch of a certificate: absent members stay; `null` clears `valid_until`;
/// the other members cannot be `null` (422). What the certificate is for (`equipment_model_id`,
/// `product_name`, `product_kind`) is fixed: record a new certificate instead.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"status": "suspended"}))]
pub struct CertificatePatch {
    /// An assigned ISO 3166-1 alpha-2 code, upper case.
    #[serde(default, deserialize_with = "merge_patch_field")]
    #[schema(value_type = String, required = false, pattern = "^[A-Z]{2}$", min_length = 2, max_length = 2, example = "RU")]
    pub country_code: Option<Option<String>>,
    /// At most 300 characters; trimmed, must not be blank.
    #[serde(default, deserialize_with = "merge_patch_field")]
    #[schema(value_type = String, required = false, min_length = 1, max_length = 300, example = "Росздравнадзор")]
    pub issuing_authority: Option<Option<String>>,
    /// At most 100 characters; unique per country and authority regardless of case.
    #[serde(default, deserialize_with = "merge_patch_field")]
    #[schema(value_type = String, required = false, min_length = 1, max_length = 100, example = "РЗН 2021/14567")]
    pub number: Option<Option<String>>,
    /// YYYY-MM-DD, years 1900–2200, not after `valid_until`.
    #[serde(default, deserialize_with = "members::merge_patch_date")]
    #[schema(value_type = NaiveDate, required = false, example = "2021-06-10")]
    pub issued_on: Option<Option<NaiveDate>>,
    /// YYYY-MM-DD, not before `issued_on`; `null` makes the certificate valid without a
    /// limit.
    #[serde(default, deserialize_with = "members::merge_patch_date")]
    #[schema(value_type = Option<NaiveDate>, nullable, example = "2031-06-10")]
    pub valid_until: Option<Option<NaiveDate>>,
    /// A move along `CertificateStatus`'s table (409 otherwise).
    #[serde(default, deserialize_with = "merge_patch_field")]
    #[schema(value_type = CertificateStatus, required = false)]
    pub status: Option<Option<CertificateStatus>>,
}

define_page!(
    CertificatePage,
    Certificate,
    "A page of registration certificates."
);

crate::sort_fields! {
    /// Fields a certificate list can be sorted by.
    pub enum CertificateSort for CertificateRow in registration_certificates, id CertificateId,
        default CreatedAt {
        IssuedOn = "issued_on" => DateKey, registration_certificates::issued_on, |row| row.issued_on;
        Number = "number" => TextKey, registration_certificates::number, |row| row.number.clone();
        CreatedAt = "created_at" => TimestampKey, registration_certificates::created_at, |row| row.created_at;
        UpdatedAt = "updated_at" => TimestampKey, registration_certificates::updated_at, |row| row.updated_at;
    }
}

/// Filters of a certificate list (already parsed).
#[derive(Debug, Clone, Default)]
pub struct CertificateFilter {
    pub equipment_model_ids: Option<Vec<EquipmentModelId>>,
    pub country_codes: Option<Vec<String>>,
    pub statuses: Option<Vec<CertificateStatus>>,
    pub product_kinds: Option<Vec<ProductKind>>,
    /// `Some(true)`: only those past `valid_until` today; `Some(false)`: only the others.
    pub expired: Option<bool>,
    /// `code_key` of a number to match exactly.
    pub number_key: Option<String>,
}
