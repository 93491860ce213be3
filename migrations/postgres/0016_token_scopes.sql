-- What an API token may do (`read` only reads; `write`, as every earlier token, also changes),
-- when it stops working (NULL: never) and when it was last used (noted at most once a minute).
ALTER TABLE api_tokens
    ADD COLUMN scope text NOT NULL DEFAULT 'write' CHECK (scope IN ('read', 'write')),
    ADD COLUMN expires_at timestamptz,
    ADD COLUMN last_used_at timestamptz;
