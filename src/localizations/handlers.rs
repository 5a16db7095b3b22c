//! HTTP for localizations: the standard endpoints, stage changes and the history, and the
//! list's filters.

use actix_web::{get, post, web, HttpResponse};
use serde::Deserialize;
use utoipa::IntoParams;

use super::model::{
    HistoryOrder, Localization, LocalizationCreate, LocalizationFilter, LocalizationId,
    LocalizationPage, LocalizationPatch, LocalizationScope, LocalizationSort, LocalizationStage,
    StageChange, StageChangeCreate, StageChangePage,
};
use super::service;
use crate::core::error::DomainError;
use crate::http::auth::{Authorized, Editor, Reader, Writer};
use crate::http::created;
use crate::http::extract::{IdPath, IfMatch, IfNoneMatch};
use crate::http::idempotency::answer_response;
use crate::http::json::JsonBody;
use crate::http::query::{parse_country_list, parse_list, ListFilter, PageQuery, SearchDoc};
use crate::regions::model::RegionId;
use crate::vendors::model::VendorId;
use crate::AppState;

pub fn routes(config: &mut utoipa_actix_web::service_config::ServiceConfig) {
    standard::routes(config);
    config
        .service(create_localization_stage_change)
        .service(list_localization_history);
}

/// Filters of `GET /v1/localizations`.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct LocalizationListFilter {
    /// Only localizations of these vendors (ids, repeated or comma-separated for any of).
    #[param(value_type = Option<Vec<uuid::Uuid>>, style = Form, example = json!(["0193a0f4-6b10-7c3d-9a10-2b3c4d5e6f90"]))]
    pub vendor_id: Option<String>,
    /// Only localizations into these countries (ISO 3166-1 alpha-2, repeated or comma-separated for any of).
    #[param(value_type = Option<Vec<String>>, style = Form, example = json!(["RU", "KZ"]))]
    pub country_code: Option<String>,
    /// Only localizations with a site in these regions (ids, repeated or comma-separated for any of).
    #[param(value_type = Option<Vec<uuid::Uuid>>, style = Form, example = json!(["0193a0f4-5e6b-7c3d-9a10-2b3c4d5e6f70"]))]
    pub region_id: Option<String>,
    /// Only localizations in these stages (repeated or comma-separated for any of).
    #[param(value_type = Option<Vec<LocalizationStage>>, style = Form, example = json!(["negotiating", "agreement_signed"]))]
    pub stage: Option<String>,
    /// Only localizations whose scope includes any of these (repeated or comma-separated).
    #[param(value_type = Option<Vec<LocalizationScope>>, style = Form, example = json!(["reagents"]))]
    pub scope: Option<String>,
}

impl ListFilter for LocalizationListFilter {
    type Parsed = LocalizationFilter;
    const SEARCH: Option<SearchDoc> = None;

    fn parse(self, _search: Option<Vec<String>>) -> Result<LocalizationFilter, DomainError> {
        Ok(LocalizationFilter {
            vendor_ids: parse_list::<uuid::Uuid>(
                "vendor_id",
                &self.vendor_id,
                "a vendor id (UUID)",
            )?
            .map(|ids| ids.into_iter().map(VendorId).collect()),
            country_codes: parse_country_list("country_code", &self.country_code)?,
            region_ids: parse_list::<uuid::Uuid>(
                "region_id",
                &self.region_id,
                "a region id (UUID)",
            )?
            .map(|ids| ids.into_iter().map(RegionId).collect()),
            stages: parse_list("stage", &self.stage, "a localization stage")?,
            scopes: parse_list("scope", &self.scope, "a localization scope")?,
        })
    }
}

crate::resource_endpoints! {
    tag "localizations", path "/v1/localizations", id LocalizationId, service service;
    /// List localizations
    ///
    /// Filters combine with AND; several values within one filter mean "any of". For
    /// example `?country_code=RU&stage=negotiating,agreement_signed&scope=reagents` lists the
    /// reagent localizations into Russia that are being negotiated or have a signed agreement.
    list "listLocalizations" LocalizationListFilter, LocalizationSort => LocalizationPage
        "A page of localizations";
    /// Create a localization
    ///
    /// Registers a vendor's localization in a country, optionally at a site in one of the
    /// country's regions. It starts in `stage` (a forward stage, `interest_declared` by default)
    /// as of `stage_changed_on` (today by default), and its history starts with that entry,
    /// carrying `note` and `source`.
    create "createLocalization" LocalizationCreate => Localization "URL of the new localization"
        [(status = 409, response = crate::http::responses::Conflict),];
    /// Get a localization
    get "getLocalization" "The localization";
    /// Update a localization
    ///
    /// JSON Merge Patch (RFC 7396). A new `vendor_id`, `country_code` or `region_id` is checked
    /// again (the region must lie in the country); `scope` replaces the whole list. The vendor
    /// cannot change while equipment models are produced under the localization (409). `stage`,
    /// `suspended_from_stage` and `stage_changed_on` are read-only here (422 `read_only`): use
    /// `POST /v1/localizations/{id}/stage-changes`.
    update "updateLocalization" LocalizationPatch => "The updated localization"
        [(status = 409, response = crate::http::responses::Conflict),];
    /// Delete a localization
    ///
    /// Removes a localization that never changed stage, with its scopes and its opening
    /// history entry. One whose history holds stage changes is refused (409, `referenced_by`
    /// naming them): its history is kept, and it is moved to `cancelled` instead. So is one
    /// that equipment models are produced under (`referenced_by` names them).
    delete "deleteLocalization" [(status = 409, response = crate::http::responses::Conflict),];
    /// List a localization's audit trail
    audit "listLocalizationAudit";
}

