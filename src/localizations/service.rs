//! Rules for localizations: validation, references to vendors and regions, the stage
//! machine, and the transactions that keep a localization, its scopes and its history in step.

use chrono::{NaiveDate, Utc};

use super::model::{
    Localization, LocalizationCreate, LocalizationFilter, LocalizationId, LocalizationPatch,
    LocalizationRow, LocalizationScope, LocalizationSort, LocalizationStage, StageChange,
    StageChangeCreate, StageChangeId, StageChangeRow,
};
use super::repo;
use crate::core::context::WriteContext;
use crate::core::error::DomainError;
use crate::core::paging::{finish_page, PageRequest, Sort};
use crate::core::precondition::Precondition;
use crate::core::resource::FromRow;
use crate::core::states::StateMachine;
use crate::core::time::now;
use crate::db::audit::{AuditAction, Change, Place};
use crate::db::rows::list_page;
use crate::db::{self, DbConn, DbPool};
use crate::regions::model::RegionId;
use crate::validation::Checks;
use crate::vendors::model::VendorId;

const MAX_PARTNER_LENGTH: usize = 300;
const MAX_NOTE_LENGTH: usize = 2000;
const MAX_SOURCE_LENGTH: usize = 2000;

/// Dates of stage changes are calendar dates in UTC, like every timestamp of the service.
fn today() -> NaiveDate {
    Utc::now().date_naive()
}

/// The fields a client controls through create and patch, after validation.
struct LocalizationFields {
    vendor_id: VendorId,
    country_code: String,
    region_id: Option<RegionId>,
    scope: Vec<LocalizationScope>,
    local_content_percent: Option<f64>,
    target_date: Option<NaiveDate>,
    partner: Option<String>,
}

fn check_fields(fields: &mut LocalizationFields, checks: &mut Checks) {
    fields.country_code = checks.country_code("country_code", &fields.country_code);
    if fields.scope.is_empty() {
        checks.push(
            "scope",
            "required",
            "list at least one of equipment, reagents, consumables",
        );
    }
    checks.unique_list("scope", &fields.scope);
    fields.scope.sort();
    checks.range_f64(
        "local_content_percent",
        fields.local_content_percent,
        0.0,
        100.0,
    );
    fields.partner = checks.optional_text("partner", fields.partner.as_deref(), MAX_PARTNER_LENGTH);
    checks.date("target_date", fields.target_date);
}

fn check_vendor(
    conn: &mut DbConn,
    vendor_id: VendorId,
    checks: &mut Checks,
) -> Result<(), DomainError> {
    if !repo::vendor_exists(conn, vendor_id)? {
        checks.push(
            "vendor_id",
            "not_found",
            format!("vendor {vendor_id} does not exist"),
        );
    }
    Ok(())
}

/// The site region must exist and lie in the localization's country.
fn check_region(
    conn: &mut DbConn,
    region_id: Option<RegionId>,
    country_code: &str,
    checks: &mut Checks,
) -> Result<(), DomainError> {
    let Some(region_id) = region_id else {
        return Ok(());
    };
    match crate::regions::repo::find(conn, region_id)? {
        None => checks.push(
            "region_id",
            "not_found",
            format!("region {region_id} does not exist"),
        ),
        Some(region) if region.country_code != country_code => checks.push(
            "region_id",
            "invalid",
            format!(
                "region {} is in country {}, not {country_code}",
                region.code, region.country_code
            ),
        ),
        Some(_) => {}
    }
    Ok(())
}

fn check_change_date(checks: &mut Checks, field: &str, date: NaiveDate, today: NaiveDate) {
    checks.date(field, Some(date));
    if date > today {
        checks.push(
            field,
            "out_of_range",
            format!("must not be in the future (today is {today})"),
        );
    }
}

fn scopes_for(
    conn: &mut DbConn,
    id: LocalizationId,
) -> Result<Vec<LocalizationScope>, DomainError> {
    Ok(repo::scopes::of(conn, id)?)
}

fn load(conn: &mut DbConn, id: LocalizationId) -> Result<LocalizationRow, DomainError> {
    repo::find(conn, id)?.ok_or_else(|| DomainError::not_found("localization", id))
}

/// The row a write changes, locked against other writers (`find_for_update`).
fn load_for_update(conn: &mut DbConn, id: LocalizationId) -> Result<LocalizationRow, DomainError> {
    repo::find_for_update(conn, id)?.ok_or_else(|| DomainError::not_found("localization", id))
}

fn stale(id: LocalizationId) -> DomainError {
    DomainError::PreconditionFailed(format!(
        "localization {id} was changed by another request; fetch it again"
    ))
}

