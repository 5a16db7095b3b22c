//! The parts of GeoJSON (RFC 7946) that every resource with a place shares: the `type`
//! members, which take one value each, and a point.

use serde::Serialize;
use utoipa::ToSchema;

/// The `type` of a GeoJSON FeatureCollection.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
pub enum FeatureCollectionType {
    FeatureCollection,
}

/// The `type` of a GeoJSON Feature.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
pub enum FeatureType {
    Feature,
}

/// The `type` of a GeoJSON Point.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
pub enum PointType {
    Point,
}

/// A GeoJSON Point: one position, longitude first (RFC 7946, 3.1.2), in degrees (WGS 84).
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
#[schema(example = json!({"type": "Point", "coordinates": [65.3411, 55.441]}))]
pub struct PointGeometry {
    #[serde(rename = "type")]
    pub kind: PointType,
    /// `[longitude, latitude]`: longitude −180 to 180, latitude −90 to 90.
    #[schema(min_items = 2, max_items = 2, example = json!([65.3411, 55.441]))]
    pub coordinates: Vec<f64>,
}

impl PointGeometry {
    /// The point of a latitude and longitude given together; `None` when either is missing
    /// (a feature without a place has a `null` geometry, RFC 7946, 3.2).
    pub fn at(latitude: Option<f64>, longitude: Option<f64>) -> Option<Self> {
        match (latitude, longitude) {
            (Some(latitude), Some(longitude)) => Some(Self {
                kind: PointType::Point,
                coordinates: vec![longitude, latitude],
            }),
            _ => None,
        }
    }
}
