//! Laboratories: a few central hubs and branches, many collection points and some mobile
//! laboratories, each spoke sending samples to a hub in its country where there is one, with
//! their disciplines and search words. The largest table: hubs are written first on one
//! connection, then the spokes on two (PostgreSQL) while the next batches are generated.

use std::collections::HashMap;
use std::time::Instant;

use chrono::NaiveDate;
use rand::rngs::StdRng;
use rand::seq::IndexedRandom;
use rand::Rng;

use super::fixtures::{COUNTRIES, OPERATORS};
use super::loaders::{bulk_insert, in_transaction, loading_connection};
use super::regions::RegionInfo;
use super::{progress, record, skewed_index, Clock, GenerateOptions, GenerateReport};
use crate::db::{DbConn, DbPool};
use crate::laboratories::model::{
    Discipline, LaboratoryId, LaboratoryKind, LaboratoryRow, LaboratoryStatus,
};
use crate::laboratories::repo as laboratory_repo;
use crate::laboratories::search::{term_row, TermRow};
use crate::regions::model::RegionId;
use crate::schema::{laboratories, laboratory_disciplines, laboratory_search_terms};
use crate::validation::{code_key, name_and_code_terms, search_column};

/// Share of laboratories that are hubs (centres and branches); the rest are spokes.
const HUB_SHARE: f64 = 0.17;

/// What laboratories are generated from: where the hubs are, the numbering and the clock.
struct LaboratoryGenerator<'a> {
    region_infos: &'a [RegionInfo],
    /// Region indexes in random order; `skewed_index` over it makes a few regions large.
    shuffled: Vec<usize>,
    central_by_country: Vec<Vec<LaboratoryId>>,
    hubs_by_region: HashMap<RegionId, Vec<LaboratoryId>>,
    number: usize,
    clock: Clock,
}

/// Laboratories with their disciplines and search words.
struct LaboratoryBatch {
    laboratories: Vec<LaboratoryRow>,
    disciplines: Vec<laboratory_repo::disciplines::Row>,
    terms: Vec<TermRow<String>>,
}

