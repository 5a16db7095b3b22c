DROP TABLE equipment_units;
