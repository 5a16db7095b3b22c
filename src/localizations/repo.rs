//! SQL for localizations, their scopes and their stage history.

use diesel::prelude::*;

use super::model::{
    HistoryOrder, LocalizationFilter, LocalizationId, LocalizationRow, LocalizationScope,
    LocalizationSort, StageChangeId, StageChangeRow,
};
use crate::core::error::DomainError;
use crate::core::paging::{Cursor, FixedOrder, PageRequest, Sort};
use crate::db::{DbConn, MultiBackend};
use crate::regions::model::RegionId;
use crate::schema::{localization_scopes, localization_stage_changes, localizations, vendors};
use crate::vendors::model::VendorId;

crate::stored_rows!(localizations: LocalizationRow by LocalizationId; insert);
crate::refers_to!(localizations.vendor_id -> VendorId as "localizations");
crate::refers_to!(localizations.region_id -> RegionId as "localizations");

fn change_columns() -> <StageChangeRow as Selectable<MultiBackend>>::SelectExpression {
    <StageChangeRow as Selectable<MultiBackend>>::construct_selection()
}

/// Vendors are owned by their own module; only their existence matters here.
pub fn vendor_exists(conn: &mut DbConn, id: VendorId) -> QueryResult<bool> {
    diesel::select(diesel::dsl::exists(vendors::table.find(id))).get_result(conn)
}

crate::child_values!(
    /// A localization's scope: what it produces locally.
    pub mod scopes: localization_scopes(localization_id: LocalizationId, scope: LocalizationScope)
);

pub fn insert_change(conn: &mut DbConn, row: &StageChangeRow) -> QueryResult<()> {
    diesel::insert_into(localization_stage_changes::table)
        .values(row)
        .execute(conn)
        .map(|_| ())
}

/// Removes a localization with its scopes and history.
pub fn delete(conn: &mut DbConn, id: LocalizationId) -> QueryResult<usize> {
    // Explicit rather than relying on ON DELETE CASCADE, which SQLite honours only with its
    // foreign-key pragma on.
    diesel::delete(
        localization_stage_changes::table
            .filter(localization_stage_changes::localization_id.eq(id)),
    )
    .execute(conn)?;
    diesel::delete(localization_scopes::table.filter(localization_scopes::localization_id.eq(id)))
        .execute(conn)?;
    diesel::delete(localizations::table.find(id)).execute(conn)
}

/// How many stage changes the localization's history holds (its opening entry included).
pub fn change_count(conn: &mut DbConn, id: LocalizationId) -> QueryResult<i64> {
    localization_stage_changes::table
        .filter(localization_stage_changes::localization_id.eq(id))
        .count()
        .get_result(conn)
}

/// A page of a localization's history, oldest first (v7 ids are time-ordered).
pub fn history(
    conn: &mut DbConn,
    id: LocalizationId,
    page: &PageRequest,
) -> QueryResult<Vec<StageChangeRow>> {
    let mut query = localization_stage_changes::table
        .filter(localization_stage_changes::localization_id.eq(id))
        .select(change_columns())
        .order(localization_stage_changes::id.asc())
        .into_boxed::<MultiBackend>();
    if let Some(cursor) = &page.after {
        query = query.filter(localization_stage_changes::id.gt(StageChangeId(cursor.id)));
    }
    query.limit(page.fetch_limit()).load(conn)
}

pub fn history_cursor(row: &StageChangeRow) -> Cursor {
    Cursor::new(HistoryOrder::NAME, None, row.id.0)
}

pub fn list(
    conn: &mut DbConn,
    filter: &LocalizationFilter,
    sort: Sort<LocalizationSort>,
    page: &PageRequest,
) -> Result<Vec<LocalizationRow>, DomainError> {
    let mut query = localizations::table
        .select(columns())
        .into_boxed::<MultiBackend>();
    if let Some(vendor_ids) = &filter.vendor_ids {
        crate::filter_any_of!(query, localizations::vendor_id, vendor_ids.clone());
    }
    if let Some(codes) = &filter.country_codes {
        crate::filter_any_of!(query, localizations::country_code, codes.clone());
    }
    if let Some(region_ids) = &filter.region_ids {
        crate::filter_any_of!(query, localizations::region_id, region_ids.clone());
    }
    if let Some(stages) = &filter.stages {
        crate::filter_any_of!(query, localizations::stage, stages.clone());
    }
    if let Some(scopes) = &filter.scopes {
        query = query.filter(
            localizations::id.eq_any(
                localization_scopes::table
                    .filter(localization_scopes::scope.eq_any(scopes.clone()))
                    .select(localization_scopes::localization_id),
            ),
        );
    }
    let query = LocalizationSort::apply(sort, query, page.after.as_ref())?;
    Ok(query.limit(page.fetch_limit()).load(conn)?)
}
