//! HTTP for regions: extract, call the service, shape the response.

use actix_web::{delete, get, patch, post, web, HttpRequest, HttpResponse};
use serde::Deserialize;
use utoipa::IntoParams;

use super::model::{
    Region, RegionAncestors, RegionCreate, RegionFilter, RegionId, RegionLevel, RegionPage,
    RegionPatch, RegionSort, RolloutStage,
};
use super::service;
use crate::error::ApiError;
use crate::http::etag::Precondition;
use crate::http::json::JsonBody;
use crate::http::pagination::{PageRequest, Sort};
use crate::http::query::{parse_country_list, parse_list, parse_search, QueryParams};
use crate::http::{created, fetched, updated};
use crate::AppState;

pub fn routes(config: &mut utoipa_actix_web::service_config::ServiceConfig) {
    config
        .service(list_regions)
        .service(create_region)
        .service(get_region)
        .service(update_region)
        .service(delete_region)
        .service(list_region_ancestors)
        .service(list_region_descendants);
}

/// Query parameters of `GET /v1/regions`.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct RegionListQuery {
    /// Only the regions with these codes (exact, case-insensitive, comma-separated for any of).
    #[param(value_type = Option<Vec<String>>, style = Form, explode = false, example = json!(["RU-KGN"]))]
    pub code: Option<String>,
    /// Only regions of these countries (ISO 3166-1 alpha-2, comma-separated for any of).
    #[param(value_type = Option<Vec<String>>, style = Form, explode = false, example = json!(["RU", "KZ"]))]
    pub country_code: Option<String>,
    /// Only children of these regions (comma-separated ids), or `null` for roots only.
    #[param(value_type = Option<Vec<String>>, style = Form, explode = false)]
    pub parent_id: Option<String>,
    /// Only these levels (comma-separated).
    #[param(value_type = Option<Vec<RegionLevel>>, style = Form, explode = false)]
    pub level: Option<String>,
    /// Only these rollout stages (comma-separated).
    #[param(value_type = Option<Vec<RolloutStage>>, style = Form, explode = false)]
    pub rollout_stage: Option<String>,
    /// Text search by words over names and codes: every word given must begin a word of the
    /// name or code (`кург обл` finds "Курганская область"). Words are runs of letters and
    /// digits; case and Unicode form are ignored, in any script. At most 8 words; text
    /// without a letter or digit matches nothing.
    #[param(example = "курган")]
    pub q: Option<String>,
    /// Sort field: `name`, `code`, `created_at` (default), `updated_at`; prefix `-` for descending.
    #[param(example = "name")]
    pub sort: Option<String>,
    /// Rows per page, 1–500 (default 50).
    #[param(value_type = Option<u32>, minimum = 1, maximum = 500, example = 50)]
    pub page_size: Option<String>,
    /// `next_page_token` of the previous page.
    pub page_token: Option<String>,
}

fn parse_filter(query: &RegionListQuery) -> Result<RegionFilter, ApiError> {
    let (roots_only, parent_ids) = match query.parent_id.as_deref().map(str::trim) {
        Some("null") => (true, None),
        _ => (
            false,
            parse_list::<uuid::Uuid>("parent_id", &query.parent_id, "a region id (UUID)")?
                .map(|ids| ids.into_iter().map(RegionId).collect()),
        ),
    };
    Ok(RegionFilter {
        codes: parse_list::<String>("code", &query.code, "a region code")?
            .map(|codes| codes.iter().map(|code| code.to_uppercase()).collect()),
        country_codes: parse_country_list("country_code", &query.country_code)?,
        parent_ids,
        roots_only,
        levels: parse_list("level", &query.level, "a region level")?,
        rollout_stages: parse_list("rollout_stage", &query.rollout_stage, "a rollout stage")?,
        search: parse_search(&query.q)?,
        within_path: None,
    })
}

