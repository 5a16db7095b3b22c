-- Models of equipment that vendors make: analyzers, sample handling and imaging.
CREATE TABLE equipment_models (
    id              TEXT PRIMARY KEY,
    vendor_id       TEXT NOT NULL REFERENCES vendors (id),
    name            text NOT NULL,
    model_code      text NOT NULL,
    -- `validation::code_key(model_code)`: unique per vendor regardless of case.
    model_code_key  text NOT NULL,
    -- The `q` search column: each word of the name and code preceded by a space.
    search_text     text NOT NULL,
    category        text NOT NULL CHECK (category IN (
        'clinical_chemistry_analyzer', 'hematology_analyzer', 'immunoassay_analyzer',
        'coagulation_analyzer', 'urinalysis_analyzer', 'microbiology_analyzer', 'pcr_analyzer',
        'sample_handling', 'automation_line', 'xray', 'ct', 'mri', 'ultrasound')),
    -- The localization the model is produced under, when it is produced locally.
    localization_id TEXT REFERENCES localizations (id),
    created_at      TEXT NOT NULL,
    updated_at      TEXT NOT NULL,
    version         INTEGER NOT NULL DEFAULT 1 CHECK (version >= 1),
    CONSTRAINT equipment_models_name_not_blank CHECK (length(name) > 0),
    CONSTRAINT equipment_models_code_not_blank CHECK (length(model_code) > 0)
);

CREATE UNIQUE INDEX equipment_models_vendor_code_key ON equipment_models (vendor_id, model_code_key);
CREATE INDEX equipment_models_vendor_idx ON equipment_models (vendor_id, created_at, id);
CREATE INDEX equipment_models_category_idx ON equipment_models (category, created_at, id);
CREATE INDEX equipment_models_localization_idx ON equipment_models (localization_id, created_at, id);
CREATE INDEX equipment_models_name_idx ON equipment_models (name, id);
CREATE INDEX equipment_models_code_idx ON equipment_models (model_code, id);
CREATE INDEX equipment_models_created_at_idx ON equipment_models (created_at, id);
CREATE INDEX equipment_models_updated_at_idx ON equipment_models (updated_at, id);
