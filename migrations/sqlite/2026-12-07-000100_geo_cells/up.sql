-- A two-dimensional key for geographic search: the cell of 0.1 degree of latitude by 0.1
-- degree of longitude a laboratory lies in, numbered row by row from the south-west
-- (`db::geo::cell` computes the same number; the operands are never negative, so CAST
-- rounds down as floor does). The cells of a box or a circle are a few runs of consecutive
-- numbers, one per row of cells, so the index reads only the laboratories near the place
-- asked about instead of a whole band of latitudes around the world.
ALTER TABLE laboratories ADD COLUMN geo_cell INTEGER GENERATED ALWAYS AS (
    CAST((latitude + 90) * 10 AS INTEGER) * 3601 + CAST((longitude + 180) * 10 AS INTEGER)
) VIRTUAL;

-- With the coordinates, `created_at` and the id, a box's page in the default order and the
-- count of what a circle holds are read from the index alone.
CREATE INDEX laboratories_geo_cell_idx
    ON laboratories (geo_cell, latitude, longitude, created_at, id)
    WHERE geo_cell IS NOT NULL;

DROP INDEX laboratories_coordinates_idx;
