//! How database errors map onto domain errors, in one place for both backends.

use diesel::result::{DatabaseErrorKind, Error as DieselError};

use crate::core::error::{DomainError, FieldError};

/// Database errors that no service rule caught. Services map the constraint violations they
/// expect (naming the field) before this; what reaches here is generic.
impl From<DieselError> for DomainError {
    fn from(error: DieselError) -> Self {
        match &error {
            DieselError::NotFound => Self::NotFound("the resource does not exist".to_owned()),
            DieselError::DatabaseError(kind, info) => match kind {
                DatabaseErrorKind::UniqueViolation => {
                    let field = info
                        .column_name()
                        .map(str::to_owned)
                        .or_else(|| constraint_field(info.message()))
                        .or_else(|| {
                            postgres_unique_field(
                                info.details(),
                                info.constraint_name(),
                                info.table_name(),
                            )
                        })
                        .unwrap_or_else(|| "unknown".to_owned());
                    Self::duplicate(
                        &field,
                        format!("another resource already has this `{field}`"),
                    )
                }
                DatabaseErrorKind::ForeignKeyViolation => Self::rule_conflict(
                    "the change refers to a resource that does not exist or is still referenced",
                ),
                DatabaseErrorKind::CheckViolation | DatabaseErrorKind::NotNullViolation => {
                    Self::Validation(vec![FieldError::new(
                        info.constraint_name().unwrap_or("body"),
                        "invalid",
                        "the value breaks a database constraint",
                    )])
                }
                DatabaseErrorKind::ClosedConnection | DatabaseErrorKind::UnableToSendCommand => {
                    Self::unavailable("the database connection was lost")
                }
                DatabaseErrorKind::SerializationFailure => {
                    Self::unavailable("the database could not serialize concurrent writes; retry")
                }
                // `statement_timeout` (SQLSTATE 57014), `lock_timeout` (55P03): the database
                // did not get to an answer in time, which a retry may.
                _ if is_timeout_message(info.message()) => {
                    Self::unavailable("the database did not answer in time; retry")
                }
                _ if is_connection_message(info.message()) => {
                    Self::unavailable("the database is unavailable")
                }
                _ if info.message().contains("database is locked") => {
                    Self::unavailable("the database is busy; retry")
                }
                _ => Self::internal(format!("database error: {error}")),
            },
            _ => Self::internal(format!("database error: {error}")),
        }
    }
}

/// SQLite names no constraint, only `UNIQUE constraint failed: table.column`.
fn constraint_field(message: &str) -> Option<String> {
    let columns = message.strip_prefix("UNIQUE constraint failed: ")?;
    let first = columns.split(',').next()?.trim();
    first.rsplit('.').next().map(str::to_owned)
}

/// PostgreSQL names the key in the detail (`Key (code)=(RU-KGN) already exists.`) and the
/// constraint after its table (`regions_code_key`); the first column of either is the field.
fn postgres_unique_field(
    detail: Option<&str>,
    constraint: Option<&str>,
    table: Option<&str>,
) -> Option<String> {
    let plain = |name: &str| {
        !name.is_empty() && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
    };
    let from_detail = detail
        .and_then(|d| d.strip_prefix("Key ("))
        .and_then(|rest| rest.split(")=").next())
        .and_then(|columns| columns.split(',').next())
        .map(str::trim)
        .filter(|column| plain(column))
        .map(str::to_owned);
    from_detail.or_else(|| {
        let rest = constraint?.strip_prefix(table?)?.strip_prefix('_')?;
        let column = rest
            .strip_suffix("_key")
            .or_else(|| rest.strip_suffix("_idx"))
            .unwrap_or(rest);
        plain(column).then(|| column.to_owned())
    })
}

fn is_timeout_message(message: &str) -> bool {
    let lowered = message.to_lowercase();
    lowered.contains("canceling statement due to statement timeout")
        || lowered.contains("canceling statement due to lock timeout")
}

fn is_connection_message(message: &str) -> bool {
    let lowered = message.to_lowercase();
    [
        "connection timed out",
        "timeout expired",
        "could not receive data from server",
        "could not send data to server",
        "terminating connection",
        "server closed the connection",
        "connection refused",
        "no connection to the server",
        "could not connect",
        "connection reset",
        "broken pipe",
        "the database system is shutting down",
        "the database system is starting up",
    ]
    .iter()
    .any(|needle| lowered.contains(needle))
}

/// A unique index refused a write that the service's pre-check let through (a concurrent
/// write took the value in between): the client hears `taken`, the same 409 the check gives.
pub fn unique_or(error: DieselError, taken: impl FnOnce() -> DomainError) -> DomainError {
    match error {
        DieselError::DatabaseError(DatabaseErrorKind::UniqueViolation, _) => taken(),
        other => other.into(),
    }
}
