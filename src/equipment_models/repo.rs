//! SQL for equipment models.

use diesel::prelude::*;

use super::model::{EquipmentModelFilter, EquipmentModelId, EquipmentModelRow, EquipmentModelSort};
use crate::core::error::DomainError;
use crate::core::paging::{PageRequest, Sort};
use crate::db::{DbConn, MultiBackend};
use crate::localizations::model::LocalizationId;
use crate::schema::{equipment_models, localizations};
use crate::vendors::model::VendorId;

crate::stored_rows!(equipment_models: EquipmentModelRow by EquipmentModelId; insert, delete);
crate::refers_to!(equipment_models.vendor_id -> VendorId as "equipment models");
crate::refers_to!(equipment_models.localization_id -> LocalizationId as "equipment models");

/// The model of `vendor_id` holding the code key, other than `except`.
pub fn code_owner(
    conn: &mut DbConn,
    vendor_id: VendorId,
    code_key: &str,
    except: Option<EquipmentModelId>,
) -> QueryResult<Option<EquipmentModelId>> {
    let mut query = equipment_models::table
        .filter(equipment_models::vendor_id.eq(vendor_id))
        .filter(equipment_models::model_code_key.eq(code_key))
        .select(equipment_models::id)
        .into_boxed::<MultiBackend>();
    if let Some(id) = except {
        query = query.filter(equipment_models::id.ne(id));
    }
    query.first(conn).optional()
}

/// The vendor of a localization, if the localization exists.
pub fn localization_vendor(conn: &mut DbConn, id: LocalizationId) -> QueryResult<Option<VendorId>> {
    localizations::table
        .find(id)
        .select(localizations::vendor_id)
        .first(conn)
        .optional()
}

pub fn list(
    conn: &mut DbConn,
    filter: &EquipmentModelFilter,
    sort: Sort<EquipmentModelSort>,
    page: &PageRequest,
) -> Result<Vec<EquipmentModelRow>, DomainError> {
    let mut query = equipment_models::table
        .select(columns())
        .into_boxed::<MultiBackend>();
    if let Some(vendor_ids) = &filter.vendor_ids {
        crate::filter_any_of!(query, equipment_models::vendor_id, vendor_ids.clone());
    }
    if let Some(categories) = &filter.categories {
        crate::filter_any_of!(query, equipment_models::category, categories.clone());
    }
    if let Some(localization_ids) = &filter.localization_ids {
        crate::filter_any_of!(
            query,
            equipment_models::localization_id,
            localization_ids.clone()
        );
    }
    match filter.localized {
        Some(true) => query = query.filter(equipment_models::localization_id.is_not_null()),
        Some(false) => query = query.filter(equipment_models::localization_id.is_null()),
        None => {}
    }
    if let Some(terms) = &filter.search {
        if terms.is_empty() {
            // A search without a letter or digit matches nothing.
            return Ok(Vec::new());
        }
        crate::filter_words!(query, equipment_models::search_text, terms);
    }
    let query = EquipmentModelSort::apply(sort, query, page.after.as_ref())?;
    Ok(query.limit(page.fetch_limit()).load(conn)?)
}
