//! ETags derived from a resource's `version`, and the `If-Match` / `If-None-Match` checks.

use actix_web::http::header::{self, HeaderMap};

use crate::error::ApiError;

/// The strong ETag of a resource at `version`.
pub fn etag(version: i64) -> String {
    format!("\"v{version}\"")
}

fn tag_list_matches(raw: &str, version: i64) -> bool {
    let current = etag(version);
    raw.split(',').map(str::trim).any(|candidate| {
        candidate == "*" || candidate.strip_prefix("W/").unwrap_or(candidate) == current
    })
}

/// `If-None-Match` matches the current version: the client's copy is fresh (answer 304).
pub fn if_none_match(headers: &HeaderMap, version: i64) -> bool {
    headers
        .get(header::IF_NONE_MATCH)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|raw| tag_list_matches(raw, version))
}

/// The version an `If-Match` header requires, if the client sent one; checked against the
/// stored row inside the write transaction.
#[derive(Debug, Clone, Default)]
pub struct Precondition {
    if_match: Option<String>,
}

impl Precondition {
    pub fn from_headers(headers: &HeaderMap) -> Result<Self, ApiError> {
        match headers.get(header::IF_MATCH) {
            None => Ok(Self::default()),
            Some(value) => value
                .to_str()
                .map(|raw| Self {
                    if_match: Some(raw.to_owned()),
                })
                .map_err(|_| ApiError::bad_request("If-Match is not a valid header value")),
        }
    }

    /// Fails with 412 when the client's ETag no longer names the stored version.
    pub fn check(&self, current_version: i64) -> Result<(), ApiError> {
        match &self.if_match {
            Some(raw) if !tag_list_matches(raw, current_version) => {
                Err(ApiError::PreconditionFailed(format!(
                    "If-Match {raw} does not match the current ETag {}",
                    etag(current_version)
                )))
            }
            _ => Ok(()),
        }
    }
}
