//! SQL for organizations.

use diesel::prelude::*;

use super::model::{OrganizationFilter, OrganizationId, OrganizationRow, OrganizationSort};
use crate::core::error::DomainError;
use crate::core::paging::{PageRequest, Sort};
use crate::db::DbConn;
use crate::schema::organizations;

crate::stored_rows!(organizations: OrganizationRow by OrganizationId;
    insert, delete, owner(name_key_owner, name_key));

pub fn list(
    conn: &mut DbConn,
    filter: &OrganizationFilter,
    sort: Sort<OrganizationSort>,
    page: &PageRequest,
) -> Result<Vec<OrganizationRow>, DomainError> {
    let mut query = organizations::table
        .select(columns())
        .into_boxed::<crate::db::MultiBackend>();
    if let Some(kinds) = &filter.kinds {
        crate::filter_any_of!(query, organizations::kind, kinds.clone());
    }
    if let Some(codes) = &filter.country_codes {
        crate::filter_any_of!(query, organizations::country_code, codes.clone());
    }
    if let Some(terms) = &filter.search {
        if terms.is_empty() {
            // A search without a letter or digit matches nothing.
            return Ok(Vec::new());
        }
        crate::filter_words!(query, organizations::search_text, terms);
    }
    let query = OrganizationSort::apply(sort, query, page.after.as_ref())?;
    Ok(query.limit(page.fetch_limit()).load(conn)?)
}
