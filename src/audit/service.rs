//! The audit trail's and the change feed's reads.

use std::time::{Duration, Instant};

use super::model::{
    trail_cursor, AuditEvent, AuditEventRow, AuditFilter, ChangeFeed, FeedChange, FeedCursor,
    NewestFirst, OldestFirst,
};
use super::repo;
use crate::core::error::DomainError;
use crate::core::paging::{finish_page, PageRequest};
use crate::db::{self, DbPool};

/// How often a waiting feed read looks again.
pub const POLL_INTERVAL: Duration = Duration::from_millis(200);

/// Longest a feed read may wait for a change (`wait`, seconds).
pub const MAX_WAIT_SECONDS: u64 = 30;

/// Most changes one feed read returns (`limit`).
pub const MAX_FEED_LIMIT: i64 = 1000;

/// Changes a feed read returns without `limit`.
pub const DEFAULT_FEED_LIMIT: i64 = 100;

fn events(rows: Vec<AuditEventRow>) -> Result<Vec<AuditEvent>, DomainError> {
    rows.into_iter().map(AuditEvent::from_row).collect()
}

/// A page of events matching `filter`, newest first.
pub async fn list(
    pool: &DbPool,
    filter: AuditFilter,
    page: PageRequest,
) -> Result<(Vec<AuditEvent>, Option<String>), DomainError> {
    let (rows, token) = db::run(pool, move |conn| {
        let rows = repo::list(conn, &filter, &page)?;
        Ok(finish_page(rows, &page, trail_cursor::<NewestFirst>))
    })
    .await?;
    Ok((events(rows)?, token))
}

/// A page of one record's events, oldest first; `None` when no event names it (the
/// caller then asks whether the record exists at all).
pub async fn trail(
    pool: &DbPool,
    resource_type: &'static str,
    id: uuid::Uuid,
    page: PageRequest,
) -> Result<Option<(Vec<AuditEvent>, Option<String>)>, DomainError> {
    let found = db::run(pool, move |conn| {
        let rows = repo::trail(conn, resource_type, id, &page)?;
        if rows.is_empty() && !repo::has_trail(conn, resource_type, id)? {
            return Ok(None);
        }
        Ok(Some(finish_page(rows, &page, trail_cursor::<OldestFirst>)))
    })
    .await?;
    match found {
        Some((rows, token)) => Ok(Some((events(rows)?, token))),
        None => Ok(None),
    }
}

/// What a feed read asks for.
#[derive(Debug, Clone, Copy)]
pub struct FeedRequest {
    pub after: FeedCursor,
    pub limit: i64,
    pub wait: Duration,
}

/// The changes after `request.after`; when there are none yet, looks again every
/// [`POLL_INTERVAL`] until one arrives or `request.wait` has passed. Each look is its own
/// short database call: no connection is held while waiting.
pub async fn feed(pool: &DbPool, request: FeedRequest) -> Result<ChangeFeed, DomainError> {
    let until = Instant::now() + request.wait.min(Duration::from_secs(MAX_WAIT_SECONDS));
    loop {
        let FeedRequest { after, limit, .. } = request;
        let rows = db::run(pool, move |conn| {
            repo::sequence(conn)?;
            Ok(repo::feed(conn, after.0, limit)?)
        })
        .await?;
        let now = Instant::now();
        if !rows.is_empty() || now >= until {
            let next = rows
                .last()
                .map(|(position, _)| FeedCursor(*position))
                .unwrap_or(after);
            let items = rows
                .into_iter()
                .map(|(position, row)| FeedChange::from_row(row, position))
                .collect::<Result<Vec<_>, _>>()?;
            return Ok(ChangeFeed {
                items,
                next_cursor: next.encode(),
            });
        }
        tokio::time::sleep(POLL_INTERVAL.min(until - now)).await;
    }
}
