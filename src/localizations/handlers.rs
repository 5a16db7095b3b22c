//! HTTP for localizations: extract, call the service, shape the response.

use actix_web::{delete, get, patch, post, web, HttpRequest, HttpResponse};
use serde::Deserialize;
use utoipa::IntoParams;

use super::model::{
    Localization, LocalizationCreate, LocalizationFilter, LocalizationId, LocalizationPage,
    LocalizationPatch, LocalizationScope, LocalizationSort, LocalizationStage, StageChange,
    StageChangeCreate, StageChangePage,
};
use super::{repo, service};
use crate::error::ApiError;
use crate::http::etag::Precondition;
use crate::http::json::JsonBody;
use crate::http::pagination::{PageRequest, Sort};
use crate::http::query::{parse_country_list, parse_list, QueryParams};
use crate::http::{created, fetched, updated};
use crate::regions::model::RegionId;
use crate::vendors::model::VendorId;
use crate::AppState;

pub fn routes(config: &mut utoipa_actix_web::service_config::ServiceConfig) {
    config
        .service(list_localizations)
        .service(create_localization)
        .service(get_localization)
        .service(update_localization)
        .service(delete_localization)
        .service(create_localization_stage_change)
        .service(list_localization_history);
}

/// Query parameters of `GET /v1/localizations`.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct LocalizationListQuery {
    /// Only localizations of these vendors (comma-separated ids for any of).
    #[param(value_type = Option<Vec<String>>, style = Form, explode = false, example = json!(["0193a0f4-6b10-7c3d-9a10-2b3c4d5e6f90"]))]
    pub vendor_id: Option<String>,
    /// Only localizations into these countries (ISO 3166-1 alpha-2, comma-separated for any of).
    #[param(value_type = Option<Vec<String>>, style = Form, explode = false, example = json!(["RU", "KZ"]))]
    pub country_code: Option<String>,
    /// Only localizations with a site in these regions (comma-separated ids for any of).
    #[param(value_type = Option<Vec<String>>, style = Form, explode = false, example = json!(["0193a0f4-5e6b-7c3d-9a10-2b3c4d5e6f70"]))]
    pub region_id: Option<String>,
    /// Only localizations in these stages (comma-separated for any of).
    #[param(value_type = Option<Vec<LocalizationStage>>, style = Form, explode = false, example = json!(["negotiating", "agreement_signed"]))]
    pub stage: Option<String>,
    /// Only localizations whose scope includes any of these (comma-separated).
    #[param(value_type = Option<Vec<LocalizationScope>>, style = Form, explode = false, example = json!(["reagents"]))]
    pub scope: Option<String>,
    /// Sort field: `created_at` (default) or `updated_at`; prefix `-` for descending. The id
    /// breaks ties.
    #[param(example = "-updated_at")]
    pub sort: Option<String>,
    /// Rows per page, 1–500 (default 50).
    #[param(value_type = Option<u32>, minimum = 1, maximum = 500, example = 50)]
    pub page_size: Option<String>,
    /// `next_page_token` of the previous page.
    pub page_token: Option<String>,
}

fn parse_filter(query: &LocalizationListQuery) -> Result<LocalizationFilter, ApiError> {
    Ok(LocalizationFilter {
        vendor_ids: parse_list::<uuid::Uuid>("vendor_id", &query.vendor_id, "a vendor id (UUID)")?
            .map(|ids| ids.into_iter().map(VendorId).collect()),
        country_codes: parse_country_list("country_code", &query.country_code)?,
        region_ids: parse_list::<uuid::Uuid>("region_id", &query.region_id, "a region id (UUID)")?
            .map(|ids| ids.into_iter().map(RegionId).collect()),
        stages: parse_list("stage", &query.stage, "a localization stage")?,
        scopes: parse_list("scope", &query.scope, "a localization scope")?,
    })
}

