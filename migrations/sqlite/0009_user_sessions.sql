-- Which sessions each user has signed in to, so that a user holds at most a bounded number
-- (auth/session.rs `MAX_SESSIONS`): the session store's own rows keep the user only inside their
-- encoded data. A row is added at each sign-in; the oldest past the bound are deleted, with their
-- sessions.
CREATE TABLE user_sessions (
    session_id TEXT PRIMARY KEY NOT NULL,
    user_id TEXT NOT NULL,
    created_at INTEGER NOT NULL
);
CREATE INDEX user_sessions_by_user ON user_sessions (user_id, created_at);
