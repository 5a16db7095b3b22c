//! The one mapping of domain errors to RFC 9457 problem+json responses.

use actix_web::http::{header, StatusCode};
use actix_web::{HttpResponse, ResponseError};
use serde::Serialize;
use utoipa::ToSchema;

use utoipa::openapi::schema::{ArrayBuilder, ObjectBuilder, Schema, Type};
use utoipa::openapi::{Ref, RefOr};

use crate::core::error::{
    Conflict, DomainError, FieldCode, FieldError, ProblemType, RETRY_AFTER_SECONDS,
};
use crate::core::states::state_names;
use crate::telemetry::RequestContext;

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
    /// A URI reference naming the problem type (stable; clients may switch on it). It
    /// resolves, relative to the API's address, to a page describing the type.
    #[serde(rename = "type")]
    #[schema(schema_with = problem_type_schema)]
    pub problem_type: String,
    /// A short summary of the problem type.
    pub title: String,
    /// The HTTP status code.
    pub status: u16,
    /// An explanation specific to this occurrence.
    pub detail: String,
    /// The request path that produced the problem.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub instance: Option<String>,
    /// The request id (also in the `X-Request-Id` header and in the service's logs).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub request_id: Option<String>,
    /// Field-level errors (422, and 400 for query parameters).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<FieldError>,
    /// For illegal state transitions (409): the current state.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(schema_with = current_state_schema)]
    pub current_state: Option<String>,
    /// For illegal state transitions (409): the states reachable from the current one.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(schema_with = allowed_transitions_schema)]
    pub allowed_transitions: Option<Vec<String>>,
    /// For a refused delete (409): what still refers to the resource.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub referenced_by: Option<Vec<String>>,
    /// For a refused operation (403): the role it needs.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub required_role: Option<crate::core::auth::Role>,
    /// For a refused write (403): the regions outside the caller's scope that it touches;
    /// empty when the row belongs to no region (which needs `global` scope).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub outside_regions: Option<Vec<uuid::Uuid>>,
}

/// The name of the shared schema of problem type URIs.
pub const PROBLEM_TYPE_SCHEMA: &str = "ProblemType";

/// The schema of every problem type the service sends (`ProblemType` in the spec).
pub fn problem_type_uri_schema() -> Schema {
    let types: Vec<String> = ProblemType::ALL
        .iter()
        .map(|problem| {
            format!(
                "- `{}` ({}): {}",
                problem.uri, problem.status, problem.title
            )
        })
        .collect();
    ObjectBuilder::new()
        .schema_type(Type::String)
        .enum_values(Some(ProblemType::ALL.iter().map(|problem| problem.uri)))
        .description(Some(format!(
            "A problem type URI. Each resolves, relative to the API's address, to a page \
describing it (`GET /problems/{{name}}`):\n\n{}",
            types.join("\n")
        )))
        .into()
}

/// `Problem.type`: one of the problem types the service sends.
pub fn problem_type_schema() -> RefOr<Schema> {
    let mut reference = Ref::from_schema_name(PROBLEM_TYPE_SCHEMA);
    reference.description = "Names the problem type (stable; clients may switch on it).".to_owned();
    RefOr::Ref(reference)
}

/// The name of the shared schema of state names.
pub const STATE_NAME_SCHEMA: &str = "StateName";

/// The schema of every state a state machine has (`StateName` in the spec).
pub fn state_name_schema() -> Schema {
    ObjectBuilder::new()
        .schema_type(Type::String)
        .enum_values(Some(state_names()))
        .description(Some(
            "A state of one of the state machines (laboratory `status`, localization \
`stage`, equipment unit `status`, certificate `status`), as `current_state` and `allowed_transitions` of an `/problems/illegal-transition` \
problem name it.",
        ))
        .into()
}

