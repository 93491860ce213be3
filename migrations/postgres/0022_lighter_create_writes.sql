-- No statement reads ICPs newest first from `icps` itself since a list page walks the members' own
-- index (`icp_members_by_user_newest`, 0003): the index was one more b-tree written per create.
-- (SQLite's 0022 also drops `events_by_position`, which Postgres needs: its `xid` differs between
-- transactions, so positions compare as `(xid, seq)`; and a JSON check Postgres never had.)
DROP INDEX icps_newest_first;
