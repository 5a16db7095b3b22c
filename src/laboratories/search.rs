//! `q` on laboratories. Every word of a laboratory's name and code is stored in
//! `laboratory_search_terms` next to the laboratory's creation time, keyed
//! `(term, created_at, laboratory_id)`. A search word is a prefix of stored words, so its
//! matches are one contiguous range of that key, and within the word itself (the range's
//! first key) they are already in creation order. `plan` picks, per search:
//!
//! - the rarest word's range, when it is short: read whole, it gives the candidates;
//! - in the default order with no other filter, the page itself, cut from the words table
//!   before any laboratory row is read: the word's own matches are read in key order and
//!   merged with its longer words' (sorted, while there are fewer than
//!   `LONGER_WORDS_LIMIT`), so even a word found in every other name costs a page;
//! - otherwise, when every word is common, the list read in its own order, each row's
//!   `search_text` tested: a common word fills a page after a few rows.

use diesel::expression::{
    is_aggregate, AppearsOnTable, AsExpression, Expression, SelectableExpression, ValidGrouping,
};
use diesel::prelude::*;
use diesel::query_builder::{AstPass, QueryFragment, QueryId};
use diesel::sql_types::{BigInt, Bool, Text};

use crate::db::query::word_prefix_pattern;

use super::model::LaboratoryId;
use crate::core::time::Timestamp;
use crate::db::types::UtcTimestamp;
use crate::db::{DbConn, MultiBackend};
use crate::schema::{laboratories, laboratory_search_terms};

/// A word with at least this many stored matches is "common": its range is not read whole
/// (see the module comment). Reading a range of this length costs about what scanning the
/// list for a page of a word this common does.
pub const COMMON_WORD_MATCHES: i64 = 5000;

/// A page is cut from the words table while a word has fewer than this many longer words
/// (their range is read and sorted: an index-only read of about 3 ms at this size, where
/// reading the list in order for a word this frequent costs more, and PostgreSQL's planner
/// cannot tell how often such a word occurs without an index on `search_text`).
pub const LONGER_WORDS_LIMIT: i64 = 20_000;

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

/// One stored word of a laboratory, `(term, created_at, laboratory_id)`: the words table's
/// whole key. Insertable one at a time or many (also by `COPY`); `T` is the word's text.
pub type TermRow<T> = (
    diesel::dsl::Eq<laboratory_search_terms::term, T>,
    diesel::dsl::Eq<laboratory_search_terms::created_at, Timestamp>,
    diesel::dsl::Eq<laboratory_search_terms::laboratory_id, LaboratoryId>,
);

/// The row storing `term` for the laboratory `id` created at `created_at`.
pub fn term_row<T>(id: LaboratoryId, created_at: Timestamp, term: T) -> TermRow<T>
where
    T: AsExpression<Text>,
{
    (
        laboratory_search_terms::term.eq(term),
        laboratory_search_terms::created_at.eq(created_at),
        laboratory_search_terms::laboratory_id.eq(id),
    )
}

