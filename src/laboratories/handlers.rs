//! HTTP for laboratories: extract, call the service, shape the response.

use actix_web::{delete, get, patch, post, web, HttpRequest, HttpResponse};
use serde::Deserialize;
use utoipa::IntoParams;

use super::model::{
    AccreditedFilter, Discipline, Laboratory, LaboratoryCreate, LaboratoryFilter, LaboratoryId,
    LaboratoryKind, LaboratoryPage, LaboratoryPatch, LaboratorySort, LaboratoryStatus,
};
use super::service;
use crate::error::ApiError;
use crate::http::etag::Precondition;
use crate::http::json::JsonBody;
use crate::http::pagination::{PageRequest, Sort};
use crate::http::query::{parse_bool, parse_date, parse_list, parse_search, QueryParams};
use crate::http::{created, fetched, updated};
use crate::regions::model::RegionId;
use crate::AppState;

pub fn routes(config: &mut utoipa_actix_web::service_config::ServiceConfig) {
    config
        .service(list_laboratories)
        .service(create_laboratory)
        .service(get_laboratory)
        .service(update_laboratory)
        .service(delete_laboratory);
}

/// Query parameters of `GET /v1/laboratories`.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct LaboratoryListQuery {
    /// Only the laboratories with these registry codes (exact, comma-separated for any of).
    #[param(value_type = Option<Vec<String>>, style = Form, explode = false, example = json!(["KGN-001"]))]
    pub code: Option<String>,
    /// Only laboratories in these regions (comma-separated ids for any of). With
    /// `include_subregions=true`, exactly one id.
    #[param(value_type = Option<Vec<String>>, style = Form, explode = false, example = json!(["0193a0f4-5e6b-7c3d-9a10-2b3c4d5e6f70"]))]
    pub region_id: Option<String>,
    /// `true`: `region_id` (exactly one) takes in its whole subtree, e.g. a country's
    /// laboratories in all its regions and municipalities. Requires `region_id`.
    #[param(value_type = Option<bool>, example = true)]
    pub include_subregions: Option<String>,
    /// Only these kinds (comma-separated for any of).
    #[param(value_type = Option<Vec<LaboratoryKind>>, style = Form, explode = false, example = json!(["central", "branch"]))]
    pub kind: Option<String>,
    /// Only these statuses (comma-separated for any of).
    #[param(value_type = Option<Vec<LaboratoryStatus>>, style = Form, explode = false, example = json!(["operational"]))]
    pub status: Option<String>,
    /// Only laboratories sending samples to these hubs (comma-separated ids), or `null` for
    /// top-level laboratories only.
    #[param(value_type = Option<Vec<String>>, style = Form, explode = false)]
    pub parent_id: Option<String>,
    /// Only laboratories performing at least one of these disciplines (comma-separated).
    #[param(value_type = Option<Vec<Discipline>>, style = Form, explode = false, example = json!(["molecular_diagnostics"]))]
    pub discipline: Option<String>,
    /// `true`: only laboratories whose accreditation is valid on `accredited_on`; `false`:
    /// only those without one or with an expired one.
    #[param(value_type = Option<bool>, example = true)]
    pub accredited: Option<String>,
    /// The date `accredited` is judged on (YYYY-MM-DD, default today in UTC). Requires
    /// `accredited`.
    #[param(value_type = Option<String>, format = Date, example = "2026-12-31")]
    pub accredited_on: Option<String>,
    /// Text search by words over names and codes: every word given must begin a word of the
    /// name or code (`клин диаг` finds "Клинико-диагностическая лаборатория"; `агност` does
    /// not). Words are runs of letters and digits; case and Unicode form are ignored, in any
    /// script. At most 8 words; text without a letter or digit matches nothing.
    #[param(example = "клин диаг")]
    pub q: Option<String>,
    /// Sort field: `name`, `code`, `created_at` (default), `updated_at`, `capacity_per_day`
    /// (laboratories without a capacity sort first ascending, last descending); prefix `-`
    /// for descending.
    #[param(example = "-capacity_per_day")]
    pub sort: Option<String>,
    /// Rows per page, 1–500 (default 50).
    #[param(value_type = Option<u32>, minimum = 1, maximum = 500, example = 50)]
    pub page_size: Option<String>,
    /// `next_page_token` of the previous page.
    pub page_token: Option<String>,
}

