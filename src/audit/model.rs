//! What the audit trail and the change feed look like on the wire, and the rows they are
//! read from.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::ToSchema;

use crate::core::auth::{Actor, ActorKind};
use crate::core::error::{DomainError, FieldCode};
use crate::core::paging::{Cursor, FixedOrder, SortKey};
use crate::core::time::Timestamp;
use crate::db::audit::{AuditAction, AuditEventId, RecordId};
use crate::schema::audit_events;

/// The resource types whose records appear in the audit trail.
pub const RESOURCE_TYPES: &[&str] = &[
    "region",
    "laboratory",
    "vendor",
    "localization",
    "organization",
    "equipment_model",
    "equipment_unit",
    "registration_certificate",
    "recognition_agreement",
    "api_key",
];

/// An `audit_events` row, as the trail and the feed read it.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = audit_events)]
pub struct AuditEventRow {
    pub seq: i64,
    pub id: AuditEventId,
    pub position: Option<i64>,
    pub occurred_at: Timestamp,
    pub actor_kind: String,
    pub actor_id: String,
    pub actor_name: Option<String>,
    pub request_id: Option<String>,
    pub resource_type: String,
    pub resource_id: RecordId,
    pub action: String,
    pub version: Option<i64>,
    pub changes: String,
    pub snapshot: Option<String>,
}

/// One changed field of a write.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[schema(example = json!({"field": "name", "old": "Kurgan hub", "new": "Kurgan central hub"}))]
pub struct AuditFieldChange {
    /// The member of the record (`name`, `status`, `hub_id`...).
    pub field: String,
    /// Its value before the write, of the field's own type (`null` when it had none, or on
    /// create).
    #[schema(value_type = Value)]
    pub old: Value,
    /// Its value after the write, of the field's own type (`null` when cleared, or on
    /// delete).
    #[schema(value_type = Value)]
    pub new: Value,
}

/// One write to one record: who made it, when, in which request, and each field it changed.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(example = json!({
    "id": "0193a0f4-9d20-7c3d-9a10-2b3c4d5e6fb1",
    "occurred_at": "2026-11-24T09:30:00.123456Z",
    "actor": {"kind": "api_key", "id": "0193a0f4-9d20-7c3d-9a10-2b3c4d5e6fa0", "name": "kurgan-editor"},
    "request_id": "3f0b3c1e-5c1a-4c39-9a55-8d0f3c7e2a11",
    "resource_type": "laboratory",
    "resource_id": "0193a0f4-8b31-7c3d-9a10-2b3c4d5e6f71",
    "action": "update",
    "version": 3,
    "changes": [{"field": "name", "old": "Kurgan hub", "new": "Kurgan central hub"}]
}))]
pub struct AuditEvent {
    /// The event's id.
    pub id: uuid::Uuid,
    /// When the write happened (its transaction's clock, UTC).
    pub occurred_at: Timestamp,
    /// Who made the write.
    pub actor: Actor,
    /// The `X-Request-Id` of the request that made it (`null` for writes made outside a
    /// request, such as the command line).
    #[schema(required = true, example = "3f0b3c1e-5c1a-4c39-9a55-8d0f3c7e2a11")]
    pub request_id: Option<String>,
    /// The record's type: `region`, `laboratory`, `vendor`, `localization`, `organization`,
    /// `equipment_model`, `equipment_unit`, `registration_certificate`,
    /// `recognition_agreement` or `api_key`.
    #[schema(example = "laboratory")]
    pub resource_type: String,
    /// The record's id.
    pub resource_id: uuid::Uuid,
    /// What the write did.
    pub action: AuditAction,
    /// The record's version after the write (before it, for a delete).
    #[schema(required = true, example = 3)]
    pub version: Option<i64>,
    /// Each field whose value the write changed, in the record's member order; bookkeeping
    /// members (`id`, `version`, `created_at`, `updated_at`) are not listed.
    pub changes: Vec<AuditFieldChange>,
}

impl AuditEvent {
    pub fn from_row(row: AuditEventRow) -> Result<Self, DomainError> {
        let kind: ActorKind = row
            .actor_kind
            .parse()
            .map_err(|_| DomainError::internal("an audit event names an unknown actor kind"))?;
        let action: AuditAction = row
            .action
            .parse()
            .map_err(|_| DomainError::internal("an audit event names an unknown action"))?;
        let changes: Vec<AuditFieldChange> = serde_json::from_str(&row.changes)
            .map_err(|e| DomainError::internal(format!("an audit event's changes: {e}")))?;
        Ok(AuditEvent {
            id: row.id.0,
            occurred_at: row.occurred_at,
            actor: Actor {
                kind,
                id: row.actor_id,
                name: row.actor_name,
            },
            request_id: row.request_id,
            resource_type: row.resource_type,
            resource_id: row.resource_id.0,
            action,
            version: row.version,
            changes,
        })
    }
}

crate::define_page!(AuditEventPage, AuditEvent, "A page of audit events.");

/// Filters of the audit trail (already parsed).
#[derive(Debug, Clone, Default)]
pub struct AuditFilter {
    pub resource_types: Option<Vec<String>>,
    pub resource_id: Option<uuid::Uuid>,
    pub actor_id: Option<String>,
    pub actions: Option<Vec<AuditAction>>,
    pub occurred_after: Option<Timestamp>,
    pub occurred_before: Option<Timestamp>,
}