/// Change the stage of a localization
///
/// Moves the localization to `stage` and appends the change to its history, both in one
/// transaction. Allowed changes:
///
/// {moves:LocalizationStage}
///
/// Any other change, including one to the current stage, is refused with 409
/// (`/problems/illegal-transition`) carrying `current_state` and `allowed_transitions`.
/// `changed_on` (today by default) may be neither before the previous change nor in the
/// future (422). The response carries the history entry, `Location` of the history and the
/// localization's new `ETag`.
#[utoipa::path(
    tag = "localizations",
    operation_id = "createLocalizationStageChange",
    security(("bearer" = ["editor"])),
    params(LocalizationId, IfMatch),
    request_body(content = StageChangeCreate, content_type = "application/json"),
    responses(
        (status = 201, description = "The stage changed; the body is the new history entry", body = StageChange,
            headers(("Location" = String, description = "URL of the localization's history"), ("ETag" = String, description = "The localization's new version tag"))),
        (status = 400, response = crate::http::responses::BadRequest),
        (status = 409, description = "The change is not allowed from the current stage",
            content_type = "application/problem+json", body = crate::http::problem::Problem,
            example = json!({"type": "/problems/illegal-transition", "title": "The state change is not allowed",
                "status": 409,
                "detail": "cannot move from `negotiating` to `producing`: forward moves go one step at a time, the next stage is `agreement_signed`",
                "instance": "/v1/localizations/0193a0f4-7a21-7c3d-9a10-2b3c4d5e6f80/stage-changes",
                "request_id": "0193a0f4-5e6b-7c3d-9a10-2b3c4d5e6f71",
                "current_state": "negotiating",
                "allowed_transitions": ["agreement_signed", "suspended", "cancelled"]})),
        (status = 412, response = crate::http::responses::PreconditionFailed)
    )
)]
#[post("/{id}/stage-changes")]
async fn create_localization_stage_change(
    state: web::Data<AppState>,
    id: IdPath<LocalizationId>,
    precondition: IfMatch,
    context: Writer<Editor>,
    body: JsonBody<StageChangeCreate>,
) -> Result<HttpResponse, DomainError> {
    let id = id.0;
    let answer = move |(change, version): &(StageChange, i64)| {
        created(format!("/v1/localizations/{id}/history"), *version, change)
    };
    let context = context.into_context().answering(answer);
    let changed = service::change_stage(&state.pool, &context, id, body.0, precondition.0).await?;
    Ok(answer_response(answer(&changed)?, false))
}
/// The history's paging parameters (always oldest first).
type HistoryQuery = PageQuery<HistoryOrder>;

/// List the stage history of a localization
///
/// Every accepted stage change, oldest first, starting with the entry written when the
/// localization was created (`from_stage` is `null` there).
#[utoipa::path(
    tag = "localizations",
    operation_id = "listLocalizationHistory",
    security(("bearer" = ["reader"])),
    params(LocalizationId, HistoryQuery, IfNoneMatch),
    responses(
        (status = 200, description = "A page of stage changes, oldest first", body = StageChangePage,
            headers(("ETag" = String, description = "Weak tag of the page's content; 304 for `If-None-Match` while the page is unchanged"))),
        (status = 304, description = "The cached page is current", headers(("ETag" = String, description = "Weak tag of the page's content; 304 for `If-None-Match` while the page is unchanged"))),
        (status = 400, response = crate::http::responses::BadRequest)
    )
)]
#[get("/{id}/history")]
async fn list_localization_history(
    _caller: Authorized<Reader>,
    state: web::Data<AppState>,
    id: IdPath<LocalizationId>,
    query: HistoryQuery,
    cached: IfNoneMatch,
) -> Result<HttpResponse, DomainError> {
    let (items, next_page_token) = service::history(&state.pool, id.0, query.page).await?;
    crate::http::listed(
        &cached,
        &StageChangePage {
            items,
            next_page_token,
        },
    )
}
