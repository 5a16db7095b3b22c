-- Fails if codes that differ only in case were written since (they were allowed together).
DROP TABLE pending_code_key_refill;
DROP INDEX laboratories_code_idx;
DROP INDEX laboratories_code_key;
ALTER TABLE laboratories DROP COLUMN code_key;
CREATE UNIQUE INDEX laboratories_code_key ON laboratories (code);
