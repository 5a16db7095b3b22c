//! HTTP for eligibility: one model's answer, and a page of answers for many models.

use actix_web::{get, web, HttpResponse};
use serde::Deserialize;
use utoipa::IntoParams;

use super::model::{Eligibility, EligibilityPage, ListQuestion, ModelOrder, Question};
use super::service;
use crate::core::error::{DomainError, FieldCode};
use crate::equipment_models::model::{EquipmentCategory, EquipmentModelId};
use crate::http::auth::{Authorized, Reader};
use crate::http::extract::{IdPath, IfNoneMatch};
use crate::http::query::{
    parse_bool, parse_date, parse_id_list, parse_list, FilterQuery, FilteredPageQuery, ListFilter,
    SearchDoc,
};
use crate::vendors::model::VendorId;
use crate::AppState;

/// `GET /v1/eligibility`.
pub fn routes(config: &mut utoipa_actix_web::service_config::ServiceConfig) {
    config.service(list_eligibility);
}

/// `GET /v1/equipment-models/{id}/eligibility`.
pub fn model_routes(config: &mut utoipa_actix_web::service_config::ServiceConfig) {
    config.service(get_equipment_model_eligibility);
}

/// The question's own parameters, read the same way by both endpoints.
fn question(country_code: &str, on: &Option<String>) -> Result<Question, DomainError> {
    let code = country_code.trim();
    if !crate::validation::is_country_code(code) {
        return Err(DomainError::bad_parameter(
            "country_code",
            FieldCode::Invalid,
            format!(
                "`{}` is not an ISO 3166-1 alpha-2 country code",
                crate::core::error::echo(code)
            ),
        ));
    }
    Ok(Question {
        country_code: code.to_owned(),
        on: parse_date("on", on)?.unwrap_or_else(|| chrono::Utc::now().date_naive()),
    })
}

/// Parameters of `GET /v1/equipment-models/{id}/eligibility`.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct EligibilityParams {
    /// The country the model would be supplied in (ISO 3166-1 alpha-2).
    #[param(value_type = String, pattern = "^[A-Z]{2}$", min_length = 2, max_length = 2, example = "SY")]
    pub country_code: String,
    /// The date of the supply (YYYY-MM-DD); absent for today (UTC).
    #[param(value_type = Option<String>, format = Date, example = "2027-01-01")]
    pub on: Option<String>,
}

impl ListFilter for EligibilityParams {
    type Parsed = Question;
    const SEARCH: Option<SearchDoc> = None;

    fn parse(self, _search: Option<Vec<String>>) -> Result<Question, DomainError> {
        question(&self.country_code, &self.on)
    }
}

/// Parameters of `GET /v1/eligibility`.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct EligibilityListFilter {
    /// The country the models would be supplied in (ISO 3166-1 alpha-2).
    #[param(value_type = String, pattern = "^[A-Z]{2}$", min_length = 2, max_length = 2, example = "SY")]
    pub country_code: String,
    /// The date of the supply (YYYY-MM-DD); absent for today (UTC).
    #[param(value_type = Option<String>, format = Date, example = "2027-01-01")]
    pub on: Option<String>,
    /// Only these models (ids, repeated or comma-separated for any of).
    #[param(value_type = Option<Vec<uuid::Uuid>>, style = Form, example = json!(["0193a0f4-9a10-7c3d-9a10-2b3c4d5e6f01"]))]
    pub equipment_model_id: Option<String>,
    /// Only models of these vendors (ids, repeated or comma-separated for any of).
    #[param(value_type = Option<Vec<uuid::Uuid>>, style = Form, example = json!(["0193a0f4-5e6b-7c3d-9a10-2b3c4d5e6f80"]))]
    pub vendor_id: Option<String>,
    /// Only models of these categories (repeated or comma-separated for any of).
    #[param(value_type = Option<Vec<EquipmentCategory>>, style = Form, example = json!(["hematology_analyzer"]))]
    pub category: Option<String>,
    /// `true`: only the models that may be supplied; `false`: only those that may not.
    #[param(value_type = Option<bool>, example = true)]
    pub eligible: Option<String>,
}

