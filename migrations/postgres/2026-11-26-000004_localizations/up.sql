CREATE TABLE localizations (
    id                    uuid PRIMARY KEY,
    vendor_id             uuid NOT NULL REFERENCES vendors (id),
    country_code          text NOT NULL CHECK (country_code ~ '^[A-Z]{2}$'),
    region_id             uuid REFERENCES regions (id),
    stage                 text NOT NULL CHECK (stage IN (
        'interest_declared', 'negotiating', 'agreement_signed', 'production_setup',
        'producing', 'suspended', 'cancelled')),
    -- The stage a suspended localization returns to when it resumes.
    suspended_from_stage  text CHECK (suspended_from_stage IN (
        'interest_declared', 'negotiating', 'agreement_signed', 'production_setup', 'producing')),
    stage_changed_on      date NOT NULL,
    local_content_percent double precision CHECK (local_content_percent BETWEEN 0 AND 100),
    target_date           date,
    partner               text,
    created_at            timestamptz NOT NULL,
    updated_at            timestamptz NOT NULL,
    version               bigint NOT NULL DEFAULT 1 CHECK (version >= 1),
    CONSTRAINT localizations_suspension_consistent
        CHECK ((stage = 'suspended') = (suspended_from_stage IS NOT NULL))
);

CREATE INDEX localizations_vendor_id_idx ON localizations (vendor_id, id);
CREATE INDEX localizations_country_code_idx ON localizations (country_code, id);
CREATE INDEX localizations_region_id_idx ON localizations (region_id, id);
CREATE INDEX localizations_stage_idx ON localizations (stage, id);
CREATE INDEX localizations_created_at_idx ON localizations (created_at, id);
CREATE INDEX localizations_updated_at_idx ON localizations (updated_at, id);

CREATE TABLE localization_scopes (
    localization_id uuid NOT NULL REFERENCES localizations (id) ON DELETE CASCADE,
    scope           text NOT NULL CHECK (scope IN ('equipment', 'reagents', 'consumables')),
    PRIMARY KEY (localization_id, scope)
);
CREATE INDEX localization_scopes_scope_idx ON localization_scopes (scope, localization_id);

CREATE TABLE localization_stage_changes (
    id              uuid PRIMARY KEY,
    localization_id uuid NOT NULL REFERENCES localizations (id) ON DELETE CASCADE,
    from_stage      text,
    to_stage        text NOT NULL,
    changed_on      date NOT NULL,
    note            text,
    source          text,
    created_at      timestamptz NOT NULL
);
CREATE INDEX localization_stage_changes_localization_idx
    ON localization_stage_changes (localization_id, id);
