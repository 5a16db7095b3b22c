//! The one way a resource's representation is made from what is stored.

/// A resource made from its row and its child values (`()` for a resource without any).
/// Child values arrive sorted and without repeats.
pub trait FromRow: Sized {
    type Row;
    type Children;

    fn from_row(row: Self::Row, children: Self::Children) -> Self;
}

/// Declares `FromRow` for a resource without child values whose fields are the row's
/// fields of the same names (the row's other columns, such as search keys, stay inside).
///
/// ```ignore
/// crate::from_row_fields!(Organization from OrganizationRow { id, name, kind, version });
/// ```
#[macro_export]
macro_rules! from_row_fields {
    ($resource:ident from $row:ident { $($field:ident),+ $(,)? }) => {
        impl $crate::core::resource::FromRow for $resource {
            type Row = $row;
            type Children = ();

            fn from_row(row: $row, (): ()) -> Self {
                Self {
                    $($field: row.$field,)+
                }
            }
        }
    };
}