fn parse_filter(query: &LaboratoryListQuery) -> Result<LaboratoryFilter, ApiError> {
    let region_ids: Option<Vec<RegionId>> =
        parse_list::<uuid::Uuid>("region_id", &query.region_id, "a region id (UUID)")?
            .map(|ids| ids.into_iter().map(RegionId).collect());
    let include_subregions = parse_bool("include_subregions", &query.include_subregions)?;
    let (region_ids, subtree_root) = match (include_subregions, region_ids) {
        (Some(_), None) => {
            return Err(ApiError::bad_parameter(
                "include_subregions",
                "invalid",
                "needs `region_id` (exactly one region)",
            ))
        }
        (Some(true), Some(ids)) => match ids.as_slice() {
            [root] => (None, Some(*root)),
            _ => {
                return Err(ApiError::bad_parameter(
                    "region_id",
                    "invalid",
                    "with include_subregions=true give exactly one region id",
                ))
            }
        },
        (_, ids) => (ids, None),
    };
    let (top_level_only, parent_ids) = match query.parent_id.as_deref().map(str::trim) {
        Some("null") => (true, None),
        _ => (
            false,
            parse_list::<uuid::Uuid>("parent_id", &query.parent_id, "a laboratory id (UUID)")?
                .map(|ids| ids.into_iter().map(LaboratoryId).collect()),
        ),
    };
    let accredited_on = parse_date("accredited_on", &query.accredited_on)?;
    let accredited = match (parse_bool("accredited", &query.accredited)?, accredited_on) {
        (None, Some(_)) => {
            return Err(ApiError::bad_parameter(
                "accredited_on",
                "invalid",
                "needs `accredited` (true or false)",
            ))
        }
        (None, None) => None,
        (Some(accredited), on) => Some(AccreditedFilter {
            accredited,
            on: on.unwrap_or_else(|| chrono::Utc::now().date_naive()),
        }),
    };
    Ok(LaboratoryFilter {
        codes: parse_list("code", &query.code, "a registry code")?,
        region_ids,
        subtree_root,
        kinds: parse_list("kind", &query.kind, "a laboratory kind")?,
        statuses: parse_list("status", &query.status, "a laboratory status")?,
        parent_ids,
        top_level_only,
        disciplines: parse_list("discipline", &query.discipline, "a discipline")?,
        accredited,
        search: parse_search(&query.q)?,
    })
}

/// List laboratories
///
/// Filters combine with AND; comma-separated values within one filter mean "any of". Each
/// laboratory carries its disciplines.
#[utoipa::path(
    tag = "laboratories",
    operation_id = "listLaboratories",
    params(LaboratoryListQuery),
    responses(
        (status = 200, description = "A page of laboratories", body = LaboratoryPage),
        (status = 400, response = crate::http::responses::BadRequest)
    )
)]
#[get("")]
async fn list_laboratories(
    state: web::Data<AppState>,
    query: QueryParams<LaboratoryListQuery>,
) -> Result<HttpResponse, ApiError> {
    let query = query.0;
    let filter = parse_filter(&query)?;
    let sort = Sort::<LaboratorySort>::parse(&query.sort)?;
    let page = PageRequest::parse(&query.page_size, &query.page_token, &sort.token_name())?;
    let (items, next_page_token) = service::list(&state.pool, filter, sort, page).await?;
    Ok(HttpResponse::Ok().json(LaboratoryPage {
        items,
        next_page_token,
    }))
}

/// Create a laboratory
///
/// The region must exist (422). The registry `code` is unique (409). A hub (`parent_id`) must
/// exist, must not be a collection point and must be in the same country (422). The status
/// may start anywhere but `closed` (default `planned`). Coordinates come in pairs.
#[utoipa::path(
    tag = "laboratories",
    operation_id = "createLaboratory",
    request_body(content = LaboratoryCreate, content_type = "application/json"),
    responses(
        (status = 201, description = "Created", body = Laboratory,
            headers(("Location" = String, description = "URL of the new laboratory"), ("ETag" = String, description = "Version tag"))),
        (status = 400, response = crate::http::responses::BadRequest),
        (status = 409, response = crate::http::responses::Conflict)
    )
)]
#[post("")]
async fn create_laboratory(
    state: web::Data<AppState>,
    body: JsonBody<LaboratoryCreate>,
) -> Result<HttpResponse, ApiError> {
    let laboratory = service::create(&state.pool, body.0).await?;
    Ok(created(
        format!("/v1/laboratories/{}", laboratory.id),
        laboratory.version,
        &laboratory,
    ))
}

