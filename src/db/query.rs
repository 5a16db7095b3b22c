//! Query building shared by every repository: SQL functions both backends know, filter
//! macros for boxed queries, and the keyset pagination that a resource's sort declaration
//! (`sort_fields!`) derives its conditions from.

diesel::define_sql_function! {
    /// `unnest(array)`: a PostgreSQL array's elements as rows.
    fn unnest(array: diesel::sql_types::Array<diesel::sql_types::Text>) -> diesel::sql_types::Text;
}

diesel::define_sql_function! {
    /// `substr(text, start)`: the rest of a text from a 1-based position (both backends).
    fn substr(text: diesel::sql_types::Text, start: diesel::sql_types::Integer) -> diesel::sql_types::Text;
}

diesel::define_sql_function! {
    /// `COALESCE(x, fallback)` for a nullable integer sort key.
    #[sql_name = "COALESCE"]
    fn coalesce_int(value: diesel::sql_types::Nullable<diesel::sql_types::Integer>, fallback: diesel::sql_types::Integer) -> diesel::sql_types::Integer;
}

/// Adds `column IN (values)` to a boxed query, written `column = value` when there is one
/// value: PostgreSQL (before 17) cannot read an index in order under `= ANY(...)`, so a
/// single-value filter would otherwise sort every matching row before the page is cut.
#[macro_export]
macro_rules! filter_any_of {
    ($query:ident, $column:expr, $values:expr) => {{
        use diesel::prelude::*;
        let values: Vec<_> = $values;
        $query = match values.as_slice() {
            [single] => $query.filter($column.eq(single.clone())),
            _ => $query.filter($column.eq_any(values)),
        };
    }};
}

/// A multi-row `INSERT`, which the two-backend connection type cannot express: the
/// statement is built for the concrete backend. An empty `$rows` writes nothing.
#[macro_export]
macro_rules! insert_rows {
    ($conn:expr, $table:expr, $rows:expr) => {{
        use diesel::RunQueryDsl;
        match $conn {
            $crate::db::DbConn::Pg(pg) => diesel::insert_into($table).values($rows).execute(pg),
            $crate::db::DbConn::Sqlite(lite) => {
                diesel::insert_into($table).values($rows).execute(lite)
            }
        }
    }};
}

/// Keeps the rows of a boxed query whose search column (`validation::search_column`) has,
/// for each of `terms`, a word that starts with it.
#[macro_export]
macro_rules! filter_words {
    ($query:ident, $column:expr, $terms:expr) => {{
        use diesel::prelude::*;
        for term in $terms {
            $query = $query.filter(
                $column
                    .like($crate::db::query::word_prefix_pattern(term))
                    .escape('\\'),
            );
        }
    }};
}

/// Applies the keyset condition and the matching `ORDER BY key, id` to a boxed query.
/// `$after` is `Option<(key, id)>`. The condition is written
/// `key >= x AND (key > x OR (key = x AND id > y))` (reversed when descending): the first
/// term is redundant for the result but gives both databases an index range to start from,
/// so a deep page costs what the first page costs.
#[macro_export]
macro_rules! apply_keyset {
    ($query:ident, $column:expr, $id_column:expr, $descending:expr, $after:expr) => {{
        use diesel::prelude::*;
        if let Some((key, last_id)) = $after {
            $query = if $descending {
                $query.filter($column.le(key.clone())).filter(
                    $column
                        .lt(key.clone())
                        .or($column.eq(key).and($id_column.lt(last_id))),
                )
            } else {
                $query.filter($column.ge(key.clone())).filter(
                    $column
                        .gt(key.clone())
                        .or($column.eq(key).and($id_column.gt(last_id))),
                )
            };
        }
        $query = if $descending {
            $query.order(($column.desc(), $id_column.desc()))
        } else {
            $query.order(($column.asc(), $id_column.asc()))
        };
    }};
}

