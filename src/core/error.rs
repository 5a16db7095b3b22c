//! The domain error: every way a request can fail, with a stable problem type, title and
//! status for each. Repositories and services return it; only the HTTP edge
//! (`http::problem`) turns it into problem+json, and only `db::errors` knows how database
//! errors map onto it.

use std::fmt;

use serde::Serialize;
use utoipa::ToSchema;

/// Declares the field-error codes: the `FieldCode` enumeration, each code's wire name and
/// what it means. The spec's enum of `FieldError.code` is generated from this one table.
macro_rules! field_codes {
    ($($(#[$doc:meta])* $variant:ident = $name:literal, $meaning:literal;)+) => {
        /// A stable, machine-readable reason why a field or parameter is invalid.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum FieldCode {
            $($(#[$doc])* $variant,)+
        }

        impl FieldCode {
            /// Every code, in the order the spec lists them.
            pub const ALL: &'static [FieldCode] = &[$(FieldCode::$variant),+];

            /// The code as sent in `errors[].code`.
            pub fn name(self) -> &'static str {
                match self { $(FieldCode::$variant => $name,)+ }
            }

            /// When the code is given, as the spec explains it.
            pub fn meaning(self) -> &'static str {
                match self { $(FieldCode::$variant => $meaning,)+ }
            }

            /// The code of a wire name, if it is one.
            pub fn named(name: &str) -> Option<FieldCode> {
                match name { $($name => Some(FieldCode::$variant),)+ _ => None }
            }
        }
    };
}

field_codes! {
    Required = "required", "the field is missing, blank, or `null` where a value is needed";
    Invalid = "invalid", "the value breaks a rule of the field (format, reference, consistency with other fields); `message` says which";
    OutOfRange = "out_of_range", "a number or date lies outside the allowed range";
    TooLong = "too_long", "the text is longer than the field allows";
    InvalidType = "invalid_type", "the JSON value has the wrong type (a string for a number, an array for an object, ...)";
    InvalidValue = "invalid_value", "the value is not one of the field's enumeration";
    UnknownField = "unknown_field", "the body has a member the resource does not define";
    ReadOnly = "read_only", "the field cannot be changed by this operation (`message` names the one that can)";
    NotFound = "not_found", "the id refers to a resource that does not exist";
    Duplicate = "duplicate", "the value is already taken (a unique field), or listed twice in one array";
    Cycle = "cycle", "the change would make a hierarchy contain itself";
    Mismatch = "mismatch", "the `Idempotency-Key` was already used with a different request";
    UnknownParameter = "unknown_parameter", "the query parameter is not one this operation takes";
    DuplicateParameter = "duplicate_parameter", "a single-valued query parameter is given more than once";
    TooManyWords = "too_many_words", "the search text `q` has more words than a search takes";
    TooManyErrors = "too_many_errors", "more fields are invalid than one response lists; always the last entry, with field `body`";
}

impl fmt::Display for FieldCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl Serialize for FieldCode {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.name())
    }
}

impl utoipa::PartialSchema for FieldCode {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        let meanings: Vec<String> = FieldCode::ALL
            .iter()
            .map(|code| format!("- `{}`: {}", code.name(), code.meaning()))
            .collect();
        utoipa::openapi::schema::ObjectBuilder::new()
            .schema_type(utoipa::openapi::schema::Type::String)
            .enum_values(Some(FieldCode::ALL.iter().map(|code| code.name())))
            .description(Some(format!(
                "A stable, machine-readable reason:\n\n{}",
                meanings.join("\n")
            )))
            .into()
    }
}

impl ToSchema for FieldCode {}

/// What names a field error's code: a `FieldCode`, or its wire name.
pub trait IntoFieldCode {
    fn into_field_code(self) -> FieldCode;
}

impl IntoFieldCode for FieldCode {
    fn into_field_code(self) -> FieldCode {
        self
    }
}

impl IntoFieldCode for &str {
    /// A name outside the table is a programming error: debug builds (and so the tests)
    /// stop on it; a release build sends `invalid`, so the answer still matches the spec.
    fn into_field_code(self) -> FieldCode {
        match FieldCode::named(self) {
            Some(code) => code,
            None => {
                debug_assert!(
                    false,
                    "field-error code `{self}` is not in the FieldCode table"
                );
                FieldCode::Invalid
            }
        }
    }
}

