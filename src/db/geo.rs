//! Distances on the Earth in SQL: `great_circle_km(lat1, lon1, lat2, lon2)`, the haversine
//! distance in kilometres. PostgreSQL has it as a SQL function (migration
//! `2026-12-04-000080_geo`); SQLite calls the Rust implementation below, registered on every
//! connection the pool opens.

use diesel::expression::functions::declare_sql_function;
use diesel::sql_types::{Double, Nullable};
use diesel::sqlite::SqliteConnection;

/// The mean Earth radius (IUGG), in kilometres.
pub const EARTH_RADIUS_KM: f64 = 6371.0088;

/// Kilometres per degree of latitude (and of longitude on the equator).
pub const KM_PER_DEGREE: f64 = EARTH_RADIUS_KM * std::f64::consts::PI / 180.0;

#[declare_sql_function]
extern "SQL" {
    /// The great-circle distance in kilometres between two points given in degrees; `NULL`
    /// when the second point has no coordinates.
    fn great_circle_km(
        lat1: Double,
        lon1: Double,
        lat2: Nullable<Double>,
        lon2: Nullable<Double>,
    ) -> Nullable<Double>;
}

/// The haversine distance, as both backends compute it (the same formula as the PostgreSQL
/// function).
pub fn distance_km(lat1: f64, lon1: f64, lat2: f64, lon2: f64) -> f64 {
    let half_lat = (lat2 - lat1).to_radians() / 2.0;
    let half_lon = (lon2 - lon1).to_radians() / 2.0;
    let a = half_lat.sin().powi(2)
        + lat1.to_radians().cos() * lat2.to_radians().cos() * half_lon.sin().powi(2);
    2.0 * EARTH_RADIUS_KM * a.sqrt().min(1.0).asin()
}

/// Registers `great_circle_km` on a SQLite connection.
pub fn register(conn: &mut SqliteConnection) -> diesel::QueryResult<()> {
    great_circle_km_utils::register_impl(
        conn,
        |lat1: f64, lon1: f64, lat2: Option<f64>, lon2: Option<f64>| match (lat2, lon2) {
            (Some(lat2), Some(lon2)) => Some(distance_km(lat1, lon1, lat2, lon2)),
            _ => None,
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn distances_are_great_circle_kilometres() {
        assert!(distance_km(55.44, 65.34, 55.44, 65.34).abs() < 1e-9);
        // Kurgan to Tyumen, about 190 km.
        let kurgan_tyumen = distance_km(55.4410, 65.3411, 57.1530, 65.5343);
        assert!((185.0..200.0).contains(&kurgan_tyumen), "{kurgan_tyumen}");
        // Across the antimeridian: one degree of longitude on the equator.
        let across = distance_km(0.0, 179.5, 0.0, -179.5);
        assert!((across - KM_PER_DEGREE).abs() < 1e-6, "{across}");
        // Antipodes: half the circumference.
        let half = distance_km(0.0, 0.0, 0.0, 180.0);
        assert!((half - EARTH_RADIUS_KM * std::f64::consts::PI).abs() < 1e-6);
    }
}