impl ListFilter for EligibilityListFilter {
    type Parsed = ListQuestion;
    const SEARCH: Option<SearchDoc> = None;

    fn parse(self, _search: Option<Vec<String>>) -> Result<ListQuestion, DomainError> {
        Ok(ListQuestion {
            question: question(&self.country_code, &self.on)?,
            equipment_model_ids: parse_id_list::<EquipmentModelId>(
                "equipment_model_id",
                &self.equipment_model_id,
            )?,
            vendor_ids: parse_id_list::<VendorId>("vendor_id", &self.vendor_id)?,
            categories: parse_list("category", &self.category, "an equipment category")?,
            eligible: parse_bool("eligible", &self.eligible)?,
        })
    }
}

type ModelQuestion = FilterQuery<EligibilityParams>;

/// May an equipment model be supplied in a country
///
/// Answers whether the model may be supplied in `country_code` on `on` (today by default),
/// and why. It may when one of its certificates of that country is `active` and valid on
/// the date (`basis: registered`), or when an `active` certificate of another country is
/// valid on the date and an agreement in force on the date, covering medical devices, makes
/// `country_code` accept that country's documents (`basis: recognized`): one by which
/// `country_code` recognizes the other, or a `mutual` one either way round. The answer then
/// carries the certificate (and the agreement). Otherwise `reasons` names each certificate
/// and agreement that fails and why: no certificate in the country, a certificate not yet
/// valid, expired, suspended or revoked, no agreement, an agreement that goes the other way,
/// one not in force on the date, or one covering drugs only. Dates are inclusive at both
/// ends.
#[utoipa::path(
    tag = "registration",
    operation_id = "getEquipmentModelEligibility",
    security(("bearer" = ["reader"])),
    params(EquipmentModelId, ModelQuestion, IfNoneMatch),
    responses(
        (status = 200, description = "The answer", body = Eligibility,
            headers(("ETag" = String, description = "Weak tag of the answer; 304 for `If-None-Match` while it is unchanged"))),
        (status = 304, description = "The cached answer is current",
            headers(("ETag" = String, description = "Weak tag of the answer; 304 for `If-None-Match` while it is unchanged"))),
        (status = 400, response = crate::http::responses::BadRequest),
        (status = 404, response = crate::http::responses::NotFound)
    )
)]
#[get("/{id}/eligibility")]
async fn get_equipment_model_eligibility(
    _caller: Authorized<Reader>,
    state: web::Data<AppState>,
    id: IdPath<EquipmentModelId>,
    query: ModelQuestion,
    cached: IfNoneMatch,
) -> Result<HttpResponse, DomainError> {
    let answer = service::of_model(&state.pool, id.0, query.filter).await?;
    crate::http::listed(&cached, &answer)
}

type ListParams = FilteredPageQuery<EligibilityListFilter, ModelOrder>;

/// May equipment models be supplied in a country
///
/// The question of `GET /v1/equipment-models/{id}/eligibility` for every model the filters
/// select, a page at a time in the order of the models' ids. Which models may be supplied is
/// decided in the database, so `eligible=true` pages through only those; each page costs the
/// same few queries whatever its size.
#[utoipa::path(
    tag = "registration",
    operation_id = "listEligibility",
    security(("bearer" = ["reader"])),
    params(ListParams, IfNoneMatch),
    responses(
        (status = 200, description = "A page of answers", body = EligibilityPage,
            headers(("ETag" = String, description = "Weak tag of the page's content; 304 for `If-None-Match` while the page is unchanged"))),
        (status = 304, description = "The cached page is current",
            headers(("ETag" = String, description = "Weak tag of the page's content; 304 for `If-None-Match` while the page is unchanged"))),
        (status = 400, response = crate::http::responses::BadRequest)
    )
)]
#[get("")]
async fn list_eligibility(
    _caller: Authorized<Reader>,
    state: web::Data<AppState>,
    query: ListParams,
    cached: IfNoneMatch,
) -> Result<HttpResponse, DomainError> {
    let (items, next_page_token) = service::list(&state.pool, query.filter, query.page).await?;
    crate::http::listed(
        &cached,
        &EligibilityPage {
            items,
            next_page_token,
        },
    )
}