/// The one order of `GET /v1/audit-events`: newest first, by insert order.
#[derive(Debug, Clone, Copy)]
pub struct NewestFirst;

impl FixedOrder for NewestFirst {
    const NAME: &'static str = "-seq";
}

/// The one order of a record's trail: oldest first, by insert order.
#[derive(Debug, Clone, Copy)]
pub struct OldestFirst;

impl FixedOrder for OldestFirst {
    const NAME: &'static str = "seq";
}

/// The page token after `row` in `order`.
pub fn trail_cursor<O: FixedOrder>(row: &AuditEventRow) -> Cursor {
    Cursor::new(O::NAME, Some(SortKey::Int(row.seq)), row.id.0)
}

/// A place in the change feed: the position of the last change read. Opaque to clients:
/// base64url (no padding) of `f1:<position>`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FeedCursor(pub i64);

const FEED_CURSOR_PREFIX: &str = "f1:";

impl FeedCursor {
    /// Before the first change.
    pub const START: FeedCursor = FeedCursor(0);

    pub fn encode(self) -> String {
        URL_SAFE_NO_PAD.encode(format!("{FEED_CURSOR_PREFIX}{}", self.0))
    }

    /// Reads a cursor this service issued; anything else is a 400 naming `after`.
    pub fn decode(text: &str) -> Result<Self, DomainError> {
        URL_SAFE_NO_PAD
            .decode(text.trim())
            .ok()
            .and_then(|bytes| String::from_utf8(bytes).ok())
            .and_then(|text| {
                text.strip_prefix(FEED_CURSOR_PREFIX)
                    .and_then(|digits| digits.parse::<i64>().ok())
            })
            .filter(|position| *position >= 0)
            .map(FeedCursor)
            .ok_or_else(|| {
                DomainError::bad_parameter(
                    "after",
                    FieldCode::Invalid,
                    "the cursor is malformed or was not issued by this change feed",
                )
            })
    }
}

/// One change in the feed.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(example = json!({
    "cursor": "ZjE6NDI",
    "occurred_at": "2026-11-24T09:30:00.123456Z",
    "resource_type": "laboratory",
    "resource_id": "0193a0f4-8b31-7c3d-9a10-2b3c4d5e6f71",
    "action": "update",
    "version": 3,
    "deleted": false,
    "resource": {"id": "0193a0f4-8b31-7c3d-9a10-2b3c4d5e6f71", "code": "KRG-001", "name": "Kurgan central hub", "version": 3}
}))]
pub struct FeedChange {
    /// The feed's position of this change: pass it as `after` to resume right after it.
    #[schema(example = "ZjE6NDI")]
    pub cursor: String,
    /// When the write happened.
    pub occurred_at: Timestamp,
    /// The record's type: `region`, `laboratory`, `vendor`, `localization`,
    /// `organization`, `equipment_model`, `equipment_unit`, `registration_certificate` or
    /// `recognition_agreement`.
    #[schema(example = "laboratory")]
    pub resource_type: String,
    /// The record's id.
    pub resource_id: uuid::Uuid,
    /// What the write did.
    pub action: AuditAction,
    /// The record's version after the write (its last version, for a delete).
    #[schema(required = true, example = 3)]
    pub version: Option<i64>,
    /// Whether the record was deleted (then `resource` is `null`: a tombstone).
    pub deleted: bool,
    /// The whole record after the write, as its own `GET` shows it; `null` when deleted.
    #[schema(value_type = Object, nullable = true, required = true)]
    pub resource: Option<Value>,
}

impl FeedChange {
    pub fn from_row(row: AuditEventRow, position: i64) -> Result<Self, DomainError> {
        let action: AuditAction = row
            .action
            .parse()
            .map_err(|_| DomainError::internal("an audit event names an unknown action"))?;
        let resource = row
            .snapshot
            .as_deref()
            .map(serde_json::from_str::<Value>)
            .transpose()
            .map_err(|e| DomainError::internal(format!("an audit event's snapshot: {e}")))?;
        Ok(FeedChange {
            cursor: FeedCursor(position).encode(),
            occurred_at: row.occurred_at,
            resource_type: row.resource_type,
            resource_id: row.resource_id.0,
            deleted: resource.is_none(),
            action,
            version: row.version,
            resource,
        })
    }
}

/// A stretch of the change feed.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "items": [{
        "cursor": "ZjE6NDI",
        "occurred_at": "2026-11-24T09:30:00.123456Z",
        "resource_type": "laboratory",
        "resource_id": "0193a0f4-8b31-7c3d-9a10-2b3c4d5e6f71",
        "action": "delete",
        "version": 4,
        "deleted": true,
        "resource": null
    }],
    "next_cursor": "ZjE6NDI"
}))]
pub struct ChangeFeed {
    /// The changes after the given cursor, in feed order (oldest first).
    pub items: Vec<FeedChange>,
    /// Pass as `after` to read on: the position after the last item, or the cursor given
    /// when there is nothing new (always sent).
    #[schema(example = "ZjE6NDI")]
    pub next_cursor: String,
}
