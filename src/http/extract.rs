//! Extractors every resource's handlers share: the typed id of a path, and the `If-Match`
//! and `If-None-Match` conditions. Each documents itself once, for every operation that
//! takes it (`params(VendorId, IfMatch)` in a handler's annotation).

use std::future::{ready, Ready};

use actix_web::dev::Payload;
use actix_web::http::header::{self, HeaderName};
use actix_web::{FromRequest, HttpMessage, HttpRequest};
use utoipa::openapi::path::{Parameter, ParameterBuilder, ParameterIn};
use utoipa::openapi::schema::{ObjectBuilder, Type};
use utoipa::openapi::Required;

use crate::core::auth::Caller;
use crate::core::context::WriteContext;
use crate::core::error::DomainError;
use crate::core::ids::ResourceId;
use crate::core::precondition::Precondition;
use crate::http::idempotency::FirstUse;
use crate::telemetry::RequestContext;

/// The `{id}` segment of a path as the resource's typed id; a segment that is not a UUID
/// names no resource (404).
#[derive(Debug, Clone, Copy)]
pub struct IdPath<T>(pub T);

impl<T: ResourceId> FromRequest for IdPath<T> {
    type Error = DomainError;
    type Future = Ready<Result<Self, DomainError>>;

    fn from_request(req: &HttpRequest, _payload: &mut Payload) -> Self::Future {
        let raw = req.match_info().get("id").unwrap_or_default();
        ready(T::parse(raw).map(IdPath))
    }
}

fn header_text(req: &HttpRequest, name: &HeaderName) -> Result<Option<String>, DomainError> {
    match req.headers().get(name) {
        None => Ok(None),
        Some(value) => value
            .to_str()
            .map(|raw| Some(raw.to_owned()))
            .map_err(|_| DomainError::bad_request(format!("{name} is not a valid header value"))),
    }
}

fn header_parameter(name: &str, description: &str) -> Parameter {
    ParameterBuilder::new()
        .name(name)
        .parameter_in(ParameterIn::Header)
        .required(Required::False)
        .description(Some(description))
        .schema(Some(ObjectBuilder::new().schema_type(Type::String)))
        .build()
}

/// `If-Match` on a write: the write goes ahead only while the ETag still names the stored
/// version (412 otherwise); without the header it always goes ahead.
#[derive(Debug, Clone, Default)]
pub struct IfMatch(pub Precondition);

impl FromRequest for IfMatch {
    type Error = DomainError;
    type Future = Ready<Result<Self, DomainError>>;

    fn from_request(req: &HttpRequest, _payload: &mut Payload) -> Self::Future {
        ready(
            header_text(req, &header::IF_MATCH)
                .map(|raw| IfMatch(raw.map_or_else(Precondition::none, Precondition::if_match))),
        )
    }
}

impl utoipa::IntoParams for IfMatch {
    fn into_params(_: impl Fn() -> Option<ParameterIn>) -> Vec<Parameter> {
        vec![header_parameter(
            "If-Match",
            "Only change the resource if the ETag still matches (412 otherwise)",
        )]
    }
}

/// `If-None-Match` on a read: the client's cached copy, answered with 304 while current.
#[derive(Debug, Clone, Default)]
pub struct IfNoneMatch(pub Option<String>);

impl FromRequest for IfNoneMatch {
    type Error = DomainError;
    type Future = Ready<Result<Self, DomainError>>;

    fn from_request(req: &HttpRequest, _payload: &mut Payload) -> Self::Future {
        // An unreadable header matches nothing: the full response is always correct.
        ready(Ok(IfNoneMatch(
            header_text(req, &header::IF_NONE_MATCH).unwrap_or(None),
        )))
    }
}

impl utoipa::IntoParams for IfNoneMatch {
    fn into_params(_: impl Fn() -> Option<ParameterIn>) -> Vec<Parameter> {
        vec![header_parameter(
            "If-None-Match",
            "ETag of a cached copy; 304 when it is still current",
        )]
    }
}

/// The context a handler passes to the service's writes: the request id and, for a POST
/// with an `Idempotency-Key` seen for the first time, the key (set by the idempotency layer).
impl FromRequest for WriteContext {
    type Error = DomainError;
    type Future = Ready<Result<Self, DomainError>>;

    fn from_request(req: &HttpRequest, _payload: &mut Payload) -> Self::Future {
        let idempotency = req
            .extensions()
            .get::<FirstUse>()
            .map(|first| first.0.clone());
        let caller = req
            .extensions()
            .get::<Caller>()
            .cloned()
            .unwrap_or_else(Caller::anonymous);
        ready(Ok(WriteContext {
            request_id: RequestContext::current().map(|context| context.request_id),
            idempotency,
            caller,
        }))
    }
}