/// List regions
///
/// Filters combine with AND; comma-separated values within one filter mean "any of".
#[utoipa::path(
    tag = "regions",
    operation_id = "listRegions",
    params(RegionListQuery),
    responses(
        (status = 200, description = "A page of regions", body = RegionPage),
        (status = 400, response = crate::http::responses::BadRequest)
    )
)]
#[get("")]
async fn list_regions(
    state: web::Data<AppState>,
    query: QueryParams<RegionListQuery>,
) -> Result<HttpResponse, ApiError> {
    let query = query.0;
    let filter = parse_filter(&query)?;
    let sort = Sort::<RegionSort>::parse(&query.sort)?;
    let page = PageRequest::parse(&query.page_size, &query.page_token, &sort.token_name())?;
    let (items, next_page_token) = service::list(&state.pool, filter, sort, page).await?;
    Ok(HttpResponse::Ok().json(RegionPage {
        items,
        next_page_token,
    }))
}

/// Create a region
///
/// A child must be at a deeper level than its parent and in the same country; a country has
/// no parent and its code is its alpha-2 code.
#[utoipa::path(
    tag = "regions",
    operation_id = "createRegion",
    request_body(content = RegionCreate, content_type = "application/json"),
    responses(
        (status = 201, description = "Created", body = Region,
            headers(("Location" = String, description = "URL of the new region"), ("ETag" = String, description = "Version tag"))),
        (status = 400, response = crate::http::responses::BadRequest),
        (status = 409, response = crate::http::responses::Conflict)
    )
)]
#[post("")]
async fn create_region(
    state: web::Data<AppState>,
    body: JsonBody<RegionCreate>,
) -> Result<HttpResponse, ApiError> {
    let region = service::create(&state.pool, body.0).await?;
    Ok(created(
        format!("/v1/regions/{}", region.id),
        region.version,
        &region,
    ))
}

/// Get a region
#[utoipa::path(
    tag = "regions",
    operation_id = "getRegion",
    params(
        ("id" = String, Path, description = "Region id (UUID)", format = Uuid),
        ("If-None-Match" = Option<String>, Header, description = "ETag of a cached copy; 304 when it is still current")
    ),
    responses(
        (status = 200, description = "The region", body = Region,
            headers(("ETag" = String, description = "Version tag"))),
        (status = 304, description = "The cached copy is current")
    )
)]
#[get("/{id}")]
async fn get_region(
    state: web::Data<AppState>,
    req: HttpRequest,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let id = RegionId::parse_path(&id)?;
    let region = service::get(&state.pool, id).await?;
    Ok(fetched(&req, region.version, &region))
}

/// Update a region
///
/// JSON Merge Patch (RFC 7396). Moving a region (`parent_id`) moves its whole subtree; a
/// move into its own subtree is refused (409).
#[utoipa::path(
    tag = "regions",
    operation_id = "updateRegion",
    params(
        ("id" = String, Path, description = "Region id (UUID)", format = Uuid),
        ("If-Match" = Option<String>, Header, description = "Only update if the ETag still matches (412 otherwise)")
    ),
    request_body(content = RegionPatch, content_type = "application/merge-patch+json"),
    responses(
        (status = 200, description = "The updated region", body = Region,
            headers(("ETag" = String, description = "New version tag"))),
        (status = 400, response = crate::http::responses::BadRequest),
        (status = 409, response = crate::http::responses::Conflict),
        (status = 412, response = crate::http::responses::PreconditionFailed)
    )
)]
#[patch("/{id}")]
async fn update_region(
    state: web::Data<AppState>,
    req: HttpRequest,
    id: web::Path<String>,
    body: JsonBody<RegionPatch>,
) -> Result<HttpResponse, ApiError> {
    let id = RegionId::parse_path(&id)?;
    let precondition = Precondition::from_headers(req.headers())?;
    let region = service::update(&state.pool, id, body.0, precondition).await?;
    Ok(updated(region.version, &region))
}

