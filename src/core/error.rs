//! The domain error: every way a request can fail, with a stable problem type, title and
//! status for each. Repositories and services return it; only the HTTP edge
//! (`http::problem`) turns it into problem+json, and only `db::errors` knows how database
//! errors map onto it.

use std::fmt;

use serde::Serialize;
use utoipa::ToSchema;

/// One invalid field of a request body or query string.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
#[schema(example = json!({"field": "latitude", "code": "out_of_range", "message": "must be between -90 and 90"}))]
pub struct FieldError {
    /// The offending field (a JSON path such as `accreditation.valid_until`, or a query parameter).
    pub field: String,
    /// A stable, machine-readable code: `required`, `invalid`, `out_of_range`, `too_long`,
    /// `unknown_field`, `invalid_type`, `invalid_value`, `read_only`, `not_found`,
    /// `duplicate`; `too_many_errors` (last, field `body`) when more fields were invalid than
    /// one response lists (50).
    pub code: String,
    /// A human-readable explanation.
    pub message: String,
}

impl FieldError {
    pub fn new(field: impl Into<String>, code: &str, message: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            code: code.to_owned(),
            message: message.into(),
        }
    }
}

/// Why a write conflicts with the stored state (409).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Conflict {
    /// A unique field already holds this value.
    Duplicate { field: String },
    /// Other rows still refer to the resource.
    Referenced { referenced_by: Vec<String> },
    /// A state machine refuses the move.
    Transition {
        current: String,
        allowed: Vec<String>,
    },
    /// A hierarchy would loop.
    Cycle { field: String },
    /// Any other rule about the stored data.
    Rule,
}

#[derive(Debug, thiserror::Error)]
pub enum DomainError {
    #[error("{detail}")]
    BadRequest {
        detail: String,
        errors: Vec<FieldError>,
    },
    #[error("{0}")]
    NotFound(String),
    /// `allow` lists the methods the path does answer (the `Allow` header).
    #[error("{detail}")]
    MethodNotAllowed { detail: String, allow: String },
    #[error("{detail}")]
    Conflict { detail: String, conflict: Conflict },
    /// A cross-origin request (a CORS preflight) that the configured origins, methods or
    /// headers do not allow.
    #[error("{0}")]
    CorsRefused(String),
    #[error("{0}")]
    PreconditionFailed(String),
    #[error("{0}")]
    RequestTimeout(String),
    #[error("{0}")]
    PayloadTooLarge(String),
    #[error("{0}")]
    UnsupportedMediaType(String),
    #[error("{}", validation_summary(.0))]
    Validation(Vec<FieldError>),
    #[error("{0}")]
    Unavailable(String),
    /// The detail is logged, never sent.
    #[error("{0}")]
    Internal(String),
}

/// `2 fields are invalid`; a list cut short (`too_many_errors` last) says so.
fn validation_summary(errors: &[FieldError]) -> String {
    let listed = errors
        .iter()
        .filter(|error| error.code != "too_many_errors")
        .count();
    if listed < errors.len() {
        format!("more than {listed} fields are invalid; the first {listed} are listed")
    } else if listed == 1 {
        "1 field is invalid".to_owned()
    } else {
        format!("{listed} fields are invalid")
    }
}

/// Most characters of client input a message repeats; longer input is cut with `…`, so a
/// huge path or value cannot make a huger answer.
pub const MAX_ECHOED_CHARS: usize = 100;

/// `text`, cut to `MAX_ECHOED_CHARS` characters.
pub fn echo(text: &str) -> String {
    match text.char_indices().nth(MAX_ECHOED_CHARS) {
        Some((cut, _)) => format!("{}…", &text[..cut]),
        None => text.to_owned(),
    }
}

/// Seconds a client should wait before retrying after a 503.
pub const RETRY_AFTER_SECONDS: u32 = 2;

impl DomainError {
    pub fn bad_request(detail: impl Into<String>) -> Self {
        Self::BadRequest {
            detail: detail.into(),
            errors: Vec::new(),
        }
    }

    /// A bad query parameter, named in `errors[]`.
    pub fn bad_parameter(parameter: &str, code: &str, message: impl Into<String>) -> Self {
        let message = message.into();
        Self::BadRequest {
            detail: format!("query parameter `{parameter}`: {message}"),
            errors: vec![FieldError::new(parameter, code, message)],
        }
    }

    pub fn not_found(resource: &str, id: impl fmt::Display) -> Self {
        Self::NotFound(format!("{resource} {id} does not exist"))
    }

    pub fn invalid(field: &str, code: &str, message: impl Into<String>) -> Self {
        Self::Validation(vec![FieldError::new(field, code, message)])
    }

