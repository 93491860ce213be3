-- Every committed change to ICPs notifies channel `icp_changes`, so that each instance forgets what
-- it remembered of them (src/store/reads.rs): a changed or deleted ICP by its id, new ICPs as
-- `new` (they appear in list pages). Members never change without their ICP's row (its
-- updated_at, the ETag, moves with every change), so the `icps` table alone is watched.
-- Notifications are sent when (and only if) the transaction commits, one per distinct payload.
CREATE FUNCTION notify_icp_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_LEVEL = 'STATEMENT' THEN
        PERFORM pg_notify('icp_changes', 'new');
    ELSE
        PERFORM pg_notify('icp_changes', OLD.id::text);
    END IF;
    RETURN NULL;
END
$$;

CREATE TRIGGER icps_notify_change AFTER UPDATE OR DELETE ON icps
    FOR EACH ROW EXECUTE FUNCTION notify_icp_change();
CREATE TRIGGER icps_notify_insert AFTER INSERT ON icps
    FOR EACH STATEMENT EXECUTE FUNCTION notify_icp_change();
