-- A user's ICP list is a range scan of one index, whatever their ICP count: the ICP's creation
-- instant (which never changes) is copied into each membership row, and the members are indexed by
-- (user, newest first). Before this, a page joined every membership of the user and sorted them.
-- SQLite cannot add a NOT NULL column without a default, so the table is rebuilt (nothing refers to
-- it, so foreign keys stay intact).
CREATE TABLE icp_members_new (
    icp_id     BLOB NOT NULL REFERENCES icps (id) ON DELETE CASCADE,
    user_id    TEXT NOT NULL,
    position   INTEGER NOT NULL,
    created_at INTEGER NOT NULL,
    PRIMARY KEY (icp_id, user_id)
) STRICT, WITHOUT ROWID;

INSERT INTO icp_members_new (icp_id, user_id, position, created_at)
SELECT m.icp_id, m.user_id, m.position, i.created_at
FROM icp_members m JOIN icps i ON i.id = m.icp_id;

DROP TABLE icp_members;
ALTER TABLE icp_members_new RENAME TO icp_members;

-- Replaces icp_members_by_user (user_id, icp_id), dropped with the old table: this one starts with
-- user_id too, and holds the primary key, so it alone answers a page and a count.
CREATE INDEX icp_members_by_user_newest ON icp_members (user_id, created_at DESC, icp_id DESC);
