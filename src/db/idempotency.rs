//! Storage of idempotent POST answers. A key's row is written by the write path inside the
//! write's own transaction ([`claim`] first, [`record`] last), so a committed row always
//! holds its answer and a crash before the commit leaves no trace of the key.

use chrono::Duration;
use diesel::prelude::*;
use diesel::result::{DatabaseErrorKind, Error as DieselError};

use super::DbConn;
use crate::core::context::{Answer, IdempotentRequest};
use crate::core::error::DomainError;
use crate::core::time::{now, Timestamp};
use crate::schema::idempotency_keys;

/// How long a stored answer is replayed.
pub const RETENTION_HOURS: i64 = 24;

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = idempotency_keys)]
pub struct StoredResponse {
    pub idempotency_key: String,
    pub fingerprint: String,
    pub status_code: Option<i32>,
    pub response_headers: Option<String>,
    pub response_body: Option<String>,
    pub created_at: Timestamp,
}

/// What a key stands for when a request arrives with it.
#[derive(Debug, PartialEq, Eq)]
pub enum Stored {
    /// The key was not used (or its answer has expired): process the request.
    Unused,
    /// The same request was answered before: send this answer again.
    Answered(Answer),
    /// The key was used with a different request.
    Mismatch,
}

fn expired_before() -> Timestamp {
    let at = now();
    Timestamp(at.0 - Duration::hours(RETENTION_HOURS))
}

/// The stored answer for `key`, compared with the request's `fingerprint`.
pub fn find(conn: &mut DbConn, key: &str, fingerprint: &str) -> Result<Stored, DomainError> {
    let stored = idempotency_keys::table
        .find(key)
        .filter(idempotency_keys::created_at.ge(expired_before()))
        .filter(idempotency_keys::status_code.is_not_null())
        .select(StoredResponse::as_select())
        .first(conn)
        .optional()?;
    let Some(stored) = stored else {
        return Ok(Stored::Unused);
    };
    if stored.fingerprint != fingerprint {
        return Ok(Stored::Mismatch);
    }
    let headers: Vec<(String, String)> = stored
        .response_headers
        .as_deref()
        .and_then(|text| serde_json::from_str(text).ok())
        .unwrap_or_default();
    Ok(Stored::Answered(Answer {
        status: stored
            .status_code
            .and_then(|code| u16::try_from(code).ok())
            .unwrap_or(200),
        headers,
        body: stored.response_body.unwrap_or_default(),
    }))
}

/// Takes the key for this transaction, first thing in the write. A concurrent request with
/// the same key waits here (on the key's unique index, or on SQLite's one writer) until the
/// first commits or rolls back; if the first committed, this write is refused with a 409,
/// which the idempotency layer then replaces with the stored answer.
pub fn claim(conn: &mut DbConn, request: &IdempotentRequest) -> Result<(), DomainError> {
    // This key's expired answer goes, and so does a row left without an answer by an older
    // version of the service, which took keys in a transaction of their own. Other keys'
    // expired rows are left to `purge_expired`, outside any write, so concurrent writes never
    // wait on each other's deletes.
    diesel::delete(
        idempotency_keys::table.find(&request.key).filter(
            idempotency_keys::created_at
                .lt(expired_before())
                .or(idempotency_keys::status_code.is_null()),
        ),
    )
    .execute(conn)?;
    let inserted = diesel::insert_into(idempotency_keys::table)
        .values(StoredResponse {
            idempotency_key: request.key.clone(),
            fingerprint: request.fingerprint.clone(),
            status_code: None,
            response_headers: None,
            response_body: None,
            created_at: now(),
        })
        .execute(conn);
    match inserted {
        Ok(_) => Ok(()),
        Err(DieselError::DatabaseError(DatabaseErrorKind::UniqueViolation, _)) => {
            Err(DomainError::rule_conflict(
                "a request with this Idempotency-Key was answered meanwhile",
            ))
        }
        Err(other) => Err(other.into()),
    }
}

/// Stores the answer of a claimed key, last thing in the write.
pub fn record(conn: &mut DbConn, key: &str, answer: &Answer) -> Result<(), DomainError> {
    let headers = serde_json::to_string(&answer.headers)
        .map_err(|e| DomainError::internal(format!("could not store an answer: {e}")))?;
    diesel::update(idempotency_keys::table.find(key))
        .set((
            idempotency_keys::status_code.eq(Some(i32::from(answer.status))),
            idempotency_keys::response_headers.eq(Some(headers)),
            idempotency_keys::response_body.eq(Some(&answer.body)),
        ))
        .execute(conn)?;
    Ok(())
}

/// Deletes the answers older than the retention, at most `limit` of them per call.
pub fn purge_expired(conn: &mut DbConn, limit: i64) -> Result<usize, DomainError> {
    let expired: Vec<String> = idempotency_keys::table
        .filter(idempotency_keys::created_at.lt(expired_before()))
        .select(idempotency_keys::idempotency_key)
        .limit(limit)
        .load(conn)?;
    if expired.is_empty() {
        return Ok(0);
    }
    let deleted = diesel::delete(
        idempotency_keys::table
            .filter(idempotency_keys::idempotency_key.eq_any(&expired))
            .filter(idempotency_keys::created_at.lt(expired_before())),
    )
    .execute(conn)?;
    Ok(deleted)
}
