//! `ApiError`: the one error type of the service, and its single mapping to RFC 9457
//! problem+json responses.

use std::fmt;

use actix_web::http::{header, StatusCode};
use actix_web::{HttpResponse, ResponseError};
use diesel::result::{DatabaseErrorKind, Error as DieselError};
use serde::Serialize;
use utoipa::ToSchema;

use crate::telemetry::RequestContext;

/// One invalid field of a request body or query string.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
#[schema(example = json!({"field": "latitude", "code": "out_of_range", "message": "must be between -90 and 90"}))]
pub struct FieldError {
    /// The offending field (a JSON path such as `accreditation.valid_until`, or a query parameter).
    pub field: String,
    /// A stable, machine-readable code: `required`, `invalid`, `out_of_range`, `too_long`,
    /// `unknown_field`, `invalid_type`, `invalid_value`, `read_only`, `not_found`.
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

/// An RFC 9457 problem document; every error response has this shape.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(example = json!({
    "type": "/problems/validation",
    "title": "Request body is invalid",
    "status": 422,
    "detail": "1 field is invalid",
    "instance": "/v1/laboratories",
    "request_id": "0193a0f4-5e6b-7c3d-9a10-2b3c4d5e6f70",
    "errors": [{"field": "latitude", "code": "out_of_range", "message": "must be between -90 and 90"}]
}))]
pub struct Problem {
    /// A URI reference naming the problem type (stable; clients may switch on it).
    #[serde(rename = "type")]
    pub problem_type: String,
    /// A short summary of the problem type.
    pub title: String,
    /// The HTTP status code.
    pub status: u16,
    /// An explanation specific to this occurrence.
    pub detail: String,
    /// The request path that produced the problem.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub instance: Option<String>,
    /// The request id (also in the `X-Request-Id` header and in the service's logs).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub request_id: Option<String>,
    /// Field-level errors (422, and 400 for query parameters).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<FieldError>,
    /// For illegal state transitions (409): the current state.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub current_state: Option<String>,
    /// For illegal state transitions (409): the states reachable from the current one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub allowed_transitions: Option<Vec<String>>,
    /// For a refused delete (409): what still refers to the resource.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub referenced_by: Option<Vec<String>>,
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
pub enum ApiError {
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
    #[error("{0}")]
    PreconditionFailed(String),
    #[error("{0}")]
    PayloadTooLarge(String),
    #[error("{0}")]
    UnsupportedMediaType(String),
    #[error("{} invalid", pluralize_fields(.0.len()))]
    Validation(Vec<FieldError>),
    #[error("{0}")]
    Unavailable(String),
    /// The detail is logged, never sent.
    #[error("{0}")]
    Internal(String),
}

fn pluralize_fields(count: usize) -> String {
    if count == 1 {
        "1 field is".to_owned()
    } else {
        format!("{count} fields are")
    }
}

/// Seconds a client should wait before retrying after a 503.
pub const RETRY_AFTER_SECONDS: u32 = 2;

impl ApiError {
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
    fn kind(&self) -> (&'static str, &'static str, StatusCode) {
        match self {
            Self::BadRequest { .. } => (
                "/problems/bad-request",
                "Bad request",
                StatusCode::BAD_REQUEST,
            ),
            Self::NotFound(_) => (
                "/problems/not-found",
                "Resource not found",
                StatusCode::NOT_FOUND,
            ),
            Self::MethodNotAllowed { .. } => (
                "/problems/method-not-allowed",
                "Method not allowed",
                StatusCode::METHOD_NOT_ALLOWED,
            ),
            Self::Conflict { conflict, .. } => match conflict {
                Conflict::Duplicate { .. } => (
                    "/problems/duplicate",
                    "A unique field is already taken",
                    StatusCode::CONFLICT,
                ),
                Conflict::Referenced { .. } => (
                    "/problems/still-referenced",
                    "The resource is still referenced",
                    StatusCode::CONFLICT,
                ),
                Conflict::Transition { .. } => (
                    "/problems/illegal-transition",
                    "The state change is not allowed",
                    StatusCode::CONFLICT,
                ),
                Conflict::Cycle { .. } => (
                    "/problems/cycle",
                    "The hierarchy would contain a cycle",
                    StatusCode::CONFLICT,
                ),
                Conflict::Rule => (
                    "/problems/conflict",
                    "The request conflicts with stored data",
                    StatusCode::CONFLICT,
                ),
            },
            Self::PreconditionFailed(_) => (
                "/problems/precondition-failed",
                "The resource has changed",
                StatusCode::PRECONDITION_FAILED,
            ),
            Self::PayloadTooLarge(_) => (
                "/problems/payload-too-large",
                "Request body is too large",
                StatusCode::PAYLOAD_TOO_LARGE,
            ),
            Self::UnsupportedMediaType(_) => (
                "/problems/unsupported-media-type",
                "Unsupported content type",
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ),
            Self::Validation(_) => (
                "/problems/validation",
                "Request body is invalid",
                StatusCode::UNPROCESSABLE_ENTITY,
            ),
            Self::Unavailable(_) => (
                "/problems/unavailable",
                "Service temporarily unavailable",
                StatusCode::SERVICE_UNAVAILABLE,
            ),
            Self::Internal(_) => (
                "/problems/internal",
                "Internal server error",
                StatusCode::INTERNAL_SERVER_ERROR,
            ),
        }
    }

