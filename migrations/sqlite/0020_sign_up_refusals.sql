-- Sign-ups the policy (`SIGN_UP`) refused: when, the email as typed (trimmed, at most 254
-- characters), why (`store::RefusalReason`), the client's address when known, and the workspace
-- of the invitation whose link was used when that invitation names another address (no
-- reference: the row outlives the workspace). Kept 30 days and at most 100,000 rows (the hourly
-- sweep deletes the rest, oldest first).
CREATE TABLE sign_up_refusals (
    id           BLOB PRIMARY KEY,
    at           INTEGER NOT NULL,
    email        TEXT NOT NULL CHECK (length(email) <= 254),
    reason       TEXT NOT NULL
        CHECK (reason IN ('sign-up-closed', 'invitation-closed', 'invited-another-address')),
    address      TEXT CHECK (length(address) <= 45),
    workspace_id TEXT
) STRICT;
CREATE INDEX sign_up_refusals_by_time ON sign_up_refusals (at, id);

-- An audit record may have no actor: a sign-up refused through an invitation's link is done by
-- nobody signed in. SQLite cannot drop a NOT NULL in place: the table is made again with the same
-- rows and indexes. Records are kept 365 days (the hourly sweep deletes older ones, by `at`).
CREATE TABLE audit_log_new (
    id           BLOB PRIMARY KEY,
    workspace_id TEXT NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    at           INTEGER NOT NULL,
    actor_id     TEXT,
    kind         TEXT NOT NULL,
    target       TEXT NOT NULL,
    detail       TEXT NOT NULL
) STRICT;
INSERT INTO audit_log_new (id, workspace_id, at, actor_id, kind, target, detail)
SELECT id, workspace_id, at, actor_id, kind, target, detail FROM audit_log;
DROP TABLE audit_log;
ALTER TABLE audit_log_new RENAME TO audit_log;
CREATE INDEX audit_by_workspace ON audit_log (workspace_id, id);
CREATE INDEX audit_by_actor ON audit_log (workspace_id, actor_id, id);
CREATE INDEX audit_by_kind ON audit_log (workspace_id, kind, id);
CREATE INDEX audit_by_time ON audit_log (at);
