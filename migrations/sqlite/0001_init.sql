-- Users, their API tokens, and the ICPs with the users they are shared with.
-- Instants are INTEGER milliseconds since the Unix epoch (UTC); ids are 16-byte UUID BLOBs.
CREATE TABLE users (
    id            TEXT PRIMARY KEY,
    email         TEXT NOT NULL UNIQUE,
    name          TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    created_at    INTEGER NOT NULL DEFAULT (CAST(unixepoch('subsec') * 1000 AS INTEGER))
) STRICT;

CREATE TABLE api_tokens (
    id         BLOB PRIMARY KEY,
    user_id    TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    label      TEXT NOT NULL,
    token_hash BLOB NOT NULL UNIQUE,
    created_at INTEGER NOT NULL DEFAULT (CAST(unixepoch('subsec') * 1000 AS INTEGER)),
    revoked_at INTEGER
) STRICT;

CREATE TABLE icps (
    id                     BLOB PRIMARY KEY,
    name                   TEXT NOT NULL,
    description            TEXT,
    lead_provider_criteria TEXT NOT NULL CHECK (json_type(lead_provider_criteria) = 'array'),
    custom_filter_criteria TEXT NOT NULL CHECK (json_type(custom_filter_criteria) = 'array'),
    crm_filters            TEXT CHECK (crm_filters IS NULL OR json_type(crm_filters) = 'object'),
    leads_per_list         INTEGER NOT NULL CHECK (leads_per_list BETWEEN 1 AND 1000),
    active_until           INTEGER,
    created_at             INTEGER NOT NULL,
    updated_at             INTEGER NOT NULL
) STRICT;

CREATE INDEX icps_newest_first ON icps (created_at DESC, id DESC);

-- Who an ICP is shared with, in the order given; drives access checks and "my ICPs".
CREATE TABLE icp_members (
    icp_id   BLOB NOT NULL REFERENCES icps (id) ON DELETE CASCADE,
    user_id  TEXT NOT NULL,
    position INTEGER NOT NULL,
    PRIMARY KEY (icp_id, user_id)
) STRICT, WITHOUT ROWID;

CREATE INDEX icp_members_by_user ON icp_members (user_id, icp_id);
