-- API keys. The key itself is shown once, at creation; only its SHA-256 is kept. `prefix`
-- (the key's first characters) lets people recognise a key without seeing it.
CREATE TABLE api_keys (
    id           uuid PRIMARY KEY,
    prefix       text NOT NULL UNIQUE,
    key_hash     text NOT NULL UNIQUE,
    name         text NOT NULL CHECK (length(name) > 0),
    role         text NOT NULL CHECK (role IN ('reader', 'editor', 'admin')),
    -- JSON array of region ids the key may write in; NULL for every region.
    regions      text,
    -- Whether rows that belong to no region may be written (always with `regions` NULL).
    global_scope boolean NOT NULL,
    created_at   timestamptz NOT NULL,
    updated_at   timestamptz NOT NULL,
    expires_at   timestamptz,
    revoked_at   timestamptz,
    last_used_at timestamptz,
    version      bigint NOT NULL DEFAULT 1 CHECK (version >= 1)
);
CREATE INDEX api_keys_created_at_idx ON api_keys (created_at, id);

-- Every write, with who made it and each changed field: the audit trail, and (in
-- `position` order) the change feed.
CREATE TABLE audit_events (
    -- Taken at insert: orders events of one record the way their writes were serialized.
    seq           bigserial PRIMARY KEY,
    id            uuid NOT NULL UNIQUE,
    -- The change feed's position, handed out in commit order by the feed's sequencer;
    -- NULL until then.
    position      bigint UNIQUE,
    occurred_at   timestamptz NOT NULL,
    actor_kind    text NOT NULL,
    actor_id      text NOT NULL,
    actor_name    text,
    request_id    text,
    resource_type text NOT NULL,
    resource_id   uuid NOT NULL,
    action        text NOT NULL,
    -- Whether the change feed carries it (API keys are not registry data).
    in_feed       boolean NOT NULL,
    -- The record's version after the write (before it, for a delete).
    version       bigint,
    -- JSON array of {field, old, new}.
    changes       text NOT NULL,
    -- JSON of the record after the write; NULL for a delete (a tombstone in the feed).
    snapshot      text
);
CREATE INDEX audit_events_resource_idx ON audit_events (resource_type, resource_id, seq);
CREATE INDEX audit_events_record_idx ON audit_events (resource_id, seq);
CREATE INDEX audit_events_actor_idx ON audit_events (actor_id, seq);
CREATE INDEX audit_events_occurred_at_idx ON audit_events (occurred_at, seq);
CREATE INDEX audit_events_unpositioned_idx ON audit_events (seq) WHERE position IS NULL AND in_feed;

-- The audit trail cannot be rewritten: only the feed's position may be set, once.
CREATE FUNCTION audit_events_immutable() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        RAISE EXCEPTION 'audit events cannot be deleted';
    END IF;
    IF OLD.position IS NOT NULL OR NEW.position IS NULL
        OR (to_jsonb(NEW) - 'position') <> (to_jsonb(OLD) - 'position') THEN
        RAISE EXCEPTION 'audit events cannot be changed';
    END IF;
    RETURN NEW;
END
$$;
CREATE TRIGGER audit_events_immutable BEFORE UPDATE OR DELETE ON audit_events
    FOR EACH ROW EXECUTE FUNCTION audit_events_immutable();
