-- Webhook endpoints and their deliveries (src/webhooks). An endpoint belongs to the user who made
-- it and receives the events that user may see (`event_audience`), of the types it asks for.
CREATE TABLE webhooks (
    id              uuid PRIMARY KEY,
    user_id         text NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    url             text NOT NULL,
    -- A JSON array of event types, or ["*"] for all.
    events          jsonb NOT NULL,
    description     text NOT NULL,
    -- `whsec_…`: the HMAC key deliveries are signed with (the server must hold it to sign).
    secret          text NOT NULL,
    -- After a rotation the old secret signs beside the new one until `previous_until`.
    previous_secret text,
    previous_until  timestamptz,
    created_at      timestamptz NOT NULL,
    disabled_at     timestamptz,
    disabled_reason text,
    -- When deliveries began failing without a success since (disabled after 5 days).
    failing_since   timestamptz
);
CREATE INDEX webhooks_by_user ON webhooks (user_id, created_at);

-- One row per event and endpoint. `due_at` is when the next attempt is due (NULL: delivered, or
-- given up); a worker claims a due row until `claimed_until` (FOR UPDATE SKIP LOCKED among
-- instances), so a crash means another attempt and no two instances send one at once.
CREATE TABLE webhook_deliveries (
    webhook_id      uuid NOT NULL REFERENCES webhooks (id) ON DELETE CASCADE,
    event_id        uuid NOT NULL,
    event_type      text NOT NULL,
    state           text NOT NULL,
    attempts        integer NOT NULL DEFAULT 0,
    due_at          timestamptz,
    claimed_until   timestamptz,
    last_status     integer,
    last_error      text,
    last_attempt_at timestamptz,
    created_at      timestamptz NOT NULL,
    PRIMARY KEY (webhook_id, event_id)
);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (due_at) WHERE due_at IS NOT NULL;
CREATE INDEX webhook_deliveries_recent ON webhook_deliveries (webhook_id, created_at);
-- Deliveries are deleted with their events, after 30 days.
CREATE INDEX webhook_deliveries_by_time ON webhook_deliveries (created_at);

-- How far the events have been turned into deliveries: the position (xid, seq) of the last one
-- (see 0014_events.sql). One row, locked by the instance that fans out.
CREATE TABLE webhook_cursor (
    id  integer PRIMARY KEY CHECK (id = 1),
    xid bigint NOT NULL,
    seq bigint NOT NULL
);
INSERT INTO webhook_cursor (id, xid, seq)
SELECT 1, coalesce(max(xid), 0), coalesce(max(seq), 0) FROM events;
