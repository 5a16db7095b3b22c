//! Rules for equipment models: validation, the vendor and localization they refer to, and
//! the model code that is unique within a vendor.

use super::model::{
    EquipmentCategory, EquipmentModel, EquipmentModelCreate, EquipmentModelFilter,
    EquipmentModelId, EquipmentModelPatch, EquipmentModelRow, EquipmentModelSort,
};
use super::repo;
use crate::core::context::WriteContext;
use crate::core::error::DomainError;
use crate::core::paging::{PageRequest, Sort};
use crate::core::precondition::Precondition;
use crate::core::resource::FromRow;
use crate::core::time::{now, Timestamp};
use crate::db::audit::{Change, Place};
use crate::db::errors::unique_or;
use crate::db::rows::{delete_resource, get_resource, list_page, without_children};
use crate::db::{self, DbConn, DbPool};
use crate::localizations::model::LocalizationId;
use crate::validation::{code_key, name_and_code_terms, search_column, Checks};
use crate::vendors::model::VendorId;

const MAX_NAME_LENGTH: usize = 300;
pub const MAX_MODEL_CODE_LENGTH: usize = 100;

fn code_taken(owner: Option<EquipmentModelId>, code: &str) -> DomainError {
    DomainError::taken(
        "equipment model",
        "model_code",
        owner.map(|id| id.0),
        format!("the model code `{code}` for this vendor (codes are compared ignoring case)"),
    )
}

/// The fields a client controls, checked.
struct ModelFields {
    vendor_id: VendorId,
    name: String,
    model_code: String,
    category: EquipmentCategory,
    localization_id: Option<LocalizationId>,
}

/// Trims and checks every field at once, naming each invalid one (422).
fn checked(fields: ModelFields, mut checks: Checks) -> Result<ModelFields, DomainError> {
    let name = checks.text("name", &fields.name, MAX_NAME_LENGTH);
    let model_code = checks.text("model_code", &fields.model_code, MAX_MODEL_CODE_LENGTH);
    checks.finish()?;
    Ok(ModelFields {
        name,
        model_code,
        ..fields
    })
}

/// The vendor must exist, and the localization (if any) must be that vendor's.
fn check_references(conn: &mut DbConn, fields: &ModelFields) -> Result<(), DomainError> {
    let mut checks = Checks::new();
    if !crate::vendors::repo::exists(conn, fields.vendor_id)? {
        checks.push(
            "vendor_id",
            "not_found",
            format!("vendor {} does not exist", fields.vendor_id),
        );
    }
    if let Some(localization_id) = fields.localization_id {
        match repo::localization_vendor(conn, localization_id)? {
            None => checks.push(
                "localization_id",
                "not_found",
                format!("localization {localization_id} does not exist"),
            ),
            Some(vendor) if vendor != fields.vendor_id => checks.push(
                "localization_id",
                "invalid",
                format!(
                    "localization {localization_id} is vendor {vendor}'s, not the model's vendor {}",
                    fields.vendor_id
                ),
            ),
            Some(_) => {}
        }
    }
    checks.finish()
}

/// The row of `fields`, with its bookkeeping columns; refuses a code the vendor's other
/// model holds.
fn row_of(
    conn: &mut DbConn,
    id: EquipmentModelId,
    fields: ModelFields,
    (created_at, updated_at, version): (Timestamp, Timestamp, i64),
) -> Result<EquipmentModelRow, DomainError> {
    let model_code_key = code_key(&fields.model_code);
    if let Some(owner) = repo::code_owner(conn, fields.vendor_id, &model_code_key, Some(id))? {
        return Err(code_taken(Some(owner), &fields.model_code));
    }
    Ok(EquipmentModelRow {
        id,
        search_text: search_column(&name_and_code_terms(&fields.name, &fields.model_code)),
        vendor_id: fields.vendor_id,
        name: fields.name,
        model_code: fields.model_code,
        model_code_key,
        category: fields.category,
        localization_id: fields.localization_id,
        created_at,
        updated_at,
        version,
    })
}

pub async fn create(
    pool: &DbPool,
    context: &WriteContext,
    input: EquipmentModelCreate,
) -> Result<EquipmentModel, DomainError> {
    let fields = checked(
        ModelFields {
            vendor_id: input.vendor_id,
            name: input.name,
            model_code: input.model_code,
            category: input.category,
            localization_id: input.localization_id,
        },
        Checks::new(),
    )?;
    db::write(pool, context, move |conn| {
        check_references(conn, &fields)?;
        let at = now();
        let row = row_of(conn, EquipmentModelId::generate(), fields, (at, at, 1))?;
        repo::insert(conn, &row).map_err(|e| unique_or(e, || code_taken(None, &row.model_code)))?;
        Ok(Change::created(EquipmentModel::from_row(row, ())))
    })
    .await?
    .into_after()
}

pub async fn get(pool: &DbPool, id: EquipmentModelId) -> Result<EquipmentModel, DomainError> {
    get_resource(pool, id, repo::find).await
}

pub async fn list(
    pool: &DbPool,
    filter: EquipmentModelFilter,
    sort: Sort<EquipmentModelSort>,
    page: PageRequest,
) -> Result<(Vec<EquipmentModel>, Option<String>), DomainError> {
    list_page(pool, filter, sort, page, repo::list, without_children).await
}

pub async fn update(
    pool: &DbPool,
    context: &WriteContext,
    id: EquipmentModelId,
    patch: EquipmentModelPatch,
    precondition: Precondition,
) -> Result<EquipmentModel, DomainError> {
    let recorder = context.clone();
    db::write(pool, context, move |conn| {
        let current = repo::current(conn, id, &precondition)?;
        let mut checks = Checks::new();
        let fields = ModelFields {
            vendor_id: checks.patched("vendor_id", patch.vendor_id, current.vendor_id),
            name: checks.patched("name", patch.name, current.name.clone()),
            model_code: checks.patched("model_code", patch.model_code, current.model_code.clone()),
            category: checks.patched("category", patch.category, current.category),
            localization_id: patch.localization_id.unwrap_or(current.localization_id),
        };
        let fields = checked(fields, checks)?;
        if fields.vendor_id != current.vendor_id
            || fields.localization_id != current.localization_id
        {
            check_references(conn, &fields)?;
        }
        let row = row_of(
            conn,
            id,
            fields,
            (current.created_at, now(), current.version + 1),
        )?;
        if repo::unchanged(&row, &current) {
            return Ok(Change::unchanged(EquipmentModel::from_row(current, ())));
        }
        repo::update_or_stale(conn, &row, current.version, |e| {
            unique_or(e, || code_taken(None, &row.model_code))
        })?;
        if row.category != current.category {
            // The units of the model count under its new category.
            crate::equipment_units::service::recount_model(conn, &recorder, id)?;
        }
        Ok(Change::updated(
            EquipmentModel::from_row(current, ()),
            EquipmentModel::from_row(row, ()),
        ))
    })
    .await?
    .into_after()
}

pub async fn delete(
    pool: &DbPool,
    context: &WriteContext,
    id: EquipmentModelId,
    precondition: Precondition,
) -> Result<(), DomainError> {
    delete_resource(
        pool,
        context,
        id,
        precondition,
        repo::find_for_update,
        repo::delete_row::<EquipmentModel>,
    )
    .await
}

// A model belongs to its vendor, not to a region: writing one needs `global` scope.
crate::audited!(EquipmentModel as "equipment_model", |_model, _conn| Ok(vec![
    Place::Nowhere
]));
