-- A laboratory's units by category (those not decommissioned), as a JSON object kept on its
-- row: every unit write (and a model's change of category) recounts it in its own
-- transaction, so reading a laboratory costs no query more.
ALTER TABLE laboratories ADD COLUMN equipment_counts text NOT NULL DEFAULT '{}';
