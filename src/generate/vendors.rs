//! Vendors: the same name stems in rounds (numbered after the first), each with one to three
//! product categories, and the name key and search column the vendors' service derives from
//! a name.

use std::time::Instant;

use rand::rngs::StdRng;
use rand::Rng;

use super::fixtures::{COUNTRIES, VENDOR_STEMS};
use super::loaders::{bulk_insert, in_transaction};
use super::{progress, record, Clock, GenerateOptions, GenerateReport};
use crate::db::DbConn;
use crate::schema::{vendor_categories, vendors};
use crate::validation::{search_column, search_key, search_terms};
use crate::vendors::model::{ProductCategory, VendorId, VendorRow};
use crate::vendors::repo as vendor_repo;

/// Writes the vendors; returns each one's id and home country (an index into `COUNTRIES`).
pub(super) fn generate(
    conn: &mut DbConn,
    rng: &mut StdRng,
    options: GenerateOptions,
    report: &mut GenerateReport,
) -> Result<Vec<(VendorId, usize)>, String> {
    let started = Instant::now();
    let bar = progress(options.vendors, "vendors", options.progress);
    let mut clock = Clock::starting_days_ago(200);
    let mut ids = Vec::with_capacity(options.vendors);
    let mut written = 0;
    while written < options.vendors {
        let batch = options.batch_size.min(options.vendors - written);
        let mut rows = Vec::with_capacity(batch);
        let mut categories = Vec::new();
        for offset in 0..batch {
            let number = written + offset;
            let stem = VENDOR_STEMS[number % VENDOR_STEMS.len()];
            // The first round uses the plain names; later ones are numbered to stay unique.
            let name = if number < VENDOR_STEMS.len() {
                stem.to_owned()
            } else {
                format!("{stem} {}", number / VENDOR_STEMS.len())
            };
            let home = rng.random_range(0..COUNTRIES.len());
            let id = VendorId::generate();
            let at = clock.tick(rng);
            let all = ProductCategory::ALL;
            let first = rng.random_range(0..all.len());
            for step in 0..rng.random_range(1..=3) {
                categories.push(vendor_repo::categories::row(
                    id,
                    all[(first + step) % all.len()],
                ));
            }
            let website = format!(
                "https://www.{}.example",
                search_key(&name).replace(' ', "-")
            );
            rows.push(VendorRow {
                id,
                name_key: search_key(&name),
                search_text: search_column(&search_terms(&name)),
                name,
                country_code: ["CN", "DE", "JP", "US", "KR", "RU", "KZ"][rng.random_range(0..7)]
                    .to_owned(),
                website: website.is_ascii().then_some(website),
                created_at: at,
                updated_at: at,
                version: 1,
            });
            ids.push((id, home));
        }
        in_transaction(conn, |conn| {
            bulk_insert!(conn, vendors::table, &rows)?;
            bulk_insert!(conn, vendor_categories::table, &categories)?;
            Ok(())
        })?;
        written += batch;
        bar.inc(batch as u64);
    }
    bar.finish_and_clear();
    record(report, "vendors", options.vendors, started);
    Ok(ids)
}
