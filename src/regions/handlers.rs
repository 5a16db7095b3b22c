//! HTTP for regions: the standard endpoints, a region's ancestors and descendants, and the
//! lists' filters.

use actix_web::{get, web, HttpResponse};
use serde::Deserialize;
use utoipa::IntoParams;

use super::model::{
    Region, RegionAncestors, RegionCreate, RegionFilter, RegionId, RegionLevel, RegionPage,
    RegionPatch, RegionSort, RolloutStage,
};
use super::service;
use crate::core::error::DomainError;
use crate::http::auth::{Authorized, Reader};
use crate::http::extract::{IdPath, IfNoneMatch};
use crate::http::query::{parse_country_list, parse_list, ListFilter, ListQuery, SearchDoc};
use crate::AppState;

pub fn routes(config: &mut utoipa_actix_web::service_config::ServiceConfig) {
    standard::routes(config);
    config
        .service(list_region_ancestors)
        .service(list_region_descendants);
}

/// Filters of `GET /v1/regions`.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct RegionListFilter {
    /// Only the regions with these codes (exact, case-insensitive; repeat the parameter or
    /// separate values with commas for any of).
    #[param(value_type = Option<Vec<String>>, style = Form, example = json!(["RU-KGN"]))]
    pub code: Option<String>,
    /// Only regions of these countries (ISO 3166-1 alpha-2, repeated or comma-separated for
    /// any of).
    #[param(value_type = Option<Vec<String>>, style = Form, example = json!(["RU", "KZ"]))]
    pub country_code: Option<String>,
    /// Only children of these regions (ids, repeated or comma-separated), or `null` for roots
    /// only.
    #[param(value_type = Option<Vec<String>>, style = Form)]
    pub parent_id: Option<String>,
    /// Only these levels (repeated or comma-separated).
    #[param(value_type = Option<Vec<RegionLevel>>, style = Form)]
    pub level: Option<String>,
    /// Only these rollout stages (repeated or comma-separated).
    #[param(value_type = Option<Vec<RolloutStage>>, style = Form)]
    pub rollout_stage: Option<String>,
}

/// What `q` matches on region lists.
const REGION_SEARCH: SearchDoc = SearchDoc {
    description: "Text search by words over names and codes: every word given must begin a \
word of the name or code (`кург обл` finds \"Курганская область\"). Words are runs of \
letters and digits; case and Unicode form are ignored, in any script. At most 8 words; text \
without a letter or digit matches nothing.",
    example: "курган",
};

impl ListFilter for RegionListFilter {
    type Parsed = RegionFilter;
    const SEARCH: Option<SearchDoc> = Some(REGION_SEARCH);

    fn parse(self, search: Option<Vec<String>>) -> Result<RegionFilter, DomainError> {
        let (roots_only, parent_ids) = match self.parent_id.as_deref().map(str::trim) {
            Some("null") => (true, None),
            _ => (
                false,
                parse_list::<uuid::Uuid>("parent_id", &self.parent_id, "a region id (UUID)")?
                    .map(|ids| ids.into_iter().map(RegionId).collect()),
            ),
        };
        Ok(RegionFilter {
            codes: parse_list::<String>("code", &self.code, "a region code")?
                .map(|codes| codes.iter().map(|code| code.to_uppercase()).collect()),
            country_codes: parse_country_list("country_code", &self.country_code)?,
            parent_ids,
            roots_only,
            levels: parse_list("level", &self.level, "a region level")?,
            rollout_stages: parse_list("rollout_stage", &self.rollout_stage, "a rollout stage")?,
            search,
            within_path: None,
        })
    }
}

