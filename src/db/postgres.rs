//! PostgreSQL fast path: several `INSERT`s sent as one statement, so a row and its child rows
//! are written in one round trip without `BEGIN` and `COMMIT`. Marked as PostgreSQL-only so a
//! reader knows SQLite takes the plain path (one statement after the other in a transaction).

use diesel::pg::{Pg, PgConnection};
use diesel::query_builder::{AstPass, QueryFragment, QueryId};
use diesel::RunQueryDsl;

/// `INSERT` statements sent to PostgreSQL as one statement: each but the last becomes a
/// data-modifying `WITH` query. A statement is atomic on its own, so writing a row with its
/// child rows this way needs no `BEGIN` and `COMMIT`, and costs one round trip instead of
/// one per statement plus two. Foreign keys between the parts hold: PostgreSQL checks them
/// when the whole statement has run. Parts are meant to be `INSERT`s without a `WITH` of
/// their own: PostgreSQL does not nest data-modifying `WITH` queries, and every part runs
/// whether or not a later one reads it.
pub struct CombinedInserts<'a> {
    statements: Vec<Box<dyn QueryFragment<Pg> + 'a>>,
}

impl<'a> CombinedInserts<'a> {
    pub fn new() -> Self {
        Self {
            statements: Vec::new(),
        }
    }

    pub fn push(&mut self, statement: impl QueryFragment<Pg> + 'a) {
        self.statements.push(Box::new(statement));
    }
}

impl Default for CombinedInserts<'_> {
    fn default() -> Self {
        Self::new()
    }
}

impl QueryFragment<Pg> for CombinedInserts<'_> {
    fn walk_ast<'b>(&'b self, mut pass: AstPass<'_, 'b, Pg>) -> diesel::QueryResult<()> {
        let Some((last, leading)) = self.statements.split_last() else {
            return Err(diesel::result::Error::QueryBuilderError(
                "no statement to combine".into(),
            ));
        };
        for (index, statement) in leading.iter().enumerate() {
            pass.push_sql(if index == 0 { "WITH " } else { ", " });
            pass.push_sql(&format!("part{index} AS ("));
            statement.walk_ast(pass.reborrow())?;
            pass.push_sql(")");
        }
        if !leading.is_empty() {
            pass.push_sql(" ");
        }
        last.walk_ast(pass.reborrow())
    }
}

impl QueryId for CombinedInserts<'_> {
    type QueryId = ();
    const HAS_STATIC_QUERY_ID: bool = false;
}

impl RunQueryDsl<PgConnection> for CombinedInserts<'_> {}

#[cfg(test)]
mod tests {
    use super::CombinedInserts;

    #[test]
    fn combined_inserts_are_one_statement_with_leading_parts_as_with_queries() {
        use crate::schema::{laboratory_disciplines, laboratory_search_terms};
        use diesel::prelude::*;

        let id = crate::laboratories::model::LaboratoryId(uuid::Uuid::nil());
        let mut statements = CombinedInserts::new();
        statements.push(diesel::insert_into(laboratory_disciplines::table).values((
            laboratory_disciplines::laboratory_id.eq(id),
            laboratory_disciplines::discipline.eq("virology"),
        )));
        statements.push(
            diesel::insert_into(laboratory_search_terms::table)
                .values(laboratory_search_terms::term.eq("virus")),
        );
        let sql = diesel::debug_query::<diesel::pg::Pg, _>(&statements).to_string();
        assert!(
            sql.starts_with(
                "WITH part0 AS (INSERT INTO \"laboratory_disciplines\" (\"laboratory_id\", \"discipline\") VALUES ($1, $2)) INSERT INTO \"laboratory_search_terms\" (\"term\") VALUES ($3)"
            ),
            "{sql}"
        );
        // Nothing to send is refused, not sent as an empty statement.
        let mut rendered = String::new();
        let empty = CombinedInserts::new();
        assert!(std::fmt::Write::write_fmt(
            &mut rendered,
            format_args!("{}", diesel::debug_query::<diesel::pg::Pg, _>(&empty))
        )
        .is_err());
    }
}