    /// The problem document for this error, with the current request's path and id.
    pub fn to_problem(&self) -> Problem {
        let (problem_type, title, status) = self.kind();
        let context = RequestContext::current();
        let mut problem = Problem {
            problem_type: problem_type.to_owned(),
            title: title.to_owned(),
            status: status.as_u16(),
            detail: match self {
                Self::Internal(_) => {
                    "an unexpected error occurred; quote the request id when reporting it"
                        .to_owned()
                }
                other => other.to_string(),
            },
            instance: context.as_ref().map(|c| c.path.clone()),
            request_id: context.map(|c| c.request_id),
            errors: Vec::new(),
            current_state: None,
            allowed_transitions: None,
            referenced_by: None,
        };
        match self {
            Self::BadRequest { errors, .. } => problem.errors = errors.clone(),
            Self::Validation(errors) => problem.errors = errors.clone(),
            Self::Conflict { conflict, .. } => match conflict {
                Conflict::Duplicate { field } | Conflict::Cycle { field } => {
                    problem.errors = vec![FieldError::new(
                        field.as_str(),
                        if matches!(conflict, Conflict::Cycle { .. }) {
                            "cycle"
                        } else {
                            "duplicate"
                        },
                        self.to_string(),
                    )]
                }
                Conflict::Referenced { referenced_by } => {
                    problem.referenced_by = Some(referenced_by.clone())
                }
                Conflict::Transition { current, allowed } => {
                    problem.current_state = Some(current.clone());
                    problem.allowed_transitions = Some(allowed.clone());
                }
                Conflict::Rule => {}
            },
            _ => {}
        }
        problem
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        self.kind().2
    }

    fn error_response(&self) -> HttpResponse {
        if let Self::Internal(detail) = self {
            tracing::error!(error = %detail, "internal error");
        }
        let problem = self.to_problem();
        let mut response = HttpResponse::build(self.status_code());
        response.insert_header((header::CONTENT_TYPE, "application/problem+json"));
        if matches!(self, Self::Unavailable(_)) {
            response.insert_header((header::RETRY_AFTER, RETRY_AFTER_SECONDS.to_string()));
        }
        if let Self::MethodNotAllowed { allow, .. } = self {
            response.insert_header((header::ALLOW, allow.as_str()));
        }
        match serde_json::to_vec(&problem) {
            Ok(body) => response.body(body),
            Err(_) => response.finish(),
        }
    }
}

/// Database errors that no service rule caught. Services map the constraint violations they
/// expect (naming the field) before this; what reaches here is generic.
impl From<DieselError> for ApiError {
    fn from(error: DieselError) -> Self {
        match &error {
            DieselError::NotFound => Self::NotFound("the resource does not exist".to_owned()),
            DieselError::DatabaseError(kind, info) => match kind {
                DatabaseErrorKind::UniqueViolation => {
                    let field = info
                        .column_name()
                        .map(str::to_owned)
                        .or_else(|| constraint_field(info.message()))
                        .or_else(|| {
                            postgres_unique_field(
                                info.details(),
                                info.constraint_name(),
                                info.table_name(),
                            )
                        })
                        .unwrap_or_else(|| "unknown".to_owned());
                    Self::duplicate(
                        &field,
                        format!("another resource already has this `{field}`"),
                    )
                }
                DatabaseErrorKind::ForeignKeyViolation => Self::rule_conflict(
                    "the change refers to a resource that does not exist or is still referenced",
                ),
                DatabaseErrorKind::CheckViolation | DatabaseErrorKind::NotNullViolation => {
                    Self::Validation(vec![FieldError::new(
                        info.constraint_name().unwrap_or("body"),
                        "invalid",
                        "the value breaks a database constraint",
                    )])
                }
                DatabaseErrorKind::ClosedConnection | DatabaseErrorKind::UnableToSendCommand => {
                    Self::unavailable("the database connection was lost")
                }
                DatabaseErrorKind::SerializationFailure => {
                    Self::unavailable("the database could not serialize concurrent writes; retry")
                }
                _ if is_connection_message(info.message()) => {
                    Self::unavailable("the database is unavailable")
                }
                _ if info.message().contains("database is locked") => {
                    Self::unavailable("the database is busy; retry")
                }
                _ => Self::internal(format!("database error: {error}")),
            },
            _ => Self::internal(format!("database error: {error}")),
        }
    }
}

/// SQLite names no constraint, only `UNIQUE constraint failed: table.column`.
fn constraint_field(message: &str) -> Option<String> {
    let columns = message.strip_prefix("UNIQUE constraint failed: ")?;
    let first = columns.split(',').next()?.trim();
    first.rsplit('.').next().map(str::to_owned)
}

/// PostgreSQL names the key in the detail (`Key (code)=(RU-KGN) already exists.`) and the
/// constraint after its table (`regions_code_key`); the first column of either is the field.
fn postgres_unique_field(
    detail: Option<&str>,
    constraint: Option<&str>,
    table: Option<&str>,
) -> Option<String> {
    let plain = |name: &str| {
        !name.is_empty() && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
    };
    let from_detail = detail
        .and_then(|d| d.strip_prefix("Key ("))
        .and_then(|rest| rest.split(")=").next())
        .and_then(|columns| columns.split(',').next())
        .map(str::trim)
        .filter(|column| plain(column))
        .map(str::to_owned);
    from_detail.or_else(|| {
        let rest = constraint?.strip_prefix(table?)?.strip_prefix('_')?;
        let column = rest
            .strip_suffix("_key")
            .or_else(|| rest.strip_suffix("_idx"))
            .unwrap_or(rest);
        plain(column).then(|| column.to_owned())
    })
}

fn is_connection_message(message: &str) -> bool {
    let lowered = message.to_lowercase();
    [
        "terminating connection",
        "server closed the connection",
        "connection refused",
        "no connection to the server",
        "could not connect",
        "connection reset",
        "broken pipe",
        "the database system is shutting down",
        "the database system is starting up",
    ]
    .iter()
    .any(|needle| lowered.contains(needle))
}
