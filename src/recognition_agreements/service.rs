//! Rules for recognition agreements: two different countries, the dates in force, a title
//! and a source.

use chrono::NaiveDate;

use super::model::{
    Agreement, AgreementCreate, AgreementFilter, AgreementId, AgreementPatch, AgreementRow,
    AgreementScope, AgreementSort,
};
use super::repo;
use crate::core::context::WriteContext;
use crate::core::error::DomainError;
use crate::core::paging::{PageRequest, Sort};
use crate::core::precondition::Precondition;
use crate::core::resource::FromRow;
use crate::core::time::{now, Timestamp};
use crate::db::audit::{Change, Place};
use crate::db::rows::{delete_resource, get_resource, list_page, without_children};
use crate::db::{self, DbPool};
use crate::validation::Checks;

const MAX_TITLE_LENGTH: usize = 500;
const MAX_SOURCE_LENGTH: usize = 2000;

/// The fields a client controls.
struct AgreementFields {
    recognizing_country_code: String,
    recognized_country_code: String,
    mutual: bool,
    scope: AgreementScope,
    in_force_from: NaiveDate,
    in_force_until: Option<NaiveDate>,
    title: String,
    source: String,
}

/// Checks every field at once, naming each invalid one (422), and makes the row.
fn row_of(
    id: AgreementId,
    fields: AgreementFields,
    mut checks: Checks,
    (created_at, updated_at, version): (Timestamp, Timestamp, i64),
) -> Result<AgreementRow, DomainError> {
    let recognizing =
        checks.country_code("recognizing_country_code", &fields.recognizing_country_code);
    let recognized =
        checks.country_code("recognized_country_code", &fields.recognized_country_code);
    if recognizing == recognized {
        checks.push(
            "recognized_country_code",
            "invalid",
            "an agreement is between two different countries",
        );
    }
    checks.date("in_force_from", Some(fields.in_force_from));
    checks.date("in_force_until", fields.in_force_until);
    if fields
        .in_force_until
        .is_some_and(|until| until < fields.in_force_from)
    {
        checks.push(
            "in_force_until",
            "out_of_range",
            format!(
                "must not be before `in_force_from` ({})",
                fields.in_force_from
            ),
        );
    }
    let title = checks.text("title", &fields.title, MAX_TITLE_LENGTH);
    let source = checks.text("source", &fields.source, MAX_SOURCE_LENGTH);
    checks.finish()?;
    Ok(AgreementRow {
        id,
        recognizing_country_code: recognizing,
        recognized_country_code: recognized,
        mutual: fields.mutual,
        scope: fields.scope,
        in_force_from: fields.in_force_from,
        in_force_until: fields.in_force_until,
        title,
        source,
        created_at,
        updated_at,
        version,
    })
}

pub async fn create(
    pool: &DbPool,
    context: &WriteContext,
    input: AgreementCreate,
) -> Result<Agreement, DomainError> {
    let at = now();
    let row = row_of(
        AgreementId::generate(),
        AgreementFields {
            recognizing_country_code: input.recognizing_country_code,
            recognized_country_code: input.recognized_country_code,
            mutual: input.mutual,
            scope: input.scope,
            in_force_from: input.in_force_from,
            in_force_until: input.in_force_until,
            title: input.title,
            source: input.source,
        },
        Checks::new(),
        (at, at, 1),
    )?;
    db::write(pool, context, move |conn| {
        repo::insert(conn, &row)?;
        Ok(Change::created(Agreement::from_row(row, ())))
    })
    .await?
    .into_after()
}

pub async fn get(pool: &DbPool, id: AgreementId) -> Result<Agreement, DomainError> {
    get_resource(pool, id, repo::find).await
}

pub async fn list(
    pool: &DbPool,
    filter: AgreementFilter,
    sort: Sort<AgreementSort>,
    page: PageRequest,
) -> Result<(Vec<Agreement>, Option<String>), DomainError> {
    list_page(pool, filter, sort, page, repo::list, without_children).await
}

pub async fn update(
    pool: &DbPool,
    context: &WriteContext,
    id: AgreementId,
    patch: AgreementPatch,
    precondition: Precondition,
) -> Result<Agreement, DomainError> {
    db::write(pool, context, move |conn| {
        let current = repo::current(conn, id, &precondition)?;
        let mut checks = Checks::new();
        let fields = AgreementFields {
            recognizing_country_code: checks.patched(
                "recognizing_country_code",
                patch.recognizing_country_code,
                current.recognizing_country_code.clone(),
            ),
            recognized_country_code: checks.patched(
                "recognized_country_code",
                patch.recognized_country_code,
                current.recognized_country_code.clone(),
            ),
            mutual: checks.patched("mutual", patch.mutual, current.mutual),
            scope: checks.patched("scope", patch.scope, current.scope),
            in_force_from: checks.patched(
                "in_force_from",
                patch.in_force_from,
                current.in_force_from,
            ),
            in_force_until: patch.in_force_until.unwrap_or(current.in_force_until),
            title: checks.patched("title", patch.title, current.title.clone()),
            source: checks.patched("source", patch.source, current.source.clone()),
        };
        let row = row_of(
            id,
            fields,
            checks,
            (current.created_at, now(), current.version + 1),
        )?;
        repo::save(conn, current, row, DomainError::from)
    })
    .await?
    .into_after()
}

pub async fn delete(
    pool: &DbPool,
    context: &WriteContext,
    id: AgreementId,
    precondition: Precondition,
) -> Result<(), DomainError> {
    delete_resource(
        pool,
        context,
        id,
        precondition,
        repo::find_for_update,
        repo::delete_row::<Agreement>,
    )
    .await
}

// An agreement is between countries, not in a region: writing one needs `global` scope.
crate::audited!(Agreement as "recognition_agreement", |_agreement, _conn| Ok(vec![
    Place::Nowhere
]));
