//! HTTP for installed units: the standard endpoints, a laboratory's equipment, and the
//! lists' filters.

use actix_web::{get, web, HttpResponse};
use serde::Deserialize;
use utoipa::IntoParams;

use super::model::{
    EquipmentUnit, EquipmentUnitCreate, EquipmentUnitFilter, EquipmentUnitId, EquipmentUnitPage,
    EquipmentUnitPatch, EquipmentUnitSort, EquipmentUnitStatus,
};
use super::service;
use crate::core::error::DomainError;
use crate::equipment_models::model::{EquipmentCategory, EquipmentModelId};
use crate::http::auth::{Authorized, Reader};
use crate::http::extract::{IdPath, IfNoneMatch};
use crate::http::query::{parse_code_key, parse_id_list, parse_list, ListFilter, ListQuery};
use crate::laboratories::model::LaboratoryId;
use crate::regions::model::RegionId;
use crate::vendors::model::VendorId;
use crate::AppState;

pub fn routes(config: &mut utoipa_actix_web::service_config::ServiceConfig) {
    standard::routes(config);
}

/// The endpoints below `/v1/laboratories/{id}`.
pub fn laboratory_routes(config: &mut utoipa_actix_web::service_config::ServiceConfig) {
    config.service(list_laboratory_equipment);
}

/// Filters of `GET /v1/equipment-units` (and of a laboratory's equipment).
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct EquipmentUnitListFilter {
    /// Only units at these laboratories (ids, repeated or comma-separated for any of).
    #[param(value_type = Option<Vec<uuid::Uuid>>, style = Form, example = json!(["0193a0f4-6c1d-7c3d-9a10-2b3c4d5e6f80"]))]
    pub laboratory_id: Option<String>,
    /// Only units at laboratories of these regions (the region itself, not its subregions;
    /// ids, repeated or comma-separated for any of).
    #[param(value_type = Option<Vec<uuid::Uuid>>, style = Form, example = json!(["0193a0f4-5e6b-7c3d-9a10-2b3c4d5e6f70"]))]
    pub region_id: Option<String>,
    /// Only units of these models (ids, repeated or comma-separated for any of).
    #[param(value_type = Option<Vec<uuid::Uuid>>, style = Form, example = json!(["0193a0f4-9a10-7c3d-9a10-2b3c4d5e6f01"]))]
    pub equipment_model_id: Option<String>,
    /// Only units of models of these vendors (ids, repeated or comma-separated for any of).
    #[param(value_type = Option<Vec<uuid::Uuid>>, style = Form, example = json!(["0193a0f4-5e6b-7c3d-9a10-2b3c4d5e6f80"]))]
    pub vendor_id: Option<String>,
    /// Only units of models of these categories (repeated or comma-separated for any of).
    #[param(value_type = Option<Vec<EquipmentCategory>>, style = Form, example = json!(["hematology_analyzer"]))]
    pub category: Option<String>,
    /// Only units in these statuses (repeated or comma-separated for any of).
    #[param(value_type = Option<Vec<EquipmentUnitStatus>>, style = Form, example = json!(["in_service"]))]
    pub status: Option<String>,
    /// Only units supplied by these vendors (ids, repeated or comma-separated for any of).
    #[param(value_type = Option<Vec<uuid::Uuid>>, style = Form, example = json!(["0193a0f4-5e6b-7c3d-9a10-2b3c4d5e6f80"]))]
    pub supplier_vendor_id: Option<String>,
    /// Only the units with this serial number, ignoring case as serial numbers are unique
    /// regardless of case (at most 100 characters).
    #[param(value_type = Option<String>, min_length = 1, max_length = 100, example = "MR-24-001873")]
    pub serial_number: Option<String>,
}

impl ListFilter for EquipmentUnitListFilter {
    type Parsed = EquipmentUnitFilter;
    const SEARCH: Option<crate::http::query::SearchDoc> = None;