impl LaboratoryGenerator<'_> {
    /// `count` hubs (when `hubs`) or spokes, with their disciplines.
    fn batch(&mut self, rng: &mut StdRng, count: usize, hubs: bool) -> LaboratoryBatch {
        let mut rows = Vec::with_capacity(count);
        let mut disciplines = Vec::new();
        for _ in 0..count {
            self.one(rng, hubs, &mut rows, &mut disciplines);
        }
        let mut terms = Vec::with_capacity(count * 4);
        for row in &rows {
            for term in name_and_code_terms(&row.name, &row.code) {
                terms.push(term_row(row.id, row.created_at, term));
            }
        }
        LaboratoryBatch {
            laboratories: rows,
            disciplines,
            terms,
        }
    }

    fn one(
        &mut self,
        rng: &mut StdRng,
        hubs: bool,
        rows: &mut Vec<LaboratoryRow>,
        disciplines: &mut Vec<laboratory_repo::disciplines::Row>,
    ) {
        self.number += 1;
        let number = self.number;
        let region = &self.region_infos[self.shuffled[skewed_index(rng, self.shuffled.len())]];
        let country = &COUNTRIES[region.country];
        let roll: f64 = if hubs {
            rng.random_range(0.0..HUB_SHARE)
        } else {
            rng.random_range(HUB_SHARE..1.0)
        };
        let mut kind = if roll < 0.02 {
            LaboratoryKind::Central
        } else if roll < 0.17 {
            LaboratoryKind::Branch
        } else if roll < 0.92 {
            LaboratoryKind::CollectionPoint
        } else {
            LaboratoryKind::Mobile
        };
        let parent_id = match kind {
            LaboratoryKind::Central => None,
            LaboratoryKind::Branch => self.central_by_country[region.country].choose(rng).copied(),
            _ => self
                .hubs_by_region
                .get(&region.id)
                .and_then(|hubs| hubs.choose(rng).copied())
                .or_else(|| self.central_by_country[region.country].choose(rng).copied()),
        };
        // A branch with no centre in its country becomes one. Spokes never do: they are
        // loaded in parallel and may refer only to hubs already committed.
        if parent_id.is_none() && kind == LaboratoryKind::Branch {
            kind = LaboratoryKind::Central;
        }
        let id = LaboratoryId::generate();
        match kind {
            LaboratoryKind::Central => {
                self.central_by_country[region.country].push(id);
                self.hubs_by_region.entry(region.id).or_default().push(id);
            }
            LaboratoryKind::Branch => self.hubs_by_region.entry(region.id).or_default().push(id),
            _ => {}
        }
        let code = format!("{}-L{number:07}", country.code);
        let name = match (kind, country.cyrillic) {
            (LaboratoryKind::Central, true) => {
                format!("Централизованная КДЛ «{}» №{number}", region.name)
            }
            (LaboratoryKind::Branch, true) => {
                format!("Филиал лаборатории «{}» №{number}", region.name)
            }
            (LaboratoryKind::CollectionPoint, true) => {
                format!("Пункт забора материала «{}» №{number}", region.name)
            }
            (LaboratoryKind::Mobile, true) => {
                format!("Мобильная лаборатория «{}» №{number}", region.name)
            }
            (LaboratoryKind::Central, false) => {
                format!("Central Laboratory {} No. {number}", region.name)
            }
            (LaboratoryKind::Branch, false) => {
                format!("Branch Laboratory {} No. {number}", region.name)
            }
            (LaboratoryKind::CollectionPoint, false) => {
                format!("Collection Point {} No. {number}", region.name)
            }
            (LaboratoryKind::Mobile, false) => {
                format!("Mobile Laboratory {} No. {number}", region.name)
            }
        };
        let status_roll: f64 = rng.random_range(0.0..1.0);
        let status = if status_roll < 0.70 {
            LaboratoryStatus::Operational
        } else if status_roll < 0.80 {
            LaboratoryStatus::UnderConstruction
        } else if status_roll < 0.90 {
            LaboratoryStatus::Planned
        } else if status_roll < 0.95 {
            LaboratoryStatus::Suspended
        } else {
            LaboratoryStatus::Closed
        };
        let capacity = match kind {
            LaboratoryKind::Central => {
                Some((5000.0 * 10f64.powf(rng.random_range(0.0..1.0))) as i32)
            }
            LaboratoryKind::Branch => Some(rng.random_range(500..5000)),
            LaboratoryKind::CollectionPoint => {
                (rng.random_range(0..4) > 0).then(|| rng.random_range(20..300))
            }
            LaboratoryKind::Mobile => Some(rng.random_range(50..200)),
        };
        let discipline_count = match kind {
            LaboratoryKind::Central => rng.random_range(6..=Discipline::ALL.len()),
            LaboratoryKind::Branch => rng.random_range(2..6),
            LaboratoryKind::Mobile => rng.random_range(1..3),
            LaboratoryKind::CollectionPoint => 0,
        };
        let start = rng.random_range(0..Discipline::ALL.len());
        for offset in 0..discipline_count {
            let discipline = Discipline::ALL[(start + offset) % Discipline::ALL.len()];
            disciplines.push(laboratory_repo::disciplines::row(id, discipline));
        }
        let accredited = matches!(kind, LaboratoryKind::Central | LaboratoryKind::Branch)
            && rng.random_range(0..10) < 4;
        let valid_until = NaiveDate::from_ymd_opt(
            rng.random_range(2025..2030),
            rng.random_range(1..13),
            rng.random_range(1..29),
        );
        let at = self.clock.tick(rng);
        rows.push(LaboratoryRow {
            id,
            equipment_counts: "{}".into(),
            region_id: region.id,
            search_text: search_column(&name_and_code_terms(&name, &code)),
            code_key: code_key(&code),
            code,
            name,
            kind,
            parent_id,
            status,
            address: Some(format!(
                "{}, {} {}",
                region.name,
                if country.cyrillic {
                    "ул. Ленина,"
                } else {
                    "Main St."
                },
                rng.random_range(1..200)
            )),
            latitude: Some((region.latitude + rng.random_range(-0.5..0.5)).clamp(-90.0, 90.0)),
            longitude: Some((region.longitude + rng.random_range(-0.5..0.5)).clamp(-180.0, 180.0)),
            capacity_per_day: capacity,
            opened_on: matches!(
                status,
                LaboratoryStatus::Operational | LaboratoryStatus::Suspended
            )
            .then(|| {
                NaiveDate::from_ymd_opt(
                    rng.random_range(2005..2026),
                    rng.random_range(1..13),
                    rng.random_range(1..29),
                )
            })
            .flatten(),
            operator: OPERATORS.choose(rng).map(|o| (*o).to_owned()),
            accreditation_standard: accredited.then(|| "ISO 15189".to_owned()),
            accreditation_certificate_number: accredited
                .then(|| format!("RA.{}.{number:07}", country.code)),
            accreditation_valid_until: if accredited { valid_until } else { None },
            created_at: at,
            updated_at: at,
            version: 1,
        });
    }
}

