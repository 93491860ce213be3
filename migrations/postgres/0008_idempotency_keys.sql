-- Idempotency-Key on creates (icps/idempotent.rs): a key a user sent, the SHA-256 of the body it
-- came with, the id its ICP gets, when it was claimed, and once created the response body to
-- replay. A key is claimed before the create and completed after it; expired ones (24 h) are
-- reclaimed or purged.
CREATE TABLE idempotency_keys (
    user_id      TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    key          TEXT NOT NULL,
    request_hash BYTEA NOT NULL,
    icp_id       UUID NOT NULL,
    claimed_at   TIMESTAMPTZ NOT NULL,
    response     TEXT,
    PRIMARY KEY (user_id, key)
);

CREATE INDEX idempotency_keys_by_age ON idempotency_keys (claimed_at);
