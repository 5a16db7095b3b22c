DROP TABLE pending_search_rebuild;
DROP INDEX vendors_search_trgm_idx;
ALTER TABLE vendors DROP COLUMN search_text;
CREATE INDEX vendors_search_trgm_idx ON vendors USING gin (name_key gin_trgm_ops);
CREATE INDEX laboratories_search_trgm_idx ON laboratories USING gin (search_text gin_trgm_ops);
DROP TABLE laboratory_search_terms;
