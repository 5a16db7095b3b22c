//! "Rows of X refer to a Y": each reference is declared once, beside X (`refers_to!`), and
//! deleting a Y is refused with a 409 that names every X still referring to it, without Y's
//! code knowing X. Declarations are collected at link time (`inventory`), so a new resource
//! joins by declaring its own references.

use diesel::QueryResult;

use crate::core::error::DomainError;
use crate::core::ids::ResourceId;
use crate::db::DbConn;

/// One declared reference.
pub struct Reference {
    /// The resource referred to (`ResourceId::RESOURCE`, e.g. `vendor`).
    pub referred: &'static str,
    /// What refers, as a refused delete names it (`localizations`).
    pub referring: &'static str,
    /// How many referring rows name the id.
    pub count: fn(&mut DbConn, uuid::Uuid) -> QueryResult<i64>,
}

inventory::collect!(Reference);

/// Every declared reference to `T`, in the order of the referring names (so the 409 body
/// is stable).
fn references_to<T: ResourceId>() -> Vec<&'static Reference> {
    let mut found: Vec<&'static Reference> = inventory::iter::<Reference>
        .into_iter()
        .filter(|reference| reference.referred == T::RESOURCE)
        .collect();
    found.sort_by_key(|reference| reference.referring);
    found
}

/// Refuses a delete of `id`, or a change that would strand what refers to it (409
/// `still-referenced`), while any declared reference holds it.
pub fn refuse_if_referenced<T: ResourceId>(conn: &mut DbConn, id: T) -> Result<(), DomainError> {
    let mut counts = Vec::new();
    for reference in references_to::<T>() {
        counts.push((reference.referring, (reference.count)(conn, id.uuid())?));
    }
    DomainError::refuse_if_referenced(T::RESOURCE, id.uuid(), &counts)
}

/// Declares that rows of `$table` refer to a `$referred` through `$column`; a refused
/// delete names them `$name` (the referring collection).
///
/// ```ignore
/// crate::refers_to!(localizations.vendor_id -> VendorId as "localizations");
/// ```
#[macro_export]
macro_rules! refers_to {
    ($table:ident . $column:ident -> $referred:ident as $name:literal) => {
        const _: () = {
            fn count(conn: &mut $crate::db::DbConn, id: uuid::Uuid) -> diesel::QueryResult<i64> {
                use diesel::prelude::*;
                $crate::schema::$table::table
                    .filter($crate::schema::$table::$column.eq($referred(id)))
                    .count()
                    .get_result(conn)
            }
            inventory::submit! {
                $crate::db::references::Reference {
                    referred: <$referred as $crate::core::ids::ResourceId>::RESOURCE,
                    referring: $name,
                    count,
                }
            }
        };
    };
}
