//! `Idempotency-Key` on POST: the same key with the same request within 24 hours gets the
//! first response again (with `Idempotent-Replayed: true`); the same key with a different
//! request gets 422. A second request sent while the first is still running waits for the
//! first's write to commit and then gets its answer.

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{Payload, ServiceRequest, ServiceResponse};
use actix_web::http::header::{HeaderName, HeaderValue};
use actix_web::http::{Method, StatusCode};
use actix_web::middleware::Next;
use actix_web::{web, HttpMessage, HttpResponse, ResponseError};
use std::sync::atomic::{AtomicI64, Ordering};

use sha2::{Digest, Sha256};

use crate::core::auth::{Caller, Role};
use crate::core::context::{Answer, IdempotentRequest};
use crate::core::error::{DomainError, FieldCode};
use crate::db::idempotency::{self, Stored};
use crate::db::{self};
use crate::http::json::{read_body, BodyLimit};
use crate::AppState;

pub const IDEMPOTENCY_KEY_HEADER: &str = "idempotency-key";
pub const REPLAYED_HEADER: &str = "idempotent-replayed";
const MAX_KEY_LENGTH: usize = 255;

fn parse_key(value: &HeaderValue) -> Result<String, DomainError> {
    let key = value.to_str().unwrap_or_default().trim();
    if key.is_empty() || key.len() > MAX_KEY_LENGTH || !key.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(DomainError::BadRequest {
            detail: format!(
                "Idempotency-Key must be 1 to {MAX_KEY_LENGTH} visible ASCII characters"
            ),
            errors: vec![crate::core::error::FieldError::new(
                "Idempotency-Key",
                FieldCode::Invalid,
                "must be 1 to 255 visible ASCII characters",
            )],
        });
    }
    Ok(key.to_owned())
}

fn fingerprint(req: &ServiceRequest, caller: &Caller, body: &[u8]) -> String {
    let mut hasher = Sha256::new();
    hasher.update(caller.actor.kind.as_str().as_bytes());
    hasher.update(b":");
    hasher.update(caller.actor.id.as_bytes());
    hasher.update(b"\n");
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

/// The idempotency key and fingerprint of a POST seen for the first time, for the write
/// context of its handler (see [`crate::core::context`]).
#[derive(Debug, Clone)]
pub struct FirstUse(pub IdempotentRequest);

/// An answer as an HTTP response; a replay says so in `Idempotent-Replayed`.
pub fn answer_response(answer: Answer, replayed: bool) -> HttpResponse {
    let status = StatusCode::from_u16(answer.status).unwrap_or(StatusCode::OK);
    let mut response = HttpResponse::build(status);
    for (name, value) in &answer.headers {
        if let (Ok(name), Ok(value)) = (
            HeaderName::try_from(name.as_str()),
            HeaderValue::from_str(value),
        ) {
            response.insert_header((name, value));
        }
    }
    if replayed {
        response.insert_header((HeaderName::from_static(REPLAYED_HEADER), "true"));
    }
    response.body(answer.body)
}

fn error_response(req: ServiceRequest, error: DomainError) -> ServiceResponse<BoxBody> {
    let response = error.error_response();
    req.into_response(response)
}

fn mismatch() -> DomainError {
    DomainError::invalid(
        "Idempotency-Key",
        FieldCode::Mismatch,
        "this key was already used with a different request; use a new key",
    )
}

async fn stored(state: &AppState, key: &str, fingerprint: &str) -> Result<Stored, DomainError> {
    let (key, fingerprint) = (key.to_owned(), fingerprint.to_owned());
    db::run(&state.pool, move |conn| {
        idempotency::find(conn, &key, &fingerprint)
    })
    .await
}

/// Seconds since the epoch of this process's last purge of expired answers.
static LAST_PURGE: AtomicI64 = AtomicI64::new(0);
/// How often a process purges expired answers, and how many rows one purge deletes at most.
const PURGE_EVERY_SECONDS: i64 = 60;
const PURGE_BATCH: i64 = 1_000;

/// Starts a purge of expired answers in the background, at most once a minute per process
/// (every instance purges; the deletes are idempotent).
fn purge_now_and_then(state: &AppState) {
    let now = chrono::Utc::now().timestamp();
    let last = LAST_PURGE.load(Ordering::Relaxed);
    if now - last < PURGE_EVERY_SECONDS
        || LAST_PURGE
            .compare_exchange(last, now, Ordering::Relaxed, Ordering::Relaxed)
            .is_err()
    {
        return;
    }
    let pool = state.pool.clone();
    actix_web::rt::spawn(async move {
        let purged = db::run(&pool, |conn| idempotency::purge_expired(conn, PURGE_BATCH)).await;
        if let Err(error) = purged {
            tracing::warn!(error = %error, "could not purge expired idempotency keys");
        }
    });
}

/// The middleware; it wraps the whole application inside the request-id layer. It answers a
/// key seen before from the database; for a first use it hands the key to the handler's
/// write context, and the write path stores the answer with the write.
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
    // Only a caller who may write has its keys looked up (the handler refuses the others).
    // The caller is part of the fingerprint: another caller reusing a key is refused (422),
    // never given the first caller's answer.
    let caller = req.extensions().get::<Caller>().cloned();
    let Some(caller) = caller.filter(|caller| caller.has(Role::Editor)) else {
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
    let request_fingerprint = fingerprint(&req, &caller, &body_bytes);
    req.set_payload(Payload::from(body_bytes));

    purge_now_and_then(&state);
    match stored(&state, &key, &request_fingerprint).await {
        Err(error) => return Ok(error_response(req, error)),
        Ok(Stored::Answered(answer)) => return Ok(req.into_response(answer_response(answer, true))),
        Ok(Stored::Mismatch) => return Ok(error_response(req, mismatch())),
        Ok(Stored::Unused) => {}
    }
    req.extensions_mut().insert(FirstUse(IdempotentRequest::new(
        key.clone(),
        request_fingerprint.clone(),
    )));
    let response = next.call(req).await?.map_into_boxed_body();
    if response.status().is_success() {
        return Ok(response);
    }
    // A concurrent request with the same key may have been answered while this one ran
    // (its write was then refused when it claimed the key): that answer is the answer.
    match stored(&state, &key, &request_fingerprint).await {
        Ok(Stored::Answered(answer)) => {
            let (http_request, _) = response.into_parts();
            Ok(ServiceResponse::new(
                http_request,
                answer_response(answer, true),
            ))
        }
        Ok(Stored::Mismatch) => {
            let (http_request, _) = response.into_parts();
            Ok(ServiceResponse::new(
                http_request,
                mismatch().error_response(),
            ))
        }
        Ok(Stored::Unused) | Err(_) => Ok(response),
    }
}
