//! A resource's set of child values (a vendor's categories, a laboratory's disciplines, a
//! localization's scopes): a table of `(parent id, value)` rows, read for many parents in one
//! query and replaced as a whole. `child_values!` declares the functions once per set, and the
//! row type the generator loads them with.

/// Declares a module of functions over a child-value table.
///
/// ```ignore
/// crate::child_values!(
///     /// A vendor's product categories.
///     pub mod categories: vendor_categories(vendor_id: VendorId, category: ProductCategory)
/// );
/// ```
///
/// Values come back sorted (in the enumeration's order) and without repeats.
#[macro_export]
macro_rules! child_values {
    (
        $(#[$meta:meta])*
        $vis:vis mod $name:ident: $table:ident($parent:ident: $id:ty, $value:ident: $value_ty:ty)
    ) => {
        $(#[$meta])*
        $vis mod $name {
            use std::collections::HashMap;

            use diesel::prelude::*;

            use super::*;
            use $crate::db::DbConn;
            use $crate::schema::$table;

            /// The values of every parent in `ids`, in one query; a parent without values
            /// has no entry.
            pub fn of_many(
                conn: &mut DbConn,
                ids: &[$id],
            ) -> QueryResult<HashMap<$id, Vec<$value_ty>>> {
                let mut by_parent: HashMap<$id, Vec<$value_ty>> = HashMap::new();
                if ids.is_empty() {
                    return Ok(by_parent);
                }
                let rows: Vec<($id, $value_ty)> = $table::table
                    .filter($table::$parent.eq_any(ids))
                    .select(($table::$parent, $table::$value))
                    .load(conn)?;
                for (id, value) in rows {
                    by_parent.entry(id).or_default().push(value);
                }
                for values in by_parent.values_mut() {
                    values.sort();
                    values.dedup();
                }
                Ok(by_parent)
            }

            /// The resources of a page of rows, each with its values, in one query.
            pub fn attach<R>(
                conn: &mut DbConn,
                rows: Vec<R::Row>,
                id_of: impl Fn(&R::Row) -> $id,
            ) -> QueryResult<Vec<R>>
            where
                R: $crate::core::resource::FromRow<Children = Vec<$value_ty>>,
            {
                let ids: Vec<$id> = rows.iter().map(&id_of).collect();
                let mut values = of_many(conn, &ids)?;
                Ok(rows
                    .into_iter()
                    .map(|row| {
                        let own = values.remove(&id_of(&row)).unwrap_or_default();
                        R::from_row(row, own)
                    })
                    .collect())
            }

            /// The values of one parent.
            pub fn of(conn: &mut DbConn, id: $id) -> QueryResult<Vec<$value_ty>> {
                Ok(of_many(conn, &[id])?.remove(&id).unwrap_or_default())
            }

            /// One `(parent id, value)` row of the table, insertable on its own or many at a
            /// time (also by `COPY`).
            pub type Row = (
                diesel::dsl::Eq<$table::$parent, $id>,
                diesel::dsl::Eq<$table::$value, $value_ty>,
            );

            /// The row holding one value of a parent.
            pub fn row(id: $id, value: $value_ty) -> Row {
                ($table::$parent.eq(id), $table::$value.eq(value))
            }

            /// Adds values to a parent, in one statement.
            pub fn insert(conn: &mut DbConn, id: $id, values: &[$value_ty]) -> QueryResult<()> {
                let rows: Vec<Row> = values.iter().map(|value| row(id, *value)).collect();
                $crate::insert_rows!(conn, $table::table, &rows).map(|_| ())
            }

            /// Removes every value of a parent (explicitly, so the result does not depend on
            /// the backend enforcing `ON DELETE CASCADE`).
            pub fn delete(conn: &mut DbConn, id: $id) -> QueryResult<usize> {
                diesel::delete($table::table.filter($table::$parent.eq(id))).execute(conn)
            }

            /// Replaces a parent's whole set.
            pub fn replace(conn: &mut DbConn, id: $id, values: &[$value_ty]) -> QueryResult<()> {
                delete(conn, id)?;
                insert(conn, id, values)
            }
        }
    };
}
