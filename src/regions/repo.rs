//! SQL for regions.

use diesel::prelude::*;

use super::model::{RegionFilter, RegionId, RegionLevel, RegionRow, RegionSort};
use crate::core::error::DomainError;
use crate::core::paging::{PageRequest, Sort};
use crate::core::time::Timestamp;
use crate::db::{substr, DbConn, MultiBackend};
use crate::schema::regions;

crate::stored_rows!(regions: RegionRow by RegionId; insert, delete, owner(code_owner, code));
crate::refers_to!(regions.parent_id -> RegionId as "regions");

pub fn find_many(conn: &mut DbConn, ids: &[RegionId]) -> QueryResult<Vec<RegionRow>> {
    regions::table
        .filter(regions::id.eq_any(ids))
        .select(columns())
        .load(conn)
}

/// Rewrites the path prefix of every strict descendant after a move. Their representation
/// changes with it (`depth`, `updated_at`), so each gets a new version (and ETag).
pub fn move_subtree(
    conn: &mut DbConn,
    old_path: &str,
    new_path: &str,
    at: Timestamp,
) -> QueryResult<usize> {
    let old_length = i32::try_from(old_path.chars().count()).unwrap_or(i32::MAX);
    diesel::update(
        regions::table
            .filter(regions::path.like(format!("{old_path}%")))
            .filter(regions::path.ne(old_path)),
    )
    .set((
        regions::path.eq(new_path
            .to_owned()
            .into_sql::<diesel::sql_types::Text>()
            .concat(substr(regions::path, old_length + 1))),
        regions::updated_at.eq(at),
        regions::version.eq(regions::version + 1),
    ))
    .execute(conn)
}

/// The distinct levels of the strict descendants; empty for a leaf.
pub fn descendant_levels(conn: &mut DbConn, path: &str) -> QueryResult<Vec<RegionLevel>> {
    regions::table
        .filter(regions::path.like(format!("{path}%")))
        .filter(regions::path.ne(path))
        .select(regions::level)
        .distinct()
        .load(conn)
}

pub fn list(
    conn: &mut DbConn,
    filter: &RegionFilter,
    sort: Sort<RegionSort>,
    page: &PageRequest,
) -> Result<Vec<RegionRow>, DomainError> {
    let mut query = regions::table
        .select(columns())
        .into_boxed::<MultiBackend>();
    if let Some(codes) = &filter.codes {
        crate::filter_any_of!(query, regions::code, codes.clone());
    }
    if let Some(codes) = &filter.country_codes {
        crate::filter_any_of!(query, regions::country_code, codes.clone());
    }
    if filter.roots_only {
        query = query.filter(regions::parent_id.is_null());
    } else if let Some(parents) = &filter.parent_ids {
        crate::filter_any_of!(query, regions::parent_id, parents.clone());
    }
    if let Some(levels) = &filter.levels {
        crate::filter_any_of!(query, regions::level, levels.clone());
    }
    if let Some(stages) = &filter.rollout_stages {
        crate::filter_any_of!(query, regions::rollout_stage, stages.clone());
    }
    if let Some(terms) = &filter.search {
        if terms.is_empty() {
            // A search without a letter or digit matches nothing.
            return Ok(Vec::new());
        }
        crate::filter_words!(query, regions::search_text, terms);
    }
    if let Some(path) = &filter.within_path {
        query = query
            .filter(regions::path.like(format!("{path}%")))
            .filter(regions::path.ne(path.clone()));
    }
    let query = RegionSort::apply(sort, query, page.after.as_ref())?;
    Ok(query.limit(page.fetch_limit()).load(conn)?)
}
