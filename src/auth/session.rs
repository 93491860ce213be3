//! Browser sessions: tower-sessions kept in the app's own database, so they survive restarts and
//! are shared by every instance.

use crate::domain::UserId;
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

/// The user signed in to this session, if any.
pub async fn session_user(session: &Session) -> Option<UserId> {
    let raw: String = session.get(USER_KEY).await.ok().flatten()?;
    UserId::parse(&raw)
}

/// Signs `user` in: a new session id (no fixation), then the user.
pub async fn sign_in(
    session: &Session,
    user: &UserId,
) -> std::result::Result<(), tower_sessions::session::Error> {
    session.cycle_id().await?;
    session.insert(USER_KEY, user.as_str()).await?;
    Ok(())
}

/// Signs out: the session is deleted from the store and the cookie cleared.
pub async fn sign_out(
    session: &Session,
) -> std::result::Result<(), tower_sessions::session::Error> {
    session.flush().await
}
