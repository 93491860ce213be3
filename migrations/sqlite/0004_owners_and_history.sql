-- Owners and history. An ICP's owner is its creator: only they delete it or remove members.
-- Existing ICPs never recorded their creator; the reference appends the creator to `userIds`, so
-- the last member with an account is taken as the owner.
ALTER TABLE icps ADD COLUMN owner_id TEXT;
UPDATE icps SET owner_id = (
    SELECT m.user_id FROM icp_members m JOIN users u ON u.id = m.user_id
    WHERE m.icp_id = icps.id ORDER BY m.position DESC LIMIT 1
);

-- Every create, update, delete and restore of an ICP, with the ICP as it was after it (JSON, the
-- API's shape). No foreign key: a deleted ICP's versions stay, so its owner can restore it. An ICP
-- changed for the first time since this migration gets a 'baseline' version (its state before).
CREATE TABLE icp_versions (
    icp_id   BLOB NOT NULL,
    version  INTEGER NOT NULL CHECK (version >= 1),
    action   TEXT NOT NULL CHECK (action IN ('baseline', 'created', 'updated', 'deleted', 'restored')),
    by_user  TEXT NOT NULL,
    at       INTEGER NOT NULL,
    owner_id TEXT,
    icp      TEXT NOT NULL CHECK (json_type(icp) = 'object'),
    PRIMARY KEY (icp_id, version)
) STRICT, WITHOUT ROWID;

-- "Recently deleted": an owner's deletions, newest first.
CREATE INDEX icp_versions_deleted ON icp_versions (owner_id, at DESC) WHERE action = 'deleted';
