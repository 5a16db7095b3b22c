//! The one way a resource's representation is made from what is stored.

/// A resource made from its row and its child values (`()` for a resource without any).
/// Child values arrive sorted and without repeats.
pub trait FromRow: Sized {
    type Row;
    type Children;

    fn from_row(row: Self::Row, children: Self::Children) -> Self;
}
