//! The reads and writes of a resource's own row that every repository has: by id, the write
//! guarded by the version it was read at, and the owner of a unique value. `stored_rows!`
//! declares them in the repository once.

use diesel::QueryResult;

use crate::core::context::WriteContext;
use crate::core::error::DomainError;
use crate::core::ids::ResourceId;
use crate::core::paging::{finish_page, PageRequest, RowCursor, Sort};
use crate::core::precondition::Precondition;
use crate::core::resource::FromRow;
use crate::db::audit::{Audited, Change};
use crate::db::references::refuse_if_referenced;
use crate::db::{DbConn, DbPool};

/// A stored row that carries its version (every `stored_rows!` row).
pub trait Versioned {
    fn version(&self) -> i64;
}

/// The delete every resource makes, inside its write transaction: the row must exist (404)
/// at the version `If-Match` names (412) with nothing declared as referring to it (409);
/// then `delete` removes it (and whatever the resource keeps beside it) and gives back the
/// record as it was, for the audit trail.
pub fn delete_guarded<T: ResourceId, R: Versioned, A>(
    conn: &mut DbConn,
    id: T,
    precondition: &Precondition,
    find: impl FnOnce(&mut DbConn, T) -> QueryResult<Option<R>>,
    delete: impl FnOnce(&mut DbConn, T, R) -> Result<A, DomainError>,
) -> Result<Change<A>, DomainError> {
    let current = find(conn, id)?.ok_or_else(|| id.not_found())?;
    precondition.check(current.version())?;
    refuse_if_referenced(conn, id)?;
    delete(conn, id, current).map(Change::deleted)
}

/// `delete_guarded` in its own write transaction: the whole of a resource's delete.
pub async fn delete_resource<T, R, A>(
    pool: &DbPool,
    context: &WriteContext,
    id: T,
    precondition: Precondition,
    find: fn(&mut DbConn, T) -> QueryResult<Option<R>>,
    delete: fn(&mut DbConn, T, R) -> Result<A, DomainError>,
) -> Result<(), DomainError>
where
    T: ResourceId,
    R: Versioned + 'static,
    A: Audited,
{
    crate::db::write(pool, context, move |conn| {
        delete_guarded(conn, id, &precondition, find, delete)
    })
    .await
    .map(|_| ())
}

/// A repository's list query: the rows of one page (and one more) for a filter and sort.
pub type ListQueryFn<F, S, R> =
    fn(&mut DbConn, &F, Sort<S>, &PageRequest) -> Result<Vec<R>, DomainError>;

/// One page of a list: the rows of the repository's `query` (one more than the page),
/// cut to the page with the token of the next, made into resources by `items`.
pub async fn list_page<F, S, R, T>(
    pool: &DbPool,
    filter: F,
    sort: Sort<S>,
    page: PageRequest,
    query: ListQueryFn<F, S, R>,
    items: fn(&mut DbConn, Vec<R>) -> Result<Vec<T>, DomainError>,
) -> Result<(Vec<T>, Option<String>), DomainError>
where
    F: Send + 'static,
    S: RowCursor<R> + Send,
    R: 'static,
    T: Send + 'static,
{
    crate::db::run(pool, move |conn| {
        let rows = query(conn, &filter, sort, &page)?;
        let (rows, token) = finish_page(rows, &page, |row| S::cursor_of(sort, row));
        Ok((items(conn, rows)?, token))
    })
    .await
}

/// The whole read of a resource without child values by its id (404 when there is none).
pub async fn get_resource<T, A>(
    pool: &DbPool,
    id: T,
    find: fn(&mut DbConn, T) -> QueryResult<Option<A::Row>>,
) -> Result<A, DomainError>
where
    T: ResourceId,
    A: FromRow<Children = ()> + Send + 'static,
    A::Row: Send + 'static,
{
    crate::db::lookup(pool, move |conn| {
        let row = find(conn, id)?.ok_or_else(|| id.not_found())?;
        Ok(A::from_row(row, ()))
    })
    .await
}

/// The `items` of a list whose resources have no child values.
pub fn without_children<T: FromRow<Children = ()>>(
    _: &mut DbConn,
    rows: Vec<T::Row>,
) -> Result<Vec<T>, DomainError> {
    Ok(rows.into_iter().map(|row| T::from_row(row, ())).collect())
}

