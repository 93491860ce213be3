-- Workspaces: every user belongs to exactly one (the primary key of workspace_members), with one
-- owner each; invitations bring people in. ICPs are still read through icp_members; what a
-- workspace adds is who may be put there.
CREATE TABLE workspaces (
    id         text PRIMARY KEY,
    name       text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE workspace_members (
    user_id      text PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    workspace_id text NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    role         text NOT NULL CHECK (role IN ('owner', 'member')),
    joined_at    timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX workspace_members_by_workspace ON workspace_members (workspace_id, joined_at, user_id);
CREATE UNIQUE INDEX workspace_one_owner ON workspace_members (workspace_id) WHERE role = 'owner';

-- A link's token is stored as its SHA-256 only; accepted, revoked and expired ones stay as a record.
CREATE TABLE invitations (
    id           uuid PRIMARY KEY,
    workspace_id text NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    email        text NOT NULL,
    token_hash   bytea NOT NULL UNIQUE,
    invited_by   text NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at   timestamptz NOT NULL,
    expires_at   timestamptz NOT NULL,
    accepted_at  timestamptz,
    accepted_by  text REFERENCES users (id) ON DELETE SET NULL,
    revoked_at   timestamptz
);

CREATE INDEX invitations_by_workspace ON invitations (workspace_id, created_at DESC);

-- Existing users: people who share an ICP, directly or through a chain of shared ICPs, end up in
-- one workspace (so every ICP stays readable by exactly the users who could read it); everyone else
-- in a workspace of their own. Its owner is its earliest user; it is named after the owner's email
-- domain (or "<name>'s workspace" for a personal mail domain), as at sign-up.
CREATE TEMP TABLE sharing AS
SELECT DISTINCT m1.user_id AS a, m2.user_id AS b
FROM icp_members m1
JOIN icp_members m2 ON m2.icp_id = m1.icp_id AND m2.user_id <> m1.user_id
JOIN users u1 ON u1.id = m1.user_id
JOIN users u2 ON u2.id = m2.user_id;

CREATE TEMP TABLE placed AS
WITH RECURSIVE reach (root, user_id) AS (
    SELECT id, id FROM users
    UNION
    SELECT reach.root, sharing.b FROM reach JOIN sharing ON sharing.a = reach.user_id
),
component AS (SELECT user_id, min(root) AS root FROM reach GROUP BY user_id)
SELECT c.user_id, 'ws_' || substr(c.root, 6) AS workspace_id, u.email, u.name, u.created_at,
       row_number() OVER (PARTITION BY c.root ORDER BY u.created_at, u.id) AS rank
FROM component c JOIN users u ON u.id = c.user_id;

INSERT INTO workspaces (id, name, created_at)
SELECT workspace_id,
       CASE WHEN split_part(email, '@', 2) IN (
                'gmail.com', 'googlemail.com', 'outlook.com', 'hotmail.com', 'live.com',
                'yahoo.com', 'icloud.com', 'me.com', 'aol.com', 'proton.me', 'protonmail.com',
                'gmx.de', 'gmx.net', 'web.de', 'mail.com')
            THEN name || '''s workspace'
            ELSE split_part(email, '@', 2) END,
       created_at
FROM placed WHERE rank = 1;

INSERT INTO workspace_members (user_id, workspace_id, role, joined_at)
SELECT user_id, workspace_id, CASE WHEN rank = 1 THEN 'owner' ELSE 'member' END, created_at
FROM placed;

DROP TABLE placed;
DROP TABLE sharing;