crate::resource_endpoints! {
    tag "regions", path "/v1/regions", id RegionId, service service;
    /// List regions
    ///
    /// Filters combine with AND; several values within one filter mean "any of".
    list "listRegions" RegionListFilter, RegionSort => RegionPage "A page of regions";
    /// Create a region
    ///
    /// A child must be at a deeper level than its parent and in the same country; a country has
    /// no parent and its code is its alpha-2 code.
    create "createRegion" RegionCreate => Region "URL of the new region"
        [(status = 409, response = crate::http::responses::Conflict),];
    /// Get a region
    get "getRegion" "The region";
    /// Update a region
    ///
    /// JSON Merge Patch (RFC 7396). Moving a region (`parent_id`) moves its whole subtree; a
    /// move into its own subtree is refused (409). Its country cannot change while
    /// subregions, laboratories or localizations are in it (409, `referenced_by`).
    update "updateRegion" RegionPatch => "The updated region"
        [(status = 409, response = crate::http::responses::Conflict),];
    /// Delete a region
    ///
    /// Refused (409, `referenced_by`) while subregions, laboratories or localizations refer to it.
    delete "deleteRegion" [(status = 409, response = crate::http::responses::Conflict),];
}

/// List the ancestors of a region
///
/// From the root (usually the country) down to the direct parent.
#[utoipa::path(
    tag = "regions",
    operation_id = "listRegionAncestors",
    security(("bearer" = ["reader"])),
    params(RegionId, IfNoneMatch),
    responses(
        (status = 200, description = "The ancestors, root first", body = RegionAncestors,
            headers(("ETag" = String, description = "Weak tag of the list's content; 304 for `If-None-Match` while the list is unchanged"))),
        (status = 304, description = "The cached list is current", headers(("ETag" = String, description = "Weak tag of the list's content; 304 for `If-None-Match` while the list is unchanged")))
    )
)]
#[get("/{id}/ancestors")]
async fn list_region_ancestors(
    _caller: Authorized<Reader>,
    state: web::Data<AppState>,
    id: IdPath<RegionId>,
    cached: IfNoneMatch,
) -> Result<HttpResponse, DomainError> {
    let items = service::ancestors(&state.pool, id.0).await?;
    crate::http::listed(&cached, &RegionAncestors { items })
}

/// Filters of `GET /v1/regions/{id}/descendants`.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct RegionDescendantsFilter {
    /// Only these levels (repeated or comma-separated).
    #[param(value_type = Option<Vec<RegionLevel>>, style = Form)]
    pub level: Option<String>,
    /// Only these rollout stages (repeated or comma-separated).
    #[param(value_type = Option<Vec<RolloutStage>>, style = Form)]
    pub rollout_stage: Option<String>,
}

impl ListFilter for RegionDescendantsFilter {
    type Parsed = RegionFilter;
    const SEARCH: Option<SearchDoc> = Some(REGION_SEARCH);

    fn parse(self, search: Option<Vec<String>>) -> Result<RegionFilter, DomainError> {
        Ok(RegionFilter {
            levels: parse_list("level", &self.level, "a region level")?,
            rollout_stages: parse_list("rollout_stage", &self.rollout_stage, "a rollout stage")?,
            search,
            ..RegionFilter::default()
        })
    }
}

type DescendantsQuery = ListQuery<RegionDescendantsFilter, RegionSort>;

/// List the descendants of a region
///
/// The whole subtree below the region (not the region itself), paginated.
#[utoipa::path(
    tag = "regions",
    operation_id = "listRegionDescendants",
    security(("bearer" = ["reader"])),
    params(RegionId, DescendantsQuery, IfNoneMatch),
    responses(
        (status = 200, description = "A page of descendants", body = RegionPage, headers(("ETag" = String, description = "Weak tag of the page's content; 304 for `If-None-Match` while the page is unchanged"))),
        (status = 304, description = "The cached page is current", headers(("ETag" = String, description = "Weak tag of the page's content; 304 for `If-None-Match` while the page is unchanged"))),
        (status = 400, response = crate::http::responses::BadRequest)
    )
)]
#[get("/{id}/descendants")]
async fn list_region_descendants(
    _caller: Authorized<Reader>,
    state: web::Data<AppState>,
    id: IdPath<RegionId>,
    query: DescendantsQuery,
    cached: IfNoneMatch,
) -> Result<HttpResponse, DomainError> {
    let (items, next_page_token) =
        service::descendants(&state.pool, id.0, query.filter, query.sort, query.page).await?;
    crate::http::listed(
        &cached,
        &RegionPage {
            items,
            next_page_token,
        },
    )
}
