//! `Idempotency-Key` on POST: the same key with the same request within 24 hours gets the
//! first response again (with `Idempotent-Replayed: true`); the same key with a different
//! request gets 422; while the first request is still running, a second one gets 409.

use actix_web::body::{self, BoxBody, MessageBody};
use actix_web::dev::{Payload, ServiceRequest, ServiceResponse};
use actix_web::http::header::{HeaderName, HeaderValue, CONTENT_TYPE, ETAG, LOCATION};
use actix_web::http::{Method, StatusCode};
use actix_web::middleware::Next;
use actix_web::{web, HttpMessage, HttpResponse, ResponseError};
use sha2::{Digest, Sha256};

use crate::core::error::DomainError;
use crate::db::idempotency::{self, Reservation, StoredResponse};
use crate::db::{self};
use crate::http::json::{read_body, BodyLimit};
use crate::AppState;

pub const IDEMPOTENCY_KEY_HEADER: &str = "idempotency-key";
pub const REPLAYED_HEADER: &str = "idempotent-replayed";
const MAX_KEY_LENGTH: usize = 255;

/// Headers kept with a stored response.
const STORED_HEADERS: [HeaderName; 3] = [CONTENT_TYPE, LOCATION, ETAG];

fn parse_key(value: &HeaderValue) -> Result<String, DomainError> {
    let key = value.to_str().unwrap_or_default().trim();
    if key.is_empty() || key.len() > MAX_KEY_LENGTH || !key.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(DomainError::BadRequest {
            detail: format!(
                "Idempotency-Key must be 1 to {MAX_KEY_LENGTH} visible ASCII characters"
            ),
            errors: vec![crate::core::error::FieldError::new(
                "Idempotency-Key",
                "invalid",
                "must be 1 to 255 visible ASCII characters",
            )],
        });
    }
    Ok(key.to_owned())
}

fn fingerprint(req: &ServiceRequest, body: &[u8]) -> String {
    let mut hasher = Sha256::new();
    hasher.update(req.method().as_str().as_bytes());
    hasher.update(b" ");
    hasher.update(req.path().as_bytes());
    hasher.update(b"?");
    hasher.update(req.query_string().as_bytes());
    hasher.update(b"\n");
    hasher.update(body);
    hasher
        .finalize()
        .iter()
        .map(|byte| format!("{byte:02x}"))
        .collect()
}

fn replay(stored: &StoredResponse) -> HttpResponse {
    let status = stored
        .status_code
        .and_then(|code| u16::try_from(code).ok())
        .and_then(|code| StatusCode::from_u16(code).ok())
        .unwrap_or(StatusCode::OK);
    let mut response = HttpResponse::build(status);
    let headers: Vec<(String, String)> = stored
        .response_headers
        .as_deref()
        .and_then(|text| serde_json::from_str(text).ok())
        .unwrap_or_default();
    for (name, value) in headers {
        if let (Ok(name), Ok(value)) = (HeaderName::try_from(name), HeaderValue::from_str(&value)) {
            response.insert_header((name, value));
        }
    }
    response.insert_header((HeaderName::from_static(REPLAYED_HEADER), "true"));
    response.body(stored.response_body.clone().unwrap_or_default())
}

fn error_response(req: ServiceRequest, error: DomainError) -> ServiceResponse<BoxBody> {
    let response = error.error_response();
    req.into_response(response)
}

/// The middleware; it wraps the whole application inside the request-id layer.
pub async fn idempotent_post(
    mut req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let header = req.headers().get(IDEMPOTENCY_KEY_HEADER).cloned();
    let (Some(header), true) = (header, req.method() == Method::POST) else {
        return next
            .call(req)
            .await
            .map(ServiceResponse::map_into_boxed_body);
    };
    let key = match parse_key(&header) {
        Ok(key) => key,
        Err(error) => return Ok(error_response(req, error)),
    };
    let Some(state) = req.app_data::<web::Data<AppState>>().cloned() else {
        return next
            .call(req)
            .await
            .map(ServiceResponse::map_into_boxed_body);
    };
    let limit = req
        .app_data::<web::Data<BodyLimit>>()
        .map(|l| *l.get_ref())
        .unwrap_or_default();

    // The body is read here to fingerprint it, then handed on to the handler unchanged.
    let body_bytes = match read_body(req.take_payload(), limit).await {
        Ok(bytes) => bytes,
        Err(error) => return Ok(error_response(req, error)),
    };
    let request_fingerprint = fingerprint(&req, &body_bytes);
    req.set_payload(Payload::from(body_bytes));

    let reservation = {
        let key = key.clone();
        db::run(&state.pool, move |conn| {
            idempotency::reserve(conn, &key, &request_fingerprint)
        })
        .await
    };
    match reservation {
        Err(error) => return Ok(error_response(req, error)),
        Ok(Reservation::Replay(stored)) => return Ok(req.into_response(replay(&stored))),
        Ok(Reservation::Mismatch) => {
            let error = DomainError::invalid(
                "Idempotency-Key",
                "mismatch",
                "this key was already used with a different request; use a new key",
            );
            return Ok(error_response(req, error));
        }
        Ok(Reservation::InFlight) => {
            let error = DomainError::rule_conflict(
                "a request with this Idempotency-Key is still being processed; retry later",
            );
            return Ok(error_response(req, error));
        }
        Ok(Reservation::Reserved) => {}
    }

    let response = match next.call(req).await {
        Ok(response) => response,
        Err(error) => {
            release(&state, key).await;
            return Err(error);
        }
    };
    if response.status().is_server_error() {
        release(&state, key).await;
        return Ok(response.map_into_boxed_body());
    }
    let (http_request, http_response) = response.into_parts();
    let status = http_response.status();
    let headers: Vec<(String, String)> = STORED_HEADERS
        .iter()
        .filter_map(|name| {
            http_response
                .headers()
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(|v| (name.as_str().to_owned(), v.to_owned()))
        })
        .collect();
    let (head, response_body) = http_response.into_parts();
    let bytes = match body::to_bytes(response_body).await {
        Ok(bytes) => bytes,
        Err(_) => {
            release(&state, key).await;
            let error = DomainError::internal("could not buffer the response body");
            return Ok(ServiceResponse::new(http_request, error.error_response()));
        }
    };
    let stored_body = String::from_utf8_lossy(&bytes).into_owned();
    let stored_headers = serde_json::to_string(&headers).unwrap_or_default();
    let stored = db::run(&state.pool, move |conn| {
        idempotency::complete(conn, &key, status.as_u16(), &stored_headers, &stored_body)
    })
    .await;
    if let Err(error) = stored {
        tracing::warn!(error = %error, "could not store the idempotent response");
    }
    let rebuilt = head.set_body(bytes).map_into_boxed_body();
    Ok(ServiceResponse::new(http_request, rebuilt))
}

async fn release(state: &AppState, key: String) {
    if let Err(error) = db::run(&state.pool, move |conn| idempotency::release(conn, &key)).await {
        tracing::warn!(error = %error, "could not release an idempotency key");
    }
}
