//! Rules for API keys: making one (the secret is returned once, only its hash is kept),
//! listing, revoking, and telling who a presented key belongs to.

use rand::distr::{Alphanumeric, SampleString};
use sha2::{Digest, Sha256};

use super::model::{
    ApiKey, ApiKeyCreate, ApiKeyCreated, ApiKeyFilter, ApiKeyId, ApiKeyRow, ApiKeySort,
    ApiKeyStatus, KEY_PREFIX,
};
use super::repo;
use crate::core::auth::{Actor, ActorKind, Caller, Role, Scope};
use crate::core::context::WriteContext;
use crate::core::error::DomainError;
use crate::core::ids::ResourceId;
use crate::core::paging::{PageRequest, Sort};
use crate::core::precondition::Precondition;
use crate::core::time::{now, Timestamp};
use crate::db::audit::{AuditAction, Audited, Change, Place};
use crate::db::rows::list_page;
use crate::db::{self, DbConn, DbPool};
use crate::regions::model::RegionId;
use crate::validation::Checks;

const MAX_NAME_LENGTH: usize = 100;
const MAX_REGIONS: usize = 100;
/// Random characters after `lnk_` in the visible prefix, and in the secret part.
const PREFIX_CHARACTERS: usize = 8;
const SECRET_CHARACTERS: usize = 40;
/// Longest text that can be a key; anything longer is refused unseen.
pub const MAX_KEY_LENGTH: usize = KEY_PREFIX.len() + PREFIX_CHARACTERS + 1 + SECRET_CHARACTERS;

/// SHA-256 of a key, hex. Keys are 238 random bits, so a plain hash cannot be reversed by
/// guessing; a slow password hash would only cost every request its speed.
pub fn key_hash(key: &str) -> String {
    Sha256::digest(key.as_bytes())
        .iter()
        .map(|byte| format!("{byte:02x}"))
        .collect()
}

/// The visible prefix of a key (`lnk_` and 8 characters), if it is shaped like one.
pub fn prefix_of(key: &str) -> Option<&str> {
    let prefix = key.get(..KEY_PREFIX.len() + PREFIX_CHARACTERS)?;
    (key.len() == MAX_KEY_LENGTH && prefix.starts_with(KEY_PREFIX)).then_some(prefix)
}

fn status_of(row: &ApiKeyRow, at: Timestamp) -> ApiKeyStatus {
    if row.revoked_at.is_some() {
        ApiKeyStatus::Revoked
    } else if row.expires_at.is_some_and(|expires| expires <= at) {
        ApiKeyStatus::Expired
    } else {
        ApiKeyStatus::Active
    }
}

fn regions_of(row: &ApiKeyRow) -> Result<Option<Vec<RegionId>>, DomainError> {
    row.regions
        .as_deref()
        .map(serde_json::from_str)
        .transpose()
        .map_err(|e| DomainError::internal(format!("stored regions of key {}: {e}", row.id)))
}

pub fn resource_of(row: ApiKeyRow) -> Result<ApiKey, DomainError> {
    Ok(ApiKey {
        status: status_of(&row, now()),
        regions: regions_of(&row)?,
        id: row.id,
        prefix: row.prefix,
        name: row.name,
        role: row.role,
        global: row.global_scope,
        created_at: row.created_at,
        expires_at: row.expires_at,
        revoked_at: row.revoked_at,
        last_used_at: row.last_used_at,
        version: row.version,
    })
}

/// The caller a stored key stands for.
pub fn caller_of(row: &ApiKeyRow) -> Result<Caller, DomainError> {
    Ok(Caller {
        actor: Actor {
            kind: ActorKind::ApiKey,
            id: row.id.to_string(),
            name: Some(row.name.clone()),
        },
        role: Some(row.role),
        scope: Scope {
            regions: regions_of(row)?,
            global: row.global_scope,
        },
    })
}

pub async fn create(
    pool: &DbPool,
    context: &WriteContext,
    input: ApiKeyCreate,
) -> Result<ApiKeyCreated, DomainError> {
    let mut checks = Checks::new();
    let name = checks.text("name", &input.name, MAX_NAME_LENGTH);
    if let Some(regions) = &input.regions {
        if input.role != Role::Editor {
            checks.push(
                "regions",
                "invalid",
                "only an editor key is limited to regions (a reader reads everything, an admin \
                 does everything)",
            );
        } else if regions.is_empty() || regions.len() > MAX_REGIONS {
            checks.push(
                "regions",
                "out_of_range",
                format!("give 1 to {MAX_REGIONS} region ids, or leave it out for every region"),
            );
        }
        checks.unique_list("regions", regions);
    } else if input.global == Some(false) {
        checks.push(
            "global",
            "invalid",
            "a key for every region also writes rows in no region; `global: false` needs \
             `regions`",
        );
    }
    let at = now();
    if input.expires_at.is_some_and(|expires| expires <= at) {
        checks.push("expires_at", "out_of_range", "must be in the future");
    }
    checks.finish()?;
    let regions = input.regions;
    let global = regions.is_none() || input.global.unwrap_or(false);
    let prefix = format!(
        "{KEY_PREFIX}{}",
        Alphanumeric.sample_string(&mut rand::rng(), PREFIX_CHARACTERS)
    );
    let key = format!(
        "{prefix}_{}",
        Alphanumeric.sample_string(&mut rand::rng(), SECRET_CHARACTERS)
    );
    let row = ApiKeyRow {
        id: ApiKeyId::generate(),
        prefix,
        key_hash: key_hash(&key),
        name,
        role: input.role,
        regions: regions
            .as_ref()
            .map(serde_json::to_string)
            .transpose()
            .map_err(|e| DomainError::internal(format!("regions: {e}")))?,
        global_scope: global,
        created_at: at,
        updated_at: at,
        expires_at: input.expires_at,
        revoked_at: None,
        last_used_at: None,
        version: 1,
    };
    let created = db::write(pool, context, move |conn| {
        if let Some(regions) = &regions {
            check_regions_exist(conn, regions)?;
        }
        repo::insert(conn, &row)?;
        Ok(Change::created(resource_of(row)?))
    })
    .await?
    .into_after()?;
    Ok(ApiKeyCreated {
        api_key: created,
        key,
    })
}

