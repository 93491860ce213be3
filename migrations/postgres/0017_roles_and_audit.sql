-- Roles: besides the owner, admins (manage the team, read and change every ICP of the workspace)
-- and viewers (read what is shared with them, change nothing).
ALTER TABLE workspace_members DROP CONSTRAINT workspace_members_role_check;
ALTER TABLE workspace_members ADD CONSTRAINT workspace_members_role_check
    CHECK (role IN ('owner', 'admin', 'member', 'viewer'));

-- An invitation gives a role (never the owner's).
ALTER TABLE invitations ADD COLUMN role text NOT NULL DEFAULT 'member'
    CHECK (role IN ('admin', 'member', 'viewer'));

-- Who did what to a workspace and its access, written in the transaction of what it records.
-- `kind` is one of a closed set (see `store::audit::AuditKind`); `detail` is JSON
-- {"before": …, "after": …}; the actor is a user id (no reference: the record outlives the
-- account). Kept while the workspace exists.
CREATE TABLE audit_log (
    id           uuid PRIMARY KEY,
    workspace_id text NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    at           timestamptz NOT NULL,
    actor_id     text NOT NULL,
    kind         text NOT NULL,
    target       text NOT NULL,
    detail       text NOT NULL
);
CREATE INDEX audit_by_workspace ON audit_log (workspace_id, id);
CREATE INDEX audit_by_actor ON audit_log (workspace_id, actor_id, id);
CREATE INDEX audit_by_kind ON audit_log (workspace_id, kind, id);
