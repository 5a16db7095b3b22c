//! Versions and ETags: a resource's strong ETag is derived from its `version`, and the
//! `If-Match` / `If-None-Match` conditions are checked against it. A list page, which has
//! no version, gets a weak ETag computed from its content, for `If-None-Match` only. The HTTP edge reads the
//! headers (`http::preconditions`); the check runs here, inside the write transaction.

use crate::core::error::DomainError;

/// The strong ETag of a resource at `version`.
pub fn etag(version: i64) -> String {
    format!("\"v{version}\"")
}

/// How two entity tags are compared (RFC 9110, 8.8.3.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Comparison {
    /// `If-Match`: a weak tag (`W/"v1"`) never matches.
    Strong,
    /// `If-None-Match`: `W/"v1"` matches `"v1"`.
    Weak,
}

/// The weak ETag of a representation that has no version (a list page): a digest of its
/// bytes, so it changes whenever the page's content does.
pub fn content_etag(body: &[u8]) -> String {
    use sha2::{Digest, Sha256};
    let digest = Sha256::digest(body);
    let hex: String = digest[..16]
        .iter()
        .map(|byte| format!("{byte:02x}"))
        .collect();
    format!("W/\"{hex}\"")
}

/// Whether an entity-tag list (`"v1", W/"v2"` or `*`) names the entity tag `current`
/// (`"v1"` or `W/"…"`).
fn tag_list_names(raw: &str, current: &str, comparison: Comparison) -> bool {
    let (current_weak, current_opaque) = match current.strip_prefix("W/") {
        Some(opaque) => (true, opaque),
        None => (false, current),
    };
    raw.split(',').map(str::trim).any(|candidate| {
        if candidate == "*" {
            return true;
        }
        let (weak, opaque) = match candidate.strip_prefix("W/") {
            Some(opaque) => (true, opaque),
            None => (false, candidate),
        };
        opaque == current_opaque && (comparison == Comparison::Weak || !(weak || current_weak))
    })
}

/// Whether an entity-tag list (`"v1", W/"v2"` or `*`) names `version`.
fn tag_list_matches(raw: &str, version: i64, comparison: Comparison) -> bool {
    tag_list_names(raw, &etag(version), comparison)
}

/// `If-None-Match` names the current version: the client's copy is fresh (answer 304).
pub fn none_match_is_fresh(if_none_match: Option<&str>, version: i64) -> bool {
    if_none_match.is_some_and(|raw| tag_list_matches(raw, version, Comparison::Weak))
}

/// `If-None-Match` names `current` (any ETag, weak or strong, compared weakly).
pub fn none_match_names(if_none_match: Option<&str>, current: &str) -> bool {
    if_none_match.is_some_and(|raw| tag_list_names(raw, current, Comparison::Weak))
}

/// The version an `If-Match` header requires, if the client sent one; checked against the
/// stored row inside the write transaction.
#[derive(Debug, Clone, Default)]
pub struct Precondition {
    if_match: Option<String>,
}

impl Precondition {
    /// No condition: the write goes ahead whatever the stored version.
    pub fn none() -> Self {
        Self::default()
    }

    /// The condition of an `If-Match` header's value.
    pub fn if_match(raw: impl Into<String>) -> Self {
        Self {
            if_match: Some(raw.into()),
        }
    }

    /// Fails with 412 when the client's ETag no longer names the stored version.
    pub fn check(&self, current_version: i64) -> Result<(), DomainError> {
        match &self.if_match {
            Some(raw) if !tag_list_matches(raw, current_version, Comparison::Strong) => {
                Err(DomainError::PreconditionFailed(format!(
                    "If-Match {raw} does not match the current ETag {}",
                    etag(current_version)
                )))
            }
            _ => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{content_etag, none_match_is_fresh, none_match_names, Precondition};

    #[test]
    fn if_match_compares_strongly_and_if_none_match_weakly() {
        assert!(Precondition::if_match("\"v3\"").check(3).is_ok());
        assert!(Precondition::if_match("\"v1\", \"v3\"").check(3).is_ok());
        assert!(Precondition::if_match("*").check(3).is_ok());
        assert!(Precondition::if_match("W/\"v3\"").check(3).is_err());
        assert!(Precondition::if_match("\"v2\"").check(3).is_err());
        assert!(Precondition::none().check(3).is_ok());
        assert!(none_match_is_fresh(Some("W/\"v3\""), 3));
        assert!(none_match_is_fresh(Some("\"v3\""), 3));
        assert!(!none_match_is_fresh(Some("\"v2\""), 3));
        assert!(!none_match_is_fresh(None, 3));
    }

    #[test]
    fn content_etags_are_weak_digests_compared_weakly() {
        let tag = content_etag(b"{\"items\":[]}");
        assert!(tag.starts_with("W/\"") && tag.ends_with('"') && tag.len() == 36);
        assert_eq!(tag, content_etag(b"{\"items\":[]}"));
        assert_ne!(tag, content_etag(b"{\"items\":[1]}"));
        assert!(none_match_names(Some(&tag), &tag));
        let opaque = tag.trim_start_matches("W/");
        assert!(none_match_names(Some(&format!("\"x\", {opaque}")), &tag));
        assert!(none_match_names(Some("*"), &tag));
        assert!(!none_match_names(Some("W/\"other\""), &tag));
        assert!(!none_match_names(None, &tag));
        // A weak tag never satisfies If-Match.
        assert!(Precondition::if_match(tag.clone()).check(1).is_err());
    }
}
