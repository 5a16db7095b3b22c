//! The HTTP edge: extractors, response shapes and the one mapping of domain errors to
//! problem+json. Nothing below `http` (services, repositories, the core) sees an HTTP type.

pub mod auth;
pub mod cors;
pub mod endpoints;
pub mod extract;
pub mod head;
pub mod idempotency;
pub mod json;
pub mod jwt;
pub mod limits;
pub mod negotiate;
pub mod problem;
pub mod query;
pub mod responses;
pub mod security;

use actix_web::http::header;
use actix_web::HttpResponse;
use serde::Serialize;

use crate::core::context::Answer;
use crate::core::error::DomainError;
use crate::core::precondition::{content_etag, etag, none_match_is_fresh, none_match_names};
use extract::IfNoneMatch;

/// 201 with `Location`, `ETag` and the JSON body, as an answer an idempotent POST can
/// store; [`idempotency::answer_response`] makes it a response.
pub fn created<T: Serialize>(
    location: String,
    version: i64,
    body: &T,
) -> Result<Answer, DomainError> {
    Answer::json(
        201,
        vec![
            (
                header::CONTENT_TYPE.to_string(),
                "application/json".to_owned(),
            ),
            (header::LOCATION.to_string(), location),
            (header::ETAG.to_string(), etag(version)),
        ],
        body,
    )
}

/// 200 with `ETag`, or 304 when the request's `If-None-Match` names the current version.
pub fn fetched<T: Serialize>(cached: &IfNoneMatch, version: i64, body: &T) -> HttpResponse {
    if none_match_is_fresh(cached.0.as_deref(), version) {
        return HttpResponse::NotModified()
            .insert_header((header::ETAG, etag(version)))
            .finish();
    }
    HttpResponse::Ok()
        .insert_header((header::ETAG, etag(version)))
        .json(body)
}

/// 200 with the new `ETag` after a write.
pub fn updated<T: Serialize>(version: i64, body: &T) -> HttpResponse {
    HttpResponse::Ok()
        .insert_header((header::ETAG, etag(version)))
        .json(body)
}

/// A list page (or any representation without a version): 200 with a weak `ETag` digest
/// of the body, or 304 when the request's `If-None-Match` names it.
pub fn listed<T: Serialize>(cached: &IfNoneMatch, body: &T) -> Result<HttpResponse, DomainError> {
    listed_in(cached, body, &["application/json"], 0)
}

/// [`listed`] in the media type `offered[form]`, which [`negotiated`] chose. When several
/// were offered the answer says it depends on `Accept` (`Vary`), so caches keep each form
/// apart; each form's `ETag` is a digest of its own bytes.
pub fn listed_in<T: Serialize>(
    cached: &IfNoneMatch,
    body: &T,
    offered: &[&str],
    form: usize,
) -> Result<HttpResponse, DomainError> {
    let bytes = serde_json::to_vec(body)
        .map_err(|e| DomainError::internal(format!("cannot serialize a list: {e}")))?;
    let tag = content_etag(&bytes);
    let fresh = none_match_names(cached.0.as_deref(), &tag);
    let mut response = if fresh {
        HttpResponse::NotModified()
    } else {
        HttpResponse::Ok()
    };
    response.insert_header((header::ETAG, tag));
    if offered.len() > 1 {
        response.append_header((header::VARY, "Accept"));
    }
    if fresh {
        return Ok(response.finish());
    }
    let media_type = offered.get(form).copied().unwrap_or("application/json");
    Ok(response.content_type(media_type).body(bytes))
}

/// Which of `offered` (media types, the default first) the request's `Accept` header
/// prefers, by index; 406 when it accepts none of them.
pub fn negotiated(
    request: &actix_web::HttpRequest,
    offered: &[&str],
) -> Result<usize, DomainError> {
    let accept = request
        .headers()
        .get_all(header::ACCEPT)
        .filter_map(|value| value.to_str().ok())
        .collect::<Vec<_>>()
        .join(", ");
    let accept = request
        .headers()
        .contains_key(header::ACCEPT)
        .then_some(accept);
    negotiate::choose(accept.as_deref(), offered).ok_or_else(|| {
        DomainError::NotAcceptable(format!(
            "`Accept: {}` accepts none of {}",
            crate::core::error::echo(accept.as_deref().unwrap_or_default()),
            offered.join(", ")
        ))
    })
}
