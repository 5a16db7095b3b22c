DROP TABLE pending_search_rebuild;
ALTER TABLE vendors DROP COLUMN search_text;
DROP TABLE laboratory_search_terms;

-- Back to the trigram index of the previous step.
CREATE TABLE laboratory_search_rows (
    row_number    INTEGER PRIMARY KEY,
    laboratory_id TEXT NOT NULL UNIQUE,
    search_text   TEXT NOT NULL
);

CREATE VIRTUAL TABLE laboratory_search USING fts5(
    search_text,
    content = 'laboratory_search_rows',
    content_rowid = 'row_number',
    tokenize = 'trigram'
);

CREATE TRIGGER laboratory_search_rows_inserted AFTER INSERT ON laboratory_search_rows BEGIN
    INSERT INTO laboratory_search (rowid, search_text) VALUES (new.row_number, new.search_text);
END;

CREATE TRIGGER laboratory_search_rows_deleted AFTER DELETE ON laboratory_search_rows BEGIN
    INSERT INTO laboratory_search (laboratory_search, rowid, search_text)
    VALUES ('delete', old.row_number, old.search_text);
END;

CREATE TRIGGER laboratory_search_rows_updated AFTER UPDATE ON laboratory_search_rows BEGIN
    INSERT INTO laboratory_search (laboratory_search, rowid, search_text)
    VALUES ('delete', old.row_number, old.search_text);
    INSERT INTO laboratory_search (rowid, search_text) VALUES (new.row_number, new.search_text);
END;

CREATE TRIGGER laboratories_search_inserted AFTER INSERT ON laboratories BEGIN
    INSERT INTO laboratory_search_rows (laboratory_id, search_text) VALUES (new.id, new.search_text);
END;

CREATE TRIGGER laboratories_search_updated AFTER UPDATE OF search_text ON laboratories
WHEN old.search_text <> new.search_text BEGIN
    UPDATE laboratory_search_rows SET search_text = new.search_text WHERE laboratory_id = new.id;
END;

CREATE TRIGGER laboratories_search_deleted AFTER DELETE ON laboratories BEGIN
    DELETE FROM laboratory_search_rows WHERE laboratory_id = old.id;
END;

INSERT INTO laboratory_search_rows (laboratory_id, search_text)
SELECT id, search_text FROM laboratories;
