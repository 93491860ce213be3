//! Browser sessions: tower-sessions kept in the app's own database, so they survive restarts and
//! are shared by every instance.

use crate::domain::UserId;
use crate::pages::account::NewToken;
use async_trait::async_trait;
use tower_sessions::session::{Id, Record};
use tower_sessions::session_store::{ExpiredDeletion, Result};
use tower_sessions::{Session, SessionStore};
use tower_sessions_sqlx_store::{PostgresStore, SqliteStore};

/// The session store of whichever database the app runs on.
#[derive(Debug, Clone)]
pub enum SessionBackend {
    Sqlite(SqliteStore),
    Postgres(PostgresStore),
}

#[async_trait]
impl SessionStore for SessionBackend {
    async fn create(&self, record: &mut Record) -> Result<()> {
        match self {
            SessionBackend::Sqlite(store) => store.create(record).await,
            SessionBackend::Postgres(store) => store.create(record).await,
        }
    }

    async fn save(&self, record: &Record) -> Result<()> {
        match self {
            SessionBackend::Sqlite(store) => store.save(record).await,
            SessionBackend::Postgres(store) => store.save(record).await,
        }
    }

    async fn load(&self, id: &Id) -> Result<Option<Record>> {
        match self {
            SessionBackend::Sqlite(store) => store.load(id).await,
            SessionBackend::Postgres(store) => store.load(id).await,
        }
    }

    async fn delete(&self, id: &Id) -> Result<()> {
        match self {
            SessionBackend::Sqlite(store) => store.delete(id).await,
            SessionBackend::Postgres(store) => store.delete(id).await,
        }
    }
}

#[async_trait]
impl ExpiredDeletion for SessionBackend {
    async fn delete_expired(&self) -> Result<()> {
        match self {
            SessionBackend::Sqlite(store) => store.delete_expired().await,
            SessionBackend::Postgres(store) => store.delete_expired().await,
        }
    }
}

/// The name of the session cookie.
pub const COOKIE_NAME: &str = "icp_session";
const USER_KEY: &str = "user_id";
const SEEN_KEY: &str = "seen_on";
const NEW_TOKEN_KEY: &str = "new_token";

/// The user signed in to this session, if any.
///
/// Reading it counts as use: once a day it marks the session changed. tower-sessions re-saves (and
/// so re-dates) only changed sessions, so without this a session would end 7 days after sign-in
/// rather than after 7 days without use.
pub async fn session_user(session: &Session) -> Option<UserId> {
    let raw: String = session.get(USER_KEY).await.ok().flatten()?;
    let user = UserId::parse(&raw)?;
    let today = tower_sessions::cookie::time::OffsetDateTime::now_utc().to_julian_day();
    if session.get::<i32>(SEEN_KEY).await.ok().flatten() != Some(today) {
        if let Err(error) = session.insert(SEEN_KEY, today).await {
            tracing::warn!(%error, "could not mark the session as used");
        }
    }
    Some(user)
}

/// Keeps a just-created API token in the session for the next settings page only.
pub async fn hold_new_token(
    session: &Session,
    token: &NewToken,
) -> std::result::Result<(), tower_sessions::session::Error> {
    session.insert(NEW_TOKEN_KEY, token).await
}

/// Takes the token `hold_new_token` kept, if any, so it is shown once. Saved at once: a page that
/// streams may still be rendering when the session layer saves what it saw changed.
pub async fn take_new_token(session: &Session) -> Option<NewToken> {
    let token: NewToken = session.get(NEW_TOKEN_KEY).await.ok().flatten()?;
    let removed = session.remove_value(NEW_TOKEN_KEY).await;
    if let Err(error) = removed.and(session.save().await) {
        tracing::error!(%error, "could not forget a shown API token");
    }
    Some(token)
}

/// Signs `user` in: a new session id (no fixation) holding nothing from before, then the user.
pub async fn sign_in(
    session: &Session,
    user: &UserId,
) -> std::result::Result<(), tower_sessions::session::Error> {
    session.cycle_id().await?;
    session.clear().await;
    session.insert(USER_KEY, user.as_str()).await?;
    Ok(())
}

/// Signs out: the session is deleted from the store and the cookie cleared.
pub async fn sign_out(
    session: &Session,
) -> std::result::Result<(), tower_sessions::session::Error> {
    session.flush().await
}
