//! What a write changed, as the one write path records it: the audit event (who, when, the
//! request, each changed field with its old and new value, the record after the write) in
//! the write's own transaction, and the check that a region-scoped caller stays inside its
//! regions. A resource takes part by describing itself (`Audited`) and by returning a
//! [`Change`] from its write; it cannot write without one.

use diesel::prelude::*;
use serde::Serialize;
use serde_json::{Map, Value};

use super::DbConn;
use crate::core::auth::Caller;
use crate::core::context::WriteContext;
use crate::core::error::DomainError;
use crate::core::time::{now, Timestamp};
use crate::regions::model::RegionId;
use crate::schema::{audit_events, regions};
use crate::text_enum;

text_enum!(
    /// What a write did to a record.
    AuditAction {
        Create => "create",
        Update => "update",
        Delete => "delete",
        /// A localization moved to another stage (`POST .../stage-changes`).
        StageChange => "stage_change",
        /// An API key was revoked.
        Revoke => "revoke",
    }
);

/// Where a record lies, for region scopes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Place {
    /// In this region (or, through it, in its ancestors).
    Region(RegionId),
    /// A region itself: inside a scope that names it, or one of its ancestors (through
    /// `parent`, which a write to this region cannot move).
    RegionItself {
        id: RegionId,
        parent: Option<RegionId>,
    },
    /// In no region: needs `global` scope.
    Nowhere,
}

/// A record the audit trail and the change feed know.
pub trait Audited: Serialize + Send + 'static {
    /// The record's type in events (`laboratory`), as in `GET /v1/audit-events?resource_type=`.
    const RESOURCE_TYPE: &'static str;

    fn audit_id(&self) -> uuid::Uuid;

    fn audit_version(&self) -> Option<i64>;

    /// Where the record lies: its own place first, then the places it links to (a
    /// laboratory's hub), which a write may only link to inside the caller's scope.
    fn places(&self, conn: &mut DbConn) -> Result<Vec<Place>, DomainError>;

    /// Whether the change feed carries this record's changes (API keys stay out of it).
    fn in_feed() -> bool {
        true
    }
}

/// What one write did to one record: created it (`before` is `None`), changed it, or
/// deleted it (`after` is `None`). A write that changed nothing has both, equal, and
/// records no event.
#[derive(Debug, Clone)]
pub struct Change<T> {
    pub action: AuditAction,
    pub before: Option<T>,
    pub after: Option<T>,
    /// Whether anything was written (an update that restates the record writes nothing).
    pub written: bool,
}

impl<T> Change<T> {
    pub fn created(after: T) -> Self {
        Change {
            action: AuditAction::Create,
            before: None,
            after: Some(after),
            written: true,
        }
    }

    pub fn updated(before: T, after: T) -> Self {
        Change {
            action: AuditAction::Update,
            before: Some(before),
            after: Some(after),
            written: true,
        }
    }

    pub fn deleted(before: T) -> Self {
        Change {
            action: AuditAction::Delete,
            before: Some(before),
            after: None,
            written: true,
        }
    }

    /// Nothing was written: the record stays as it is (still subject to the scope check).
    pub fn unchanged(current: T) -> Self
    where
        T: Clone,
    {
        Change {
            action: AuditAction::Update,
            before: Some(current.clone()),
            after: Some(current),
            written: false,
        }
    }

    /// The same change under another action name (`stage_change`, `revoke`).
    pub fn as_action(mut self, action: AuditAction) -> Self {
        self.action = action;
        self
    }

    /// The record after the write, or before it for a delete.
    pub fn value(&self) -> Option<&T> {
        self.after.as_ref().or(self.before.as_ref())
    }

    /// The record after the write.
    pub fn into_after(self) -> Result<T, DomainError> {
        self.after
            .ok_or_else(|| DomainError::internal("a write that deletes has no record after it"))
    }
}

crate::define_id!(AuditEventId, "audit event");
crate::define_id!(RecordId, "record");

