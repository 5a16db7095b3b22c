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

/// Geographic cells per degree, of latitude and of longitude: cells of 0.1° (11 km of
/// latitude), small enough that a cell holds a few laboratories where they are densest, large
/// enough that a 50 km circle is ten runs of cells.
const CELLS_PER_DEGREE: f64 = 10.0;

/// Cell numbers per row of cells: the columns 0 to 3600 (longitude 180 has a column of its
/// own, as latitude 90 has a row).
const CELL_ROW_STRIDE: i32 = 3601;

/// Most runs of cells a query names; a box with more rows of cells has neighbouring runs
/// joined (reading the cells between them too) until it has this many.
pub const MAX_CELL_RUNS: usize = 64;

/// How far past a box's edges its cells reach, in degrees: a point on an edge is in the
/// cells whatever rounding the database's arithmetic does.
const CELL_MARGIN: f64 = 1e-7;

fn cell_row(latitude: f64) -> i32 {
    ((latitude.clamp(-90.0, 90.0) + 90.0) * CELLS_PER_DEGREE).floor() as i32
}

fn cell_column(longitude: f64) -> i32 {
    ((longitude.clamp(-180.0, 180.0) + 180.0) * CELLS_PER_DEGREE).floor() as i32
}

/// The cell of a point, as the database computes `laboratories.geo_cell` (migration
/// `2026-12-07-000100_geo_cells`): rows of cells numbered from the south, columns from the
/// west.
pub fn cell(latitude: f64, longitude: f64) -> i32 {
    cell_row(latitude) * CELL_ROW_STRIDE + cell_column(longitude)
}

/// The runs of consecutive cell numbers (first and last, inclusive) that cover the box from
/// `south` to `north` and from `west` to `east` (in degrees; `west > east` crosses the
/// antimeridian), at most [`MAX_CELL_RUNS`] of them, in order.
pub fn cell_runs(south: f64, north: f64, west: f64, east: f64) -> Vec<(i32, i32)> {
    let (first_row, last_row) = (cell_row(south - CELL_MARGIN), cell_row(north + CELL_MARGIN));
    let columns = if west <= east {
        vec![(
            cell_column(west - CELL_MARGIN),
            cell_column(east + CELL_MARGIN),
        )]
    } else {
        // West of `east`, then east of `west`: runs in increasing order.
        vec![
            (cell_column(-180.0), cell_column(east + CELL_MARGIN)),
            (cell_column(west - CELL_MARGIN), cell_column(180.0)),
        ]
    };
    let mut runs: Vec<(i32, i32)> = Vec::new();
    for row in first_row..=last_row {
        for &(from, to) in &columns {
            let run = (row * CELL_ROW_STRIDE + from, row * CELL_ROW_STRIDE + to);
            match runs.last_mut() {
                // A run that reaches the end of its row goes on into the next row.
                Some(last) if last.1 + 1 >= run.0 => last.1 = last.1.max(run.1),
                _ => runs.push(run),
            }
        }
    }
    while runs.len() > MAX_CELL_RUNS {
        runs = runs
            .chunks(2)
            .map(|pair| (pair[0].0, pair[pair.len() - 1].1))
            .collect();
    }
    runs
}

/// Most cells a query names one by one; a larger area is named by its runs.
pub const MAX_LISTED_CELLS: usize = 512;

/// The cells of an area, as a query names them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CellCover {
    /// Each cell (`geo_cell = ANY(…)`, `IN (…)`): one index scan that can read the cells'
    /// entries alone, without the rows (an index-only scan of a covering index).
    Cells(Vec<i32>),
    /// Runs of consecutive cells (`geo_cell BETWEEN … OR …`), for areas of many cells.
    Runs(Vec<(i32, i32)>),
}

/// The cells covering a box (as [`cell_runs`] takes it): listed while they are at most
/// [`MAX_LISTED_CELLS`], else as runs.
pub fn cell_cover(south: f64, north: f64, west: f64, east: f64) -> CellCover {
    let runs = cell_runs(south, north, west, east);
    let count: i64 = runs.iter().map(|&(a, b)| i64::from(b - a) + 1).sum();
    if usize::try_from(count).is_ok_and(|count| count <= MAX_LISTED_CELLS) {
        CellCover::Cells(runs.iter().flat_map(|&(a, b)| a..=b).collect())
    } else {
        CellCover::Runs(runs)
    }
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
    fn cells_are_numbered_row_by_row_from_the_south_west() {
        assert_eq!(cell(-90.0, -180.0), 0);
        assert_eq!(cell(-90.0, 180.0), 3600);
        assert_eq!(cell(-89.85, -180.0), 3601);
        assert_eq!(cell(90.0, 180.0), 1800 * 3601 + 3600);
        assert_eq!(cell(55.441, 65.341), 1454 * 3601 + 2453);
    }

    #[test]
    fn a_box_is_one_run_per_row_of_cells() {
        let runs = cell_runs(55.0, 55.25, 65.0, 65.35);
        assert_eq!(
            runs,
            (1449..=1452)
                .map(|row| (row * 3601 + 2449, row * 3601 + 2453))
                .collect::<Vec<_>>()
        );
        for (latitude, longitude) in [(55.0, 65.0), (55.25, 65.35), (55.1, 65.2)] {
            let c = cell(latitude, longitude);
            assert!(runs.iter().any(|&(a, b)| (a..=b).contains(&c)), "{c}");
        }
        // Across the antimeridian: two runs a row, joined where a row's end meets the next
        // row's start.
        let runs = cell_runs(0.0, 0.05, 179.9, -179.9);
        assert!(runs
            .iter()
            .any(|&(a, b)| (a..=b).contains(&cell(0.0, 179.95))));
        assert!(runs
            .iter()
            .any(|&(a, b)| (a..=b).contains(&cell(0.0, -179.95))));
        assert!(!runs.iter().any(|&(a, b)| (a..=b).contains(&cell(0.0, 0.0))));
        // The whole world is one run; a tall box is cut to the most runs allowed, still
        // covering every cell it covered.
        assert_eq!(
            cell_runs(-90.0, 90.0, -180.0, 180.0),
            vec![(0, 1801 * 3601 - 1)]
        );
        // A small box lists its cells; a large one its runs.
        assert_eq!(
            cell_cover(55.0, 55.25, 65.0, 65.35),
            CellCover::Cells(
                (1449..=1452)
                    .flat_map(|row| row * 3601 + 2449..=row * 3601 + 2453)
                    .collect()
            )
        );
        assert!(
            matches!(cell_cover(50.0, 60.0, 60.0, 70.0), CellCover::Runs(runs) if (2..=MAX_CELL_RUNS).contains(&runs.len()))
        );
        let tall = cell_runs(-60.0, 60.0, 10.0, 20.0);
        assert!(tall.len() <= MAX_CELL_RUNS);
        for latitude in [-60.0, -12.34, 0.0, 59.99, 60.0] {
            let c = cell(latitude, 15.0);
            assert!(
                tall.iter().any(|&(a, b)| (a..=b).contains(&c)),
                "{latitude}"
            );
        }
    }

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
