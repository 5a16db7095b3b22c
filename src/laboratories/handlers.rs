//! HTTP for laboratories: the standard endpoints and the list's filters.

use serde::Deserialize;
use utoipa::IntoParams;

use super::geojson::LaboratoryFeatureCollection;
use super::model::{
    AccreditedFilter, BoundingBox, Discipline, Laboratory, LaboratoryCreate, LaboratoryFilter,
    LaboratoryId, LaboratoryKind, LaboratoryPage, LaboratoryPatch, LaboratorySort,
    LaboratoryStatus, Near,
};
use super::service;
use crate::core::error::DomainError;
use crate::http::query::{
    parse_bool, parse_date, parse_list, FilterOrderDoc, ListFilter, SearchDoc,
};
use crate::regions::model::RegionId;

pub fn routes(config: &mut utoipa_actix_web::service_config::ServiceConfig) {
    standard::routes(config);
    crate::equipment_units::laboratory_routes(config);
}

/// Filters of `GET /v1/laboratories`.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct LaboratoryListFilter {
    /// Only the laboratories with these registry codes, ignoring case as codes are unique regardless of case (`kgn-001` finds `KGN-001`; repeat the parameter or separate values with commas for any of).
    #[param(value_type = Option<Vec<String>>, style = Form, example = json!(["KGN-001"]))]
    pub code: Option<String>,
    /// Only laboratories in these regions (ids, repeated or comma-separated for any of). With
    /// `include_subregions=true`, exactly one id.
    #[param(value_type = Option<Vec<uuid::Uuid>>, style = Form, example = json!(["0193a0f4-5e6b-7c3d-9a10-2b3c4d5e6f70"]))]
    pub region_id: Option<String>,
    /// `true`: `region_id` (exactly one) takes in its whole subtree, e.g. a country's
    /// laboratories in all its regions and municipalities. Requires `region_id`.
    #[param(value_type = Option<bool>, example = true)]
    pub include_subregions: Option<String>,
    /// Only these kinds (repeated or comma-separated for any of).
    #[param(value_type = Option<Vec<LaboratoryKind>>, style = Form, example = json!(["central", "branch"]))]
    pub kind: Option<String>,
    /// Only these statuses (repeated or comma-separated for any of).
    #[param(value_type = Option<Vec<LaboratoryStatus>>, style = Form, example = json!(["operational"]))]
    pub status: Option<String>,
    /// Only laboratories sending samples to these hubs (ids, repeated or comma-separated), or `null` for
    /// top-level laboratories only.
    #[param(value_type = Option<Vec<String>>, style = Form)]
    pub parent_id: Option<String>,
    /// Only laboratories performing at least one of these disciplines (repeated or comma-separated).
    #[param(value_type = Option<Vec<Discipline>>, style = Form, example = json!(["molecular_diagnostics"]))]
    pub discipline: Option<String>,
    /// `true`: only laboratories whose accreditation is valid on `accredited_on`; `false`:
    /// only those without one or with an expired one.
    #[param(value_type = Option<bool>, example = true)]
    pub accredited: Option<String>,
    /// The date `accredited` is judged on (YYYY-MM-DD, default today in UTC). Requires
    /// `accredited`.
    #[param(value_type = Option<String>, format = Date, example = "2026-12-31")]
    pub accredited_on: Option<String>,
    /// Only laboratories inside the box `west,south,east,north` (longitudes −180 to 180,
    /// latitudes −90 to 90, in degrees, edges included); a box with `west` greater than
    /// `east` crosses the antimeridian. Laboratories without coordinates are never inside.
    #[param(value_type = Option<String>, pattern = r"^-?(180(\.0+)?|(1[0-7][0-9]|[1-9]?[0-9])(\.[0-9]+)?),-?(90(\.0+)?|[1-8]?[0-9](\.[0-9]+)?),-?(180(\.0+)?|(1[0-7][0-9]|[1-9]?[0-9])(\.[0-9]+)?),-?(90(\.0+)?|[1-8]?[0-9](\.[0-9]+)?)$", example = "60.0,54.0,70.0,58.0")]
    pub bbox: Option<String>,
    /// Only laboratories within `radius_km` of the point `latitude,longitude` (degrees),
    /// ordered by distance, nearest first, each with its `distance_km`. Requires
    /// `radius_km`.
    #[param(value_type = Option<String>, pattern = r"^-?(90(\.0+)?|[1-8]?[0-9](\.[0-9]+)?),-?(180(\.0+)?|(1[0-7][0-9]|[1-9]?[0-9])(\.[0-9]+)?)$", example = "55.441,65.341")]
    pub near: Option<String>,
    /// The radius around `near`, in kilometres: more than 0, at most 5000. Requires `near`.
    #[param(value_type = Option<f64>, exclusive_minimum = 0, maximum = 5000, example = 50)]
    pub radius_km: Option<String>,
}

