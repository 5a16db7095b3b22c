use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::core::auth::Role;
use crate::core::paging::TimestampKey;
use crate::core::time::Timestamp;
use crate::regions::model::RegionId;
use crate::schema::api_keys;
use crate::{define_id, define_page, text_enum};

define_id!(ApiKeyId, "API key");

/// How every key begins: tells a key from a JWT, and lets secret scanners find leaked keys.
pub const KEY_PREFIX: &str = "lnk_";

text_enum!(
    /// Whether a key is accepted now: `active`, or refused since it `expired` or was
    /// `revoked`.
    ApiKeyStatus {
        Active => "active",
        Expired => "expired",
        Revoked => "revoked",
    }
);

/// An `api_keys` row.
#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Insertable, AsChangeset)]
#[diesel(table_name = api_keys, treat_none_as_null = true, treat_none_as_default_value = false)]
pub struct ApiKeyRow {
    pub id: ApiKeyId,
    pub prefix: String,
    /// SHA-256 of the whole key, hex.
    pub key_hash: String,
    pub name: String,
    pub role: Role,
    /// JSON array of region ids; `None` for every region.
    pub regions: Option<String>,
    pub global_scope: bool,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    pub expires_at: Option<Timestamp>,
    pub revoked_at: Option<Timestamp>,
    pub last_used_at: Option<Timestamp>,
    pub version: i64,
}

/// An API key, without its secret (shown once, when it is created).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[schema(example = json!({
    "id": "0193a0f4-9d20-7c3d-9a10-2b3c4d5e6fa0",
    "prefix": "lnk_4fK9pQ2x",
    "name": "kurgan-editor",
    "role": "editor",
    "regions": ["0193a0f4-5e6b-7c3d-9a10-2b3c4d5e6f70"],
    "global": false,
    "status": "active",
    "created_at": "2026-11-24T09:30:00Z",
    "expires_at": "2027-11-24T00:00:00Z",
    "revoked_at": null,
    "last_used_at": "2026-11-25T08:12:00Z",
    "version": 1
}))]
pub struct ApiKey {
    pub id: ApiKeyId,
    /// The key's first characters, to recognise it (in logs, in a list) without the secret.
    #[schema(example = "lnk_4fK9pQ2x", min_length = 12, max_length = 12)]
    pub prefix: String,
    /// What the key is for, or who holds it.
    #[schema(example = "kurgan-editor", min_length = 1, max_length = 100)]
    pub name: String,
    pub role: Role,
    /// The regions an editor may write in (with their subregions); `null` for every region.
    #[schema(value_type = Option<BTreeSet<RegionId>>, required = true, min_items = 1, max_items = 100, example = json!(["0193a0f4-5e6b-7c3d-9a10-2b3c4d5e6f70"]))]
    pub regions: Option<Vec<RegionId>>,
    /// Whether rows that belong to no region (vendors, organizations, localizations without
    /// a region) may be written: always `true` when `regions` is `null`.
    pub global: bool,
    pub status: ApiKeyStatus,
    pub created_at: Timestamp,
    /// When the key stops working; `null` for never.
    #[schema(required = true)]
    pub expires_at: Option<Timestamp>,
    /// When the key was revoked; `null` while it is not.
    #[schema(required = true)]
    pub revoked_at: Option<Timestamp>,
    /// When the key was last accepted, to the minute (the service writes it at most once a
    /// minute per key and instance); `null` if never.
    #[schema(required = true)]
    pub last_used_at: Option<Timestamp>,
    /// Grows with every change (revocation).
    #[schema(minimum = 1, example = 1)]
    pub version: i64,
}

/// A key just created: the key itself is in `key`, shown this once and never again.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(example = json!({
    "id": "0193a0f4-9d20-7c3d-9a10-2b3c4d5e6fa0",
    "prefix": "lnk_4fK9pQ2x",
    "name": "kurgan-editor",
    "role": "editor",
    "regions": ["0193a0f4-5e6b-7c3d-9a10-2b3c4d5e6f70"],
    "global": false,
    "status": "active",
    "created_at": "2026-11-24T09:30:00Z",
    "expires_at": null,
    "revoked_at": null,
    "last_used_at": null,
    "version": 1,
    "key": "lnk_4fK9pQ2x_Vb8Tq1mZk3Yw7Rn5Hs2Lc9Pd4Jf6Gx0Ae"
}))]
pub struct ApiKeyCreated {
    #[serde(flatten)]
    #[schema(inline)]
    pub api_key: ApiKey,
    /// The key to send as `Authorization: Bearer <key>`. Only its hash is stored: keep it
    /// now, it cannot be shown again.
    #[schema(example = "lnk_4fK9pQ2x_Vb8Tq1mZk3Yw7Rn5Hs2Lc9Pd4Jf6Gx0Ae")]
    pub key: String,
}

/// The body that creates an API key.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "name": "kurgan-editor",
    "role": "editor",
    "regions": ["0193a0f4-5e6b-7c3d-9a10-2b3c4d5e6f70"],
    "expires_at": "2027-11-24T00:00:00Z"
}))]
pub struct ApiKeyCreate {
    /// What the key is for, or who holds it: 1 to 100 characters, trimmed.
    #[schema(min_length = 1, max_length = 100, example = "kurgan-editor")]
    pub name: String,
    pub role: Role,
    /// For an `editor`: the regions it may write in, with their subregions (1 to 100
    /// existing region ids). Absent or `null`: every region.
    #[serde(default)]
    #[schema(value_type = Option<BTreeSet<RegionId>>, min_items = 1, max_items = 100, example = json!(["0193a0f4-5e6b-7c3d-9a10-2b3c4d5e6f70"]))]
    pub regions: Option<Vec<RegionId>>,
    /// With `regions`: whether rows that belong to no region may be written too (default
    /// `false`). Without `regions` it is always `true`.
    #[serde(default)]
    #[schema(example = false)]
    pub global: Option<bool>,
    /// When the key stops working (in the future); absent or `null` for never.
    #[serde(default)]
    pub expires_at: Option<Timestamp>,
}

define_page!(ApiKeyPage, ApiKey, "A page of API keys.");

crate::sort_fields! {
    /// Fields an API key list can be sorted by.
    pub enum ApiKeySort for ApiKeyRow in api_keys, id ApiKeyId, default CreatedAt {
        CreatedAt = "created_at" => TimestampKey, api_keys::created_at, |row| row.created_at;
    }
}

/// Filters of an API key list (already parsed).
#[derive(Debug, Clone, Default)]
pub struct ApiKeyFilter {
    pub roles: Option<Vec<Role>>,
    pub statuses: Option<Vec<ApiKeyStatus>>,
}
