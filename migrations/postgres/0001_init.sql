-- Users, their API tokens, and the ICPs with the users they are shared with.
CREATE TABLE users (
    id            text PRIMARY KEY,
    email         text NOT NULL UNIQUE,
    name          text NOT NULL,
    password_hash text NOT NULL,
    created_at    timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE api_tokens (
    id           uuid PRIMARY KEY,
    user_id      text NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    label        text NOT NULL,
    token_hash   bytea NOT NULL UNIQUE,
    created_at   timestamptz NOT NULL DEFAULT now(),
    revoked_at   timestamptz
);

CREATE TABLE icps (
    id                     uuid PRIMARY KEY,
    name                   text NOT NULL,
    description            text,
    lead_provider_criteria jsonb NOT NULL CHECK (jsonb_typeof(lead_provider_criteria) = 'array'),
    custom_filter_criteria jsonb NOT NULL CHECK (jsonb_typeof(custom_filter_criteria) = 'array'),
    crm_filters            jsonb CHECK (crm_filters IS NULL OR jsonb_typeof(crm_filters) = 'object'),
    leads_per_list         integer NOT NULL CHECK (leads_per_list BETWEEN 1 AND 1000),
    active_until           timestamptz,
    created_at             timestamptz NOT NULL,
    updated_at             timestamptz NOT NULL
);

CREATE INDEX icps_newest_first ON icps (created_at DESC, id DESC);

-- Who an ICP is shared with, in the order given; drives access checks and "my ICPs".
CREATE TABLE icp_members (
    icp_id   uuid NOT NULL REFERENCES icps (id) ON DELETE CASCADE,
    user_id  text NOT NULL,
    position integer NOT NULL,
    PRIMARY KEY (icp_id, user_id)
);

CREATE INDEX icp_members_by_user ON icp_members (user_id, icp_id);
