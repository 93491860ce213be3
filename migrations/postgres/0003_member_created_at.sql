-- A user's ICP list is a range scan of one index, whatever their ICP count: the ICP's creation
-- instant (which never changes) is copied into each membership row, and the members are indexed by
-- (user, newest first). Before this, a page joined every membership of the user and sorted them.
ALTER TABLE icp_members ADD COLUMN created_at timestamptz;

UPDATE icp_members m SET created_at = i.created_at FROM icps i WHERE i.id = m.icp_id;

ALTER TABLE icp_members ALTER COLUMN created_at SET NOT NULL;

CREATE INDEX icp_members_by_user_newest ON icp_members (user_id, created_at DESC, icp_id DESC);

-- Covered by the index above (same leading column; lookups by ICP and user use the primary key).
DROP INDEX icp_members_by_user;