/// `Problem.current_state`: a state name, only on illegal-transition problems.
fn current_state_schema() -> Schema {
    // A member that is left out, never sent as null: optional, not nullable.
    Schema::AllOf(
        utoipa::openapi::schema::AllOfBuilder::new()
            .item(Ref::from_schema_name(STATE_NAME_SCHEMA))
            .description(Some(
                "Only on `/problems/illegal-transition`: the resource's current state.",
            ))
            .build(),
    )
}

/// `Problem.allowed_transitions`: state names, only on illegal-transition problems.
fn allowed_transitions_schema() -> Schema {
    ArrayBuilder::new()
        .items(RefOr::Ref(Ref::from_schema_name(STATE_NAME_SCHEMA)))
        .description(Some(
            "Only on `/problems/illegal-transition`: the states the resource can move to from \
`current_state` in one step (empty when it is final).",
        ))
        .into()
}

/// The request path as `instance`: a path longer than 2 000 characters is cut (`…`).
fn echo_path(path: &str) -> String {
    const MAX_INSTANCE_CHARS: usize = 2000;
    match path.char_indices().nth(MAX_INSTANCE_CHARS) {
        Some((cut, _)) => format!("{}…", &path[..cut]),
        None => path.to_owned(),
    }
}

impl DomainError {
    /// The problem document for this error, with the current request's path and id.
    pub fn to_problem(&self) -> Problem {
        let kind = self.problem_type();
        let context = RequestContext::current();
        let mut problem = Problem {
            problem_type: kind.uri.to_owned(),
            title: kind.title.to_owned(),
            status: kind.status,
            detail: match self {
                Self::Internal(_) => {
                    "an unexpected error occurred; quote the request id when reporting it"
                        .to_owned()
                }
                other => other.to_string(),
            },
            instance: context.as_ref().map(|c| echo_path(&c.path)),
            request_id: context.map(|c| c.request_id),
            errors: Vec::new(),
            current_state: None,
            allowed_transitions: None,
            referenced_by: None,
            required_role: None,
            outside_regions: None,
        };
        match self {
            Self::BadRequest { errors, .. } => problem.errors = errors.clone(),
            Self::Validation(errors) => problem.errors = errors.clone(),
            Self::Conflict { conflict, .. } => match conflict {
                Conflict::Duplicate { field } | Conflict::Cycle { field } => {
                    problem.errors = vec![FieldError::new(
                        field.as_str(),
                        if matches!(conflict, Conflict::Cycle { .. }) {
                            FieldCode::Cycle
                        } else {
                            FieldCode::Duplicate
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
            Self::Forbidden {
                required_role,
                outside_regions,
                ..
            } => {
                problem.required_role = *required_role;
                problem.outside_regions = outside_regions.clone();
            }
            _ => {}
        }
        problem
    }
}

impl ResponseError for DomainError {
    fn status_code(&self) -> StatusCode {
        StatusCode::from_u16(self.problem_type().status)
            .unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
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
        if let Self::TooManyRequests { retry_after, .. } = self {
            response.insert_header((header::RETRY_AFTER, retry_after.to_string()));
        }
        if let Self::Unauthorized(detail) = self {
            response.insert_header((header::WWW_AUTHENTICATE, www_authenticate(detail)));
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

/// The `WWW-Authenticate` challenge of a 401 (RFC 6750): the bearer scheme, with
/// `invalid_token` when credentials were sent but refused.
fn www_authenticate(detail: &str) -> String {
    let description: String = detail
        .chars()
        // A header value holds visible ASCII only: anything else would drop the challenge.
        .filter(|c| c.is_ascii() && *c != '"' && *c != '\\' && !c.is_ascii_control())
        .take(200)
        .collect();
    if detail.starts_with(crate::core::error::NO_CREDENTIALS) {
        "Bearer realm=\"labnet\"".to_owned()
    } else {
        format!(
            "Bearer realm=\"labnet\", error=\"invalid_token\", error_description=\"{description}\""
        )
    }
}
