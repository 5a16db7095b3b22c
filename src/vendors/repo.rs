//! SQL for vendors and their categories.

use diesel::prelude::*;

use super::model::{ProductCategory, VendorFilter, VendorId, VendorRow, VendorSort};
use crate::core::error::DomainError;
use crate::core::paging::{PageRequest, Sort};
use crate::db::{DbConn, MultiBackend};
use crate::schema::{vendor_categories, vendors};

crate::stored_rows!(vendors: VendorRow by VendorId; insert, delete, owner(name_key_owner, name_key));

crate::child_values!(
    /// A vendor's product categories.
    pub mod categories: vendor_categories(vendor_id: VendorId, category: ProductCategory)
);

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
