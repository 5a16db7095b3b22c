-- Geographic search on laboratories: an index on the coordinates for bounding boxes and the
-- band around a `near` point. The distance function, `great_circle_km`, is registered on
-- each connection (`db::geo`).
CREATE INDEX laboratories_coordinates_idx ON laboratories (latitude, longitude)
    WHERE latitude IS NOT NULL;
