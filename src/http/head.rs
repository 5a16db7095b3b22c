//! `HEAD` wherever `GET` works (RFC 9110, 9.3.2): the request is routed and served as a
//! `GET`, so the status and headers, `ETag` and `Content-Length` included, are the ones a
//! `GET` gets; the HTTP layer, which read the request as `HEAD`, sends no body.

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::Method;
use actix_web::middleware::Next;

pub async fn head_as_get(
    mut req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    if req.method() == Method::HEAD {
        req.head_mut().method = Method::GET;
    }
    next.call(req).await
}