pub async fn create(
    pool: &DbPool,
    context: &WriteContext,
    input: LocalizationCreate,
) -> Result<Localization, DomainError> {
    let today = today();
    let mut checks = Checks::new();
    let mut fields = LocalizationFields {
        vendor_id: input.vendor_id,
        country_code: input.country_code,
        region_id: input.region_id,
        scope: input.scope,
        local_content_percent: input.local_content_percent,
        target_date: input.target_date,
        partner: input.partner,
    };
    check_fields(&mut fields, &mut checks);
    let stage = input.stage.unwrap_or(LocalizationStage::InterestDeclared);
    if !stage.is_open() {
        checks.push(
            "stage",
            "invalid",
            "a localization starts in one of interest_declared, negotiating, agreement_signed, \
             production_setup, producing; suspend or cancel it through a stage change",
        );
    }
    let stage_changed_on = input.stage_changed_on.unwrap_or(today);
    check_change_date(&mut checks, "stage_changed_on", stage_changed_on, today);
    let note = checks.optional_note("note", input.note.as_deref(), MAX_NOTE_LENGTH);
    let source = checks.optional_text("source", input.source.as_deref(), MAX_SOURCE_LENGTH);
    checks.finish()?;
    db::write(pool, context, move |conn| {
        let mut checks = Checks::new();
        check_vendor(conn, fields.vendor_id, &mut checks)?;
        check_region(conn, fields.region_id, &fields.country_code, &mut checks)?;
        checks.finish()?;
        let id = LocalizationId::generate();
        let at = now();
        let row = LocalizationRow {
            id,
            vendor_id: fields.vendor_id,
            country_code: fields.country_code,
            region_id: fields.region_id,
            stage,
            suspended_from_stage: None,
            stage_changed_on,
            local_content_percent: fields.local_content_percent,
            target_date: fields.target_date,
            partner: fields.partner,
            created_at: at,
            updated_at: at,
            version: 1,
        };
        repo::insert(conn, &row)?;
        repo::scopes::replace(conn, id, &fields.scope)?;
        // The history starts with the stage the localization was registered in.
        repo::insert_change(
            conn,
            &StageChangeRow {
                id: StageChangeId::generate(),
                localization_id: id,
                from_stage: None,
                to_stage: stage,
                changed_on: stage_changed_on,
                note,
                source,
                created_at: at,
            },
        )?;
        Ok(Change::created(Localization::from_row(row, fields.scope)))
    })
    .await?
    .into_after()
}

pub async fn get(pool: &DbPool, id: LocalizationId) -> Result<Localization, DomainError> {
    db::lookup(pool, move |conn| {
        let row = load(conn, id)?;
        let scope = scopes_for(conn, id)?;
        Ok(Localization::from_row(row, scope))
    })
    .await
}

pub async fn update(
    pool: &DbPool,
    context: &WriteContext,
    id: LocalizationId,
    patch: LocalizationPatch,
    precondition: Precondition,
) -> Result<Localization, DomainError> {
    db::write(pool, context, move |conn| {
        let current = load_for_update(conn, id)?;
        precondition.check(current.version)?;
        let current_scope = scopes_for(conn, id)?;
        let mut checks = Checks::new();
        for (field, present) in [
            ("stage", patch.stage.is_some()),
            ("suspended_from_stage", patch.suspended_from_stage.is_some()),
            ("stage_changed_on", patch.stage_changed_on.is_some()),
        ] {
            if present {
                checks.push(
                    field,
                    "read_only",
                    "the stage changes only through POST /v1/localizations/{id}/stage-changes",
                );
            }
        }
        let mut fields = LocalizationFields {
            vendor_id: checks.patched("vendor_id", patch.vendor_id, current.vendor_id),
            country_code: checks.patched(
                "country_code",
                patch.country_code,
                current.country_code.clone(),
            ),
            region_id: patch.region_id.unwrap_or(current.region_id),
            scope: checks.patched("scope", patch.scope, current_scope.clone()),
            local_content_percent: patch
                .local_content_percent
                .unwrap_or(current.local_content_percent),
            target_date: patch.target_date.unwrap_or(current.target_date),
            partner: patch.partner.unwrap_or(current.partner.clone()),
        };
        check_fields(&mut fields, &mut checks);
        checks.finish()?;
        let mut checks = Checks::new();
        if fields.vendor_id != current.vendor_id {
            check_vendor(conn, fields.vendor_id, &mut checks)?;
            // Equipment models produced under the localization are the old vendor's.
            crate::db::references::refuse_if_referenced(conn, id)?;
        }
        if fields.region_id != current.region_id || fields.country_code != current.country_code {
            check_region(conn, fields.region_id, &fields.country_code, &mut checks)?;
        }
        checks.finish()?;
        let row = LocalizationRow {
            vendor_id: fields.vendor_id,
            country_code: fields.country_code,
            region_id: fields.region_id,
            local_content_percent: fields.local_content_percent,
            target_date: fields.target_date,
            partner: fields.partner,
            updated_at: now(),
            version: current.version + 1,
            ..current.clone()
        };
        let mut scope = fields.scope;
        scope.sort();
        let mut stored = current_scope;
        stored.sort();
        let before = Localization::from_row(current.clone(), stored.clone());
        if repo::unchanged(&row, &current) && scope == stored {
            return Ok(Change::unchanged(before));
        }
        if !repo::update(conn, &row, current.version)? {
            return Err(stale(id));
        }
        if scope != stored {
            repo::scopes::replace(conn, id, &scope)?;
        }
        Ok(Change::updated(before, Localization::from_row(row, scope)))
    })
    .await?
    .into_after()
}

