-- The SQLite migration of this name adds a trigram search index for laboratories.
-- PostgreSQL has had one since the laboratories migration (laboratories_search_trgm_idx,
-- pg_trgm), so there is nothing to change here; the step exists to keep both backends'
-- migration lists identical.
SELECT 1;
