-- Laboratory lists filter by region, status, kind or hub and are sorted by creation time
-- by default. Indexes that end in the sort key let a page be read in index order and stop
-- after page_size rows, however many laboratories match; the (filter, id) indexes they
-- replace made the database sort every matching row for each page.
DROP INDEX laboratories_region_id_idx;
DROP INDEX laboratories_region_status_idx;
DROP INDEX laboratories_kind_idx;
DROP INDEX laboratories_status_idx;
DROP INDEX laboratories_parent_id_idx;

CREATE INDEX laboratories_region_created_idx ON laboratories (region_id, created_at, id);
CREATE INDEX laboratories_region_status_created_idx ON laboratories (region_id, status, created_at, id);
CREATE INDEX laboratories_status_created_idx ON laboratories (status, created_at, id);
CREATE INDEX laboratories_kind_created_idx ON laboratories (kind, created_at, id);
CREATE INDEX laboratories_parent_created_idx ON laboratories (parent_id, created_at, id);