/// Get a laboratory
#[utoipa::path(
    tag = "laboratories",
    operation_id = "getLaboratory",
    params(
        ("id" = String, Path, description = "Laboratory id (UUID)", format = Uuid),
        ("If-None-Match" = Option<String>, Header, description = "ETag of a cached copy; 304 when it is still current")
    ),
    responses(
        (status = 200, description = "The laboratory", body = Laboratory,
            headers(("ETag" = String, description = "Version tag"))),
        (status = 304, description = "The cached copy is current")
    )
)]
#[get("/{id}")]
async fn get_laboratory(
    state: web::Data<AppState>,
    req: HttpRequest,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let id = LaboratoryId::parse_path(&id)?;
    let laboratory = service::get(&state.pool, id).await?;
    Ok(fetched(&req, laboratory.version, &laboratory))
}

/// Update a laboratory
///
/// JSON Merge Patch (RFC 7396). `accreditation` is replaced as a whole (`null` removes it);
/// `disciplines` replaces the whole list.
///
/// Status moves are strict, one step forward (409 with `current_state` and
/// `allowed_transitions` otherwise):
///
/// | from | to |
/// |---|---|
/// | `planned` | `under_construction`, `closed` |
/// | `under_construction` | `operational`, `closed` |
/// | `operational` | `suspended`, `closed` |
/// | `suspended` | `operational`, `closed` |
/// | `closed` | nothing (final) |
///
/// Sending the current status changes nothing. The hub (`parent_id`) must exist, must not be a
/// collection point and must be in the same country (422); making the laboratory its own hub
/// or closing a loop of hubs is refused (409, `cycle`).
#[utoipa::path(
    tag = "laboratories",
    operation_id = "updateLaboratory",
    params(
        ("id" = String, Path, description = "Laboratory id (UUID)", format = Uuid),
        ("If-Match" = Option<String>, Header, description = "Only update if the ETag still matches (412 otherwise)")
    ),
    request_body(content = LaboratoryPatch, content_type = "application/merge-patch+json"),
    responses(
        (status = 200, description = "The updated laboratory", body = Laboratory,
            headers(("ETag" = String, description = "New version tag"))),
        (status = 400, response = crate::http::responses::BadRequest),
        (status = 409, response = crate::http::responses::Conflict),
        (status = 412, response = crate::http::responses::PreconditionFailed)
    )
)]
#[patch("/{id}")]
async fn update_laboratory(
    state: web::Data<AppState>,
    req: HttpRequest,
    id: web::Path<String>,
    body: JsonBody<LaboratoryPatch>,
) -> Result<HttpResponse, ApiError> {
    let id = LaboratoryId::parse_path(&id)?;
    let precondition = Precondition::from_headers(req.headers())?;
    let laboratory = service::update(&state.pool, id, body.0, precondition).await?;
    Ok(updated(laboratory.version, &laboratory))
}

/// Delete a laboratory
///
/// Deletes the laboratory with its disciplines. Refused (409, `referenced_by`) while other
/// laboratories send samples to it (`parent_id`).
#[utoipa::path(
    tag = "laboratories",
    operation_id = "deleteLaboratory",
    params(
        ("id" = String, Path, description = "Laboratory id (UUID)", format = Uuid),
        ("If-Match" = Option<String>, Header, description = "Only delete if the ETag still matches (412 otherwise)")
    ),
    responses(
        (status = 204, description = "Deleted"),
        (status = 409, response = crate::http::responses::Conflict),
        (status = 412, response = crate::http::responses::PreconditionFailed)
    )
)]
#[delete("/{id}")]
async fn delete_laboratory(
    state: web::Data<AppState>,
    req: HttpRequest,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let id = LaboratoryId::parse_path(&id)?;
    let precondition = Precondition::from_headers(req.headers())?;
    service::delete(&state.pool, id, precondition).await?;
    Ok(HttpResponse::NoContent().finish())
}
