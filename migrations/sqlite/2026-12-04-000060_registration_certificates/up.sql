-- Registration certificates: a country's authority allows an equipment model (or a named
-- drug or reagent) on its market. Whether a certificate has expired is derived from
-- `valid_until` when it is read, never stored.
CREATE TABLE registration_certificates (
    id                 TEXT PRIMARY KEY,
    equipment_model_id TEXT REFERENCES equipment_models (id),
    -- The product of a certificate that is not for an equipment model.
    product_name       text,
    product_kind       text NOT NULL CHECK (product_kind IN ('medical_device', 'drug')),
    country_code       text NOT NULL CHECK (country_code GLOB '[A-Z][A-Z]'),
    issuing_authority  text NOT NULL,
    -- `validation::search_key(issuing_authority)`.
    authority_key      text NOT NULL,
    number             text NOT NULL,
    -- `validation::code_key(number)`: unique per country and authority regardless of case.
    number_key         text NOT NULL,
    issued_on          TEXT NOT NULL,
    -- `NULL`: valid without a time limit.
    valid_until        TEXT,
    status             text NOT NULL CHECK (status IN ('active', 'suspended', 'revoked')),
    created_at         TEXT NOT NULL,
    updated_at         TEXT NOT NULL,
    version            INTEGER NOT NULL DEFAULT 1 CHECK (version >= 1),
    CONSTRAINT registration_certificates_one_subject
        CHECK ((equipment_model_id IS NULL) <> (product_name IS NULL)),
    CONSTRAINT registration_certificates_models_are_devices
        CHECK (equipment_model_id IS NULL OR product_kind = 'medical_device'),
    CONSTRAINT registration_certificates_dates CHECK (valid_until IS NULL OR valid_until >= issued_on),
    CONSTRAINT registration_certificates_number_not_blank CHECK (length(number) > 0)
);

CREATE UNIQUE INDEX registration_certificates_number_key
    ON registration_certificates (country_code, authority_key, number_key);
CREATE INDEX registration_certificates_model_idx
    ON registration_certificates (equipment_model_id, country_code, status);
CREATE INDEX registration_certificates_country_idx ON registration_certificates (country_code, created_at, id);
CREATE INDEX registration_certificates_status_idx ON registration_certificates (status, created_at, id);
CREATE INDEX registration_certificates_issued_on_idx ON registration_certificates (issued_on, id);
CREATE INDEX registration_certificates_number_idx ON registration_certificates (number, id);
CREATE INDEX registration_certificates_created_at_idx ON registration_certificates (created_at, id);
CREATE INDEX registration_certificates_updated_at_idx ON registration_certificates (updated_at, id);
