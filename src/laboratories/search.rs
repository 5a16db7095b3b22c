//! `q` on laboratories. Every word of a laboratory's name and code is stored in
//! `laboratory_search_terms` next to the laboratory's creation time, keyed
//! `(term, created_at, laboratory_id)`. A search word is a prefix of stored words, so its
//! matches are one contiguous range of that key: a rare word is found by reading its range,
//! and a search in the default order cuts its page there, before a laboratory row is read.
//! A word so common that its range is long (think of a word in every other name) is found
//! sooner the other way round: by reading laboratories in list order and testing their
//! `search_text` column, where a page fills after a few rows.

use diesel::expression::{
    is_aggregate, AppearsOnTable, Expression, SelectableExpression, ValidGrouping,
};
use diesel::prelude::*;
use diesel::query_builder::{AstPass, QueryFragment, QueryId};
use diesel::sql_types::{BigInt, Bool, Text};

use super::model::LaboratoryId;
use crate::db::types::{Timestamp, UtcTimestamp};
use crate::db::{DbConn, MultiBackend};
use crate::schema::{laboratories, laboratory_search_terms};

/// A word with at least this many stored matches is searched through `search_text` in list
/// order rather than through its range of the words table (see the module comment). Reading
/// a range of this length costs about what scanning the list for a page of a word this
/// common does.
pub const COMMON_WORD_MATCHES: i64 = 5000;

/// The stored words that start with `term`: `[term, term + U+10FFFF)` in byte order. Stored
/// words hold letters and digits only, so none of them reaches the upper bound.
#[derive(Debug, Clone)]
pub struct WordRange {
    pub from: String,
    pub to: String,
}

impl WordRange {
    pub fn of(term: &str) -> Self {
        let mut to = String::with_capacity(term.len() + 4);
        to.push_str(term);
        to.push(char::MAX);
        Self {
            from: term.to_owned(),
            to,
        }
    }
}

/// Stores the words of a new laboratory.
pub fn insert_terms(
    conn: &mut DbConn,
    id: LaboratoryId,
    created_at: Timestamp,
    terms: &[String],
) -> QueryResult<()> {
    let rows: Vec<_> = terms
        .iter()
        .map(|term| {
            (
                laboratory_search_terms::term.eq(term.as_str()),
                laboratory_search_terms::created_at.eq(created_at),
                laboratory_search_terms::laboratory_id.eq(id),
            )
        })
        .collect();
    if rows.is_empty() {
        return Ok(());
    }
    crate::insert_rows!(conn, laboratory_search_terms::table, &rows).map(|_| ())
}

/// Removes stored words of a laboratory, found by their whole key (the words table has no
/// index by laboratory: the words come from the laboratory's current name and code).
pub fn delete_terms(
    conn: &mut DbConn,
    id: LaboratoryId,
    created_at: Timestamp,
    terms: &[String],
) -> QueryResult<()> {
    if terms.is_empty() {
        return Ok(());
    }
    diesel::delete(
        laboratory_search_terms::table
            .filter(laboratory_search_terms::term.eq_any(terms))
            .filter(laboratory_search_terms::created_at.eq(created_at))
            .filter(laboratory_search_terms::laboratory_id.eq(id)),
    )
    .execute(conn)
    .map(|_| ())
}

/// Whether `range` holds at least `COMMON_WORD_MATCHES` stored words: an index-only count
/// that stops at the bound.
pub fn is_common(conn: &mut DbConn, range: &WordRange) -> QueryResult<bool> {
    let matches: i64 = diesel::select(
        diesel::dsl::sql::<BigInt>(
            "(SELECT COUNT(*) FROM (SELECT 1 FROM laboratory_search_terms WHERE term >= ",
        )
        .bind::<Text, _>(range.from.clone())
        .sql(" AND term < ")
        .bind::<Text, _>(range.to.clone())
        .sql(" LIMIT ")
        .bind::<BigInt, _>(COMMON_WORD_MATCHES)
        .sql(") AS probe)"),
    )
    .get_result(conn)?;
    Ok(matches >= COMMON_WORD_MATCHES)
}

/// `laboratories.id IN (…)`: the ids of one page of a search in creation order, cut from the
/// range of the search's rarest word before any laboratory row is read. `other_patterns`
/// (the other words, as `LIKE` patterns on `search_text`) are tested only on that range's
/// rows. Valid only as the list's sole condition besides the page condition it repeats.
#[derive(Debug, Clone)]
pub struct SearchPageIds {
    pub driver: WordRange,
    pub other_patterns: Vec<String>,
    pub after: Option<(Timestamp, uuid::Uuid)>,
    pub descending: bool,
    pub limit: i64,
}

impl Expression for SearchPageIds {
    type SqlType = Bool;
}

impl AppearsOnTable<laboratories::table> for SearchPageIds {}

impl SelectableExpression<laboratories::table> for SearchPageIds {}

impl ValidGrouping<()> for SearchPageIds {
    type IsAggregate = is_aggregate::Never;
}

impl QueryId for SearchPageIds {
    type QueryId = ();
    const HAS_STATIC_QUERY_ID: bool = false;
}

impl QueryFragment<MultiBackend> for SearchPageIds {
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, MultiBackend>) -> QueryResult<()> {
        out.push_sql(
            "laboratories.id IN (SELECT page.laboratory_id FROM (\
             SELECT DISTINCT words.created_at, words.laboratory_id \
             FROM laboratory_search_terms words WHERE words.term >= ",
        );
        out.push_bind_param::<Text, _>(&self.driver.from)?;
        out.push_sql(" AND words.term < ");
        out.push_bind_param::<Text, _>(&self.driver.to)?;
        for pattern in &self.other_patterns {
            out.push_sql(
                " AND EXISTS (SELECT 1 FROM laboratories other \
                 WHERE other.id = words.laboratory_id AND other.search_text LIKE ",
            );
            out.push_bind_param::<Text, _>(pattern)?;
            out.push_sql(" ESCAPE '\\')");
        }
        let (before_or_after, from_here, direction) = if self.descending {
            (" < ", " <= ", " DESC")
        } else {
            (" > ", " >= ", " ASC")
        };
        if let Some((created_at, id)) = &self.after {
            out.push_sql(" AND words.created_at");
            out.push_sql(from_here);
            out.push_bind_param::<UtcTimestamp, _>(created_at)?;
            out.push_sql(" AND (words.created_at");
            out.push_sql(before_or_after);
            out.push_bind_param::<UtcTimestamp, _>(created_at)?;
            out.push_sql(" OR (words.created_at = ");
            out.push_bind_param::<UtcTimestamp, _>(created_at)?;
            out.push_sql(" AND words.laboratory_id");
            out.push_sql(before_or_after);
            out.push_bind_param::<crate::db::types::Uuid, _>(id)?;
            out.push_sql("))");
        }
        out.push_sql(" ORDER BY words.created_at");
        out.push_sql(direction);
        out.push_sql(", words.laboratory_id");
        out.push_sql(direction);
        out.push_sql(" LIMIT ");
        out.push_bind_param::<BigInt, _>(&self.limit)?;
        out.push_sql(") AS page)");
        Ok(())
    }
}
