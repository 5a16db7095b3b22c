-- Regions of one country by name: the descendants of a region (always in the region's
-- country) sorted by name are read from here a page at a time instead of being gathered
-- whole and sorted. (In the default order, creation, the `(created_at, id)` index serves.)
CREATE INDEX regions_country_name_idx ON regions (country_code, name, id);
