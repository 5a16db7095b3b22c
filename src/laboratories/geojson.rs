//! A page of laboratories as GeoJSON (`Accept: application/geo+json` on the list), for map
//! front ends: the same laboratories in the same order, each a Feature at its coordinates.

use serde::Serialize;
use utoipa::ToSchema;

use super::model::{Laboratory, LaboratoryId, LaboratoryPage};
use crate::core::geojson::{FeatureCollectionType, FeatureType, PointGeometry};

/// A page of laboratories as a GeoJSON FeatureCollection (RFC 7946): the page the JSON list
/// would give, with the same filters, order and paging.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "type": "FeatureCollection",
    "features": [{
        "type": "Feature",
        "id": "0193a0f4-8b31-7c3d-9a10-2b3c4d5e6f71",
        "geometry": {"type": "Point", "coordinates": [65.3411, 55.441]},
        "properties": {
            "id": "0193a0f4-8b31-7c3d-9a10-2b3c4d5e6f71",
            "region_id": "0193a0f4-5e6b-7c3d-9a10-2b3c4d5e6f70",
            "code": "KGN-CKDL-001",
            "name": "Центральная клинико-диагностическая лаборатория",
            "kind": "central",
            "parent_id": null,
            "status": "operational",
            "address": "Курган, ул. Гоголя, 76",
            "latitude": 55.441,
            "longitude": 65.3411,
            "capacity_per_day": 12000,
            "opened_on": "2025-09-01",
            "operator": null,
            "accreditation": null,
            "disciplines": ["clinical_chemistry", "hematology"],
            "equipment_counts": {"hematology_analyzer": 2},
            "created_at": "2026-11-24T09:30:00Z",
            "updated_at": "2026-11-24T09:30:00Z",
            "version": 1
        }
    }],
    "next_page_token": null
}))]
pub struct LaboratoryFeatureCollection {
    #[serde(rename = "type")]
    pub kind: FeatureCollectionType,
    /// The page's laboratories, in the requested order.
    pub features: Vec<LaboratoryFeature>,
    /// Pass as `page_token` (with `Accept: application/geo+json` again, or not: tokens do
    /// not depend on the media type) for the next page; `null` on the last page (always
    /// sent). A foreign member, as RFC 7946 (6.1) allows.
    #[schema(required = true, example = "eyJ2IjoxfQ")]
    pub next_page_token: Option<String>,
}

/// One laboratory as a GeoJSON Feature.
#[derive(Debug, Serialize, ToSchema)]
pub struct LaboratoryFeature {
    #[serde(rename = "type")]
    pub kind: FeatureType,
    /// The laboratory's id.
    pub id: LaboratoryId,
    /// Where the laboratory is; `null` for a laboratory without coordinates (always sent).
    #[schema(required = true)]
    pub geometry: Option<PointGeometry>,
    /// The laboratory, as the JSON list gives it (with `distance_km` in a list with `near`).
    pub properties: Laboratory,
}

impl From<LaboratoryPage> for LaboratoryFeatureCollection {
    fn from(page: LaboratoryPage) -> Self {
        Self {
            kind: FeatureCollectionType::FeatureCollection,
            features: page
                .items
                .into_iter()
                .map(|laboratory| LaboratoryFeature {
                    kind: FeatureType::Feature,
                    id: laboratory.id,
                    geometry: PointGeometry::at(laboratory.latitude, laboratory.longitude),
                    properties: laboratory,
                })
                .collect(),
            next_page_token: page.next_page_token,
        }
    }
}
