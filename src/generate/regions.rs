//! Regions: one per country, then per country districts, regions and municipalities nested
//! under them (about 4 %, 20 % and the rest), with place names in the country's script.
//! Written as `RegionRow`s, parents before children.

use std::collections::HashMap;
use std::time::Instant;

use rand::rngs::StdRng;
use rand::seq::IndexedRandom;
use rand::Rng;

use super::fixtures::{place_name, COUNTRIES};
use super::loaders::{bulk_insert, in_transaction};
use super::{progress, record, Clock, GenerateOptions, GenerateReport};
use crate::db::DbConn;
use crate::regions::model::{RegionId, RegionLevel, RegionRow, RolloutStage};
use crate::schema::regions;
use crate::validation::{name_and_code_terms, search_column};

/// What the laboratories need to know about a region.
pub(super) struct RegionInfo {
    pub id: RegionId,
    /// Index into `COUNTRIES`.
    pub country: usize,
    pub name: String,
    pub latitude: f64,
    pub longitude: f64,
}

/// Writes the regions; returns what the laboratories and localizations need of them.
pub(super) fn generate(
    conn: &mut DbConn,
    rng: &mut StdRng,
    options: GenerateOptions,
    report: &mut GenerateReport,
) -> Result<Vec<RegionInfo>, String> {
    let started = Instant::now();
    let total = options.regions.max(COUNTRIES.len());
    let bar = progress(total, "regions", options.progress);
    let mut clock = Clock::starting_days_ago(400);
    let mut rows: Vec<RegionRow> = Vec::with_capacity(total);
    let mut infos = Vec::with_capacity(total);
    // Countries first, then per country: districts, regions, municipalities.
    let mut by_level: Vec<Vec<usize>> = vec![Vec::new(); COUNTRIES.len()];
    for (country_index, country) in COUNTRIES.iter().enumerate() {
        let id = RegionId::generate();
        let at = clock.tick(rng);
        rows.push(RegionRow {
            id,
            code: country.code.to_owned(),
            name: country.name.to_owned(),
            search_text: search_column(&name_and_code_terms(country.name, country.code)),
            country_code: country.code.to_owned(),
            parent_id: None,
            level: RegionLevel::Country,
            path: format!("/{id}/"),
            rollout_stage: RolloutStage::InProgress,
            rollout_target_year: Some(2028),
            created_at: at,
            updated_at: at,
            version: 1,
        });
        by_level[country_index].push(rows.len() - 1);
    }
    let remaining = total - COUNTRIES.len();
    let mut counters: HashMap<&str, usize> = HashMap::new();
    for (country_index, country) in COUNTRIES.iter().enumerate() {
        let share = ((remaining as f64) * country.weight).round() as usize;
        // About 4% districts, 20% regions, the rest municipalities.
        let districts = (share / 25).max(usize::from(share > 0));
        let regions_count = (share / 5).max(usize::from(share > 1));
        let municipalities = share.saturating_sub(districts + regions_count);
        let country_row = by_level[country_index][0];
        let mut parents_for_regions = Vec::new();
        let mut parents_for_municipalities = Vec::new();
        for (level, count) in [
            (RegionLevel::District, districts),
            (RegionLevel::Region, regions_count),
            (RegionLevel::Municipality, municipalities),
        ] {
            for _ in 0..count {
                let parent_index = match level {
                    RegionLevel::District => country_row,
                    RegionLevel::Region => *parents_for_regions.choose(rng).unwrap_or(&country_row),
                    _ => *parents_for_municipalities
                        .choose(rng)
                        .unwrap_or(&country_row),
                };
                let parent = &rows[parent_index];
                let counter = counters.entry(country.code).or_insert(0);
                *counter += 1;
                let prefix = match level {
                    RegionLevel::District => "D",
                    RegionLevel::Region => "R",
                    _ => "M",
                };
                let code = format!("{}-{prefix}{:05}", country.code, counter);
                let base = place_name(rng, country.cyrillic);
                let name = match (level, country.cyrillic) {
                    (RegionLevel::District, true) => format!("{base}ский федеральный округ"),
                    (RegionLevel::Region, true) => format!("{base}ская область"),
                    (_, true) => format!("Город {base}"),
                    (RegionLevel::District, false) => format!("{base} District"),
                    (RegionLevel::Region, false) => format!("{base} Province"),
                    (_, false) => format!("{base} City"),
                };
                let id = RegionId::generate();
                let at = clock.tick(rng);
                let stage = [
                    RolloutStage::NotPlanned,
                    RolloutStage::Planned,
                    RolloutStage::Pilot,
                    RolloutStage::InProgress,
                    RolloutStage::Completed,
                ]
                .choose(rng)
                .copied()
                .unwrap_or(RolloutStage::NotPlanned);
                let row = RegionRow {
                    id,
                    search_text: search_column(&name_and_code_terms(&name, &code)),
                    code,
                    name,
                    country_code: country.code.to_owned(),
                    parent_id: Some(parent.id),
                    level,
                    path: format!("{}{id}/", parent.path),
                    rollout_stage: stage,
                    rollout_target_year: Some(rng.random_range(2025..=2030)),
                    created_at: at,
                    updated_at: at,
                    version: 1,
                };
                rows.push(row);
                let index = rows.len() - 1;
                match level {
                    RegionLevel::District => parents_for_regions.push(index),
                    RegionLevel::Region => parents_for_municipalities.push(index),
                    _ => {}
                }
            }
        }
    }
    for row in &rows {
        let country = COUNTRIES
            .iter()
            .position(|c| c.code == row.country_code)
            .unwrap_or(0);
        let bounds = &COUNTRIES[country];
        infos.push(RegionInfo {
            id: row.id,
            country,
            name: row.name.clone(),
            latitude: rng.random_range(bounds.latitude.0..bounds.latitude.1),
            longitude: rng.random_range(bounds.longitude.0..bounds.longitude.1),
        });
    }
    let count = rows.len();
    // Parents precede children in `rows`, so batches satisfy the foreign key in order.
    for chunk in rows.chunks(options.batch_size) {
        in_transaction(conn, |conn| {
            bulk_insert!(conn, regions::table, chunk).map(|_| ())
        })?;
        bar.inc(chunk.len() as u64);
    }
    bar.finish_and_clear();
    record(report, "regions", count, started);
    Ok(infos)
}
