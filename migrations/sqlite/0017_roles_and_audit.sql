-- Roles: besides the owner, admins (manage the team, read and change every ICP of the workspace)
-- and viewers (read what is shared with them, change nothing). SQLite cannot change a CHECK in
-- place: the table is made again with the same rows and indexes.
CREATE TABLE workspace_members_new (
    user_id      TEXT PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    workspace_id TEXT NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    role         TEXT NOT NULL CHECK (role IN ('owner', 'admin', 'member', 'viewer')),
    joined_at    INTEGER NOT NULL DEFAULT (CAST(unixepoch('subsec') * 1000 AS INTEGER))
) STRICT;
INSERT INTO workspace_members_new (user_id, workspace_id, role, joined_at)
SELECT user_id, workspace_id, role, joined_at FROM workspace_members;
DROP TABLE workspace_members;
ALTER TABLE workspace_members_new RENAME TO workspace_members;
CREATE INDEX workspace_members_by_workspace ON workspace_members (workspace_id, joined_at, user_id);
CREATE UNIQUE INDEX workspace_one_owner ON workspace_members (workspace_id) WHERE role = 'owner';

-- An invitation gives a role (never the owner's).
ALTER TABLE invitations ADD COLUMN role TEXT NOT NULL DEFAULT 'member'
    CHECK (role IN ('admin', 'member', 'viewer'));

-- Who did what to a workspace and its access, written in the transaction of what it records.
-- `kind` is one of a closed set (see `store::audit::AuditKind`); `detail` is JSON
-- {"before": …, "after": …}; the actor is a user id (no reference: the record outlives the
-- account). Kept while the workspace exists.
CREATE TABLE audit_log (
    id           BLOB PRIMARY KEY,
    workspace_id TEXT NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    at           INTEGER NOT NULL,
    actor_id     TEXT NOT NULL,
    kind         TEXT NOT NULL,
    target       TEXT NOT NULL,
    detail       TEXT NOT NULL
) STRICT;
CREATE INDEX audit_by_workspace ON audit_log (workspace_id, id);
CREATE INDEX audit_by_actor ON audit_log (workspace_id, actor_id, id);
CREATE INDEX audit_by_kind ON audit_log (workspace_id, kind, id);
