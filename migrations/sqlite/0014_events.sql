-- The event log (store/events.rs): one row per change to an ICP, written in the change's own
-- transaction. A position is (xid, seq): on SQLite `xid` is always 0 and `seq` alone orders them
-- (one writer: commit order; AUTOINCREMENT never reuses a purged number, so a reader's position
-- stays valid); Postgres fills `xid` with the writing transaction's id. Kept 30 days.
CREATE TABLE events (
    seq          INTEGER PRIMARY KEY AUTOINCREMENT,
    xid          INTEGER NOT NULL DEFAULT 0,
    id           BLOB NOT NULL UNIQUE,
    type         TEXT NOT NULL,
    icp_id       BLOB NOT NULL,
    -- The ICP's workspace then: a reader sees an event only while they are in it.
    workspace_id TEXT,
    at           INTEGER NOT NULL,
    -- The user ids who may see it (the ICP's members then), as a JSON array.
    audience     TEXT NOT NULL,
    -- The event's JSON, exactly as it is read and delivered.
    body         TEXT NOT NULL
);
CREATE INDEX events_by_time ON events (at);

-- Who may read each event, for a reader's page in one index range.
CREATE TABLE event_audience (
    user_id TEXT NOT NULL,
    xid     INTEGER NOT NULL,
    seq     INTEGER NOT NULL,
    PRIMARY KEY (user_id, xid, seq)
) WITHOUT ROWID;
CREATE INDEX event_audience_by_event ON event_audience (seq);

CREATE TRIGGER events_audience AFTER INSERT ON events BEGIN
    INSERT INTO event_audience (user_id, xid, seq)
    SELECT value, NEW.xid, NEW.seq FROM json_each(NEW.audience);
END;