    pub fn duplicate(field: &str, detail: impl Into<String>) -> Self {
        Self::Conflict {
            detail: detail.into(),
            conflict: Conflict::Duplicate {
                field: field.to_owned(),
            },
        }
    }

    /// A unique field already holds `what`: taken by `owner` when the pre-check found it,
    /// by a concurrent write when the unique index refused the write (`owner` is `None`).
    pub fn taken(
        resource: &str,
        field: &str,
        owner: Option<uuid::Uuid>,
        what: impl fmt::Display,
    ) -> Self {
        let detail = match owner {
            Some(owner) => format!("{resource} {owner} already has {what}"),
            None => format!("another {resource} already has {what}"),
        };
        Self::duplicate(field, detail)
    }

    pub fn referenced(detail: impl Into<String>, referenced_by: Vec<String>) -> Self {
        Self::Conflict {
            detail: detail.into(),
            conflict: Conflict::Referenced { referenced_by },
        }
    }

    /// Refuses a delete while other rows refer to the resource; `counts` pairs each
    /// referring collection with how many of its rows refer.
    pub fn refuse_if_referenced(
        resource: &str,
        id: impl fmt::Display,
        counts: &[(&str, i64)],
    ) -> Result<(), Self> {
        let referenced_by: Vec<String> = counts
            .iter()
            .filter(|(_, count)| *count > 0)
            .map(|(what, count)| format!("{what} ({count})"))
            .collect();
        if referenced_by.is_empty() {
            return Ok(());
        }
        Err(Self::referenced(
            format!(
                "{resource} {id} is still referenced by {}; reassign or delete them first",
                referenced_by.join(", ")
            ),
            referenced_by,
        ))
    }

    pub fn transition(detail: impl Into<String>, current: &str, allowed: Vec<String>) -> Self {
        Self::Conflict {
            detail: detail.into(),
            conflict: Conflict::Transition {
                current: current.to_owned(),
                allowed,
            },
        }
    }

    pub fn cycle(field: &str, detail: impl Into<String>) -> Self {
        Self::Conflict {
            detail: detail.into(),
            conflict: Conflict::Cycle {
                field: field.to_owned(),
            },
        }
    }

    pub fn rule_conflict(detail: impl Into<String>) -> Self {
        Self::Conflict {
            detail: detail.into(),
            conflict: Conflict::Rule,
        }
    }

    pub fn unavailable(detail: impl Into<String>) -> Self {
        Self::Unavailable(detail.into())
    }

    pub fn internal(detail: impl Into<String>) -> Self {
        Self::Internal(detail.into())
    }

    /// Stable problem type, title and status of each variant.
    pub fn kind(&self) -> (&'static str, &'static str, u16) {
        match self {
            Self::BadRequest { .. } => ("/problems/bad-request", "Bad request", 400),
            Self::NotFound(_) => ("/problems/not-found", "Resource not found", 404),
            Self::MethodNotAllowed { .. } => {
                ("/problems/method-not-allowed", "Method not allowed", 405)
            }
            Self::Conflict { conflict, .. } => match conflict {
                Conflict::Duplicate { .. } => (
                    "/problems/duplicate",
                    "A unique field is already taken",
                    409,
                ),
                Conflict::Referenced { .. } => (
                    "/problems/still-referenced",
                    "The resource is still referenced",
                    409,
                ),
                Conflict::Transition { .. } => (
                    "/problems/illegal-transition",
                    "The state change is not allowed",
                    409,
                ),
                Conflict::Cycle { .. } => (
                    "/problems/cycle",
                    "The hierarchy would contain a cycle",
                    409,
                ),
                Conflict::Rule => (
                    "/problems/conflict",
                    "The request conflicts with stored data",
                    409,
                ),
            },
            Self::CorsRefused(_) => (
                "/problems/cors-refused",
                "Cross-origin request refused",
                403,
            ),
            Self::PreconditionFailed(_) => (
                "/problems/precondition-failed",
                "The resource has changed",
                412,
            ),
            Self::RequestTimeout(_) => (
                "/problems/request-timeout",
                "The request body did not arrive in time",
                408,
            ),
            Self::PayloadTooLarge(_) => (
                "/problems/payload-too-large",
                "Request body is too large",
                413,
            ),
            Self::UnsupportedMediaType(_) => (
                "/problems/unsupported-media-type",
                "Unsupported content type",
                415,
            ),
            Self::Validation(_) => ("/problems/validation", "Request body is invalid", 422),
            Self::Unavailable(_) => (
                "/problems/unavailable",
                "Service temporarily unavailable",
                503,
            ),
            Self::Internal(_) => ("/problems/internal", "Internal server error", 500),
        }
    }
}