/// List localizations
///
/// Filters combine with AND; comma-separated values within one filter mean "any of". For
/// example `?country_code=RU&stage=negotiating,agreement_signed&scope=reagents` lists the
/// reagent localizations into Russia that are being negotiated or have a signed agreement.
#[utoipa::path(
    tag = "localizations",
    operation_id = "listLocalizations",
    params(LocalizationListQuery),
    responses(
        (status = 200, description = "A page of localizations", body = LocalizationPage),
        (status = 400, response = crate::http::responses::BadRequest)
    )
)]
#[get("")]
async fn list_localizations(
    state: web::Data<AppState>,
    query: QueryParams<LocalizationListQuery>,
) -> Result<HttpResponse, ApiError> {
    let query = query.0;
    let filter = parse_filter(&query)?;
    let sort = Sort::<LocalizationSort>::parse(&query.sort)?;
    let page = PageRequest::parse(&query.page_size, &query.page_token, &sort.token_name())?;
    let (items, next_page_token) = service::list(&state.pool, filter, sort, page).await?;
    Ok(HttpResponse::Ok().json(LocalizationPage {
        items,
        next_page_token,
    }))
}

/// Create a localization
///
/// Registers a vendor's localization in a country, optionally at a site in one of the
/// country's regions. It starts in `stage` (a forward stage, `interest_declared` by default)
/// as of `stage_changed_on` (today by default), and its history starts with that entry,
/// carrying `note` and `source`.
#[utoipa::path(
    tag = "localizations",
    operation_id = "createLocalization",
    request_body(content = LocalizationCreate, content_type = "application/json"),
    responses(
        (status = 201, description = "Created", body = Localization,
            headers(("Location" = String, description = "URL of the new localization"), ("ETag" = String, description = "Version tag"))),
        (status = 400, response = crate::http::responses::BadRequest),
        (status = 409, response = crate::http::responses::Conflict)
    )
)]
#[post("")]
async fn create_localization(
    state: web::Data<AppState>,
    body: JsonBody<LocalizationCreate>,
) -> Result<HttpResponse, ApiError> {
    let localization = service::create(&state.pool, body.0).await?;
    Ok(created(
        format!("/v1/localizations/{}", localization.id),
        localization.version,
        &localization,
    ))
}

/// Get a localization
#[utoipa::path(
    tag = "localizations",
    operation_id = "getLocalization",
    params(
        ("id" = String, Path, description = "Localization id (UUID)", format = Uuid),
        ("If-None-Match" = Option<String>, Header, description = "ETag of a cached copy; 304 when it is still current")
    ),
    responses(
        (status = 200, description = "The localization", body = Localization,
            headers(("ETag" = String, description = "Version tag"))),
        (status = 304, description = "The cached copy is current")
    )
)]
#[get("/{id}")]
async fn get_localization(
    state: web::Data<AppState>,
    req: HttpRequest,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let id = LocalizationId::parse_path(&id)?;
    let localization = service::get(&state.pool, id).await?;
    Ok(fetched(&req, localization.version, &localization))
}

/// Update a localization
///
/// JSON Merge Patch (RFC 7396). A new `vendor_id`, `country_code` or `region_id` is checked
/// again (the region must lie in the country); `scope` replaces the whole list. `stage`,
/// `suspended_from_stage` and `stage_changed_on` are read-only here (422 `read_only`): use
/// `POST /v1/localizations/{id}/stage-changes`.
#[utoipa::path(
    tag = "localizations",
    operation_id = "updateLocalization",
    params(
        ("id" = String, Path, description = "Localization id (UUID)", format = Uuid),
        ("If-Match" = Option<String>, Header, description = "Only update if the ETag still matches (412 otherwise)")
    ),
    request_body(content = LocalizationPatch, content_type = "application/merge-patch+json"),
    responses(
        (status = 200, description = "The updated localization", body = Localization,
            headers(("ETag" = String, description = "New version tag"))),
        (status = 400, response = crate::http::responses::BadRequest),
        (status = 409, response = crate::http::responses::Conflict),
        (status = 412, response = crate::http::responses::PreconditionFailed)
    )
)]
#[patch("/{id}")]
async fn update_localization(
    state: web::Data<AppState>,
    req: HttpRequest,
    id: web::Path<String>,
    body: JsonBody<LocalizationPatch>,
) -> Result<HttpResponse, ApiError> {
    let id = LocalizationId::parse_path(&id)?;
    let precondition = Precondition::from_headers(req.headers())?;
    let localization = service::update(&state.pool, id, body.0, precondition).await?;
    Ok(updated(localization.version, &localization))
}

