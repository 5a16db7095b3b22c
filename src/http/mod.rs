//! Cross-cutting HTTP pieces shared by every resource.

pub mod etag;
pub mod idempotency;
pub mod ids;
pub mod json;
pub mod pagination;
pub mod query;
pub mod responses;

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse};
use serde::Serialize;

/// 201 with `Location` and `ETag`.
pub fn created<T: Serialize>(location: String, version: i64, body: &T) -> HttpResponse {
    HttpResponse::Created()
        .insert_header((header::LOCATION, location))
        .insert_header((header::ETAG, etag::etag(version)))
        .json(body)
}

/// 200 with `ETag`, or 304 when the request's `If-None-Match` names the current version.
pub fn fetched<T: Serialize>(req: &HttpRequest, version: i64, body: &T) -> HttpResponse {
    if etag::if_none_match(req.headers(), version) {
        return HttpResponse::NotModified()
            .insert_header((header::ETAG, etag::etag(version)))
            .finish();
    }
    HttpResponse::Ok()
        .insert_header((header::ETAG, etag::etag(version)))
        .json(body)
}

/// 200 with the new `ETag` after a write.
pub fn updated<T: Serialize>(version: i64, body: &T) -> HttpResponse {
    HttpResponse::Ok()
        .insert_header((header::ETAG, etag::etag(version)))
        .json(body)
}
