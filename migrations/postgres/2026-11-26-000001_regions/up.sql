-- Trigram indexes serve the case-insensitive `q` search (LIKE '%term%' on search_text).
CREATE EXTENSION IF NOT EXISTS pg_trgm;

-- Text columns that lists sort by use COLLATE "C" so PostgreSQL orders them byte-wise,
-- exactly as SQLite does; page tokens then mean the same thing on both backends.
CREATE TABLE regions (
    id                  uuid PRIMARY KEY,
    code                text COLLATE "C" NOT NULL,
    name                text COLLATE "C" NOT NULL,
    search_text         text NOT NULL,
    country_code        text NOT NULL CHECK (country_code ~ '^[A-Z]{2}$'),
    parent_id           uuid REFERENCES regions (id),
    level               text NOT NULL
                        CHECK (level IN ('country', 'district', 'region', 'municipality')),
    -- Materialized path '/<root id>/.../<own id>/': subtree queries are a prefix match.
    path                text COLLATE "C" NOT NULL,
    rollout_stage       text NOT NULL DEFAULT 'not_planned'
                        CHECK (rollout_stage IN ('not_planned', 'planned', 'pilot', 'in_progress', 'completed')),
    rollout_target_year integer CHECK (rollout_target_year BETWEEN 1990 AND 2100),
    created_at          timestamptz NOT NULL,
    updated_at          timestamptz NOT NULL,
    version             bigint NOT NULL DEFAULT 1 CHECK (version >= 1),
    CONSTRAINT regions_parent_not_self CHECK (parent_id IS NULL OR parent_id <> id),
    CONSTRAINT regions_code_not_blank CHECK (length(code) > 0),
    CONSTRAINT regions_name_not_blank CHECK (length(name) > 0)
);

CREATE UNIQUE INDEX regions_code_key ON regions (code);
CREATE UNIQUE INDEX regions_path_key ON regions (path);
CREATE INDEX regions_country_code_idx ON regions (country_code, id);
CREATE INDEX regions_parent_id_idx ON regions (parent_id, id);
CREATE INDEX regions_level_idx ON regions (level, id);
CREATE INDEX regions_rollout_stage_idx ON regions (rollout_stage, id);
CREATE INDEX regions_name_idx ON regions (name, id);
CREATE INDEX regions_created_at_idx ON regions (created_at, id);
CREATE INDEX regions_updated_at_idx ON regions (updated_at, id);
CREATE INDEX regions_search_trgm_idx ON regions USING gin (search_text gin_trgm_ops);