/// An `audit_events` row to insert.
#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = audit_events)]
pub struct NewAuditEvent {
    pub id: AuditEventId,
    pub occurred_at: Timestamp,
    pub actor_kind: String,
    pub actor_id: String,
    pub actor_name: Option<String>,
    pub request_id: Option<String>,
    pub resource_type: String,
    pub resource_id: RecordId,
    pub action: String,
    pub in_feed: bool,
    pub version: Option<i64>,
    pub changes: String,
    pub snapshot: Option<String>,
}

/// One changed field.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FieldChange {
    pub field: String,
    pub old: Value,
    pub new: Value,
}

/// Members that every write changes and no client sets: not listed as changes.
const BOOKKEEPING: &[&str] = &["id", "version", "created_at", "updated_at"];

fn members(value: Option<Value>) -> Map<String, Value> {
    match value {
        Some(Value::Object(members)) => members,
        _ => Map::new(),
    }
}

/// Each top-level member whose value differs between `before` and `after` (a missing
/// member counts as `null`), in the order the record lists them.
pub fn field_changes(before: Option<Value>, after: Option<Value>) -> Vec<FieldChange> {
    let before = members(before);
    let after = members(after);
    let mut names: Vec<&String> = after.keys().collect();
    names.extend(before.keys().filter(|name| !after.contains_key(*name)));
    names
        .into_iter()
        .filter(|name| !BOOKKEEPING.contains(&name.as_str()))
        .filter_map(|name| {
            let old = before.get(name).cloned().unwrap_or(Value::Null);
            let new = after.get(name).cloned().unwrap_or(Value::Null);
            (old != new).then(|| FieldChange {
                field: name.clone(),
                old,
                new,
            })
        })
        .collect()
}

fn to_json<T: Serialize>(value: &T) -> Result<Value, DomainError> {
    serde_json::to_value(value)
        .map_err(|e| DomainError::internal(format!("could not serialize a record: {e}")))
}

/// The event recording `change` as made by `context`'s caller; `None` when nothing was
/// written.
pub fn event_for<T: Audited>(
    context: &WriteContext,
    change: &Change<T>,
) -> Result<Option<NewAuditEvent>, DomainError> {
    let Some(value) = change.value() else {
        return Ok(None);
    };
    if !change.written {
        return Ok(None);
    }
    let before = change.before.as_ref().map(to_json).transpose()?;
    let after = change.after.as_ref().map(to_json).transpose()?;
    let snapshot = after.as_ref().map(Value::to_string);
    let changes = serde_json::to_string(&field_changes(before, after))
        .map_err(|e| DomainError::internal(format!("could not serialize changes: {e}")))?;
    let actor = &context.caller.actor;
    Ok(Some(NewAuditEvent {
        id: AuditEventId::generate(),
        occurred_at: now(),
        actor_kind: actor.kind.as_str().to_owned(),
        actor_id: actor.id.clone(),
        actor_name: actor.name.clone(),
        request_id: context.request_id.clone(),
        resource_type: T::RESOURCE_TYPE.to_owned(),
        in_feed: T::in_feed(),
        resource_id: RecordId(value.audit_id()),
        action: change.action.as_str().to_owned(),
        version: value.audit_version(),
        changes,
        snapshot,
    }))
}

/// Records a change that a write makes to another record than its own (a unit's write
/// recounts its laboratory's units), in the same transaction and as the same caller: that
/// record's trail and the change feed then show it too.
pub fn record<T: Audited>(
    conn: &mut DbConn,
    context: &WriteContext,
    change: &Change<T>,
) -> Result<(), DomainError> {
    if let Some(event) = event_for(context, change)? {
        insert(conn, &event)?;
    }
    Ok(())
}

/// Inserts an event (on its own; the PostgreSQL create fast path appends it to its
/// combined statement instead).
pub fn insert(conn: &mut DbConn, event: &NewAuditEvent) -> QueryResult<()> {
    diesel::insert_into(audit_events::table)
        .values(event)
        .execute(conn)
        .map(|_| ())
}