/// Largest `radius_km`.
const MAX_RADIUS_KM: f64 = 5000.0;

/// Comma-separated numbers, exactly `count` of them, each finite.
fn numbers(parameter: &str, raw: &str, count: usize, shape: &str) -> Result<Vec<f64>, DomainError> {
    let values: Vec<f64> = raw
        .split(',')
        .map(|part| part.trim().parse::<f64>())
        .collect::<Result<_, _>>()
        .map_err(|_| DomainError::bad_parameter(parameter, "invalid", format!("give {shape}")))?;
    if values.len() != count || values.iter().any(|v| !v.is_finite()) {
        return Err(DomainError::bad_parameter(
            parameter,
            "invalid",
            format!("give {shape}"),
        ));
    }
    Ok(values)
}

fn check_range(parameter: &str, what: &str, value: f64, limit: f64) -> Result<(), DomainError> {
    if (-limit..=limit).contains(&value) {
        Ok(())
    } else {
        Err(DomainError::bad_parameter(
            parameter,
            "out_of_range",
            format!("{what} must be between -{limit} and {limit} degrees"),
        ))
    }
}

fn parse_bbox(raw: &Option<String>) -> Result<Option<BoundingBox>, DomainError> {
    let Some(raw) = raw else { return Ok(None) };
    let values = numbers("bbox", raw, 4, "four numbers: west,south,east,north")?;
    let (west, south, east, north) = (values[0], values[1], values[2], values[3]);
    check_range("bbox", "west", west, 180.0)?;
    check_range("bbox", "east", east, 180.0)?;
    check_range("bbox", "south", south, 90.0)?;
    check_range("bbox", "north", north, 90.0)?;
    if south > north {
        return Err(DomainError::bad_parameter(
            "bbox",
            "invalid",
            "south must not be greater than north",
        ));
    }
    Ok(Some(BoundingBox {
        west,
        south,
        east,
        north,
    }))
}

fn parse_near(near: &Option<String>, radius: &Option<String>) -> Result<Option<Near>, DomainError> {
    let (near, radius) = match (near, radius) {
        (None, None) => return Ok(None),
        (Some(_), None) => {
            return Err(DomainError::bad_parameter(
                "radius_km",
                "required",
                "`near` needs `radius_km`",
            ))
        }
        (None, Some(_)) => {
            return Err(DomainError::bad_parameter(
                "near",
                "required",
                "`radius_km` needs `near`",
            ))
        }
        (Some(near), Some(radius)) => (near, radius),
    };
    let point = numbers("near", near, 2, "two numbers: latitude,longitude")?;
    check_range("near", "the latitude", point[0], 90.0)?;
    check_range("near", "the longitude", point[1], 180.0)?;
    let radius_km = match radius.trim().parse::<f64>() {
        Ok(r) if r > 0.0 && r <= MAX_RADIUS_KM => r,
        _ => {
            return Err(DomainError::bad_parameter(
                "radius_km",
                "out_of_range",
                format!("must be a number more than 0 and at most {MAX_RADIUS_KM}"),
            ))
        }
    };
    Ok(Some(Near {
        latitude: point[0],
        longitude: point[1],
        radius_km,
    }))
}

impl ListFilter for LaboratoryListFilter {
    type Parsed = LaboratoryFilter;
    const SEARCH: Option<SearchDoc> = Some(SearchDoc {
        description: "Text search by words over names and codes: every word given must begin a word of the name or code (`клин диаг` finds \"Клинико-диагностическая лаборатория\"; `агност` does not). Words are runs of letters and digits; case and Unicode form are ignored, in any script. At most 8 words; text without a letter or digit matches nothing.",
        example: "клин диаг",
    });