/// Delete a region
///
/// Refused (409, `referenced_by`) while subregions, laboratories or localizations refer to it.
#[utoipa::path(
    tag = "regions",
    operation_id = "deleteRegion",
    params(
        ("id" = String, Path, description = "Region id (UUID)", format = Uuid),
        ("If-Match" = Option<String>, Header, description = "Only delete if the ETag still matches (412 otherwise)")
    ),
    responses(
        (status = 204, description = "Deleted"),
        (status = 409, response = crate::http::responses::Conflict),
        (status = 412, response = crate::http::responses::PreconditionFailed)
    )
)]
#[delete("/{id}")]
async fn delete_region(
    state: web::Data<AppState>,
    req: HttpRequest,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let id = RegionId::parse_path(&id)?;
    let precondition = Precondition::from_headers(req.headers())?;
    service::delete(&state.pool, id, precondition).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// List the ancestors of a region
///
/// From the root (usually the country) down to the direct parent.
#[utoipa::path(
    tag = "regions",
    operation_id = "listRegionAncestors",
    params(("id" = String, Path, description = "Region id (UUID)", format = Uuid)),
    responses(
        (status = 200, description = "The ancestors, root first", body = RegionAncestors)
    )
)]
#[get("/{id}/ancestors")]
async fn list_region_ancestors(
    state: web::Data<AppState>,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let id = RegionId::parse_path(&id)?;
    let items = service::ancestors(&state.pool, id).await?;
    Ok(HttpResponse::Ok().json(RegionAncestors { items }))
}

/// Query parameters of `GET /v1/regions/{id}/descendants`.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct RegionDescendantsQuery {
    /// Only these levels (comma-separated).
    #[param(value_type = Option<Vec<RegionLevel>>, style = Form, explode = false)]
    pub level: Option<String>,
    /// Only these rollout stages (comma-separated).
    #[param(value_type = Option<Vec<RolloutStage>>, style = Form, explode = false)]
    pub rollout_stage: Option<String>,
    /// Text search by words over names and codes, as in the region list: every word given
    /// must begin a word of the name or code.
    pub q: Option<String>,
    /// Sort field: `name`, `code`, `created_at` (default), `updated_at`; prefix `-` for descending.
    pub sort: Option<String>,
    /// Rows per page, 1–500 (default 50).
    #[param(value_type = Option<u32>, minimum = 1, maximum = 500)]
    pub page_size: Option<String>,
    /// `next_page_token` of the previous page.
    pub page_token: Option<String>,
}

/// List the descendants of a region
///
/// The whole subtree below the region (not the region itself), paginated.
#[utoipa::path(
    tag = "regions",
    operation_id = "listRegionDescendants",
    params(("id" = String, Path, description = "Region id (UUID)", format = Uuid), RegionDescendantsQuery),
    responses(
        (status = 200, description = "A page of descendants", body = RegionPage),
        (status = 400, response = crate::http::responses::BadRequest)
    )
)]
#[get("/{id}/descendants")]
async fn list_region_descendants(
    state: web::Data<AppState>,
    id: web::Path<String>,
    query: QueryParams<RegionDescendantsQuery>,
) -> Result<HttpResponse, ApiError> {
    let id = RegionId::parse_path(&id)?;
    let query = query.0;
    let filter = RegionFilter {
        levels: parse_list("level", &query.level, "a region level")?,
        rollout_stages: parse_list("rollout_stage", &query.rollout_stage, "a rollout stage")?,
        search: parse_search(&query.q)?,
        ..RegionFilter::default()
    };
    let sort = Sort::<RegionSort>::parse(&query.sort)?;
    let page = PageRequest::parse(&query.page_size, &query.page_token, &sort.token_name())?;
    let (items, next_page_token) =
        service::descendants(&state.pool, id, filter, sort, page).await?;
    Ok(HttpResponse::Ok().json(RegionPage {
        items,
        next_page_token,
    }))
}
