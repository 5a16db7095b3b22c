-- Laboratory codes are unique regardless of case: `KGN-001` and `kgn-001` cannot both exist.
-- Codes are kept as typed; the uniqueness key is a column of its own, `code_key`, which the
-- service fills with `validation::code_key(code)` (case folded in every script) on every
-- write, and which the `code` filter compares. Codes may hold any script, and SQL's
-- `lower()` folds differently per backend (SQLite: ASCII only; PostgreSQL: all of Unicode,
-- or ASCII only under COLLATE "C"), so the fold is not left to SQL.
--
-- Below, `lower(code)` (ASCII only on SQLite) gives the key of every code without non-ASCII
-- letters exactly; when some code has one (more bytes than characters), a row in
-- `pending_code_key_refill` asks the service to set the keys from Rust at start-up, before
-- it listens.
--
-- Codes that already differ only in (ASCII) case make the unique index, and so this
-- migration, fail; find them with
--   SELECT lower(code), group_concat(code) FROM laboratories GROUP BY 1 HAVING count(*) > 1;
-- and rename all but one first. Non-ASCII clashes stop the start-up refill with both named.
ALTER TABLE laboratories ADD COLUMN code_key text NOT NULL DEFAULT '';
UPDATE laboratories SET code_key = lower(code);

DROP INDEX laboratories_code_key;
CREATE UNIQUE INDEX laboratories_code_key ON laboratories (code_key);
-- The unique index on `code` also served `sort=code`.
CREATE INDEX laboratories_code_idx ON laboratories (code, id);

CREATE TABLE pending_code_key_refill (
    requested INTEGER PRIMARY KEY DEFAULT 1 CHECK (requested = 1)
);
INSERT INTO pending_code_key_refill (requested)
SELECT 1 WHERE EXISTS
    (SELECT 1 FROM laboratories WHERE length(code) <> length(CAST(code AS BLOB)));
