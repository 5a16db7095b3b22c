CREATE TABLE organizations (
    id           TEXT PRIMARY KEY,
    name         text NOT NULL,
    -- Case- and Unicode-normalized name: the uniqueness key.
    name_key     text NOT NULL,
    -- The `q` search column: each word of the name preceded by a space.
    search_text  text NOT NULL,
    kind         text NOT NULL CHECK (kind IN (
        'operator', 'federation', 'distributor', 'manufacturer', 'university', 'authority')),
    country_code text NOT NULL CHECK (country_code GLOB '[A-Z][A-Z]'),
    website      text,
    created_at   TEXT NOT NULL,
    updated_at   TEXT NOT NULL,
    version      INTEGER NOT NULL DEFAULT 1 CHECK (version >= 1),
    CONSTRAINT organizations_name_not_blank CHECK (length(name) > 0)
);

CREATE UNIQUE INDEX organizations_name_key ON organizations (name_key);
CREATE INDEX organizations_kind_idx ON organizations (kind, created_at, id);
CREATE INDEX organizations_country_code_idx ON organizations (country_code, created_at, id);
CREATE INDEX organizations_name_idx ON organizations (name, id);
CREATE INDEX organizations_created_at_idx ON organizations (created_at, id);
CREATE INDEX organizations_updated_at_idx ON organizations (updated_at, id);
