DROP TABLE equipment_models;
