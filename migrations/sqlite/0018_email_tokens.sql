-- Single-use tokens sent by mail: a password reset, or the confirmation of a new email address
-- (`new_email`). Stored as their SHA-256 only; used once (`used_at`), for an hour (`expires_at`).
-- Rows past their expiry are deleted by the hourly sweep.
CREATE TABLE email_tokens (
    id         BLOB PRIMARY KEY,
    purpose    TEXT NOT NULL CHECK (purpose IN ('reset', 'confirm_email')),
    user_id    TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    token_hash BLOB NOT NULL UNIQUE,
    new_email  TEXT,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    used_at    INTEGER
) STRICT;

CREATE INDEX email_tokens_by_expiry ON email_tokens (expires_at);
CREATE INDEX email_tokens_by_user ON email_tokens (user_id);