/// Declares, in a repository module, functions over the resource's table:
///
/// - always `columns()`, `find`, `find_for_update` (the write path's read), `exists`, `update` (writes the row if its stored version
///   is still the one it was read at) and `unchanged` (the row differs from the stored one
///   in its bookkeeping only);
/// - `insert` and `delete` when listed (a resource whose insert or delete does more writes
///   its own);
/// - `owner(fn_name, column)`: the id of the row holding a unique value, other than `except`.
///
/// ```ignore
/// crate::stored_rows!(regions: RegionRow by RegionId; insert, delete, owner(code_owner, code));
/// ```
#[macro_export]
macro_rules! stored_rows {
    ($table:ident: $row:ident by $id:ident; $($op:ident $(($($args:tt)*))?),* $(,)?) => {
        fn columns() -> <$row as Selectable<$crate::db::MultiBackend>>::SelectExpression {
            <$row as Selectable<$crate::db::MultiBackend>>::construct_selection()
        }

        pub fn find(conn: &mut $crate::db::DbConn, id: $id) -> QueryResult<Option<$row>> {
            $table::table.find(id).select(columns()).first(conn).optional()
        }

        /// The row, locked against other writers until the transaction ends (PostgreSQL
        /// `FOR NO KEY UPDATE`; SQLite's write transactions already run one at a time). A
        /// write without `If-Match` that waited here sees the version it waited for, so the
        /// guarded update cannot miss: the last write wins instead of a 412.
        pub fn find_for_update(
            conn: &mut $crate::db::DbConn,
            id: $id,
        ) -> QueryResult<Option<$row>> {
            match conn {
                $crate::db::DbConn::Pg(pg) => $table::table
                    .find(id)
                    .select(<$row as SelectableHelper<diesel::pg::Pg>>::as_select())
                    .for_no_key_update()
                    .first(pg)
                    .optional(),
                $crate::db::DbConn::Sqlite(_) => find(conn, id),
            }
        }

        pub fn exists(conn: &mut $crate::db::DbConn, id: $id) -> QueryResult<bool> {
            diesel::select(diesel::dsl::exists($table::table.find(id))).get_result(conn)
        }

        /// Writes the row if its stored version is still `expected_version`; false when it
        /// moved on.
        pub fn update(
            conn: &mut $crate::db::DbConn,
            row: &$row,
            expected_version: i64,
        ) -> QueryResult<bool> {
            diesel::update(
                $table::table
                    .filter($table::id.eq(row.id))
                    .filter($table::version.eq(expected_version)),
            )
            .set(row)
            .execute(conn)
            .map(|count| count == 1)
        }

        /// `update`, with a row that moved on (a 412 only a stale `If-Match` could have
        /// prevented earlier) and the database's refusals (through `refused`) as domain
        /// errors.
        pub fn update_or_stale(
            conn: &mut $crate::db::DbConn,
            row: &$row,
            expected_version: i64,
            refused: impl FnOnce(diesel::result::Error) -> $crate::core::error::DomainError,
        ) -> Result<(), $crate::core::error::DomainError> {
            if update(conn, row, expected_version).map_err(refused)? {
                Ok(())
            } else {
                Err($crate::core::error::DomainError::PreconditionFailed(format!(
                    "the {} was changed by another request; fetch it again",
                    <$id as $crate::core::ids::ResourceId>::RESOURCE
                )))
            }
        }

        /// Whether `row` holds what `current` holds, but for its bookkeeping (`updated_at`,
        /// `version`): a write that changes nothing is not made, and the version and ETag
        /// stay as they are.
        pub fn unchanged(row: &$row, current: &$row) -> bool {
            let mut same = row.clone();
            same.updated_at = current.updated_at;
            same.version = current.version;
            same == *current
        }

        /// The row a write changes, locked (`find_for_update`): 404 when there is none, 412
        /// when `If-Match` names another version.
        pub fn current(
            conn: &mut $crate::db::DbConn,
            id: $id,
            precondition: &$crate::core::precondition::Precondition,
        ) -> Result<$row, $crate::core::error::DomainError> {
            let row = find_for_update(conn, id)?
                .ok_or_else(|| <$id as $crate::core::ids::ResourceId>::not_found(id))?;
            precondition.check(row.version)?;
            Ok(row)
        }

        /// The end of an update of a resource without child values: nothing is written when
        /// nothing but the bookkeeping differs, else the guarded write (`update_or_stale`);
        /// gives the change for the audit trail.
        pub fn save<A>(
            conn: &mut $crate::db::DbConn,
            current: $row,
            row: $row,
            refused: impl FnOnce(diesel::result::Error) -> $crate::core::error::DomainError,
        ) -> Result<$crate::db::audit::Change<A>, $crate::core::error::DomainError>
        where
            A: $crate::core::resource::FromRow<Row = $row, Children = ()> + Clone,
        {
            if unchanged(&row, &current) {
                return Ok($crate::db::audit::Change::unchanged(A::from_row(current, ())));
            }
            update_or_stale(conn, &row, current.version, refused)?;
            Ok($crate::db::audit::Change::updated(
                A::from_row(current, ()),
                A::from_row(row, ()),
            ))
        }

        impl $crate::db::rows::Versioned for $row {
            fn version(&self) -> i64 {
                self.version
            }
        }

        $( $crate::stored_rows!(@$op $table $row $id $(($($args)*))?); )*
    };
    (@insert $table:ident $row:ident $id:ident) => {
        pub fn insert(conn: &mut $crate::db::DbConn, row: &$row) -> QueryResult<()> {
            diesel::insert_into($table::table).values(row).execute(conn).map(|_| ())
        }
    };
    (@delete $table:ident $row:ident $id:ident) => {
        pub fn delete(conn: &mut $crate::db::DbConn, id: $id) -> QueryResult<usize> {
            diesel::delete($table::table.find(id)).execute(conn)
        }

        /// `delete` as the last step of `delete_guarded`, for a row with nothing beside it:
        /// gives back the resource as it was.
        pub fn delete_row<A>(
            conn: &mut $crate::db::DbConn,
            id: $id,
            row: $row,
        ) -> Result<A, $crate::core::error::DomainError>
        where
            A: $crate::core::resource::FromRow<Row = $row, Children = ()>,
        {
            delete(conn, id)?;
            Ok(A::from_row(row, ()))
        }
    };
    (@owner $table:ident $row:ident $id:ident ($name:ident, $column:ident)) => {
        /// The id of the row holding this unique value, other than `except`.
        pub fn $name(
            conn: &mut $crate::db::DbConn,
            value: &str,
            except: Option<$id>,
        ) -> QueryResult<Option<$id>> {
            let mut query = $table::table
                .filter($table::$column.eq(value))
                .select($table::id)
                .into_boxed::<$crate::db::MultiBackend>();
            if let Some(id) = except {
                query = query.filter($table::id.ne(id));
            }
            query.first(conn).optional()
        }
    };
}
