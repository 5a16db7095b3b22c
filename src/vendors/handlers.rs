//! HTTP for vendors: extract, call the service, shape the response.

use actix_web::{delete, get, patch, post, web, HttpRequest, HttpResponse};
use serde::Deserialize;
use utoipa::IntoParams;

use super::model::{
    ProductCategory, Vendor, VendorCreate, VendorFilter, VendorId, VendorPage, VendorPatch,
    VendorSort,
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
        .service(list_vendors)
        .service(create_vendor)
        .service(get_vendor)
        .service(update_vendor)
        .service(delete_vendor);
}

/// Query parameters of `GET /v1/vendors`.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct VendorListQuery {
    /// Only vendors based in these countries (ISO 3166-1 alpha-2, comma-separated for any of).
    #[param(value_type = Option<Vec<String>>, style = Form, explode = false, example = json!(["CN", "KR"]))]
    pub country_code: Option<String>,
    /// Only vendors making at least one of these categories (comma-separated).
    #[param(value_type = Option<Vec<ProductCategory>>, style = Form, explode = false, example = json!(["reagents", "consumables"]))]
    pub category: Option<String>,
    /// Text search by words over names: every word given must begin a word of the name
    /// (`med` finds "Samsung Medison"). Words are runs of letters and digits; case and
    /// Unicode form are ignored, in any script. At most 8 words; text without a letter or
    /// digit matches nothing.
    #[param(example = "mindray")]
    pub q: Option<String>,
    /// Sort field: `name`, `created_at` (default), `updated_at`; prefix `-` for descending.
    #[param(example = "name")]
    pub sort: Option<String>,
    /// Rows per page, 1–500 (default 50).
    #[param(value_type = Option<u32>, minimum = 1, maximum = 500, example = 50)]
    pub page_size: Option<String>,
    /// `next_page_token` of the previous page.
    pub page_token: Option<String>,
}

fn parse_filter(query: &VendorListQuery) -> Result<VendorFilter, ApiError> {
    Ok(VendorFilter {
        country_codes: parse_country_list("country_code", &query.country_code)?,
        categories: parse_list("category", &query.category, "a product category")?,
        search: parse_search(&query.q)?,
    })
}

/// List vendors
///
/// Filters combine with AND; comma-separated values within one filter mean "any of".
#[utoipa::path(
    tag = "vendors",
    operation_id = "listVendors",
    params(VendorListQuery),
    responses(
        (status = 200, description = "A page of vendors", body = VendorPage),
        (status = 400, response = crate::http::responses::BadRequest)
    )
)]
#[get("")]
async fn list_vendors(
    state: web::Data<AppState>,
    query: QueryParams<VendorListQuery>,
) -> Result<HttpResponse, ApiError> {
    let query = query.0;
    let filter = parse_filter(&query)?;
    let sort = Sort::<VendorSort>::parse(&query.sort)?;
    let page = PageRequest::parse(&query.page_size, &query.page_token, &sort.token_name())?;
    let (items, next_page_token) = service::list(&state.pool, filter, sort, page).await?;
    Ok(HttpResponse::Ok().json(VendorPage {
        items,
        next_page_token,
    }))
}

/// Create a vendor
///
/// The name must be unique regardless of case and Unicode form (409 otherwise).
#[utoipa::path(
    tag = "vendors",
    operation_id = "createVendor",
    request_body(content = VendorCreate, content_type = "application/json"),
    responses(
        (status = 201, description = "Created", body = Vendor,
            headers(("Location" = String, description = "URL of the new vendor"), ("ETag" = String, description = "Version tag"))),
        (status = 400, response = crate::http::responses::BadRequest),
        (status = 409, response = crate::http::responses::Conflict)
    )
)]
#[post("")]
async fn create_vendor(
    state: web::Data<AppState>,
    body: JsonBody<VendorCreate>,
) -> Result<HttpResponse, ApiError> {
    let vendor = service::create(&state.pool, body.0).await?;
    Ok(created(
        format!("/v1/vendors/{}", vendor.id),
        vendor.version,
        &vendor,
    ))
}

/// Get a vendor
#[utoipa::path(
    tag = "vendors",
    operation_id = "getVendor",
    params(
        ("id" = String, Path, description = "Vendor id (UUID)", format = Uuid),
        ("If-None-Match" = Option<String>, Header, description = "ETag of a cached copy; 304 when it is still current")
    ),
    responses(
        (status = 200, description = "The vendor", body = Vendor,
            headers(("ETag" = String, description = "Version tag"))),
        (status = 304, description = "The cached copy is current")
    )
)]
#[get("/{id}")]
async fn get_vendor(
    state: web::Data<AppState>,
    req: HttpRequest,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let id = VendorId::parse_path(&id)?;
    let vendor = service::get(&state.pool, id).await?;
    Ok(fetched(&req, vendor.version, &vendor))
}

/// Update a vendor
///
/// JSON Merge Patch (RFC 7396). `categories` replaces the whole set; `website: null` clears
/// the website; `name` and `country_code` cannot be cleared.
#[utoipa::path(
    tag = "vendors",
    operation_id = "updateVendor",
    params(
        ("id" = String, Path, description = "Vendor id (UUID)", format = Uuid),
        ("If-Match" = Option<String>, Header, description = "Only update if the ETag still matches (412 otherwise)")
    ),
    request_body(content = VendorPatch, content_type = "application/merge-patch+json"),
    responses(
        (status = 200, description = "The updated vendor", body = Vendor,
            headers(("ETag" = String, description = "New version tag"))),
        (status = 400, response = crate::http::responses::BadRequest),
        (status = 409, response = crate::http::responses::Conflict),
        (status = 412, response = crate::http::responses::PreconditionFailed)
    )
)]
#[patch("/{id}")]
async fn update_vendor(
    state: web::Data<AppState>,
    req: HttpRequest,
    id: web::Path<String>,
    body: JsonBody<VendorPatch>,
) -> Result<HttpResponse, ApiError> {
    let id = VendorId::parse_path(&id)?;
    let precondition = Precondition::from_headers(req.headers())?;
    let vendor = service::update(&state.pool, id, body.0, precondition).await?;
    Ok(updated(vendor.version, &vendor))
}

/// Delete a vendor
///
/// Refused (409, `referenced_by`) while localizations refer to it; its categories go with it.
#[utoipa::path(
    tag = "vendors",
    operation_id = "deleteVendor",
    params(
        ("id" = String, Path, description = "Vendor id (UUID)", format = Uuid),
        ("If-Match" = Option<String>, Header, description = "Only delete if the ETag still matches (412 otherwise)")
    ),
    responses(
        (status = 204, description = "Deleted"),
        (status = 409, response = crate::http::responses::Conflict),
        (status = 412, response = crate::http::responses::PreconditionFailed)
    )
)]
#[delete("/{id}")]
async fn delete_vendor(
    state: web::Data<AppState>,
    req: HttpRequest,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let id = VendorId::parse_path(&id)?;
    let precondition = Precondition::from_headers(req.headers())?;
    service::delete(&state.pool, id, precondition).await?;
    Ok(HttpResponse::NoContent().finish())
}
