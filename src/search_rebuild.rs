//! Refills every search column, and the laboratories' words table, from the names and
//! codes. A migration that changes what they hold asks for this with a row in
//! `pending_search_rebuild`: the words follow Unicode rules (`validation::search_terms`)
//! that SQL does not have. The refill and the removal of that row commit together, so an
//! interrupted refill is simply done again at the next start.
//!
//! The laboratories' code keys (`validation::code_key`) are derived by the same kind of
//! rule; the full refill sets them too, and a row in `pending_code_key_refill` asks for
//! them alone (much quicker than the words).

use diesel::prelude::*;

use crate::core::time::Timestamp;
use crate::db::DbConn;
use crate::laboratories::model::LaboratoryId;
use crate::laboratories::search;
use crate::regions::model::RegionId;
use crate::schema::{
    laboratories, laboratory_search_terms, pending_code_key_refill, pending_search_rebuild,
    regions, vendors,
};
use crate::validation::{code_key, name_and_code_terms, search_column, search_terms};
use crate::vendors::model::VendorId;

/// Laboratories read (and words written) per statement.
const BATCH: i64 = 1000;

/// Why a refill failed.
#[derive(Debug, thiserror::Error)]
pub enum RefillError {
    #[error(transparent)]
    Database(#[from] diesel::result::Error),
    /// Two stored codes differ only in case (written behind the service's back, or before
    /// codes were unique regardless of case): one of them must be renamed first.
    #[error(
        "laboratories {first} and {second} have codes that differ only in case ({first_code:?}, \
         {second_code:?}); rename one of them and start again"
    )]
    CodeClash {
        first: LaboratoryId,
        first_code: String,
        second: LaboratoryId,
        second_code: String,
    },
}

/// Refills the search data (and the code keys) if a migration asked for it, then the code
/// keys alone if asked for; returns whether either ran.
pub fn rebuild_if_requested(conn: &mut DbConn) -> Result<bool, RefillError> {
    let rebuilt = crate::db::write_transaction(conn, |conn| {
        let requested: i64 = pending_search_rebuild::table.count().get_result(conn)?;
        if requested == 0 {
            return Ok::<_, RefillError>(false);
        }
        rebuild(conn)?;
        diesel::delete(pending_search_rebuild::table).execute(conn)?;
        // The code keys were refilled with the rest.
        diesel::delete(pending_code_key_refill::table).execute(conn)?;
        Ok(true)
    })?;
    let refilled = crate::db::write_transaction(conn, |conn| {
        let requested: i64 = pending_code_key_refill::table.count().get_result(conn)?;
        if requested == 0 {
            return Ok::<_, RefillError>(false);
        }
        refill_code_keys(conn)?;
        diesel::delete(pending_code_key_refill::table).execute(conn)?;
        Ok(true)
    })?;
    Ok(rebuilt || refilled)
}

/// Sets the code key of every laboratory whose stored key is not the one its code gives.
fn refill_code_keys(conn: &mut DbConn) -> Result<(), RefillError> {
    let mut after: Option<LaboratoryId> = None;
    loop {
        let mut query = laboratories::table
            .select((laboratories::id, laboratories::code, laboratories::code_key))
            .order(laboratories::id)
            .limit(BATCH)
            .into_boxed();
        if let Some(last) = after {
            query = query.filter(laboratories::id.gt(last));
        }
        let batch: Vec<(LaboratoryId, String, String)> = query.load(conn)?;
        let Some(last) = batch.last() else {
            return Ok(());
        };
        after = Some(last.0);
        for (id, code, stored) in &batch {
            set_code_key(conn, *id, code, stored)?;
        }
    }
}

/// Stores `code`'s key for laboratory `id` unless it is already `stored`; a key held by
/// another laboratory is a `CodeClash` naming both.
fn set_code_key(
    conn: &mut DbConn,
    id: LaboratoryId,
    code: &str,
    stored: &str,
) -> Result<(), RefillError> {
    let key = code_key(code);
    if key == stored {
        return Ok(());
    }
    if let Some(other) = crate::laboratories::repo::code_key_owner(conn, &key, Some(id))? {
        let other_code: String = laboratories::table
            .find(other)
            .select(laboratories::code)
            .first(conn)?;
        return Err(RefillError::CodeClash {
            first: other,
            first_code: other_code,
            second: id,
            second_code: code.to_owned(),
        });
    }
    diesel::update(laboratories::table.find(id))
        .set(laboratories::code_key.eq(key))
        .execute(conn)?;
    Ok(())
}

fn rebuild(conn: &mut DbConn) -> Result<(), RefillError> {
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
                laboratories::code_key,
                laboratories::created_at,
            ))
            .order(laboratories::id)
            .limit(BATCH)
            .into_boxed();
        if let Some(last) = after {
            query = query.filter(laboratories::id.gt(last));
        }
        let batch: Vec<(LaboratoryId, String, String, String, Timestamp)> = query.load(conn)?;
        let Some(last) = batch.last() else {
            return Ok(());
        };
        after = Some(last.0);
        for (id, name, code, stored_key, created_at) in &batch {
            set_code_key(conn, *id, code, stored_key)?;
            let terms = name_and_code_terms(name, code);
            diesel::update(laboratories::table.find(*id))
                .set(laboratories::search_text.eq(search_column(&terms)))
                .execute(conn)?;
            search::insert_terms(conn, *id, *created_at, &terms)?;
        }
    }
}
