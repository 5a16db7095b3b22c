-- Geographic search on laboratories: the great-circle (haversine) distance in kilometres,
-- the same formula as `db::geo::distance_km`, which SQLite runs instead; and an index on
-- the coordinates for bounding boxes and the band around a `near` point.
CREATE FUNCTION great_circle_km(
    lat1 double precision, lon1 double precision, lat2 double precision, lon2 double precision
) RETURNS double precision
-- Not STRICT, so that the planner inlines the expression (ten times faster per row); a NULL
-- coordinate gives NULL all the same.
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$
    SELECT 2 * 6371.0088 * asin(least(1.0, sqrt(
        power(sin(radians(lat2 - lat1) / 2), 2)
        + cos(radians(lat1)) * cos(radians(lat2)) * power(sin(radians(lon2 - lon1) / 2), 2)
    )))
$$;

CREATE INDEX laboratories_coordinates_idx ON laboratories (latitude, longitude)
    WHERE latitude IS NOT NULL;
