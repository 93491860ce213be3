-- A viewer changes no ICP (README "Roles"), checked in the write's own transaction: every ICP
-- write (create, change, delete, restore, hand-over, import) records a version by its author, so
-- the version's row is refused when its author is a viewer at that moment. The message is
-- `store::VIEWER_REFUSED`, which the store turns into a 403.
CREATE FUNCTION icp_versions_by_writers() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF (SELECT role FROM workspace_members WHERE user_id = NEW.by_user) = 'viewer' THEN
        RAISE EXCEPTION 'icp-builder: a viewer changes no ICP' USING ERRCODE = 'insufficient_privilege';
    END IF;
    RETURN NEW;
END
$$;

CREATE TRIGGER icp_versions_by_writers BEFORE INSERT ON icp_versions
    FOR EACH ROW EXECUTE FUNCTION icp_versions_by_writers();