/// Refuses `change` (403, nothing is written: the caller's transaction rolls back) when it
/// touches a place outside the caller's scope: the record's own place before and after the
/// write, and every place it newly links to.
pub fn check_scope<T: Audited>(
    conn: &mut DbConn,
    caller: &Caller,
    change: &Change<T>,
) -> Result<(), DomainError> {
    if caller.unlimited() {
        return Ok(());
    }
    let before = match &change.before {
        Some(value) => value.places(conn)?,
        None => Vec::new(),
    };
    let after = match &change.after {
        Some(value) => value.places(conn)?,
        None => Vec::new(),
    };
    let mut checked: Vec<Place> = Vec::new();
    checked.extend(before.first().copied());
    checked.extend(after.first().copied());
    checked.extend(
        after
            .iter()
            .skip(1)
            .filter(|p| !before.contains(p))
            .copied(),
    );
    for place in checked {
        if !in_scope(conn, caller, place)? {
            return Err(refusal(T::RESOURCE_TYPE, place));
        }
    }
    Ok(())
}

fn refusal(resource: &str, place: Place) -> DomainError {
    match place {
        Place::Nowhere => DomainError::outside_scope(
            Vec::new(),
            format!("a {resource} belongs to no region: writing it needs `global` scope"),
        ),
        Place::Region(region) | Place::RegionItself { id: region, .. } => {
            DomainError::outside_scope(
                vec![region.0],
                format!("region {region} is outside the regions this caller may write in"),
            )
        }
    }
}

fn in_scope(conn: &mut DbConn, caller: &Caller, place: Place) -> Result<bool, DomainError> {
    let Some(scope_regions) = &caller.scope.regions else {
        return Ok(true);
    };
    match place {
        Place::Nowhere => Ok(caller.scope.global),
        Place::RegionItself { id, parent } => {
            if scope_regions.contains(&id) {
                return Ok(true);
            }
            match parent {
                Some(parent) => region_in(conn, scope_regions, parent),
                None => Ok(false),
            }
        }
        Place::Region(region) => region_in(conn, scope_regions, region),
    }
}

/// Whether `region` is one of `scope` or lies below one of them (its materialized path,
/// `/<id>/.../<id>/`, names every ancestor).
fn region_in(conn: &mut DbConn, scope: &[RegionId], region: RegionId) -> Result<bool, DomainError> {
    if scope.contains(&region) {
        return Ok(true);
    }
    let path: Option<String> = regions::table
        .find(region)
        .select(regions::path)
        .first(conn)
        .optional()?;
    Ok(path.is_some_and(|path| {
        scope
            .iter()
            .any(|allowed| path.contains(&format!("/{allowed}/")))
    }))
}

/// Declares how a resource (with `id` and `version` members) takes part in the audit trail:
/// its type name in events and where it lies.
///
/// ```ignore
/// crate::audited!(Vendor as "vendor", |_vendor, _conn| Ok(vec![Place::Nowhere]));
/// ```
#[macro_export]
macro_rules! audited {
    ($resource:ty as $name:literal, |$value:ident, $conn:ident| $places:expr) => {
        impl $crate::db::audit::Audited for $resource {
            const RESOURCE_TYPE: &'static str = $name;

            fn audit_id(&self) -> uuid::Uuid {
                self.id.0
            }

            fn audit_version(&self) -> Option<i64> {
                Some(self.version)
            }

            fn places(
                &self,
                $conn: &mut $crate::db::DbConn,
            ) -> Result<Vec<$crate::db::audit::Place>, $crate::core::error::DomainError> {
                let $value = self;
                $places
            }
        }
    };
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn only_changed_members_are_listed() {
        let changes = field_changes(
            Some(json!({"id": 1, "name": "A", "kind": "x", "version": 1})),
            Some(json!({"id": 1, "name": "B", "kind": "x", "version": 2})),
        );
        assert_eq!(
            changes,
            vec![FieldChange {
                field: "name".into(),
                old: json!("A"),
                new: json!("B")
            }]
        );
    }

    #[test]
    fn a_create_lists_every_member_and_a_delete_too() {
        let created = field_changes(None, Some(json!({"name": "A", "website": null})));
        assert_eq!(created.len(), 1);
        assert_eq!(created[0].old, Value::Null);
        let deleted = field_changes(Some(json!({"name": "A"})), None);
        assert_eq!(deleted[0].new, Value::Null);
    }
}
