DROP INDEX laboratories_coordinates_idx;
DROP FUNCTION great_circle_km(double precision, double precision, double precision, double precision);
