-- `q` matches words: each word of the search must begin a word of the name or code.
-- Search columns now hold the words, each preceded by a space (`% word%` finds a word
-- start), and laboratories get a table of their words keyed in list order, so that a search
-- reads one range of it and cuts its page before reading any laboratory. The service
-- refills the search columns and the words table from the names and codes (the words come
-- from Unicode rules that SQL does not have) when it finds the row below.
CREATE TABLE laboratory_search_terms (
    term          text COLLATE "C" NOT NULL,
    created_at    timestamptz NOT NULL,
    laboratory_id uuid NOT NULL,
    PRIMARY KEY (term, created_at, laboratory_id)
);

-- A laboratory's words are found again from its name and code, so the table needs no
-- index (nor foreign key, whose checks would need one) by laboratory: the service writes
-- and deletes them with the laboratory, in the same transaction.

-- The trigram index served substring matches on laboratories; word matches use the table.
DROP INDEX laboratories_search_trgm_idx;

ALTER TABLE vendors ADD COLUMN search_text text NOT NULL DEFAULT '';
DROP INDEX vendors_search_trgm_idx;
CREATE INDEX vendors_search_trgm_idx ON vendors USING gin (search_text gin_trgm_ops);

CREATE TABLE pending_search_rebuild (
    requested boolean PRIMARY KEY DEFAULT true CHECK (requested)
);
INSERT INTO pending_search_rebuild DEFAULT VALUES;