/// Delete a localization
///
/// Removes the localization together with its scopes and its whole stage history.
#[utoipa::path(
    tag = "localizations",
    operation_id = "deleteLocalization",
    params(
        ("id" = String, Path, description = "Localization id (UUID)", format = Uuid),
        ("If-Match" = Option<String>, Header, description = "Only delete if the ETag still matches (412 otherwise)")
    ),
    responses(
        (status = 204, description = "Deleted"),
        (status = 412, response = crate::http::responses::PreconditionFailed)
    )
)]
#[delete("/{id}")]
async fn delete_localization(
    state: web::Data<AppState>,
    req: HttpRequest,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let id = LocalizationId::parse_path(&id)?;
    let precondition = Precondition::from_headers(req.headers())?;
    service::delete(&state.pool, id, precondition).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Change the stage of a localization
///
/// Moves the localization to `stage` and appends the change to its history, both in one
/// transaction. Allowed changes:
///
/// | from | to |
/// |---|---|
/// | `interest_declared` | `negotiating`, `suspended`, `cancelled` |
/// | `negotiating` | `agreement_signed`, `suspended`, `cancelled` |
/// | `agreement_signed` | `production_setup`, `suspended`, `cancelled` |
/// | `production_setup` | `producing`, `suspended`, `cancelled` |
/// | `producing` | `suspended`, `cancelled` |
/// | `suspended` | the stage in `suspended_from_stage` (resume), `cancelled` |
/// | `cancelled` | nothing: it is final |
///
/// Any other change, including one to the current stage, is refused with 409
/// (`/problems/illegal-transition`) carrying `current_state` and `allowed_transitions`.
/// `changed_on` (today by default) may be neither before the previous change nor in the
/// future (422). The response carries the history entry, `Location` of the history and the
/// localization's new `ETag`.
#[utoipa::path(
    tag = "localizations",
    operation_id = "createLocalizationStageChange",
    params(
        ("id" = String, Path, description = "Localization id (UUID)", format = Uuid),
        ("If-Match" = Option<String>, Header, description = "ETag of the localization; only change the stage if it still matches (412 otherwise)")
    ),
    request_body(content = StageChangeCreate, content_type = "application/json"),
    responses(
        (status = 201, description = "The stage changed; the body is the new history entry", body = StageChange,
            headers(("Location" = String, description = "URL of the localization's history"), ("ETag" = String, description = "The localization's new version tag"))),
        (status = 400, response = crate::http::responses::BadRequest),
        (status = 409, description = "The change is not allowed from the current stage",
            content_type = "application/problem+json", body = crate::error::Problem,
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
    req: HttpRequest,
    id: web::Path<String>,
    body: JsonBody<StageChangeCreate>,
) -> Result<HttpResponse, ApiError> {
    let id = LocalizationId::parse_path(&id)?;
    let precondition = Precondition::from_headers(req.headers())?;
    let (change, version) = service::change_stage(&state.pool, id, body.0, precondition).await?;
    Ok(created(
        format!("/v1/localizations/{id}/history"),
        version,
        &change,
    ))
}

/// Query parameters of `GET /v1/localizations/{id}/history`.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct HistoryQuery {
    /// Rows per page, 1–500 (default 50).
    #[param(value_type = Option<u32>, minimum = 1, maximum = 500, example = 50)]
    pub page_size: Option<String>,
    /// `next_page_token` of the previous page.
    pub page_token: Option<String>,
}

/// List the stage history of a localization
///
/// Every accepted stage change, oldest first, starting with the entry written when the
/// localization was created (`from_stage` is `null` there).
#[utoipa::path(
    tag = "localizations",
    operation_id = "listLocalizationHistory",
    params(("id" = String, Path, description = "Localization id (UUID)", format = Uuid), HistoryQuery),
    responses(
        (status = 200, description = "A page of stage changes, oldest first", body = StageChangePage),
        (status = 400, response = crate::http::responses::BadRequest)
    )
)]
#[get("/{id}/history")]
async fn list_localization_history(
    state: web::Data<AppState>,
    id: web::Path<String>,
    query: QueryParams<HistoryQuery>,
) -> Result<HttpResponse, ApiError> {
    let id = LocalizationId::parse_path(&id)?;
    let query = query.0;
    let page = PageRequest::parse(&query.page_size, &query.page_token, repo::HISTORY_SORT)?;
    let (items, next_page_token) = service::history(&state.pool, id, page).await?;
    Ok(HttpResponse::Ok().json(StageChangePage {
        items,
        next_page_token,
    }))
}