fn load_laboratories(conn: &mut DbConn, batch: &LaboratoryBatch) -> Result<(), String> {
    in_transaction(conn, |conn| {
        bulk_insert!(conn, laboratories::table, &batch.laboratories)?;
        bulk_insert!(conn, laboratory_disciplines::table, &batch.disciplines)?;
        bulk_insert!(conn, laboratory_search_terms::table, &batch.terms)?;
        Ok(())
    })
}

/// Hubs first, on one connection and in order (a branch refers to a centre written before
/// it); then the spokes, which refer only to committed hubs, so on PostgreSQL two
/// connections load their batches side by side.
pub(super) fn generate(
    pool: &DbPool,
    rng: &mut StdRng,
    options: GenerateOptions,
    region_infos: &[RegionInfo],
    report: &mut GenerateReport,
) -> Result<(), String> {
    let started = Instant::now();
    let total = options.laboratories;
    let bar = progress(total, "laboratories", options.progress);
    let mut shuffled: Vec<usize> = (0..region_infos.len()).collect();
    for i in (1..shuffled.len()).rev() {
        let j = rng.random_range(0..=i);
        shuffled.swap(i, j);
    }
    let mut generator = LaboratoryGenerator {
        region_infos,
        shuffled,
        central_by_country: vec![Vec::new(); COUNTRIES.len()],
        hubs_by_region: HashMap::new(),
        number: 0,
        clock: Clock::starting_days_ago(300),
    };
    let hub_total = ((total as f64) * HUB_SHARE).ceil() as usize;
    let hub_total = hub_total.min(total);
    let mut conn = loading_connection(pool)?;
    let mut written = 0;
    while written < hub_total {
        let count = options.batch_size.min(hub_total - written);
        load_laboratories(&mut conn, &generator.batch(rng, count, true))?;
        written += count;
        bar.inc(count as u64);
    }
    let loaders = if matches!(**conn, DbConn::Pg(_)) {
        2
    } else {
        1
    };
    drop(conn);

    let (sender, receiver) = std::sync::mpsc::sync_channel::<LaboratoryBatch>(loaders * 2);
    let receiver = std::sync::Mutex::new(receiver);
    std::thread::scope(|scope| -> Result<(), String> {
        let handles: Vec<_> = (0..loaders)
            .map(|_| {
                let receiver = &receiver;
                let bar = bar.clone();
                scope.spawn(move || -> Result<(), String> {
                    let mut conn = loading_connection(pool)?;
                    loop {
                        let next = receiver
                            .lock()
                            .map_err(|_| "a loader failed".to_owned())?
                            .recv();
                        let Ok(batch) = next else { return Ok(()) };
                        load_laboratories(&mut conn, &batch)?;
                        bar.inc(batch.laboratories.len() as u64);
                    }
                })
            })
            .collect();
        while written < total {
            let count = options.batch_size.min(total - written);
            if sender.send(generator.batch(rng, count, false)).is_err() {
                break;
            }
            written += count;
        }
        drop(sender);
        for handle in handles {
            handle
                .join()
                .map_err(|_| "a loader thread panicked".to_owned())??;
        }
        Ok(())
    })?;
    bar.finish_and_clear();
    record(report, "laboratories", total, started);
    Ok(())
}
