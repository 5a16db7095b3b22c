-- API keys. The key itself is shown once, at creation; only its SHA-256 is kept. `prefix`
-- (the key's first characters) lets people recognise a key without seeing it.
CREATE TABLE api_keys (
    id           TEXT PRIMARY KEY,
    prefix       TEXT NOT NULL UNIQUE,
    key_hash     TEXT NOT NULL UNIQUE,
    name         TEXT NOT NULL CHECK (length(name) > 0),
    role         TEXT NOT NULL CHECK (role IN ('reader', 'editor', 'admin')),
    -- JSON array of region ids the key may write in; NULL for every region.
    regions      TEXT,
    -- Whether rows that belong to no region may be written (always with `regions` NULL).
    global_scope BOOLEAN NOT NULL,
    created_at   TEXT NOT NULL,
    updated_at   TEXT NOT NULL,
    expires_at   TEXT,
    revoked_at   TEXT,
    last_used_at TEXT,
    version      BIGINT NOT NULL DEFAULT 1 CHECK (version >= 1)
);
CREATE INDEX api_keys_created_at_idx ON api_keys (created_at, id);

-- Every write, with who made it and each changed field: the audit trail, and (in `seq`
-- order, which is commit order as SQLite writes one transaction at a time) the change feed.
CREATE TABLE audit_events (
    seq           INTEGER PRIMARY KEY AUTOINCREMENT,
    id            TEXT NOT NULL UNIQUE,
    -- Unused on SQLite: `seq` is the feed's position.
    position      BIGINT,
    occurred_at   TEXT NOT NULL,
    actor_kind    TEXT NOT NULL,
    actor_id      TEXT NOT NULL,
    actor_name    TEXT,
    request_id    TEXT,
    resource_type TEXT NOT NULL,
    resource_id   TEXT NOT NULL,
    action        TEXT NOT NULL,
    -- Whether the change feed carries it (API keys are not registry data).
    in_feed       BOOLEAN NOT NULL,
    version       BIGINT,
    changes       TEXT NOT NULL,
    snapshot      TEXT
);
CREATE INDEX audit_events_resource_idx ON audit_events (resource_type, resource_id, seq);
CREATE INDEX audit_events_record_idx ON audit_events (resource_id, seq);
CREATE INDEX audit_events_actor_idx ON audit_events (actor_id, seq);
CREATE INDEX audit_events_occurred_at_idx ON audit_events (occurred_at, seq);
CREATE INDEX audit_events_feed_idx ON audit_events (seq) WHERE in_feed;

-- The audit trail cannot be rewritten.
CREATE TRIGGER audit_events_no_update BEFORE UPDATE ON audit_events
BEGIN
    SELECT RAISE(ABORT, 'audit events cannot be changed');
END;
CREATE TRIGGER audit_events_no_delete BEFORE DELETE ON audit_events
BEGIN
    SELECT RAISE(ABORT, 'audit events cannot be deleted');
END;
