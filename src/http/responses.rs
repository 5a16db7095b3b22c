//! Reusable error responses for the spec: every operation refers to these by name.

use utoipa::ToResponse;

use crate::http::problem::Problem;

#[derive(ToResponse)]
#[response(
    description = "Malformed JSON, a bad or unknown query parameter, or a bad page token",
    content_type = "application/problem+json",
    example = json!({"type": "/problems/bad-request", "title": "Bad request", "status": 400,
        "detail": "query parameter `colour`: unknown parameter", "instance": "/v1/regions",
        "request_id": "0193a0f4-5e6b-7c3d-9a10-2b3c4d5e6f70",
        "errors": [{"field": "colour", "code": "unknown_parameter", "message": "unknown parameter"}]})
)]
pub struct BadRequest(#[allow(dead_code)] Problem);

#[derive(ToResponse)]
#[response(
    description = "No such resource (also when the id in the path is not a UUID)",
    content_type = "application/problem+json",
    example = json!({"type": "/problems/not-found", "title": "Resource not found", "status": 404,
        "detail": "region 0193a0f4-5e6b-7c3d-9a10-2b3c4d5e6f70 does not exist",
        "instance": "/v1/regions/0193a0f4-5e6b-7c3d-9a10-2b3c4d5e6f70",
        "request_id": "0193a0f4-5e6b-7c3d-9a10-2b3c4d5e6f71"})
)]
pub struct NotFound(#[allow(dead_code)] Problem);

#[derive(ToResponse)]
#[response(
    description = "A unique field is taken, the resource is still referenced, the state change is not allowed, the hierarchy would loop, or another rule about stored data refuses the change",
    content_type = "application/problem+json",
    examples(
        ("illegal-transition" = (summary = "The state machine refuses the move", value = json!({
            "type": "/problems/illegal-transition", "title": "The state change is not allowed",
            "status": 409, "detail": "cannot move from `planned` to `suspended`; allowed: under_construction, closed",
            "instance": "/v1/laboratories/0193a0f4-5e6b-7c3d-9a10-2b3c4d5e6f70",
            "request_id": "0193a0f4-5e6b-7c3d-9a10-2b3c4d5e6f71",
            "current_state": "planned", "allowed_transitions": ["under_construction", "closed"]}))),
        ("duplicate" = (summary = "A unique field is taken", value = json!({
            "type": "/problems/duplicate", "title": "A unique field is already taken",
            "status": 409, "detail": "laboratory 0193a0f4-5e6b-7c3d-9a10-2b3c4d5e6f72 already has code KGN-001",
            "instance": "/v1/laboratories", "request_id": "0193a0f4-5e6b-7c3d-9a10-2b3c4d5e6f71",
            "errors": [{"field": "code", "code": "duplicate",
                "message": "laboratory 0193a0f4-5e6b-7c3d-9a10-2b3c4d5e6f72 already has code KGN-001"}]}))),
        ("still-referenced" = (summary = "Others still refer to the resource", value = json!({
            "type": "/problems/still-referenced", "title": "The resource is still referenced",
            "status": 409,
            "detail": "region 0193a0f4-5e6b-7c3d-9a10-2b3c4d5e6f70 is still referenced by laboratories (3); reassign or delete them first",
            "instance": "/v1/regions/0193a0f4-5e6b-7c3d-9a10-2b3c4d5e6f70",
            "request_id": "0193a0f4-5e6b-7c3d-9a10-2b3c4d5e6f71",
            "referenced_by": ["laboratories (3)"]}))),
        ("cycle" = (summary = "The hierarchy would loop", value = json!({
            "type": "/problems/cycle", "title": "The hierarchy would contain a cycle",
            "status": 409, "detail": "region 0193a0f4-5e6b-7c3d-9a10-2b3c4d5e6f73 lies inside this region's subtree; the tree would loop",
            "instance": "/v1/regions/0193a0f4-5e6b-7c3d-9a10-2b3c4d5e6f70",
            "request_id": "0193a0f4-5e6b-7c3d-9a10-2b3c4d5e6f71",
            "errors": [{"field": "parent_id", "code": "cycle",
                "message": "region 0193a0f4-5e6b-7c3d-9a10-2b3c4d5e6f73 lies inside this region's subtree; the tree would loop"}]}))),
        ("conflict" = (summary = "Another rule about stored data", value = json!({
            "type": "/problems/conflict", "title": "The request conflicts with stored data",
            "status": 409, "detail": "3 laboratories send samples here; a collection point cannot be their hub",
            "instance": "/v1/laboratories/0193a0f4-5e6b-7c3d-9a10-2b3c4d5e6f70",
            "request_id": "0193a0f4-5e6b-7c3d-9a10-2b3c4d5e6f71"})))
    )
)]
pub struct Conflict(#[allow(dead_code)] Problem);

#[derive(ToResponse)]
#[response(
    description = "A CORS preflight (`OPTIONS` with `Access-Control-Request-Method`) from an origin, or asking for a method or request headers, that `LABNET_CORS_ORIGINS` and the API do not allow. Answered before any route, for every path; a malformed preflight (no `Origin`) is a 400 `/problems/bad-request` instead",
    content_type = "application/problem+json",
    example = json!({"type": "/problems/cors-refused", "title": "Cross-origin request refused",
        "status": 403, "detail": "origin `https://evil.example` is not allowed to call this API from a browser",
        "instance": "/v1/regions", "request_id": "0193a0f4-5e6b-7c3d-9a10-2b3c4d5e6f71"})
)]
pub struct CorsRefused(#[allow(dead_code)] Problem);

#[derive(ToResponse)]
#[response(
    description = "`If-Match` names a version that is no longer current",
    content_type = "application/problem+json",
    example = json!({"type": "/problems/precondition-failed", "title": "The resource has changed",
        "status": 412, "detail": "If-Match \"v1\" does not match the current ETag \"v2\"",
        "instance": "/v1/regions/0193a0f4-5e6b-7c3d-9a10-2b3c4d5e6f70",
        "request_id": "0193a0f4-5e6b-7c3d-9a10-2b3c4d5e6f71"})
)]
pub struct PreconditionFailed(#[allow(dead_code)] Problem);

#[derive(ToResponse)]
#[response(
    description = "The request body is larger than the configured limit",
    content_type = "application/problem+json",
    example = json!({"type": "/problems/payload-too-large", "title": "Request body is too large",
        "status": 413, "detail": "the body exceeds the limit of 1048576 bytes",
        "instance": "/v1/regions", "request_id": "0193a0f4-5e6b-7c3d-9a10-2b3c4d5e6f71"})
)]
pub struct PayloadTooLarge(#[allow(dead_code)] Problem);

#[derive(ToResponse)]
#[response(
    description = "The body did not arrive within `LABNET_BODY_TIMEOUT` seconds (10 by default); the connection is closed",
    content_type = "application/problem+json",
    example = json!({"type": "/problems/request-timeout", "title": "The request body did not arrive in time",
        "status": 408, "detail": "the body did not arrive within 10 seconds",
        "instance": "/v1/regions", "request_id": "0193a0f4-5e6b-7c3d-9a10-2b3c4d5e6f71"})
)]
pub struct RequestTimeout(#[allow(dead_code)] Problem);

#[derive(ToResponse)]
#[response(
    description = "The `Accept` header accepts none of the media types the operation answers with; `detail` lists them",
    content_type = "application/problem+json",
    example = json!({"type": "/problems/not-acceptable", "title": "No acceptable representation",
        "status": 406, "detail": "`Accept: text/csv` accepts none of application/json, application/geo+json",
        "instance": "/v1/laboratories", "request_id": "0193a0f4-5e6b-7c3d-9a10-2b3c4d5e6f71"})
)]
pub struct NotAcceptable(#[allow(dead_code)] Problem);

#[derive(ToResponse)]
#[response(
    description = "The body is not `application/json` (or `application/merge-patch+json` for PATCH), declares a charset other than UTF-8, or is compressed (`Content-Encoding`)",
    content_type = "application/problem+json",
    example = json!({"type": "/problems/unsupported-media-type", "title": "Unsupported content type",
        "status": 415, "detail": "expected Content-Type application/json, got text/plain",
        "instance": "/v1/regions", "request_id": "0193a0f4-5e6b-7c3d-9a10-2b3c4d5e6f71"})
)]
pub struct UnsupportedMediaType(#[allow(dead_code)] Problem);

#[derive(ToResponse)]
#[response(
    description = "The body is well-formed JSON but fields are invalid; `errors[]` names each",
    content_type = "application/problem+json",
    example = json!({"type": "/problems/validation", "title": "Request body is invalid", "status": 422,
        "detail": "1 field is invalid", "instance": "/v1/laboratories",
        "request_id": "0193a0f4-5e6b-7c3d-9a10-2b3c4d5e6f71",
        "errors": [{"field": "latitude", "code": "out_of_range", "message": "must be between -90 and 90"}]})
)]
pub struct ValidationFailed(#[allow(dead_code)] Problem);

#[derive(ToResponse)]
#[response(
    description = "The database is unavailable; retry after the `Retry-After` seconds",
    content_type = "application/problem+json",
    headers(("Retry-After" = u32, description = "Seconds to wait before retrying")),
    example = json!({"type": "/problems/unavailable", "title": "Service temporarily unavailable",
        "status": 503, "detail": "the database is unavailable", "instance": "/v1/regions",
        "request_id": "0193a0f4-5e6b-7c3d-9a10-2b3c4d5e6f71"})
)]
pub struct ServiceUnavailable(#[allow(dead_code)] Problem);

#[derive(ToResponse)]
#[response(
    description = "An unexpected error; the body never carries internals, quote the request id",
    content_type = "application/problem+json",
    example = json!({"type": "/problems/internal", "title": "Internal server error", "status": 500,
        "detail": "an unexpected error occurred; quote the request id when reporting it",
        "instance": "/v1/regions", "request_id": "0193a0f4-5e6b-7c3d-9a10-2b3c4d5e6f71"})
)]
pub struct InternalError(#[allow(dead_code)] Problem);

#[derive(ToResponse)]
#[response(
    description = "Credentials are missing (reads need them unless `LABNET_PUBLIC_READ` is on; writes always do), not `Bearer <credential>`, or unknown, expired or revoked. `WWW-Authenticate` carries the bearer challenge (`error=\"invalid_token\"` when a credential was sent)",
    content_type = "application/problem+json",
    headers(("WWW-Authenticate" = String, description = "`Bearer realm=\"labnet\"`, with `error=\"invalid_token\"` and `error_description` when a credential was sent but refused (RFC 6750)")),
    example = json!({"type": "/problems/unauthorized", "title": "Credentials are missing or invalid",
        "status": 401, "detail": "the API key was revoked",
        "instance": "/v1/laboratories", "request_id": "0193a0f4-5e6b-7c3d-9a10-2b3c4d5e6f71"})
)]
pub struct Unauthorized(#[allow(dead_code)] Problem);

#[derive(ToResponse)]
#[response(
    description = "The caller may not do this: its role is too low (`required_role`), or the write touches rows outside its regions (`outside_regions`; empty for rows in no region, which need `global` scope). Nothing was written",
    content_type = "application/problem+json",
    examples(
        ("role" = (summary = "The role is too low", value = json!({
            "type": "/problems/forbidden", "title": "Not allowed for this caller", "status": 403,
            "detail": "this operation needs the `editor` role",
            "instance": "/v1/laboratories", "request_id": "0193a0f4-5e6b-7c3d-9a10-2b3c4d5e6f71",
            "required_role": "editor"}))),
        ("region" = (summary = "Outside the caller's regions", value = json!({
            "type": "/problems/forbidden", "title": "Not allowed for this caller", "status": 403,
            "detail": "region 0193a0f4-5e6b-7c3d-9a10-2b3c4d5e6f70 is outside the regions this caller may write in",
            "instance": "/v1/laboratories/0193a0f4-5e6b-7c3d-9a10-2b3c4d5e6f72",
            "request_id": "0193a0f4-5e6b-7c3d-9a10-2b3c4d5e6f71",
            "outside_regions": ["0193a0f4-5e6b-7c3d-9a10-2b3c4d5e6f70"]})))
    )
)]
pub struct Forbidden(#[allow(dead_code)] Problem);

#[derive(ToResponse)]
#[response(
    description = "Too many requests: the caller's API key or token (or, without valid credentials, its client address) is over its per-minute limit. Nothing was done; retry after the `Retry-After` seconds. `RateLimit-Policy` names the quota that was exceeded and `RateLimit` says `r=0` with `t` = the same seconds as `Retry-After`",
    content_type = "application/problem+json",
    headers(("Retry-After" = u32, description = "Whole seconds (at least 1) until the next request is let through")),
    example = json!({"type": "/problems/rate-limited", "title": "Too many requests",
        "status": 429, "detail": "too many requests for this API key or token: the limit is 6000 per minute; retry in 1 s",
        "instance": "/v1/laboratories", "request_id": "0193a0f4-5e6b-7c3d-9a10-2b3c4d5e6f71"})
)]
pub struct TooManyRequests(#[allow(dead_code)] Problem);
