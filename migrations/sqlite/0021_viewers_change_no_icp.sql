-- A viewer changes no ICP (README "Roles"), checked in the write's own transaction: every ICP
-- write (create, change, delete, restore, hand-over, import) records a version by its author, so
-- the version's row is refused when its author is a viewer at that moment. The message is
-- `store::VIEWER_REFUSED`, which the store turns into a 403.
CREATE TRIGGER icp_versions_by_writers BEFORE INSERT ON icp_versions
WHEN (SELECT role FROM workspace_members WHERE user_id = NEW.by_user) = 'viewer'
BEGIN
    SELECT RAISE(ABORT, 'icp-builder: a viewer changes no ICP');
END;
