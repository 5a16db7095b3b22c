CREATE TABLE vendors (
    id           uuid PRIMARY KEY,
    name         text COLLATE "C" NOT NULL,
    -- Case- and Unicode-normalized name: the uniqueness key and the `q` search column.
    name_key     text NOT NULL,
    country_code text NOT NULL CHECK (country_code ~ '^[A-Z]{2}$'),
    website      text,
    created_at   timestamptz NOT NULL,
    updated_at   timestamptz NOT NULL,
    version      bigint NOT NULL DEFAULT 1 CHECK (version >= 1),
    CONSTRAINT vendors_name_not_blank CHECK (length(name) > 0)
);

CREATE UNIQUE INDEX vendors_name_key ON vendors (name_key);
CREATE INDEX vendors_country_code_idx ON vendors (country_code, id);
CREATE INDEX vendors_name_idx ON vendors (name, id);
CREATE INDEX vendors_created_at_idx ON vendors (created_at, id);
CREATE INDEX vendors_updated_at_idx ON vendors (updated_at, id);
CREATE INDEX vendors_search_trgm_idx ON vendors USING gin (name_key gin_trgm_ops);

CREATE TABLE vendor_categories (
    vendor_id uuid NOT NULL REFERENCES vendors (id) ON DELETE CASCADE,
    category  text NOT NULL CHECK (category IN (
        'laboratory_equipment', 'medical_equipment', 'reagents', 'consumables', 'software')),
    PRIMARY KEY (vendor_id, category)
);
CREATE INDEX vendor_categories_category_idx ON vendor_categories (category, vendor_id);