    fn parse(self, _search: Option<Vec<String>>) -> Result<EquipmentUnitFilter, DomainError> {
        let serial_key = parse_code_key(
            "serial_number",
            &self.serial_number,
            service::MAX_SERIAL_LENGTH,
        )?;
        Ok(EquipmentUnitFilter {
            laboratory_ids: parse_id_list::<LaboratoryId>("laboratory_id", &self.laboratory_id)?,
            region_ids: parse_id_list::<RegionId>("region_id", &self.region_id)?,
            equipment_model_ids: parse_id_list::<EquipmentModelId>(
                "equipment_model_id",
                &self.equipment_model_id,
            )?,
            vendor_ids: parse_id_list::<VendorId>("vendor_id", &self.vendor_id)?,
            categories: parse_list("category", &self.category, "an equipment category")?,
            statuses: parse_list("status", &self.status, "an equipment unit status")?,
            supplier_vendor_ids: parse_id_list::<VendorId>(
                "supplier_vendor_id",
                &self.supplier_vendor_id,
            )?,
            serial_key,
        })
    }
}

crate::resource_endpoints! {
    tag "equipment", path "/v1/equipment-units", id EquipmentUnitId, service service;
    /// List installed equipment units
    ///
    /// Filters combine with AND; several values within one filter mean "any of". For
    /// example `?region_id=…&category=hematology_analyzer&status=in_service` lists the
    /// hematology analyzers in service in a region's laboratories.
    list "listEquipmentUnits" EquipmentUnitListFilter, EquipmentUnitSort => EquipmentUnitPage
        "A page of equipment units";
    /// Install an equipment unit
    ///
    /// The model, the laboratory (not `closed`) and the supplying vendor must exist (422).
    /// The serial number is unique per model regardless of case (409). A unit starts
    /// `in_service` (or `maintenance`), never `decommissioned`. The laboratory's
    /// `equipment_counts` and version change with it.
    create "createEquipmentUnit" EquipmentUnitCreate => EquipmentUnit "URL of the new equipment unit"
        [(status = 409, response = crate::http::responses::Conflict),];
    /// Get an equipment unit
    get "getEquipmentUnit" "The equipment unit";
    /// Update an equipment unit
    ///
    /// JSON Merge Patch (RFC 7396). A new model, laboratory or supplier is checked again;
    /// `laboratory_id` moves the unit. Status moves (409 with `current_state` and
    /// `allowed_transitions` otherwise):
    ///
    /// {moves:EquipmentUnitStatus}
    ///
    /// A write that changes a laboratory's `equipment_counts` gives that laboratory a new
    /// version.
    update "updateEquipmentUnit" EquipmentUnitPatch => "The updated equipment unit"
        [(status = 409, response = crate::http::responses::Conflict),];
    /// Delete an equipment unit
    ///
    /// For a unit recorded by mistake; a unit taken out of use is `decommissioned` instead,
    /// and keeps its record. Its laboratory's counts change with it.
    delete "deleteEquipmentUnit" [];
    /// List an equipment unit's audit trail
    audit "listEquipmentUnitAudit";
}

type UnitListParams = ListQuery<EquipmentUnitListFilter, EquipmentUnitSort>;

/// List a laboratory's equipment
///
/// The units installed at the laboratory, decommissioned ones included, with the filters,
/// sorts and paging of `GET /v1/equipment-units` (a `laboratory_id` filter narrows it
/// further: a unit matches when it is at this laboratory and in the list). 404 when the
/// laboratory does not exist.
#[utoipa::path(
    tag = "laboratories",
    operation_id = "listLaboratoryEquipment",
    security(("bearer" = ["reader"])),
    params(LaboratoryId, UnitListParams, IfNoneMatch),
    responses(
        (status = 200, description = "A page of the laboratory's equipment units", body = EquipmentUnitPage,
            headers(("ETag" = String, description = "Weak tag of the page's content; 304 for `If-None-Match` while the page is unchanged"))),
        (status = 304, description = "The cached page is current",
            headers(("ETag" = String, description = "Weak tag of the page's content; 304 for `If-None-Match` while the page is unchanged"))),
        (status = 400, response = crate::http::responses::BadRequest),
        (status = 404, response = crate::http::responses::NotFound)
    )
)]
#[get("/{id}/equipment")]
async fn list_laboratory_equipment(
    _caller: Authorized<Reader>,
    state: web::Data<AppState>,
    id: IdPath<LaboratoryId>,
    query: UnitListParams,
    cached: IfNoneMatch,
) -> Result<HttpResponse, DomainError> {
    let (items, next_page_token) =
        service::list_at(&state.pool, id.0, query.filter, query.sort, query.page).await?;
    crate::http::listed(
        &cached,
        &EquipmentUnitPage {
            items,
            next_page_token,
        },
    )
}
