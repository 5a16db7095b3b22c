DROP TABLE audit_events;
DROP FUNCTION audit_events_immutable();
DROP TABLE api_keys;
