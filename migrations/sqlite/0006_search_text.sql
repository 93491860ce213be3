-- An ICP's name and description folded for search (lower case, accents dropped: store/list.rs).
-- Folding needs Unicode tables SQLite does not have, so the app fills this in: on write, and at
-- start for rows that have none yet (the rows that exist now).
ALTER TABLE icps ADD COLUMN search_text TEXT;
