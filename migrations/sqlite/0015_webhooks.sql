-- Webhook endpoints and their deliveries (src/webhooks). An endpoint belongs to the user who made
-- it and receives the events that user may see (`event_audience`), of the types it asks for.
CREATE TABLE webhooks (
    id              BLOB PRIMARY KEY,
    user_id         TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    url             TEXT NOT NULL,
    -- A JSON array of event types, or ["*"] for all.
    events          TEXT NOT NULL,
    description     TEXT NOT NULL,
    -- `whsec_…`: the HMAC key deliveries are signed with (the server must hold it to sign).
    secret          TEXT NOT NULL,
    -- After a rotation the old secret signs beside the new one until `previous_until`.
    previous_secret TEXT,
    previous_until  INTEGER,
    created_at      INTEGER NOT NULL,
    disabled_at     INTEGER,
    disabled_reason TEXT,
    -- When deliveries began failing without a success since (disabled after 5 days).
    failing_since   INTEGER
);
CREATE INDEX webhooks_by_user ON webhooks (user_id, created_at);

-- One row per event and endpoint. `due_at` is when the next attempt is due (NULL: delivered, or
-- given up); a worker claims a due row until `claimed_until`, so a crash means another attempt.
CREATE TABLE webhook_deliveries (
    webhook_id      BLOB NOT NULL REFERENCES webhooks (id) ON DELETE CASCADE,
    event_id        BLOB NOT NULL,
    event_type      TEXT NOT NULL,
    state           TEXT NOT NULL,
    attempts        INTEGER NOT NULL DEFAULT 0,
    due_at          INTEGER,
    claimed_until   INTEGER,
    last_status     INTEGER,
    last_error      TEXT,
    last_attempt_at INTEGER,
    created_at      INTEGER NOT NULL,
    PRIMARY KEY (webhook_id, event_id)
);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (due_at) WHERE due_at IS NOT NULL;
CREATE INDEX webhook_deliveries_recent ON webhook_deliveries (webhook_id, created_at);
-- Deliveries are deleted with their events, after 30 days.
CREATE INDEX webhook_deliveries_by_time ON webhook_deliveries (created_at);

-- How far the events have been turned into deliveries: the position (xid, seq) of the last one.
CREATE TABLE webhook_cursor (
    id  INTEGER PRIMARY KEY CHECK (id = 1),
    xid INTEGER NOT NULL,
    seq INTEGER NOT NULL
);
INSERT INTO webhook_cursor (id, xid, seq) SELECT 1, 0, coalesce(max(seq), 0) FROM events;
