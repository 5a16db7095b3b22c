CREATE INDEX laboratories_coordinates_idx ON laboratories (latitude, longitude)
    WHERE latitude IS NOT NULL;
DROP INDEX laboratories_geo_cell_idx;
ALTER TABLE laboratories DROP COLUMN geo_cell;
