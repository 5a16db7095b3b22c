//! Who is calling: the caller's identity, role and region scope, resolved once per request
//! from its credentials and handed, with the request id, to every service write. Knows
//! neither HTTP nor a database backend.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::regions::model::RegionId;
use crate::text_enum;

text_enum!(
    /// What a caller may do. Each role includes the ones before it: a `reader` makes every
    /// GET, an `editor` also writes the registry (within its scope), an `admin` does
    /// everything, API keys included.
    Role {
        Reader => "reader",
        Editor => "editor",
        Admin => "admin",
    }
);

impl Role {
    /// Whether this role includes `needed`.
    pub fn includes(self, needed: Role) -> bool {
        self >= needed
    }
}

text_enum!(
    /// How a caller proved who it is.
    ActorKind {
        /// An API key (`id` is the key's id).
        ApiKey => "api_key",
        /// A JWT bearer token from a configured identity provider (`id` is its `sub`).
        Token => "token",
        /// No credentials (reads only, when `LABNET_PUBLIC_READ` is on).
        Anonymous => "anonymous",
        /// The service itself or its command line on the server (`labnet keys ...`).
        System => "system",
    }
);

/// Who made a change, as the audit trail records it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[schema(example = json!({"kind": "api_key", "id": "0193a0f4-9d20-7c3d-9a10-2b3c4d5e6fa0", "name": "kurgan-editor"}))]
pub struct Actor {
    pub kind: ActorKind,
    /// The key's id, the token's subject, `anonymous`, or `cli` for the command line.
    #[schema(example = "0193a0f4-9d20-7c3d-9a10-2b3c4d5e6fa0")]
    pub id: String,
    /// The key's name, when the actor is a key.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    #[schema(nullable = false, example = "kurgan-editor")]
    pub name: Option<String>,
}

/// Where an editor may write.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Scope {
    /// `None`: every region. `Some`: only rows in these regions or their subregions.
    pub regions: Option<Vec<RegionId>>,
    /// Whether rows that belong to no region (vendors, organizations, localizations
    /// without a region) may be written. Always true when `regions` is `None`.
    pub global: bool,
}

impl Scope {
    /// Every row.
    pub fn everything() -> Self {
        Scope {
            regions: None,
            global: true,
        }
    }

    /// Whether nothing needs to be looked up to allow any write.
    pub fn is_unlimited(&self) -> bool {
        self.regions.is_none()
    }
}

/// The caller of one request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Caller {
    pub actor: Actor,
    /// `None` for an anonymous caller.
    pub role: Option<Role>,
    pub scope: Scope,
}

impl Caller {
    /// A request without credentials.
    pub fn anonymous() -> Self {
        Caller {
            actor: Actor {
                kind: ActorKind::Anonymous,
                id: "anonymous".to_owned(),
                name: None,
            },
            role: None,
            scope: Scope::default(),
        }
    }

    /// The service itself, or its command line on the server: may do anything.
    pub fn system(name: &str) -> Self {
        Caller {
            actor: Actor {
                kind: ActorKind::System,
                id: name.to_owned(),
                name: None,
            },
            role: Some(Role::Admin),
            scope: Scope::everything(),
        }
    }

    /// Whether the caller has at least `needed`.
    pub fn has(&self, needed: Role) -> bool {
        self.role.is_some_and(|role| role.includes(needed))
    }

    /// Whether the caller may write anything without its scope being checked.
    pub fn unlimited(&self) -> bool {
        self.has(Role::Admin) || self.scope.is_unlimited()
    }
}

impl Default for Caller {
    fn default() -> Self {
        Caller::system("labnet")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_include_the_ones_before() {
        assert!(Role::Admin.includes(Role::Editor));
        assert!(Role::Editor.includes(Role::Reader));
        assert!(!Role::Reader.includes(Role::Editor));
        assert!(!Caller::anonymous().has(Role::Reader));
    }

    #[test]
    fn a_scoped_editor_is_limited_and_an_admin_never() {
        let scoped = Caller {
            actor: Caller::anonymous().actor,
            role: Some(Role::Editor),
            scope: Scope {
                regions: Some(vec![]),
                global: false,
            },
        };
        assert!(!scoped.unlimited());
        let admin = Caller {
            role: Some(Role::Admin),
            ..scoped
        };
        assert!(admin.unlimited());
    }
}
