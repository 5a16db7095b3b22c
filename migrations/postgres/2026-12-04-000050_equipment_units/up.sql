-- Installed equipment: a unit of a model at a laboratory.
CREATE TABLE equipment_units (
    id                 uuid PRIMARY KEY,
    equipment_model_id uuid NOT NULL REFERENCES equipment_models (id),
    laboratory_id      uuid NOT NULL REFERENCES laboratories (id),
    serial_number      text COLLATE "C" NOT NULL,
    -- `validation::code_key(serial_number)`: unique per model regardless of case.
    serial_key         text COLLATE "C" NOT NULL,
    installed_on       date,
    status             text NOT NULL CHECK (status IN ('in_service', 'maintenance', 'decommissioned')),
    -- Who supplied the unit: a vendor of the registry, or a distributor named as text.
    supplier_vendor_id uuid REFERENCES vendors (id),
    supplier_name      text,
    created_at         timestamptz NOT NULL,
    updated_at         timestamptz NOT NULL,
    version            bigint NOT NULL DEFAULT 1 CHECK (version >= 1),
    CONSTRAINT equipment_units_serial_not_blank CHECK (length(serial_number) > 0),
    CONSTRAINT equipment_units_one_supplier
        CHECK (supplier_vendor_id IS NULL OR supplier_name IS NULL)
);

CREATE UNIQUE INDEX equipment_units_model_serial_key ON equipment_units (equipment_model_id, serial_key);
CREATE INDEX equipment_units_laboratory_idx ON equipment_units (laboratory_id, created_at, id);
CREATE INDEX equipment_units_model_idx ON equipment_units (equipment_model_id, created_at, id);
CREATE INDEX equipment_units_status_idx ON equipment_units (status, created_at, id);
CREATE INDEX equipment_units_supplier_idx ON equipment_units (supplier_vendor_id, created_at, id);
CREATE INDEX equipment_units_serial_idx ON equipment_units (serial_key, id);
CREATE INDEX equipment_units_installed_on_idx ON equipment_units (installed_on, id);
CREATE INDEX equipment_units_created_at_idx ON equipment_units (created_at, id);
CREATE INDEX equipment_units_updated_at_idx ON equipment_units (updated_at, id);
