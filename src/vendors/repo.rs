//! SQL for vendors and their categories.

use diesel::prelude::*;

use super::model::{ProductCategory, VendorFilter, VendorId, VendorRow, VendorSort};
use crate::core::error::DomainError;
use crate::core::paging::{PageRequest, Sort};
use crate::db::{DbConn, MultiBackend};
use crate::schema::{localizations, vendor_categories, vendors};

fn columns() -> <VendorRow as Selectable<MultiBackend>>::SelectExpression {
    <VendorRow as Selectable<MultiBackend>>::construct_selection()
}

pub fn find(conn: &mut DbConn, id: VendorId) -> QueryResult<Option<VendorRow>> {
    vendors::table
        .find(id)
        .select(columns())
        .first(conn)
        .optional()
}

/// The id of the vendor whose normalized name is `name_key`, other than `except`.
pub fn name_key_owner(
    conn: &mut DbConn,
    name_key: &str,
    except: Option<VendorId>,
) -> QueryResult<Option<VendorId>> {
    let mut query = vendors::table
        .filter(vendors::name_key.eq(name_key))
        .select(vendors::id)
        .into_boxed::<MultiBackend>();
    if let Some(id) = except {
        query = query.filter(vendors::id.ne(id));
    }
    query.first(conn).optional()
}

pub fn insert(conn: &mut DbConn, row: &VendorRow) -> QueryResult<()> {
    diesel::insert_into(vendors::table)
        .values(row)
        .execute(conn)
        .map(|_| ())
}

/// Writes the row if its stored version is still `expected_version`; false when it moved on.
pub fn update(conn: &mut DbConn, row: &VendorRow, expected_version: i64) -> QueryResult<bool> {
    diesel::update(
        vendors::table
            .filter(vendors::id.eq(row.id))
            .filter(vendors::version.eq(expected_version)),
    )
    .set(row)
    .execute(conn)
    .map(|count| count == 1)
}

pub fn delete(conn: &mut DbConn, id: VendorId) -> QueryResult<usize> {
    diesel::delete(vendors::table.find(id)).execute(conn)
}

crate::child_values!(
    /// A vendor's product categories.
    pub mod categories: vendor_categories(vendor_id: VendorId, category: ProductCategory)
);

/// Localizations that refer to the vendor.
pub fn localization_count(conn: &mut DbConn, id: VendorId) -> QueryResult<i64> {
    localizations::table
        .filter(localizations::vendor_id.eq(id))
        .count()
        .get_result(conn)
}

pub fn list(
    conn: &mut DbConn,
    filter: &VendorFilter,
    sort: Sort<VendorSort>,
    page: &PageRequest,
) -> Result<Vec<VendorRow>, DomainError> {
    let mut query = vendors::table
        .select(columns())
        .into_boxed::<MultiBackend>();
    if let Some(codes) = &filter.country_codes {
        crate::filter_any_of!(query, vendors::country_code, codes.clone());
    }
    if let Some(categories) = &filter.categories {
        // A semi-join: each vendor appears once however many of the categories it has.
        query = query.filter(
            vendors::id.eq_any(
                vendor_categories::table
                    .filter(vendor_categories::category.eq_any(categories.clone()))
                    .select(vendor_categories::vendor_id),
            ),
        );
    }
    if let Some(terms) = &filter.search {
        if terms.is_empty() {
            // A search without a letter or digit matches nothing.
            return Ok(Vec::new());
        }
        crate::filter_words!(query, vendors::search_text, terms);
    }
    let query = VendorSort::apply(sort, query, page.after.as_ref())?;
    Ok(query.limit(page.fetch_limit()).load(conn)?)
}
