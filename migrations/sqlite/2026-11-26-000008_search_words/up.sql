-- `q` matches words: each word of the search must begin a word of the name or code.
-- Search columns now hold the words, each preceded by a space (`% word%` finds a word
-- start), and laboratories get a table of their words keyed in list order, so that a search
-- reads one range of it and cuts its page before reading any laboratory. The service
-- refills the search columns and the words table from the names and codes (the words come
-- from Unicode rules that SQL does not have) when it finds the row below.
CREATE TABLE laboratory_search_terms (
    term          TEXT NOT NULL,
    created_at    TEXT NOT NULL,
    laboratory_id TEXT NOT NULL,
    PRIMARY KEY (term, created_at, laboratory_id)
) WITHOUT ROWID;

-- The trigram index served substring matches on laboratories; word matches use the table.
DROP TRIGGER laboratories_search_deleted;
DROP TRIGGER laboratories_search_updated;
DROP TRIGGER laboratories_search_inserted;
DROP TRIGGER laboratory_search_rows_updated;
DROP TRIGGER laboratory_search_rows_deleted;
DROP TRIGGER laboratory_search_rows_inserted;
DROP TABLE laboratory_search;
DROP TABLE laboratory_search_rows;

ALTER TABLE vendors ADD COLUMN search_text TEXT NOT NULL DEFAULT '';

CREATE TABLE pending_search_rebuild (
    requested INTEGER PRIMARY KEY DEFAULT 1 CHECK (requested = 1)
);
INSERT INTO pending_search_rebuild DEFAULT VALUES;
