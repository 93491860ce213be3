-- An ICP's name and description folded for search (lower case, accents dropped: store/list.rs),
-- the same way as on SQLite (unaccent is an extension a deployment may not be allowed to create).
-- The app fills this in: on write, and at start for rows that have none yet (the rows that exist now).
ALTER TABLE icps ADD COLUMN search_text TEXT;
