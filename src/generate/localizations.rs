//! Localizations: a vendor (skewed towards the first ones) producing in a country, often in
//! one of its regions, with scopes, and a stage history that walks the stage path day by day
//! and may end suspended or cancelled; the current stage is the history's last.

use std::time::Instant;

use chrono::{Duration, NaiveDate};
use rand::rngs::StdRng;
use rand::seq::IndexedRandom;
use rand::Rng;

use super::fixtures::{COUNTRIES, PARTNERS};
use super::loaders::{bulk_insert, in_transaction};
use super::regions::RegionInfo;
use super::{progress, record, skewed_index, Clock, GenerateOptions, GenerateReport};
use crate::db::DbConn;
use crate::localizations::model::{
    LocalizationId, LocalizationRow, LocalizationScope, LocalizationStage, StageChangeId,
    StageChangeRow,
};
use crate::localizations::repo as localization_repo;
use crate::regions::model::RegionId;
use crate::schema::{localization_scopes, localization_stage_changes, localizations};
use crate::vendors::model::VendorId;

/// Writes the localizations with their scopes and stage histories.
pub(super) fn generate(
    conn: &mut DbConn,
    rng: &mut StdRng,
    options: GenerateOptions,
    region_infos: &[RegionInfo],
    vendor_ids: &[(VendorId, usize)],
    report: &mut GenerateReport,
) -> Result<(), String> {
    if vendor_ids.is_empty() || options.localizations == 0 {
        return Ok(());
    }
    let started = Instant::now();
    let bar = progress(options.localizations, "localizations", options.progress);
    let mut clock = Clock::starting_days_ago(150);
    let mut regions_by_country: Vec<Vec<RegionId>> = vec![Vec::new(); COUNTRIES.len()];
    for info in region_infos {
        regions_by_country[info.country].push(info.id);
    }
    let forward = [
        LocalizationStage::InterestDeclared,
        LocalizationStage::Negotiating,
        LocalizationStage::AgreementSigned,
        LocalizationStage::ProductionSetup,
        LocalizationStage::Producing,
    ];
    let mut written = 0;
    let mut history_rows = 0;
    while written < options.localizations {
        let batch = options.batch_size.min(options.localizations - written);
        let mut rows = Vec::with_capacity(batch);
        let mut scopes = Vec::new();
        let mut history = Vec::new();
        for _ in 0..batch {
            let (vendor_id, _) = vendor_ids[skewed_index(rng, vendor_ids.len())];
            let country_index = rng.random_range(0..COUNTRIES.len());
            let country = &COUNTRIES[country_index];
            let id = LocalizationId::generate();
            // Walk the stage path day by day, then maybe suspend or cancel.
            let reached = rng.random_range(0..forward.len());
            let mut day = NaiveDate::from_ymd_opt(2024, 1, 1).unwrap_or_default()
                + Duration::days(rng.random_range(0..300));
            let mut from: Option<LocalizationStage> = None;
            let mut push_change = |to: LocalizationStage,
                                   from: Option<LocalizationStage>,
                                   day: NaiveDate,
                                   rng: &mut StdRng,
                                   clock: &mut Clock| {
                history.push(StageChangeRow {
                    id: StageChangeId::generate(),
                    localization_id: id,
                    from_stage: from,
                    to_stage: to,
                    changed_on: day,
                    note: Some(format!("Этап: {}", to.as_str())),
                    source: Some(format!(
                        "https://news.example/{}",
                        rng.random_range(1000..99999)
                    )),
                    created_at: clock.tick(rng),
                });
            };
            for stage in forward.iter().take(reached + 1) {
                push_change(*stage, from, day, rng, &mut clock);
                from = Some(*stage);
                day += Duration::days(rng.random_range(10..120));
            }
            let current_forward = forward[reached];
            let ending: f64 = rng.random_range(0.0..1.0);
            let (stage, suspended_from) = if ending < 0.08 {
                push_change(LocalizationStage::Suspended, from, day, rng, &mut clock);
                (LocalizationStage::Suspended, Some(current_forward))
            } else if ending < 0.13 {
                push_change(LocalizationStage::Cancelled, from, day, rng, &mut clock);
                (LocalizationStage::Cancelled, None)
            } else {
                day -= Duration::days(1);
                (current_forward, None)
            };
            let scope_count = rng.random_range(1..=LocalizationScope::ALL.len());
            let first = rng.random_range(0..LocalizationScope::ALL.len());
            for step in 0..scope_count {
                scopes.push(localization_repo::scopes::row(
                    id,
                    LocalizationScope::ALL[(first + step) % LocalizationScope::ALL.len()],
                ));
            }
            let at = clock.tick(rng);
            rows.push(LocalizationRow {
                id,
                vendor_id,
                country_code: country.code.to_owned(),
                region_id: if rng.random_range(0..3) > 0 {
                    regions_by_country[country_index].choose(rng).copied()
                } else {
                    None
                },
                stage,
                suspended_from_stage: suspended_from,
                stage_changed_on: day,
                local_content_percent: Some(f64::from(rng.random_range(0..=80))),
                target_date: NaiveDate::from_ymd_opt(
                    rng.random_range(2026..2031),
                    rng.random_range(1..13),
                    1,
                ),
                partner: PARTNERS.choose(rng).map(|p| (*p).to_owned()),
                created_at: at,
                updated_at: at,
                version: 1,
            });
        }
        history_rows += history.len();
        in_transaction(conn, |conn| {
            bulk_insert!(conn, localizations::table, &rows)?;
            bulk_insert!(conn, localization_scopes::table, &scopes)?;
            bulk_insert!(conn, localization_stage_changes::table, &history)?;
            Ok(())
        })?;
        written += batch;
        bar.inc(batch as u64);
    }
    bar.finish_and_clear();
    record(report, "localizations", options.localizations, started);
    report
        .lines
        .push(format!("localization history: {history_rows} rows"));
    Ok(())
}
