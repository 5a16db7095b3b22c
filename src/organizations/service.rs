//! Rules for organizations: validation and the name that is unique regardless of case.

use super::model::{
    Organization, OrganizationCreate, OrganizationFilter, OrganizationId, OrganizationKind,
    OrganizationPatch, OrganizationRow, OrganizationSort,
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
use crate::validation::{search_column, search_key, search_terms, Checks};

const MAX_NAME_LENGTH: usize = 300;

fn name_taken(owner: Option<OrganizationId>, name: &str) -> DomainError {
    DomainError::taken(
        "organization",
        "name",
        owner.map(|id| id.0),
        format!("the name `{name}` (names are compared ignoring case)"),
    )
}

/// The fields a client controls, checked.
struct OrganizationFields {
    name: String,
    kind: OrganizationKind,
    country_code: String,
    website: Option<String>,
}

/// Trims and checks every field at once, naming each invalid one (422).
fn checked(
    fields: OrganizationFields,
    mut checks: Checks,
) -> Result<OrganizationFields, DomainError> {
    let name = checks.text("name", &fields.name, MAX_NAME_LENGTH);
    let country_code = checks.country_code("country_code", &fields.country_code);
    let website = checks.url("website", fields.website.as_deref());
    checks.finish()?;
    Ok(OrganizationFields {
        name,
        kind: fields.kind,
        country_code,
        website,
    })
}

/// The row of `fields`, with its bookkeeping columns; refuses a name another organization
/// holds.
fn row_of(
    conn: &mut DbConn,
    id: OrganizationId,
    fields: OrganizationFields,
    (created_at, updated_at, version): (Timestamp, Timestamp, i64),
) -> Result<OrganizationRow, DomainError> {
    let name_key = search_key(&fields.name);
    if let Some(owner) = repo::name_key_owner(conn, &name_key, Some(id))? {
        return Err(name_taken(Some(owner), &fields.name));
    }
    Ok(OrganizationRow {
        id,
        search_text: search_column(&search_terms(&fields.name)),
        name: fields.name,
        name_key,
        kind: fields.kind,
        country_code: fields.country_code,
        website: fields.website,
        created_at,
        updated_at,
        version,
    })
}

pub async fn create(
    pool: &DbPool,
    context: &WriteContext,
    input: OrganizationCreate,
) -> Result<Organization, DomainError> {
    let fields = checked(
        OrganizationFields {
            name: input.name,
            kind: input.kind,
            country_code: input.country_code,
            website: input.website,
        },
        Checks::new(),
    )?;
    db::write(pool, context, move |conn| {
        let at = now();
        let row = row_of(conn, OrganizationId::generate(), fields, (at, at, 1))?;
        repo::insert(conn, &row).map_err(|e| unique_or(e, || name_taken(None, &row.name)))?;
        Ok(Change::created(Organization::from_row(row, ())))
    })
    .await?
    .into_after()
}

pub async fn get(pool: &DbPool, id: OrganizationId) -> Result<Organization, DomainError> {
    get_resource(pool, id, repo::find).await
}

pub async fn list(
    pool: &DbPool,
    filter: OrganizationFilter,
    sort: Sort<OrganizationSort>,
    page: PageRequest,
) -> Result<(Vec<Organization>, Option<String>), DomainError> {
    list_page(pool, filter, sort, page, repo::list, without_children).await
}

pub async fn update(
    pool: &DbPool,
    context: &WriteContext,
    id: OrganizationId,
    patch: OrganizationPatch,
    precondition: Precondition,
) -> Result<Organization, DomainError> {
    db::write(pool, context, move |conn| {
        let current = repo::current(conn, id, &precondition)?;
        let mut checks = Checks::new();
        let fields = OrganizationFields {
            name: checks.patched("name", patch.name, current.name.clone()),
            kind: checks.patched("kind", patch.kind, current.kind),
            country_code: checks.patched(
                "country_code",
                patch.country_code,
                current.country_code.clone(),
            ),
            website: patch.website.unwrap_or(current.website.clone()),
        };
        let fields = checked(fields, checks)?;
        let row = row_of(
            conn,
            id,
            fields,
            (current.created_at, now(), current.version + 1),
        )?;
        let taken = row.name.clone();
        repo::save(conn, current, row, |e| {
            unique_or(e, || name_taken(None, &taken))
        })
    })
    .await?
    .into_after()
}

pub async fn delete(
    pool: &DbPool,
    context: &WriteContext,
    id: OrganizationId,
    precondition: Precondition,
) -> Result<(), DomainError> {
    delete_resource(
        pool,
        context,
        id,
        precondition,
        repo::find_for_update,
        repo::delete_row::<Organization>,
    )
    .await
}

// An organization belongs to a country, not to a region: writing one needs `global` scope.
crate::audited!(Organization as "organization", |_organization, _conn| Ok(vec![
    Place::Nowhere
]));
