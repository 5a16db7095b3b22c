-- Responses to POST requests sent with an Idempotency-Key, replayed for 24 hours. Kept in
-- the database (not in process memory) so every instance behind a load balancer sees them.
CREATE TABLE idempotency_keys (
    idempotency_key  text PRIMARY KEY,
    -- SHA-256 of method, path, query and body: the same key with another request is refused.
    fingerprint      text NOT NULL,
    -- NULL while the first request with this key is still being processed.
    status_code      integer,
    response_headers text,
    response_body    text,
    created_at       timestamptz NOT NULL
);
CREATE INDEX idempotency_keys_created_at_idx ON idempotency_keys (created_at);
