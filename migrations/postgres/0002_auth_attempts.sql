-- Sign-in and sign-up attempts within the limiter's window, shared by every app instance on this
-- database. One row per attempt and key; `key` is short ("email:…", "address:…", "sign-up:…").
CREATE TABLE auth_attempts (
    id           uuid NOT NULL,
    key          text NOT NULL,
    attempted_at timestamptz NOT NULL,
    PRIMARY KEY (key, id)
);

CREATE INDEX auth_attempts_by_time ON auth_attempts (attempted_at);
