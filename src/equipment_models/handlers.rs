//! HTTP for equipment models: the standard endpoints and the list's filters.

use serde::Deserialize;
use utoipa::IntoParams;

use super::model::{
    EquipmentCategory, EquipmentModel, EquipmentModelCreate, EquipmentModelFilter,
    EquipmentModelId, EquipmentModelPage, EquipmentModelPatch, EquipmentModelSort,
};
use super::service;
use crate::core::error::DomainError;
use crate::http::query::{parse_bool, parse_id_list, parse_list, ListFilter, SearchDoc};
use crate::localizations::model::LocalizationId;
use crate::vendors::model::VendorId;

pub fn routes(config: &mut utoipa_actix_web::service_config::ServiceConfig) {
    standard::routes(config);
    crate::eligibility::model_routes(config);
}

/// Filters of `GET /v1/equipment-models`.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct EquipmentModelListFilter {
    /// Only models of these vendors (ids, repeated or comma-separated for any of).
    #[param(value_type = Option<Vec<uuid::Uuid>>, style = Form, example = json!(["0193a0f4-5e6b-7c3d-9a10-2b3c4d5e6f80"]))]
    pub vendor_id: Option<String>,
    /// Only models of these categories (repeated or comma-separated for any of).
    #[param(value_type = Option<Vec<EquipmentCategory>>, style = Form, example = json!(["hematology_analyzer"]))]
    pub category: Option<String>,
    /// Only models produced under these localizations (ids, repeated or comma-separated for
    /// any of).
    #[param(value_type = Option<Vec<uuid::Uuid>>, style = Form, example = json!(["0193a0f4-7a21-7c3d-9a10-2b3c4d5e6f80"]))]
    pub localization_id: Option<String>,
    /// `true`: only models produced under a localization; `false`: only the others.
    #[param(value_type = Option<bool>, example = true)]
    pub localized: Option<String>,
}

impl ListFilter for EquipmentModelListFilter {
    type Parsed = EquipmentModelFilter;
    const SEARCH: Option<SearchDoc> = Some(SearchDoc {
        description: "Text search by words over names and model codes: every word given must \
begin a word of the name or code (`bc 6200` finds \"BC-6200\"). Words are runs of letters and \
digits; case and Unicode form are ignored, in any script. At most 8 words; text without a \
letter or digit matches nothing.",
        example: "bc 6200",
    });

    fn parse(self, search: Option<Vec<String>>) -> Result<EquipmentModelFilter, DomainError> {
        Ok(EquipmentModelFilter {
            vendor_ids: parse_id_list::<VendorId>("vendor_id", &self.vendor_id)?,
            categories: parse_list("category", &self.category, "an equipment category")?,
            localization_ids: parse_id_list::<LocalizationId>(
                "localization_id",
                &self.localization_id,
            )?,
            localized: parse_bool("localized", &self.localized)?,
            search,
        })
    }
}

crate::resource_endpoints! {
    tag "equipment", path "/v1/equipment-models", id EquipmentModelId, service service;
    /// List equipment models
    ///
    /// Filters combine with AND; several values within one filter mean "any of".
    list "listEquipmentModels" EquipmentModelListFilter, EquipmentModelSort => EquipmentModelPage
        "A page of equipment models";
    /// Create an equipment model
    ///
    /// The vendor must exist, and a localization, when given, must be that vendor's (422).
    /// The model code is unique within the vendor regardless of case (409).
    create "createEquipmentModel" EquipmentModelCreate => EquipmentModel "URL of the new equipment model"
        [(status = 409, response = crate::http::responses::Conflict),];
    /// Get an equipment model
    get "getEquipmentModel" "The equipment model";
    /// Update an equipment model
    ///
    /// JSON Merge Patch (RFC 7396). `localization_id: null` clears the localization; a new
    /// vendor or localization is checked again (the localization must be the vendor's). A
    /// patch that changes nothing keeps the version.
    update "updateEquipmentModel" EquipmentModelPatch => "The updated equipment model"
        [(status = 409, response = crate::http::responses::Conflict),];
    /// Delete an equipment model
    ///
    /// Refused (409, `referenced_by`) while installed units or registration certificates
    /// refer to it.
    delete "deleteEquipmentModel" [(status = 409, response = crate::http::responses::Conflict),];
    /// List an equipment model's audit trail
    audit "listEquipmentModelAudit";
}