fn check_regions_exist(conn: &mut DbConn, regions: &[RegionId]) -> Result<(), DomainError> {
    let mut checks = Checks::new();
    for (index, region) in regions.iter().enumerate() {
        if crate::regions::repo::find(conn, *region)?.is_none() {
            checks.push(
                &format!("regions[{index}]"),
                "not_found",
                format!("region {region} does not exist"),
            );
        }
    }
    checks.finish()
}

pub async fn get(pool: &DbPool, id: ApiKeyId) -> Result<ApiKey, DomainError> {
    db::lookup(pool, move |conn| {
        resource_of(repo::find(conn, id)?.ok_or_else(|| id.not_found())?)
    })
    .await
}

pub async fn list(
    pool: &DbPool,
    filter: ApiKeyFilter,
    sort: Sort<ApiKeySort>,
    page: PageRequest,
) -> Result<(Vec<ApiKey>, Option<String>), DomainError> {
    list_page(pool, filter, sort, page, repo::list, |_, rows| {
        rows.into_iter().map(resource_of).collect()
    })
    .await
}

/// Revokes a key for good; revoking a revoked key changes nothing.
pub async fn revoke(
    pool: &DbPool,
    context: &WriteContext,
    id: ApiKeyId,
    precondition: Precondition,
) -> Result<ApiKey, DomainError> {
    db::write(pool, context, move |conn| {
        let current = repo::find_for_update(conn, id)?.ok_or_else(|| id.not_found())?;
        precondition.check(current.version)?;
        revoked(conn, current)
    })
    .await?
    .into_after()
}

/// Revokes the key with this prefix (the command line's `labnet keys revoke <prefix>`).
pub async fn revoke_by_prefix(
    pool: &DbPool,
    context: &WriteContext,
    prefix: String,
) -> Result<ApiKey, DomainError> {
    db::write(pool, context, move |conn| {
        let current = repo::find_by_prefix(conn, &prefix)?
            .ok_or_else(|| DomainError::NotFound(format!("no API key has prefix {prefix}")))?;
        revoked(conn, current)
    })
    .await?
    .into_after()
}

fn revoked(conn: &mut DbConn, current: ApiKeyRow) -> Result<Change<ApiKey>, DomainError> {
    if current.revoked_at.is_some() {
        return Ok(Change::unchanged(resource_of(current)?));
    }
    let at = now();
    let row = ApiKeyRow {
        revoked_at: Some(at),
        updated_at: at,
        version: current.version + 1,
        ..current.clone()
    };
    repo::update_or_stale(conn, &row, current.version, DomainError::from)?;
    Ok(Change::updated(resource_of(current)?, resource_of(row)?).as_action(AuditAction::Revoke))
}

/// The stored key a presented key names, if any.
pub async fn find_presented(pool: &DbPool, key: String) -> Result<Option<ApiKeyRow>, DomainError> {
    db::lookup(pool, move |conn| {
        Ok(repo::find_by_hash(conn, &key_hash(&key))?)
    })
    .await
}

/// Notes that a key was accepted (a background write, a minute apart at most per key and
/// instance: recording every use would turn each read into a write).
pub async fn mark_used(pool: &DbPool, id: ApiKeyId) -> Result<(), DomainError> {
    db::run(pool, move |conn| {
        repo::touch(conn, id, now())?;
        Ok(())
    })
    .await
}

impl Audited for ApiKey {
    const RESOURCE_TYPE: &'static str = "api_key";

    fn audit_id(&self) -> uuid::Uuid {
        self.id.0
    }

    fn audit_version(&self) -> Option<i64> {
        Some(self.version)
    }

    fn places(&self, _: &mut DbConn) -> Result<Vec<Place>, DomainError> {
        Ok(vec![Place::Nowhere])
    }

    /// Keys are not registry data: integrators following the feed never see them.
    fn in_feed() -> bool {
        false
    }
}
