-- Nothing on Postgres: SQLite's 0022 drops an index Postgres needs (its `xid` differs between
-- transactions, so positions compare as `(xid, seq)`) and a JSON check Postgres never had (`icp` is
-- `jsonb`, parsed once as it is bound). The file keeps the two folders numbered alike.
SELECT 1;
