//! CORS: which browser origins, methods and headers may call the API, and the answer to a
//! preflight that asks for something else.
//!
//! actix-cors answers a refused preflight itself, before any handler, with 400 and a
//! `text/plain` sentence. `refusal_as_problem`, wrapped around it, replaces that answer with
//! a problem document like every other error, carrying the request id:
//!
//! - an origin, method or request header that the settings do not allow: **403**
//!   `/problems/cors-refused` (the preflight is well-formed; the service's policy refuses
//!   it, so repeating it unchanged cannot succeed);
//! - a malformed preflight (no `Origin`, an unreadable `Access-Control-Request-Headers`):
//!   **400** `/problems/bad-request`.
//!
//! Browsers do not show a failed preflight's answer to scripts (the call fails as a network
//! error); the document is for whoever reads the network log or calls with curl.

use actix_cors::{Cors, CorsError};
use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderName, HeaderValue};
use actix_web::middleware::Next;
use actix_web::{HttpRequest, ResponseError};

use crate::config::Settings;
use crate::core::error::{echo, DomainError};
use crate::telemetry::REQUEST_ID_HEADER;

/// Methods a browser may use across origins.
const ALLOWED_METHODS: [&str; 6] = ["GET", "HEAD", "POST", "PATCH", "DELETE", "OPTIONS"];

/// Request headers a browser may send across origins (besides the CORS-safelisted ones).
const ALLOWED_HEADERS: [&str; 9] = [
    "content-type",
    "if-match",
    "if-none-match",
    "accept",
    "authorization",
    "idempotency-key",
    REQUEST_ID_HEADER,
    // W3C trace context, which browser instrumentation adds to every request.
    "traceparent",
    "tracestate",
];

/// Response headers a browser lets scripts read across origins.
const EXPOSED_HEADERS: [&str; 8] = [
    "etag",
    "location",
    "retry-after",
    REQUEST_ID_HEADER,
    "idempotent-replayed",
    // The rate limit a script can pace itself by (`http::limits`).
    "ratelimit",
    "ratelimit-policy",
    // Which credentials a 401 asks for.
    "www-authenticate",
];

/// The CORS layer for `LABNET_CORS_ORIGINS` (a list of origins, `*` for any, empty for none).
pub fn cors(settings: &Settings) -> Cors {
    let origins = settings.cors_origin_list();
    let mut cors = Cors::default()
        .allowed_methods(ALLOWED_METHODS)
        .allowed_headers(ALLOWED_HEADERS.map(HeaderName::from_static))
        .expose_headers(EXPOSED_HEADERS.map(HeaderName::from_static))
        .max_age(3600);
    if origins.iter().any(|o| o == "*") {
        cors = cors.allow_any_origin();
    } else {
        for origin in &origins {
            cors = cors.allowed_origin(origin);
        }
    }
    cors
}

/// Turns actix-cors' own refusal of a request into a problem document (see the module
/// documentation); every other response passes through unchanged.
pub async fn refusal_as_problem(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<EitherBody<impl MessageBody>>, actix_web::Error> {
    let response = next.call(req).await?;
    let Some(refusal) = response
        .response()
        .error()
        .and_then(|error| error.as_error::<CorsError>())
    else {
        return Ok(response.map_into_left_body());
    };
    let error = refusal_error(refusal, response.request());
    let (request, _) = response.into_parts();
    let mut problem = error.error_response();
    // The answer depends on these request headers, as an allowed preflight's does (actix-cors
    // marks those, not its refusals).
    problem.headers_mut().insert(
        header::VARY,
        HeaderValue::from_static(
            "Origin, Access-Control-Request-Method, Access-Control-Request-Headers",
        ),
    );
    Ok(ServiceResponse::new(request, problem).map_into_right_body())
}

/// Most refused header names a refusal repeats.
const MAX_LISTED_HEADERS: usize = 10;

/// The domain error for a CORS refusal, naming what was refused.
fn refusal_error(refusal: &CorsError, request: &HttpRequest) -> DomainError {
    let requested = |name: HeaderName| {
        request
            .headers()
            .get(name)
            .map(|value| echo(&String::from_utf8_lossy(value.as_bytes())))
            .unwrap_or_default()
    };
    match refusal {
        CorsError::OriginNotAllowed => DomainError::CorsRefused(format!(
            "origin `{}` is not allowed to call this API from a browser",
            requested(header::ORIGIN)
        )),
        CorsError::MethodNotAllowed => DomainError::CorsRefused(format!(
            "method `{}` is not allowed across origins; allowed: {}",
            requested(header::ACCESS_CONTROL_REQUEST_METHOD),
            ALLOWED_METHODS.join(", ")
        )),
        CorsError::HeadersNotAllowed => {
            let asked = request
                .headers()
                .get(header::ACCESS_CONTROL_REQUEST_HEADERS)
                .and_then(|value| value.to_str().ok())
                .unwrap_or_default();
            let refused: Vec<String> = asked
                .split(',')
                .map(|name| name.trim().to_ascii_lowercase())
                .filter(|name| !name.is_empty() && !ALLOWED_HEADERS.contains(&name.as_str()))
                .take(MAX_LISTED_HEADERS)
                .map(|name| echo(&name))
                .collect();
            DomainError::CorsRefused(format!(
                "request headers not allowed across origins: {}; allowed: {}",
                refused.join(", "),
                ALLOWED_HEADERS.join(", ")
            ))
        }
        other => DomainError::bad_request(format!("malformed CORS preflight: {other}")),
    }
}