/// One invalid field of a request body or query string.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
#[schema(example = json!({"field": "latitude", "code": "out_of_range", "message": "must be between -90 and 90"}))]
pub struct FieldError {
    /// The offending field (a JSON path such as `accreditation.valid_until`, or a query parameter).
    pub field: String,
    pub code: FieldCode,
    /// A human-readable explanation.
    pub message: String,
}

impl FieldError {
    pub fn new(
        field: impl Into<String>,
        code: impl IntoFieldCode,
        message: impl Into<String>,
    ) -> Self {
        Self {
            field: field.into(),
            code: code.into_field_code(),
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
    /// Credentials are missing (where the operation needs them), malformed, unknown,
    /// expired or revoked: 401 with `WWW-Authenticate`.
    #[error("{0}")]
    Unauthorized(String),
    /// The caller is known but may not do this: its role is too low (`required_role`), or
    /// the rows lie outside its regions (`outside_regions`, empty for rows in no region).
    #[error("{detail}")]
    Forbidden {
        detail: String,
        required_role: Option<crate::core::auth::Role>,
        outside_regions: Option<Vec<uuid::Uuid>>,
    },
    /// Too many requests for the caller's key or address; retry after `retry_after` seconds.
    #[error("{detail}")]
    TooManyRequests { detail: String, retry_after: u64 },
    #[error("{0}")]
    PreconditionFailed(String),
    #[error("{0}")]
    RequestTimeout(String),
    #[error("{0}")]
    PayloadTooLarge(String),
    #[error("{0}")]
    UnsupportedMediaType(String),
    /// The `Accept` header accepts none of the media types the response can take.
    #[error("{0}")]
    NotAcceptable(String),
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
        .filter(|error| error.code != FieldCode::TooManyErrors)
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

/// How the detail of a 401 for a request without credentials begins (its challenge carries
/// no `invalid_token` error, RFC 6750 3.1).
pub const NO_CREDENTIALS: &str = "this operation needs credentials";

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
    pub fn bad_parameter(
        parameter: &str,
        code: impl IntoFieldCode,
        message: impl Into<String>,
    ) -> Self {
        let message = message.into();
        Self::BadRequest {
            detail: format!("query parameter `{parameter}`: {message}"),
            errors: vec![FieldError::new(parameter, code, message)],
        }
    }

    pub fn not_found(resource: &str, id: impl fmt::Display) -> Self {
        Self::NotFound(format!("{resource} {id} does not exist"))
    }

    pub fn invalid(field: &str, code: impl IntoFieldCode, message: impl Into<String>) -> Self {
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

    /// A request without credentials where the operation needs them.
    pub fn no_credentials() -> Self {
        Self::Unauthorized(format!(
            "{NO_CREDENTIALS}: send `Authorization: Bearer <API key or token>`"
        ))
    }

    /// Credentials that were sent but are not accepted.
    pub fn bad_credentials(detail: impl Into<String>) -> Self {
        Self::Unauthorized(detail.into())
    }

    /// The caller's role does not include `needed`.
    pub fn needs_role(needed: crate::core::auth::Role, detail: impl Into<String>) -> Self {
        Self::Forbidden {
            detail: detail.into(),
            required_role: Some(needed),
            outside_regions: None,
        }
    }

    /// The rows a write touches lie outside the caller's regions: `regions` names them,
    /// empty for rows that belong to no region (which need `global` scope).
    pub fn outside_scope(regions: Vec<uuid::Uuid>, detail: impl Into<String>) -> Self {
        Self::Forbidden {
            detail: detail.into(),
            required_role: None,
            outside_regions: Some(regions),
        }
    }

    pub fn unavailable(detail: impl Into<String>) -> Self {
        Self::Unavailable(detail.into())
    }

    pub fn internal(detail: impl Into<String>) -> Self {
        Self::Internal(detail.into())
    }

    /// The problem type of each variant.
    pub fn problem_type(&self) -> &'static ProblemType {
        match self {
            Self::BadRequest { .. } => &ProblemType::BAD_REQUEST,
            Self::NotFound(_) => &ProblemType::NOT_FOUND,
            Self::MethodNotAllowed { .. } => &ProblemType::METHOD_NOT_ALLOWED,
            Self::Conflict { conflict, .. } => match conflict {
                Conflict::Duplicate { .. } => &ProblemType::DUPLICATE,
                Conflict::Referenced { .. } => &ProblemType::STILL_REFERENCED,
                Conflict::Transition { .. } => &ProblemType::ILLEGAL_TRANSITION,
                Conflict::Cycle { .. } => &ProblemType::CYCLE,
                Conflict::Rule => &ProblemType::CONFLICT,
            },
            Self::CorsRefused(_) => &ProblemType::CORS_REFUSED,
            Self::Unauthorized(_) => &ProblemType::UNAUTHORIZED,
            Self::Forbidden { .. } => &ProblemType::FORBIDDEN,
            Self::TooManyRequests { .. } => &ProblemType::RATE_LIMITED,
            Self::PreconditionFailed(_) => &ProblemType::PRECONDITION_FAILED,
            Self::RequestTimeout(_) => &ProblemType::REQUEST_TIMEOUT,
            Self::PayloadTooLarge(_) => &ProblemType::PAYLOAD_TOO_LARGE,
            Self::UnsupportedMediaType(_) => &ProblemType::UNSUPPORTED_MEDIA_TYPE,
            Self::NotAcceptable(_) => &ProblemType::NOT_ACCEPTABLE,
            Self::Validation(_) => &ProblemType::VALIDATION,
            Self::Unavailable(_) => &ProblemType::UNAVAILABLE,
            Self::Internal(_) => &ProblemType::INTERNAL,
        }
    }
}

/// A problem type: its stable URI (`/problems/{name}`), title and status, and the text of
/// its page at that URI (when it happens, what to do).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ProblemType {
    /// The last segment of the URI, e.g. `not-found`.
    pub name: &'static str,
    /// The `type` of its problem documents, e.g. `/problems/not-found`.
    pub uri: &'static str,
    pub status: u16,
    pub title: &'static str,
    /// When the service answers with it.
    pub when: &'static str,
    /// What a client should do about it.
    pub remedy: &'static str,
}

/// Declares the problem types: one constant each and `ProblemType::ALL`, from which the
/// errors, the spec's enum of `Problem.type` and the pages at `/problems/{name}` all come.
macro_rules! problem_types {
    ($($konst:ident = $name:literal, $status:literal, $title:literal,
        when $when:literal, remedy $remedy:literal;)+) => {
        impl ProblemType {
            $(pub const $konst: ProblemType = ProblemType {
                name: $name,
                uri: concat!("/problems/", $name),
                status: $status,
                title: $title,
                when: $when,
                remedy: $remedy,
            };)+

            /// Every problem type the service sends, in the order the spec lists them.
            pub const ALL: &'static [ProblemType] = &[$(ProblemType::$konst),+];
        }
    };
}

problem_types! {
    BAD_REQUEST = "bad-request", 400, "Bad request",
        when "The request cannot be read: the body is not valid JSON, a query parameter is \
unknown, repeated or malformed, a page token is malformed or belongs to another list or sort, \
a header (`Idempotency-Key`, `If-Match`) is unreadable, or a CORS preflight has no `Origin`. \
`errors[]` names the offending query parameter or header.",
        remedy "Fix the request as `detail` and `errors[]` say; sending it again unchanged \
gets the same answer.";
    NOT_FOUND = "not-found", 404, "Resource not found",
        when "The id in the path names no resource (also when it is not a UUID), or there is \
no endpoint at the path.",
        remedy "Check the id and the path; the resource may have been deleted. List the \
collection to find current ids.";
    METHOD_NOT_ALLOWED = "method-not-allowed", 405, "Method not allowed",
        when "The path exists but does not take this method.",
        remedy "Use one of the methods the `Allow` header lists.";
    NOT_ACCEPTABLE = "not-acceptable", 406, "No acceptable representation",
        when "The `Accept` header accepts none of the media types the operation answers \
with (`detail` lists them): the laboratory list is `application/json` or \
`application/geo+json`. The answer itself is a problem document all the same.",
        remedy "Accept one of the media types `detail` lists (or send no `Accept` header, \
or `*/*`, for JSON).";
    CORS_REFUSED = "cors-refused", 403, "Cross-origin request refused",
        when "A CORS preflight comes from an origin the service is not configured to allow \
(`LABNET_CORS_ORIGINS`), or asks for a method or request header the API does not take.",
        remedy "Call from an allowed origin, or ask the operator to add yours; send only the \
methods and headers the API documents.";
    UNAUTHORIZED = "unauthorized", 401, "Credentials are missing or invalid",
        when "The operation needs credentials and the request has none (reads need them \
unless `LABNET_PUBLIC_READ` is on; writes always do), or the `Authorization` header is not \
`Bearer <token>`, or the API key or token is unknown, malformed, expired or revoked. The \
`WWW-Authenticate` header says which.",
        remedy "Send `Authorization: Bearer <API key or token>` with a valid, current \
credential; ask an admin for a new key if yours expired or was revoked.";
    FORBIDDEN = "forbidden", 403, "Not allowed for this caller",
        when "The credentials are valid but do not allow the operation: the caller's role \
is too low (`required_role` names the role needed), or the rows the write touches (before \
or after it) lie outside the caller's regions (`outside_regions` lists them; empty when the \
row belongs to no region, which needs `global` scope). Nothing was written.",
        remedy "Use a key or token with the role and regions the operation needs, or ask \
an admin to widen yours.";
    REQUEST_TIMEOUT = "request-timeout", 408, "The request body did not arrive in time",
        when "The request body did not arrive completely within the configured time \
(`LABNET_BODY_TIMEOUT`); the connection is closed.",
        remedy "Send the body at once, over a faster connection, and retry.";
    DUPLICATE = "duplicate", 409, "A unique field is already taken",
        when "A unique field (a code, a name within its scope) already holds the value; \
`errors[]` names the field with code `duplicate`, `detail` names the resource that has it.",
        remedy "Choose another value, or change the resource that already has it.";
    STILL_REFERENCED = "still-referenced", 409, "The resource is still referenced",
        when "A delete, or a change that would orphan other rows, is refused while other \
resources refer to this one; `referenced_by` lists what refers to it and how many.",
        remedy "Reassign or delete what `referenced_by` lists, then retry.";
    ILLEGAL_TRANSITION = "illegal-transition", 409, "The state change is not allowed",
        when "A status or stage change that the resource's state machine does not allow \
from its current state; `current_state` is the state, `allowed_transitions` where it can go.",
        remedy "Move to one of `allowed_transitions` (several steps may be needed); the \
operation's description has the whole table of moves.";
    CYCLE = "cycle", 409, "The hierarchy would contain a cycle",
        when "A new parent lies inside the resource's own subtree, so the hierarchy would \
contain itself; `errors[]` names the field with code `cycle`.",
        remedy "Choose a parent outside the resource's subtree.";
    CONFLICT = "conflict", 409, "The request conflicts with stored data",
        when "The request breaks a rule about stored data other than the ones above; \
`detail` says which.",
        remedy "Read `detail`, change the stored data or the request, then retry.";
    PRECONDITION_FAILED = "precondition-failed", 412, "The resource has changed",
        when "`If-Match` names a version of the resource that is no longer current: \
someone else changed it since it was read. Nothing was written.",
        remedy "Read the resource again (`GET`), apply the change to the current version, \
and retry with its `ETag`.";
    PAYLOAD_TOO_LARGE = "payload-too-large", 413, "Request body is too large",
        when "The request body is larger than the configured limit (`LABNET_BODY_LIMIT`).",
        remedy "Send a smaller body; split large imports into several requests.";
    UNSUPPORTED_MEDIA_TYPE = "unsupported-media-type", 415, "Unsupported content type",
        when "The body is not sent as `application/json` (or `application/merge-patch+json` \
for PATCH), declares a charset other than UTF-8, or is compressed (`Content-Encoding`).",
        remedy "Send uncompressed UTF-8 JSON with `Content-Type: application/json`.";
    VALIDATION = "validation", 422, "Request body is invalid",
        when "The body is well-formed JSON but fields are invalid, or an `Idempotency-Key` \
is reused with a different request; `errors[]` names each field with a stable code.",
        remedy "Fix each field `errors[]` lists; the codes are documented with `FieldError`.";
    RATE_LIMITED = "rate-limited", 429, "Too many requests",
        when "The caller's API key or token (or, without valid credentials, its client \
address) made more requests than its per-minute limit allows (`LABNET_RATE_LIMIT_*`); \
nothing was done. The `RateLimit` and `RateLimit-Policy` headers \
describe the limit.",
        remedy "Wait the seconds `Retry-After` gives, then go on more slowly.";
    INTERNAL = "internal", 500, "Internal server error",
        when "An unexpected error in the service. The answer never carries internals; the \
error is logged under the request id.",
        remedy "Retry later; if it persists, report it quoting `request_id`.";
    UNAVAILABLE = "unavailable", 503, "Service temporarily unavailable",
        when "The database is unreachable or its migrations are not applied yet; the \
service recovers by itself.",
        remedy "Retry after the seconds the `Retry-After` header gives.";
}

impl ProblemType {
    /// The problem type of a name (`not-found`), if it is one.
    pub fn named(name: &str) -> Option<&'static ProblemType> {
        Self::ALL.iter().find(|problem| problem.name == name)
    }
}
