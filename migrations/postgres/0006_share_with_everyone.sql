-- "Everyone in the workspace": an ICP shared with every member of its owner's workspace, now and
-- later (a member who joins is added to it). Its userIds still list each member.
ALTER TABLE icps ADD COLUMN everyone boolean NOT NULL DEFAULT false;
CREATE INDEX icps_shared_with_everyone ON icps (owner_id) WHERE everyone;
