//! Rules for vendors: validation, the case-insensitive unique name, and transactions that
//! keep a vendor and its categories together.

use super::model::{
    ProductCategory, Vendor, VendorCreate, VendorFilter, VendorId, VendorPatch, VendorRow,
    VendorSort,
};
use super::repo;
use crate::core::context::WriteContext;
use crate::core::error::DomainError;
use crate::core::paging::{PageRequest, Sort};
use crate::core::precondition::Precondition;
use crate::core::resource::FromRow;
use crate::core::time::now;
use crate::db::audit::{Change, Place};
use crate::db::errors::unique_or;
use crate::db::rows::{delete_resource, list_page};
use crate::db::{self, DbConn, DbPool};
use crate::validation::{search_column, search_key, search_terms, Checks};

const MAX_NAME_LENGTH: usize = 200;

/// The fields a client controls, after validation.
struct VendorFields {
    name: String,
    country_code: String,
    website: Option<String>,
    categories: Vec<ProductCategory>,
}

fn check_fields(fields: &mut VendorFields, checks: &mut Checks) {
    fields.name = checks.text("name", &fields.name, MAX_NAME_LENGTH);
    fields.country_code = checks.country_code("country_code", &fields.country_code);
    fields.website = checks.url("website", fields.website.as_deref());
    checks.unique_list("categories", &fields.categories);
    fields.categories.sort();
}

fn name_taken(owner: Option<VendorId>, name: &str) -> DomainError {
    DomainError::taken(
        "vendor",
        "name",
        owner.map(|id| id.0),
        format!("the name `{name}` (names are compared ignoring case)"),
    )
}

fn check_name_free(
    conn: &mut DbConn,
    name: &str,
    name_key: &str,
    except: Option<VendorId>,
) -> Result<(), DomainError> {
    match repo::name_key_owner(conn, name_key, except)? {
        Some(owner) => Err(name_taken(Some(owner), name)),
        None => Ok(()),
    }
}

pub async fn create(
    pool: &DbPool,
    context: &WriteContext,
    input: VendorCreate,
) -> Result<Vendor, DomainError> {
    let mut fields = VendorFields {
        name: input.name,
        country_code: input.country_code,
        website: input.website,
        categories: input.categories,
    };
    let mut checks = Checks::new();
    check_fields(&mut fields, &mut checks);
    checks.finish()?;
    db::write(pool, context, move |conn| {
        let name_key = search_key(&fields.name);
        check_name_free(conn, &fields.name, &name_key, None)?;
        let at = now();
        let row = VendorRow {
            id: VendorId::generate(),
            search_text: search_column(&search_terms(&fields.name)),
            name: fields.name,
            name_key,
            country_code: fields.country_code,
            website: fields.website,
            created_at: at,
            updated_at: at,
            version: 1,
        };
        repo::insert(conn, &row).map_err(|e| unique_or(e, || name_taken(None, &row.name)))?;
        repo::categories::replace(conn, row.id, &fields.categories)?;
        Ok(Change::created(Vendor::from_row(row, fields.categories)))
    })
    .await?
    .into_after()
}

fn load_one(conn: &mut DbConn, row: VendorRow) -> Result<Vendor, DomainError> {
    let categories = repo::categories::of(conn, row.id)?;
    Ok(Vendor::from_row(row, categories))
}

pub async fn get(pool: &DbPool, id: VendorId) -> Result<Vendor, DomainError> {
    db::lookup(pool, move |conn| {
        let row = repo::find(conn, id)?.ok_or_else(|| DomainError::not_found("vendor", id))?;
        load_one(conn, row)
    })
    .await
}

pub async fn update(
    pool: &DbPool,
    context: &WriteContext,
    id: VendorId,
    patch: VendorPatch,
    precondition: Precondition,
) -> Result<Vendor, DomainError> {
    db::write(pool, context, move |conn| {
        let current =
            repo::find_for_update(conn, id)?.ok_or_else(|| DomainError::not_found("vendor", id))?;
        precondition.check(current.version)?;
        let replace_categories = patch.categories.is_some();
        let categories = match patch.categories {
            Some(Some(new)) => new,
            Some(None) => {
                return Err(DomainError::invalid(
                    "categories",
                    "required",
                    "cannot be null; send [] to remove every category",
                ))
            }
            None => repo::categories::of(conn, id)?,
        };
        let mut checks = Checks::new();
        let mut fields = VendorFields {
            name: checks.patched("name", patch.name, current.name.clone()),
            country_code: checks.patched(
                "country_code",
                patch.country_code,
                current.country_code.clone(),
            ),
            website: patch.website.unwrap_or(current.website.clone()),
            categories,
        };
        check_fields(&mut fields, &mut checks);
        checks.finish()?;
        let name_key = search_key(&fields.name);
        if name_key != current.name_key {
            check_name_free(conn, &fields.name, &name_key, Some(id))?;
        }
        let row = VendorRow {
            id,
            search_text: search_column(&search_terms(&fields.name)),
            name: fields.name,
            name_key,
            country_code: fields.country_code,
            website: fields.website,
            created_at: current.created_at,
            updated_at: now(),
            version: current.version + 1,
        };
        let stored_categories = if replace_categories {
            repo::categories::of(conn, id)?
        } else {
            fields.categories.clone()
        };
        let before = Vendor::from_row(current.clone(), stored_categories.clone());
        if repo::unchanged(&row, &current) && stored_categories == fields.categories {
            return Ok(Change::unchanged(before));
        }
        repo::update_or_stale(conn, &row, current.version, |e| {
            unique_or(e, || name_taken(None, &row.name))
        })?;
        if replace_categories {
            repo::categories::replace(conn, id, &fields.categories)?;
        }
        Ok(Change::updated(
            before,
            Vendor::from_row(row, fields.categories),
        ))
    })
    .await?
    .into_after()
}

pub async fn delete(
    pool: &DbPool,
    context: &WriteContext,
    id: VendorId,
    precondition: Precondition,
) -> Result<(), DomainError> {
    delete_resource(
        pool,
        context,
        id,
        precondition,
        repo::find_for_update,
        |conn, id, row| {
            let before = load_one(conn, row)?;
            // The foreign key cascades too; deleting first keeps the intent visible here.
            repo::categories::delete(conn, id)?;
            repo::delete(conn, id)?;
            Ok(before)
        },
    )
    .await
}

pub async fn list(
    pool: &DbPool,
    filter: VendorFilter,
    sort: Sort<VendorSort>,
    page: PageRequest,
) -> Result<(Vec<Vendor>, Option<String>), DomainError> {
    list_page(pool, filter, sort, page, repo::list, |conn, rows| {
        Ok(repo::categories::attach(conn, rows, |row: &VendorRow| {
            row.id
        })?)
    })
    .await
}

// A vendor belongs to no region: writing one needs `global` scope.
crate::audited!(Vendor as "vendor", |_vendor, _conn| Ok(vec![Place::Nowhere]));