/// `LIKE` pattern for "a word of the search column starts with `term`" (the column holds
/// each word preceded by a space), with the pattern characters escaped (`\\` is the escape
/// character on both backends via `ESCAPE '\\'`).
pub fn word_prefix_pattern(term: &str) -> String {
    let mut pattern = String::with_capacity(term.len() + 3);
    pattern.push_str("% ");
    for ch in term.chars() {
        if matches!(ch, '%' | '_' | '\\') {
            pattern.push('\\');
        }
        pattern.push(ch);
    }
    pattern.push('%');
    pattern
}

/// Declares the fields a resource's list can be sorted by, once: each with its query name,
/// its column (or expression), the kind of key it carries in page tokens and how a row's
/// key is read. From it come the sort enum with its `SortField` table (and so the spec's
/// enumeration of `sort` values), `apply`, which adds the keyset condition and order to a
/// boxed query, and `cursor`, the page token of a row.
///
/// ```ignore
/// sort_fields! {
///     /// Fields a vendor list can be sorted by.
///     pub enum VendorSort for VendorRow in vendors, id VendorId, default CreatedAt {
///         Name = "name" => TextKey, vendors::name, |row| row.name.clone();
///         CreatedAt = "created_at" => TimestampKey, vendors::created_at, |row| row.created_at;
///     }
/// }
/// ```
#[macro_export]
macro_rules! sort_fields {
    (
        $(#[$meta:meta])*
        $vis:vis enum $name:ident for $row:ident in $table:ident, id $id:ident, default $default:ident {
            $(
                $(#[$vmeta:meta])*
                $variant:ident = $text:literal $(($note:literal))? => $codec:ty, $column:expr, |$r:ident| $key:expr;
            )+
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        $vis enum $name {
            $( $(#[$vmeta])* $variant, )+
        }

        impl $crate::core::paging::SortField for $name {
            const ALL: &'static [(&'static str, Self)] = &[ $( ($text, Self::$variant), )+ ];
            const DEFAULT: Self = Self::$default;
            const NOTES: &'static [(&'static str, &'static str)] = &[ $( $( ($text, $note), )? )+ ];
        }

        impl $crate::core::paging::RowCursor<$row> for $name {
            fn cursor_of(
                sort: $crate::core::paging::Sort<Self>,
                row: &$row,
            ) -> $crate::core::paging::Cursor {
                Self::cursor(sort, row)
            }
        }

        impl $name {
            /// The page-token cursor of `row` under `sort`.
            pub fn cursor(
                sort: $crate::core::paging::Sort<Self>,
                row: &$row,
            ) -> $crate::core::paging::Cursor {
                use $crate::core::paging::SortKeyCodec;
                let key = match sort.field {
                    $( Self::$variant => {
                        let $r = row;
                        <$codec>::encode(&$key)
                    } )+
                };
                $crate::core::paging::Cursor::new(&sort.token_name(), Some(key), row.id.0)
            }

            /// Orders a boxed query by `sort` (the id breaking ties) and starts it after the
            /// row `after` was made from; a token of another key kind is a 400.
            pub fn apply<'a, ST: 'static>(
                sort: $crate::core::paging::Sort<Self>,
                mut query: $table::BoxedQuery<'a, $crate::db::MultiBackend, ST>,
                after: Option<&$crate::core::paging::Cursor>,
            ) -> Result<
                $table::BoxedQuery<'a, $crate::db::MultiBackend, ST>,
                $crate::core::error::DomainError,
            > {
                use $crate::core::paging::SortKeyCodec;
                match sort.field {
                    $( Self::$variant => {
                        let after = after
                            .map(|cursor| {
                                Ok::<_, $crate::core::error::DomainError>((
                                    <$codec>::decode(cursor)?,
                                    $id(cursor.id),
                                ))
                            })
                            .transpose()?;
                        $crate::apply_keyset!(query, $column, $table::id, sort.descending, after);
                    } )+
                }
                Ok(query)
            }
        }
    };
}
