-- The event log (store/events.rs): one row per change to an ICP, written in the change's own
-- transaction. Several transactions write at once, so each row carries its transaction id
-- (`xid`): a page shows the rows of transactions older than any still running, ordered by
-- (xid, seq), so no row appears before one a reader has already passed. (`xid` is the xid8 as a
-- bigint, the type SQLite's constant 0 has, so both databases run the same statements.) Kept 30
-- days.
CREATE TABLE events (
    seq          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    xid          bigint NOT NULL DEFAULT (pg_current_xact_id()::text::bigint),
    id           uuid NOT NULL UNIQUE,
    type         text NOT NULL,
    icp_id       uuid NOT NULL,
    -- The ICP's workspace then: a reader sees an event only while they are in it.
    workspace_id text,
    at           timestamptz NOT NULL,
    -- The user ids who may see it (the ICP's members then).
    audience     jsonb NOT NULL,
    -- The event's JSON, exactly as it is read and delivered (text: jsonb would reorder its keys).
    body         text NOT NULL
);
CREATE INDEX events_by_time ON events (at);

-- Who may read each event, for a reader's page in one index range.
CREATE TABLE event_audience (
    user_id text NOT NULL,
    xid     bigint NOT NULL,
    seq     bigint NOT NULL,
    PRIMARY KEY (user_id, xid, seq)
);
CREATE INDEX event_audience_by_event ON event_audience (seq);

-- Once per statement (a batch of creates is one), not once per row.
CREATE FUNCTION events_audience() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO event_audience (user_id, xid, seq)
    SELECT a.user_id, n.xid, n.seq
    FROM new_events n, jsonb_array_elements_text(n.audience) AS a(user_id);
    RETURN NULL;
END
$$;
CREATE TRIGGER events_audience AFTER INSERT ON events
    REFERENCING NEW TABLE AS new_events
    FOR EACH STATEMENT EXECUTE FUNCTION events_audience();
