//! Refills every search column, and the laboratories' words table, from the names and
//! codes. A migration that changes what they hold asks for this with a row in
//! `pending_search_rebuild`: the words follow Unicode rules (`validation::search_terms`)
//! that SQL does not have. The refill and the removal of that row commit together, so an
//! interrupted refill is simply done again at the next start.

use diesel::prelude::*;

use crate::core::time::Timestamp;
use crate::db::DbConn;
use crate::laboratories::model::LaboratoryId;
use crate::laboratories::search;
use crate::regions::model::RegionId;
use crate::schema::{
    laboratories, laboratory_search_terms, pending_search_rebuild, regions, vendors,
};
use crate::validation::{name_and_code_terms, search_column, search_terms};
use crate::vendors::model::VendorId;

/// Laboratories read (and words written) per statement.
const BATCH: i64 = 1000;

/// Refills the search data if a migration asked for it; returns whether it did.
pub fn rebuild_if_requested(conn: &mut DbConn) -> QueryResult<bool> {
    crate::db::write_transaction(conn, |conn| {
        let requested: i64 = pending_search_rebuild::table.count().get_result(conn)?;
        if requested == 0 {
            return Ok(false);
        }
        rebuild(conn)?;
        diesel::delete(pending_search_rebuild::table).execute(conn)?;
        Ok(true)
    })
}

fn rebuild(conn: &mut DbConn) -> QueryResult<()> {
    let all_regions: Vec<(RegionId, String, String)> = regions::table
        .select((regions::id, regions::name, regions::code))
        .load(conn)?;
    for (id, name, code) in all_regions {
        diesel::update(regions::table.find(id))
            .set(regions::search_text.eq(search_column(&name_and_code_terms(&name, &code))))
            .execute(conn)?;
    }
    let all_vendors: Vec<(VendorId, String)> = vendors::table
        .select((vendors::id, vendors::name))
        .load(conn)?;
    for (id, name) in all_vendors {
        diesel::update(vendors::table.find(id))
            .set(vendors::search_text.eq(search_column(&search_terms(&name))))
            .execute(conn)?;
    }
    diesel::delete(laboratory_search_terms::table).execute(conn)?;
    let mut after: Option<LaboratoryId> = None;
    loop {
        let mut query = laboratories::table
            .select((
                laboratories::id,
                laboratories::name,
                laboratories::code,
                laboratories::created_at,
            ))
            .order(laboratories::id)
            .limit(BATCH)
            .into_boxed();
        if let Some(last) = after {
            query = query.filter(laboratories::id.gt(last));
        }
        let batch: Vec<(LaboratoryId, String, String, Timestamp)> = query.load(conn)?;
        let Some(last) = batch.last() else {
            return Ok(());
        };
        after = Some(last.0);
        for (id, name, code, created_at) in &batch {
            let terms = name_and_code_terms(name, code);
            diesel::update(laboratories::table.find(*id))
                .set(laboratories::search_text.eq(search_column(&terms)))
                .execute(conn)?;
            search::insert_terms(conn, *id, *created_at, &terms)?;
        }
    }
}
