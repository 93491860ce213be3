-- What an API token may do (`read` only reads; `write`, as every earlier token, also changes),
-- when it stops working (NULL: never) and when it was last used (noted at most once a minute).
ALTER TABLE api_tokens ADD COLUMN scope TEXT NOT NULL DEFAULT 'write' CHECK (scope IN ('read', 'write'));
ALTER TABLE api_tokens ADD COLUMN expires_at INTEGER;
ALTER TABLE api_tokens ADD COLUMN last_used_at INTEGER;