    fn parse(self, search: Option<Vec<String>>) -> Result<LaboratoryFilter, DomainError> {
        let region_ids: Option<Vec<RegionId>> =
            parse_list::<uuid::Uuid>("region_id", &self.region_id, "a region id (UUID)")?
                .map(|ids| ids.into_iter().map(RegionId).collect());
        let include_subregions = parse_bool("include_subregions", &self.include_subregions)?;
        let (region_ids, subtree_root) = match (include_subregions, region_ids) {
            (Some(_), None) => {
                return Err(DomainError::bad_parameter(
                    "include_subregions",
                    "invalid",
                    "needs `region_id` (exactly one region)",
                ))
            }
            (Some(true), Some(ids)) => match ids.as_slice() {
                [root] => (None, Some(*root)),
                _ => {
                    return Err(DomainError::bad_parameter(
                        "region_id",
                        "invalid",
                        "with include_subregions=true give exactly one region id",
                    ))
                }
            },
            (_, ids) => (ids, None),
        };
        let (top_level_only, parent_ids) = match self.parent_id.as_deref().map(str::trim) {
            Some("null") => (true, None),
            _ => (
                false,
                parse_list::<uuid::Uuid>("parent_id", &self.parent_id, "a laboratory id (UUID)")?
                    .map(|ids| ids.into_iter().map(LaboratoryId).collect()),
            ),
        };
        let accredited_on = parse_date("accredited_on", &self.accredited_on)?;
        let accredited = match (parse_bool("accredited", &self.accredited)?, accredited_on) {
            (None, Some(_)) => {
                return Err(DomainError::bad_parameter(
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
            codes: parse_list("code", &self.code, "a registry code")?,
            region_ids,
            subtree_root,
            kinds: parse_list("kind", &self.kind, "a laboratory kind")?,
            statuses: parse_list("status", &self.status, "a laboratory status")?,
            parent_ids,
            top_level_only,
            disciplines: parse_list("discipline", &self.discipline, "a discipline")?,
            accredited,
            search,
            bbox: parse_bbox(&self.bbox)?,
            near: parse_near(&self.near, &self.radius_km)?,
        })
    }

    const FILTER_ORDER: Option<FilterOrderDoc> = Some(FilterOrderDoc {
        sort: "distance",
        needs: "near",
        description: "the distance from `near`, nearest first",
    });

    fn filter_order(parsed: &LaboratoryFilter) -> Option<String> {
        parsed.near.map(|near| near.token_name())
    }
}

crate::resource_endpoints! {
    tag "laboratories", path "/v1/laboratories", id LaboratoryId, service service;
    /// List laboratories
    ///
    /// Filters combine with AND; several values within one filter mean "any of". Each
    /// laboratory carries its disciplines.
    ///
    /// With `Accept: application/geo+json` the same page comes as a GeoJSON
    /// FeatureCollection (RFC 7946) for map front ends: each laboratory a Feature with its
    /// point (`null` without coordinates) and the laboratory as its properties;
    /// `next_page_token` is a member of the collection. Without `Accept`, or when JSON is
    /// preferred or equally acceptable, the page is JSON. An `Accept` that takes neither
    /// gets 406.
    list "listLaboratories" LaboratoryListFilter, LaboratorySort => LaboratoryPage
        "A page of laboratories" or LaboratoryFeatureCollection "application/geo+json";
    /// Create a laboratory
    ///
    /// The region must exist (422). The registry `code` is unique (409). A hub (`parent_id`) must
    /// exist, must not be a collection point and must be in the same country (422). The status
    /// may start anywhere but `closed` (default `planned`). Coordinates come in pairs.
    create "createLaboratory" LaboratoryCreate => Laboratory "URL of the new laboratory"
        [(status = 409, response = crate::http::responses::Conflict),];
    /// Get a laboratory
    get "getLaboratory" "The laboratory";
    /// Update a laboratory
    ///
    /// JSON Merge Patch (RFC 7396). `accreditation` is replaced as a whole (`null` removes it);
    /// `disciplines` replaces the whole list.
    ///
    /// Status moves are strict, one step forward (409 with `current_state` and
    /// `allowed_transitions` otherwise):
    ///
    /// {moves:LaboratoryStatus}
    ///
    /// Sending the current status changes nothing. A laboratory with equipment units that
    /// are not decommissioned is not closed (409, `conflict`). The hub (`parent_id`) must exist, must not be a
    /// collection point and must be in the same country (422); making the laboratory its own hub
    /// or closing a loop of hubs is refused (409, `cycle`).
    update "updateLaboratory" LaboratoryPatch => "The updated laboratory"
        [(status = 409, response = crate::http::responses::Conflict),];
    /// Delete a laboratory
    ///
    /// Deletes the laboratory with its disciplines. Refused (409, `referenced_by`) while other
    /// laboratories send samples to it (`parent_id`) or equipment units are recorded there.
    delete "deleteLaboratory" [(status = 409, response = crate::http::responses::Conflict),];
    /// List a laboratory's audit trail
    audit "listLaboratoryAudit";
}
