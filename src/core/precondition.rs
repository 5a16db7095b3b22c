//! Versions and ETags: a resource's strong ETag is derived from its `version`, and the
//! `If-Match` / `If-None-Match` conditions are checked against it. The HTTP edge reads the
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

/// Whether an entity-tag list (`"v1", W/"v2"` or `*`) names `version`.
fn tag_list_matches(raw: &str, version: i64, comparison: Comparison) -> bool {
    let current = etag(version);
    raw.split(',').map(str::trim).any(|candidate| {
        candidate == "*"
            || match candidate.strip_prefix("W/") {
                Some(weak) => comparison == Comparison::Weak && weak == current,
                None => candidate == current,
            }
    })
}

/// `If-None-Match` names the current version: the client's copy is fresh (answer 304).
pub fn none_match_is_fresh(if_none_match: Option<&str>, version: i64) -> bool {
    if_none_match.is_some_and(|raw| tag_list_matches(raw, version, Comparison::Weak))
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
    use super::{none_match_is_fresh, Precondition};

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
}
