//! SQL for API keys.

use diesel::prelude::*;

use super::model::{ApiKeyFilter, ApiKeyId, ApiKeyRow, ApiKeySort, ApiKeyStatus};
use crate::core::error::DomainError;
use crate::core::paging::{PageRequest, Sort};
use crate::core::time::{now, Timestamp};
use crate::db::DbConn;
use crate::schema::api_keys;

crate::stored_rows!(api_keys: ApiKeyRow by ApiKeyId; insert);

/// The key with this hash, if any (revoked and expired ones too: the caller tells why).
pub fn find_by_hash(conn: &mut DbConn, hash: &str) -> QueryResult<Option<ApiKeyRow>> {
    api_keys::table
        .filter(api_keys::key_hash.eq(hash))
        .select(columns())
        .first(conn)
        .optional()
}

/// The key with this prefix, if any.
pub fn find_by_prefix(conn: &mut DbConn, prefix: &str) -> QueryResult<Option<ApiKeyRow>> {
    api_keys::table
        .filter(api_keys::prefix.eq(prefix))
        .select(columns())
        .first(conn)
        .optional()
}

/// Notes that the key was accepted at `at`.
pub fn touch(conn: &mut DbConn, id: ApiKeyId, at: Timestamp) -> QueryResult<usize> {
    diesel::update(api_keys::table.find(id))
        .set(api_keys::last_used_at.eq(Some(at)))
        .execute(conn)
}

pub fn list(
    conn: &mut DbConn,
    filter: &ApiKeyFilter,
    sort: Sort<ApiKeySort>,
    page: &PageRequest,
) -> Result<Vec<ApiKeyRow>, DomainError> {
    let mut query = api_keys::table
        .select(columns())
        .into_boxed::<crate::db::MultiBackend>();
    if let Some(roles) = &filter.roles {
        crate::filter_any_of!(query, api_keys::role, roles.clone());
    }
    if let Some(statuses) = &filter.statuses {
        let at = now();
        let mut wanted: Box<
            dyn BoxableExpression<
                api_keys::table,
                crate::db::MultiBackend,
                SqlType = diesel::sql_types::Bool,
            >,
        > = Box::new(diesel::dsl::sql::<diesel::sql_types::Bool>("1 = 0"));
        for status in statuses {
            let this: Box<
                dyn BoxableExpression<
                    api_keys::table,
                    crate::db::MultiBackend,
                    SqlType = diesel::sql_types::Bool,
                >,
            > = match status {
                ApiKeyStatus::Revoked => Box::new(api_keys::revoked_at.is_not_null()),
                ApiKeyStatus::Expired => Box::new(
                    api_keys::revoked_at
                        .is_null()
                        .and(api_keys::expires_at.le(at).assume_not_null()),
                ),
                ApiKeyStatus::Active => Box::new(
                    api_keys::revoked_at.is_null().and(
                        api_keys::expires_at
                            .is_null()
                            .or(api_keys::expires_at.gt(at).assume_not_null()),
                    ),
                ),
            };
            wanted = Box::new(wanted.or(this));
        }
        query = query.filter(wanted);
    }
    let query = ApiKeySort::apply(sort, query, page.after.as_ref())?;
    Ok(query.limit(page.fetch_limit()).load(conn)?)
}
