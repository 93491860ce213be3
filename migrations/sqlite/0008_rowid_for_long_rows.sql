-- The two tables whose rows hold a whole ICP as JSON become rowid tables. A WITHOUT ROWID table
-- keeps at most ~1,000 bytes of a row in its b-tree page (a quarter of a 4 KB page) and moves the
-- rest to an overflow page of its own. A version of the reference's example is longer (its JSON
-- ~900 bytes, with ids and times over the limit), so every create wrote, and checksummed into the
-- WAL, a 4 KB page of its own, mostly empty. A rowid table keeps up to ~4 KB of a row in place,
-- several rows to a page. The primary keys stay unique through their own index; nothing refers to
-- either table.
CREATE TABLE icp_versions_new (
    icp_id   BLOB NOT NULL,
    version  INTEGER NOT NULL CHECK (version >= 1),
    action   TEXT NOT NULL CHECK (action IN ('baseline', 'created', 'updated', 'deleted', 'restored')),
    by_user  TEXT NOT NULL,
    at       INTEGER NOT NULL,
    owner_id TEXT,
    icp      TEXT NOT NULL CHECK (json_type(icp) = 'object'),
    PRIMARY KEY (icp_id, version)
) STRICT;

INSERT INTO icp_versions_new (icp_id, version, action, by_user, at, owner_id, icp)
SELECT icp_id, version, action, by_user, at, owner_id, icp FROM icp_versions ORDER BY icp_id, version;

DROP TABLE icp_versions;
ALTER TABLE icp_versions_new RENAME TO icp_versions;
CREATE INDEX icp_versions_deleted ON icp_versions (owner_id, at DESC) WHERE action = 'deleted';

-- The response kept for replay is the created ICP's JSON, as long.
CREATE TABLE idempotency_keys_new (
    user_id      TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    key          TEXT NOT NULL,
    request_hash BLOB NOT NULL,
    icp_id       BLOB NOT NULL,
    claimed_at   INTEGER NOT NULL,
    response     TEXT,
    PRIMARY KEY (user_id, key)
) STRICT;

INSERT INTO idempotency_keys_new (user_id, key, request_hash, icp_id, claimed_at, response)
SELECT user_id, key, request_hash, icp_id, claimed_at, response FROM idempotency_keys;

DROP TABLE idempotency_keys;
ALTER TABLE idempotency_keys_new RENAME TO idempotency_keys;
CREATE INDEX idempotency_keys_by_age ON idempotency_keys (claimed_at);
