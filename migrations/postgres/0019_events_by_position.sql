-- Events in their order, (xid, seq): the webhook fan-out reads the next events after its cursor,
-- and the deliveries of a range of them, as an index range instead of a scan of every kept event.
CREATE INDEX events_by_position ON events (xid, seq);