/// Stores the words of a new laboratory.
pub fn insert_terms(
    conn: &mut DbConn,
    id: LaboratoryId,
    created_at: Timestamp,
    terms: &[String],
) -> QueryResult<()> {
    let rows: Vec<TermRow<&str>> = terms
        .iter()
        .map(|term| term_row(id, created_at, term.as_str()))
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

/// How many stored words fall in `range`, counting up to `limit`; with `longer_only`, only
/// the words longer than the search word. An index-only count that stops at the bound.
fn count_matches(
    conn: &mut DbConn,
    range: &WordRange,
    longer_only: bool,
    limit: i64,
) -> QueryResult<i64> {
    let from = if longer_only { "term > " } else { "term >= " };
    diesel::select(
        diesel::dsl::sql::<BigInt>(
            "(SELECT COUNT(*) FROM (SELECT 1 FROM laboratory_search_terms WHERE ",
        )
        .sql(from)
        .bind::<Text, _>(range.from.clone())
        .sql(" AND term < ")
        .bind::<Text, _>(range.to.clone())
        .sql(" LIMIT ")
        .bind::<BigInt, _>(limit)
        .sql(") AS probe)"),
    )
    .get_result(conn)
}

/// Where a list in the default order, filtered by nothing but the search, starts and ends.
#[derive(Debug, Clone)]
pub struct PageWindow {
    pub after: Option<(Timestamp, uuid::Uuid)>,
    pub descending: bool,
    pub limit: i64,
}

/// How a search runs (see the module comment).
#[derive(Debug)]
pub enum SearchPlan {
    /// Some word matches no stored word: nothing can match.
    Nothing,
    /// The page's ids, cut from the words table.
    Page(SearchPageIds),
    /// The laboratories of a short range; `patterns` test the other words on `search_text`.
    Range {
        range: WordRange,
        patterns: Vec<String>,
    },
    /// Every word tested on `search_text`, in list order.
    Scan { patterns: Vec<String> },
}

/// Chooses how to run a search for `terms` (at least one). `window` is given when the list
/// is in the default order and filtered by nothing else.
pub fn plan(
    conn: &mut DbConn,
    terms: &[String],
    window: Option<PageWindow>,
) -> QueryResult<SearchPlan> {
    let patterns_without = |driver: Option<&str>| -> Vec<String> {
        terms
            .iter()
            .filter(|term| Some(term.as_str()) != driver)
            .map(|term| word_prefix_pattern(term))
            .collect()
    };
    let mut by_length: Vec<&str> = terms.iter().map(String::as_str).collect();
    by_length.sort_by_key(|term| std::cmp::Reverse(term.chars().count()));
    if let (Some(window), [only]) = (&window, by_length.as_slice()) {
        // One word in the default order: how often the word itself occurs does not matter
        // (its matches are read in key order), only how many longer words it begins.
        // With that many longer words the word is common too: the list is read in order.
        let longer = count_matches(conn, &WordRange::of(only), true, LONGER_WORDS_LIMIT)?;
        return Ok(if longer < LONGER_WORDS_LIMIT {
            SearchPlan::Page(SearchPageIds::new(only, Vec::new(), window.clone()))
        } else {
            SearchPlan::Scan {
                patterns: patterns_without(None),
            }
        });
    }
    let mut rarest: Option<(i64, &str)> = None;
    for term in &by_length {
        let matches = count_matches(conn, &WordRange::of(term), false, COMMON_WORD_MATCHES)?;
        if matches == 0 {
            return Ok(SearchPlan::Nothing);
        }
        if rarest.is_none_or(|(fewest, _)| matches < fewest) {
            rarest = Some((matches, term));
        }
    }
    if let Some((_, driver)) = rarest.filter(|(matches, _)| *matches < COMMON_WORD_MATCHES) {
        return Ok(match window {
            Some(window) => SearchPlan::Page(SearchPageIds::new(
                driver,
                patterns_without(Some(driver)),
                window,
            )),
            None => SearchPlan::Range {
                range: WordRange::of(driver),
                patterns: patterns_without(Some(driver)),
            },
        });
    }
    // Every word is common. In the default order, a word with fewer than
    // `LONGER_WORDS_LIMIT` longer words still gives the page: its own matches are read in key
    // order and its longer words sorted (longest word first: it has the fewest).
    if let Some(window) = window {
        for term in &by_length {
            let longer = count_matches(conn, &WordRange::of(term), true, LONGER_WORDS_LIMIT)?;
            if longer < LONGER_WORDS_LIMIT {
                return Ok(SearchPlan::Page(SearchPageIds::new(
                    term,
                    patterns_without(Some(term)),
                    window,
                )));
            }
        }
    }
    Ok(SearchPlan::Scan {
        patterns: patterns_without(None),
    })
}

/// `laboratories.id IN (…)`: the ids of one page of a search in creation order, cut from
/// the words table before any laboratory row is read. Two sources are merged: the stored
/// words equal to the search word, read in key order (which is creation order) up to a
/// page, and the longer words that start with it, sorted (there are few, or this plan is
/// not chosen) and cut to a page as well. `other_patterns` (the other words, as `LIKE`
/// patterns on `search_text`) are tested in both. Valid only as the list's sole condition
/// besides the page condition it repeats.
#[derive(Debug, Clone)]
pub struct SearchPageIds {
    /// The search word's range: its own matches are those equal to `range.from`.
    range: WordRange,
    other_patterns: Vec<String>,
    window: PageWindow,
}

impl SearchPageIds {
    fn new(word: &str, other_patterns: Vec<String>, window: PageWindow) -> Self {
        Self {
            range: WordRange::of(word),
            other_patterns,
            window,
        }
    }

    /// The page condition and the other words, on the words table aliased `words`.
    fn walk_conditions<'b>(&'b self, out: &mut AstPass<'_, 'b, MultiBackend>) -> QueryResult<()> {
        for pattern in &self.other_patterns {
            out.push_sql(
                " AND EXISTS (SELECT 1 FROM laboratories other \
                 WHERE other.id = words.laboratory_id AND other.search_text LIKE ",
            );
            out.push_bind_param::<Text, _>(pattern)?;
            out.push_sql(" ESCAPE '\\')");
        }
        if let Some((created_at, id)) = &self.window.after {
            let (beyond, from_here) = if self.window.descending {
                (" < ", " <= ")
            } else {
                (" > ", " >= ")
            };
            out.push_sql(" AND words.created_at");
            out.push_sql(from_here);
            out.push_bind_param::<UtcTimestamp, _>(created_at)?;
            out.push_sql(" AND (words.created_at");
            out.push_sql(beyond);
            out.push_bind_param::<UtcTimestamp, _>(created_at)?;
            out.push_sql(" OR (words.created_at = ");
            out.push_bind_param::<UtcTimestamp, _>(created_at)?;
            out.push_sql(" AND words.laboratory_id");
            out.push_sql(beyond);
            out.push_bind_param::<crate::db::types::Uuid, _>(id)?;
            out.push_sql("))");
        }
        Ok(())
    }
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
        let (order, order_by_position) = if self.window.descending {
            (
                " ORDER BY words.created_at DESC, words.laboratory_id DESC LIMIT ",
                " ORDER BY 1 DESC, 2 DESC LIMIT ",
            )
        } else {
            (
                " ORDER BY words.created_at ASC, words.laboratory_id ASC LIMIT ",
                " ORDER BY 1 ASC, 2 ASC LIMIT ",
            )
        };
        out.push_sql(
            "laboratories.id IN (SELECT page.laboratory_id FROM (\
             SELECT created_at, laboratory_id FROM (\
             SELECT words.created_at, words.laboratory_id FROM laboratory_search_terms AS words \
             WHERE words.term = ",
        );
        out.push_bind_param::<Text, _>(&self.range.from)?;
        self.walk_conditions(&mut out)?;
        out.push_sql(order);
        out.push_bind_param::<BigInt, _>(&self.window.limit)?;
        out.push_sql(
            ") AS same_word UNION SELECT created_at, laboratory_id FROM (\
             SELECT DISTINCT words.created_at, words.laboratory_id \
             FROM laboratory_search_terms AS words WHERE words.term > ",
        );
        out.push_bind_param::<Text, _>(&self.range.from)?;
        out.push_sql(" AND words.term < ");
        out.push_bind_param::<Text, _>(&self.range.to)?;
        self.walk_conditions(&mut out)?;
        out.push_sql(order);
        out.push_bind_param::<BigInt, _>(&self.window.limit)?;
        out.push_sql(") AS longer_words");
        out.push_sql(order_by_position);
        out.push_bind_param::<BigInt, _>(&self.window.limit)?;
        out.push_sql(") AS page)");
        Ok(())
    }
}
