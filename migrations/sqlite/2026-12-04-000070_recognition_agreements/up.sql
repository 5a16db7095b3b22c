-- Recognition agreements: one country accepts another's registration documents; a mutual
-- agreement carries them both ways.
CREATE TABLE recognition_agreements (
    id                       TEXT PRIMARY KEY,
    recognizing_country_code text NOT NULL CHECK (recognizing_country_code GLOB '[A-Z][A-Z]'),
    recognized_country_code  text NOT NULL CHECK (recognized_country_code GLOB '[A-Z][A-Z]'),
    mutual                   BOOLEAN NOT NULL,
    scope                    text NOT NULL CHECK (scope IN ('medical_devices', 'drugs', 'both')),
    in_force_from            TEXT NOT NULL,
    -- `NULL`: in force without an end date.
    in_force_until           TEXT,
    title                    text NOT NULL,
    source                   text NOT NULL,
    created_at               TEXT NOT NULL,
    updated_at               TEXT NOT NULL,
    version                  INTEGER NOT NULL DEFAULT 1 CHECK (version >= 1),
    CONSTRAINT recognition_agreements_two_countries
        CHECK (recognizing_country_code <> recognized_country_code),
    CONSTRAINT recognition_agreements_dates
        CHECK (in_force_until IS NULL OR in_force_until >= in_force_from)
);

CREATE INDEX recognition_agreements_recognizing_idx
    ON recognition_agreements (recognizing_country_code, recognized_country_code);
CREATE INDEX recognition_agreements_recognized_idx
    ON recognition_agreements (recognized_country_code, recognizing_country_code);
CREATE INDEX recognition_agreements_in_force_from_idx ON recognition_agreements (in_force_from, id);
CREATE INDEX recognition_agreements_created_at_idx ON recognition_agreements (created_at, id);
CREATE INDEX recognition_agreements_updated_at_idx ON recognition_agreements (updated_at, id);