pub async fn delete(
    pool: &DbPool,
    context: &WriteContext,
    id: LocalizationId,
    precondition: Precondition,
) -> Result<(), DomainError> {
    db::write(pool, context, move |conn| {
        let current = load_for_update(conn, id)?;
        precondition.check(current.version)?;
        crate::db::references::refuse_if_referenced(conn, id)?;
        // A history beyond the opening entry records what happened; it outlives a wish to
        // tidy up. Such a localization is `cancelled`, not deleted.
        let changes = repo::change_count(conn, id)? - 1;
        DomainError::refuse_if_referenced("localization", id, &[("stage changes", changes)])
            .map_err(|refused| match refused {
                DomainError::Conflict { conflict, .. } => DomainError::Conflict {
                    detail: format!(
                        "localization {id} has {changes} stage change(s) in its history, which is \
                     kept; move it to `cancelled` instead of deleting it"
                    ),
                    conflict,
                },
                other => other,
            })?;
        let mut scope = scopes_for(conn, id)?;
        scope.sort();
        repo::delete(conn, id)?;
        Ok(Change::deleted(Localization::from_row(current, scope)))
    })
    .await
    .map(|_| ())
}

pub async fn list(
    pool: &DbPool,
    filter: LocalizationFilter,
    sort: Sort<LocalizationSort>,
    page: PageRequest,
) -> Result<(Vec<Localization>, Option<String>), DomainError> {
    list_page(pool, filter, sort, page, repo::list, |conn, rows| {
        Ok(repo::scopes::attach(
            conn,
            rows,
            |row: &LocalizationRow| row.id,
        )?)
    })
    .await
}

/// Applies a stage change and records it; returns the history entry and the localization's
/// new version.
pub async fn change_stage(
    pool: &DbPool,
    context: &WriteContext,
    id: LocalizationId,
    input: StageChangeCreate,
    precondition: Precondition,
) -> Result<(StageChange, i64), DomainError> {
    let today = today();
    let mut checks = Checks::new();
    let changed_on = input.changed_on.unwrap_or(today);
    check_change_date(&mut checks, "changed_on", changed_on, today);
    let note = checks.optional_note("note", input.note.as_deref(), MAX_NOTE_LENGTH);
    let source = checks.optional_text("source", input.source.as_deref(), MAX_SOURCE_LENGTH);
    checks.finish()?;
    let to = input.stage;
    db::write_outcome(pool, context, move |conn| {
        let current = load_for_update(conn, id)?;
        precondition.check(current.version)?;
        let from = current.stage;
        let suspended_from = current.suspended_from_stage;
        from.check_move(to, suspended_from)?;
        if changed_on < current.stage_changed_on {
            return Err(DomainError::invalid(
                "changed_on",
                "out_of_range",
                format!(
                    "must not be before the previous stage change on {}",
                    current.stage_changed_on
                ),
            ));
        }
        let at = now();
        let row = LocalizationRow {
            stage: to,
            // Only a suspension remembers where to return; any other move clears it.
            suspended_from_stage: (to == LocalizationStage::Suspended).then_some(from),
            stage_changed_on: changed_on,
            updated_at: at,
            version: current.version + 1,
            ..current.clone()
        };
        if !repo::update(conn, &row, current.version)? {
            return Err(stale(id));
        }
        let change = StageChangeRow {
            id: StageChangeId::generate(),
            localization_id: id,
            from_stage: Some(from),
            to_stage: to,
            changed_on,
            note,
            source,
            created_at: at,
        };
        repo::insert_change(conn, &change)?;
        let mut scope = scopes_for(conn, id)?;
        scope.sort();
        let version = row.version;
        let localization = Change::updated(
            Localization::from_row(current, scope.clone()),
            Localization::from_row(row, scope),
        )
        .as_action(AuditAction::StageChange);
        Ok((localization, (StageChange::from_row(change, ()), version)))
    })
    .await
}

/// A page of a localization's history, oldest first.
pub async fn history(
    pool: &DbPool,
    id: LocalizationId,
    page: PageRequest,
) -> Result<(Vec<StageChange>, Option<String>), DomainError> {
    db::run(pool, move |conn| {
        if !repo::exists(conn, id)? {
            return Err(DomainError::not_found("localization", id));
        }
        let rows = repo::history(conn, id, &page)?;
        let (rows, token) = finish_page(rows, &page, repo::history_cursor);
        let items = rows
            .into_iter()
            .map(|row| StageChange::from_row(row, ()))
            .collect();
        Ok((items, token))
    })
    .await
}

// A localization lies in its region; one without a region (the whole country) belongs to no
// region and needs `global` scope.
crate::audited!(Localization as "localization", |localization, _conn| Ok(vec![
    match localization.region_id {
        Some(region) => Place::Region(region),
        None => Place::Nowhere,
    }
]));
