//! Who holds which session (`user_sessions`): a user's oldest sessions end past
//! `MAX_SESSIONS`, a password change ends all but the one it was made in, and signing out
//! everywhere (or a password reset) ends them all.

use super::session::{sign_in, SessionBackend, MAX_SESSIONS};
use crate::domain::UserId;
use tower_sessions::session::Id;
use tower_sessions::{Session, SessionStore};

impl SessionBackend {
    /// Notes that `user` signed in to session `id`, and ends their sessions older than the
    /// newest `MAX_SESSIONS`.
    pub(super) async fn keep_newest(
        &self,
        user: &UserId,
        id: Id,
    ) -> std::result::Result<(), sqlx::Error> {
        let now = chrono::Utc::now().timestamp_millis();
        let (id, user) = (id.to_string(), user.as_str());
        // Newest first by sign-in time; the session id breaks ties in the same millisecond.
        let older = match self {
            SessionBackend::Sqlite { writer, .. } => {
                let past = "SELECT session_id FROM user_sessions WHERE user_id = $1 \
                     ORDER BY created_at DESC, session_id DESC LIMIT -1 OFFSET $2";
                note_sign_in(writer, &id, user, now, past).await?
            }
            SessionBackend::Postgres(_, pool) => {
                let past = "SELECT session_id FROM user_sessions WHERE user_id = $1 \
                     ORDER BY created_at DESC, session_id DESC OFFSET $2";
                note_sign_in(pool, &id, user, now, past).await?
            }
        };
        self.end(older).await
    }

    /// Ends every session of `user` but `keep` (after a password change).
    pub(super) async fn end_others(
        &self,
        user: &UserId,
        keep: Id,
    ) -> std::result::Result<(), sqlx::Error> {
        let others = "SELECT session_id FROM user_sessions WHERE user_id = $1 AND session_id <> $2";
        let (user, keep) = (user.as_str(), keep.to_string());
        let others = match self {
            SessionBackend::Sqlite { writer, .. } => {
                sqlx::query_scalar(others)
                    .bind(user)
                    .bind(&keep)
                    .fetch_all(writer)
                    .await?
            }
            SessionBackend::Postgres(_, pool) => {
                sqlx::query_scalar(others)
                    .bind(user)
                    .bind(&keep)
                    .fetch_all(pool)
                    .await?
            }
        };
        self.end(others).await
    }

    /// Ends every session of `user`: signing out everywhere, a password reset, the CLI's
    /// `users set-password`.
    pub async fn end_all(&self, user: &UserId) -> std::result::Result<(), sqlx::Error> {
        let all = "SELECT session_id FROM user_sessions WHERE user_id = $1";
        let all = match self {
            SessionBackend::Sqlite { writer, .. } => {
                sqlx::query_scalar(all)
                    .bind(user.as_str())
                    .fetch_all(writer)
                    .await?
            }
            SessionBackend::Postgres(_, pool) => {
                sqlx::query_scalar(all)
                    .bind(user.as_str())
                    .fetch_all(pool)
                    .await?
            }
        };
        self.end(all).await
    }

    /// Ends the sessions `ids` and forgets them.
    async fn end(&self, ids: Vec<String>) -> std::result::Result<(), sqlx::Error> {
        for old in ids {
            if let Ok(session) = old.parse::<Id>() {
                if let Err(error) = self.delete(&session).await {
                    tracing::error!(error = %crate::error_chain(&error), "could not end an old session");
                    continue;
                }
            }
            let forget = "DELETE FROM user_sessions WHERE session_id = $1";
            match self {
                SessionBackend::Sqlite { writer, .. } => {
                    sqlx::query(forget).bind(&old).execute(writer).await?;
                }
                SessionBackend::Postgres(_, pool) => {
                    sqlx::query(forget).bind(&old).execute(pool).await?;
                }
            }
        }
        Ok(())
    }
}

/// Notes in `pool` that `user` signed in to session `id` at `now`, and reads the ids of their
/// sessions past the newest `MAX_SESSIONS` with `past` (each database says "no limit" its own way).
async fn note_sign_in<DB>(
    pool: &sqlx::Pool<DB>,
    id: &str,
    user: &str,
    now: i64,
    past: &'static str,
) -> std::result::Result<Vec<String>, sqlx::Error>
where
    DB: sqlx::Database,
    for<'c> &'c mut DB::Connection: sqlx::Executor<'c, Database = DB>,
    for<'q> DB::Arguments<'q>: sqlx::IntoArguments<'q, DB>,
    for<'q> &'q str: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
    for<'q> i64: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
    for<'r> String: sqlx::Decode<'r, DB> + sqlx::Type<DB>,
    usize: sqlx::ColumnIndex<DB::Row>,
{
    sqlx::query(
        "INSERT INTO user_sessions (session_id, user_id, created_at) VALUES ($1, $2, $3) \
         ON CONFLICT (session_id) DO NOTHING",
    )
    .bind(id)
    .bind(user)
    .bind(now)
    .execute(pool)
    .await?;
    sqlx::query_scalar(past)
        .bind(user)
        .bind(i64::from(MAX_SESSIONS))
        .fetch_all(pool)
        .await
}

/// Signs `user` in again (a new session id) and ends every other session of theirs: after a
/// password change, whoever signed in with the old one is out.
pub async fn sign_in_here_only(
    session: &Session,
    user: &UserId,
    sessions: &SessionBackend,
) -> std::result::Result<(), String> {
    sign_in(session, user, sessions)
        .await
        .map_err(|error| error.to_string())?;
    let id = session.id().ok_or("the new session has no id")?;
    sessions
        .end_others(user, id)
        .await
        .map_err(|error| error.to_string())
}
