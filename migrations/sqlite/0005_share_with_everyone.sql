-- "Everyone in the workspace": an ICP shared with every member of its owner's workspace, now and
-- later (a member who joins is added to it). Its userIds still list each member.
ALTER TABLE icps ADD COLUMN everyone INTEGER NOT NULL DEFAULT 0 CHECK (everyone IN (0, 1));
CREATE INDEX icps_shared_with_everyone ON icps (owner_id) WHERE everyone = 1;
