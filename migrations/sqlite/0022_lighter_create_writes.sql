-- Three costs every create paid on SQLite's one writer, for nothing that is read:
--
-- 1. `events_by_position` (0019): on SQLite every event's `xid` is 0, so positions compare by
--    `seq` alone (`sql::Dialect::one_xid`), and `seq` is the rowid: a range after a cursor is a
--    rowid range already. The index was one more b-tree written per event.
-- 2. The version's `icp` was parsed as JSON again on insert (`CHECK (json_type(icp) = 'object')`):
--    the whole ICP, ~1 KB, on the writer's thread. The text is the app's own serialization of a
--    typed ICP (`store::history`), and every read parses it back into that type (a text that is not
--    one is a `StoreError::Corrupt`), so the check guarded nothing the type does not. The table is
--    rebuilt without it (nothing refers to it); the patch's check stays (updates only).
-- 3. `icps_newest_first` (0001): no statement reads ICPs in that order since a list page walks the
--    members' own index (`icp_members_by_user_newest`, 0002); Postgres's 0022 drops it too.
DROP INDEX events_by_position;
DROP INDEX icps_newest_first;

CREATE TABLE icp_versions_new (
    icp_id   BLOB NOT NULL,
    version  INTEGER NOT NULL CHECK (version >= 1),
    action   TEXT NOT NULL CHECK (action IN ('baseline', 'created', 'updated', 'deleted', 'restored')),
    by_user  TEXT NOT NULL,
    at       INTEGER NOT NULL,
    owner_id TEXT,
    icp      TEXT NOT NULL,
    patch    TEXT CHECK (patch IS NULL OR json_type(patch) = 'array'),
    PRIMARY KEY (icp_id, version)
) STRICT;

INSERT INTO icp_versions_new (icp_id, version, action, by_user, at, owner_id, icp, patch)
SELECT icp_id, version, action, by_user, at, owner_id, icp, patch FROM icp_versions
ORDER BY icp_id, version;

DROP TABLE icp_versions;
ALTER TABLE icp_versions_new RENAME TO icp_versions;
CREATE INDEX icp_versions_deleted ON icp_versions (owner_id, at DESC) WHERE action = 'deleted';
-- As 0021 made it (a dropped table takes its triggers along).
CREATE TRIGGER icp_versions_by_writers BEFORE INSERT ON icp_versions
WHEN (SELECT role FROM workspace_members WHERE user_id = NEW.by_user) = 'viewer'
BEGIN
    SELECT RAISE(ABORT, 'icp-builder: a viewer changes no ICP');
END;
