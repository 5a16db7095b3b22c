//! Storage of idempotent POST responses.

use chrono::Duration;
use diesel::prelude::*;
use diesel::result::{DatabaseErrorKind, Error as DieselError};

use super::{write_transaction, DbConn};
use crate::core::error::DomainError;
use crate::core::time::{now, Timestamp};
use crate::schema::idempotency_keys;

/// How long a stored response is replayed.
pub const RETENTION_HOURS: i64 = 24;
/// A reservation whose request never completed (the process died) is abandoned after this.
const ABANDONED_AFTER_SECONDS: i64 = 120;

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

/// What to do with a request that carries an `Idempotency-Key`.
#[derive(Debug)]
pub enum Reservation {
    /// First use of the key: process the request, then `complete` (or `release`).
    Reserved,
    /// The same request was answered before: send this response again.
    Replay(StoredResponse),
    /// The key was used with a different request.
    Mismatch,
    /// The first request with this key is still being processed.
    InFlight,
}

pub fn reserve(
    conn: &mut DbConn,
    key: &str,
    fingerprint: &str,
) -> Result<Reservation, DomainError> {
    let at = now();
    let outcome = write_transaction(conn, |conn| -> Result<Reservation, DieselError> {
        let expired_before = Timestamp(at.0 - Duration::hours(RETENTION_HOURS));
        diesel::delete(
            idempotency_keys::table.filter(idempotency_keys::created_at.lt(expired_before)),
        )
        .execute(conn)?;
        let existing = idempotency_keys::table
            .find(key)
            .select(StoredResponse::as_select())
            .first(conn)
            .optional()?;
        if let Some(stored) = existing {
            let abandoned = stored.status_code.is_none()
                && stored.created_at.0 < at.0 - Duration::seconds(ABANDONED_AFTER_SECONDS);
            if !abandoned {
                return Ok(if stored.fingerprint != fingerprint {
                    Reservation::Mismatch
                } else if stored.status_code.is_none() {
                    Reservation::InFlight
                } else {
                    Reservation::Replay(stored)
                });
            }
            diesel::delete(idempotency_keys::table.find(key)).execute(conn)?;
        }
        diesel::insert_into(idempotency_keys::table)
            .values(StoredResponse {
                idempotency_key: key.to_owned(),
                fingerprint: fingerprint.to_owned(),
                status_code: None,
                response_headers: None,
                response_body: None,
                created_at: at,
            })
            .execute(conn)?;
        Ok(Reservation::Reserved)
    });
    match outcome {
        Ok(reservation) => Ok(reservation),
        // Another instance reserved the same key between our read and insert.
        Err(DieselError::DatabaseError(DatabaseErrorKind::UniqueViolation, _)) => {
            Ok(Reservation::InFlight)
        }
        Err(other) => Err(other.into()),
    }
}

/// Stores the response of a reserved key.
pub fn complete(
    conn: &mut DbConn,
    key: &str,
    status: u16,
    headers: &str,
    body: &str,
) -> Result<(), DomainError> {
    diesel::update(idempotency_keys::table.find(key))
        .set((
            idempotency_keys::status_code.eq(Some(i32::from(status))),
            idempotency_keys::response_headers.eq(Some(headers)),
            idempotency_keys::response_body.eq(Some(body)),
        ))
        .execute(conn)?;
    Ok(())
}

/// Frees a reserved key whose request failed on the server side, so a retry can run.
pub fn release(conn: &mut DbConn, key: &str) -> Result<(), DomainError> {
    diesel::delete(
        idempotency_keys::table
            .find(key)
            .filter(idempotency_keys::status_code.is_null()),
    )
    .execute(conn)?;
    Ok(())
}
