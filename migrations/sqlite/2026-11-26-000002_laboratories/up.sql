CREATE TABLE laboratories (
    id                               TEXT PRIMARY KEY,
    region_id                        TEXT NOT NULL REFERENCES regions (id),
    code                             text NOT NULL,
    name                             text NOT NULL,
    search_text                      text NOT NULL,
    kind                             text NOT NULL
                                     CHECK (kind IN ('central', 'branch', 'collection_point', 'mobile')),
    parent_id                        TEXT REFERENCES laboratories (id),
    status                           text NOT NULL
                                     CHECK (status IN ('planned', 'under_construction', 'operational', 'suspended', 'closed')),
    address                          text,
    latitude                         REAL CHECK (latitude BETWEEN -90 AND 90),
    longitude                        REAL CHECK (longitude BETWEEN -180 AND 180),
    capacity_per_day                 INTEGER CHECK (capacity_per_day >= 0),
    opened_on                        TEXT,
    operator                         text,
    accreditation_standard           text,
    accreditation_certificate_number text,
    accreditation_valid_until        TEXT,
    created_at                       TEXT NOT NULL,
    updated_at                       TEXT NOT NULL,
    version                          INTEGER NOT NULL DEFAULT 1 CHECK (version >= 1),
    CONSTRAINT laboratories_parent_not_self CHECK (parent_id IS NULL OR parent_id <> id),
    CONSTRAINT laboratories_coordinates_paired CHECK ((latitude IS NULL) = (longitude IS NULL)),
    CONSTRAINT laboratories_code_not_blank CHECK (length(code) > 0),
    CONSTRAINT laboratories_name_not_blank CHECK (length(name) > 0)
);

CREATE UNIQUE INDEX laboratories_code_key ON laboratories (code);
CREATE INDEX laboratories_region_id_idx ON laboratories (region_id, id);
CREATE INDEX laboratories_region_status_idx ON laboratories (region_id, status, id);
CREATE INDEX laboratories_kind_idx ON laboratories (kind, id);
CREATE INDEX laboratories_status_idx ON laboratories (status, id);
CREATE INDEX laboratories_parent_id_idx ON laboratories (parent_id, id);
CREATE INDEX laboratories_accreditation_idx ON laboratories (accreditation_valid_until, id);
CREATE INDEX laboratories_name_idx ON laboratories (name, id);
CREATE INDEX laboratories_created_at_idx ON laboratories (created_at, id);
CREATE INDEX laboratories_updated_at_idx ON laboratories (updated_at, id);
CREATE INDEX laboratories_capacity_idx ON laboratories ((COALESCE(capacity_per_day, -1)), id);

CREATE TABLE laboratory_disciplines (
    laboratory_id TEXT NOT NULL REFERENCES laboratories (id) ON DELETE CASCADE,
    discipline    text NOT NULL CHECK (discipline IN (
        'clinical_chemistry', 'hematology', 'coagulation', 'immunology', 'serology',
        'microbiology', 'virology', 'parasitology', 'molecular_diagnostics', 'cytology',
        'histopathology', 'urinalysis', 'toxicology', 'genetics')),
    PRIMARY KEY (laboratory_id, discipline)
);
CREATE INDEX laboratory_disciplines_discipline_idx ON laboratory_disciplines (discipline, laboratory_id);
