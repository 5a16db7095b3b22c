ALTER TABLE laboratories DROP COLUMN equipment_counts;
