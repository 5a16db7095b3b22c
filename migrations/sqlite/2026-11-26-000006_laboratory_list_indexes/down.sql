DROP INDEX laboratories_region_created_idx;
DROP INDEX laboratories_region_status_created_idx;
DROP INDEX laboratories_status_created_idx;
DROP INDEX laboratories_kind_created_idx;
DROP INDEX laboratories_parent_created_idx;

CREATE INDEX laboratories_region_id_idx ON laboratories (region_id, id);
CREATE INDEX laboratories_region_status_idx ON laboratories (region_id, status, id);
CREATE INDEX laboratories_kind_idx ON laboratories (kind, id);
CREATE INDEX laboratories_status_idx ON laboratories (status, id);
CREATE INDEX laboratories_parent_id_idx ON laboratories (parent_id, id);
